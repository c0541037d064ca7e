"""Reads: the consent notice and its history, the retention policy and the model card."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from emotions.models import Clip
from museum_site.core.models import VisitorProfile
from museum_site.privacy.checks import notice_template_name
from museum_site.privacy.models import ConsentRecord


@dataclass(frozen=True)
class RetentionPolicy:
    readings_days: int
    clips_days: int


def retention_policy() -> RetentionPolicy:
    return RetentionPolicy(
        readings_days=settings.READINGS_RETENTION_DAYS,
        clips_days=settings.CLIPS_RETENTION_DAYS,
    )


@dataclass(frozen=True)
class ConsentNotice:
    """One version of the consent notice as a visitor reads it, and the hash of that text."""

    version: int
    html: SafeString
    sha256: str


def consent_notice(*, version: int | None = None) -> ConsentNotice:
    """The notice ``version`` (default: the current one), rendered with today's settings.

    The retention periods are part of the text, so the hash changes when they do: a consent
    record then proves exactly what the visitor was told.
    """
    version = settings.CURRENT_CONSENT_VERSION if version is None else version
    html = render_to_string(
        notice_template_name(version),
        {
            "site_name": settings.SITE_NAME,
            "retention": retention_policy(),
            "consent_version": version,
        },
    )
    normalised = " ".join(html.split())
    return ConsentNotice(
        version=version,
        html=mark_safe(html),  # noqa: S308 - our own template's autoescaped output
        sha256=hashlib.sha256(normalised.encode()).hexdigest(),
    )


def consent_history_for(*, profile: VisitorProfile) -> QuerySet[ConsentRecord]:
    """The visitor's consent records, oldest first."""
    return ConsentRecord.objects.filter(visitor=profile).order_by("recorded_at", "pk")


def clip_storage_folder() -> str | None:
    """The folder of the clip storage that holds only clips, if one can be told.

    ``""`` when clips have a storage of their own (``PrivateClipStorage``, outside
    MEDIA_ROOT); the fixed upload folder (``clips`` for ``clips/%Y/%m/``) when they share
    the media storage; ``None`` when neither is known, and then nothing may be swept.
    """
    file_field = Clip._meta.get_field("file")
    location = getattr(file_field.storage, "location", None)
    if location is not None and Path(location).resolve() != Path(settings.MEDIA_ROOT).resolve():
        return ""
    if callable(file_field.upload_to):
        return None
    return file_field.upload_to.split("%", 1)[0].strip("/") or None


# --- Model card ---------------------------------------------------------------------------

LIMIT_HEADINGS = re.compile(r"limit|caveat|bias|risk|out of scope|not (?:meant|intended)", re.I)
FIGURE_LINE = re.compile(r"\b(?:accuracy|macro[- ]?f1|f1|precision|recall)\b.*\d", re.I)
MAX_KEY_FIGURES = 8


@dataclass(frozen=True)
class ModelCard:
    """``MODEL_CARD.md`` beside the model weights, parsed for the transparency page.

    The card belongs to whoever trains the model and changes with each new checkpoint, so it
    is read when asked for rather than copied into templates.
    """

    path: Path
    updated_at: datetime
    html: SafeString
    key_figures: list[str] = field(default_factory=list)
    limits_html: SafeString = mark_safe("")


def model_card_path() -> Path:
    return Path(settings.MODEL_FILE).with_name("MODEL_CARD.md")


def model_card() -> ModelCard | None:
    """The current model card, or ``None`` if there is none (yet)."""
    path = model_card_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    # Parsed once per version of the file: the stat above is all a request costs.
    return _model_card_parse(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _model_card_parse(path: str, mtime_ns: int, size: int) -> ModelCard | None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    sections = _markdown_sections(text)
    limits = "\n".join(
        f"## {title}\n{body}" for title, body in sections if title and LIMIT_HEADINGS.search(title)
    )
    return ModelCard(
        path=Path(path),
        updated_at=datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC),
        html=_markdown_html(text),
        key_figures=_key_figures(text),
        limits_html=_markdown_html(limits) if limits else mark_safe(""),
    )


def _markdown_html(text: str) -> SafeString:
    from markdown_it import MarkdownIt

    # Raw HTML off: the card is shown as text and links, never as markup of its own.
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    return mark_safe(renderer.render(text))  # noqa: S308 - markdown-it escapes; html is off


def _markdown_sections(text: str) -> list[tuple[str, str]]:
    """``[(heading, body), ...]``; text before the first heading has the heading ``""``."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        heading = None if in_fence else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            sections.append((heading.group(1), []))
        else:
            sections[-1][1].append(line)
    return [(title, "\n".join(lines).strip()) for title, lines in sections]


def _key_figures(text: str) -> list[str]:
    """Lines that state a metric with a number, cleaned of Markdown punctuation."""
    figures: list[str] = []
    for line in text.splitlines():
        if not FIGURE_LINE.search(line) or re.fullmatch(r"[\s|:-]*", line):
            continue
        cleaned = re.sub(r"[*`_#>]", "", line)
        cleaned = " ".join(part.strip() for part in cleaned.split("|") if part.strip())
        cleaned = re.sub(r"^\s*[-+]\s+", "", cleaned).strip()
        if cleaned and cleaned not in figures:
            figures.append(cleaned)
        if len(figures) == MAX_KEY_FIGURES:
            break
    return figures
