"""The life of a request through the services: intake, routing, every transition allowed or refused,
the resident's word, hand-over, encryption at rest, the change record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from jiceng.core import concurrency, crypto
from jiceng.core.models import ObjectChange
from jiceng.services import services
from jiceng.services.models import TRANSITIONS, Category, Desk, Event, Route, ServiceRequest, StateType

pytestmark = pytest.mark.django_db


def test_intake_routes_to_the_community_and_keeps_contact_encrypted(world, submit):
    req, token = submit()
    assert req.state_type == "received" and req.state.code == "received"
    assert req.handler_org == world.branch_a and req.handler_path == world.branch_a.path
    assert req.phone_masked == "139****5678" and req.name_masked == "李**"
    assert crypto.decrypt(req.phone_cipher) == "13912345678"
    assert services.find_by_token(token) == req
    assert services.find_by_token(token + "x") is None
    # Neither the phone, the name nor the token is anywhere in clear in the database.
    with connection.cursor() as cursor:
        for table in ("services_servicerequest", "services_event", "core_objectchange"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump = repr(cursor.fetchall())
            assert "13912345678" not in dump and "李大妈" not in dump and token not in dump


def test_route_by_category_and_its_ancestor(world, submit, partner):
    parent = Category.objects.get(name="物业管理", parent=None)
    child = Category.objects.get(name="电梯故障")
    Route.objects.create(org=world.branch_a, category=parent, handler_partner=partner)
    req, _token = submit(category=child)
    assert req.handler_partner == partner and req.handler_org is None
    assert req.handler_path == world.branch_a.path
    assert req.urgency == child.urgency


def test_closed_desk_and_opened_desk(world, submit):
    Desk.objects.create(org=world.branch_a, open=False)
    with pytest.raises(ValidationError):
        submit()
    Desk.objects.create(org=world.branch_c, open=True)
    req, _ = submit(org=world.branch_c)
    assert req.org == world.branch_c
    assert not services.desk_open(world.root)  # a government unit without a desk


@pytest.mark.parametrize(
    ("field", "value"),
    [("text", ""), ("text", "字" * 2001), ("address", " "), ("phone", "12ab"), ("name", "名" * 41)],
)
def test_intake_refuses_bad_input_and_saves_nothing(submit, field, value):
    with pytest.raises(ValidationError) as refused:
        submit(**{field: value})
    assert field in refused.value.error_dict
    assert not ServiceRequest.objects.exists()


def test_full_path_with_dispute_then_confirmation(world, submit):
    req, _ = submit()
    req = services.move(actor=world.alice, request=req, to_type="accepted", public_text="已安排保洁")
    assert req.responded_at is not None
    req = services.move(actor=world.alice, request=req, to_type="answered", public_text="已清运")
    req = services.give_feedback(request=req, resolution="not_solved", satisfaction=2, words="还有一袋没拉走")
    assert req.state_type == "reopened" and req.answered_at is None
    req = services.move(actor=world.alice, request=req, to_type="answered", public_text="已全部清运")
    assert req.resolution == "" and req.satisfaction is None
    req = services.give_feedback(request=req, resolution="solved", satisfaction=5)
    assert req.state_type == "resolved" and req.resolution == "solved"
    req = services.move(actor=world.alice, request=req, to_type="closed")
    assert req.state_type == "closed" and req.closed_at is not None
    kinds = list(Event.objects.filter(request=req).values_list("kind", flat=True))
    assert kinds == ["submitted", "accepted", "answered", "disputed", "answered", "confirmed", "closed"]
    disputed = Event.objects.get(request=req, kind="disputed")
    assert disputed.public_text == "还有一袋没拉走" and disputed.by_resident
    assert ObjectChange.objects.filter(object_id=req.pk, action="update").count() >= 6


def test_not_solved_needs_the_residents_words(world, submit):
    req, _ = submit()
    services.move(actor=world.alice, request=req, to_type="accepted")
    services.move(actor=world.alice, request=req, to_type="answered", public_text="已处理")
    with pytest.raises(ValidationError):
        services.give_feedback(request=req, resolution="not_solved", satisfaction=None, words="")


@pytest.mark.parametrize("start", ["received", "accepted", "answered", "resolved", "closed"])
@pytest.mark.parametrize("step", ["accepted", "in_progress", "answered", "closed", "referred"])
def test_each_step_is_allowed_exactly_as_the_table_says(world, submit, start, step):
    req, _ = submit()
    path = {
        "received": [],
        "accepted": ["accepted"],
        "answered": ["accepted", "answered"],
        "resolved": ["accepted", "answered", "resolved"],
        "closed": ["accepted", "answered", "resolved", "closed"],
    }[start]
    for s in path:
        if s == "resolved":
            req = services.give_feedback(request=req, resolution="solved", satisfaction=4)
        else:
            req = services.move(actor=world.alice, request=req, to_type=s, public_text="说明")
    allowed = step in TRANSITIONS[start]
    if step == "closed" and start == "answered":
        allowed = False  # too early: the resident has 7 days to answer
    if allowed:
        assert (
            services.move(actor=world.alice, request=req, to_type=step, public_text="说明").state_type == step
        )
    else:
        with pytest.raises(ValidationError):
            services.move(actor=world.alice, request=req, to_type=step, public_text="说明")


def test_closing_without_the_residents_word_counts_as_no_answer(world, submit):
    req, _ = submit()
    services.move(actor=world.alice, request=req, to_type="accepted")
    req = services.move(actor=world.alice, request=req, to_type="answered", public_text="已处理")
    ServiceRequest.objects.filter(pk=req.pk).update(answered_at=req.answered_at - dt.timedelta(days=8))
    req.refresh_from_db()
    req = services.move(actor=world.alice, request=req, to_type="closed")
    assert req.resolution == "no_answer" and req.satisfaction is None


def test_merge_as_duplicate(world, submit):
    first, _ = submit()
    second, token = submit(text="垃圾没人清运")
    second = services.move(actor=world.alice, request=second, to_type="merged", duplicate_of=first)
    assert second.duplicate_of == first and second.state_type == "merged"
    assert first.code in Event.objects.get(request=second, kind="merged").public_text


def test_outsiders_are_refused(world, submit):
    req, _ = submit()
    with pytest.raises(Http404):
        services.move(actor=world.bob, request=req, to_type="accepted")
    with pytest.raises(PermissionDenied):
        services.move(actor=world.viewer, request=req, to_type="accepted")


def test_stale_version_is_refused(world, submit):
    req, _ = submit()
    seen = concurrency.version_of(req)
    services.move(actor=world.alice, request=req, to_type="accepted", version=seen)
    with pytest.raises(concurrency.StaleWrite):
        services.move(actor=world.alice, request=req, to_type="referred", public_text="x", version=seen)


def test_hand_over_keeps_the_reason_and_moves_responsibility(world, submit, partner):
    req, _ = submit()
    req = services.hand_over(actor=world.alice, request=req, reason="属物业维修范围", handler_partner=partner)
    assert req.handler_partner == partner and req.handler_org is None
    event = Event.objects.get(request=req, kind="handed_over")
    assert event.note == "属物业维修范围" and "安居物业公司" in event.public_text
    # The partner's contact may now act on it; alice still may (it was made in her community).
    assert services.can_handle(world.erin, req) and services.can_handle(world.alice, req)
    services.move(actor=world.erin, request=req, to_type="accepted")
    with pytest.raises(ValidationError):
        services.hand_over(actor=world.alice, request=req, reason="  ", handler_org=world.branch_b)


def test_cohandler_grants_the_partner_its_request_only(world, submit, partner):
    req, _ = submit()
    other, _ = submit()
    assert not ServiceRequest.objects.restrict(world.erin).exists()
    services.add_cohandler(actor=world.alice, request=req, partner=partner)
    assert list(ServiceRequest.objects.restrict(world.erin)) == [req]
    assert other not in ServiceRequest.objects.restrict(world.erin)
    with pytest.raises(ValidationError):
        services.add_cohandler(actor=world.alice, request=req, partner=partner)


def test_reveal_is_audited(world, submit):
    req, _ = submit()
    assert services.reveal_contact(actor=world.alice, request=req) == {
        "name": "李大妈",
        "phone": "13912345678",
    }
    assert ObjectChange.objects.filter(action="reveal", object_id=req.pk, user=world.alice).exists()
    with pytest.raises(Http404):
        services.reveal_contact(actor=world.bob, request=req)


def test_withdraw_and_information(world, submit):
    req, _ = submit()
    services.add_information(request=req, text="今天又多了两袋")
    req = services.withdraw(request=req, words="已自行处理")
    assert req.state_type == StateType.WITHDRAWN
    with pytest.raises(ValidationError):
        services.add_information(request=req, text="再补充")


def test_upkeep_closes_the_silent_and_forgets_the_old(world, submit):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    silent, _ = submit()
    services.move(actor=world.alice, request=silent, to_type="accepted")
    silent = services.move(actor=world.alice, request=silent, to_type="answered", public_text="已处理")
    recent, _ = submit(text="刚办结")
    services.move(actor=world.alice, request=recent, to_type="accepted")
    services.move(actor=world.alice, request=recent, to_type="answered", public_text="已处理")
    ServiceRequest.objects.filter(pk=silent.pk).update(
        answered_at=timezone.now() - dt.timedelta(days=7, minutes=1)
    )
    call_command("requests_upkeep", stdout=StringIO())
    silent.refresh_from_db()
    recent.refresh_from_db()
    assert (silent.state_type, silent.resolution, silent.satisfaction) == ("closed", "no_answer", None)
    assert recent.state_type == "answered"
    # Three years after closing, the resident's name, phone and place are gone; the request stays.
    ServiceRequest.objects.filter(pk=silent.pk).update(closed_at=timezone.now() - dt.timedelta(days=3 * 366))
    assert services.anonymize_closed(years=3) == 1
    silent.refresh_from_db()
    assert (silent.name_cipher, silent.phone_cipher, silent.phone_masked, silent.address) == ("", "", "", "—")
    assert silent.text == "3号楼门口垃圾两天没人清运"
    trail = repr(
        list(ObjectChange.objects.filter(object_id=silent.pk).values("prechange_data", "postchange_data"))
    )
    assert "3号楼2单元门口" not in trail and "139****5678" not in trail
    assert services.anonymize_closed(years=3) == 0


def test_a_resident_adds_at_most_so_much(world, submit):
    req, _ = submit()
    for i in range(services.MAX_INFO):
        services.add_information(request=req, text=f"补充{i}")
    with pytest.raises(ValidationError):
        services.add_information(request=req, text="再来一条")
