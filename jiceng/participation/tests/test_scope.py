"""Every page and endpoint of 双报到 and volunteer service answers by scope, for every named user.

The objects: 孙强 (新华村, bob's branch) reported by bob to 和平社区 (alice's community); 新华村党支部
reports to 和平社区 as a unit; alice's community publishes a task and an activity (with a resident signed
up); 郑明 (财政所) reported and took the task. A registration is seen from both its places; an
activity also by the members it is open to (dora and alice, members of 和平社区党支部).
"""

from __future__ import annotations

import datetime as dt

from jiceng.core import scope
from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, scope_test
from jiceng.participation import services

from .conftest import later


def _reg(world):  # noqa: ANN001, ANN202
    if not hasattr(world, "reg"):
        world.reg = services.register_member(
            actor=world.bob, member=world.members_b[0], community=world.branch_a
        )
    return world.reg


def reg(world):  # noqa: ANN001, ANN201
    return {"pk": _reg(world).pk}


def unit(world):  # noqa: ANN001, ANN201
    if not hasattr(world, "unit"):
        world.unit = services.register_unit(
            actor=world.bob, community=world.branch_a, unit_org=world.branch_b
        )
    return {"pk": world.unit.pk}


def _task(world):  # noqa: ANN001, ANN202
    if not hasattr(world, "task"):
        world.task = services.publish_task(
            actor=world.alice, community=world.branch_a, kind="small_wish", title="修收音机", places=3
        )
    return world.task


def task(world):  # noqa: ANN001, ANN201
    return {"pk": _task(world).pk}


def claim(world):  # noqa: ANN001, ANN201
    if not hasattr(world, "claim"):
        from jiceng.core.models import User

        user = User.objects.create_user("zheng", password="x-correct-horse")
        world.member_c.user = user
        world.member_c.save(update_fields=["user"])
        r = services.register_member(actor=user, member=world.member_c, community=world.branch_a)
        services.decide_member_registration(actor=world.county_admin, registration=r, accept=True)
        world.claim = services.claim_task(actor=user, task=_task(world))
    return {"pk": world.claim.pk}


def _activity(world):  # noqa: ANN001, ANN202
    if not hasattr(world, "activity"):
        start = later(days=2)
        world.activity = services.publish_activity(
            actor=world.alice,
            org=world.branch_a,
            title="清洁家园",
            place="中心广场",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            needed=10,
        )
    return world.activity


def activity(world):  # noqa: ANN001, ANN201
    return {"pk": _activity(world).pk}


def resident(world):  # noqa: ANN001, ANN201
    if not hasattr(world, "resident"):
        world.resident = services.sign_up_resident(
            actor=world.alice, activity=_activity(world), name="王秀英", phone="13900001111"
        )
    return {"pk": world.resident.pk}


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def both(view: tuple[str, ...], change: tuple[str, ...], ok: tuple[int, ...], *, own: str = ""):  # noqa: ANN201
    """Visible from any of ``view`` (organization attributes of the world), the action allowed in any
    of ``change``; ``own``: the world user who sees it as their own."""

    def expect(world, who):  # noqa: ANN001, ANN202
        user = getattr(world, who)
        visible = any(scope.can(user, scope.VIEW, getattr(world, o).path) for o in view) or who == own
        if not visible:
            return (404,)
        if not change:
            return ok
        return ok if any(scope.can(user, CHANGE, getattr(world, o).path) for o in change) else (403,)

    return expect


def table(**codes: tuple[int, ...]):  # noqa: ANN201
    """Answers by user, for what no scope computes (a member's own pages)."""
    return lambda world, who: codes[who]


REG_VIEW = both(("branch_a", "branch_b"), (), (200,))
REG_DECIDE = both(("branch_a", "branch_b"), ("branch_a",), (302,))
REG_END = both(("branch_a", "branch_b"), ("branch_a", "branch_b"), (302,))
ACT_VIEW = table(charlie=(404,), dora=(200,), bob=(404,), viewer=(200,), alice=(200,), county_admin=(200,))
ACT_SIGN_UP = table(charlie=(404,), dora=(302,), bob=(404,), viewer=(403,), alice=(302,), county_admin=(403,))
ACT_CHANGE = table(charlie=(404,), dora=(403,), bob=(404,), viewer=(403,), alice=(302,), county_admin=(302,))
NO_SCOPE_HOME = table(
    charlie=(302,), dora=(302,), bob=(200,), viewer=(200,), alice=(200,), county_admin=(200,)
)
WITH_SCOPE = table(charlie=(403,), dora=(403,), bob=(200,), viewer=(200,), alice=(200,), county_admin=(200,))
REPORTER = table(charlie=(403,), dora=(200,), bob=(200,), viewer=(403,), alice=(200,), county_admin=(200,))
OWN_MEMBER = table(charlie=(404,), dora=(200,), bob=(404,), viewer=(404,), alice=(200,), county_admin=(404,))
TASK_CLAIM = table(charlie=(404,), dora=(404,), bob=(404,), viewer=(403,), alice=(302,), county_admin=(403,))
CLAIM_REPORT = table(
    charlie=(404,), dora=(404,), bob=(404,), viewer=(403,), alice=(403,), county_admin=(403,)
)
REVEAL = table(charlie=(404,), dora=(404,), bob=(404,), viewer=(403,), alice=(200,), county_admin=(200,))


def api(codes):  # noqa: ANN001, ANN201
    """The same answers for the API: a redirect after a write is its 200/201/400 there."""
    return codes


CASES = [
    Case("participation:index", expect=NO_SCOPE_HOME),
    Case("participation:registration_new", expect=REPORTER),
    Case("participation:registration", reg, expect=REG_VIEW),
    Case("participation:registration_decide", reg, method="post", ok=(302,), expect=REG_DECIDE),
    Case("participation:registration_end", reg, method="post", ok=(302,), expect=REG_END),
    Case("participation:unit_new", action=CHANGE),
    Case(
        "participation:unit_decide",
        unit,
        method="post",
        ok=(302,),
        expect=both(("branch_a", "branch_b"), ("branch_a",), (302,)),
    ),
    Case("participation:tasks"),
    Case("participation:task_new", action=CHANGE),
    Case("participation:task", task, org=branch_a),
    Case("participation:task_claim", task, method="post", ok=(302,), expect=TASK_CLAIM),
    Case("participation:task_close", task, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    Case("participation:claim_report", claim, method="post", ok=(302,), expect=CLAIM_REPORT),
    Case("participation:activities"),
    Case("participation:activities", query="when=past"),
    Case("participation:activity_new", action=CHANGE),
    Case("participation:activity", activity, expect=ACT_VIEW),
    Case("participation:activity_sign_up", activity, method="post", ok=(302,), expect=ACT_SIGN_UP),
    Case("participation:activity_resident", activity, method="post", ok=(302,), expect=ACT_CHANGE),
    Case("participation:activity_attendance", activity, method="post", ok=(302,), expect=ACT_CHANGE),
    Case("participation:volunteer_reveal", resident, method="post", expect=REVEAL),
    Case("participation:figures", expect=WITH_SCOPE),
    Case("participation:figures", query="org=0102&year=2026", org=lambda w: w.branch_b),
    Case("participation:me"),
    Case("participation:certificate", expect=OWN_MEMBER),
    # API
    Case("api-participation-registration-list"),
    Case("api-participation-registration-list", query="org=0101&side=community", org=branch_a),
    Case(
        "api-participation-registration-list",
        method="post",
        expect=table(
            charlie=(400,), dora=(400,), bob=(400,), viewer=(400,), alice=(400,), county_admin=(400,)
        ),
    ),
    Case("api-participation-registration-detail", reg, expect=REG_VIEW),
    Case(
        "api-participation-registration-decide",
        reg,
        method="post",
        expect=both(("branch_a", "branch_b"), ("branch_a",), (400,)),
    ),
    Case(
        "api-participation-registration-end",
        reg,
        method="post",
        # The first allowed user ends it; the next allowed one (after a refusal) finds it ended.
        ok=(200, 400),
        expect=both(("branch_a", "branch_b"), ("branch_a", "branch_b"), (200, 400)),
    ),
    Case("api-participation-unit-list"),
    Case("api-participation-unit-list", method="post", action=CHANGE, ok=(400,)),
    Case("api-participation-unit-detail", unit, expect=both(("branch_a", "branch_b"), (), (200,))),
    Case(
        "api-participation-unit-decide",
        unit,
        method="post",
        expect=both(("branch_a", "branch_b"), ("branch_a",), (400,)),
    ),
    Case("api-participation-task-list"),
    Case("api-participation-task-list", method="post", action=CHANGE, ok=(400,)),
    Case("api-participation-task-detail", task, org=branch_a),
    Case(
        "api-participation-task-claim",
        task,
        method="post",
        expect=table(
            charlie=(404,), dora=(404,), bob=(404,), viewer=(403,), alice=(400,), county_admin=(403,)
        ),
    ),
    Case("api-participation-claim-list"),
    Case(
        "api-participation-claim-report",
        claim,
        method="post",
        expect=CLAIM_REPORT,
    ),
    Case("api-participation-activity-list"),
    Case("api-participation-activity-list", method="post", action=CHANGE, ok=(400,)),
    Case("api-participation-activity-detail", activity, expect=ACT_VIEW),
    Case(
        "api-participation-activity-sign-up",
        activity,
        method="post",
        expect=table(
            charlie=(404,), dora=(201,), bob=(404,), viewer=(403,), alice=(201,), county_admin=(403,)
        ),
    ),
    Case(
        "api-participation-activity-residents",
        activity,
        method="post",
        expect=table(
            charlie=(404,), dora=(403,), bob=(404,), viewer=(403,), alice=(400,), county_admin=(400,)
        ),
    ),
    Case(
        "api-participation-activity-attendance",
        activity,
        method="post",
        expect=table(
            charlie=(404,), dora=(403,), bob=(404,), viewer=(403,), alice=(400,), county_admin=(400,)
        ),
    ),
    Case(
        "api-participation-activity-volunteers",
        activity,
        expect=table(
            charlie=(404,), dora=(403,), bob=(404,), viewer=(403,), alice=(200,), county_admin=(200,)
        ),
    ),
    Case("api-participation-figures", expect=WITH_SCOPE),
    Case("api-participation-figures", query="org=0102", org=lambda w: w.branch_b),
    Case("api-participation-me", expect=OWN_MEMBER),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("participation", CASES)
test_every_endpoint_has_a_case = coverage_test("api-participation", CASES)
