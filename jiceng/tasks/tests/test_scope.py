"""Every task page and endpoint answers by scope, for every named user (jiceng.core.testing)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiceng.core import scope
from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, scope_test
from jiceng.tasks import services


def root(world):  # noqa: ANN001, ANN201
    return world.root


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def general(world):  # noqa: ANN001, ANN201
    return world.general


def _task(world):  # noqa: ANN001, ANN201
    if not hasattr(world, "task"):
        world.task = services.issue_task(
            actor=world.county_admin,
            issuer=world.root,
            title="开展主题党日",
            deadline=timezone.localdate() + dt.timedelta(days=5),
            target="next_level",
            answer_kind="text",
        )
    return world.task


def task(world):  # noqa: ANN001, ANN201
    return {"pk": _task(world).pk}


def assignment_a(world):  # noqa: ANN001, ANN201
    return {"pk": _task(world).assignments.get(org=world.branch_a).pk}


def relay(world):  # noqa: ANN001, ANN201
    return {"pk": _task(world).assignments.get(org=world.general).pk}


def item(world):  # noqa: ANN001, ANN201
    if not hasattr(world, "item"):
        world.item = services.add_responsibility(
            actor=world.county_admin, org=world.root, year=2026, content="抓好党建"
        )
    return {"pk": world.item.pk}


def issuer_only(world, who):  # noqa: ANN001, ANN201
    """The issue page: 200 for a user who may change a committee, else 403."""
    user = getattr(world, who)
    return (
        (200,)
        if scope.can(user, CHANGE, world.root.path) or scope.can(user, CHANGE, world.general.path)
        else (403,)
    )


CASES = [
    Case("tasks:index"),
    Case("tasks:create", action=CHANGE, expect=issuer_only),
    Case("tasks:detail", task, org=root),
    Case("tasks:detail", task, org=root, query="org=0103"),
    Case("tasks:remind", task, org=root, action=CHANGE, method="post", ok=(302,)),
    Case("tasks:assignment", assignment_a, org=branch_a),
    Case("tasks:confirm", assignment_a, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    Case("tasks:answer", assignment_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("tasks:withdraw", assignment_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("tasks:pass_on", relay, org=general, action=CHANGE),
    Case("tasks:file", assignment_a, org=branch_a, ok=(404,)),
    Case("tasks:responsibilities", query="org=01&year=2026", org=root),
    Case("tasks:responsibility_add", query="org=01&year=2026", org=root, action=CHANGE),
    Case("tasks:responsibility_delete", item, org=root, action=CHANGE, method="post", ok=(302,)),
    Case("api-task-list"),
    Case("api-task-list", org=root, action=CHANGE, method="post", data={"issuer": "01"}, ok=(400,)),
    Case("api-task-detail", task, org=root),
    Case("api-task-completion", task, org=root),
    Case("api-task-remind", task, org=root, action=CHANGE, method="post", ok=(200,)),
    Case("api-task-assignment-list"),
    Case("api-task-assignment-detail", assignment_a, org=branch_a),
    Case("api-task-assignment-proposals", assignment_a, org=branch_a),
    Case("api-task-assignment-answer", assignment_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-task-assignment-withdraw", assignment_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-task-assignment-withdrawals", assignment_a, org=branch_a),
    Case("api-task-assignment-pass-on", relay, org=general, action=CHANGE, method="post", ok=(400,)),
    Case("api-responsibility-list", query="org=01&year=2026", org=root),
    Case(
        "api-responsibility-list",
        org=root,
        action=CHANGE,
        method="post",
        data={"org": "01", "year": 2026},
        ok=(400,),
    ),
    Case("api-responsibility-detail", item, org=root, action=CHANGE, method="delete", ok=(204,)),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("tasks", CASES)
test_every_task_endpoint_has_a_case = coverage_test("api-task", CASES)
test_every_responsibility_endpoint_has_a_case = coverage_test("api-responsibility", CASES)
