"""The consultation rules as this app declares them to the compliance engine: specs, the bulk loaders
of a subtree's topics and items on a day, and the judges handing them to ``rules``.
``ConsultationConfig.ready()`` registers them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.compliance import Evaluation, Finding, raw_rows
from jiceng.core.rulebook import STATE, RuleParams, RuleSpec, register_facts, register_rules

from . import rules
from .models import Item, Topic

CITATION = gettext_noop("中共中央办公厅、国务院办公厅《关于加强城乡社区协商的意见》（2015年）")


def _day(value: object) -> dt.date | None:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value  # type: ignore[return-value]


def load_notices(ev: Evaluation, day: dt.date) -> list[tuple]:
    """Topics of the subtree noticed by ``day`` whose meeting was not held by then (one query):
    (id, org id, title, noticed on, meeting on, held on)."""
    rows = raw_rows(
        Topic.objects.filter(org_path__prefix=ev.prefix, noticed_on__lte=day, meeting_on__isnull=False)
        .filter(Q(meeting__isnull=True) | Q(meeting__held_on__gt=day))
        .order_by("org_path", "id")
        .values_list("id", "org_id", "title", "noticed_on", "meeting_on", "meeting__held_on")
    )
    return [(i, o, t, _day(n), _day(m), _day(h)) for i, o, t, n, m, h in rows]


def load_items(ev: Evaluation, day: dt.date) -> list[tuple]:
    """Items of the subtree's topics past their deadline and not done on ``day`` (one query):
    (id, topic's org id, topic title, title, due on, done on)."""
    rows = raw_rows(
        Item.objects.filter(topic__org_path__prefix=ev.prefix, due_on__lt=day)
        .filter(Q(done_on__isnull=True) | Q(done_on__gt=day))
        .order_by("topic__org_path", "id")
        .values_list("id", "topic__org_id", "topic__title", "title", "due_on", "done_on")
    )
    return [(i, o, tt, t, _day(d), _day(x)) for i, o, tt, t, d, x in rows]


def judge_notices(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    existing = ev.existing_on(day)
    for tid, org_id, title, noticed_on, meeting_on, held_on in ev.fact("consultation.notices", day):
        o = existing.get(org_id)
        if o is None:
            continue
        f = rules.notice_short(
            org=o.ref,
            topic_id=tid,
            title=title,
            noticed_on=noticed_on,
            meeting_on=meeting_on,
            held_on=held_on,
            day=day,
            params=params,
        )
        if f:
            yield f


def judge_items(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    existing = ev.existing_on(day)
    for iid, org_id, topic, title, due_on, done_on in ev.fact("consultation.items", day):
        o = existing.get(org_id)
        if o is None:
            continue
        f = rules.item_overdue(
            org=o.ref,
            item_id=iid,
            topic=topic,
            title=title,
            due_on=due_on,
            done_on=done_on,
            day=day,
            params=params,
        )
        if f:
            yield f


NOTICE_SPEC = RuleSpec(
    rules.NOTICE_SHORT,
    _("协商议题公告时间不足"),
    STATE,
    CITATION,
    {"notice_days": 7},
    confidence="U",
    section="10",
    explanation=rules.NOTICE_EXPLANATION,
    message=rules.notice_message,
    judge=judge_notices,
    pending=_("推迟协商会议或重新公告（%(title)s）"),
    late=_("推迟协商会议或重新公告（%(title)s）"),
)
OVERDUE_SPEC = RuleSpec(
    rules.ITEM_OVERDUE,
    _("协商决定落实事项逾期"),
    STATE,
    CITATION,
    {"grace_days": 0},
    confidence="U",
    section="10",
    explanation=rules.OVERDUE_EXPLANATION,
    message=rules.overdue_message,
    judge=judge_items,
    pending=_("%(day)s前完成落实事项（%(title)s）"),
    late=_("尽快完成落实事项（%(title)s，已逾期）"),
)


def register() -> None:
    register_facts("consultation.notices", load_notices)
    register_facts("consultation.items", load_items)
    register_rules("consultation", NOTICE_SPEC, OVERDUE_SPEC)
