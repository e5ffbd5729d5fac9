"""The dues pages: every page answers by scope for every named user, renders within the CSP, and the
secretary's fast path (mark many paid) works with and without htmx."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

from jiceng.core.models import ObjectChange
from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, page, scope_test
from jiceng.dues import services
from jiceng.dues.models import Payment


def root(world):  # noqa: ANN001, ANN201
    return world.root


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def a_code(world):  # noqa: ANN001, ANN201
    return {"code": world.branch_a.code}


def member(world):  # noqa: ANN001, ANN201
    return {"pk": world.members_a[1].pk}


def index_expect(world, who):  # noqa: ANN001, ANN201
    return (302,) if who != "charlie" else (404,)


CASES = [
    Case("dues:index", expect=index_expect),
    Case("dues:report", lambda w: {"code": w.root.code}, root),
    Case("dues:report_xlsx", lambda w: {"code": w.root.code}, root),
    Case("dues:publication", lambda w: {"code": w.root.code}, root),
    Case("dues:publication_xlsx", lambda w: {"code": w.root.code}, root),
    Case("dues:use", a_code, branch_a, CHANGE, "post", ok=(400,)),
    Case("dues:sheet", a_code, branch_a),
    Case("dues:mark", a_code, branch_a, CHANGE, "post", ok=(400,)),
    Case("dues:fix", a_code, branch_a, CHANGE, "post", ok=(302,)),
    Case("dues:settings", a_code, branch_a, CHANGE, "post", ok=(302,)),
    Case("dues:member", member, branch_a),
    Case(
        "dues:member_write",
        lambda w: {"pk": w.members_a[1].pk, "kind": "base"},
        branch_a,
        CHANGE,
        "post",
        ok=(400,),
    ),
]

test_scope = scope_test(CASES)
test_every_page_has_a_scope_case = coverage_test("dues", CASES)


def test_the_pages_render_within_the_csp(world: Any, client_for: Any) -> None:
    alice = client_for(world.alice)
    services.record_income_base(
        actor=world.alice,
        member=world.members_a[1],
        amount=Decimal("3000.01"),
        applies_from=dt.date(2026, 1, 1),
    )
    sheet = page(
        alice.get(reverse("dues:sheet", kwargs={"code": world.branch_a.code}) + "?month=2026-03"),
        one_h1=True,
        unique_ids=True,
    )
    assert "30.00" in sheet and "data-dues-member" in sheet
    text = page(
        alice.get(reverse("dues:member", kwargs={"pk": world.members_a[1].pk})), one_h1=True, unique_ids=True
    )
    assert "3000.01" in text  # the secretary sees the base
    report = page(
        client_for(world.county_admin).get(
            reverse("dues:report", kwargs={"code": world.root.code}) + "?period=2026-Q1"
        ),
        one_h1=True,
    )
    assert 'data-chart="dues-chart-data"' in report


def test_viewers_see_bases_masked(world: Any, client_for: Any) -> None:
    services.record_income_base(
        actor=world.alice,
        member=world.members_a[1],
        amount=Decimal("3000.01"),
        applies_from=dt.date(2026, 1, 1),
    )
    text = page(client_for(world.viewer).get(reverse("dues:member", kwargs={"pk": world.members_a[1].pk})))
    assert "3000.01" not in text and "***" in text
    sheet = page(
        client_for(world.viewer).get(
            reverse("dues:sheet", kwargs={"code": world.branch_a.code}) + "?month=2026-03"
        )
    )
    assert "3000.01" not in sheet


def test_a_secretary_marks_many_paid_in_one_action(world: Any, client_for: Any) -> None:
    alice = client_for(world.alice)
    today = timezone.localdate()
    ids = [m.pk for m in world.members_a[:3]]
    url = reverse("dues:mark", kwargs={"code": world.branch_a.code})
    data = {"month": f"{today:%Y-%m}", "paid_on": today.isoformat(), "method": "transfer", "member": ids}
    response = alice.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    check = page(response)
    assert check.count('data-paid="1"') == 3
    assert set(Payment.objects.values_list("member_id", flat=True)) == set(ids)
    assert ObjectChange.objects.filter(content_type__model="payment", action="create").count() == 3
    # Again: refused as a whole, with the member named.
    response = alice.post(url, data, HTTP_HX_REQUEST="true")
    assert world.members_a[0].name in response.content.decode()
    assert Payment.objects.count() == 3
    # Bob may not write in alice's branch; members of another branch are ignored.
    assert client_for(world.bob).post(url, data).status_code == 404


def test_the_members_own_dues_on_their_home(world: Any, client_for: Any) -> None:
    from jiceng.members.models import Member

    dora = Member.objects.get(user=world.dora)
    services.record_payment(
        actor=world.alice, member=dora, month=dt.date(2026, 3, 1), paid_on=dt.date(2026, 3, 5)
    )
    home = client_for(world.dora).get(reverse("members:me"))
    assert home.status_code == 200
    assert "own-dues" in home.content.decode()
    api = client_for(world.dora).get(reverse("api-me-section", kwargs={"key": "dues.own"}))
    assert api.status_code == 200
    assert {"month": "2026-03", "paid": True}.items() <= api.json()["data"]["months"][0].items()


def test_a_hardship_is_approved_later_on_the_member_page(world: Any, client_for: Any) -> None:
    from jiceng.dues.models import Hardship

    h = services.record_hardship(
        actor=world.alice,
        member=world.members_a[2],
        kind="exemption",
        from_month=dt.date(2026, 1, 1),
        until_month=dt.date(2026, 6, 1),
        reason="重病",
        branch_decided_on=dt.date(2026, 1, 5),
    )
    alice = client_for(world.alice)
    url = reverse("dues:member", kwargs={"pk": world.members_a[2].pk})
    assert f'value="{h.pk}"' in page(alice.get(url), unique_ids=True)
    approve = reverse("dues:member_write", kwargs={"pk": world.members_a[2].pk, "kind": "approve"})
    assert (
        alice.post(
            approve, {"approve-hardship": h.pk, "approve-committee_approved_on": "2026-01-01"}
        ).status_code
        == 302
    )
    assert Hardship.objects.get(pk=h.pk).committee_approved_on is None  # before the branch's decision
    alice.post(approve, {"approve-hardship": h.pk, "approve-committee_approved_on": "2026-01-20"})
    assert Hardship.objects.get(pk=h.pk).committee_approved_on == dt.date(2026, 1, 20)


def test_a_member_enters_their_own_base_and_the_secretary_confirms_it(world: Any, client_for: Any) -> None:
    from jiceng.dues.models import IncomeBase
    from jiceng.members.models import Member

    dora = Member.objects.get(user=world.dora)
    me = client_for(world.dora)
    url = reverse("dues:member", kwargs={"pk": dora.pk})
    assert "own_base" in page(me.get(url), unique_ids=True)
    own = reverse("dues:member_write", kwargs={"pk": dora.pk, "kind": "own_base"})
    response = me.post(
        own, {"own_base-amount": "6000", "own_base-applies_from": "2026-03", "own_base-note": ""}
    )
    assert response.status_code == 302
    base = IncomeBase.objects.get(member=dora)
    assert not base.confirmed and base.source == "member"
    # The member cannot confirm it; nobody else enters a base as "their own".
    confirm = reverse("dues:member_write", kwargs={"pk": dora.pk, "kind": "confirm"})
    assert me.post(confirm, {"confirm-base": base.pk}).status_code == 403
    other = reverse("dues:member_write", kwargs={"pk": world.members_a[1].pk, "kind": "own_base"})
    alice = client_for(world.alice)  # the same test client, now signed in as alice
    assert alice.post(other, {"own_base-amount": "1", "own_base-applies_from": "2026-03"}).status_code == 403
    assert "confirm-base" in page(alice.get(url), unique_ids=True)
    assert alice.post(confirm, {"confirm-base": base.pk}).status_code == 302
    assert IncomeBase.objects.get(pk=base.pk).confirmed
