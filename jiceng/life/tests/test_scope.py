"""Every organizational-life page and endpoint answers by scope, for every named user
(jiceng.core.testing)."""

from __future__ import annotations

from jiceng.core.scope import CHANGE
from jiceng.core.testing import Case, coverage_test, scope_test

from .factories import PDF, upload
from .test_pages import meeting_of


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def meeting(world):  # noqa: ANN001, ANN201
    """One meeting of branch A with one attachment, made once for the test."""
    if not hasattr(world, "meeting"):
        world.meeting = meeting_of(world, attachments=[upload("记录.pdf", PDF)])
    return {"pk": world.meeting.pk}


def attachment(world):  # noqa: ANN001, ANN201
    meeting(world)
    return {"pk": world.meeting.attachments.get().pk}


def api_attachment(world):  # noqa: ANN001, ANN201
    return {"pk": meeting(world)["pk"], "attachment_id": attachment(world)["pk"]}


CASES = [
    Case("life:list"),
    Case("life:list", org=branch_a, query="org=0101"),
    Case("life:calendar"),
    Case("life:calendar", org=branch_a, query="org=0101"),
    Case("life:create", action=CHANGE),
    Case("life:create", org=branch_a, action=CHANGE, query="org=0101"),
    Case("life:detail", meeting, org=branch_a),
    Case("life:edit", meeting, org=branch_a, action=CHANGE),
    Case("life:attachment", attachment, org=branch_a),
    Case("life:attachment_add", meeting, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    Case("life:attachment_delete", attachment, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    Case("life:delete", meeting, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    Case("api-meeting-list"),
    Case("api-meeting-list", org=branch_a, action=CHANGE, method="post", data={"org": "0101"}, ok=(400,)),
    Case("api-meeting-detail", meeting, org=branch_a),
    Case("api-meeting-detail", meeting, org=branch_a, action=CHANGE, method="patch"),
    Case("api-meeting-attachments", meeting, org=branch_a),
    Case("api-meeting-attachment", api_attachment, org=branch_a),
    Case("api-meeting-attachment", api_attachment, org=branch_a, action=CHANGE, method="delete", ok=(204,)),
    Case("api-meeting-detail", meeting, org=branch_a, action=CHANGE, method="delete", ok=(204,)),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("life", CASES)
test_every_endpoint_has_a_case = coverage_test("api-meeting", CASES)
