"""Privacy holds however a row is deleted: by the services here, the admin's delete action or
the cascade from a deleted user.

- A clip's video goes with its row, once the deletion is committed (a rolled-back deletion
  keeps it); without this, deleting an account in the admin would leave videos of faces.
- A visitor profile's live readings are anonymised before it goes, exactly as an erasure does
  (``services.readings_anonymise``); the database alone would only empty the visitor and keep
  timestamps that re-link readings to a person.
"""

from __future__ import annotations

import logging

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from emotions.models import Clip, EmotionReading
from museum_site.core.models import VisitorProfile

logger = logging.getLogger(__name__)


def storage_delete_quietly(storage: Storage, name: str) -> bool:
    """Delete ``name``; True if it existed. Failures are logged, for the purge to retry."""
    try:
        existed = storage.exists(name)
        storage.delete(name)
    except OSError:
        logger.exception("Could not delete stored file %s", name)
        return False
    return existed


@receiver(post_delete, sender=Clip, dispatch_uid="privacy_clip_file_delete")
def clip_file_delete(sender: type[Clip], instance: Clip, **kwargs: object) -> None:
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage_delete_quietly(storage, name))


@receiver(pre_delete, sender=VisitorProfile, dispatch_uid="privacy_profile_readings_anonymise")
def profile_readings_anonymise(sender: type[VisitorProfile], instance: VisitorProfile, **kwargs):
    from museum_site.privacy.services import readings_anonymise

    readings_anonymise(
        readings=EmotionReading.objects.filter(visitor_id=instance.pk, clip__isnull=True)
    )
