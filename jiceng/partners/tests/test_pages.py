"""The registry end to end: register, edit, deactivate from the pages and the API; a contact's view
of what is dispatched to the unit; routing skips a deactivated unit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.core.models import ObjectChange, User
from jiceng.core.testing import page
from jiceng.partners import services
from jiceng.partners.models import PartnerUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def erin(world):  # noqa: ANN001, ANN201
    return User.objects.create_user("erin", password="correct-horse-battery", full_name="物业联系人")


def test_a_secretary_registers_edits_and_deactivates_a_unit(world, client_for, erin):  # noqa: ANN001
    client = client_for(world.alice)
    page(client.get(reverse("partners:create")), one_h1=True, unique_ids=True)
    response = client.post(
        reverse("partners:create"),
        {
            "org": world.branch_a.pk,
            "name": "和平物业",
            "kind": "property",
            "phone": "010-1234",
            "contacts": "erin",
        },
    )
    unit = PartnerUnit.objects.get(name="和平物业")
    assert response.status_code == 302 and response["Location"] == reverse("partners:detail", args=[unit.pk])
    assert list(unit.contacts.values_list("username", flat=True)) == ["erin"]
    assert unit.org_path == world.branch_a.path
    text = page(client.get(reverse("partners:detail", args=[unit.pk])), one_h1=True, unique_ids=True)
    assert "erin" in text
    listing = page(client.get(reverse("partners:list")), one_h1=True)
    assert f'data-partner="{unit.pk}"' in listing

    edit = page(client.get(reverse("partners:edit", args=[unit.pk])), one_h1=True, unique_ids=True)
    assert "erin" in edit
    from jiceng.core import concurrency

    version = concurrency.version_of(unit)
    response = client.post(
        reverse("partners:edit", args=[unit.pk]),
        {
            "org": world.branch_a.pk,
            "name": "和平物业公司",
            "kind": "property",
            "contacts": "",
            "version": version,
        },
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "和平物业公司" and unit.contacts.count() == 0
    change = ObjectChange.objects.filter(object_id=unit.pk, action="update").latest("id")
    assert change.prechange_data["contacts"] == ["erin"] and change.postchange_data["contacts"] == []

    response = client.post(reverse("partners:deactivate", args=[unit.pk]))
    unit.refresh_from_db()
    assert response.status_code == 302 and not unit.active
    client.post(reverse("partners:deactivate", args=[unit.pk]), {"active": "1"})
    unit.refresh_from_db()
    assert unit.active


def test_bad_input_names_the_field_and_saves_nothing(world, client_for):  # noqa: ANN001
    client = client_for(world.alice)
    response = client.post(
        reverse("partners:create"),
        {"org": world.branch_a.pk, "name": "和平物业", "kind": "property", "contacts": "nobody, erin2"},
    )
    assert response.status_code == 200
    assert "没有这些账号（或已停用）：nobody、erin2" in response.content.decode()
    assert not PartnerUnit.objects.exists()
    # An organization outside the secretary's subtree is not a choice.
    response = client.post(
        reverse("partners:create"), {"org": world.branch_b.pk, "name": "x", "kind": "property"}
    )
    assert response.status_code == 200 and not PartnerUnit.objects.exists()
    services.register_unit(actor=world.alice, org=world.branch_a, name="同名", kind="other")
    response = client.post(
        reverse("partners:create"), {"org": world.branch_a.pk, "name": "同名", "kind": "other"}
    )
    assert "该党组织已登记同名的共建单位" in response.content.decode()
    assert PartnerUnit.objects.count() == 1


def test_stale_edit_is_refused(world, client_for):  # noqa: ANN001
    from jiceng.core import concurrency

    unit = services.register_unit(actor=world.alice, org=world.branch_a, name="和平物业", kind="property")
    version = concurrency.version_of(unit)
    services.update_unit(actor=world.county_admin, unit=unit, name="改名", kind="property")
    response = client_for(world.alice).post(
        reverse("partners:edit", args=[unit.pk]),
        {"org": world.branch_a.pk, "name": "又改", "kind": "property", "version": version},
    )
    assert response.status_code == 200
    unit.refresh_from_db()
    assert unit.name == "改名"


def test_a_contact_sees_what_is_dispatched_and_cannot_edit(world, client_for, erin):  # noqa: ANN001
    from jiceng.services import services as request_services
    from jiceng.services.models import Category

    unit = services.register_unit(
        actor=world.county_admin, org=world.root, name="安居物业", kind="property", contacts=["erin"]
    )
    cat = Category.objects.get(name="物业管理", parent=None)
    request_services.set_route(
        actor=world.county_admin, org=world.branch_a, category=cat, handler_partner=unit
    )
    mine, _t = request_services.submit_request(
        org=world.branch_a, category=cat, text="电梯坏了", address="5号楼"
    )
    other, _t = request_services.submit_request(
        org=world.branch_a,
        category=Category.objects.get(name="环境卫生", parent=None),
        text="垃圾",
        address="南门",
    )
    assert mine.handler_partner == unit and other.handler_partner is None
    client = client_for(erin)
    # The contact lands on their unit's page at sign-in.
    assert client.get(reverse("home"), follow=False)["Location"] == reverse("partners:mine")
    text = page(client.get(reverse("partners:mine")), one_h1=True, unique_ids=True)
    assert f'data-code="{mine.code}"' in text and other.code not in text
    assert client.get(reverse("partners:detail", args=[unit.pk])).status_code == 200
    assert client.get(reverse("partners:edit", args=[unit.pk])).status_code == 403
    assert client.post(reverse("partners:deactivate", args=[unit.pk])).status_code == 403
    assert f'data-partner="{unit.pk}"' not in client.get(reverse("partners:list")).content.decode()
    # Deactivated: routing skips the unit, the community handles new requests itself.
    services.set_active(actor=world.county_admin, unit=unit, active=False)
    after, _t = request_services.submit_request(
        org=world.branch_a, category=cat, text="门禁坏了", address="6号楼"
    )
    assert after.handler_partner is None and after.handler_org == world.branch_a
    mine.refresh_from_db()
    assert mine.handler_partner == unit  # what it already had stays with it


def test_the_api_registers_edits_and_deactivates(world, api, erin):  # noqa: ANN001
    client = api("alice")
    url = reverse("api-partner-unit-list")
    bad = client.post(
        url, {"org": "0101", "name": "和平物业", "kind": "property", "contacts": ["ghost"]}, format="json"
    )
    assert bad.status_code == 400 and "ghost" in bad.content.decode()
    assert client.post(url, {"org": "0102", "name": "x", "kind": "other"}, format="json").status_code == 404
    made = client.post(
        url, {"org": "0101", "name": "和平物业", "kind": "property", "contacts": ["erin"]}, format="json"
    )
    assert made.status_code == 201 and made.json()["contacts"] == ["erin"]
    detail = reverse("api-partner-unit-detail", args=[made.json()["id"]])
    etag = client.get(detail)["ETag"]
    patched = client.patch(detail, {"phone": "010-5555"}, format="json", HTTP_IF_MATCH=etag)
    assert patched.status_code == 200 and patched.json()["phone"] == "010-5555"
    assert client.patch(detail, {"phone": "1"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    off = client.patch(detail, {"active": False}, format="json")
    assert off.status_code == 200 and off.json()["active"] is False
    assert api("bob").get(detail).status_code == 404
    assert api("viewer").patch(detail, {"phone": "2"}, format="json").status_code == 403
    history = client.get(reverse("api-partner-unit-history", args=[made.json()["id"]])).json()
    assert history["count"] == 3


def test_the_registry_and_the_contacts_page_read_a_fixed_number_of_queries(
    world, client_for, erin, django_assert_max_num_queries
):  # noqa: ANN001
    from jiceng.services import services as request_services
    from jiceng.services.models import Category

    cat = Category.objects.get(name="其他", parent=None)

    def add(i: int) -> None:
        unit = services.register_unit(
            actor=world.county_admin, org=world.root, name=f"单位{i}", kind="other", contacts=["erin"]
        )
        request_services.set_route(
            actor=world.county_admin, org=world.branch_a, category=cat, handler_partner=unit
        )
        request_services.submit_request(org=world.branch_a, category=cat, text=f"诉求{i}", address="某处")

    admin = client_for(world.county_admin)
    admin.get(reverse("partners:list"))
    add(0)
    with django_assert_max_num_queries(20) as few:
        admin.get(reverse("partners:list"))
    for i in range(1, 6):
        add(i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin.get(reverse("partners:list"))
    contact = client_for(erin)
    page(contact.get(reverse("partners:mine")), one_h1=True, unique_ids=True)
