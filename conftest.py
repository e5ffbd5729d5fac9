"""Shared test fixtures: a small tree with named people at each level, reused across the suite.

01    东城街道党工委 (working committee)         county_admin: org_admin here
0101  和平社区党支部 (branch, community)         alice: secretary; dora: member; 5 full members
0102  新华村党支部 (branch, village)             bob: secretary; 3 members
0103  机关第一党总支 (general branch)
010301  财政所党支部 (branch, government)        1 member
viewer: viewer on 01; charlie: no role at all; root: system administrator (no org role)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass

import pytest

from jiceng.core import idnumber, scope

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "correct-horse-battery"


def make_id(birth: dt.date, seq: int, region: str = "110101") -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + idnumber.check_char(body)


RECORDS_SINCE = dt.date(1921, 7, 1)  # the earliest 记录起始日期 allowed: the test world keeps all its records


@dataclass
class World:
    root: object
    branch_a: object
    branch_b: object
    general: object
    branch_c: object
    county_admin: object
    alice: object
    bob: object
    dora: object
    viewer: object
    charlie: object
    sysadmin: object
    members_a: list
    members_b: list
    member_c: object


def _member(actor, org, seq, name, *, status="full", birth=dt.date(1980, 5, 17), joined=dt.date(2010, 7, 1)):
    from jiceng.members import services

    return services.create_member(
        actor=actor,
        org=org,
        id_number=make_id(birth, seq),
        name=name,
        gender="female" if seq % 2 == 0 else "male",
        birth_date=birth,
        education="bachelor",
        category="employed",
        status=status,
        joined_on=joined,
        full_member_on=None if status == "probationary" else joined.replace(year=joined.year + 1),
    )


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Background tasks run inline, so a test sees their effect at once; a fast password hasher
    (argon2 is deliberately slow, and is checked in core/tests/test_auth.py)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (Chinese): a request or a test that switched to English
    must not leak into the next test run by the same worker."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture
def world(db) -> World:
    from jiceng.core.models import RoleAssignment, User
    from jiceng.orgs import services as orgs

    sysadmin = User.objects.create_superuser("root", password=PASSWORD, full_name="系统管理员")
    root = orgs.create_org(
        actor=sysadmin,
        parent=None,
        code="01",
        name="东城街道党工委",
        kind="working_committee",
        unit_kind="government",
        founded_on=dt.date(1990, 1, 1),
    )
    # The system administrator builds the tree through a temporary grant, then keeps no org role.
    grant = RoleAssignment.objects.create(user=sysadmin, org=root, role="org_admin")
    a = orgs.create_org(
        actor=sysadmin,
        parent=root,
        code="0101",
        name="和平社区党支部",
        kind="branch",
        unit_kind="community",
        founded_on=dt.date(2000, 3, 1),
    )
    b = orgs.create_org(
        actor=sysadmin,
        parent=root,
        code="0102",
        name="新华村党支部",
        kind="branch",
        unit_kind="village",
        founded_on=dt.date(2001, 3, 1),
    )
    g = orgs.create_org(
        actor=sysadmin,
        parent=root,
        code="0103",
        name="机关第一党总支",
        kind="general_branch",
        unit_kind="government",
    )
    c = orgs.create_org(
        actor=sysadmin, parent=g, code="010301", name="财政所党支部", kind="branch", unit_kind="government"
    )
    names_a = ["张伟", "王芳", "李娜", "刘洋", "陈静"]
    members_a = [_member(sysadmin, a, i + 1, n) for i, n in enumerate(names_a)]
    dora = _member(
        sysadmin, a, 9, "赵敏", status="probationary", birth=dt.date(1999, 2, 3), joined=dt.date(2026, 3, 1)
    )
    members_b = [_member(sysadmin, b, 20 + i, n) for i, n in enumerate(["孙强", "周杰", "吴霞"])]
    member_c = _member(sysadmin, c, 40, "郑明")
    grant.delete()
    scope.forget(sysadmin)
    # The fixture tree is created today but its records (and the tests' periods) reach years back:
    # jiceng keeps its records from long before (记录起始日期), so every past period is judged.
    from jiceng.orgs.models import Organization

    Organization.objects.filter(path__startswith=root.path).update(records_since=RECORDS_SINCE)
    for org in (root, a, b, g, c):
        org.records_since = RECORDS_SINCE

    def user(name, full):
        return User.objects.create_user(name, password=PASSWORD, full_name=full)

    county_admin = user("county", "街道组织委员")
    alice = user("alice", "张伟")
    bob = user("bob", "孙强")
    dora_user = user("dora", "赵敏")
    viewer = user("viewer", "查看员")
    charlie = user("charlie", "无权限用户")
    RoleAssignment.objects.create(user=county_admin, org=root, role="org_admin")
    RoleAssignment.objects.create(user=alice, org=a, role="secretary")
    RoleAssignment.objects.create(user=bob, org=b, role="secretary")
    RoleAssignment.objects.create(user=dora_user, org=a, role="member")
    RoleAssignment.objects.create(user=viewer, org=root, role="viewer")
    members_a[0].user = alice
    members_a[0].save(update_fields=["user"])
    dora.user = dora_user
    dora.save(update_fields=["user"])
    return World(
        root=root,
        branch_a=a,
        branch_b=b,
        general=g,
        branch_c=c,
        county_admin=county_admin,
        alice=alice,
        bob=bob,
        dora=dora_user,
        viewer=viewer,
        charlie=charlie,
        sysadmin=sysadmin,
        members_a=members_a,
        members_b=members_b,
        member_c=member_c,
    )


@pytest.fixture
def client_for(client):
    """Log a named user in: ``client_for(world.alice)``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api(world):
    """``api("alice")``: an API client signed in (session) as that user of the world, or anonymous."""
    from rest_framework.test import APIClient

    def make(who: str) -> APIClient:
        client = APIClient()
        if who != "anonymous":
            client.force_login(getattr(world, who))
        return client

    return make


# Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium) against the live server.
# Under CI (CI=true) a missing Chromium fails the run; elsewhere the browser tests are skipped.
CHROMIUM = os.environ.get("JICENG_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    """Browser tests are marked and run in one worker. Tests marked ``postgresql`` run in the
    PostgreSQL pass only: on SQLite they are deselected (the in-memory test database has one
    connection), so no run reports them as skipped. Tests marked ``sqlite_pass`` run in the SQLite
    pass only."""
    from django.conf import settings

    for item in items:
        if {"browser", "page_factory"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))
    on_postgresql = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    # ``postgresql`` tests need the PostgreSQL pass; ``sqlite_pass`` tests run a subprocess with its
    # own database and settings (backup round trips, the production server, check --deploy), whatever
    # the test database: the PostgreSQL pass would only repeat them.
    unwanted = "sqlite_pass" if on_postgresql else "postgresql"
    kept = [item for item in items if item.get_closest_marker(unwanted) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


class ConsoleErrors(list):
    def assert_none(self):
        assert not self, "browser console errors:\n" + "\n".join(self)


@pytest.fixture
def page_factory(browser, live_server):
    """New pages (desktop or phone viewport) that collect console errors and CSP violations."""
    contexts = []

    def make(*, phone: bool = False, locale: str = "zh-CN"):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(
            viewport=viewport, locale=locale, base_url=live_server.url, is_mobile=phone, has_touch=phone
        )
        contexts.append(context)
        page = context.new_page()
        page.console_errors = ConsoleErrors()
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def login(world):

    def do(page, username: str):
        page.goto("/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        return page

    return do
