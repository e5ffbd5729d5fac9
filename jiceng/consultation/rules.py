"""The rules of residents' consultation as pure functions (no database; property-tested).

Reference: 中共中央办公厅、国务院办公厅《关于加强城乡社区协商的意见》(2015). Its procedure: the
Party organization and the residents' committee propose the topic and who takes part; the content is
made known in advance (提前通报协商内容和相关信息); the meeting forms the consultation's opinion; the
outcome is carried out and its implementation reported back to those concerned and to residents. The
opinion sets no number of days: ``notice_days`` (how long before the meeting the notice is published)
is local practice (unverified, confidence U), and an item's deadline is the one the decision set.

- ``consultation.notice_short``: a notice published fewer than ``notice_days`` days before the
  meeting it announces, while that meeting is still to be held (it may be put off and noticed again).
- ``consultation.item_overdue``: an item of a decision's accountability tree not done more than
  ``grace_days`` days after its deadline.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.compliance import Finding, OrgRef, fmt_day, make_finding
from jiceng.core.rulebook import RuleParams

NOTICE_SHORT = "consultation.notice_short"
ITEM_OVERDUE = "consultation.item_overdue"


def notice_short(
    *,
    org: OrgRef,
    topic_id: int,
    title: str,
    noticed_on: dt.date,
    meeting_on: dt.date,
    held_on: dt.date | None,
    day: dt.date,
    params: RuleParams,
) -> Finding | None:
    """As of ``day``: the notice of ``noticed_on`` (on or before ``day``) announces a meeting on
    ``meeting_on`` fewer than ``notice_days`` days later, and the meeting was not held by ``day``."""
    if not params.enabled or noticed_on > day:
        return None
    if held_on is not None and held_on <= day:
        return None
    days = (meeting_on - noticed_on).days
    need = int(params["notice_days"])
    if days >= need:
        return None
    facts = {"title": title, "noticed_on": noticed_on, "meeting_on": meeting_on, "days": days, "need": need}
    return make_finding(params, org, day.isoformat(), facts, subject=f"topic:{topic_id}", due_on=meeting_on)


def item_overdue(
    *,
    org: OrgRef,
    item_id: int,
    topic: str,
    title: str,
    due_on: dt.date,
    done_on: dt.date | None,
    day: dt.date,
    params: RuleParams,
) -> Finding | None:
    """As of ``day``: an item due on ``due_on`` and not done by ``day`` (``done_on`` None or later),
    more than ``grace_days`` days after its deadline."""
    if not params.enabled:
        return None
    if done_on is not None and done_on <= day:
        return None
    late = (day - due_on).days - int(params["grace_days"])
    if late <= 0:
        return None
    facts = {"topic": topic, "title": title, "due": due_on, "days": (day - due_on).days}
    return make_finding(params, org, day.isoformat(), facts, subject=f"item:{item_id}", due_on=due_on)


def notice_message(f: dict) -> str:
    return _(
        "议题“%(title)s”于%(noticed_on)s公告，协商会议定于%(meeting_on)s，仅提前%(days)s天（应至少提前%(need)s天）"
    ) % {
        "title": f["title"],
        "noticed_on": fmt_day(f["noticed_on"]),
        "meeting_on": fmt_day(f["meeting_on"]),
        "days": f["days"],
        "need": f["need"],
    }


def overdue_message(f: dict) -> str:
    return _("协商议题“%(topic)s”的落实事项“%(title)s”应于%(due)s前完成，已逾期%(days)s天") % {
        "topic": f["topic"],
        "title": f["title"],
        "due": fmt_day(f["due"]),
        "days": f["days"],
    }


NOTICE_EXPLANATION = gettext_lazy(
    "协商前应提前公布协商议题和相关信息。公告日期到协商会议日期少于规定天数、且会议尚未召开的，列为问题，"
    "可推迟会议并重新公告。《关于加强城乡社区协商的意见》要求提前通报，未规定天数；默认天数为地方做法（未核实），"
    "由系统管理员按生效日期调整。"
)
OVERDUE_EXPLANATION = gettext_lazy(
    "协商决定分解的落实事项超过完成期限（加宽限天数）仍未完成的，列为问题，记在议题所属组织。"
    "期限由协商决定确定；宽限天数为本系统参数。"
)
