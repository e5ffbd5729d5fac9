"""Every page and endpoint of the partner-unit registry and of the agreements answers by scope, for
every named user (outsider organization, member, viewer, anonymous …); and the liaisons: a unit's own
reads its agreements and records progress on its projects only, another unit's liaison gets 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from jiceng.core import scope
from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, scope_test
from jiceng.partners.models import Agreement, AgreementProject, PartnerUnit, ProjectMilestone


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def unit_of_a(world):  # noqa: ANN001, ANN201
    """A property company registered by 和平社区 (branch A), made once for the test."""
    if not hasattr(world, "unit"):
        world.unit = PartnerUnit.objects.create(name="和平物业", kind="property", org=world.branch_a)
    return {"pk": world.unit.pk}


def _agreement(world):  # noqa: ANN001, ANN202
    if not hasattr(world, "ag"):
        unit_of_a(world)
        world.ag = Agreement.objects.create(unit=world.unit, org=world.branch_a, year=2026)
        world.proj = AgreementProject.objects.create(
            agreement=world.ag, title="楼道灯", deadline=dt.date(2026, 9, 1)
        )
        world.ms = ProjectMilestone.objects.create(
            project=world.proj, title="勘查", due_on=dt.date(2026, 8, 1)
        )
    return world.ag


def agreement_of_a(world):  # noqa: ANN001, ANN201
    return {"pk": _agreement(world).pk}


def project_of_a(world):  # noqa: ANN001, ANN201
    _agreement(world)
    return {"pk": world.proj.pk}


def milestone_of_a(world):  # noqa: ANN001, ANN201
    _agreement(world)
    return {"pk": world.ms.pk}


def with_roots(world, who):  # noqa: ANN001, ANN201
    """The figures without ``?org=``: the caller's first subtree, 403 for one without any."""
    from jiceng.orgs.selectors import scope_roots

    return (200,) if scope_roots(getattr(world, who)).exists() else (403,)


A = {"org": branch_a}
CASES = [
    Case("partners:list"),
    Case("partners:list", org=branch_a, query="org=0101"),
    Case("partners:mine"),
    Case("partners:create", action=CHANGE),
    Case("partners:create", action=CHANGE, method="post", ok=(200,)),
    Case("partners:detail", unit_of_a, **A),
    Case("partners:edit", unit_of_a, **A, action=CHANGE),
    Case("partners:edit", unit_of_a, **A, action=CHANGE, method="post", ok=(200,)),
    Case("partners:deactivate", unit_of_a, **A, action=CHANGE, method="post", ok=(302,)),
    Case("partners:agreement_create", unit_of_a, **A, action=CHANGE),
    Case("partners:agreement_create", unit_of_a, **A, action=CHANGE, method="post", ok=(200,)),
    Case("partners:agreements"),
    Case("partners:agreements", org=branch_a, query="org=0101"),
    Case("partners:agreement", agreement_of_a, **A),
    Case("partners:resource_add", agreement_of_a, **A, action=CHANGE, method="post", ok=(302,)),
    Case("partners:need_add", agreement_of_a, **A, action=CHANGE, method="post", ok=(302,)),
    Case("partners:project_add", agreement_of_a, **A, action=CHANGE, method="post", ok=(302,)),
    Case("partners:item_remove", agreement_of_a, **A, action=CHANGE, method="post", ok=(302,)),
    Case("partners:milestone_add", project_of_a, **A, action=CHANGE, method="post", ok=(302,)),
    Case("partners:project_status", project_of_a, **A, action=CHANGE, method="post", ok=(302,)),
    Case("partners:milestone_progress", milestone_of_a, **A, action=CHANGE, method="post", ok=(302,)),
    Case("partners:figures"),
    Case("partners:figures", org=branch_a, query="org=0101"),
    Case("api-partner-unit-list"),
    Case("api-partner-unit-list", action=CHANGE, method="post", ok=(400,)),
    Case("api-partner-unit-detail", unit_of_a, **A),
    Case("api-partner-unit-detail", unit_of_a, **A, action=CHANGE, method="patch", ok=(400,)),
    Case("api-partner-unit-requests", unit_of_a, **A),
    Case("api-partner-unit-history", unit_of_a, **A),
    Case("api-partner-agreement-list"),
    Case("api-partner-agreement-list", action=CHANGE, method="post", ok=(400,)),
    Case("api-partner-agreement-detail", agreement_of_a, **A),
    Case("api-partner-agreement-detail", agreement_of_a, **A, action=CHANGE, method="patch", ok=(200,)),
    Case("api-partner-agreement-resources", agreement_of_a, **A, action=CHANGE, method="post", ok=(400,)),
    Case("api-partner-agreement-needs", agreement_of_a, **A, action=CHANGE, method="post", ok=(400,)),
    Case("api-partner-agreement-projects", agreement_of_a, **A, action=CHANGE, method="post", ok=(400,)),
    Case("api-partner-agreement-history", agreement_of_a, **A),
    Case("api-partner-project-list"),
    Case("api-partner-milestone-list"),
    Case("api-partner-project-detail", project_of_a, **A),
    Case("api-partner-project-milestones", project_of_a, **A, action=CHANGE, method="post", ok=(400,)),
    Case("api-partner-project-status", project_of_a, **A, action=CHANGE, method="post", ok=(400,)),
    Case("api-partner-milestone-progress", milestone_of_a, **A, action=CHANGE, method="post", ok=(400,)),
    Case("api-partner-figures", expect=with_roots),
    Case("api-partner-figures", org=branch_a, query="org=0101"),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("partners", CASES)
test_every_endpoint_has_a_case = coverage_test("api-partner", CASES)

# The liaisons: reads and progress for their own unit's project; 404 for another unit's.
LIAISON_OK = {
    ("partners:detail", "get"): (200,),
    ("partners:agreement", "get"): (200,),
    ("partners:project_status", "post"): (302,),
    ("partners:milestone_progress", "post"): (302,),
    ("api-partner-unit-detail", "get"): (200,),
    ("api-partner-unit-requests", "get"): (200,),
    ("api-partner-unit-history", "get"): (200,),  # the tree's change records: none for a liaison
    ("api-partner-agreement-detail", "get"): (200,),
    ("api-partner-agreement-history", "get"): (200,),
    ("api-partner-project-detail", "get"): (200,),
    ("api-partner-project-status", "post"): (400,),
    ("api-partner-milestone-progress", "post"): (400,),
}
OBJECT_CASES = [c for c in CASES if c.org is not None and c.query == ""]


@pytest.fixture
def liaisons(world):  # noqa: ANN001, ANN201
    from jiceng.core.models import User

    unit_of_a(world)
    other = PartnerUnit.objects.create(name="新华超市", kind="enterprise", org=world.branch_b)
    erin = User.objects.create_user("erin", password="x-correct-horse")
    frank = User.objects.create_user("frank", password="x-correct-horse")
    world.unit.contacts.add(erin)
    other.contacts.add(frank)
    assert not scope.paths_for(erin, scope.VIEW) and not scope.paths_for(frank, scope.VIEW)
    return erin, frank


@pytest.mark.parametrize("case", OBJECT_CASES, ids=str)
def test_liaisons(world, liaisons, case):  # noqa: ANN001
    erin, frank = liaisons
    url = reverse(case.name, kwargs=case.args(world))
    for user, want in ((frank, (404,)), (erin, LIAISON_OK.get((case.name, case.method), (403,)))):
        client = APIClient()
        client.force_login(user)
        send = getattr(client, case.method)
        response = send(url) if case.method == "get" else send(url, {}, format="json" if case.api else None)
        assert response.status_code in want, (str(case), user.username, response.status_code)
        if case.name.endswith("-history") and response.status_code == 200:
            assert response.json()["count"] == 0


def test_another_liaison_lists_nothing_of_the_unit(world, liaisons):  # noqa: ANN001
    erin, frank = liaisons
    _agreement(world)
    client = APIClient()
    client.force_login(frank)
    assert client.get(reverse("api-partner-agreement-list")).json()["count"] == 0
    assert client.get(reverse("api-partner-project-list")).json()["count"] == 0
    assert client.get(reverse("api-partner-milestone-list")).json()["count"] == 0
    assert "楼道灯" not in client.get(reverse("partners:mine")).content.decode()
    client.force_login(erin)
    assert client.get(reverse("api-partner-agreement-list")).json()["count"] == 1
