"""End to end: record a clip in headless Chromium (MediaRecorder, a fake webcam playing real
faces), send it to the site under daphne, and see its analysed timeline.

This covers what only a browser produces: a WebM whose header has no duration, uploaded with
fetch and the CSRF header. Screenshots land in test-artifacts/clip_*.png.
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from emotions.models import Clip, ClipStatus, ReadingSource
from tests.browser import chromium, screenshot, write_y4m
from tests.emotions import test_e2e_camera
from tests.emotions.live_support import camera_frame, detectable_faces

# The site under daphne, as make run serves it (from the live camera's end-to-end test).
daphne_server = test_e2e_camera.daphne_server

RECORD_SECONDS = 3


@pytest.fixture
def clip_env(monkeypatch, tmp_path):
    """Where the server keeps clip files (set before daphne starts, which copies os.environ)."""
    root = tmp_path / "private-clips"
    monkeypatch.setenv("CLIP_STORAGE_ROOT", str(root))
    monkeypatch.setenv("CLIP_MAX_SECONDS", "30")
    return root


def test_it_records_a_clip_in_the_browser_and_shows_its_timeline(
    clip_env, daphne_server, visitor, exhibit, fer_val_path, tmp_path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    faces = detectable_faces(fer_val_path, 3)
    video = write_y4m(
        [camera_frame(face) for face in faces for _ in range(10)], tmp_path / "faces.y4m", fps=10
    )
    client = Client()
    client.force_login(visitor)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    upload_path = reverse("emotions:clip_upload", kwargs={"slug": exhibit.slug})

    with chromium(fake_video=video) as driver:
        wait = WebDriverWait(driver, 90)
        driver.get(daphne_server + "/")
        driver.add_cookie({"name": django_settings.SESSION_COOKIE_NAME, "value": session})
        driver.get(daphne_server + upload_path)
        assert "Send a clip" in driver.title

        driver.find_element(By.ID, "recorder-camera").click()
        record = driver.find_element(By.ID, "recorder-record")
        wait.until(lambda d: record.is_displayed())
        record.click()
        time.sleep(RECORD_SECONDS)
        driver.find_element(By.ID, "recorder-stop").click()
        send = driver.find_element(By.ID, "recorder-send")
        wait.until(lambda d: send.is_displayed())
        screenshot(driver, "clip_recorded")
        send.click()

        # Without a broker the server analyses the clip before answering; the page then
        # lands on the finished clip and draws the chart.
        wait.until(lambda d: "/me/clips/" in d.current_url)
        wait.until(
            lambda d: (
                d.find_elements(By.CSS_SELECTOR, "#clip-chart[data-drawn='true']")
                or d.find_elements(By.CSS_SELECTOR, "#clip-error:not([hidden])")
            )
        )
        screenshot(driver, "clip_timeline")
        recorded = Clip.objects.get()

        # A clip still being analysed: the page follows its progress, then shows the result.
        running = Clip.objects.create(
            visitor=recorded.visitor,
            exhibit=exhibit,
            status=ClipStatus.PROCESSING,
            progress=0.4,
            lease_token=uuid.uuid4(),
            heartbeat_at=timezone.now(),
        )
        driver.get(daphne_server + reverse("emotions:clip_detail", kwargs={"pk": running.pk}))
        progress = driver.find_element(By.ID, "clip-progress")
        assert progress.get_attribute("value") == "40"
        Clip.objects.filter(pk=running.pk).update(progress=0.7)
        wait.until(lambda d: progress.get_attribute("value") == "70")
        assert "70 % analysed" in driver.find_element(By.ID, "clip-progress-text").text
        screenshot(driver, "clip_progress")
        Clip.objects.filter(pk=running.pk).update(
            status=ClipStatus.DONE, progress=1.0, timeline=recorded.timeline, lease_token=None
        )
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#clip-chart[data-drawn='true']"))
        assert not driver.find_elements(By.ID, "clip-progress")
        errors = [
            entry["message"]
            for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
        ]
        assert errors == []

    clip = Clip.objects.get(pk=recorded.pk)
    assert clip.status == ClipStatus.DONE, clip.error
    assert clip.original_name == "recording.webm"
    assert RECORD_SECONDS - 1 <= clip.duration_seconds <= RECORD_SECONDS + 2
    readings = clip.readings.all()
    assert readings.count() >= RECORD_SECONDS - 1
    assert {reading.source for reading in readings} == {ReadingSource.CLIP}
    assert not clip.file and list(clip_env.rglob("*.webm")) == []
