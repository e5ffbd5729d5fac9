"""The registries apps fill in ``AppConfig.ready()``: core reads them and names no app."""

from __future__ import annotations

import pytest

from jiceng.core import registry


@pytest.fixture
def registered():
    """Register entries for one test and remove them afterwards."""
    added: list[tuple[registry.Registry, str]] = []

    def add(reg: registry.Registry, entry):  # noqa: ANN001, ANN202
        reg.register(entry)
        added.append((reg, entry.key))
        return entry

    yield add
    for reg, key in added:
        reg.unregister(key)


def test_the_apps_register_their_parts():
    scope_keys = [s.key for s in registry.home_sections if s.audience == registry.SCOPE]
    own_keys = [s.key for s in registry.home_sections if s.audience == registry.OWN]
    assert scope_keys[:2] == ["reports.due", "orgs.cards"]
    assert own_keys[:3] == ["members.record", "life.attendance", "development.own"]
    assert "members.me" in registry.landings
    assert "has_member_record" in registry.nav_flags
    assert "unread" in registry.nav_flags
    assert [d.key for d in registry.demo_loaders] == [
        "members.town",
        "development.pipeline",
        "life.history",
        "services.requests",
        "tasks",
        "dues",
        "assessment",
        "participation",
        "consultation",
        "notifications.inbox",
        "members.summary",
    ]


def test_a_registered_home_section_shows_in_its_order(world, client_for, registered):
    registered(
        registry.home_sections,
        registry.HomeSection(
            key="test.first",
            template="core/_registry_probe.html",
            context=lambda u: {"probe": u.username},
            order=1,
        ),
    )
    registered(
        registry.home_sections,
        registry.HomeSection(key="test.hidden", template="core/_registry_probe.html", context=lambda u: None),
    )
    page = client_for(world.alice).get("/").content.decode()
    assert page.count('<p class="registry-probe') == 1
    assert page.index("registry-probe alice") < page.index('href="/orgs/0101/"')


def test_an_own_section_shows_on_a_members_home_and_in_the_api(world, client_for, api, registered):
    """A later app (dues, say) adds its block to a member's home and its data to /api/v1/me/sections/."""
    registered(
        registry.home_sections,
        registry.HomeSection(
            key="test.own",
            template="core/_registry_probe.html",
            context=lambda u: {"probe": u.username},
            data=lambda u: {"who": u.username},
            audience=registry.OWN,
            title="probe",
            order=1,
        ),
    )
    page = client_for(world.dora).get("/").content.decode()
    assert page.count('<p class="registry-probe dora') == 1
    assert page.index("registry-probe dora") < page.index("我的党员信息")
    # Not on a secretary's workbench, which shows the sections with a scope.
    assert "registry-probe" not in client_for(world.alice).get("/").content.decode()
    sections = api("dora").get("/api/v1/me/sections/").json()
    assert sections[0] == {"key": "test.own", "title": "probe", "data": {"who": "dora"}}
    assert api("bob").get("/api/v1/me/sections/test.own/").json()["data"] == {"who": "bob"}


def test_a_registered_landing_and_nav_flag(world, client_for, registered):
    registered(registry.landings, registry.Landing(key="test.first", url=lambda u: "/somewhere/", order=1))
    registered(registry.nav_flags, registry.NavFlag(key="probe", value=lambda u: u.username))
    # A landing claims a user with neither a scope nor records of their own (a member gets their home).
    response = client_for(world.charlie).get("/")
    assert response.status_code == 302 and response["Location"] == "/somewhere/"
    assert client_for(world.dora).get("/").status_code == 200
    response = client_for(world.alice).get("/")
    assert response.context["nav"]["probe"] == "alice"
    assert response.context["nav"]["has_member_record"] is True


def test_registering_a_key_again_replaces_it():
    reg: registry.Registry[registry.Landing] = registry.Registry("probe")
    reg.register(registry.Landing(key="a", url=lambda u: "/1/"))
    reg.register(registry.Landing(key="a", url=lambda u: "/2/"))
    assert len(reg) == 1 and reg["a"].url(None) == "/2/"
