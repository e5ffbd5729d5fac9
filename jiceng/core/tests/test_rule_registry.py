"""Rules registered by their apps: core names none of them, a new app's rule shows up everywhere.

- core imports no domain app (an ``ast`` walk of jiceng/core);
- a tests-only app (tests/pluginapp) that registers one rule in its ``AppConfig.ready()`` sees it in
  ``jiceng compliance``, the health-check page, the API (findings and rules), the rule-set admin, the
  rule catalogue page and ``jiceng rules``, with no line of core changed;
- the registry refuses what it cannot judge; docs/rules.md is the registry's catalogue;
- every shipped rule's title, citation and explanation has its English translation.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from jiceng.core import rulebook, rulesets
from jiceng.core.rulebook import BY_CODE, SPECS, STATE, RuleSpec

PLUGIN = "plugin.branch_name_long"


def test_the_shipped_rules_are_registered_by_their_apps() -> None:
    # member.dues_unpaid_6_months is a member rule of RULES.md §3 that the dues app keeps.
    apps = {s.code.split(".")[0]: s.app for s in SPECS if s.code != "member.dues_unpaid_6_months"}
    assert apps == {
        "org": "orgs",
        "life": "life",
        "member": "members",
        "dev": "development",
        "service": "services",
        "task": "tasks",
        "partner": "participation",
        "agreement": "partners",
        "consultation": "consultation",
        "dues": "dues",
    }
    assert BY_CODE["member.dues_unpaid_6_months"].app == "dues"
    assert [s.code for s in SPECS][:2] == ["org.branch_too_small", "org.branch_too_large"]


def test_the_registry_refuses_a_rule_it_cannot_judge_or_another_apps_code() -> None:
    with rulebook.isolated():
        with pytest.raises(rulebook.RegistryError):
            rulebook.register_rules("x", RuleSpec("x.no_judge", "t", STATE, "c"))
        with pytest.raises(rulebook.RegistryError):
            rulebook.register_rules("x", RuleSpec("x.bad", "t", "fortnight", "c"))
        with pytest.raises(rulebook.RegistryError):
            rulebook.register_rules("x", BY_CODE["org.branch_too_small"])
        # The same app registering again (ready() run twice) replaces its own rule.
        rulebook.register_rules("orgs", BY_CODE["org.branch_too_small"])
    assert BY_CODE["org.branch_too_small"].app == "orgs"


@pytest.fixture
def plugin() -> Any:
    """The tests-only app installed, its rule registered; forgotten afterwards."""
    with rulebook.isolated(), override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.pluginapp"]):
        assert PLUGIN in BY_CODE
        yield
    assert PLUGIN not in BY_CODE


def _cmd(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("plugin")
def test_a_new_apps_rule_is_judged_by_the_command_line(world: Any) -> None:
    with translation.override("zh-hans"):
        data = json.loads(_cmd("compliance", "--org", "01", "--period", "2026-Q3"))
    found = [d for d in data if d["rule"] == PLUGIN]
    # 和平社区党支部 (7) and 财政所党支部 (6) are longer than 5 characters; 新华村党支部 (6) too.
    assert {d["org_code"] for d in found} == {"0101", "0102", "010301"}
    assert found[0]["params"] == {"max_length": 5} and found[0]["citation"] == "测试依据第一条"
    assert found[0]["message"].startswith("截至2026年9月30日，党支部名称有")


@pytest.mark.usefixtures("plugin")
def test_a_new_apps_rule_is_in_the_catalogue_command(world: Any) -> None:
    entries = json.loads(_cmd("rules", "--json"))
    assert entries[-1]["code"] == PLUGIN and entries[-1]["app"] == "pluginapp"
    assert entries[-1]["params"] == {"max_length": 5}
    assert PLUGIN in rulesets.markdown()


@pytest.mark.usefixtures("plugin")
def test_a_new_apps_rule_in_the_pages_api_and_admin(world: Any, client_for: Any) -> None:
    client = client_for(world.county_admin)
    page = client.get("/reports/01/?period=2026-Q3")
    assert page.status_code == 200
    assert "党支部名称过长（测试规则）" in page.content.decode()
    findings = client.get("/api/v1/findings/", {"org": "01", "period": "2026-Q3", "rule": PLUGIN})
    assert findings.status_code == 200
    assert {f["org_code"] for f in findings.json()["results"]} == {"0101", "0102", "010301"}
    rule = client.get(f"/api/v1/rules/{PLUGIN}/")
    assert rule.status_code == 200 and rule.json()["defaults"] == {"max_length": 5}
    catalogue = client.get("/core/rules/")
    assert f'id="rule-{PLUGIN}"' in catalogue.content.decode()

    admin = client_for(world.sysadmin)
    form = admin.get("/admin/core/ruleversion/add/")
    assert form.status_code == 200 and f'value="{PLUGIN}"' in form.content.decode()
    saved = admin.post(
        "/admin/core/ruleversion/add/",
        {
            "code": PLUGIN,
            "effective_from": "2026-01-01",
            "enabled": "on",
            "params": '{"max_length": 6}',
            "citation": "测试依据第二条",
            "note": "",
        },
    )
    assert saved.status_code == 302
    with translation.override("zh-hans"):
        data = json.loads(_cmd("compliance", "--org", "01", "--period", "2026-09-30"))
    assert {d["org_code"] for d in data if d["rule"] == PLUGIN} == {"0101", "0102", "010301"} - {
        "0102",
        "010301",
    }


def test_docs_rules_md_is_the_registrys_catalogue() -> None:
    docs = Path(settings.BASE_DIR) / "docs" / "rules.md"
    assert docs.read_text(encoding="utf-8") == rulesets.markdown(), (
        "docs/rules.md is out of date: run `.venv/bin/jiceng rules --markdown > docs/rules.md`"
    )


def test_every_rule_reads_in_english() -> None:
    """Titles, citations, explanations and the period of every shipped rule have a translation."""
    for spec in SPECS:
        with translation.override("en"):
            english = [str(spec.title), spec.citation_text, str(spec.explanation)]
        with translation.override("zh-hans"):
            chinese = [str(spec.title), spec.citation_text, str(spec.explanation)]
        for en, zh in zip(english, chinese, strict=True):
            if zh:
                assert en != zh and not any("\u4e00" <= c <= "\u9fff" for c in en), (spec.code, en)


def test_a_finding_in_english(world: Any) -> None:
    from jiceng.core import compliance

    with translation.override("en"):
        found = [
            f for f in compliance.evaluate(world.root, "2027-06") if f.rule == "member.probation_overdue"
        ]
        assert found[0].as_json()["citation"] == (
            "Party Constitution, Art. 7; Detailed Rules on Recruiting Party Members"
        )
        assert found[0].citation == "中国共产党章程第七条；中国共产党发展党员工作细则"  # stored as shipped
        assert "probation" in found[0].message.lower()


def test_the_catalogue_page_for_every_signed_in_user(world: Any, client, client_for: Any) -> None:
    assert client.get("/core/rules/").status_code == 302  # signed out: to the login page
    for user in (world.dora, world.charlie, world.alice):
        body = client_for(user).get("/core/rules/").content.decode()
        assert all(f'id="rule-{s.code}"' in body for s in SPECS)
        assert "中国共产党支部工作条例（试行）第四条" in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/core/rules/").content.decode()
    assert "Regulations on the Work of Party Branches (Trial), Art. 4" in body
    assert "Rule catalogue" in body


def test_the_catalogue_shows_the_parameters_in_force_today(world: Any) -> None:
    rulesets.add_rule_version(
        actor=world.sysadmin,
        code="org.branch_too_large",
        effective_from=dt.date(2000, 1, 1),
        params={"max_members": 60},
        citation="某省规定",
    )
    entry = next(e for e in json.loads(_cmd("rules", "--json")) if e["code"] == "org.branch_too_large")
    assert entry["params"] == {"max_members": 60} and entry["citation"] == "某省规定"
    assert entry["effective_from"] == "2000-01-01"


def test_a_findings_page_links_to_its_rule_in_the_catalogue(world: Any, client_for: Any) -> None:
    from jiceng.members.models import Member

    dora = Member.objects.get(name="赵敏")
    page = client_for(world.county_admin).get(
        "/reports/0101/finding/",
        {"period": "2027-06", "rule": "member.probation_overdue", "about": "2027-06-30", "member": dora.pk},
    )
    assert page.status_code == 200
    assert 'href="/core/rules/#rule-member.probation_overdue"' in page.content.decode()
