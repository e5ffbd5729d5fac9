"""党工委 are appointed, not elected (issue 10, capability 4): the term rules judge elected committees only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jiceng.core import compliance
from jiceng.orgs.models import Committee, Organization

TERM_RULES = {"org.committee_term_expired", "org.committee_term_due"}


def _terms(root: Organization, label: str) -> set[tuple[str, str]]:
    return {(f.org_code, f.rule) for f in compliance.evaluate(root, label) if f.rule in TERM_RULES}


def test_a_working_committee_is_never_judged_by_the_term_rules(world: Any) -> None:
    assert world.root.kind == "working_committee"
    # Both leaderships "elected" in 2015 for 5 years: past their term by 2026; recorded the same way.
    Committee.objects.create(org=world.root, elected_on=dt.date(2015, 5, 1), term_years=5)
    Committee.objects.create(org=world.general, elected_on=dt.date(2015, 5, 1), term_years=5)
    assert _terms(world.root, "2026-09-30") == {("0103", "org.committee_term_expired")}


def test_nor_reminded_of_a_term_ending_soon(world: Any) -> None:
    Committee.objects.create(org=world.root, elected_on=dt.date(2021, 11, 1), term_years=5)
    Committee.objects.create(org=world.general, elected_on=dt.date(2021, 11, 1), term_years=5)
    assert _terms(world.root, "2026-09-30") == {("0103", "org.committee_term_due")}


def test_an_elected_party_committee_is_judged(world: Any) -> None:
    Organization.objects.filter(pk=world.root.pk).update(kind="committee")
    Committee.objects.create(org=world.root, elected_on=dt.date(2015, 5, 1), term_years=5)
    assert _terms(world.root, "2026-09-30") == {("01", "org.committee_term_expired")}
