"""Pages speak Chinese, not machine codes: walk the pages as every role of the test world and fail on a
rule code (``org.committee_term_expired``) or an error code (``id_checksum``) in the visible text.

Codes stay in the API, the console and behind a toggle: text inside ``<code>``, ``<details>``,
``<script>`` and ``<style>`` is not read, nor are attributes (URLs, ``data-rule``). Every page a role
reaches from the seeds by a link of the site is read, once per path."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import make_id
from jiceng.core.models import ObjectChange
from jiceng.development.models import StepKind
from jiceng.development.tests.helpers import walk
from jiceng.life import services as life_services
from jiceng.roster.models import ImportJob
from jiceng.roster.tests.helpers import MEMBER_HEADERS, member, write_csv

pytestmark = pytest.mark.django_db

RULE_CODE = re.compile(r"\b[a-z]+\.[a-z_]+\b", re.ASCII)
ERROR_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b", re.ASCII)
FILE_NAME = re.compile(r"\b[a-z_]+\.(csv|xlsx|pdf|json)\b", re.ASCII)  # names of files a person chooses

SKIPPED = ("code", "details", "script", "style", "template")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Not pages: downloads, writes, the language switch, Django's admin and the API.
NOT_PAGES = re.compile(
    r"/(export|reveal|logout|bad-rows|bad_rows|download|i18n|admin|api|static|media)(/|$)|\.\w+$"
)
LIMIT = 120  # pages a role reads at most


class VisibleText(HTMLParser):
    """The text a reader sees outside code, details and scripts; and the links of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.chunks: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(data)


def visible(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser


def machine_words(text: str) -> list[str]:
    text = FILE_NAME.sub(" ", text)
    rules = RULE_CODE.findall(text)
    return rules + ERROR_CODE.findall(RULE_CODE.sub(" ", text))


def test_the_parser_reads_only_what_a_person_sees():
    seen = visible(
        '<p data-rule="dev.sequence">规则：入党申请人年满十八岁 <code>dev.min_age</code></p>'
        "<details><summary>代码</summary>id_checksum</details><script>var a = b.c_d;</script>"
        '<a href="/x/?rule=org.committee_missing">见 org.committee_term_expired</a> 请上传 members.csv'
    )
    assert machine_words(" ".join(seen.chunks)) == ["org.committee_term_expired"]
    assert seen.links == ["/x/?rule=org.committee_missing"]
    assert machine_words("来源 cli，代码 id_checksum") == ["id_checksum"]


@pytest.fixture
def history(world, client_for, tmp_path):
    """Records that put findings, refusals, errors and console changes on the pages."""
    development = walk(world, until=StepKind.ACTIVIST, start=dt.date(2023, 3, 1))  # reviews overdue since
    life_services.record_meeting(
        actor=world.alice,
        org=world.branch_a,
        kind="committee_meeting",
        held_on=dt.date.today() - dt.timedelta(days=3),
        topic="研究发展党员工作",
    )
    rows = [member(f"党员{i}", i, "0101") for i in range(3)]
    rows[1]["公民身份号码"] = make_id(dt.date(1985, 3, 9), 777, region="320106")[:-1] + "0"
    csv = write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS).read_bytes()
    response = client_for(world.county_admin).post(
        reverse("roster:import"), {"files": [SimpleUploadedFile("members.csv", csv)]}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get(uuid=response.url.rstrip("/").split("/")[-1])
    assert job.error_count == 1
    latest = ObjectChange.objects.order_by("-pk").values("pk")
    ObjectChange.objects.filter(pk__in=latest[:2]).update(source="web")
    ObjectChange.objects.filter(pk__in=latest[2:4]).update(source="cli")
    ObjectChange.objects.filter(pk__in=latest[4:6]).update(source="api")
    return {"development": development, "job": job}


def seeds(world, history) -> list[str]:
    development = history["development"].pk
    return [
        reverse("home"),
        reverse("orgs:tree"),
        reverse("orgs:detail", args=["0101"]),
        reverse("orgs:detail", args=["01"]),
        reverse("members:list"),
        reverse("members:me"),
        reverse("life:list"),
        reverse("life:calendar") + "?org=0101",
        reverse("development:index"),
        reverse("development:board", args=["0101"]),
        reverse("development:detail", args=[development]),
        reverse("development:print", args=[development]),
        reverse("development:step", args=[development, StepKind.CANDIDATE]),
        reverse("reports:health", args=["01"]),
        reverse("reports:health", args=["0101"]),
        reverse("reports:ranking", args=["01"]),
        reverse("core:rules"),
        reverse("core:audit"),
        reverse("roster:import"),
        reverse("roster:job", args=[history["job"].uuid]),
        reverse("accounts:users"),
        reverse("accounts:password_change"),
    ]


@pytest.mark.parametrize("who", ["county_admin", "alice", "bob", "viewer", "dora"])
def test_no_machine_codes_in_the_pages_of_each_role(world, client_for, history, who):
    client = client_for(getattr(world, who))
    queue, seen, found, read = list(seeds(world, history)), set(), {}, 0
    while queue and read < LIMIT:
        url = queue.pop(0)
        parts = urlsplit(url)
        if (
            parts.netloc
            or not parts.path.startswith("/")
            or parts.path in seen
            or NOT_PAGES.search(parts.path)
        ):
            continue
        seen.add(parts.path)
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        read += 1
        page = visible(response.content.decode())
        words = machine_words(" ".join(page.chunks))
        if words:
            found[url] = sorted(set(words))
        queue.extend(page.links)
    assert read > 5
    assert found == {}, found


def test_refusals_errors_sources_and_periods_in_words(world, client_for, history):
    alice, admin = client_for(world.alice), client_for(world.county_admin)
    development = history["development"].pk
    # A step out of order: the refusal names the rule by its title, not dev.sequence.
    response = alice.post(
        reverse("development:step", args=[development, StepKind.CONVERSION]), {"on": "2026-01-05"}
    )
    text = " ".join(visible(response.content.decode()).chunks)
    assert "不能记录此环节" in text and machine_words(text) == []
    # The import error keeps its code behind a toggle.
    html = admin.get(reverse("roster:job", args=[history["job"].uuid])).content.decode()
    assert "<code>id_checksum</code>" in html and "id_checksum" not in " ".join(visible(html).chunks)
    # The audit log says where a change came from in words.
    text = " ".join(visible(admin.get(reverse("core:audit")).content.decode()).chunks)
    assert {"命令行", "网页", "接口"} <= set(re.findall(r"命令行|网页|接口", text)) and not re.search(
        r"\b(cli|web|api)\b", text, re.ASCII
    )
    # The calendar names the quarter as people do.
    text = " ".join(visible(alice.get(reverse("life:calendar") + "?org=0101").content.decode()).chunks)
    assert re.search(r"本季度（\d{4}年第[一二三四]季度）", text) and not re.search(r"\d{4}-Q\d", text)
