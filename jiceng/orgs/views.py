"""Organization pages: the tree navigator, the organization page, and the forms that change the tree.

Thin views over orgs.selectors (reads) and orgs.services (writes). Scope: every organization is looked
up through the selectors, so one outside the user's subtrees answers 404; a visible organization the
user may not change answers 403 on every write page (GET of its form included).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from jiceng.core import scope
from jiceng.core.generic.views import (
    ObjectDetailView,
    ObjectFormView,
    ObjectListView,
    ObjectView,
    fragment_or_page,
    is_htmx,
)
from jiceng.members.models import AgeBand, Category, Education, Gender, Status

from . import rules, selectors, services
from .forms import (
    BranchChoiceForm,
    ElectionForm,
    ExtensionForm,
    GroupForm,
    MergeForm,
    MoveForm,
    OrgCreateForm,
    OrgEditForm,
    SecretaryForm,
    SplitForm,
    child_kinds,
)
from .models import Organization, Post

# Member counts from the maintained subtree tallies: one joined read, however many nodes are listed --


def _with_counts(orgs: QuerySet[Organization]) -> list[Organization]:
    nodes = list(orgs.select_related("tally"))
    for org in nodes:
        tally = getattr(org, "tally", None)  # a missing tally row reads as an empty subtree
        org.member_count = tally.counts.get("members", 0) if tally is not None else 0
    return nodes


def _children_of(user: Any, org: Organization) -> list[Organization]:
    return _with_counts(selectors.children(user, org))


def home_cards(user: Any) -> dict[str, Any]:
    """The home page's section (``orgs/_home.html``): the user's scope roots with their numbers."""
    return {
        "cards": [{"org": org, "summary": selectors.org_summary(org)} for org in selectors.scope_roots(user)]
    }


class OrgListView(ObjectListView):
    """A list over the user's scope or, with ``?org=<code>``, over one organization's subtree (404 when
    that organization is outside the scope). ``can_add``: the user may add here."""

    list_url = ""
    list_id = ""  # the filter form is <list_id>-filter, the results <list_id>-results
    list_title: Any = ""
    list_crumb: Any = ""
    org: Organization | None = None

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        code = request.GET.get("org", "").strip()
        self.org = selectors.get_org(self.user, code=code) if code else None
        return super().get(request, **kwargs)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        user, org = self.user, self.org
        return {
            "org": org,
            "ancestors": selectors.ancestors_in_scope(user, org) if org else [],
            "can_add": bool(scope.paths_for(user, scope.CHANGE))
            and (org is None or scope.can(user, scope.CHANGE, org.path)),
            "list_url": self.list_url,
            "list_id": self.list_id,
            "list_title": self.list_title,
            "list_crumb": self.list_crumb,
            **extra,
        }


# Tree navigator ---------------------------------------------------------------------------------


@login_required
@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    """组织树: the user's scope roots; children load on demand; a search by name or code."""
    user = request.user
    q = request.GET.get("q", "").strip()
    results = list(selectors.search(user, q)) if q else None
    if is_htmx(request) and "q" in request.GET:
        response = render(request, "orgs/tree.html#search_results", {"q": q, "results": results})
        patch_vary_headers(response, ["HX-Request"])
        return response
    context = {"nodes": _with_counts(selectors.scope_roots(user)), "q": q, "results": results}
    return render(request, "orgs/tree.html", context)


@login_required
@require_GET
def children(request: HttpRequest, code: str) -> HttpResponse:
    """The children of one node, as the tree's fragment (also readable on its own)."""
    org = selectors.get_org(request.user, code=code)
    return render(request, "orgs/tree.html#nodes", {"nodes": _children_of(request.user, org), "parent": org})


# Organization page -------------------------------------------------------------------------------


BREAKDOWNS: list[tuple[str, Any, Any, str]] = [
    ("status", gettext_lazy("党员状态"), Status, "pie"),
    ("gender", gettext_lazy("性别"), Gender, "pie"),
    ("category", gettext_lazy("人员类别"), Category, "bar"),
    ("education", gettext_lazy("学历"), Education, "bar"),
    ("age_band", gettext_lazy("年龄段"), AgeBand, "bar"),
]


def _chart_option(rows: list[tuple[str, int]], kind: str) -> dict[str, Any]:
    """An ECharts option, built here so the page carries data only (app.js draws it)."""
    # No title inside the chart: the card's heading names it (and data-chart-label gives it to readers).
    base: dict[str, Any] = {
        "color": ["#b3121b", "#e6863b", "#4b7bec", "#20a162", "#8854d0", "#5c636a"],
    }
    if kind == "pie":
        base.update(
            {
                "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
                "legend": {"bottom": 0, "type": "scroll"},
                "series": [
                    {
                        "type": "pie",
                        "radius": ["35%", "62%"],
                        "center": ["50%", "45%"],
                        "label": {"formatter": "{b}\n{c}"},
                        "data": [{"name": label, "value": n} for label, n in rows],
                    }
                ],
            }
        )
    else:
        base.update(
            {
                "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
                "grid": {"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": True},
                "xAxis": {"type": "value", "minInterval": 1},
                "yAxis": {"type": "category", "inverse": True, "data": [label for label, _n in rows]},
                "series": [
                    {
                        "type": "bar",
                        "data": [n for _label, n in rows],
                        "label": {"show": True, "position": "right"},
                    }
                ],
            }
        )
    return base


def _breakdowns(counts: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, title, choices, kind in BREAKDOWNS:
        got = counts.get(key, {})
        rows = [(str(label), got.get(value, 0)) for value, label in choices.choices]
        translated = str(title)
        out.append(
            {
                "key": key,
                "title": translated,
                "rows": rows,
                "chart_id": f"chart-{key}",
                "chart": _chart_option(rows, kind),
            }
        )
    return out


def _committee_context(org: Organization) -> dict[str, Any]:
    committee = org.current_committee
    if committee is None:
        return {"committee": None}
    today = timezone.localdate()
    ends = committee.term_ends_on
    order = {p.value: i for i, p in enumerate(Post)}
    posts = sorted(
        committee.posts.select_related("member"), key=lambda p: (order.get(p.post, 99), p.member.name)
    )
    return {
        "committee": committee,
        "term_ends_on": ends,  # None: appointed (党工委), no term
        "term_expired": ends is not None and ends <= today,
        "term_due": ends is not None and today < ends <= rules.add_months(today, 6),
        "posts": posts,
    }


def _branch_secretary_context(org: Organization) -> dict[str, Any]:
    """The secretary of a branch without a committee (one query, only when one is recorded)."""
    secretary = org.secretary if org.secretary_id else None
    return {
        "branch_secretary": secretary,
        # Recorded, but no longer an active member of this branch: the compliance check does not count it.
        "branch_secretary_gone": secretary is not None
        and (secretary.org_id != org.pk or secretary.closed_on is not None),
    }


def _actions(user: Any, org: Organization, has_committee: bool) -> dict[str, bool]:
    """Which write buttons to show; each page checks again (and the service a third time)."""
    can_change = scope.can(user, scope.CHANGE, org.path)
    can_manage = scope.can(user, scope.MANAGE, org.path)
    parent_path = org.path[: -Organization.steplen]
    return {
        "any": can_change,
        "create_child": can_manage and bool(child_kinds(org)),
        "edit": can_change,
        "move": can_manage and org.depth > 1,
        "merge": can_manage and org.is_branch,
        "split": can_manage
        and org.is_branch
        and bool(parent_path)
        and scope.can(user, scope.MANAGE, parent_path),
        "election": can_change,
        "appointed": rules.is_appointed(org.kind),  # the election page records an appointment
        "extension": can_change and has_committee and not rules.is_appointed(org.kind),
        "secretary": can_change and org.is_branch and not has_committee,
        "group": can_change and org.is_branch,
    }


class OrgView(ObjectView):
    """A page about one organization of the URL's ``code``: 404 outside the user's scope."""

    def lookup(self, *, code: str) -> Organization:
        return selectors.get_org(self.user, code=code)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        ancestors = selectors.ancestors_in_scope(self.user, self.object)
        return super().get_context_data(org=self.object, ancestors=ancestors, **extra)


class Detail(OrgView, ObjectDetailView):
    """组织详情 · 概况."""

    template_name = "orgs/detail.html"
    tab = "overview"

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        user, org = self.user, self.object
        context = super().get_context_data(tab=self.tab, **extra)
        if self.history:
            has_committee = org.committees.filter(ended_on__isnull=True).exists()
            context["actions"] = _actions(user, org, has_committee=has_committee)
            return context
        summary = selectors.org_summary(org)
        context.update(_committee_context(org))
        if context["committee"] is None and org.is_branch:
            context.update(_branch_secretary_context(org))
        context.update(
            {
                "summary": summary,
                "breakdowns": _breakdowns(summary["members"]),
                "unit_kinds": _unit_kind_rows(summary["branches_by_unit_kind"]),
                "children": _children_of(user, org) if org.numchild else [],
                "groups": _groups(org) if org.is_branch else [],
                "actions": _actions(user, org, has_committee=context["committee"] is not None),
            }
        )
        return context

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return fragment_or_page(request, self.template_name, "orgs/detail.html#tab", self.get_context_data())


class History(Detail):
    """组织详情 · 历史: the organization's change records with field-level before and after."""

    tab = "history"
    history = True


def _unit_kind_rows(by_unit: dict[str, int]) -> list[tuple[str, int]]:
    from .models import UnitKind

    return [(str(label), by_unit[value]) for value, label in UnitKind.choices if by_unit.get(value)]


def _groups(org: Organization) -> list[Any]:
    return list(
        org.groups.select_related("leader").annotate(
            member_count=Count("members", filter=Q(members__closed_on__isnull=True))
        )
    )


# Writes --------------------------------------------------------------------------------------------


class OrgFormView(OrgView, ObjectFormView):
    """A form about the organization (``orgs/form.html``); success lands on an organization's page."""

    template_name = "orgs/form.html"
    title: Any = ""
    submit: Any = ""
    confirm: Any = ""
    danger = False
    only_branch = False  # 404 for any other kind of organization

    def check(self) -> HttpResponse | None:
        if self.only_branch and not self.object.is_branch:
            raise Http404
        return None

    def intro(self) -> str:
        return ""

    def notice(self, form: Any) -> str:
        return ""

    def success_url(self, landing: Organization) -> str:
        return reverse("orgs:detail", kwargs={"code": landing.code})

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(
            title=self.title,
            submit=self.submit,
            intro=self.intro(),
            confirm=self.confirm,
            danger=self.danger,
            notice=self.notice(extra["form"]),
            **extra,
        )


class Create(OrgFormView):
    """新建下级组织."""

    action = scope.MANAGE
    title, submit = gettext_lazy("新建下级组织"), gettext_lazy("新建")

    def check(self) -> HttpResponse | None:
        if not child_kinds(self.object):
            raise PermissionDenied(_("党支部下不能设立下级组织"))
        return None

    def get_form(self, data: Any, files: Any) -> OrgCreateForm:
        return OrgCreateForm(data, parent=self.object)

    def perform(self, form: OrgCreateForm) -> tuple[Organization, str]:
        org = services.create_org(actor=self.user, parent=self.object, **form.cleaned_data)
        return org, _("已新建%(name)s") % {"name": org.name}

    def intro(self) -> str:
        return _("上级党组织：%(name)s") % {"name": self.object.name}


class Edit(OrgFormView):
    """修改组织信息. Changing the kind needs the manage right."""

    title, submit = gettext_lazy("修改组织信息"), gettext_lazy("保存")
    versioned = True

    def get_form(self, data: Any, files: Any) -> OrgEditForm:
        can_change_kind = scope.can(self.user, scope.MANAGE, self.object.path)
        return OrgEditForm(data, org=self.object, can_change_kind=can_change_kind)

    def perform(self, form: OrgEditForm) -> tuple[Organization, str]:
        updated = services.update_org(
            actor=self.user,
            org=self.object,
            version=self.version(form),
            **{k: v for k, v in form.changes().items() if k != "version"},
        )
        return updated, _("已保存%(name)s") % {"name": updated.name}


class Move(OrgFormView):
    """移动: the organization and its whole subtree go under another parent."""

    action = scope.MANAGE
    title, submit = gettext_lazy("移动组织"), gettext_lazy("移动")
    confirm = gettext_lazy("确定移动该组织及其全部下级组织？")

    def get_form(self, data: Any, files: Any) -> MoveForm:
        return MoveForm(data, user=self.user, org=self.object)

    def perform(self, form: MoveForm) -> tuple[Organization, str]:
        parent = form.cleaned_data["parent"]
        moved = services.move_org(actor=self.user, org=self.object, new_parent=parent)
        return moved, _("已将%(name)s移至%(parent)s之下") % {"name": moved.name, "parent": parent.name}

    def intro(self) -> str:
        return _("%(name)s及其全部下级组织和党员将一并移到新的上级党组织之下。") % {"name": self.object.name}


class Merge(OrgFormView):
    """合并: this branch's members move into another branch, and this branch is removed."""

    action = scope.MANAGE
    only_branch = True
    title, submit = gettext_lazy("合并党支部"), gettext_lazy("合并")
    confirm = gettext_lazy("合并后本支部将被撤销，确定合并？")
    danger = True

    def get_form(self, data: Any, files: Any) -> MergeForm:
        return MergeForm(data, user=self.user, org=self.object)

    def perform(self, form: MergeForm) -> tuple[Organization, str]:
        org, target = self.object, form.cleaned_data["target"]
        moved = services.merge_branches(
            actor=self.user, source=org, target=target, on=form.cleaned_data["on"]
        )
        return target, _("%(source)s已并入%(target)s，转移党员%(n)s名") % {
            "source": org.name,
            "target": target.name,
            "n": moved,
        }

    def intro(self) -> str:
        return _("%(name)s的党员将全部转入所选党支部，每人的组织关系变动都会记录；合并后本支部撤销。") % {
            "name": self.object.name
        }


class Split(OrgFormView):
    """拆分: a new sibling branch takes the chosen members."""

    action = scope.MANAGE
    only_branch = True
    title, submit = gettext_lazy("拆分党支部"), gettext_lazy("拆分")
    rename = {"founded_on": "on"}

    def get_form(self, data: Any, files: Any) -> SplitForm:
        return SplitForm(data, org=self.object)

    def perform(self, form: SplitForm) -> tuple[Organization, str]:
        data = form.cleaned_data
        new = services.split_branch(
            actor=self.user,
            source=self.object,
            code=data["code"],
            name=data["name"],
            members=list(data["members"]),
            unit_kind=data.get("unit_kind") or None,
            on=data.get("on"),
        )
        return new, _("已从%(source)s拆分出%(new)s") % {"source": self.object.name, "new": new.name}

    def intro(self) -> str:
        return _("在同一上级党组织下新建一个党支部，并把勾选的党员转入新支部。")


class Election(OrgFormView):
    """换届: record a newly elected committee and its posts; the previous committee ends that day."""

    submit = gettext_lazy("保存")

    def get_form(self, data: Any, files: Any) -> ElectionForm:
        return ElectionForm(data, org=self.object)

    def perform(self, form: ElectionForm) -> tuple[Organization, str]:
        data = form.cleaned_data
        services.record_election(
            actor=self.user,
            org=self.object,
            elected_on=data["elected_on"],
            posts=form.posts(),
            term_years=data.get("term_years"),
        )
        if form.appointed:
            return self.object, _("已记录%(name)s的任命") % {"name": self.object.name}
        return self.object, _("已记录%(name)s的换届选举") % {"name": self.object.name}

    @property
    def appointed(self) -> bool:  # a 党工委: appointed by the higher committee, no term
        return rules.is_appointed(self.object.kind)

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("记录任命") if self.appointed else _("记录换届选举")

    def intro(self) -> str:
        if self.appointed:
            return _("党工委由上级党委任命，没有任期。新任命的领导班子自任命之日起任职，上一届同日卸任。")
        return _("新一届委员会自选举之日起任职，上一届同日届满。委员会职务只能由本组织的正式党员担任。")

    def notice(self, form: ElectionForm) -> str:
        return _("本组织目前没有可以担任委员会职务的正式党员。") if form.no_eligible else ""


class Extension(OrgFormView):
    """延期换届: the higher committee's approval to hold the election up to one year later (or earlier)."""

    title, submit = gettext_lazy("批准延期换届"), gettext_lazy("保存")

    def check(self) -> HttpResponse | None:
        self.committee = self.object.current_committee
        if self.committee is None:
            messages.warning(
                self.request, _("%(name)s尚无在任委员会，请先记录换届选举") % {"name": self.object.name}
            )
            return redirect("orgs:detail", code=self.object.code)
        if self.committee.is_appointed:
            messages.warning(
                self.request,
                _("%(name)s由上级党委任命，没有任期，无需批准延期换届") % {"name": self.object.name},
            )
            return redirect("orgs:detail", code=self.object.code)
        return None

    def get_form(self, data: Any, files: Any) -> ExtensionForm:
        committee = self.committee
        return ExtensionForm(
            data,
            initial={
                "extended_to": committee.extended_to,
                "extension_approval": committee.extension_approval,
            },
        )

    def perform(self, form: ExtensionForm) -> tuple[Organization, str]:
        services.approve_extension(
            actor=self.user,
            committee=self.committee,
            extended_to=form.cleaned_data["extended_to"],
            approval=form.cleaned_data["extension_approval"],
        )
        return self.object, _("已记录延期批准")

    def intro(self) -> str:
        committee = self.committee
        regular = rules.add_years(committee.elected_on, committee.term_years)
        return _(
            "本届委员会于%(elected)s选举产生，任期%(years)s年，应于%(regular)s届满；延期或提前不得超过一年。"
        ) % {
            "elected": committee.elected_on.isoformat(),
            "years": committee.term_years,
            "regular": regular.isoformat(),
        }


class GroupCreate(OrgFormView):
    """新建党小组."""

    only_branch = True
    title, submit = gettext_lazy("新建党小组"), gettext_lazy("新建")

    def get_form(self, data: Any, files: Any) -> GroupForm:
        return GroupForm(data)

    def perform(self, form: GroupForm) -> tuple[Organization, str]:
        group = services.create_group(actor=self.user, org=self.object, name=form.cleaned_data["name"])
        return self.object, _("已新建党小组%(name)s") % {"name": group.name}


class Secretary(OrgFormView):
    """书记（未设支部委员会）: a branch without a committee records its secretary, or clears it."""

    only_branch = True
    title, submit = gettext_lazy("设置书记"), gettext_lazy("保存")

    def check(self) -> HttpResponse | None:
        super().check()
        if self.object.current_committee is not None:
            messages.warning(
                self.request, _("%(name)s有在任的支部委员会，书记由换届选举产生") % {"name": self.object.name}
            )
            return redirect("orgs:detail", code=self.object.code)
        return None

    def get_form(self, data: Any, files: Any) -> SecretaryForm:
        return SecretaryForm(data, org=self.object)

    def perform(self, form: SecretaryForm) -> tuple[Organization, str]:
        org, member = self.object, form.cleaned_data.get("member")
        services.set_secretary(actor=self.user, org=org, member=member, since=form.cleaned_data.get("since"))
        if member is None:
            return org, _("已清除%(name)s的书记") % {"name": org.name}
        return org, _("已将%(member)s记为%(name)s的书记") % {"member": member.name, "name": org.name}

    def intro(self) -> str:
        return _("正式党员不足7人的党支部可以不设支部委员会，只设书记1名。书记须为本支部的正式党员。")

    def notice(self, form: SecretaryForm) -> str:
        return _("本支部目前没有可以担任书记的正式党员。") if form.no_eligible else ""


# Writes into a branch the user picks --------------------------------------------------------------------


class BranchFormView(ObjectFormView):
    """A form that writes into one branch the user may change (登记党员, 录入组织生活, 入党申请):
    ``?org=<code>`` names it (a committee's code narrows the choice to its subtree), else the only one
    the user may change; otherwise the user picks one first (``orgs/choose_branch.html``).

    404 for a code outside the scope; 403 with ``denied_here`` where the user may not write, with
    ``denied`` when they may write nowhere. ``self.object`` is the branch.
    """

    title: Any = ""
    list_url = ""
    list_crumb: Any = ""
    denied_here: Any = ""
    choose_label: Any = None
    choose_intro: Any = gettext_lazy("请先选择党支部。")
    choose_empty: Any = gettext_lazy("没有可选的党支部。")

    def lookup(self, **kwargs: Any) -> Organization | None:
        branch, self.branches = selectors.branch_to_change(
            self.user,
            self.request.GET.get("org", "").strip(),
            denied_here=str(self.denied_here),
            denied=str(self.denied),
        )
        return branch

    def check(self) -> HttpResponse | None:
        if self.object is not None:
            return None
        return choose_branch(
            self.request,
            self.branches,
            title=self.title,
            list_url=self.list_url,
            list_crumb=self.list_crumb,
            label=self.choose_label,
            intro=self.choose_intro,
            empty=self.choose_empty,
        )


def choose_branch(
    request: HttpRequest,
    branches: QuerySet[Organization],
    *,
    title: Any,
    list_url: str,
    list_crumb: Any,
    label: Any = None,
    intro: Any = BranchFormView.choose_intro,
    empty: Any = BranchFormView.choose_empty,
) -> HttpResponse:
    """The page where the user picks one of ``branches``; it comes back to the same URL with ``?org=``."""
    context = {
        "form": BranchChoiceForm(branches=branches, label=label),
        "title": title,
        "list_url": list_url,
        "list_crumb": list_crumb,
        "choose_intro": intro,
        "choose_empty": empty,
    }
    return render(request, "orgs/choose_branch.html", context)
