"""The signed-in users of the HTTP benchmark (bench/bench_http.py), written straight into the database.

A bench fixture, not the product's way to make accounts (that is /accounts/, audited). N users
``bench-http-NNN``: 60 % secretaries of branches, 30 % organization admins of the branches' parents
(streets), 10 % of their grandparents (the county), spread over the tree, each with one password and
a confirmed TOTP device. The health check's stored results of their organizations are evaluated now,
as the background worker would have done. Prints the users as JSON (last line).

    DATABASE_URL=... JICENG_ENV=production ... python bench/bench_http_fixture.py 50
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from jiceng.core.models import RoleAssignment, User  # noqa: E402
from jiceng.orgs.models import Organization  # noqa: E402
from jiceng.reports import selectors, store  # noqa: E402

PREFIX = "bench-http-"


def spread(items: list, n: int) -> list:
    """n items evenly spread over the list (repeating when it is shorter)."""
    if not items or n <= 0:
        return []
    return [items[(i * len(items)) // n if n <= len(items) else i % len(items)] for i in range(n)]


def levels(n: int) -> list[tuple[str, Organization, str]]:
    branches = list(Organization.objects.filter(kind="branch").order_by("path"))
    by_path = {o.path: o for o in Organization.objects.order_by("path")}
    step = Organization.steplen

    def up(org: Organization, k: int) -> Organization:
        path = org.path[: max(step, len(org.path) - k * step)]
        return by_path[path]

    n_county = max(1, n // 10)
    n_street = max(1, (n * 3) // 10)
    n_branch = max(0, n - n_county - n_street)
    chosen = spread(branches, n_branch + n_street + n_county)
    out = [("branch", b, "secretary") for b in chosen[:n_branch]]
    out += [("street", up(b, 1), "org_admin") for b in chosen[n_branch : n_branch + n_street]]
    out += [("county", up(b, 2), "org_admin") for b in chosen[n_branch + n_street :]]
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    password = secrets.token_urlsafe(16)
    hashed = make_password(password)  # one Argon2 hash for all of them: the bench, not the product
    users = []
    with transaction.atomic():
        User.objects.filter(username__startswith=PREFIX).delete()
        for i, (level, org, role) in enumerate(levels(n)):
            user = User.objects.create(
                username=f"{PREFIX}{i:03d}", full_name=f"bench {level}", password=hashed
            )
            RoleAssignment.objects.create(user=user, org=org, role=role)
            key = secrets.token_hex(20)
            TOTPDevice.objects.create(user=user, name="bench", key=key, confirmed=True)
            users.append(
                {
                    "username": user.username,
                    "password": password,
                    "totp_key": key,
                    "org": org.code,
                    "level": level,
                    "role": role,
                }
            )
    period, _error = selectors.parse_period(None, timezone.localdate())  # what the page shows first
    for code in sorted({u["org"] for u in users}):
        org = Organization.objects.get(code=code)
        run = store.fresh_run(org, period)
        if run is None or run.org_id != org.pk:
            store.evaluate_and_store(org, period)
    print(json.dumps(users, ensure_ascii=False))


if __name__ == "__main__":
    main()
