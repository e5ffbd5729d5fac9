from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.apps import AppConfig

from jiceng.core.compliance import Evaluation, Finding, fmt_day, make_finding
from jiceng.core.rulebook import STATE, RuleParams, RuleSpec, register_facts, register_rules

CODE = "plugin.branch_name_long"


def load_name_lengths(ev: Evaluation) -> dict[int, int]:
    """A fact of this app's own, loaded once per evaluation (no query: the tree is already loaded)."""
    return {o.id: len(o.ref.name) for o in ev.of_kind("branch")}


def judge(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    lengths = ev.fact("plugin.name_lengths")
    for o in ev.of_kind("branch"):
        if o.exists_on(day) and lengths[o.id] > params["max_length"]:
            yield make_finding(params, o.ref, day.isoformat(), {"day": day, "length": lengths[o.id]})


def message(facts: Any) -> str:
    return f"截至{fmt_day(facts['day'])}，党支部名称有{facts['length']}个字"


class PluginConfig(AppConfig):
    name = "tests.pluginapp"
    label = "pluginapp"

    def ready(self) -> None:
        register_facts("plugin.name_lengths", load_name_lengths)
        register_rules(
            "pluginapp",
            RuleSpec(
                CODE,
                "党支部名称过长（测试规则）",
                STATE,
                "测试依据第一条",
                {"max_length": 5},
                confidence="U",
                section="99",
                explanation="只用于测试：名称超过规定字数的党支部。",
                message=message,
                judge=judge,
            ),
        )
