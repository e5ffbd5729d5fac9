"""The step form does not contradict itself (a refusal without "can be done now" above it) and dates a
step by the committee meeting chosen for it, so the two dates cannot disagree (issue 12, item 11)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.core.testing import page
from jiceng.development.models import Stage, StepKind
from jiceng.development.tests.helpers import plan, walk
from jiceng.life import services as life_services

pytestmark = pytest.mark.django_db


def step_url(d, kind: str) -> str:  # noqa: ANN001
    return reverse("development:step", args=[d.pk, kind])


def planned(world, kind: str) -> tuple[dt.date, dict]:  # noqa: ANN001
    return next((on, ev) for k, on, ev in plan(world) if k == kind)


def committee_meeting(world, held_on: dt.date, topic: str = "研究确定入党积极分子"):  # noqa: ANN001, ANN201
    return life_services.record_meeting(
        actor=world.alice, org=world.branch_a, kind="committee_meeting", held_on=held_on, topic=topic
    )


def test_a_refused_step_shows_the_refusal_without_saying_it_can_be_done_now(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.REVIEW)
    client = client_for(world.alice)
    activist_on, _ = planned(world, StepKind.ACTIVIST)
    response = client.post(
        step_url(d, StepKind.CANDIDATE), {"on": (activist_on + dt.timedelta(days=200)).isoformat()}
    )
    text = page(response)
    assert "不能记录此环节" in text
    assert "本环节现在即可办理。" not in text and 'id="hint"' not in text


def test_the_hint_still_shows_before_anything_is_tried(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.APPLICATION)
    text = page(client_for(world.alice).get(step_url(d, StepKind.TALK)))
    assert 'id="hint"' in text and "不能记录此环节" not in text


def test_choosing_a_committee_meeting_dates_the_activist_step(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.TALK)
    on, evidence = planned(world, StepKind.ACTIVIST)
    meeting = committee_meeting(world, on)
    client = client_for(world.alice)
    # No date typed: the meeting's day is the step's.
    response = client.post(
        step_url(d, StepKind.ACTIVIST),
        {
            "meeting": meeting.pk,
            "recommendation": evidence["recommendation"],
            "filed_on": evidence["filed_on"].isoformat(),
        },
    )
    assert response.status_code == 302, page(response)
    step = d.steps.get(kind=StepKind.ACTIVIST)
    assert (step.on, step.meeting) == (on, meeting)
    d.refresh_from_db()
    assert (d.stage, d.stage_since) == (Stage.ACTIVIST, on)


def test_a_different_typed_date_cannot_disagree_with_the_chosen_meeting(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.TALK)
    on, evidence = planned(world, StepKind.ACTIVIST)
    meeting = committee_meeting(world, on)
    response = client_for(world.alice).post(
        step_url(d, StepKind.ACTIVIST),
        {
            "on": (on + dt.timedelta(days=2)).isoformat(),
            "meeting": meeting.pk,
            "recommendation": evidence["recommendation"],
            "filed_on": evidence["filed_on"].isoformat(),
        },
    )
    assert response.status_code == 302, page(response)
    assert d.steps.get(kind=StepKind.ACTIVIST).on == on


def test_without_a_meeting_the_date_is_required(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.TALK)
    _on, evidence = planned(world, StepKind.ACTIVIST)
    text = page(
        client_for(world.alice).post(
            step_url(d, StepKind.ACTIVIST),
            {"recommendation": evidence["recommendation"], "filed_on": evidence["filed_on"].isoformat()},
        )
    )
    assert 'id="id_on_error"' in text and "请填写日期，或选择会议记录" in text
    assert not d.steps.filter(kind=StepKind.ACTIVIST).exists()


def test_the_chooser_fills_the_date_from_the_meeting_and_offers_none_before_the_file(
    world, client_for
) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.TALK)
    on, _evidence = planned(world, StepKind.ACTIVIST)
    meeting = committee_meeting(world, on)
    earlier = committee_meeting(world, d.applied_on - dt.timedelta(days=1), topic="申请以前的支委会")
    client = client_for(world.alice)
    text = page(client.get(step_url(d, StepKind.ACTIVIST)))
    assert f'value="{meeting.pk}"' in text and f'value="{earlier.pk}"' not in text
    assert 'hx-get="' + step_url(d, StepKind.ACTIVIST) + '"' in text and 'hx-select="#jc-step-on"' in text
    # What htmx asks when a meeting is chosen: the date field, filled with its day and read-only.
    chosen = page(client.get(step_url(d, StepKind.ACTIVIST), {"meeting": meeting.pk}))
    field = chosen.split('id="jc-step-on"', 1)[1].split("</div>", 1)[0]
    assert f'value="{on.isoformat()}"' in field and "readonly" in field
