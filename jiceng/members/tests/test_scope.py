"""Every roster page and endpoint answers by scope, for every named user (jiceng.core.testing)."""

from __future__ import annotations

from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, scope_test


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def member(world):  # noqa: ANN001, ANN201
    return {"pk": world.members_a[1].pk}


def own_record(world, who):  # noqa: ANN001, ANN201
    return (200,) if who in ("alice", "dora") else (404,)


CASES = [
    Case("members:list"),
    Case("members:list", org=branch_a, query="org=0101"),
    Case("members:me", expect=own_record),
    Case("members:create", action=CHANGE),
    Case("members:create", org=branch_a, action=CHANGE, query="org=0101"),
    # Pure arithmetic on the posted number (an empty body: 204), for whoever may register members.
    Case("members:derive", action=CHANGE, method="post", ok=(204,)),
    Case("members:detail", member, org=branch_a),
    Case("members:edit", member, org=branch_a, action=CHANGE),
    Case("members:transfer", member, org=branch_a, action=CHANGE),
    Case("members:reveal", member, org=branch_a, action=CHANGE, method="post"),
    Case("api-member-list"),
    Case("api-member-list", action=CHANGE, method="post", ok=(400,)),
    Case("api-member-detail", member, org=branch_a),
    Case("api-member-detail", member, org=branch_a, action=CHANGE, method="patch"),
    Case("api-member-history", member, org=branch_a),
    Case("api-member-reveal-id", member, org=branch_a, action=CHANGE, method="post"),
    Case("api-member-transfer", member, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-me", expect=lambda world, who: (200,) if who in ("alice", "dora") else (404,)),
    # The caller's own sections: every signed-in user gets their own (an empty list without a record).
    Case("api-me-sections", expect=lambda world, who: (200,)),
    Case("api-me-section", lambda world: {"key": "members.record"}, expect=own_record),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("members", CASES)
test_every_endpoint_has_a_case = coverage_test("api-member", CASES)
