"""Every write of residents' consultation: keyword-only, atomic, scoped, validated, audited.

Who may do what:

- an organization of a community, a village or a street (a 党工委) opens a topic and, with the change
  right on it, publishes the notice, records the meeting once and builds the accountability tree;
- a leaf's progress is updated (dated) by the topic's organization, by the owning organization (change
  right on it) or by a contact of the owning partner unit;
- residents comment on an update from the public page (no account; counted by a keyed digest of their
  address, like the public request page); the topic's organization hides a comment with a reason.

Refusals are a ``ValidationError`` keyed by field, with Chinese messages; nothing partial is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.rulebook import RuleBook
from jiceng.orgs.models import Organization, OrgKind, UnitKind
from jiceng.partners.models import PartnerUnit
from jiceng.services.services import address_digest

from . import rules, tree
from .models import (
    DECIDED_STATUSES,
    Comment,
    Group,
    Item,
    ItemStatus,
    Meeting,
    Milestone,
    Source,
    Topic,
    TopicStatus,
    Update,
    Verdict,
)

FIRST_DAY = dt.date(2000, 1, 1)
MAX_SHORT = 200
MAX_TEXT = 2000
MAX_MINUTES = 5000
MAX_COMMENT = 500
MAX_DEPTH = 4  # item levels below the topic
MAX_ITEMS = 100  # items of one topic
MAX_UPDATES = 200  # updates of one item
MAX_COMMENTS = 200  # resident comments on one update


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value: Any, field: str, limit: int, *, required: bool = True, one_line: bool = True) -> str:
    raw = str(value or "")
    text = " ".join(raw.split()) if one_line else raw.strip()
    if required and not text:
        raise _error(field, _("此项为必填项"), "required")
    if len(text) > limit:
        raise _error(field, _("不能超过%(n)d个字") % {"n": limit}, "too_long")
    return text


def _past(value: dt.date | None, field: str, today: dt.date) -> dt.date:
    day = value or today
    if day > today:
        raise _error(field, _("日期不能晚于今天"), "future")
    if day < FIRST_DAY:
        raise _error(field, _("日期不能早于2000年"), "too_early")
    return day


def may_consult(org: Organization) -> bool:
    """Communities and villages, and streets (a 党工委), hold consultations."""
    return org.unit_kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE) or org.kind == OrgKind.WORKING_COMMITTEE


def require_change(user: Any, topic: Topic) -> None:
    """For a topic the user is known to see: 403 without the change right on its organization."""
    if not scope.can(user, scope.CHANGE, topic.org_path):
        raise PermissionDenied(_("您没有执行此操作的权限"))


def may_update(user: Any, item: Item) -> bool:
    """The topic's organization, the owning organization, or a contact of the owning partner unit."""
    if scope.can(user, scope.CHANGE, item.topic.org_path):
        return True
    if item.owner_org_id and scope.can(user, scope.CHANGE, item.owner_org.path):
        return True
    if item.owner_partner_id and getattr(user, "is_authenticated", False):
        return item.owner_partner.contacts.filter(pk=user.pk).exists()
    return False


def notice_days(day: dt.date) -> int:
    """How many days before the meeting its notice is due, as in force on ``day`` (rule parameter)."""
    return int(RuleBook().on(rules.NOTICE_SHORT, day)["notice_days"])


def _locked(topic: Topic) -> Topic:
    return Topic.objects.select_for_update(of=("self",)).select_related("org").get(pk=topic.pk)


# The topic ----------------------------------------------------------------------------------------------


@transaction.atomic
def open_topic(
    *,
    actor: Any,
    org: Organization,
    title: str,
    source: str,
    description: str = "",
    request: Any = None,
    proposed_by: str = "",
    opened_on: dt.date | None = None,
    today: dt.date | None = None,
) -> Topic:
    """A community (or street) opens a topic (议题) for consultation."""
    scope.ensure_change(actor, org.path)
    today = _today(today)
    if not may_consult(org):
        raise _error("org", _("只有社区（村）或街道党组织可以发起协商议题"), "not_community")
    if source not in Source.values:
        raise _error("source", _("请选择议题来源"), "invalid")
    if request is not None:
        if not request.org_path.startswith(org.path) and not org.path.startswith(request.org_path):
            raise _error("request", _("只能关联本社区受理的诉求"), "other_org")
    elif source == Source.REQUEST:
        raise _error("request", _("来源为居民诉求时请选择诉求"), "required")
    topic = Topic.objects.create(
        org=org,
        title=_text(title, "title", MAX_SHORT),
        description=_text(description, "description", MAX_TEXT, required=False, one_line=False),
        source=source,
        request=request,
        proposed_by=_text(proposed_by, "proposed_by", 100, required=False),
        opened_on=_past(opened_on, "opened_on", today),
        created_by=actor,
    )
    audit.created(actor=actor, obj=topic, message=_("发起协商议题"))
    return topic


@transaction.atomic
def publish_notice(
    *,
    actor: Any,
    topic: Topic,
    meeting_on: dt.date,
    meeting_place: str,
    groups: Iterable[str],
    partners: Iterable[PartnerUnit] = (),
    notice_text: str = "",
    noticed_on: dt.date | None = None,
    today: dt.date | None = None,
) -> Topic:
    """The notice (公告): the meeting's day and place and who takes part. Published once; a notice
    shorter than the rule-book's ``notice_days`` is accepted and shows up as a finding."""
    require_change(actor, topic)
    today = _today(today)
    topic = _locked(topic)
    if topic.status != TopicStatus.OPEN:
        raise ValidationError(_("该议题已发布公告"), code="noticed")
    noticed_on = _past(noticed_on, "noticed_on", today)
    if noticed_on < topic.opened_on:
        raise _error("noticed_on", _("公告日期不能早于立项日期"), "before_open")
    if meeting_on is None or meeting_on < noticed_on:
        raise _error("meeting_on", _("协商会议日期不能早于公告日期"), "before_notice")
    if meeting_on > noticed_on + dt.timedelta(days=366):
        raise _error("meeting_on", _("协商会议日期不能晚于公告后一年"), "too_late")
    groups = [g for g in dict.fromkeys(groups) if g]
    if not groups or any(g not in Group.values for g in groups):
        raise _error("groups", _("请选择参加协商的各方"), "required")
    partners = list(partners)
    tree_root = topic.org_path[: Organization.steplen]
    if any(not p.org_path.startswith(tree_root) or not p.active for p in partners):
        raise _error("partners", _("只能选择本辖区在册的共建单位"), "other_tree")
    before = audit.snapshot(topic)
    topic.noticed_on, topic.meeting_on = noticed_on, meeting_on
    topic.meeting_place = _text(meeting_place, "meeting_place", MAX_SHORT)
    topic.notice_text = _text(notice_text, "notice_text", MAX_TEXT, required=False, one_line=False)
    topic.groups = groups
    topic.status = TopicStatus.NOTICED
    topic.save()
    topic.partners.set(partners)
    audit.updated(actor=actor, obj=topic, before=before, message=_("发布协商公告"))
    return topic


VOTES = ("votes_for", "votes_against", "votes_abstain")
COUNTS = ("representatives", "residents", "liaisons", "property_staff", "members_count", "others")


@transaction.atomic
def record_meeting(
    *,
    actor: Any,
    topic: Topic,
    held_on: dt.date,
    place: str,
    minutes: str,
    options: str = "",
    decision: str = "",
    counts: dict[str, int] | None = None,
    named: str = "",
    members: Iterable[Any] = (),
    votes: dict[str, int] | None = None,
    today: dt.date | None = None,
) -> Meeting:
    """The meeting, recorded once: minutes, participants by group, options, the decision (blank: no
    decision was reached, the topic stays "met"), votes where taken."""
    require_change(actor, topic)
    today = _today(today)
    topic = _locked(topic)
    if topic.status == TopicStatus.OPEN:
        raise ValidationError(_("请先发布协商公告"), code="not_noticed")
    if Meeting.objects.filter(topic=topic).exists():
        raise ValidationError(_("协商会议已记录，不能重复记录"), code="recorded")
    held_on = _past(held_on, "held_on", today)
    if held_on < topic.noticed_on:
        raise _error("held_on", _("会议日期不能早于公告日期"), "before_notice")
    counts = counts or {}
    values = {}
    for key in COUNTS:
        n = int(counts.get(key) or 0)
        if not 0 <= n <= 10000:
            raise _error(key, _("人数应在0到10000之间"), "range")
        values[key] = n
    if sum(values.values()) == 0:
        raise _error("representatives", _("请填写参加人数"), "required")
    vote_values: dict[str, int | None] = dict.fromkeys(VOTES)
    voted = bool(votes)
    if voted:
        for key in VOTES:
            n = int(votes.get(key) or 0)  # type: ignore[union-attr]
            if not 0 <= n <= 10000:
                raise _error(key, _("票数应在0到10000之间"), "range")
            vote_values[key] = n
        if sum(v or 0 for v in vote_values.values()) > sum(values.values()):
            raise _error("votes_for", _("表决票数不能多于参加人数"), "too_many")
    members = list(members)
    tree_root = topic.org_path[: Organization.steplen]
    if any(not m.org_path.startswith(tree_root) for m in members):
        raise _error("members", _("只能选择本辖区的党员"), "other_tree")
    decision = _text(decision, "decision", MAX_TEXT, required=False, one_line=False)
    meeting = Meeting.objects.create(
        topic=topic,
        held_on=held_on,
        place=_text(place, "place", MAX_SHORT),
        minutes=_text(minutes, "minutes", MAX_MINUTES, one_line=False),
        options=_text(options, "options", MAX_TEXT, required=False, one_line=False),
        decision=decision,
        named=_text(named, "named", 500, required=False),
        voted=voted,
        recorded_by=actor,
        **values,
        **vote_values,
    )
    meeting.members.set(members)
    before = audit.snapshot(topic)
    topic.status = TopicStatus.DECIDED if decision else TopicStatus.MET
    topic.decided_on = held_on if decision else None
    topic.save()
    audit.created(actor=actor, obj=meeting, message=_("记录协商会议"))
    audit.updated(actor=actor, obj=topic, before=before, message=_("形成协商决定") if decision else "")
    return meeting


# The accountability tree ------------------------------------------------------------------------------


def _depth(item: Item | None) -> int:
    depth = 0
    while item is not None:
        depth += 1
        item = item.parent
    return depth


@transaction.atomic
def add_item(
    *,
    actor: Any,
    topic: Topic,
    title: str,
    parent: Item | None = None,
    owner_org: Organization | None = None,
    owner_partner: PartnerUnit | None = None,
    weight: int = 1,
    due_on: dt.date | None = None,
    milestones: Iterable[tuple[str, dt.date]] = (),
) -> Item:
    """An item of the decision's accountability tree; a leaf needs an owner (an organization or a
    partner unit). A new child turns its parent into a branch of the tree: its progress then follows
    its children's."""
    require_change(actor, topic)
    topic = _locked(topic)
    if topic.status not in DECIDED_STATUSES:
        raise ValidationError(_("协商形成决定后才能分解落实事项"), code="not_decided")
    if parent is not None and parent.topic_id != topic.pk:
        raise _error("parent", _("上级事项不属于该议题"), "other_topic")
    if _depth(parent) >= MAX_DEPTH:
        raise _error("parent", _("事项最多分%(n)d级") % {"n": MAX_DEPTH}, "too_deep")
    if Item.objects.filter(topic=topic).count() >= MAX_ITEMS:
        raise ValidationError(_("一个议题最多%(n)d个落实事项") % {"n": MAX_ITEMS}, code="too_many")
    if parent is not None and parent.updates.exists():
        raise _error("parent", _("该事项已有进展记录，不能再分解"), "has_updates")
    if (owner_org is None) == (owner_partner is None):
        raise _error("owner_org", _("请选择一个责任组织或责任单位"), "owner")
    tree_root = topic.org_path[: Organization.steplen]
    if owner_org is not None and not owner_org.path.startswith(tree_root):
        raise _error("owner_org", _("责任组织应在本辖区"), "other_tree")
    if owner_partner is not None and (
        not owner_partner.org_path.startswith(tree_root) or not owner_partner.active
    ):
        raise _error("owner_partner", _("只能选择本辖区在册的共建单位"), "other_tree")
    if not 1 <= int(weight) <= 100:
        raise _error("weight", _("权重应在1到100之间"), "range")
    if due_on is not None and topic.decided_on and due_on < topic.decided_on:
        raise _error("due_on", _("完成期限不能早于形成决定日期"), "before_decision")
    item = Item.objects.create(
        topic=topic,
        parent=parent,
        title=_text(title, "title", MAX_SHORT),
        owner_org=owner_org,
        owner_partner=owner_partner,
        weight=int(weight),
        due_on=due_on,
    )
    for name, day in milestones:
        Milestone.objects.create(item=item, title=_text(name, "milestones", MAX_SHORT), due_on=day)
    if topic.status == TopicStatus.DONE:
        topic.status, topic.done_on = TopicStatus.DECIDED, None
        topic.save(update_fields=["status", "done_on"])
    audit.created(actor=actor, obj=item, message=_("分解落实事项"))
    return item


@transaction.atomic
def add_milestone(*, actor: Any, item: Item, title: str, due_on: dt.date) -> Milestone:
    if not may_update(actor, item):
        raise PermissionDenied(_("您没有执行此操作的权限"))
    if due_on is None:
        raise _error("due_on", _("此项为必填项"), "required")
    if item.milestones.count() >= 20:
        raise ValidationError(_("一个事项最多20个节点"), code="too_many")
    m = Milestone.objects.create(item=item, title=_text(title, "title", MAX_SHORT), due_on=due_on)
    audit.created(actor=actor, obj=m, message=_("增加节点"))
    return m


def tree_nodes(topic: Topic) -> list[tree.Node]:
    return [
        tree.Node(i, p, w, g)
        for i, p, w, g in Item.objects.filter(topic=topic).values_list(
            "id", "parent_id", "weight", "progress"
        )
    ]


def _close_if_done(topic: Topic, day: dt.date) -> None:
    """The topic is done when every leaf is done (its tree at 100 %); reopened when one is not."""
    leaves = Item.objects.filter(topic=topic, children__isnull=True)
    all_done = leaves.exists() and not leaves.exclude(status=ItemStatus.DONE).exists()
    if all_done and topic.status == TopicStatus.DECIDED:
        topic.status, topic.done_on = TopicStatus.DONE, day
        topic.save(update_fields=["status", "done_on"])
    elif not all_done and topic.status == TopicStatus.DONE:
        topic.status, topic.done_on = TopicStatus.DECIDED, None
        topic.save(update_fields=["status", "done_on"])


@transaction.atomic
def update_item(
    *,
    actor: Any,
    item: Item,
    progress: int,
    text: str,
    status: str | None = None,
    on: dt.date | None = None,
    milestones_done: Iterable[int] = (),
    today: dt.date | None = None,
) -> Update:
    """A dated progress update of a leaf; it is public (residents read it and may comment)."""
    if not may_update(actor, item):
        raise PermissionDenied(_("您没有执行此操作的权限"))
    today = _today(today)
    item = Item.objects.select_for_update(of=("self",)).select_related("topic", "owner_org").get(pk=item.pk)
    if item.children.exists():
        raise ValidationError(_("只有末级事项可以填写进展，上级事项的进度由下级事项计算"), code="not_leaf")
    if item.updates.count() >= MAX_UPDATES:
        raise ValidationError(_("进展记录已达上限"), code="too_many")
    on = _past(on, "on", today)
    if item.topic.decided_on and on < item.topic.decided_on:
        raise _error("on", _("日期不能早于形成决定日期"), "before_decision")
    last = item.updates.order_by("-on", "-id").first()
    if last is not None and on < last.on:
        raise _error(
            "on", _("日期不能早于上一次进展（%(day)s）") % {"day": last.on.isoformat()}, "before_last"
        )
    if progress is None or not 0 <= int(progress) <= 100:
        raise _error("progress", _("进度应在0到100之间"), "range")
    progress = int(progress)
    status = status or (
        ItemStatus.DONE if progress == 100 else ItemStatus.ONGOING if progress else ItemStatus.PLANNED
    )
    if status not in ItemStatus.values:
        raise _error("status", _("请选择状态"), "invalid")
    if status == ItemStatus.DONE and progress != 100:
        raise _error("progress", _("已完成的事项进度应为100%"), "done_not_full")
    if progress == 100 and status != ItemStatus.DONE:
        raise _error("status", _("进度为100%时状态应为已完成"), "full_not_done")
    update = Update.objects.create(
        item=item,
        on=on,
        progress=progress,
        status=status,
        text=_text(text, "text", 1000, one_line=False),
        created_by=actor,
    )
    before = audit.snapshot(item)
    item.progress, item.status = progress, status
    item.done_on = on if status == ItemStatus.DONE else None
    item.save(update_fields=["progress", "status", "done_on"])
    ids = [int(i) for i in milestones_done]
    if ids:
        item.milestones.filter(pk__in=ids, done_on__isnull=True).update(done_on=on)
    _close_if_done(item.topic, on)
    audit.created(actor=actor, obj=update, message=_("填写落实进展"))
    audit.updated(actor=actor, obj=item, before=before)
    return update


# Residents' comments ------------------------------------------------------------------------------------


@transaction.atomic
def comment(*, update: Update, verdict: str, text: str = "", client_address: str | None = None) -> Comment:
    """A resident's word on an update from the public page: carried out, partly or not."""
    if not update.item.topic.is_public:
        raise Http404
    if verdict not in Verdict.values:
        raise _error("verdict", _("请选择是否落实"), "required")
    if update.comments.count() >= MAX_COMMENTS:
        raise ValidationError(_("该进展的评价已达上限"), code="too_many")
    c = Comment.objects.create(
        update=update,
        verdict=verdict,
        text=_text(text, "text", MAX_COMMENT, required=False, one_line=False),
        address_digest=address_digest(client_address),
    )
    audit.created(actor=None, obj=c, message=_("居民评价落实情况"))
    return c


@transaction.atomic
def hide_comment(*, actor: Any, comment: Comment, reason: str) -> Comment:
    """Moderation: the topic's organization hides a comment from the public page, the reason recorded
    (the comment is kept)."""
    topic = comment.update.item.topic
    require_change(actor, topic)
    c = Comment.objects.select_for_update().get(pk=comment.pk)
    if c.hidden:
        raise ValidationError(_("该评价已隐藏"), code="hidden")
    before = audit.snapshot(c)
    c.hidden, c.hidden_reason = True, _text(reason, "reason", MAX_SHORT)
    c.hidden_by, c.hidden_at = actor, timezone.now()
    c.save(update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at"])
    audit.updated(
        actor=actor, obj=c, before=before, message=_("隐藏居民评价：%(reason)s") % {"reason": c.hidden_reason}
    )
    return c
