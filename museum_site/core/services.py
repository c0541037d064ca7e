"""Writes: every change to the core domain goes through these functions.

They are keyword-only, typed and named ``<entity>_<action>``. Each validates with
``full_clean()`` before saving, so callers (views, the admin-free management command, the
camera consumer, Celery tasks) get the same rules and the same ``ValidationError``s.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.text import slugify

from museum_site.core.models import Exhibit, Hall, Tag, Visit, VisitExhibit, VisitorProfile


def tag_normalise(name: str) -> str:
    """``"  Dutch   Golden Age "`` → ``"dutch golden age"``."""
    return " ".join(name.split()).lower()


def tag_get_or_create(*, name: str) -> Tag:
    name = tag_normalise(name)
    slug = slugify(name)
    if not name or not slug:
        raise ValidationError({"tags": f"{name!r} is not a usable tag."})
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        tag = Tag(name=name, slug=slug)
        tag.full_clean()
        tag.save()
    return tag


def hall_create(
    *,
    name: str,
    slug: str = "",
    description: str = "",
    floor: int = 0,
    ordering: int = 0,
) -> Hall:
    hall = Hall(
        name=name,
        slug=slug or slugify(name),
        description=description,
        floor=floor,
        ordering=ordering,
    )
    hall.full_clean()
    hall.save()
    return hall


@transaction.atomic
def exhibit_create(
    *,
    title: str,
    hall: Hall,
    description: str,
    slug: str = "",
    tags: Iterable[str] = (),
    artist: str = "",
    year: int | None = None,
    image: File | None = None,
    active: bool = True,
) -> Exhibit:
    exhibit = Exhibit(
        title=title,
        slug=slug or slugify(title),
        description=description,
        hall=hall,
        artist=artist,
        year=year,
        active=active,
    )
    if image is not None:
        exhibit.image = image
    exhibit.full_clean()
    exhibit.save()
    exhibit_set_tags(exhibit=exhibit, tags=tags)
    return exhibit


@transaction.atomic
def exhibit_set_tags(*, exhibit: Exhibit, tags: Iterable[str]) -> list[Tag]:
    """Replace the exhibit's tags with ``tags`` (names, normalised and deduplicated)."""
    wanted = {tag_normalise(name) for name in tags if tag_normalise(name)}
    tag_objects = [tag_get_or_create(name=name) for name in sorted(wanted)]
    exhibit.tags.set(tag_objects)
    return tag_objects


@transaction.atomic
def user_sign_up(
    *, username: str, email: str, password: str, display_name: str = ""
) -> AbstractBaseUser:
    """Create a visitor account: the user and its profile, together or not at all."""
    user_model = get_user_model()
    user = user_model(username=username, email=user_model.objects.normalize_email(email))
    user.set_password(password)
    user.full_clean()
    user.save()
    visitor_profile_get_or_create(user=user, display_name=display_name)
    return user


def visitor_profile_get_or_create(
    *, user: AbstractBaseUser, display_name: str = ""
) -> VisitorProfile:
    """Return the user's profile, creating it on first use.

    Accounts made outside the sign-up form (``createsuperuser``, the admin) get theirs the
    first time they reach a page that needs it. ``display_name`` only applies to a new
    profile; an existing one keeps its name.
    """
    profile, created = VisitorProfile.objects.get_or_create(
        user=user, defaults={"display_name": display_name.strip()}
    )
    if created:
        profile.full_clean()
    return profile


def consent_give(
    *,
    profile: VisitorProfile,
    version: int | None = None,
    keep_media: bool | None = None,
    now: datetime | None = None,
) -> VisitorProfile:
    """Record that the visitor agreed to consent notice ``version`` (default: current).

    ``keep_media`` is a separate opt-in; ``None`` leaves the stored choice unchanged. Pages
    and APIs call ``museum_site.privacy.services.consent_grant``, which wraps this one and
    records the consent history with the hash of the notice text.
    """
    current = settings.CURRENT_CONSENT_VERSION
    version = current if version is None else version
    if not 1 <= version <= current:
        raise ValidationError({"consent_version": f"Unknown consent notice version {version}."})
    profile.consent_version = version
    profile.consent_given_at = now or timezone.now()
    profile.consent_withdrawn_at = None
    if keep_media is not None:
        profile.keep_media = keep_media
    profile.full_clean()
    profile.save(
        update_fields=["consent_version", "consent_given_at", "consent_withdrawn_at", "keep_media"]
    )
    return profile


def consent_withdraw(*, profile: VisitorProfile, now: datetime | None = None) -> VisitorProfile:
    """Withdraw consent. The date of the last agreement stays on record.

    Withdrawing also drops the ``keep_media`` opt-in. Pages and APIs call
    ``museum_site.privacy.services.consent_revoke`` instead, which wraps this one, records the
    history, closes open camera sockets, cancels pending clips and deletes stored clip videos.
    """
    profile.consent_withdrawn_at = now or timezone.now()
    profile.keep_media = False
    profile.full_clean()
    profile.save(update_fields=["consent_withdrawn_at", "keep_media"])
    return profile


@transaction.atomic
def visit_start(
    *, visitor: VisitorProfile, exhibit: Exhibit | None = None, now: datetime | None = None
) -> Visit:
    """Return the visitor's current visit, starting one if needed.

    An open visit that started within ``settings.VISIT_REUSE_WINDOW`` is continued, so
    reopening the camera at the next exhibit stays one visit. Older open visits (the
    visitor left without ending them) are closed at their last recorded activity.
    With ``exhibit``, the exhibit is recorded as seen (no dwell time yet).
    """
    now = now or timezone.now()
    # Lock the profile so that two tabs starting at once end up sharing one visit.
    VisitorProfile.objects.select_for_update().only("pk").get(pk=visitor.pk)
    reuse_after = now - settings.VISIT_REUSE_WINDOW

    visit = None
    for candidate in Visit.objects.filter(visitor=visitor, ended_at__isnull=True).order_by(
        "-started_at"
    ):
        if visit is None and candidate.started_at >= reuse_after:
            visit = candidate
        else:
            _visit_close_stale(candidate)

    if visit is None:
        visit = Visit(visitor=visitor, started_at=now)
        visit.full_clean()
        visit.save()
    if exhibit is not None:
        visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=0, now=now)
    return visit


def _visit_close_stale(visit: Visit) -> None:
    last_seen = visit.visit_exhibits.aggregate(last=Max("last_seen"))["last"]
    visit.ended_at = max(last_seen or visit.started_at, visit.started_at)
    visit.save(update_fields=["ended_at"])


@transaction.atomic
def visit_record_exhibit(
    *, visit: Visit, exhibit: Exhibit, seconds: int, now: datetime | None = None
) -> VisitExhibit:
    """Add ``seconds`` of dwell time at ``exhibit`` to an open visit.

    Safe under concurrency: the increment happens in the database (``F()``), and the
    unique (visit, exhibit) constraint keeps one row per exhibit and visit.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ValidationError({"seconds": "Dwell time must be a whole, non-negative number."})
    now = now or timezone.now()
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    if not locked.is_open:
        raise ValidationError("This visit has ended; start a new one.")

    stop, created = VisitExhibit.objects.get_or_create(
        visit=locked,
        exhibit=exhibit,
        defaults={"first_seen": now, "last_seen": now, "dwell_seconds": seconds},
    )
    if not created:
        VisitExhibit.objects.filter(pk=stop.pk).update(
            dwell_seconds=F("dwell_seconds") + seconds,
            last_seen=Greatest(F("last_seen"), Value(now)),
        )
        stop.refresh_from_db()
    return stop


@transaction.atomic
def visit_end(*, visit: Visit, now: datetime | None = None) -> Visit:
    """End the visit at ``now`` (default: the current time). Ending twice is a no-op."""
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    if locked.ended_at is None:
        locked.ended_at = max(now or timezone.now(), locked.started_at)
        locked.full_clean()
        locked.save(update_fields=["ended_at"])
    visit.ended_at = locked.ended_at
    return visit
