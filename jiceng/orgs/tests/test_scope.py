"""Every organization page and endpoint answers by scope, for every named user (jiceng.core.testing)."""

from __future__ import annotations

from jiceng.core.scope import CHANGE, MANAGE
from jiceng.core.testing import Case, coverage_test, scope_test


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def general(world):  # noqa: ANN001, ANN201
    return world.general


def code_a(world):  # noqa: ANN001, ANN201
    return {"code": world.branch_a.code}


def code_general(world):  # noqa: ANN001, ANN201
    return {"code": world.general.code}


CASES = [
    Case("orgs:tree"),
    Case("orgs:detail", code_a, org=branch_a),
    Case("orgs:history", code_a, org=branch_a),
    Case("orgs:children", code_general, org=general),
    Case("orgs:create", code_general, org=general, action=MANAGE),
    Case("orgs:edit", code_a, org=branch_a, action=CHANGE),
    Case("orgs:move", code_a, org=branch_a, action=MANAGE),
    Case("orgs:merge", code_a, org=branch_a, action=MANAGE),
    Case("orgs:split", code_a, org=branch_a, action=MANAGE),
    Case("orgs:election", code_a, org=branch_a, action=CHANGE),
    Case("orgs:extension", code_a, org=branch_a, action=CHANGE, ok=(302,)),  # no committee yet
    Case("orgs:secretary", code_a, org=branch_a, action=CHANGE),
    Case("orgs:group_create", code_a, org=branch_a, action=CHANGE),
    Case("api-org-list"),
    Case("api-org-list", action=MANAGE, method="post", ok=(400,)),
    Case("api-org-detail", code_a, org=branch_a),
    Case("api-org-detail", code_a, org=branch_a, action=CHANGE, method="patch"),
    Case("api-org-summary", code_a, org=branch_a),
    Case("api-org-history", code_a, org=branch_a),
    Case("api-org-move", code_a, org=branch_a, action=MANAGE, method="post", ok=(400,)),
    Case("api-org-merge", code_a, org=branch_a, action=MANAGE, method="post", ok=(400,)),
    Case("api-org-elections", code_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-org-secretary", code_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("orgs", CASES)
test_every_endpoint_has_a_case = coverage_test("api-org", CASES)
