"""The consent history: every time a visitor gave or withdrew consent, never edited.

``VisitorProfile`` keeps only the current state (version, given, withdrawn). This table keeps
the proof behind it: which notice version, the SHA-256 of the exact notice text shown, the
keep-clips choice and when. It is append-only: rows are created by
``privacy.services.consent_grant`` / ``consent_revoke`` and removed only with the visitor
(account erasure cascades).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from museum_site.core.models import VisitorProfile


class ConsentAction(models.TextChoices):
    GIVEN = "given", "Consent given"
    WITHDRAWN = "withdrawn", "Consent withdrawn"


class AppendOnlyError(Exception):
    """Raised on an attempt to change a row of an append-only history."""


class ConsentRecordQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Consent records are append-only; add a new record instead.")


class ConsentRecord(models.Model):
    visitor = models.ForeignKey(
        VisitorProfile,
        on_delete=models.CASCADE,
        related_name="consent_records",
        help_text="Whose consent this is; the history goes when the account is erased.",
    )
    action = models.CharField(max_length=10, choices=ConsentAction.choices)
    version = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Notice version agreed to (given), or the one withdrawn from; empty if the "
        "visitor withdrew without ever agreeing.",
    )
    notice_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the notice text shown when consent was given.",
    )
    keep_media = models.BooleanField(
        default=False, help_text="The keep-clips opt-in as it stood after this action."
    )
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        db_table = "privacy_consentrecord"
        ordering = ["recorded_at", "pk"]
        verbose_name = "consent record"
        indexes = [
            models.Index(fields=["visitor", "recorded_at"], name="privacy_consent_visitor_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=ConsentAction.values), name="privacy_consent_action_valid"
            ),
            # Giving consent always names the version and the exact text agreed to.
            models.CheckConstraint(
                condition=Q(action=ConsentAction.WITHDRAWN)
                | Q(
                    version__isnull=False,
                    version__gte=1,
                    notice_sha256__regex=r"^[0-9a-f]{64}$",
                ),
                name="privacy_consent_given_names_notice",
            ),
            # A withdrawal drops the keep-clips opt-in (core.services.consent_withdraw).
            models.CheckConstraint(
                condition=Q(action=ConsentAction.GIVEN) | Q(keep_media=False),
                name="privacy_consent_withdrawn_keeps_nothing",
            ),
        ]

    def __str__(self) -> str:
        version = f" v{self.version}" if self.version else ""
        return f"{self.get_action_display()}{version} at {self.recorded_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Consent records are append-only; add a new record instead.")
        super().save(*args, **kwargs)
