"""Every page and endpoint of the partner-unit registry answers by scope, for every named user."""

from __future__ import annotations

from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, scope_test
from jiceng.partners.models import PartnerUnit


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def unit_of_a(world):  # noqa: ANN001, ANN201
    """A property company registered by 和平社区 (branch A), made once for the test."""
    if not hasattr(world, "unit"):
        world.unit = PartnerUnit.objects.create(name="和平物业", kind="property", org=world.branch_a)
    return {"pk": world.unit.pk}


CASES = [
    Case("partners:list"),
    Case("partners:list", org=branch_a, query="org=0101"),
    Case("partners:mine"),
    Case("partners:create", action=CHANGE),
    Case("partners:create", action=CHANGE, method="post", ok=(200,)),
    Case("partners:detail", unit_of_a, org=branch_a),
    Case("partners:edit", unit_of_a, org=branch_a, action=CHANGE),
    Case("partners:edit", unit_of_a, org=branch_a, action=CHANGE, method="post", ok=(200,)),
    Case("partners:deactivate", unit_of_a, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    Case("api-partner-unit-list"),
    Case("api-partner-unit-list", action=CHANGE, method="post", ok=(400,)),
    Case("api-partner-unit-detail", unit_of_a, org=branch_a),
    Case("api-partner-unit-detail", unit_of_a, org=branch_a, action=CHANGE, method="patch", ok=(400,)),
    Case("api-partner-unit-requests", unit_of_a, org=branch_a),
    Case("api-partner-unit-history", unit_of_a, org=branch_a),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("partners", CASES)
test_every_endpoint_has_a_case = coverage_test("api-partner-unit", CASES)
