"""The organization rules (RULES.md §1) as this app declares them to the compliance engine.

What lives here: the specs (code, title, period, citation, shipped parameters, confidence), the bulk
loaders of the facts they need over a subtree (the tree itself, committees, their sizes and
secretaries), and the judges that hand those facts to the pure rule functions of ``rules_compliance``
(where the sentences and explanations are). ``OrgsConfig.ready()`` registers them with
``core.rulebook``; the engine in core iterates the registry and knows nothing of organizations.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.compliance import Evaluation, Finding, OrgNode, OrgRef
from jiceng.core.rulebook import STATE, RuleParams, RuleSpec, register_facts, register_rules, register_tree

from . import rules_compliance as rules
from .models import Committee, CommitteePost, Organization

# Facts ---------------------------------------------------------------------------------------------------


def load_tree(prefix: str, *, records_after: dt.date | None = None) -> list[OrgNode]:
    """The subtree's organizations in path order (one query); with ``records_after``, only those whose
    records start after that day."""
    orgs = Organization.objects.filter(path__prefix=prefix)
    if records_after is not None:
        orgs = orgs.filter(records_since__gt=records_after)
    return [
        OrgNode(pk, OrgRef(code, path, name), kind, founded, since)
        for pk, path, code, name, kind, founded, since in orgs.order_by("path").values_list(
            "id", "path", "code", "name", "kind", "founded_on", "records_since"
        )
    ]


class CommitteeFacts(NamedTuple):
    id: int
    org_id: int
    elected_on: dt.date
    term_years: int | None  # None: appointed (党工委), no term
    extended_to: dt.date | None
    ended_on: dt.date | None

    def in_force_on(self, day: dt.date) -> bool:
        return self.elected_on <= day and (self.ended_on is None or self.ended_on > day)


@dataclass
class Committees:
    """The committees of the subtree that overlap the days the plan judges."""

    by_org: dict[int, list[CommitteeFacts]]
    _on: dict[dt.date, dict[int, CommitteeFacts]] = field(default_factory=dict)

    def on(self, day: dt.date) -> dict[int, CommitteeFacts]:
        """The committee in force on ``day`` of each organization that has one (the latest elected)."""
        if day not in self._on:
            found: dict[int, CommitteeFacts] = {}
            for org_id, items in self.by_org.items():
                current = [c for c in items if c.in_force_on(day)]
                if current:
                    found[org_id] = max(current, key=lambda c: c.elected_on)
            self._on[day] = found
        return self._on[day]


def _days(ev: Evaluation) -> tuple[dt.date, dt.date]:
    days = ev.plan.days()
    return min(days), max(days)


def load_committees(ev: Evaluation) -> Committees:
    lo, hi = _days(ev)
    in_window = Q(elected_on__lte=hi) & (Q(ended_on__isnull=True) | Q(ended_on__gt=lo))
    committees: dict[int, list[CommitteeFacts]] = defaultdict(list)
    for row in (
        Committee.objects.filter(in_window, org__path__prefix=ev.prefix)
        .order_by()
        .values_list("id", "org_id", "elected_on", "term_years", "extended_to", "ended_on")
    ):
        committees[row[1]].append(CommitteeFacts(*row))
    return Committees(dict(committees))


def _posts(ev: Evaluation) -> Any:
    lo, hi = _days(ev)
    return CommitteePost.objects.filter(
        committee__org__path__prefix=ev.prefix,
        committee__elected_on__lte=hi,
    ).filter(Q(committee__ended_on__isnull=True) | Q(committee__ended_on__gt=lo))


def load_committee_sizes(ev: Evaluation) -> dict[int, int]:
    """Posts of each committee (by committee id)."""
    return dict(
        _posts(ev).order_by().values("committee_id").annotate(n=Count("id")).values_list("committee_id", "n")
    )


def load_committee_secretaries(ev: Evaluation) -> dict[int, tuple]:
    """The secretary post of each committee: committee id → (committee, member, name, full-member day,
    standing correction, joined, closed)."""
    return {
        row[0]: row
        for row in _posts(ev)
        .filter(post="secretary")
        .order_by()
        .values_list(
            "committee_id",
            "member_id",
            "member__name",
            "member__full_member_on",
            "member__standing_correction",
            "member__joined_on",
            "member__closed_on",
        )
    }


def load_branch_secretaries(ev: Evaluation) -> dict[int, tuple]:
    """One query for the subtree: the secretaries of branches that have no committee (支部条例)."""
    _lo, hi = _days(ev)
    return {
        row[0]: row
        for row in Organization.objects.filter(
            path__prefix=ev.prefix, kind="branch", secretary__isnull=False, secretary_since__lte=hi
        )
        .order_by()
        .values_list(
            "id",
            "secretary_since",
            "secretary_id",
            "secretary__org_id",
            "secretary__name",
            "secretary__full_member_on",
            "secretary__standing_correction",
            "secretary__joined_on",
            "secretary__closed_on",
        )
    }


def secretaries_on(ev: Evaluation, day: dt.date) -> dict[int, rules.SecretaryFacts]:
    """The secretary of each branch on ``day``: the secretary post of the committee in force while the
    member's membership lasts; without a committee in force, the branch's own secretary from the day
    recorded, while still an active member of this branch."""
    in_force = ev.fact("orgs.committees").on(day)
    posts = ev.fact("orgs.committee_secretaries")
    own = ev.fact("orgs.branch_secretaries")
    out: dict[int, rules.SecretaryFacts] = {}
    for o in ev.of_kind("branch"):
        if not o.exists_on(day):
            continue
        committee = in_force.get(o.id)
        if committee is not None:
            row = posts.get(committee.id)
            if row is not None:
                _cid, mid, name, full_on, correction, joined, closed = row
                if joined <= day and (closed is None or closed > day):
                    out[o.id] = rules.SecretaryFacts(mid, name, full_on, correction)
        else:
            row = own.get(o.id)
            if row is not None:
                _oid, since, mid, member_org, name, full_on, correction, joined, closed = row
                if since <= day and member_org == o.id and joined <= day and (closed is None or closed > day):
                    out[o.id] = rules.SecretaryFacts(mid, name, full_on, correction)
    return out


def _branches_on(ev: Evaluation, day: dt.date) -> Iterator[OrgNode]:
    return (o for o in ev.of_kind("branch") if o.exists_on(day))


def _counts(ev: Evaluation, day: dt.date) -> dict[int, tuple[int, int]]:
    """(members, full members) of each branch on ``day``, as the members app provides them."""
    return ev.fact("members.counts", day, default={})


# Judges ----------------------------------------------------------------------------------------------------


def judge_branch_too_small(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    counts = _counts(ev, day)
    for o in _branches_on(ev, day):
        f = rules.branch_too_small(
            org=o.ref, day=day, full_members=counts.get(o.id, (0, 0))[1], params=params
        )
        if f:
            yield f


def judge_branch_too_large(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    counts = _counts(ev, day)
    for o in _branches_on(ev, day):
        f = rules.branch_too_large(org=o.ref, day=day, members=counts.get(o.id, (0, 0))[0], params=params)
        if f:
            yield f


def judge_committee_missing(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    counts = _counts(ev, day)
    in_force = ev.fact("orgs.committees").on(day)
    for o in _branches_on(ev, day):
        f = rules.committee_missing(
            org=o.ref,
            day=day,
            full_members=counts.get(o.id, (0, 0))[1],
            has_committee=o.id in in_force,
            params=params,
        )
        if f:
            yield f


def judge_committee_size(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    counts = _counts(ev, day)
    in_force = ev.fact("orgs.committees").on(day)
    sizes = ev.fact("orgs.committee_sizes")
    threshold = ev.book.on("org.committee_missing", day)["committee_threshold"]
    for o in _branches_on(ev, day):
        committee = in_force.get(o.id)
        if committee is None:
            continue
        f = rules.committee_size(
            org=o.ref,
            day=day,
            size=sizes.get(committee.id, 0),
            committee_required=counts.get(o.id, (0, 0))[1] >= threshold,
            params=params,
        )
        if f:
            yield f


# A 党工委 is the higher committee's dispatched body: its members are appointed, it has no election term.
APPOINTED = frozenset({"working_committee"})


def _term_judge(rule: Any) -> Any:
    """The term rules judge elected committees only (党委 of a grassroots unit, 党总支, 党支部)."""

    def judge(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
        in_force = ev.fact("orgs.committees").on(day)
        for o in ev.existing_on(day).values():
            if o.kind in APPOINTED:
                continue
            committee = in_force.get(o.id)
            if committee is None or committee.term_years is None:  # an appointment has no term
                continue
            term = rules.TermFacts(committee.elected_on, committee.term_years, committee.extended_to)
            f = rule(org=o.ref, day=day, term=term, params=params)
            if f:
                yield f

    return judge


def judge_secretary_missing(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    secretaries = ev.fact("orgs.secretaries_on", day)
    for o in _branches_on(ev, day):
        f = rules.secretary_missing(org=o.ref, day=day, has_secretary=o.id in secretaries, params=params)
        if f:
            yield f


def judge_secretary_standing_short(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    secretaries = ev.fact("orgs.secretaries_on", day)
    for o in _branches_on(ev, day):
        secretary = secretaries.get(o.id)
        if secretary is not None:
            f = rules.secretary_standing_short(org=o.ref, day=day, secretary=secretary, params=params)
            if f:
                yield f


# Fixes: the form that clears a finding -------------------------------------------------------------------------


def fix_election(f: Any, today: dt.date) -> str:
    """换届: the election form of the organization (a committee, its size, its term)."""
    return reverse("orgs:election", kwargs={"code": f.org_code})


def fix_secretary(f: Any, today: dt.date) -> str | None:
    """A branch without a committee sets its secretary; one with a committee elects it (a post)."""
    org = Organization.objects.filter(code=f.org_code).first()
    if org is None:
        return None
    name = "orgs:election" if org.current_committee is not None else "orgs:secretary"
    return reverse(name, kwargs={"code": org.code})


# Specs -------------------------------------------------------------------------------------------------------


def _spec(code: str, title: Any, citation: str, judge: Any, **kw: Any) -> RuleSpec:
    return RuleSpec(
        code,
        title,
        STATE,
        citation,
        section="1",
        judge=judge,
        message=rules.MESSAGES[code],
        explanation=rules.EXPLANATIONS[code],
        **kw,
    )


SPECS = (
    _spec(
        "org.branch_too_small",
        _("党支部正式党员不足3人"),
        gettext_noop("中国共产党支部工作条例（试行）第四条"),
        judge_branch_too_small,
        defaults={"min_full_members": 3},
    ),
    _spec(
        "org.branch_too_large",
        _("党支部党员超过50人"),
        gettext_noop("中国共产党支部工作条例（试行）第四条"),
        judge_branch_too_large,
        defaults={"max_members": 50},
    ),
    _spec(
        "org.committee_missing",
        _("正式党员7人以上的党支部未设支部委员会"),
        gettext_noop("中国共产党支部工作条例（试行）第六章"),
        judge_committee_missing,
        defaults={"committee_threshold": 7},
        confidence="V-c",
        fix=fix_election,
    ),
    _spec(
        "org.committee_size",
        _("支部委员会人数不在3至7人之间"),
        gettext_noop("中国共产党支部工作条例（试行）第六章"),
        judge_committee_size,
        defaults={"min_size": 3, "max_size": 7},
        confidence="V-c",
        fix=fix_election,
    ),
    _spec(
        "org.committee_term_expired",
        _("委员会任期已满未换届"),
        gettext_noop("关于党的基层组织任期的意见；中国共产党支部工作条例（试行）第二十一条"),
        _term_judge(rules.committee_term_expired),
        defaults={"term_years_community_village": 5, "term_years_other": 3, "term_years_committee": 5},
        fix=fix_election,
    ),
    _spec(
        "org.committee_term_due",
        _("委员会任期将在6个月内届满"),
        gettext_noop("中国共产党支部工作条例（试行）"),
        _term_judge(rules.committee_term_due),
        defaults={"notice_months": 6},
        confidence="V-c",
        fix=fix_election,
        pending=_("%(day)s前完成换届选举"),
    ),
    _spec(
        "org.secretary_missing",
        _("党支部没有书记"),
        gettext_noop("中国共产党支部工作条例（试行）第六章"),
        judge_secretary_missing,
        confidence="V-c",
        fix=fix_secretary,
    ),
    _spec(
        "org.secretary_standing_short",
        _("支部书记党龄不足1年"),
        gettext_noop("中国共产党支部工作条例（试行）第二十三条；中国共产党章程第七条"),
        judge_secretary_standing_short,
        defaults={"min_standing_years": 1},
        fix=fix_secretary,
    ),
)


def register() -> None:
    register_tree(load_tree, find=lambda code: Organization.objects.filter(code=code).first())
    register_facts("orgs.committees", load_committees)
    register_facts("orgs.committee_sizes", load_committee_sizes)
    register_facts("orgs.committee_secretaries", load_committee_secretaries)
    register_facts("orgs.branch_secretaries", load_branch_secretaries)
    register_facts("orgs.secretaries_on", secretaries_on)
    register_rules("orgs", *SPECS)
