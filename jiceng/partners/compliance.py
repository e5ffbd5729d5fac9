"""``agreement.project_overdue`` as this app declares it to the compliance engine: the spec (switched
off by default: local practice), the loader of the subtree's agreement projects due by a day (one
query), and the judge handing them to ``rules.project_overdue``. ``PartnersConfig.ready()`` registers
them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.compliance import Evaluation, Finding, raw_rows
from jiceng.core.rulebook import STATE, RuleParams, RuleSpec, register_facts, register_rules

from . import rules
from .models import AgreementProject


def load_projects(ev: Evaluation, day: dt.date) -> list[tuple]:
    """Projects of agreements signed in the subtree whose deadline is before ``day`` and which were
    not done by then: (id, signing org id, title, unit name, deadline, status, done on)."""
    rows = raw_rows(
        AgreementProject.objects.filter(agreement__org_path__startswith=ev.prefix, deadline__lt=day)
        .exclude(status="cancelled")
        .exclude(done_on__lte=day)
        .order_by("id")
        .values_list(
            "id", "agreement__org_id", "title", "agreement__unit__name", "deadline", "status", "done_on"
        )
    )
    out = []
    for pid, org_id, title, unit, deadline, status, done_on in rows:
        if isinstance(deadline, str):
            deadline = dt.date.fromisoformat(deadline[:10])
        if isinstance(done_on, str):
            done_on = dt.date.fromisoformat(done_on[:10])
        out.append((pid, org_id, title, unit, deadline, status, done_on))
    return out


def judge_overdue(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    existing = ev.existing_on(day)
    for pid, org_id, title, unit, deadline, status, done_on in ev.fact("partners.projects", day):
        o = existing.get(org_id)
        if o is None:
            continue
        f = rules.project_overdue(
            org=o.ref,
            project_id=pid,
            title=title,
            unit=unit,
            deadline=deadline,
            status=status,
            done_on=done_on,
            day=day,
            params=params,
        )
        if f:
            yield f


SPEC = RuleSpec(
    rules.CODE,
    _("共建项目超过约定期限未完成"),
    STATE,
    gettext_noop("党建共建协议项目清单的约定期限（地方做法，未见中央文件条款）"),
    dict(rules.DEFAULTS),
    enabled=False,
    confidence="U",
    section="10",
    explanation=rules.EXPLANATION,
    message=rules.message,
    judge=judge_overdue,
    pending=_("%(day)s前完成共建项目“%(title)s”"),
    late=_("尽快完成共建项目“%(title)s”（已逾期）"),
)


def register() -> None:
    register_facts("partners.projects", load_projects)
    register_rules("partners", SPEC)
