"""The generic views themselves (core.generic.views), through a minimal page over the roster.

The apps' pages built on them are checked by each app's test_scope.py (jiceng.core.testing).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from jiceng.core.generic.views import ObjectExportView, ObjectView
from jiceng.core.models import ObjectChange
from jiceng.members import selectors
from jiceng.members.filters import MemberFilter


class RosterExport(ObjectExportView):
    filterset_class = MemberFilter
    columns = [("姓名", lambda m: m.name), ("党支部", lambda m: m.org.code), ("转正日期", lambda m: None)]
    filename = "roster.csv"
    what = "党员名单"

    def get_queryset(self):  # noqa: ANN201
        return selectors.member_list(self.user)


class Touch(ObjectView):
    http_method_names = ["post"]
    action = "change"

    def lookup(self, *, pk: int):  # noqa: ANN201
        return selectors.get_member(self.user, pk)

    def post(self, request, **kwargs):  # noqa: ANN001, ANN003, ANN201
        from django.http import HttpResponse

        return HttpResponse("ok")


def get(view, user, path="/", method="get", **kwargs):  # noqa: ANN001, ANN003, ANN201
    request = getattr(RequestFactory(), method)(path)
    request.user = user
    response = view.as_view()(request, **kwargs)
    return response, (b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else "")


def test_the_export_holds_exactly_the_users_scope_and_is_audited(world):
    response, text = get(RosterExport, world.bob, "/?q=")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="roster.csv"' in response["Content-Disposition"]
    rows = [line.split(",") for line in text.strip().splitlines()]
    assert rows[0] == ["姓名", "党支部", "转正日期"]
    assert sorted(r[0] for r in rows[1:]) == sorted(m.name for m in world.members_b)
    assert {r[1] for r in rows[1:]} == {"0102"} and {r[2] for r in rows[1:]} == {""}
    change = ObjectChange.objects.get(action="export")
    assert change.user == world.bob and change.message == "导出党员名单，共3条"


def test_the_export_follows_the_filter(world):
    _response, text = get(RosterExport, world.county_admin, "/?q=zw")
    assert [line.split(",")[0] for line in text.strip().splitlines()[1:]] == ["张伟"]


@pytest.mark.parametrize(
    ("who", "method", "status"),
    [
        ("bob", "post", 404),  # not visible: its existence is not disclosed
        ("viewer", "post", 403),  # visible, not changeable
        ("alice", "get", 405),  # the method is refused before the object is looked up
        ("alice", "post", 200),
    ],
)
def test_object_view_answers_404_then_403(world, who, method, status):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    try:
        response, _text = get(Touch, getattr(world, who), method=method, pk=world.members_a[1].pk)
        code = response.status_code
    except Http404:
        code = 404
    except PermissionDenied:
        code = 403
    assert code == status


def test_sign_in_comes_first(world):
    response, _text = get(Touch, AnonymousUser(), "/x/", method="get", pk=world.members_a[1].pk)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
