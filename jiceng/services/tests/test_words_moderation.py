"""The resident's later words (an addition, a dispute, the words of their evaluation) are moderated like
the request's text: the public tracking page shows the moderated version or nothing, with a line saying
so; the words as written stay for the handlers; the reason is recorded; only the community may do it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from jiceng.core.models import ObjectChange
from jiceng.core.testing import page
from jiceng.services import services
from jiceng.services.models import Event, EventKind

pytestmark = pytest.mark.django_db

RUDE = "王五（13700001234）就是个混蛋，还没修好"


def _track(token: str) -> str:
    return reverse("requests:track", kwargs={"token": token})


@pytest.fixture
def disputed(world, submit):  # noqa: ANN001, ANN201
    req, token = submit()
    services.add_information(request=req, text="补充：李四家门口也有")
    services.move(actor=world.alice, request=req, to_type="accepted")
    services.move(actor=world.alice, request=req, to_type="answered", public_text="已清运")
    services.give_feedback(request=req, resolution="not_solved", satisfaction=1, words=RUDE)
    req.refresh_from_db()
    return req, token


def test_a_dispute_is_hidden_on_the_tracking_page_kept_for_staff_with_the_reason(world, disputed, client_for):
    req, token = disputed
    words = req.events.get(kind=EventKind.DISPUTED)
    client = client_for(world.alice)
    detail = page(client.get(reverse("services:detail", kwargs={"code": req.code})), unique_ids=True)
    assert f'name="words-event" value="{words.pk}"' in detail
    # a handler's own words offer no such form
    answer = req.events.get(kind=EventKind.ANSWERED)
    assert f'name="words-event" value="{answer.pk}"' not in detail
    url = reverse("services:moderate_words", kwargs={"code": req.code})
    refused = client.post(url, {"words-event": words.pk, "words-public_text": "还没修好", "words-reason": ""})
    assert refused.status_code == 302
    words.refresh_from_db()
    assert not words.moderated  # no reason, nothing done
    response = client.post(
        url,
        {"words-event": words.pk, "words-public_text": "还没修好", "words-reason": "含他人姓名电话和骂人话"},
    )
    assert response.status_code == 302
    words.refresh_from_db()
    assert words.public_text == RUDE and words.moderated and words.public_version == "还没修好"
    public = page(Client().get(_track(token)), one_h1=True)
    assert "王五" not in public and "13700001234" not in public and "混蛋" not in public
    assert "还没修好" in public and 'data-words-moderated="1"' in public
    assert "含他人姓名电话" not in public
    staff = client.get(reverse("services:detail", kwargs={"code": req.code})).content.decode()
    assert RUDE in staff and "公开显示为：还没修好" in staff and "含他人姓名电话和骂人话" in staff
    note = req.events.filter(kind=EventKind.MODERATED).latest("id")
    assert note.note == "含他人姓名电话和骂人话" and note.actor == world.alice
    change = ObjectChange.objects.filter(object_id=req.pk, message__contains="居民补充内容").get()
    assert change.postchange_data == {"event": words.pk, "moderated": True, "public_version": "还没修好"}


def test_blank_hides_equal_restores_and_the_same_again_is_refused(world, disputed):
    req, token = disputed
    info = req.events.get(kind=EventKind.INFO)
    services.moderate_words(actor=world.alice, request=req, event=info, public_text="", reason="他人姓名")
    public = Client().get(_track(token)).content.decode()
    assert "李四" not in public and 'data-words-moderated="1"' in public
    with pytest.raises(ValidationError):
        services.moderate_words(actor=world.alice, request=req, event=info, public_text=" ", reason="再次")
    services.moderate_words(
        actor=world.alice, request=req, event=info, public_text=info.public_text, reason="误处理"
    )
    info.refresh_from_db()
    assert not info.moderated and info.public_version == ""
    assert "李四" in Client().get(_track(token)).content.decode()


def test_only_the_residents_words_and_only_the_community(world, disputed, partner):
    req, _ = disputed
    answer = req.events.get(kind=EventKind.ANSWERED)
    with pytest.raises(ValidationError):
        services.moderate_words(actor=world.alice, request=req, event=answer, public_text="x", reason="r")
    other = Event.objects.exclude(request=req).first()
    if other is not None:
        with pytest.raises(ValidationError):
            services.moderate_words(actor=world.alice, request=req, event=other, public_text="x", reason="r")
    words = req.events.get(kind=EventKind.DISPUTED)
    with pytest.raises(Http404):  # branch B's secretary does not see it
        services.moderate_words(actor=world.bob, request=req, event=words, public_text="x", reason="r")
    with pytest.raises(Http404):
        services.moderate_words(actor=world.charlie, request=req, event=words, public_text="x", reason="r")
    with pytest.raises(ValidationError):  # too long
        services.moderate_words(
            actor=world.alice, request=req, event=words, public_text="字" * 1001, reason="r"
        )


def test_the_api_moderates_and_lists_both_versions(world, disputed, client_for):
    req, _ = disputed
    words = req.events.get(kind=EventKind.DISPUTED)
    client = client_for(world.alice)
    base = f"/api/v1/service-requests/{req.code}"
    response = client.post(
        f"{base}/moderate-words/",
        {"event": words.pk, "public_text": "还没修好", "reason": "骂人话"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["public_version"] == "还没修好" and response.json()["public_text"] == RUDE
    events = client.get(f"{base}/events/").json()
    [row] = [e for e in events if e["id"] == words.pk]
    assert row["moderated"] is True
    outsider = client_for(world.bob).post(
        f"{base}/moderate-words/", {"event": words.pk, "reason": "x"}, content_type="application/json"
    )
    assert outsider.status_code == 404
    viewer = client_for(world.viewer).post(
        f"{base}/moderate-words/", {"event": words.pk, "reason": "x"}, content_type="application/json"
    )
    assert viewer.status_code == 403
    page_post = client_for(world.bob).post(
        reverse("services:moderate_words", kwargs={"code": req.code}), {"words-event": words.pk}
    )
    assert page_post.status_code == 404
