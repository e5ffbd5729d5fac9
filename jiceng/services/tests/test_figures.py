"""The three rates against a hand computation over a generated set of requests, and random sequences
of steps: no request is ever "solved" without the resident's word."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.testing import page
from jiceng.services import figures, selectors, services
from jiceng.services.models import Category, Event, ServiceRequest

pytestmark = pytest.mark.django_db


def test_rates_equal_a_hand_computation(world, client_for):
    rng = random.Random(7)
    cats = list(Category.objects.filter(parent=None))
    base = timezone.now().replace(month=3, day=1, hour=8, minute=0, second=0, microsecond=0)
    hand = {"received": 0, "in_time": 0, "answered": 0, "solved": 0, "rated": 0, "satisfied": 0}
    for i in range(30):
        cat = rng.choice(cats)
        req, _ = services.submit_request(org=world.branch_a, category=cat, text=f"诉求{i}", address="某处")
        ServiceRequest.objects.filter(pk=req.pk).update(received_at=base + dt.timedelta(hours=i))
        req.refresh_from_db()
        roll = rng.random()
        if roll < 0.1:
            services.withdraw(request=req)
            continue  # not counted
        hand["received"] += 1
        if roll < 0.25:
            continue  # never responded
        services.move(actor=world.alice, request=req, to_type="accepted")
        delay = rng.choice([1, 30])  # hours after receipt
        ServiceRequest.objects.filter(pk=req.pk).update(
            responded_at=req.received_at + dt.timedelta(hours=delay)
        )
        limit = {"urgent": 2, "ordinary": 24, "complex": 24}[req.urgency]
        hand["in_time"] += delay <= limit
        req.refresh_from_db()
        if rng.random() < 0.3:
            continue
        services.move(actor=world.alice, request=req, to_type="answered", public_text="已处理")
        hand["answered"] += 1
        word = rng.choice(["solved", "partly", "not_solved", None])
        if word is None:
            continue
        score = rng.choice([None, 1, 2, 3, 4, 5])
        services.give_feedback(request=req, resolution=word, satisfaction=score, words="还没好")
        hand["solved"] += word == "solved"
        hand["rated"] += score is not None
        hand["satisfied"] += score is not None and score >= 4
    year = base.year
    f = selectors.figures(
        selectors.visible_requests(world.county_admin), start=dt.date(year, 1, 1), end=dt.date(year, 12, 31)
    )
    assert (f.received, f.responded_in_time, f.answered, f.solved, f.rated, f.satisfied) == tuple(
        hand.values()
    )
    assert f.response_rate == round(100 * hand["in_time"] / hand["received"], 1)
    # On the page and in the API, for the community, with no person named.
    text = page(client_for(world.county_admin).get(reverse("services:figures"), {"year": year}))
    assert "和平社区党支部" in text and f"{f.response_rate}%" in text
    assert "张伟" not in text
    rows = client_for(world.county_admin).get(reverse("api-service-request-figures"), {"year": year}).json()
    assert rows[0]["org"] == "0101" and rows[0]["received"] == hand["received"]
    # Bob's subtree has none of them.
    assert (
        client_for(world.bob)
        .get(reverse("api-service-request-figures"), {"year": year})
        .json()[-1]["received"]
        == 0
    )


STEPS = st.lists(
    st.sampled_from(
        [
            ("move", "accepted"),
            ("move", "in_progress"),
            ("move", "answered"),
            ("move", "closed"),
            ("move", "referred"),
            ("feedback", "solved"),
            ("feedback", "partly"),
            ("feedback", "not_solved"),
            ("withdraw", ""),
            ("info", ""),
        ]
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_solved_only_by_the_residents_word(world, steps):
    req, _ = services.submit_request(
        org=world.branch_a, category=Category.objects.get(name="其他"), text="随机", address="某处"
    )
    for kind, arg in steps:
        try:
            if kind == "move":
                services.move(actor=world.alice, request=req, to_type=arg, public_text="说明")
            elif kind == "feedback":
                services.give_feedback(request=req, resolution=arg, satisfaction=3, words="意见")
            elif kind == "withdraw":
                services.withdraw(request=req)
            else:
                services.add_information(request=req, text="补充")
        except ValidationError:
            pass
        req.refresh_from_db()
        if req.resolution in ("solved", "partly", "not_solved"):
            last_word = Event.objects.filter(request=req, kind__in=("confirmed", "disputed")).last()
            assert last_word is not None and last_word.by_resident
        if req.state_type == "resolved":
            assert req.resolution in ("solved", "partly")
        if req.resolution == "no_answer":
            assert req.state_type == "closed"


def test_rates_per_partner_unit(world, client_for, partner, submit):
    from jiceng.services.models import Route

    Route.objects.create(
        org=world.branch_a, category=Category.objects.get(name="物业管理"), handler_partner=partner
    )
    mine, _ = submit(category=Category.objects.get(name="电梯故障"))
    submit()  # the community's own
    services.move(actor=world.erin, request=mine, to_type="accepted")
    year = timezone.localdate().year
    rows = client_for(world.county_admin).get(reverse("api-service-request-figures"), {"year": year}).json()
    by_kind = {(r["kind"], r["partner"] or r["org"]): r for r in rows}
    assert by_kind[("partner", partner.pk)]["received"] == 1
    assert by_kind[("partner", partner.pk)]["response_rate"] == 100.0
    assert by_kind[("community", "0101")]["received"] == 2
    text = page(client_for(world.county_admin).get(reverse("services:figures")))
    assert "安居物业公司" in text
    # The contact's figures cover only the unit's request.
    rows = client_for(world.erin).get(reverse("api-service-request-figures"), {"year": year}).json()
    assert rows[-1]["received"] == 1


def _received(world, when: dt.datetime, *, solved: bool = False, score: int | None = None) -> ServiceRequest:  # noqa: ANN001
    req, _ = services.submit_request(
        org=world.branch_a, category=Category.objects.get(name="其他"), text="诉求", address="某处"
    )
    ServiceRequest.objects.filter(pk=req.pk).update(received_at=when)
    req.refresh_from_db()
    services.move(actor=world.alice, request=req, to_type="accepted")
    ServiceRequest.objects.filter(pk=req.pk).update(responded_at=when + dt.timedelta(hours=1))
    if solved or score:
        req.refresh_from_db()
        services.move(actor=world.alice, request=req, to_type="answered", public_text="好了")
        services.give_feedback(request=req, resolution="solved" if solved else "partly", satisfaction=score)
    figures.rebuild()  # the times were set behind the services' back: the maintained figures follow
    return req


def test_figures_for_a_month_a_quarter_and_a_year_and_the_monthly_chart(world, client_for, api):  # noqa: ANN001
    year = timezone.localdate().year - 1
    tz = timezone.get_current_timezone()
    _received(world, dt.datetime(year, 2, 10, 9, tzinfo=tz), solved=True, score=5)
    _received(world, dt.datetime(year, 3, 31, 23, 30, tzinfo=tz), score=2)
    _received(world, dt.datetime(year, 4, 1, 0, 30, tzinfo=tz))
    client = client_for(world.county_admin)
    url = reverse("api-service-request-figures")

    def total(**params):  # noqa: ANN003, ANN202
        return client.get(url, params).json()[-1]

    assert total(year=year)["received"] == 3
    assert total(period=f"{year}-Q1")["received"] == 2  # 31 March 23:30 local time is in Q1
    assert total(year=year, part="Q2")["received"] == 1
    feb = total(period=f"{year}-02")
    assert (feb["received"], feb["resolution_rate"], feb["satisfaction_rate"]) == (1, 100.0, 100.0)
    assert total(period=f"{year}-03")["satisfaction_rate"] == 0.0
    for bad in ("1999", f"{year + 2}", f"{year}-13", "abc", f"{year}-02-01"):
        response = client.get(url, {"period": bad})
        assert response.status_code == 400 and "period" in response.json()["errors"], bad
    assert client.get(url, {"year": year, "part": "Q5"}).status_code == 400
    # A node outside the caller's scope: 404; bob's own node has none of them.
    assert api("bob").get(url, {"org": "0101"}).status_code == 404
    monthly = client.get(reverse("api-service-request-figures-monthly"), {"year": year}).json()
    assert [m["month"] for m in monthly] == [f"{year}-{m:02d}" for m in range(1, 13)]
    assert [m["received"] for m in monthly][:5] == [0, 1, 1, 1, 0]
    assert monthly[0]["response_rate"] is None and monthly[1]["response_rate"] == 100.0

    text = page(
        client.get(reverse("services:figures"), {"org": "0101", "year": year, "part": "Q1"}), one_h1=True
    )
    assert f'data-period="{year}-Q1"' in text
    assert 'data-chart="chart-rates"' in text and 'id="chart-rates" type="application/json"' in text
    assert f'data-month="{year}-02"' in text
    import json
    import re

    option = json.loads(
        re.search(r'<script id="chart-rates" type="application/json">(.*?)</script>', text, re.S)[1]
    )
    assert [s["name"] for s in option["series"]] == ["响应率", "解决率", "满意率"]
    assert option["series"][1]["data"][1] == 100.0 and option["series"][0]["data"][0] is None
    # A bad period on the page: a warning and the current year, not an error.
    fallback = client.get(reverse("services:figures"), {"period": "nonsense"})
    assert fallback.status_code == 200 and "无法识别的期间" in fallback.content.decode()
