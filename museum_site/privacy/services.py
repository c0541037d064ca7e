"""Writes for privacy: consent with its history, data export, erasure and retention.

Decisions (README.md, "Privacy"):

- Withdrawing consent stops analysis at once: open camera sockets of the visitor are told to
  close, clips not yet analysed are cancelled, and stored clip videos are deleted (the keep
  opt-in goes with the consent). Past readings stay in the visitor's diary until they erase
  their account.
- Erasure deletes the account, profile, visits, clips (videos first), consent history, sign-in
  records and anything else that points at the visitor. Live readings are not deleted but
  irreversibly anonymised, so that curators' aggregates keep their history: visitor and visit
  become empty and the time is cut to the hour, so a row cannot be re-linked to a person
  through the timestamps of their visit. Clip readings go with their clip (a clip reading
  without its clip is not allowed by the readings table).
- Retention: readings older than ``READINGS_RETENTION_DAYS`` are deleted, clip videos older
  than ``CLIPS_RETENTION_DAYS`` (even kept ones), and clip rows, being emotion records
  themselves, with the readings' retention. Files always go before rows: a crash in between
  leaves a row without its video, never a video without its row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from emotions.models import Clip, ClipStatus, EmotionReading
from ml import EMOTIONS
from museum_site.core import services as core_services
from museum_site.core.models import Visit, VisitExhibit, VisitorProfile
from museum_site.privacy import selectors
from museum_site.privacy.models import ConsentAction, ConsentRecord
from museum_site.privacy.signals import storage_delete_quietly

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "museum-visitor-export/1"
# Fields whose values are credentials (or hashes of them): exported as "(hidden)".
SECRET_FIELD_NAMES = frozenset({"password", "key", "token", "secret"})
SECRET_FIELD_SUFFIXES = ("_hash", "_digest", "_secret", "password")
# A clip file younger than this with no row is probably an upload being saved: leave it.
ORPHAN_FILE_GRACE = timedelta(days=1)
CLIP_UNFINISHED = (ClipStatus.UPLOADED, ClipStatus.QUEUED, ClipStatus.PROCESSING)


# --- Consent ------------------------------------------------------------------------------


@transaction.atomic
def consent_grant(
    *,
    profile: VisitorProfile,
    keep_media: bool = False,
    notice_sha256: str | None = None,
    now: datetime | None = None,
) -> ConsentRecord:
    """Record the visitor's consent to the current notice, with the hash of its text.

    ``notice_sha256`` is the hash of the notice the visitor was shown; if the notice has
    changed since (new version, new retention periods) this raises ``ValidationError`` with
    code ``notice_changed`` and records nothing, so nobody agrees to a text they did not see.
    Turning ``keep_media`` off deletes the clip videos kept so far.
    """
    notice = selectors.consent_notice()
    if notice_sha256 is not None and notice_sha256 != notice.sha256:
        raise ValidationError(
            "The notice changed while you were reading it. Please read it again.",
            code="notice_changed",
        )
    now = now or timezone.now()
    profile = _profile_lock(profile)
    core_services.consent_give(profile=profile, keep_media=keep_media, now=now)
    if not keep_media:
        _clips_drop_kept_media(profile=profile)
    record = ConsentRecord(
        visitor=profile,
        action=ConsentAction.GIVEN,
        version=notice.version,
        notice_sha256=notice.sha256,
        keep_media=keep_media,
        recorded_at=now,
    )
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def consent_revoke(*, profile: VisitorProfile, now: datetime | None = None) -> ConsentRecord:
    """Withdraw consent and stop every analysis of the visitor at once.

    After commit, the visitor's open camera sockets are told to close. Clips not analysed
    yet are cancelled and every stored clip video of the visitor is deleted.
    """
    now = now or timezone.now()
    profile = _profile_lock(profile)
    withdrawn_version = profile.consent_version
    core_services.consent_withdraw(profile=profile, now=now)
    _clips_cancel_unfinished(profile=profile, now=now, reason="you withdrew your consent")
    _clips_drop_kept_media(profile=profile, finished_only=False)
    record = ConsentRecord(
        visitor=profile,
        action=ConsentAction.WITHDRAWN,
        version=withdrawn_version,
        keep_media=False,
        recorded_at=now,
    )
    record.full_clean()
    record.save()
    profile_id = profile.pk
    transaction.on_commit(lambda: live_stop(profile_id=profile_id))
    return record


def live_stop(*, profile_id: int) -> None:
    """Tell the visitor's open camera sockets to close (channel group ``visitor-<id>``).

    Uses the camera feature's ``live_notify_consent_withdrawn`` when it exists. A channel
    layer that cannot be reached is logged rather than raised: consent is already withdrawn
    in the database, and the camera consumer re-reads it before every write.
    """
    from emotions import services as emotion_services

    notify = getattr(emotion_services, "live_notify_consent_withdrawn", None)
    try:
        if notify is not None:
            notify(profile=VisitorProfile(pk=profile_id))
        else:
            from channels.layers import get_channel_layer

            layer = get_channel_layer()
            if layer is not None:
                async_to_sync(layer.group_send)(
                    f"visitor-{profile_id}", {"type": "consent.withdrawn"}
                )
    except Exception:
        logger.exception("Could not notify the camera sockets of visitor %s", profile_id)


def _profile_lock(profile: VisitorProfile) -> VisitorProfile:
    """Lock the profile row (serialises concurrent consent changes) and refresh ``profile``."""
    locked = VisitorProfile.objects.select_for_update().get(pk=profile.pk)
    for name in ("consent_version", "consent_given_at", "consent_withdrawn_at", "keep_media"):
        setattr(profile, name, getattr(locked, name))
    return profile


def _clips_cancel_unfinished(*, profile: VisitorProfile, now: datetime, reason: str) -> int:
    # Emptying the lease makes a worker still analysing the clip drop its results
    # (emotions.clips raises ClipLeaseLost on its next progress update or at the end).
    return Clip.objects.filter(visitor=profile, status__in=CLIP_UNFINISHED).update(
        status=ClipStatus.FAILED,
        error=f"Cancelled: {reason}.",
        finished_at=now,
        lease_token=None,
        heartbeat_at=None,
    )


def _clips_drop_kept_media(*, profile: VisitorProfile, finished_only: bool = True) -> int:
    """Delete the visitor's stored clip videos (files first) and clear the keep flags.

    With ``finished_only``, videos still waiting for analysis stay: they go after analysis.
    """
    clips = Clip.objects.filter(visitor=profile)
    if finished_only:
        clips = clips.exclude(status__in=CLIP_UNFINISHED)
    deleted = _clip_files_delete(clips)
    clips.filter(keep_file=True).update(keep_file=False)
    return deleted


def _clip_files_delete(clips: models.QuerySet[Clip]) -> int:
    """Delete the files of ``clips``, then empty their ``file`` field. Returns files deleted."""
    deleted, emptied = 0, []
    for clip in clips.exclude(file="").only("pk", "file").iterator():
        deleted += storage_delete_quietly(clip.file.storage, clip.file.name)
        if not clip.file.storage.exists(clip.file.name):
            emptied.append(clip.pk)
    Clip.objects.filter(pk__in=emptied).update(file="")
    return deleted


# --- Export -------------------------------------------------------------------------------


def visitor_export(*, profile: VisitorProfile) -> dict[str, Any]:
    """Everything stored about the visitor, as a JSON-ready dict (data portability).

    Known data gets a readable layout; any other model that points at the profile or the
    user (recommendation feedback, API tokens, whatever later features add) is found through
    the reverse relations and exported field by field under ``"other"``, with credentials
    hidden and files named rather than embedded.
    """
    user = profile.user
    exported = {
        "format": EXPORT_FORMAT,
        "generated_at": _json_value(timezone.now()),
        "site": settings.SITE_NAME,
        "account": {
            "username": user.get_username(),
            "email": getattr(user, "email", ""),
            "first_name": getattr(user, "first_name", ""),
            "last_name": getattr(user, "last_name", ""),
            "date_joined": _json_value(getattr(user, "date_joined", None)),
            "last_login": _json_value(user.last_login),
        },
        "profile": {
            "display_name": profile.display_name,
            "consent_version": profile.consent_version,
            "consent_given_at": _json_value(profile.consent_given_at),
            "consent_withdrawn_at": _json_value(profile.consent_withdrawn_at),
            "has_current_consent": profile.has_current_consent(),
            "keep_media": profile.keep_media,
            "preferences": profile.preferences,
            "created_at": _json_value(profile.created_at),
        },
        "consents": [
            {
                "action": record.action,
                "version": record.version,
                "notice_sha256": record.notice_sha256,
                "keep_media": record.keep_media,
                "recorded_at": _json_value(record.recorded_at),
            }
            for record in selectors.consent_history_for(profile=profile)
        ],
        "visits": _export_visits(profile),
        "emotion_readings": list(_export_readings(profile)),
        "clips": _export_clips(profile),
        "recommendations": _export_recommendations(profile),
        "partner_access": _export_partner_grants(profile),
        "api_tokens": _export_api_tokens(user),
    }
    handled = {ConsentRecord, Visit, VisitExhibit, EmotionReading, Clip, VisitorProfile}
    handled |= {model for model in map(_model_or_none, KNOWN_RELATED_MODELS) if model}
    exported["other"] = _export_related(profile, user, handled=handled)
    return exported


# Models of other features with a readable layout below; the generic export is the fallback.
KNOWN_RELATED_MODELS = (
    "recommendations.VisitorExhibitFeedback",
    "api.PartnerGrant",
    "api.VisitorToken",
)


def _model_or_none(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _export_recommendations(profile: VisitorProfile) -> dict[str, Any]:
    """The visitor's feedback on exhibits and the exhibits recommended to them now."""
    feedback_model = _model_or_none("recommendations.VisitorExhibitFeedback")
    feedback = []
    if feedback_model is not None:
        rows = feedback_model.objects.filter(visitor=profile).select_related("exhibit")
        feedback = [
            {
                "exhibit": row.exhibit.slug,
                "rating": row.rating,
                "hidden": row.hidden,
                "created_at": _json_value(row.created_at),
                "updated_at": _json_value(row.updated_at),
            }
            for row in rows.order_by("created_at", "pk")
        ]
    current: list[dict[str, Any]] | None = []
    try:
        from recommendations.selectors import exhibit_recommendations_for
    except ImportError:
        exhibit_recommendations_for = None
    if exhibit_recommendations_for is not None:
        try:
            current = [
                {
                    "exhibit": item.exhibit.slug,
                    "title": item.exhibit.title,
                    "score": item.score,
                    "reason": item.reason.text,
                }
                for item in exhibit_recommendations_for(visitor=profile, limit=10)
            ]
        except Exception:
            # Derived data: the visitor still gets everything stored about them.
            logger.exception("Recommendations for visitor %s failed in an export", profile.pk)
            current = None
    return {"feedback": feedback, "current": current}


def _export_partner_grants(profile: VisitorProfile) -> list[dict[str, Any]]:
    """Which partner applications the visitor let read their data, and when."""
    model = _model_or_none("api.PartnerGrant")
    if model is None:
        return []
    grants = model.objects.filter(visitor=profile).select_related("api_key")
    return [
        {
            "partner": grant.api_key.name,
            "granted_at": _json_value(grant.granted_at),
            "revoked_at": _json_value(grant.revoked_at),
        }
        for grant in grants.order_by("granted_at", "pk")
    ]


def _export_api_tokens(user: AbstractBaseUser) -> list[dict[str, Any]]:
    """Personal API tokens: names and dates; the secret is never stored, its hash not shown."""
    model = _model_or_none("api.VisitorToken")
    if model is None:
        return []
    return [
        {
            "name": token.name,
            "prefix": token.prefix,
            "created_at": _json_value(token.created_at),
            "last_used_at": _json_value(token.last_used_at),
            "expires_at": _json_value(token.expires_at),
            "revoked_at": _json_value(token.revoked_at),
        }
        for token in model.objects.filter(user=user).order_by("created_at", "pk")
    ]


def _export_visits(profile: VisitorProfile) -> list[dict[str, Any]]:
    stops = VisitExhibit.objects.select_related("exhibit").order_by("first_seen", "pk")
    visits = (
        Visit.objects.filter(visitor=profile)
        .prefetch_related(models.Prefetch("visit_exhibits", queryset=stops))
        .order_by("started_at", "pk")
    )
    return [
        {
            "id": visit.pk,
            "started_at": _json_value(visit.started_at),
            "ended_at": _json_value(visit.ended_at),
            "exhibits": [
                {
                    "exhibit": stop.exhibit.slug,
                    "title": stop.exhibit.title,
                    "first_seen": _json_value(stop.first_seen),
                    "last_seen": _json_value(stop.last_seen),
                    "dwell_seconds": stop.dwell_seconds,
                }
                for stop in visit.visit_exhibits.all()
            ],
        }
        for visit in visits
    ]


def _export_readings(profile: VisitorProfile) -> Iterator[dict[str, Any]]:
    columns = ["recorded_at", "exhibit__slug", "visit_id", "source", "clip_id", "offset_seconds"]
    columns += ["label", "confidence", "face_count", "frame_count", *EMOTIONS]
    rows = (
        EmotionReading.objects.filter(visitor=profile)
        .order_by("recorded_at", "pk")
        .values(*columns)
    )
    for row in rows.iterator(chunk_size=2000):
        yield {
            "recorded_at": _json_value(row["recorded_at"]),
            "exhibit": row["exhibit__slug"],
            "visit": row["visit_id"],
            "source": row["source"],
            "clip": row["clip_id"],
            "offset_seconds": row["offset_seconds"],
            "label": row["label"],
            "confidence": row["confidence"],
            "faces": row["face_count"],
            "frames": row["frame_count"],
            "probabilities": {name: row[name] for name in EMOTIONS},
        }


def _export_clips(profile: VisitorProfile) -> list[dict[str, Any]]:
    clips = Clip.objects.filter(visitor=profile).select_related("exhibit").order_by("created_at")
    return [
        {
            "id": clip.pk,
            "exhibit": clip.exhibit.slug,
            "visit": clip.visit_id,
            "original_name": clip.original_name,
            "size_bytes": clip.size_bytes,
            "duration_seconds": clip.duration_seconds,
            # The video itself is not part of the export: it is not data about the visitor
            # we derived, and a kept video can be downloaded from the clip page.
            "video_stored": bool(clip.file),
            "keep_file": clip.keep_file,
            "status": clip.status,
            "progress": clip.progress,
            "error": clip.error,
            "timeline": clip.timeline,
            "created_at": _json_value(clip.created_at),
            "started_at": _json_value(clip.started_at),
            "finished_at": _json_value(clip.finished_at),
        }
        for clip in clips
    ]


def _export_related(
    profile: VisitorProfile, user: AbstractBaseUser, *, handled: set[type[models.Model]]
) -> dict[str, list[dict[str, Any]]]:
    """Rows of every other model that points at ``profile`` or ``user``, by model label."""
    found: dict[str, list[dict[str, Any]]] = {}
    for owner in (profile, user):
        for relation in owner._meta.related_objects:
            model = relation.related_model
            if model in handled or relation.field.model is not model:
                continue
            rows = model._default_manager.filter(**{relation.field.name: owner}).order_by("pk")
            exported = [_export_row(row, skip={relation.field.name}) for row in rows]
            if exported:
                found.setdefault(model._meta.label_lower, []).extend(exported)
    return found


def _export_row(row: models.Model, *, skip: Iterable[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for model_field in row._meta.concrete_fields:
        if model_field.name in skip:
            continue
        value = model_field.value_from_object(row)
        key = model_field.attname
        if _is_secret_field(model_field.name):
            data[key] = "(hidden)" if value else value
        elif isinstance(model_field, models.FileField):
            data[key] = {"name": value.name.rsplit("/", 1)[-1], "stored": True} if value else None
        elif isinstance(model_field, models.BinaryField):
            data[key] = f"({len(value or b'')} bytes of binary data, not exported)"
        else:
            data[key] = _json_value(value)
    for many in row._meta.many_to_many:
        data[many.name] = [str(item) for item in getattr(row, many.name).all()]
    return data


def _is_secret_field(name: str) -> bool:
    name = name.lower()
    return name in SECRET_FIELD_NAMES or name.endswith(SECRET_FIELD_SUFFIXES)


_encoder = DjangoJSONEncoder()


def _json_value(value: Any) -> Any:
    """A JSON-native value (datetimes as ISO 8601, decimals and UUIDs as strings)."""
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return _encoder.default(value)


# --- Erasure ------------------------------------------------------------------------------


@dataclass
class ErasureReport:
    username: str
    readings_anonymised: int = 0
    clip_files_deleted: int = 0
    rows_deleted: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def visitor_erase(*, profile: VisitorProfile) -> ErasureReport:
    """Erase the visitor's account and personal data (right to erasure). Irreversible.

    Staff accounts are refused (``ValidationError``): their admin history must stay
    accountable; an administrator removes them through the Users admin.
    """
    user = profile.user
    if user.is_staff or user.is_superuser:
        raise ValidationError(
            "Staff accounts cannot be erased here; ask an administrator to remove them.",
            code="staff",
        )
    report = ErasureReport(username=user.get_username())
    profile_id = profile.pk
    # Stop any analysis first so that nothing new is written while we erase.
    _clips_cancel_unfinished(profile=profile, now=timezone.now(), reason="the account is erased")
    report.clip_files_deleted = _clip_files_delete(Clip.objects.filter(visitor=profile))
    with transaction.atomic():
        VisitorProfile.objects.select_for_update().filter(pk=profile_id).get()
        report.readings_anonymised = readings_anonymise(
            readings=EmotionReading.objects.filter(
                Q(visitor_id=profile_id) | Q(visit__visitor_id=profile_id), clip__isnull=True
            )
        )
        report.rows_deleted = _sign_in_records_delete(report.username)
        _, deleted = user.delete()  # cascades: profile, visits, clips, consents, tokens, ...
        for label, count in deleted.items():
            if count:
                report.rows_deleted[label] = report.rows_deleted.get(label, 0) + count
        transaction.on_commit(lambda: live_stop(profile_id=profile_id))
    logger.info("Erased visitor profile %s: %s", profile_id, report.rows_deleted)
    return report


def readings_anonymise(*, readings: models.QuerySet[EmotionReading]) -> int:
    """Cut readings loose from any person, for good; returns how many.

    Visitor and visit are emptied and the time is truncated to the hour (UTC), so a reading
    cannot be matched to a visit or a camera session by its timestamp. What stays is
    "someone looked this way at this exhibit in this hour", which is what aggregates need.
    """
    return readings.update(
        visitor=None,
        visit=None,
        offset_seconds=None,
        recorded_at=TruncHour("recorded_at", tzinfo=timezone.get_fixed_timezone(0)),
    )


def _sign_in_records_delete(username: str) -> dict[str, int]:
    """django-axes keeps sign-in attempts by username and IP address: personal data too."""
    deleted: dict[str, int] = {}
    if not apps.is_installed("axes"):
        return deleted
    for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
        try:
            model = apps.get_model("axes", name)
        except LookupError:
            continue
        count, _ = model.objects.filter(username=username).delete()
        if count:
            deleted[model._meta.label] = count
    return deleted


# --- Retention ----------------------------------------------------------------------------


@dataclass
class PurgeReport:
    readings_deleted: int = 0
    clip_files_deleted: int = 0
    clips_expired_unanalysed: int = 0
    clips_deleted: int = 0
    orphan_files_deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def purge_expired(*, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete what is past its retention period; with ``dry_run``, only count it.

    - clip videos older than ``CLIPS_RETENTION_DAYS``, kept or not (files first, then the
      field is emptied); clips never analysed by then are marked failed;
    - readings older than ``READINGS_RETENTION_DAYS``, and clip rows of that age (their
      per-second summary and readings are emotion records like any other);
    - files in the clip storage that no clip row names, once a day old.
    """
    now = now or timezone.now()
    policy = selectors.retention_policy()
    readings_cutoff = now - timedelta(days=policy.readings_days)
    clips_cutoff = now - timedelta(days=policy.clips_days)
    report = PurgeReport()

    # A clip row outliving the video's retention keeps no video; one going earlier neither.
    files_cutoff = max(clips_cutoff, readings_cutoff)
    old_files = Clip.objects.filter(created_at__lt=files_cutoff).exclude(file="")
    stale = Clip.objects.filter(created_at__lt=clips_cutoff, status__in=CLIP_UNFINISHED)
    old_readings = EmotionReading.objects.filter(recorded_at__lt=readings_cutoff)
    old_clips = Clip.objects.filter(created_at__lt=readings_cutoff)
    if dry_run:
        report.clip_files_deleted = old_files.count()
        report.clips_expired_unanalysed = stale.count()
        report.readings_deleted = old_readings.count()
        report.clips_deleted = old_clips.count()
        report.orphan_files_deleted = len(_clip_orphan_files(now=now))
        return report

    report.clip_files_deleted = _clip_files_delete(old_files)
    Clip.objects.filter(created_at__lt=files_cutoff, keep_file=True).update(keep_file=False)
    report.clips_expired_unanalysed = stale.update(
        status=ClipStatus.FAILED,
        error="Not analysed within the retention period; the video was deleted.",
        finished_at=now,
        lease_token=None,
        heartbeat_at=None,
    )
    with transaction.atomic():
        report.readings_deleted = old_readings.delete()[0]
        deleted = old_clips.delete()[1]
        report.clips_deleted = deleted.get(Clip._meta.label, 0)
        report.readings_deleted += deleted.get(EmotionReading._meta.label, 0)
    for name in _clip_orphan_files(now=now):
        report.orphan_files_deleted += storage_delete_quietly(_clip_storage(), name)
    logger.info("Purged expired data: %s", report.as_dict())
    return report


def _clip_storage():
    return Clip._meta.get_field("file").storage


def _clip_orphan_files(*, now: datetime) -> list[str]:
    # Never sweep a whole storage (no fixed clip folder): it may hold files that are not clips.
    root = selectors.clip_storage_folder()
    storage = _clip_storage()
    if root is None or not storage.exists(root):
        return []
    known = set(Clip.objects.exclude(file="").values_list("file", flat=True))
    orphans = []
    for name in _storage_walk(storage, root):
        if name in known:
            continue
        try:
            modified = storage.get_modified_time(name)
        except (OSError, NotImplementedError):
            continue
        if modified < now - ORPHAN_FILE_GRACE:
            orphans.append(name)
    return orphans


def _storage_walk(storage, folder: str) -> Iterator[str]:
    folders, files = storage.listdir(folder)
    prefix = f"{folder}/" if folder else ""
    for name in files:
        yield prefix + name
    for sub in folders:
        yield from _storage_walk(storage, prefix + sub)
