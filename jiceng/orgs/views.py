"""Organization pages: the tree navigator, the organization page, and the forms that change the tree.

Thin views over orgs.selectors (reads) and orgs.services (writes). Scope: every organization is looked
up through the selectors, so one outside the user's subtrees answers 404; a visible organization the
user may not change answers 403 on every write page (GET of its form included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core import scope
from jiceng.core.selectors import history_for
from jiceng.members.models import AgeBand, Category, Education, Gender, Status

from . import rules, selectors, services
from .forms import (
    ElectionForm,
    ExtensionForm,
    GroupForm,
    MergeForm,
    MoveForm,
    OrgCreateForm,
    OrgEditForm,
    SecretaryForm,
    SplitForm,
    add_service_errors,
    child_kinds,
)
from .models import Organization, Post

HISTORY_LIMIT = 200


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _fragment_or_page(
    request: HttpRequest, page: str, fragment: str, context: dict[str, Any]
) -> HttpResponse:
    response = render(request, fragment if _is_htmx(request) else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


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


# Tree navigator ---------------------------------------------------------------------------------


@login_required
@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    """组织树: the user's scope roots; children load on demand; a search by name or code."""
    user = request.user
    q = request.GET.get("q", "").strip()
    results = list(selectors.search(user, q)) if q else None
    if _is_htmx(request) and "q" in request.GET:
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
        "term_ends_on": ends,
        "term_expired": ends <= today,
        "term_due": today < ends <= rules.add_months(today, 6),
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
        "extension": can_change and has_committee,
        "secretary": can_change and org.is_branch and not has_committee,
        "group": can_change and org.is_branch,
    }


def _org_page(request: HttpRequest, code: str, *, tab: str) -> HttpResponse:
    user = request.user
    org = selectors.get_org(user, code=code)
    context: dict[str, Any] = {
        "org": org,
        "tab": tab,
        "ancestors": selectors.ancestors_in_scope(user, org),
    }
    if tab == "history":
        context["changes"] = history_for(user, org)[:HISTORY_LIMIT]
        has_committee = org.committees.filter(ended_on__isnull=True).exists()
        context["actions"] = _actions(user, org, has_committee=has_committee)
    else:
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
    return _fragment_or_page(request, "orgs/detail.html", "orgs/detail.html#tab", context)


def _unit_kind_rows(by_unit: dict[str, int]) -> list[tuple[str, int]]:
    from .models import UnitKind

    return [(str(label), by_unit[value]) for value, label in UnitKind.choices if by_unit.get(value)]


def _groups(org: Organization) -> list[Any]:
    return list(
        org.groups.select_related("leader").annotate(
            member_count=Count("members", filter=Q(members__closed_on__isnull=True))
        )
    )


@login_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """组织详情 · 概况."""
    return _org_page(request, code, tab="overview")


@login_required
@require_GET
def history(request: HttpRequest, code: str) -> HttpResponse:
    """组织详情 · 历史: the organization's change records with field-level before and after."""
    return _org_page(request, code, tab="history")


# Writes --------------------------------------------------------------------------------------------


def _org_for(request: HttpRequest, code: str, action: str) -> Organization:
    """404 outside the scope; 403 when visible but ``action`` is not granted (GET and POST alike)."""
    org = selectors.get_org(request.user, code=code)
    scope.ensure(request.user, action, org.path)
    return org


def _form_page(
    request: HttpRequest,
    *,
    org: Organization,
    form: Any,
    perform: Callable[[], tuple[Organization, str]],
    title: str,
    submit: str,
    intro: str = "",
    confirm: str = "",
    danger: bool = False,
    rename: dict[str, str] | None = None,
    notice: str = "",
) -> HttpResponse:
    """Validate, call the service, show its refusal on the form; on success go to the organization."""
    if request.method == "POST" and form.is_valid():
        try:
            landing, message = perform()
        except ValidationError as error:
            add_service_errors(form, error, rename)
        else:
            messages.success(request, message)
            return redirect("orgs:detail", code=landing.code)
    context = {
        "org": org,
        "ancestors": selectors.ancestors_in_scope(request.user, org),
        "form": form,
        "title": title,
        "submit": submit,
        "intro": intro,
        "confirm": confirm,
        "danger": danger,
        "notice": notice,
    }
    return render(request, "orgs/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest, code: str) -> HttpResponse:
    """新建下级组织."""
    parent = _org_for(request, code, scope.MANAGE)
    if not child_kinds(parent):
        raise PermissionDenied(_("党支部下不能设立下级组织"))
    form = OrgCreateForm(request.POST or None, parent=parent)

    def perform() -> tuple[Organization, str]:
        org = services.create_org(actor=request.user, parent=parent, **form.cleaned_data)
        return org, _("已新建%(name)s") % {"name": org.name}

    return _form_page(
        request,
        org=parent,
        form=form,
        perform=perform,
        title=_("新建下级组织"),
        submit=_("新建"),
        intro=_("上级党组织：%(name)s") % {"name": parent.name},
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, code: str) -> HttpResponse:
    """修改组织信息. Changing the kind needs the manage right."""
    org = _org_for(request, code, scope.CHANGE)
    can_change_kind = scope.can(request.user, scope.MANAGE, org.path)
    form = OrgEditForm(request.POST or None, org=org, can_change_kind=can_change_kind)

    def perform() -> tuple[Organization, str]:
        updated = services.update_org(actor=request.user, org=org, **form.changes())
        return updated, _("已保存%(name)s") % {"name": updated.name}

    return _form_page(request, org=org, form=form, perform=perform, title=_("修改组织信息"), submit=_("保存"))


@login_required
@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, code: str) -> HttpResponse:
    """移动: the organization and its whole subtree go under another parent."""
    org = _org_for(request, code, scope.MANAGE)
    form = MoveForm(request.POST or None, user=request.user, org=org)

    def perform() -> tuple[Organization, str]:
        parent = form.cleaned_data["parent"]
        moved = services.move_org(actor=request.user, org=org, new_parent=parent)
        return moved, _("已将%(name)s移至%(parent)s之下") % {"name": moved.name, "parent": parent.name}

    return _form_page(
        request,
        org=org,
        form=form,
        perform=perform,
        title=_("移动组织"),
        submit=_("移动"),
        intro=_("%(name)s及其全部下级组织和党员将一并移到新的上级党组织之下。") % {"name": org.name},
        confirm=_("确定移动该组织及其全部下级组织？"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, code: str) -> HttpResponse:
    """合并: this branch's members move into another branch, and this branch is removed."""
    org = _org_for(request, code, scope.MANAGE)
    if not org.is_branch:
        raise Http404
    form = MergeForm(request.POST or None, user=request.user, org=org)

    def perform() -> tuple[Organization, str]:
        target = form.cleaned_data["target"]
        moved = services.merge_branches(
            actor=request.user, source=org, target=target, on=form.cleaned_data["on"]
        )
        return target, _("%(source)s已并入%(target)s，转移党员%(n)s名") % {
            "source": org.name,
            "target": target.name,
            "n": moved,
        }

    return _form_page(
        request,
        org=org,
        form=form,
        perform=perform,
        title=_("合并党支部"),
        submit=_("合并"),
        intro=_("%(name)s的党员将全部转入所选党支部，每人的组织关系变动都会记录；合并后本支部撤销。")
        % {"name": org.name},
        confirm=_("合并后本支部将被撤销，确定合并？"),
        danger=True,
    )


@login_required
@require_http_methods(["GET", "POST"])
def split(request: HttpRequest, code: str) -> HttpResponse:
    """拆分: a new sibling branch takes the chosen members."""
    org = _org_for(request, code, scope.MANAGE)
    if not org.is_branch:
        raise Http404
    form = SplitForm(request.POST or None, org=org)

    def perform() -> tuple[Organization, str]:
        data = form.cleaned_data
        new = services.split_branch(
            actor=request.user,
            source=org,
            code=data["code"],
            name=data["name"],
            members=list(data["members"]),
            unit_kind=data.get("unit_kind") or None,
            on=data.get("on"),
        )
        return new, _("已从%(source)s拆分出%(new)s") % {"source": org.name, "new": new.name}

    return _form_page(
        request,
        org=org,
        form=form,
        perform=perform,
        title=_("拆分党支部"),
        submit=_("拆分"),
        intro=_("在同一上级党组织下新建一个党支部，并把勾选的党员转入新支部。"),
        rename={"founded_on": "on"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def election(request: HttpRequest, code: str) -> HttpResponse:
    """换届: record a newly elected committee and its posts; the previous committee ends that day."""
    org = _org_for(request, code, scope.CHANGE)
    form = ElectionForm(request.POST or None, org=org)

    def perform() -> tuple[Organization, str]:
        data = form.cleaned_data
        services.record_election(
            actor=request.user,
            org=org,
            elected_on=data["elected_on"],
            posts=form.posts(),
            term_years=data.get("term_years"),
        )
        return org, _("已记录%(name)s的换届选举") % {"name": org.name}

    return _form_page(
        request,
        org=org,
        form=form,
        perform=perform,
        title=_("记录换届选举"),
        submit=_("保存"),
        intro=_("新一届委员会自选举之日起任职，上一届同日届满。委员会职务只能由本组织的正式党员担任。"),
        notice=_("本组织目前没有可以担任委员会职务的正式党员。") if form.no_eligible else "",
    )


@login_required
@require_http_methods(["GET", "POST"])
def extension(request: HttpRequest, code: str) -> HttpResponse:
    """延期换届: the higher committee's approval to hold the election up to one year later (or earlier)."""
    org = _org_for(request, code, scope.CHANGE)
    committee = org.current_committee
    if committee is None:
        messages.warning(request, _("%(name)s尚无在任委员会，请先记录换届选举") % {"name": org.name})
        return redirect("orgs:detail", code=org.code)
    form = ExtensionForm(
        request.POST or None,
        initial={"extended_to": committee.extended_to, "extension_approval": committee.extension_approval},
    )

    def perform() -> tuple[Organization, str]:
        services.approve_extension(
            actor=request.user,
            committee=committee,
            extended_to=form.cleaned_data["extended_to"],
            approval=form.cleaned_data["extension_approval"],
        )
        return org, _("已记录延期批准")

    regular = rules.add_years(committee.elected_on, committee.term_years)
    return _form_page(
        request,
        org=org,
        form=form,
        perform=perform,
        title=_("批准延期换届"),
        submit=_("保存"),
        intro=_(
            "本届委员会于%(elected)s选举产生，任期%(years)s年，应于%(regular)s届满；延期或提前不得超过一年。"
        )
        % {
            "elected": committee.elected_on.isoformat(),
            "years": committee.term_years,
            "regular": regular.isoformat(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest, code: str) -> HttpResponse:
    """新建党小组."""
    org = _org_for(request, code, scope.CHANGE)
    if not org.is_branch:
        raise Http404
    form = GroupForm(request.POST or None)

    def perform() -> tuple[Organization, str]:
        group = services.create_group(actor=request.user, org=org, name=form.cleaned_data["name"])
        return org, _("已新建党小组%(name)s") % {"name": group.name}

    return _form_page(request, org=org, form=form, perform=perform, title=_("新建党小组"), submit=_("新建"))


@login_required
@require_http_methods(["GET", "POST"])
def secretary(request: HttpRequest, code: str) -> HttpResponse:
    """书记（未设支部委员会）: a branch without a committee records its secretary, or clears it."""
    org = _org_for(request, code, scope.CHANGE)
    if not org.is_branch:
        raise Http404
    if org.current_committee is not None:
        messages.warning(request, _("%(name)s有在任的支部委员会，书记由换届选举产生") % {"name": org.name})
        return redirect("orgs:detail", code=org.code)
    form = SecretaryForm(request.POST or None, org=org)

    def perform() -> tuple[Organization, str]:
        member = form.cleaned_data.get("member")
        services.set_secretary(
            actor=request.user, org=org, member=member, since=form.cleaned_data.get("since")
        )
        if member is None:
            return org, _("已清除%(name)s的书记") % {"name": org.name}
        return org, _("已将%(member)s记为%(name)s的书记") % {"member": member.name, "name": org.name}

    return _form_page(
        request,
        org=org,
        form=form,
        perform=perform,
        title=_("设置书记"),
        submit=_("保存"),
        intro=_("正式党员不足7人的党支部可以不设支部委员会，只设书记1名。书记须为本支部的正式党员。"),
        notice=_("本支部目前没有可以担任书记的正式党员。") if form.no_eligible else "",
    )
