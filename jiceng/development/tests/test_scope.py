"""Every member-development page and endpoint answers by scope, for every named user
(jiceng.core.testing)."""

from __future__ import annotations

from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, scope_test
from jiceng.development.models import StepKind

from .helpers import walk


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def development(world):  # noqa: ANN001, ANN201
    """One file of branch A whose latest step (the talk) may be removed, made once for the test."""
    if not hasattr(world, "development"):
        world.development = walk(world, until=StepKind.TALK)
    return {"pk": world.development.pk}


def step(world):  # noqa: ANN001, ANN201
    development(world)
    return {"pk": world.development.steps.get(kind=StepKind.TALK).pk}


def with_kind(kind):  # noqa: ANN001, ANN201
    return lambda world: {**development(world), "kind": kind}


STEP_KINDS = [k for k in StepKind.values if k != StepKind.APPLICATION]

CASES = [
    Case("development:index", ok=(200, 302)),  # one scope root: straight to its board
    Case("development:board", lambda world: {"code": "0101"}, org=branch_a),
    Case("development:apply", action=CHANGE),
    Case("development:apply", org=branch_a, action=CHANGE, query="org=0101"),
    Case("development:detail", development, org=branch_a),
    Case("development:print", development, org=branch_a),
    Case("development:edit", development, org=branch_a, action=CHANGE),
    Case("development:people", development, org=branch_a, action=CHANGE, query="kind=mentors&q=王"),
    Case("development:step", with_kind(StepKind.MENTORS), org=branch_a, action=CHANGE),
    Case("development:reveal", development, org=branch_a, action=CHANGE, method="post"),
    Case("development:step_delete", step, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    Case("api-development-list"),
    Case("api-development-list", action=CHANGE, method="post", ok=(400,)),
    Case("api-development-board", org=branch_a, query="org=0101"),
    Case("api-development-detail", development, org=branch_a),
    Case("api-development-detail", development, org=branch_a, action=CHANGE, method="patch"),
    Case("api-development-reveal-id", development, org=branch_a, action=CHANGE, method="post"),
    Case(
        "api-development-step",
        lambda world: {"step_id": step(world)["pk"]},
        org=branch_a,
        action=CHANGE,
        method="delete",
        ok=(204, 200),
    ),
    *(
        Case(
            f"api-development-step-{kind}", development, org=branch_a, action=CHANGE, method="post", ok=(400,)
        )
        for kind in STEP_KINDS
    ),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("development", CASES)
test_every_endpoint_has_a_case = coverage_test("api-development", CASES)
