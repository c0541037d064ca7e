"""Settings for the museum emotion platform, read from the environment (12-factor).

With nothing set you get a local development site: DEBUG on, SQLite in ``db.sqlite3``,
an in-memory channel layer and Celery tasks executed in-process. See README.md
("Configuration") for every variable. ``DJANGO_PRODUCTION=1`` switches on the production
mode, which requires ``SECRET_KEY`` and ``ALLOWED_HOSTS`` and passes ``check --deploy``.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from museum_site.env import (
    env_bool,
    env_database,
    env_email,
    env_list,
    env_number,
    env_path,
    env_secret,
    env_str,
    redis_channel_layer,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Mode ---------------------------------------------------------------------------------

PRODUCTION = env_bool("DJANGO_PRODUCTION", False)
DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_PRODUCTION=1.")

# Only a DEBUG site may fall back to this key; it is useless anywhere else.
_DEV_SECRET_KEY = "django-insecure-local-development-key-not-for-production"  # noqa: S105
SECRET_KEY = env_secret("SECRET_KEY", dev_default=_DEV_SECRET_KEY if DEBUG else None)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is the public development key; set a secret one.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS (comma-separated) when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SITE_NAME = env_str("SITE_NAME", "Northbridge Museum")

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    # daphne first: its runserver replaces Django's, so development is served over ASGI too.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "museum_site.core",
    "emotions",
    "museum_site.privacy",
    "recommendations",
    "museum_site.reports",
    "museum_site.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy (settings below, "Security").
    "museum_site.privacy.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "museum_site.urls"
WSGI_APPLICATION = "museum_site.wsgi.application"
ASGI_APPLICATION = "museum_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "museum_site.core.context_processors.site",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------------

DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections do not mix well with ASGI's thread pool; opt in explicitly.
DATABASES["default"]["CONN_MAX_AGE"] = env_number("DB_CONN_MAX_AGE", 0, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL only: a psycopg connection pool of at most this many connections per process,
# which is what Django recommends under ASGI instead of CONN_MAX_AGE. Without it every
# database call of a live socket (a reading a second) opens a new connection
# (docs/scaling.md measures both). 0 turns the pool off (and DB_CONN_MAX_AGE may be used).
DB_POOL_MAX_SIZE = env_number(
    "DB_POOL_MAX_SIZE", 0 if env_number("DB_CONN_MAX_AGE", 0, minimum=0) else 8, minimum=0
)
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    if DATABASES["default"]["CONN_MAX_AGE"]:
        raise ImproperlyConfigured("Use DB_CONN_MAX_AGE or DB_POOL_MAX_SIZE, not both.")
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and Celery ------------------------------------------------------

REDIS_URL = env_str("REDIS_URL", "")

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_TIME_LIMIT = env_number("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With acks_late, Redis hands a task whose worker died to another worker after this many
# seconds. Keep it above the longest task (the hard time limit) so live tasks are not re-sent.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_number(
        "CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 60, minimum=1
    ),
    # Look for such tasks every 10 s (kombu's default scans only every 100 s).
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}

if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # Single-process development and tests: no broker, tasks run where they are queued.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

# --- Authentication -----------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins after repeated failures, then defers to the model backend.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:visitor_home"
LOGOUT_REDIRECT_URL = "core:home"

AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_number("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_number("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# The version of the consent notice on /consent/. Raising it asks every visitor again; its
# text is templates/privacy/notices/v<N>.html (2: retention, who sees what, keep-clips opt-in).
CURRENT_CONSENT_VERSION = 2
# An open visit started less than this long ago is continued instead of starting a new one.
VISIT_REUSE_WINDOW = timedelta(hours=env_number("VISIT_REUSE_HOURS", 4, minimum=1))

# --- E-mail -------------------------------------------------------------------------------

# EMAIL_URL, e.g. smtp+tls://user:password@mail.example:587; unset prints mail to the console.
_email = env_email("EMAIL_URL")
EMAIL_BACKEND = _email.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "museum@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
CELERY_TIMEZONE = TIME_ZONE
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", BASE_DIR / "staticfiles", base_dir=BASE_DIR)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", BASE_DIR / "media", base_dir=BASE_DIR)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files need collectstatic; development and tests skip that step.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# --- Machine learning ---------------------------------------------------------------------

# The emotion model checkpoint, handed to the loader in ml/ as is. By default the int8 copy
# of ml/weights/emotion_cnn.pt (python -m ml.quantize): the same accuracy on val.npz at half
# the CPU time per face on x86 (MODEL_CARD.md). On ARM servers, where int8 runs on the slower
# QNNPACK kernels, point it at emotion_cnn.pt.
MODEL_FILE = env_path(
    "MODEL_FILE", BASE_DIR / "ml" / "weights" / "emotion_cnn_int8.pt", base_dir=BASE_DIR
)
# Load the model (and warm the inference threads) when the ASGI app starts, so the first
# visitor's first frame does not wait for it; /healthz says "loaded" once done.
LIVE_MODEL_PRELOAD = env_bool("LIVE_MODEL_PRELOAD", True)
# Threads that run the model for live camera frames, per process (default: one per core).
LIVE_INFERENCE_THREADS = env_number("LIVE_INFERENCE_THREADS", 0, minimum=0)
# Live camera sockets search the whole frame for faces only every this many frames and
# otherwise only around the faces of the previous frame (ml.inference.FaceTracker);
# 1 searches every frame in full (slower: see docs/scaling.md).
LIVE_FULL_DETECTION_EVERY = env_number("LIVE_FULL_DETECTION_EVERY", 10, minimum=1)
# While a camera shows no face, only every this many frames are searched (1: every frame).
LIVE_IDLE_DETECTION_EVERY = env_number("LIVE_IDLE_DETECTION_EVERY", 3, minimum=1)
# Smallest face searched for on the camera page, in percent of the frame's shorter side: a
# visitor in front of their own camera fills far more; smaller faces cost search time.
LIVE_MIN_FACE_PERCENT = env_number("LIVE_MIN_FACE_PERCENT", 20, minimum=1)
# A live frame that has waited longer than this for an inference thread is not analysed: the
# page is told "skipped" and sends its next frame. Under overload this sheds frames instead
# of queueing them, so every answer stays fresh (docs/scaling.md). 0: never skip. Fractions
# are allowed (0.5).
LIVE_MAX_FRAME_WAIT_MS = env_number("LIVE_MAX_FRAME_WAIT_MS", 60.0, minimum=0)

# --- Recommendations (recommendations/) ---------------------------------------------------

# Pages never aggregate raw readings: beat keeps exhibit fingerprints current every few
# minutes and rebuilds everything (fingerprints, popularity, neighbours) hourly (see
# CELERY_BEAT_SCHEDULE below).

# --- Recorded clips (emotions/clips.py) ---------------------------------------------------

# Largest upload accepted, in bytes; bigger requests are refused before they are read.
CLIP_MAX_BYTES = env_number("CLIP_MAX_BYTES", 100 * 1024 * 1024, minimum=1)
# Longest clip accepted, in seconds of video.
CLIP_MAX_SECONDS = env_number("CLIP_MAX_SECONDS", 300, minimum=1)
# Frames analysed per second of video.
CLIP_SAMPLE_FPS = env_number("CLIP_SAMPLE_FPS", 2, minimum=1)
# Private: outside MEDIA_ROOT, never served by URL. Files are deleted after analysis unless
# the visitor opted in to keep them.
CLIP_STORAGE_ROOT = env_path("CLIP_STORAGE_ROOT", BASE_DIR / "private" / "clips", base_dir=BASE_DIR)
# A worker renews its lease on a clip with each progress update; a lease older than this is
# stale (the worker died) and a redelivered task takes the clip over.
CLIP_LEASE_SECONDS = env_number("CLIP_LEASE_SECONDS", 60, minimum=5)

# --- Partner API (museum_site/api) --------------------------------------------------------

# Rate limits: <n>/<second|minute|hour|day> per partner key, per user, per anonymous address,
# and a second, smaller bucket for image analysis (each call runs the model).
REST_FRAMEWORK = {
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that requests without credentials get 401 with an Api-Key challenge.
        "museum_site.api.authentication.ApiKeyAuthentication",
        "museum_site.api.authentication.VisitorTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # enforces CSRF
    ],
    "DEFAULT_PERMISSION_CLASSES": ["museum_site.api.permissions.IsSignedInOrPartner"],
    "DEFAULT_THROTTLE_CLASSES": ["museum_site.api.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_RATE_ANON", "60/minute"),
        "user": env_str("API_RATE_USER", "300/minute"),
        "partner": env_str("API_RATE_PARTNER", "1200/minute"),
        "analyse": env_str("API_RATE_ANALYSE", "30/minute"),
    },
    "DEFAULT_PAGINATION_CLASS": "museum_site.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only: the browsable API needs inline scripts, which the CSP forbids.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "museum_site.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Collection, anonymous emotion aggregates, image analysis and visitors' "
    "own data. Partners authenticate with `Authorization: Api-Key <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EmotionEnum": "emotions.models.EMOTION_CHOICES",
        "ClipStatusEnum": "emotions.models.ClipStatus.choices",
        "CredentialStatusEnum": "museum_site.api.models.CREDENTIAL_STATUSES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "museum_site.api.schema.add_error_responses",
    ],
}
# Throttle counters must be shared by every process serving the API: Redis when configured.
API_THROTTLE_CACHE = "api-throttle"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    API_THROTTLE_CACHE: {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "api-throttle",
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "api-throttle",
    },
}
# Largest image POST /api/v1/analyse/ accepts (bytes); bigger ones get 413.
API_MAX_IMAGE_BYTES = env_number("API_MAX_IMAGE_BYTES", 5 * 1024 * 1024, minimum=1024)

# --- Privacy (museum_site/privacy) --------------------------------------------------------

# Retention: readings (and clip rows) older than this are deleted, clip videos after
# CLIPS_RETENTION_DAYS even when kept. Both appear in the consent notice.
READINGS_RETENTION_DAYS = env_number("READINGS_RETENTION_DAYS", 365, minimum=1)
CLIPS_RETENTION_DAYS = env_number("CLIPS_RETENTION_DAYS", 30, minimum=1)

# --- Staff reports (museum_site/reports) --------------------------------------------------

# k of the reports' privacy threshold: a group (exhibit, hall, day or week) with fewer distinct
# visitors than this is shown as hidden and left out of CSV exports.
REPORTS_MIN_GROUP_SIZE = env_number("REPORTS_MIN_GROUP_SIZE", 5, minimum=1)

# --- Periodic tasks (run `celery -A museum_site beat` beside the workers) ----------------

# One table for every app's schedule, so the whole periodic load is visible in one place.
CELERY_BEAT_SCHEDULE = {
    # Recommendations: fingerprints stay current, the whole model is rebuilt hourly.
    "recommendations-fingerprints": {
        "task": "recommendations.fingerprints_refresh",
        "schedule": timedelta(minutes=10),
    },
    "recommendations-rebuild": {"task": "recommendations.rebuild", "schedule": timedelta(hours=1)},
    # Reports: the daily rollup follows the readings, recent days often, every day hourly.
    "reports-rollup-recent": {
        "task": "reports.rollup_sync",
        "schedule": timedelta(minutes=5),
        "kwargs": {"days_back": 2},
    },
    "reports-rollup-all-days": {"task": "reports.rollup_sync", "schedule": timedelta(hours=1)},
    # Privacy: retention purge daily, at a quiet hour of the museum's time zone (CELERY_TIMEZONE).
    "privacy-purge-expired": {
        "task": "privacy.purge_expired",
        "schedule": crontab(hour=3, minute=17),
    },
}

# --- Security -----------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Sent by museum_site.privacy.middleware. No 'unsafe-inline': scripts and styles live in
# static files, data reaches them through data-* attributes or json_script.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "connect-src": ["'self'", "ws:", "wss:"],
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
# The camera only for our own pages; nothing here needs the microphone or location.
PERMISSIONS_POLICY = {
    "camera": ["self"],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_number("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("TRUST_X_FORWARDED_PROTO", False):
        # Only behind a proxy that sets this header itself and strips it from clients.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
