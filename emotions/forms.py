"""Forms and upload handlers of the emotions app (recorded clips)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from emotions.clips import ACCEPTED_SUFFIXES, ACCEPTED_TYPES, clip_too_large_message


class ClipUploadLimitHandler(FileUploadHandler):
    """Stops reading an upload as soon as it passes ``CLIP_MAX_BYTES``.

    It sits before Django's temporary-file handler, so an oversized video is never written
    out in full: the part received so far is discarded and ``exceeded`` tells the view.
    """

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.limit = settings.CLIP_MAX_BYTES
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            # connection_reset: do not read (and throw away) the rest of a huge body.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        # The next handler (a temporary file) produces the file object.
        return None


class ClipUploadForm(forms.Form):
    """The video itself; its content is checked by ``emotions.clips.clip_create``."""

    file = forms.FileField(
        label="Video (MP4, WebM or MOV)",
        allow_empty_file=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join((*ACCEPTED_TYPES, *ACCEPTED_SUFFIXES))}
        ),
        error_messages={
            "required": "Choose a video to send.",
            "empty": "The file is empty.",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Cheap check first; whether it is really a video is decided by opening it.
        if upload.size > settings.CLIP_MAX_BYTES:
            upload.close()
            raise forms.ValidationError(clip_too_large_message(upload.size), code="too_large")
        return upload
