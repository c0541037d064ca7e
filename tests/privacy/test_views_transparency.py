"""The public "How we use emotion recognition" page, the model card and the notice include."""

import os

import pytest
from django.template import Context, Template

CARD = """# Emotion model card

Trained on FER-2013.

## Evaluation

| metric | value |
|---|---|
| accuracy | 0.6312 |
| macro-F1 | 0.5874 |

- Test accuracy: 63.1 %

```
accuracy: 0.6312
```

## Limitations

Faces smaller than 48 pixels are missed. <script>alert("card")</script>

## Training

Forty epochs.
"""


@pytest.fixture
def model_card(settings, tmp_path):
    settings.MODEL_FILE = tmp_path / "emotion_cnn.pt"
    path = tmp_path / "MODEL_CARD.md"
    path.write_text(CARD)
    return path


def test_it_is_public_and_explains_the_system(client, db, settings):
    response = client.get("/privacy/")
    assert response.status_code == 200
    for fact in (
        "How we use emotion recognition",
        "angry, disgust, fear, happy, sad, surprise, neutral",
        f"deleted after {settings.READINGS_RETENTION_DAYS} days",
        f"The camera notice (version {settings.CURRENT_CONSENT_VERSION})",
    ):
        assert fact in response.text


def test_it_shows_the_model_cards_figures_and_limits(client, db, model_card):
    response = client.get("/privacy/")
    text = response.text
    assert "<li>accuracy 0.6312</li>" in text
    assert "<li>macro-F1 0.5874</li>" in text
    assert "<li>Test accuracy: 63.1 %</li>" in text
    assert "<h3>Limits</h3>" in text
    assert "Faces smaller than 48 pixels are missed." in text
    assert "Forty epochs" not in text  # only the sections about limits
    assert "<script>alert" not in text  # the card's raw HTML is shown as text, never run
    assert "&lt;script&gt;" in text


def test_it_reads_the_card_again_when_it_changes(client, db, model_card):
    assert "0.6312" in client.get("/privacy/").text
    model_card.write_text(CARD.replace("0.6312", "0.7001"))
    stat = model_card.stat()
    os.utime(model_card, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    text = client.get("/privacy/").text
    assert "0.7001" in text and "0.6312" not in text


def test_it_says_so_when_there_is_no_model_card(client, db, settings, tmp_path):
    settings.MODEL_FILE = tmp_path / "emotion_cnn.pt"
    assert "has not been published yet" in client.get("/privacy/").text
    assert client.get("/privacy/model-card/").status_code == 404


def test_it_renders_the_whole_model_card(client, db, model_card):
    response = client.get("/privacy/model-card/")
    assert response.status_code == 200
    assert "<h1>Emotion model card</h1>" in response.text
    assert "<table>" in response.text
    assert "Forty epochs" in response.text


def test_it_links_the_page_from_every_page(client, db):
    assert 'href="/privacy/"' in client.get("/").text


@pytest.mark.parametrize("kind", ["camera", "clip"])
def test_it_offers_a_notice_with_an_indicator_to_include(db, settings, kind):
    html = Template('{% include "privacy/_notice.html" with kind=kind %}').render(
        Context({"kind": kind})
    )
    assert "Emotion recognition is used on this page." in html
    assert 'data-privacy-indicator data-state="idle"' in html
    assert 'href="/privacy/"' in html and 'href="/consent/"' in html
    assert "/static/privacy/privacy.css" in html
    assert "style=" not in html and "<script" not in html
    if kind == "clip":
        assert f"after {settings.CLIPS_RETENTION_DAYS} days at most" in html


def test_it_leaves_the_indicator_to_pages_that_have_their_own(db):
    html = Template('{% include "privacy/_notice.html" with indicator=False %}').render(Context())
    assert "Emotion recognition is used on this page." in html
    assert "data-privacy-indicator" not in html


def test_the_pages_that_analyse_faces_show_the_notice(client, visitor, exhibit):
    from django.urls import reverse

    from emotions.models import Clip, ClipStatus

    clip = Clip.objects.create(
        visitor=visitor.visitor_profile, exhibit=exhibit, status=ClipStatus.QUEUED
    )
    client.force_login(visitor)
    for url in (
        reverse("emotions:camera", kwargs={"slug": exhibit.slug}),
        reverse("emotions:clip_upload", kwargs={"slug": exhibit.slug}),
        reverse("emotions:clip_detail", args=[clip.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Emotion recognition is used on this page." in response.text, url
        assert 'href="/privacy/"' in response.text, url
