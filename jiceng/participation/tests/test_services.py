"""双报到 and volunteer service end to end through the services: who may, what is refused, what is kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from jiceng.core import crypto
from jiceng.core.models import ObjectChange
from jiceng.participation import selectors, services
from jiceng.participation.models import Volunteer

from .conftest import later

pytestmark = pytest.mark.django_db


def test_a_member_reports_and_the_community_accepts(world, zheng):
    reg = services.register_member(
        actor=zheng, member=world.member_c, community=world.branch_a, residence="幸福里"
    )
    assert reg.status == "pending"
    # The home branch's secretary (none here), the community, the member, the street see it; bob does not.
    assert selectors.registrations(world.alice).filter(pk=reg.pk).exists()
    assert selectors.registrations(world.county_admin).filter(pk=reg.pk).exists()
    assert selectors.registrations(zheng).filter(pk=reg.pk).exists()
    assert not selectors.registrations(world.bob).filter(pk=reg.pk).exists()
    assert not selectors.registrations(world.charlie).filter(pk=reg.pk).exists()
    with pytest.raises(Http404):
        services.decide_member_registration(actor=world.bob, registration=reg, accept=True)
    with pytest.raises(ValidationError):
        services.decide_member_registration(actor=world.alice, registration=reg, accept=False)  # no reason
    reg = services.decide_member_registration(actor=world.alice, registration=reg, accept=True)
    assert (reg.status, reg.decided_on, reg.decided_by) == ("accepted", timezone.localdate(), world.alice)
    with pytest.raises(ValidationError):
        services.decide_member_registration(actor=world.alice, registration=reg, accept=True)
    assert ObjectChange.objects.filter(object_id=reg.pk, message="接收报到").exists()
    # The branch side: where the members of 机关第一党总支 serve; the community side: who reported.
    assert list(selectors.registrations_of_branch(world.county_admin, world.general)) == [reg]
    assert list(selectors.registrations_to(world.county_admin, world.branch_a)) == [reg]
    assert list(selectors.registrations_to(world.county_admin, world.branch_b)) == []


def test_a_secretary_reports_a_member_of_the_branch_only(world):
    m = world.members_b[1]
    with pytest.raises(PermissionDenied):
        services.register_member(actor=world.alice, member=m, community=world.branch_a)
    reg = services.register_member(actor=world.bob, member=m, community=world.branch_a)
    assert selectors.registrations(world.bob).filter(pk=reg.pk).exists()
    with pytest.raises(ValidationError) as e:
        services.register_member(actor=world.bob, member=m, community=world.branch_a)
    assert e.value.error_dict["community"][0].code == "duplicate"
    services.end_member_registration(actor=world.bob, registration=reg)
    services.register_member(actor=world.bob, member=m, community=world.branch_b)


def test_only_a_community_takes_registrations(world, zheng):
    with pytest.raises(ValidationError) as e:
        services.register_member(actor=zheng, member=world.member_c, community=world.general)
    assert e.value.error_dict["community"][0].code == "not_community"
    with pytest.raises(ValidationError):
        services.register_member(
            actor=zheng,
            member=world.member_c,
            community=world.branch_a,
            reported_on=timezone.localdate() + dt.timedelta(days=1),
        )


def test_a_unit_reports_and_the_community_accepts(world):
    from jiceng.partners.models import PartnerUnit

    unit = PartnerUnit.objects.create(name="安居物业", kind="property", org=world.root)
    reg = services.register_unit(
        actor=world.county_admin, community=world.branch_a, partner=unit, offer="维修"
    )
    with pytest.raises(ValidationError):
        services.register_unit(actor=world.county_admin, community=world.branch_a, partner=unit)
    org_reg = services.register_unit(
        actor=world.county_admin, community=world.branch_a, unit_org=world.branch_c
    )
    with pytest.raises(PermissionDenied):
        services.register_unit(actor=world.bob, community=world.branch_a, unit_org=world.branch_c)
    services.decide_unit_registration(actor=world.alice, registration=reg, accept=True)
    assert {r.pk for r in selectors.unit_registrations(world.alice)} == {reg.pk, org_reg.pk}
    assert not selectors.unit_registrations(world.bob).exists()


def _accepted(world, zheng):
    reg = services.register_member(actor=zheng, member=world.member_c, community=world.branch_a)
    return services.decide_member_registration(actor=world.alice, registration=reg, accept=True)


def test_a_reporting_member_takes_a_task_and_records_it(world, zheng):
    task = services.publish_task(
        actor=world.alice, community=world.branch_a, kind="small_wish", title="修收音机"
    )
    with pytest.raises(ValidationError):
        services.claim_task(actor=zheng, task=task)  # not reported yet
    _accepted(world, zheng)
    assert selectors.tasks(zheng).filter(pk=task.pk).exists()
    assert not selectors.tasks(world.bob).filter(pk=task.pk).exists()
    claim = services.claim_task(actor=zheng, task=task)
    with pytest.raises(ValidationError):
        services.claim_task(actor=zheng, task=task)
    with pytest.raises(PermissionDenied):
        services.report_claim(actor=world.alice, claim=claim, report="x")
    with pytest.raises(ValidationError):
        services.report_claim(actor=zheng, claim=claim, report="   ")
    claim = services.report_claim(actor=zheng, claim=claim, report="修好了")
    assert claim.done_on == timezone.localdate()
    with pytest.raises(ValidationError):
        services.report_claim(actor=zheng, claim=claim, report="again")


def test_a_task_is_full_once_its_places_are_taken(world, zheng):
    task = services.publish_task(
        actor=world.alice, community=world.branch_a, kind="shift", title="值守", places=1
    )
    _accepted(world, zheng)
    services.claim_task(actor=zheng, task=task)
    reg = services.register_member(actor=world.bob, member=world.members_b[0], community=world.branch_a)
    services.decide_member_registration(actor=world.alice, registration=reg, accept=True)
    from jiceng.core.models import User

    u = User.objects.create_user("sun", password="x-correct-horse")
    world.members_b[0].user = u
    world.members_b[0].save(update_fields=["user"])
    with pytest.raises(ValidationError) as e:
        services.claim_task(actor=u, task=task)
    assert e.value.code == "full"


def _activity(world, **kw):
    start = later(days=2)
    return services.publish_activity(
        actor=world.alice,
        org=world.branch_a,
        title="清洁家园",
        place="中心广场",
        starts_at=kw.pop("starts_at", start),
        ends_at=kw.pop("ends_at", start + dt.timedelta(hours=3)),
        needed=kw.pop("needed", 5),
        **kw,
    )


def test_activity_sign_up_attendance_once_and_hours(world, zheng):
    a = _activity(world)
    assert a.hours == Decimal("3.0")
    with pytest.raises(PermissionDenied):
        services.sign_up_member(actor=zheng, activity=a)  # not open to him: not his tree line nor accepted
    _accepted(world, zheng)
    v1 = services.sign_up_member(actor=zheng, activity=a)
    v2 = services.sign_up_member(actor=world.dora, activity=a)  # dora's own branch published it
    with pytest.raises(ValidationError):
        services.sign_up_member(actor=world.dora, activity=a)
    r = services.sign_up_resident(actor=world.alice, activity=a, name="王秀英", phone="13900001111")
    assert (r.name_masked, r.phone_masked) == ("王**", "139****1111")
    assert crypto.decrypt(r.phone_cipher) == "13900001111"
    assert "13900001111" not in str(
        ObjectChange.objects.filter(object_id=r.pk).values_list("postchange_data")
    )
    with pytest.raises(ValidationError):
        services.sign_up_resident(actor=world.alice, activity=a, name="李", phone="12345")
    with pytest.raises(Http404):
        services.sign_up_resident(actor=world.bob, activity=a, name="李", phone="13900002222")
    # Not before the start; then once; only the organizer.
    with pytest.raises(ValidationError):
        services.record_attendance(actor=world.alice, activity=a, present=[v1.pk])
    after = a.starts_at + dt.timedelta(hours=4)
    with pytest.raises(ValidationError):
        services.record_attendance(actor=world.alice, activity=a, present=[v1.pk, 999999], now=after)
    with pytest.raises(PermissionDenied):
        services.record_attendance(actor=world.viewer, activity=a, present=[v1.pk], now=after)
    services.record_attendance(actor=world.alice, activity=a, present=[v1.pk, r.pk], now=after)
    with pytest.raises(ValidationError):
        services.record_attendance(actor=world.alice, activity=a, present=[v2.pk], now=after)
    hours = {v.pk: (v.attended, v.hours) for v in Volunteer.objects.all()}
    assert hours == {
        v1.pk: (True, Decimal("3.0")),
        v2.pk: (False, Decimal("0")),
        r.pk: (True, Decimal("3.0")),
    }
    assert selectors.own_hours(world.member_c, a.starts_at.year) == Decimal("3.0")
    assert selectors.own_hours(world.members_a[0]) == Decimal("0")


def test_sign_up_closes_when_full_or_started(world):
    a = _activity(world, needed=1)
    services.sign_up_member(actor=world.dora, activity=a)
    with pytest.raises(ValidationError) as e:
        services.sign_up_member(actor=world.alice, activity=a)
    assert e.value.code == "full"
    b = _activity(world)
    with pytest.raises(ValidationError) as e:
        services.sign_up_member(actor=world.alice, activity=b, now=b.starts_at)
    assert e.value.code == "closed"


def test_activity_input_is_bounded(world):
    start = later(days=1)
    with pytest.raises(ValidationError):
        _activity(world, starts_at=start, ends_at=start)
    with pytest.raises(ValidationError):
        _activity(world, needed=0)
    with pytest.raises(ValidationError):
        _activity(world, hours=Decimal("30"))
    with pytest.raises(Http404):
        services.publish_activity(
            actor=world.bob,
            org=world.branch_a,
            title="x",
            place="y",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            needed=1,
        )


def test_reveal_is_audited(world):
    a = _activity(world)
    r = services.sign_up_resident(actor=world.alice, activity=a, name="王秀英", phone="13900001111")
    assert services.reveal_contact(actor=world.alice, volunteer=r) == {
        "name": "王秀英",
        "phone": "13900001111",
    }
    assert ObjectChange.objects.filter(action="reveal", object_id=r.pk).exists()
    with pytest.raises(PermissionDenied):
        services.reveal_contact(actor=world.viewer, volunteer=r)


def test_figures_by_organization_and_unit(world, zheng):
    from jiceng.partners.models import PartnerUnit

    unit = PartnerUnit.objects.create(name="安居物业", kind="property", org=world.root)
    _accepted(world, zheng)
    a = _activity(world, partner=unit, hours=Decimal("2"))
    b = _activity(world)
    va = [
        services.sign_up_member(actor=zheng, activity=a),
        services.sign_up_member(actor=world.dora, activity=a),
    ]
    vb = services.sign_up_member(actor=world.dora, activity=b)
    services.record_attendance(actor=world.alice, activity=a, present=[v.pk for v in va], now=later(days=3))
    services.record_attendance(actor=world.alice, activity=b, present=[vb.pk], now=later(days=3))
    f = selectors.figures(world.county_admin, world.root, a.starts_at.year)
    # By hand: a: 2 people × 2.0 h; b: 1 person × 3.0 h.
    assert (f["activities"], f["attendances"], f["hours"]) == (2, 3, Decimal("7.0"))
    assert [(r["activity__org__name"], r["people"], r["hours"]) for r in f["by_org"]] == [
        ("和平社区党支部", 3, Decimal("7.0"))
    ]
    assert [(r["activity__partner__name"], r["hours"]) for r in f["by_partner"]] == [
        ("安居物业", Decimal("4.0"))
    ]
    assert (f["members_serving"], f["members_reported_here"]) == (1, 1)
    assert selectors.figures(world.bob, world.branch_b, a.starts_at.year)["hours"] == 0
