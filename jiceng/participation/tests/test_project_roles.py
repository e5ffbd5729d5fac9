"""A project role (共建项目岗位): a service task that names an agreed project (项目清单) of a 共建协议, so
reporting members can take on a role in the community's partnership projects (issue 17, capability 2)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from jiceng.core.testing import page
from jiceng.participation import services
from jiceng.participation.models import ServiceTask
from jiceng.partners import services as partner_services
from jiceng.partners.tests.conftest import _shipped, agreement, units  # noqa: F401 (fixtures)

# 和平社区's agreement of this year with 和平物业 and its two projects (world.project_unit, .project_org).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("agreement")]
BASE = "/api/v1/participation"


def role(world, project, **kw):  # noqa: ANN001, ANN201
    return services.publish_task(
        actor=kw.pop("actor", world.alice),
        community=kw.pop("community", world.branch_a),
        kind=kw.pop("kind", "project_role"),
        title=kw.pop("title", "楼道灯改造志愿岗"),
        project=project,
        **kw,
    )


def test_a_project_role_names_a_project_of_the_communitys_agreement(world):
    task = role(world, world.project_org)
    assert task.project == world.project_org and task.get_kind_display() == "共建项目岗位"


@pytest.mark.parametrize(
    ("case", "code"),
    [("no project", "required"), ("other kind with project", "not_a_role"), ("done project", "closed")],
)
def test_a_project_role_is_refused_on_the_project_field(world, case, code):
    project, kind = world.project_org, "project_role"
    if case == "no project":
        project = None
    elif case == "other kind with project":
        kind = "small_wish"
    else:
        partner_services.set_project_status(
            actor=world.alice, project=project, status="done", done_on=timezone.localdate()
        )
    with pytest.raises(ValidationError) as e:
        role(world, project, kind=kind)
    assert [err.code for err in e.value.error_dict["project"]] == [code]
    assert not ServiceTask.objects.exists()


def test_another_communitys_project_is_refused(world):
    # bob (新华村) may publish for his village, not name 和平社区's project he cannot see.
    with pytest.raises(ValidationError) as e:
        role(world, world.project_org, actor=world.bob, community=world.branch_b)
    assert [err.code for err in e.value.error_dict["project"]] == ["elsewhere"]


def test_the_api_takes_the_project_and_hides_other_communities_projects(world, api):
    body = {"community": "0101", "kind": "project_role", "title": "宣传岗", "project": world.project_org.pk}
    r = api("alice").post(f"{BASE}/tasks/", body, format="json")
    assert r.status_code == 201, r.json()
    assert (r.json()["project"], r.json()["project_title"]) == (world.project_org.pk, "垃圾分类宣传")
    r = api("alice").post(f"{BASE}/tasks/", {**body, "project": None}, format="json")
    assert r.status_code == 400 and "project" in r.json()["errors"]
    r = api("bob").post(f"{BASE}/tasks/", {**body, "community": "0102"}, format="json")
    assert r.status_code == 404  # the project is not bob's to see: no hint that it exists


def test_the_agreement_page_counts_the_roles_and_the_task_page_links_the_project(world, client_for):
    task = role(world, world.project_unit, places=3)
    html = page(client_for(world.alice).get(reverse("participation:task", args=[task.pk])))
    assert reverse("partners:agreement", args=[world.agreement.pk]) in html and "楼道灯改造" in html
    for who in (world.alice, world.erin):  # the committee and the unit's liaison: counts, never names
        html = page(client_for(who).get(reverse("partners:agreement", args=[world.agreement.pk])))
        assert 'data-project-roles="1"' in html and "共建项目岗位1个，报到党员认领0人次" in html


def test_the_publish_form_offers_the_open_projects_the_user_sees(world, client_for):
    html = page(client_for(world.alice).get(reverse("participation:task_new")))
    assert "垃圾分类宣传" in html and "楼道灯改造" in html
    html = page(client_for(world.bob).get(reverse("participation:task_new")))
    assert "垃圾分类宣传" not in html
