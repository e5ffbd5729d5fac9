"""党工委 are appointed, not elected: their leadership is an appointment without a term (services,
page, organization page, tallies, API, the compliance engine's guard, migration orgs/0005)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from jiceng.core.models import ObjectChange
from jiceng.orgs import selectors, services, tallies
from jiceng.orgs.models import Committee, Formation

pytestmark = pytest.mark.django_db


def test_an_appointment_has_no_term_and_takes_no_extension(world):
    committee = services.record_election(
        actor=world.county_admin, org=world.root, elected_on=dt.date(2020, 3, 1)
    )
    assert (committee.formation, committee.term_years, committee.term_ends_on) == (
        Formation.APPOINTED,
        None,
        None,
    )
    assert ObjectChange.objects.filter(
        action="create", content_type__model="committee", object_id=committee.pk
    )
    with pytest.raises(ValidationError) as refused:
        services.approve_extension(
            actor=world.county_admin, committee=committee, extended_to=dt.date(2026, 3, 1), approval="批复"
        )
    assert refused.value.error_dict["extended_to"][0].code == "appointed_no_term"
    with pytest.raises(ValidationError) as refused:
        services.record_election(
            actor=world.county_admin, org=world.root, elected_on=dt.date(2024, 3, 1), term_years=5
        )
    assert refused.value.error_dict["term_years"][0].code == "appointed_no_term"
    # A later appointment replaces it; a branch's election keeps its term.
    services.record_election(actor=world.county_admin, org=world.root, elected_on=dt.date(2024, 3, 1))
    committee.refresh_from_db()
    assert committee.ended_on == dt.date(2024, 3, 1)
    elected = services.record_election(
        actor=world.county_admin, org=world.branch_b, elected_on=dt.date(2024, 1, 1)
    )
    assert (elected.formation, elected.term_years) == (Formation.ELECTED, 5)


def test_the_tally_counts_an_appointment_without_a_term_end(world):
    services.record_election(actor=world.county_admin, org=world.root, elected_on=dt.date(2015, 3, 1))
    services.record_election(actor=world.county_admin, org=world.branch_b, elected_on=dt.date(2021, 6, 1))
    counts = tallies.read(world.root)
    assert counts[tallies.APPOINTED_KEY] == 1 and "term_end:2020-03-01" not in counts
    summary = selectors.org_summary(world.root, today=dt.date(2026, 11, 29))["committees"]
    assert summary == {"expired": 1, "due": 0, "appointed": 1}  # only the branch's term has ended
    assert counts == tallies.count_fresh(world.root)
    tallies.rebuild()
    assert tallies.read(world.root) == counts


def test_the_election_page_of_a_working_committee_is_an_appointment_page(world, client_for):
    client = client_for(world.county_admin)
    form = client.get("/orgs/01/election/").content.decode()
    assert "记录任命" in form and "任命日期" in form and 'name="term_years"' not in form
    response = client.post("/orgs/01/election/", {"elected_on": "2022-05-01"})
    assert response.status_code == 302
    committee = Committee.objects.get(org=world.root, ended_on__isnull=True)
    assert committee.formation == Formation.APPOINTED and committee.term_years is None
    page = client.get("/orgs/01/").content.decode()
    assert "2022-05-01由上级党委任命，不设任期" in page
    assert "/orgs/01/extension/" not in page  # no term, nothing to extend
    assert client.get("/orgs/01/extension/").status_code == 302
    # A branch's election page keeps its term field.
    assert 'name="term_years"' in client.get("/orgs/0101/election/").content.decode()
    # Scope: a viewer of the working committee may not record it (403), a branch secretary does not see it.
    assert (
        client_for(world.viewer).post("/orgs/01/election/", {"elected_on": "2023-05-01"}).status_code == 403
    )
    assert client_for(world.alice).post("/orgs/01/election/", {"elected_on": "2023-05-01"}).status_code == 404
    assert Committee.objects.filter(org=world.root).count() == 1


def test_the_api_shows_an_appointment(world):
    services.record_election(actor=world.county_admin, org=world.root, elected_on=dt.date(2022, 5, 1))
    client = APIClient()
    client.force_login(world.county_admin)
    body = client.get("/api/v1/orgs/01/").json()["committee"]
    assert body["formation"] == "appointed"
    assert (body["elected_on"], body["term_years"], body["term_ends_on"]) == ("2022-05-01", None, None)
    response = client.post(
        "/api/v1/orgs/01/elections/", {"elected_on": "2023-05-01", "term_years": 5}, format="json"
    )
    assert (
        response.status_code == 400
        and response.json()["errors"]["term_years"][0]["code"] == "appointed_no_term"
    )
    assert client.get("/api/v1/orgs/01/summary/").json()["committees"]["appointed"] == 1
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "formation" in schema["Committee"]["properties"]


def test_the_compliance_engine_judges_no_term_of_an_appointment(world):
    from jiceng.core import compliance

    services.record_election(actor=world.county_admin, org=world.root, elected_on=dt.date(2015, 3, 1))
    findings = compliance.evaluate(world.root, "2026-Q3")  # no crash on a committee without a term
    assert not [f for f in findings if f.rule.startswith("org.committee_term") and f.org_code == "01"]


def test_migration_0005_turns_working_committees_committees_into_appointments(world):
    """What orgs/0005 does to a database holding an elected committee of a 党工委 (and its tallies)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("jiceng.orgs.migrations.0005_committee_formation")
    old = Committee.objects.create(org=world.root, elected_on=dt.date(2019, 1, 1), term_years=5)
    branch = Committee.objects.create(org=world.branch_a, elected_on=dt.date(2022, 1, 1), term_years=5)
    tallies.rebuild()
    assert tallies.read(world.root)["term_end:2024-01-01"] == 1
    migration.to_appointments(apps, None)
    old.refresh_from_db()
    branch.refresh_from_db()
    assert (old.formation, old.term_years) == (Formation.APPOINTED, None)
    assert (branch.formation, branch.term_years) == (Formation.ELECTED, 5)
    assert tallies.read(world.root) == tallies.count_fresh(world.root)
    assert tallies.read(world.root)[tallies.APPOINTED_KEY] == 1
    migration.to_elections(apps, None)
    old.refresh_from_db()
    assert (old.formation, old.term_years) == (Formation.ELECTED, 5)
    assert tallies.read(world.root) == tallies.count_fresh(world.root)
