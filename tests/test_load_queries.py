"""Queries per request of the pages and API lists the load benchmark drives (bench/bench_http.py).

Each page of the mix makes a fixed number of queries, whatever the size of the subtree: the count is
the same after the tree grows by branches (with committees) and members, and stays within the budget
measured when the load was cut (docs/scale.md, "Under load"). A new query on one of these pages
must be a deliberate choice: raise the budget here and say why.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import _member
from jiceng.orgs import services as org_services

# Signed in by session, no TOTP device (production adds one query: django-otp's device). Pages
# include the header's unread count of the inbox (one indexed count, notifications).
BUDGET = {
    "org": 9,
    "members": 8,
    "api_members": 5,
    "api_orgs": 5,
    "health": 18,
}
USERS = ("county_admin", "alice", "viewer")


def urls(world, who: str) -> dict[str, str]:  # noqa: ANN001
    code = world.branch_a.code if who == "alice" else world.root.code
    return {
        "org": f"/orgs/{code}/",
        "members": f"/members/?org={code}",
        "api_members": "/api/v1/members/",
        "api_orgs": "/api/v1/orgs/",
        "health": f"/reports/{code}/",
    }


def counts(client, world, who: str) -> dict[str, int]:  # noqa: ANN001
    out = {}
    for name, url in urls(world, who).items():
        # The health check stores its evaluation on the first view: the count is that of a view after.
        assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200, url
        out[name] = len(ctx.captured_queries)
    return out


def grow(world) -> None:  # noqa: ANN001
    """Six more branches with committees and members, and more members in alice's branch."""
    seq = 100
    for i in range(6):
        branch = org_services.create_org(
            actor=world.county_admin,
            parent=world.root,
            code=f"09{i}",
            name=f"新增支部{i}",
            kind="branch",
            unit_kind="community",
        )
        org_services.record_election(actor=world.county_admin, org=branch, elected_on=dt.date(2024, 1, 1))
        for _ in range(4):
            seq += 1
            _member(world.county_admin, branch, seq, f"新党员{seq}")
    for _ in range(12):
        seq += 1
        _member(world.county_admin, world.branch_a, seq, f"新党员{seq}")


@pytest.mark.parametrize("who", USERS)
def test_queries_per_page_do_not_grow_with_the_tree(world, client, who: str) -> None:  # noqa: ANN001
    client.force_login(getattr(world, who))
    few = counts(client, world, who)
    grow(world)
    many = counts(client, world, who)
    assert many == few
    over = {name: n for name, n in many.items() if n > BUDGET[name]}
    assert not over, f"more queries than the budget {BUDGET}: {over}"


def test_the_scope_of_a_request_is_read_once(world, client) -> None:  # noqa: ANN001
    """Every right a page asks about (view, change, audit, manage) comes from one query of the roles."""
    client.force_login(world.county_admin)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/orgs/{world.root.code}/").status_code == 200
    role_queries = [q["sql"] for q in ctx.captured_queries if "core_roleassignment" in q["sql"]]
    assert len(role_queries) == 1, role_queries
