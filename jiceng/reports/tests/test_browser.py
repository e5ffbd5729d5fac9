"""In Chromium on a phone-sized screen: a county admin drills down from the health check to a finding."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from jiceng.life.models import Meeting
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(autouse=True)
def _reports_urls(settings) -> None:  # noqa: ANN001
    settings.ROOT_URLCONF = "jiceng.reports.tests.urls"


def test_drill_down_from_the_street_to_a_branch_and_a_finding(page_factory, login, world) -> None:  # noqa: ANN001, F811
    a = world.branch_a
    Meeting.objects.create(
        org=a, org_path=a.path, kind="theme_day", held_on=dt.date(2026, 1, 9), topic="学习"
    )
    page = login(page_factory(phone=True), "county")
    page.goto("/reports/01/?period=2026-Q1")
    expect(page.get_by_role("heading", level=1)).to_have_text("东城街道党工委体检")
    expect(
        page.locator(".jc-chart canvas, .jc-chart svg").first
    ).to_be_attached()  # the chart drew (CSP-clean)
    check_page(page)

    page.get_by_role("link", name="和平社区党支部").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("和平社区党支部体检")
    expect(page.get_by_text("2026年2月未开展主题党日")).to_be_visible()
    expect(page.get_by_text("2026年1月未开展主题党日")).to_have_count(0)
    check_page(page)

    page.get_by_role("link", name="本月未开展主题党日").click()  # filter the list by this rule
    expect(page.locator(".list-group-item")).to_have_count(2)
    page.get_by_role("link", name="依据与说明").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("本月未开展主题党日")
    expect(page.get_by_text("中国共产党支部工作条例（试行）第十六条")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="返回和平社区党支部体检").click()
    page.get_by_role("link", name="导出Excel").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出Excel").click()
    assert download.value.suggested_filename == "compliance-0101-2026-Q1.xlsx"


@pytest.fixture
def db_worker(settings):  # noqa: ANN001, ANN201
    """django-tasks' database backend and its real worker loop (``jiceng db_worker``) in a thread, on the
    test database (the in-memory SQLite connection shared as the live server shares it). Call it to
    start the worker; it stops at the end of the test."""
    import threading

    from django.db import connections
    from django_tasks_db.management.commands.db_worker import Worker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    conn = connections["default"]
    shared = conn.vendor == "sqlite" and conn.is_in_memory_db()
    workers = []

    def run(worker: Worker) -> None:
        if shared:
            connections["default"] = conn
        try:
            worker.run()
        finally:
            if not shared:
                connections.close_all()

    def start() -> None:
        worker = Worker(
            queue_names=["default"],
            interval=0.2,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="browser-test",
            excluded_queue_names=[],
        )
        if shared:
            conn.inc_thread_sharing()
        thread = threading.Thread(target=run, args=(worker,), daemon=True)
        workers.append((worker, thread))
        thread.start()

    yield start
    for worker, thread in workers:
        worker.running = False
        thread.join(timeout=30)
        if shared:
            conn.dec_thread_sharing()


def test_after_a_write_the_page_says_refreshing_then_shows_the_new_count_without_a_reload(
    page_factory, login, world, db_worker, settings
) -> None:  # noqa: ANN001
    """A large subtree (here every subtree: the inline limit is 0) is never evaluated on the request."""
    from jiceng.life import services as life
    from jiceng.reports import store
    from jiceng.reports.models import ComplianceRefresh

    settings.JICENG_COMPLIANCE_INLINE_MAX_MEMBERS = 0
    store.evaluate_and_store(world.root, store.compliance.parse_period("2026-Q1"))
    page = login(page_factory(), "county")
    page.goto("/reports/01/?period=2026-Q1")
    total = page.locator("#hc-total + p")
    before = int(total.inner_text().replace(",", ""))
    expect(page.locator('[data-freshness="fresh"]')).to_be_visible()

    life.record_meeting(  # committed: the root's run is stale and a refresh is queued (no worker yet)
        actor=world.county_admin,
        org=world.branch_a,
        kind="theme_day",
        held_on=dt.date(2026, 2, 10),
        topic="学习",
    )
    assert ComplianceRefresh.objects.filter(org=world.root).exists()
    page.goto("/reports/01/?period=2026-Q1")
    expect(page.get_by_role("status")).to_contain_text("正在更新")
    expect(total).to_have_text(str(before))  # the last results, at once
    check_page(page)
    page.evaluate("window.jcNotReloaded = true")

    db_worker()
    expect(total).to_have_text(str(before - 1), timeout=20_000)  # February's theme day now held
    expect(page.locator('[data-freshness="fresh"]')).to_be_visible()
    assert page.evaluate("window.jcNotReloaded === true")  # swapped in by htmx, no reload
    expect(page.get_by_role("status")).to_have_count(0)
    check_page(page)
