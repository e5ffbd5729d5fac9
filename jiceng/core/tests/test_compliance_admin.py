"""Rule-set administration in Django's admin: system administrators only, every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from jiceng.core.models import ObjectChange, RuleVersion


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_add_change_and_delete_are_audited(world: Any, client_for: Any) -> None:
    client = client_for(world.sysadmin)
    form = {
        "code": "life.party_lecture_quarterly",
        "effective_from": "2026-07-01",
        "enabled": "",
        "params": "{}",
        "citation": "本省2026年通知：党课不再按季度考核",
        "note": "",
    }
    response = client.post("/admin/core/ruleversion/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    version = RuleVersion.objects.get()
    assert version.enabled is False and version.created_by == world.sysadmin
    created = ObjectChange.objects.get(
        action="create", object_id=version.pk, content_type__model="ruleversion"
    )
    assert created.user == world.sysadmin

    response = client.post(
        f"/admin/core/ruleversion/{version.pk}/change/", {**form, "citation": "更正后的依据"}
    )
    assert response.status_code == 302
    updated = ObjectChange.objects.get(action="update", object_id=version.pk)
    assert updated.diff() == [("citation", "本省2026年通知：党课不再按季度考核", "更正后的依据")]

    response = client.post(f"/admin/core/ruleversion/{version.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not RuleVersion.objects.exists()
    assert ObjectChange.objects.filter(action="delete", object_id=version.pk).exists()


def test_parameters_are_checked_against_the_rule(world: Any, client_for: Any) -> None:
    response = client_for(world.sysadmin).post(
        "/admin/core/ruleversion/add/",
        {
            "code": "org.branch_too_small",
            "effective_from": "2026-07-01",
            "enabled": "on",
            "params": '{"min_full_members": "three"}',
            "citation": "x",
        },
    )
    assert response.status_code == 200
    assert "参数min_full_members的类型应与默认值相同" in response.content.decode()
    assert not RuleVersion.objects.exists()


@pytest.mark.parametrize("who", ["county_admin", "alice", "viewer"])
def test_only_system_administrators(world: Any, client_for: Any, who: str) -> None:
    response = client_for(getattr(world, who)).get("/admin/core/ruleversion/")
    assert response.status_code in (302, 403)
    assert not response.content.decode().count("ruleversion/add")
