"""Every write to the organization tree: one function each, atomic, scoped and audited."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, concurrency, dates, moves, normalize, scope
from jiceng.core.models import User

from . import rules, tallies
from .models import Committee, CommitteePost, Formation, Organization, OrgKind, PartyGroup, Post


def _today() -> dt.date:
    return timezone.localdate()


def _check_parent(kind: str, parent: Organization | None) -> None:
    if not rules.parent_allowed(kind=kind, parent_kind=parent.kind if parent else None):
        raise ValidationError(
            {
                "parent": ValidationError(
                    _("%(kind)s不能设在%(parent)s之下")
                    % {"kind": OrgKind(kind).label, "parent": OrgKind(parent.kind).label if parent else ""},
                    code="parent_kind",
                )
            }
        )


def _check_code_free(code: str, *, exclude_pk: int | None = None) -> None:
    taken = Organization.objects.filter(code=code)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        # Say only that the code is taken: the holder may lie outside the user's scope.
        raise ValidationError(
            {"code": ValidationError(_("组织编码%(code)s已被使用"), code="code_taken", params={"code": code})}
        )


def _check_founded(founded_on: dt.date | None) -> None:
    dates.check_date(founded_on, field="founded_on", label=_("成立日期"), not_before=[dates.founded()])
    if founded_on and founded_on > _today():
        raise ValidationError(
            {"founded_on": ValidationError(_("成立日期不能晚于今天"), code="date_in_future")}
        )


@transaction.atomic
def create_org(
    *,
    actor: User,
    parent: Organization | None,
    code: str,
    name: str,
    kind: str,
    unit_kind: str,
    founded_on: dt.date | None = None,
) -> Organization:
    """Add an organization under ``parent`` (a root only for system administrators)."""
    if parent is None:
        if not actor.is_superuser:
            raise ValidationError(
                {"parent": ValidationError(_("只有系统管理员可以建立顶级党组织"), code="root")}
            )
    else:
        scope.ensure(actor, scope.MANAGE, parent.path)
    _check_parent(kind, parent)
    code = normalize.identifier(code)
    _check_code_free(code)
    _check_founded(founded_on)
    fields = dict(code=code, name=name, kind=kind, unit_kind=unit_kind, founded_on=founded_on)
    Organization(**fields).full_clean(exclude=["path", "depth", "numchild"])
    org = Organization.objects.add_child(parent, fields) if parent else Organization.objects.add_root(fields)
    tallies.apply(org.path, tallies.keys_of_org(org))
    audit.created(actor=actor, obj=org)
    return org


def _check_records_since(day: dt.date | None) -> None:
    if day is None:
        raise ValidationError({"records_since": ValidationError(_("请填写记录起始日期"), code="required")})
    problem = rules.records_since_problem(day=day, today=_today())
    if problem is not None:
        raise ValidationError({"records_since": ValidationError(problem[1], code=problem[0])})


@transaction.atomic
def update_org(*, actor: User, org: Organization, version: object = None, **changes: object) -> Organization:
    """Change the name, code, unit kind, founding date or 记录起始日期 (``records_since``: the day from
    which jiceng holds the organization's records). The kind changes only when allowed.

    A kind changed to or from 党工委 leaves the current committee as it was recorded (elected or
    appointed); the next election or appointment follows the new kind."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    scope.ensure(actor, scope.CHANGE, org.path)
    concurrency.ensure_current(org, version)
    before = audit.snapshot(org)
    keys_before = tallies.keys_of_org(org)
    allowed = {"code", "name", "unit_kind", "founded_on", "kind", "records_since"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    if "kind" in changes and changes["kind"] != org.kind:
        scope.ensure(actor, scope.MANAGE, org.path)
        parent = Organization.objects.get_parent(org)
        _check_parent(str(changes["kind"]), parent)
        if changes["kind"] == OrgKind.BRANCH and org.numchild:
            raise ValidationError(
                {"kind": ValidationError(_("有下级组织的党组织不能改为党支部"), code="kind")}
            )
        if org.kind == OrgKind.BRANCH and org.members.exists():
            raise ValidationError({"kind": ValidationError(_("有党员的党支部不能改为其他类别"), code="kind")})
    if "code" in changes:
        changes["code"] = normalize.identifier(changes["code"])
    if "code" in changes and changes["code"] != org.code:
        _check_code_free(str(changes["code"]), exclude_pk=org.pk)
    _check_founded(changes.get("founded_on"))  # type: ignore[arg-type]
    if "records_since" in changes:
        _check_records_since(changes["records_since"])  # type: ignore[arg-type]
    for field, value in changes.items():
        setattr(org, field, value)
    org.full_clean(exclude=["path", "depth", "numchild"])
    org.save()
    tallies.apply(org.path, tallies.diff(keys_before, tallies.keys_of_org(org)))
    audit.updated(actor=actor, obj=org, before=before)
    return org


@transaction.atomic
def move_org(*, actor: User, org: Organization, new_parent: Organization) -> Organization:
    """Move a subtree under another parent; every row placed by the subtree's paths (members, meetings,
    development files, tasks, requests, the change record …) follows in the same transaction."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    new_parent = Organization.objects.get(pk=new_parent.pk)
    scope.ensure(actor, scope.MANAGE, org.path)
    scope.ensure(actor, scope.MANAGE, new_parent.path)
    if new_parent.path.startswith(org.path):
        raise ValidationError(
            {"parent": ValidationError(_("不能把党组织移到它自己或它的下级组织之下"), code="cycle")}
        )
    _check_parent(org.kind, new_parent)
    old_parent = Organization.objects.get_parent(org)
    old_path = org.path
    own = tallies.read(org)
    before = {"parent": old_parent.code if old_parent else None, "path": old_path}
    Organization.objects.move(org, new_parent, pos="last-child")
    org.refresh_from_db()
    moves.repath(old_path, org.path, skip=(Organization,))
    tallies.move_subtree(old_path=old_path, new_path=org.path, own=own)
    audit.record(
        actor=actor,
        action=audit.Action.MOVE,
        obj=org,
        before=before,
        after={"parent": new_parent.code, "path": org.path},
    )
    return org


def _move_members(*, actor: User, members: Iterable, target: Organization, on: dt.date, reason: str) -> int:
    from jiceng.members.models import Membership

    count = 0
    deltas: dict[str, Counter] = {target.path: Counter()}
    dates.party_event(on, field="on", label=_("转接日期"))
    for member in members:
        current = Membership.objects.filter(member=member, ended_on__isnull=True).values_list(
            "started_on", flat=True
        )
        started = max(current, default=None)
        if started is not None and on < started:  # the period would end before it began
            raise ValidationError(
                {
                    "on": ValidationError(
                        _("%(name)s在本支部的组织关系自%(day)s起，转接日期不能早于该日"),
                        code="date_too_early",
                        params={"name": member.name, "day": started.isoformat()},
                    )
                }
            )
        before = audit.snapshot(member)
        keys = tallies.keys_of_member(member)
        deltas.setdefault(member.org_path, Counter()).subtract(keys)
        deltas[target.path].update(keys)
        Membership.objects.filter(member=member, ended_on__isnull=True).update(ended_on=on, end_reason=reason)
        member.org = target
        member.org_path = target.path
        member.group = None
        member.save(update_fields=["org", "org_path", "group", "updated_at"])
        Membership.objects.create(
            member=member,
            org=target,
            org_code=target.code,
            org_name=target.name,
            started_on=on,
            start_reason=reason,
        )
        audit.updated(actor=actor, obj=member, before=before, message=str(Membership.Reason(reason).label))
        count += 1
    tallies.apply_many({path: Counter({k: v for k, v in d.items() if v}) for path, d in deltas.items()})
    return count


def _carry_files(source: Organization, target: Organization) -> None:
    """Development files go with their people into the merged branch (their steps and dates stay)."""
    from django.apps import apps

    if apps.is_installed("jiceng.development"):
        development = apps.get_model("development", "Development")
        development.objects.filter(org=source).update(org=target, org_path=target.path)


def _refuse_protected(source: Organization) -> None:
    """Records that must outlive the branch (resident requests it took in, partner units registered
    under it …) are named instead of failing on the database's protection."""
    from django.db.models.deletion import Collector, ProtectedError, RestrictedError

    try:
        Collector(using="default").collect([source])
    except (ProtectedError, RestrictedError) as e:
        kinds: Counter[str] = Counter(
            str(obj._meta.verbose_name)
            for obj in getattr(e, "protected_objects", None) or e.restricted_objects
        )
        listed = _("、").join(
            _("%(kind)s%(count)d") % {"kind": kind, "count": n} for kind, n in sorted(kinds.items())
        )
        raise ValidationError(
            {
                "target": ValidationError(
                    _("%(name)s还有不能随之撤销的记录（%(listed)s），请先转给其他组织")
                    % {"name": source.name, "listed": listed},
                    code="protected",
                )
            }
        ) from None


@transaction.atomic
def merge_branches(
    *, actor: User, source: Organization, target: Organization, on: dt.date | None = None
) -> int:
    """Merge ``source`` into ``target``: its members move (each move recorded), then it is removed."""
    from jiceng.members.models import Member, Membership

    on = on or _today()
    source = Organization.objects.select_for_update().get(pk=source.pk)
    target = Organization.objects.select_for_update().get(pk=target.pk)
    scope.ensure(actor, scope.MANAGE, source.path)
    scope.ensure(actor, scope.MANAGE, target.path)
    if source.pk == target.pk:
        raise ValidationError({"target": ValidationError(_("不能与自身合并"), code="same")})
    if source.kind != OrgKind.BRANCH or target.kind != OrgKind.BRANCH:
        raise ValidationError({"target": ValidationError(_("只能合并党支部"), code="not_branch")})
    moved = _move_members(
        actor=actor,
        members=Member.objects.filter(org=source),
        target=target,
        on=on,
        reason=Membership.Reason.MERGE,
    )
    for group in PartyGroup.objects.filter(org=source):
        name = group.name
        if PartyGroup.objects.filter(org=target, name=name).exists():
            name = f"{name}（{source.name}）"
        PartyGroup.objects.filter(pk=group.pk).update(org=target, name=name[:100], leader=None)
    audit.record(
        actor=actor,
        action=audit.Action.MERGE,
        obj=target,
        before={"source": source.code, "source_name": source.name},
        after={"target": target.code, "moved_members": moved},
        message=_("%(source)s并入%(target)s") % {"source": source.name, "target": target.name},
    )
    _carry_files(source, target)
    _refuse_protected(source)
    audit.deleted(actor=actor, obj=source, message=_("合并后撤销"))
    gone = tallies.keys_of_org(source)
    for committee in source.committees.all():
        gone.update(tallies.keys_of_committee(committee))
    tallies.apply(source.path, Counter({k: -v for k, v in gone.items()}))
    source.delete()
    return moved


@transaction.atomic
def split_branch(
    *,
    actor: User,
    source: Organization,
    code: str,
    name: str,
    members: Sequence,
    unit_kind: str | None = None,
    on: dt.date | None = None,
) -> Organization:
    """Create a sibling branch and move the chosen members of ``source`` into it."""
    from jiceng.members.models import Membership

    on = on or _today()
    source = Organization.objects.get(pk=source.pk)
    scope.ensure(actor, scope.MANAGE, source.path)
    if source.kind != OrgKind.BRANCH:
        raise ValidationError({"source": ValidationError(_("只能拆分党支部"), code="not_branch")})
    strangers = [m for m in members if m.org_id != source.pk]
    if strangers:
        raise ValidationError(
            {
                "members": ValidationError(
                    _("%(name)s不是本支部党员"), code="not_in_branch", params={"name": strangers[0].name}
                )
            }
        )
    if not members:
        raise ValidationError({"members": ValidationError(_("请至少选择一名党员"), code="empty")})
    parent = Organization.objects.get_parent(source)
    new = (
        create_org(
            actor=actor,
            parent=parent,
            code=code,
            name=name,
            kind=OrgKind.BRANCH,
            unit_kind=unit_kind or source.unit_kind,
            founded_on=on,
        )
        if parent
        else None
    )
    if new is None:
        raise ValidationError({"source": ValidationError(_("顶级党支部不能拆分"), code="root")})
    moved = _move_members(actor=actor, members=members, target=new, on=on, reason=Membership.Reason.SPLIT)
    audit.record(
        actor=actor,
        action=audit.Action.SPLIT,
        obj=source,
        after={"new_branch": new.code, "moved_members": moved},
        message=_("从%(source)s拆分出%(new)s") % {"source": source.name, "new": new.name},
    )
    return new


# Committees -----------------------------------------------------------------------------------------


def _check_posts(org: Organization, posts: Sequence[tuple[object, str]]) -> None:
    seen: set[int] = set()
    secretaries = 0
    for member, post in posts:
        if member.org_id != org.pk:
            raise ValidationError(
                {
                    "posts": ValidationError(
                        _("%(name)s不是本组织党员"), code="post_not_member", params={"name": member.name}
                    )
                }
            )
        if member.status != "full":
            raise ValidationError(
                {
                    "posts": ValidationError(
                        _("%(name)s是预备党员，不能担任委员会职务"),
                        code="post_probationary",
                        params={"name": member.name},
                    )
                }
            )
        if member.pk in seen:
            raise ValidationError(
                {
                    "posts": ValidationError(
                        _("%(name)s被重复任职"), code="post_twice", params={"name": member.name}
                    )
                }
            )
        seen.add(member.pk)
        if post not in Post.values:
            raise ValidationError(
                {
                    "posts": ValidationError(
                        _("未知职务：%(post)s"), code="post_unknown", params={"post": post}
                    )
                }
            )
        secretaries += post == Post.SECRETARY
    if secretaries > 1:
        raise ValidationError(
            {"posts": ValidationError(_("一届委员会只能有一名书记"), code="two_secretaries")}
        )


def _default_term(org: Organization, day: dt.date) -> int:
    """The term by the rule book's `org.committee_term_expired` parameters in force on ``day``."""
    from jiceng.core.rulebook import RuleBook

    params = RuleBook().on("org.committee_term_expired", day).values
    return rules.default_term_years(kind=org.kind, unit_kind=org.unit_kind, params=params)


@transaction.atomic
def record_election(
    *,
    actor: User,
    org: Organization,
    elected_on: dt.date,
    posts: Sequence[tuple[object, str]] = (),
    term_years: int | None = None,
) -> Committee:
    """Record a new committee (换届). The previous one ends on the day the new one takes office.

    A 党工委 (``working_committee``) is not elected: its leadership is appointed by the higher
    committee, without a term (``Formation.APPOINTED``, ``term_years`` None); ``elected_on`` is then the
    appointment day (任命日期), and a term is refused.
    """
    org = Organization.objects.select_for_update().get(pk=org.pk)
    scope.ensure(actor, scope.CHANGE, org.path)
    appointed = rules.is_appointed(org.kind)
    if elected_on > _today():
        message = _("任命日期不能晚于今天") if appointed else _("选举日期不能晚于今天")
        raise ValidationError({"elected_on": ValidationError(message, code="date_in_future")})
    if appointed and term_years is not None:
        raise ValidationError(
            {
                "term_years": ValidationError(
                    _("党工委由上级党委任命，没有任期，不能填写任期"), code="appointed_no_term"
                )
            }
        )
    dates.check_date(
        elected_on,
        field="elected_on",
        label=_("任命日期") if appointed else _("选举日期"),
        not_before=[dates.founded()],
    )
    previous = org.committees.filter(ended_on__isnull=True).first()
    if previous and elected_on <= previous.elected_on:
        message = (
            _("任命日期须晚于上一届的选举（任命）日期%(day)s")
            if appointed
            else _("选举日期须晚于上一届的选举日期%(day)s")
        )
        raise ValidationError(
            {
                "elected_on": ValidationError(
                    message, code="election_order", params={"day": previous.elected_on.isoformat()}
                )
            }
        )
    _check_posts(org, posts)
    keys_before = tallies.keys_of_committee(previous) if previous else Counter()
    if previous:
        before = audit.snapshot(previous)
        previous.ended_on = elected_on
        previous.save(update_fields=["ended_on"])
        audit.updated(actor=actor, obj=previous, before=before, message=_("任命") if appointed else _("换届"))
    committee = Committee.objects.create(
        org=org,
        formation=Formation.APPOINTED if appointed else Formation.ELECTED,
        elected_on=elected_on,
        term_years=None if appointed else term_years or _default_term(org, elected_on),
    )
    tallies.apply(org.path, tallies.diff(keys_before, tallies.keys_of_committee(committee)))
    audit.created(actor=actor, obj=committee)
    for member, post in posts:
        audit.created(
            actor=actor, obj=CommitteePost.objects.create(committee=committee, member=member, post=post)
        )
    return committee


@transaction.atomic
def set_posts(*, actor: User, committee: Committee, posts: Sequence[tuple[object, str]]) -> Committee:
    """Replace the posts of a committee (a by-election or a correction)."""
    committee = Committee.objects.select_related("org").get(pk=committee.pk)
    scope.ensure(actor, scope.CHANGE, committee.org.path)
    _check_posts(committee.org, posts)
    wanted = {(m.pk, p) for m, p in posts}
    for existing in list(committee.posts.all()):
        if (existing.member_id, existing.post) not in wanted:
            audit.deleted(actor=actor, obj=existing)
            existing.delete()
    have = set(committee.posts.values_list("member_id", "post"))
    for member, post in posts:
        if (member.pk, post) not in have:
            audit.created(
                actor=actor, obj=CommitteePost.objects.create(committee=committee, member=member, post=post)
            )
    return committee


@transaction.atomic
def approve_extension(*, actor: User, committee: Committee, extended_to: dt.date, approval: str) -> Committee:
    """Record the higher committee's approval to hold the election later (or earlier), at most one year."""
    committee = Committee.objects.select_related("org").get(pk=committee.pk)
    scope.ensure(actor, scope.CHANGE, committee.org.path)
    if committee.term_years is None:
        raise ValidationError(
            {
                "extended_to": ValidationError(
                    _("党工委由上级党委任命，没有任期，无需批准延期换届"), code="appointed_no_term"
                )
            }
        )
    if not rules.extension_allowed(
        elected_on=committee.elected_on, term_years=committee.term_years, extended_to=extended_to
    ):
        raise ValidationError(
            {
                "extended_to": ValidationError(
                    _("延期或提前换届不得超过一年（选举条例第三条）"), code="extension_too_long"
                )
            }
        )
    if not approval.strip():
        raise ValidationError(
            {"extension_approval": ValidationError(_("请填写上级党委的批准文件"), code="required")}
        )
    before = audit.snapshot(committee)
    keys_before = tallies.keys_of_committee(committee)
    committee.extended_to = extended_to
    committee.extension_approval = approval.strip()
    committee.save(update_fields=["extended_to", "extension_approval"])
    tallies.apply(committee.org.path, tallies.diff(keys_before, tallies.keys_of_committee(committee)))
    audit.updated(actor=actor, obj=committee, before=before)
    return committee


@transaction.atomic
def set_secretary(
    *, actor: User, org: Organization, member: object | None, since: dt.date | None
) -> Organization:
    """Record (or, with ``member=None``, clear) the secretary of a branch that has no committee.

    A branch of fewer than 7 full members may elect no committee and only a secretary (支部条例). With a
    committee in office the secretary is elected with the committee: record the election instead.
    """
    from jiceng.members.models import Member, Status

    org = Organization.objects.select_for_update().get(pk=org.pk)
    scope.ensure(actor, scope.CHANGE, org.path)
    if org.kind != OrgKind.BRANCH:
        raise ValidationError(
            {"org": ValidationError(_("只有党支部可以不设支部委员会而只设书记"), code="not_branch")}
        )
    before = audit.snapshot(org)
    if member is None:
        org.secretary = None
        org.secretary_since = None
    else:
        if org.committees.filter(ended_on__isnull=True).exists():
            raise ValidationError(
                {
                    "member": ValidationError(
                        _("本支部有在任的支部委员会，书记由委员会选举产生，请记录换届选举"),
                        code="has_committee",
                    )
                }
            )
        fresh = Member.objects.filter(pk=member.pk).first()
        if fresh is None or fresh.org_id != org.pk or fresh.closed_on is not None:
            raise ValidationError(
                {
                    "member": ValidationError(
                        _("%(name)s不是本支部党员"), code="not_in_branch", params={"name": member.name}
                    )
                }
            )
        if fresh.status != Status.FULL:
            raise ValidationError(
                {
                    "member": ValidationError(
                        _("%(name)s是预备党员，不能担任书记"),
                        code="probationary",
                        params={"name": fresh.name},
                    )
                }
            )
        if since is None:
            raise ValidationError({"since": ValidationError(_("请填写任职日期"), code="required")})
        if since > _today():
            raise ValidationError(
                {"since": ValidationError(_("任职日期不能晚于今天"), code="date_in_future")}
            )
        if since < fresh.joined_on:
            raise ValidationError(
                {
                    "since": ValidationError(
                        _("任职日期不能早于%(name)s的入党日期%(day)s"),
                        code="before_joined",
                        params={"name": fresh.name, "day": fresh.joined_on.isoformat()},
                    )
                }
            )
        dates.check_date(since, field="since", label=_("任职日期"), not_before=[dates.founded()])
        org.secretary = fresh
        org.secretary_since = since
    org.save(update_fields=["secretary", "secretary_since", "updated_at"])
    audit.updated(actor=actor, obj=org, before=before)
    return org


@transaction.atomic
def create_group(*, actor: User, org: Organization, name: str) -> PartyGroup:
    scope.ensure(actor, scope.CHANGE, org.path)
    if org.kind != OrgKind.BRANCH:
        raise ValidationError({"org": ValidationError(_("党小组只能设在党支部内"), code="not_branch")})
    if PartyGroup.objects.filter(org=org, name=name).exists():
        raise ValidationError({"name": ValidationError(_("本支部已有同名党小组"), code="duplicate")})
    group = PartyGroup.objects.create(org=org, name=name)
    audit.created(actor=actor, obj=group)
    return group
