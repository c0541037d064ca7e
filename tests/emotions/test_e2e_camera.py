"""End to end: real headless Chromium, a fake webcam playing real faces, the site under daphne.

The browser signs in through the real login form, opens the camera page, which streams JPEG
frames over the WebSocket; we wait for an emotion label, press Stop and find the readings in
the database. A screenshot lands in test-artifacts/camera_page.png.

daphne runs as a subprocess on a free port against the test database (pytest-django's
``test_<name>`` PostgreSQL database; the test data is committed by ``transactional_db`` so the
server sees it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from emotions.models import EmotionReading, ReadingSource
from ml import EMOTIONS
from museum_site.core.models import VisitExhibit
from tests.browser import chromium, screenshot, write_y4m
from tests.conftest import PASSWORD
from tests.emotions.live_support import camera_frame, detectable_faces
from tests.live_server import daphne

LABEL_TIMEOUT = 90
PAGE_STATE_JS = """
const text = (id) => document.getElementById(id).textContent;
const label = document.getElementById("camera-top-emotion");
return {
  emotion: label.dataset.emotion,
  label: label.textContent,
  status: document.getElementById("camera-status").dataset.state,
  statusText: text("camera-status-text"),
  faces: text("camera-faces"),
  serverMs: text("camera-server-ms"),
  bars: Array.from(document.querySelectorAll("#camera-bars progress"), (bar) => bar.value),
};
"""


@pytest.fixture
def daphne_server(transactional_db, tmp_path) -> Iterator[str]:
    """The whole site under daphne, as ``make run`` serves it; yields its base URL."""
    with daphne(
        tmp_path=tmp_path, env={"PYTHONUNBUFFERED": "1"}, log_artifact="camera_e2e_daphne.log"
    ) as url:
        yield url


@pytest.fixture
def real_passwords(settings):
    """Give users a password the server can check.

    The suite hashes with MD5 for speed; the server process only knows the real hashers.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

    def set_password(user) -> None:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])

    return set_password


@pytest.fixture
def fake_webcam(fer_val_path, tmp_path) -> Path:
    """A .y4m webcam showing three real faces in turn, a second each (Chromium loops it)."""
    faces = detectable_faces(fer_val_path, 3)
    frames = [camera_frame(face) for face in faces for _ in range(10)]
    return write_y4m(frames, tmp_path / "faces.y4m", fps=10)


def sign_in(driver, base_url: str, user, next_path: str) -> None:
    """Through the real login form, as a visitor would."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}{reverse('login')}?next={next_path}")
    driver.find_element(By.NAME, "username").send_keys(user.username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: d.current_url.endswith(next_path))


def stop_camera(driver) -> None:
    """Press Stop and wait for the page to say the camera is off."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element(By.ID, "camera-stop").click()
    status = driver.find_element(By.ID, "camera-status")
    WebDriverWait(driver, 10).until(lambda d: status.get_attribute("data-state") == "off")


def test_it_shows_live_emotions_in_chromium_and_saves_the_readings(
    daphne_server, real_passwords, fake_webcam, visitor, exhibit
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    real_passwords(visitor)
    camera_path = reverse("emotions:camera", kwargs={"slug": exhibit.slug})

    with chromium(fake_video=fake_webcam) as driver:
        sign_in(driver, daphne_server, visitor, camera_path)

        # One consistent look at the page (results keep arriving while Python reads it).
        def page_state(d):
            state = d.execute_script(PAGE_STATE_JS)
            return state if state["emotion"] in EMOTIONS else None

        try:
            state = WebDriverWait(driver, LABEL_TIMEOUT).until(page_state)
        finally:
            screenshot(driver, "camera_page")
        assert state["status"] == "analysing" and "Camera on" in state["statusText"]
        assert state["label"].strip() == state["emotion"]
        assert int(state["faces"]) >= 1 and state["serverMs"].isdigit()
        assert len(state["bars"]) == 7
        assert sum(state["bars"]) == pytest.approx(1, abs=0.01)

        stop_camera(driver)
        assert driver.find_element(By.ID, "camera-start").is_displayed()
        # The page ran under the site's Content-Security-Policy without a violation, and the
        # camera script without an error (a missing favicon is not our business).
        problems = [
            entry["message"]
            for entry in driver.get_log("browser")
            if "Content Security Policy" in entry["message"]
            or (entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"])
        ]
        assert not problems, problems

    # Stop closed the socket; the server writes the last second as it closes.
    deadline = time.monotonic() + 15
    readings = []
    while not readings and time.monotonic() < deadline:
        readings = list(EmotionReading.objects.filter(visitor__user=visitor, exhibit=exhibit))
        time.sleep(0.2)
    assert readings, "no reading was saved for the faces the page showed"
    assert all(r.source == ReadingSource.LIVE and r.face_count >= 1 for r in readings)
    assert all(r.visit is not None for r in readings)
    assert VisitExhibit.objects.filter(visit__visitor__user=visitor, exhibit=exhibit).exists()


def test_staff_watch_the_hall_mood_while_a_camera_runs(
    daphne_server, real_passwords, fake_webcam, visitor, staff, exhibit
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    real_passwords(visitor)
    real_passwords(staff)
    mood_path = reverse("emotions:hall_mood")
    camera_path = reverse("emotions:camera", kwargs={"slug": exhibit.slug})

    with chromium() as watcher, chromium(fake_video=fake_webcam) as camera:
        sign_in(watcher, daphne_server, staff, mood_path)
        WebDriverWait(watcher, 30).until(
            lambda d: (
                d.find_element(By.ID, "mood-status").get_attribute("data-state") == "analysing"
            )
        )
        sign_in(camera, daphne_server, visitor, camera_path)

        card = f'.mood-card[data-exhibit="{exhibit.pk}"]'

        def mood_card(d):
            found = d.find_elements(By.CSS_SELECTOR, card)
            if (
                found
                and found[0].find_element(By.CSS_SELECTOR, ".mood-label").text.lower() in EMOTIONS
            ):
                return found[0]
            return None

        try:
            shown = WebDriverWait(watcher, LABEL_TIMEOUT).until(mood_card)
        finally:
            screenshot(watcher, "hall_mood_page")
        assert shown.find_element(By.CSS_SELECTOR, ".mood-title").text == exhibit.title
        assert shown.find_element(By.CSS_SELECTOR, ".mood-cameras").text == "1 camera"
        assert len(shown.find_elements(By.CSS_SELECTOR, "progress")) == 7
        assert visitor.username not in watcher.page_source

        # The camera stops: the exhibit leaves the page.
        camera.find_element(By.ID, "camera-stop").click()
        WebDriverWait(watcher, 30).until(lambda d: not d.find_elements(By.CSS_SELECTOR, card))
        assert watcher.find_element(By.ID, "mood-empty").is_displayed()


def test_the_page_carries_on_while_the_server_sheds_every_frame(
    transactional_db, tmp_path, real_passwords, fake_webcam, visitor, exhibit
) -> None:
    """An overloaded server answers "skipped" instead of a late result. A wait limit of a
    tenth of a microsecond, shorter than any hand-off to an inference thread, makes this
    server shed every frame, deterministically: the page shows the server's dropped count,
    goes on sending (each "skipped" releases its back-pressure), shows no error and no
    emotion, and nothing is recorded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    real_passwords(visitor)
    camera_path = reverse("emotions:camera", kwargs={"slug": exhibit.slug})
    env = {"PYTHONUNBUFFERED": "1", "LIVE_MAX_FRAME_WAIT_MS": "0.0001"}
    with (
        daphne(tmp_path=tmp_path, env=env, log_artifact="camera_shedding_daphne.log") as url,
        chromium(fake_video=fake_webcam) as driver,
    ):
        sign_in(driver, url, visitor, camera_path)

        def dropped(d) -> int:
            return int(d.find_element(By.ID, "camera-dropped").text or 0)

        try:
            WebDriverWait(driver, LABEL_TIMEOUT).until(lambda d: dropped(d) >= 5)
        finally:
            screenshot(driver, "camera_page_shedding")
        state = driver.execute_script(PAGE_STATE_JS)
        assert state["status"] == "analysing"
        assert state["faces"] == "0" and state["emotion"] not in EMOTIONS
        assert not driver.find_element(By.ID, "camera-error").is_displayed()
        stop_camera(driver)
    assert not EmotionReading.objects.filter(visitor__user=visitor).exists()
