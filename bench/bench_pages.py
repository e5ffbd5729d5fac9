"""Dashboard numbers and the member list page at scale, beside the raw SQL over the same subtree.

Run by bench/run.py with DATABASE_URL pointing at an imported dataset; prints one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from jiceng.core.models import RoleAssignment, User  # noqa: E402
from jiceng.orgs import selectors  # noqa: E402
from jiceng.orgs.models import Organization  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))


def median_ms(fn, repeat: int = REPEAT) -> float:
    fn()  # warm caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def raw_counts(prefix: str) -> None:
    """The plain GROUP BY queries a hand-written dashboard would run over the subtree."""
    # The subtree condition each database can answer from its index (see jiceng/core/lookups.py).
    if connection.vendor == "sqlite":
        where, params = "org_path >= %s AND org_path < %s", [prefix, prefix + "~"]
    else:
        where, params = "org_path LIKE %s", [prefix + "%"]
    with connection.cursor() as cur:
        for column in ("status", "category", "education", "gender"):
            cur.execute(
                f"SELECT {column}, COUNT(*) FROM members_member WHERE {where} "  # noqa: S608
                f"AND closed_on IS NULL GROUP BY {column}",
                params,
            )
            cur.fetchall()
        year = (
            "EXTRACT(YEAR FROM birth_date)"
            if connection.vendor == "postgresql"
            else "strftime('%%Y', birth_date)"
        )
        cur.execute(
            f"SELECT {year}, COUNT(*) FROM members_member WHERE {where} "  # noqa: S608
            f"AND closed_on IS NULL GROUP BY 1",
            params,
        )
        cur.fetchall()


def main() -> None:
    setup_test_environment()
    root = Organization.objects.get(depth=1)
    county = Organization.objects.filter(
        depth=min(3, Organization.objects.order_by("-depth")[0].depth - 1)
    ).first()
    branch = (
        Organization.objects.filter(kind="branch", path__startswith=county.path).order_by("path").first()
        if county
        else None
    )
    user, _ = User.objects.get_or_create(username="bench-admin", defaults={"full_name": "bench"})
    RoleAssignment.objects.get_or_create(user=user, org=root, role="org_admin")
    client = Client()
    client.force_login(user)
    out: dict = {"vendor": connection.vendor, "nodes": {}}
    for label, org in (("root", root), ("county", county), ("branch", branch)):
        if org is None:
            continue
        members = selectors.org_summary(org)["members"]["total"]
        summary_ms = median_ms(lambda org=org: selectors.org_summary(org))
        page_ms = median_ms(lambda org=org: client.get(f"/orgs/{org.code}/"))
        status = client.get(f"/orgs/{org.code}/").status_code
        raw_ms = median_ms(lambda org=org: raw_counts(org.path))
        out["nodes"][label] = {
            "code": org.code,
            "members": members,
            "summary_ms": summary_ms,
            "page_ms": page_ms,
            "page_status": status,
            "raw_group_by_ms": raw_ms,
            "ratio_summary_to_raw": round(summary_ms / raw_ms, 3) if raw_ms else None,
        }
    if branch is not None:
        url = f"/members/?org={branch.code}"
        out["branch_member_list"] = {
            "code": branch.code,
            "page_ms": median_ms(lambda: client.get(url)),
            "status": client.get(url).status_code,
        }
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
