"""Roster pages: thin views over members.selectors (reads) and members.services (writes).

Scope: every member is looked up through the selectors, so one outside the user's subtrees answers
404; a visible record the user may not change answers 403 on every write (GET of a form included).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core import scope
from jiceng.core.selectors import history_for
from jiceng.orgs import selectors as org_selectors

from . import selectors, services
from .filters import MemberFilter
from .forms import BranchChoiceForm, MemberForm, TransferForm
from .models import Member

PAGE_SIZE = 20


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _label_any_choice(form: forms.Form) -> None:
    """Filter selects start with "全部" (all) rather than django-filter's dashes."""
    for field in form.fields.values():
        if getattr(field, "empty_label", None) is not None and not isinstance(field, forms.ModelChoiceField):
            field.empty_label = _("全部")
            field.widget.choices = field.choices  # the widget holds its own copy of the choice iterator


def _ensure_can_change(user: Any, member: Member) -> None:
    """The member is already known to be visible: refusing a write is then a 403, not a 404."""
    if not scope.can(user, scope.CHANGE, member.org_path):
        raise PermissionDenied(_("您没有修改此党员信息的权限"))


def _record_context(request: HttpRequest, member: Member, *, revealed: str | None = None) -> dict[str, Any]:
    user = request.user
    can_change = scope.can(user, scope.CHANGE, member.org_path)
    org_visible = scope.can(user, scope.VIEW, member.org_path)
    return {
        "member": member,
        "memberships": selectors.memberships(member),
        "posts": selectors.committee_posts(member),
        "can_change": can_change,
        "can_reveal": can_change or member.user_id == user.pk,
        "revealed": revealed,
        "org_visible": org_visible,
        "ancestors": org_selectors.ancestors_in_scope(user, member.org) if org_visible else [],
    }


@login_required
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    """党员名单: search and filters update the results in place through htmx."""
    org = None
    code = request.GET.get("org", "").strip()
    if code:
        org = org_selectors.get_org(request.user, code=code)
    filterset = MemberFilter(request.GET, queryset=selectors.member_list(request.user, org=org))
    _label_any_choice(filterset.form)
    page_obj = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    active_filters = sum(1 for name in filterset.filters if name != "q" and request.GET.get(name))
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "org": org,
        "ancestors": org_selectors.ancestors_in_scope(request.user, org) if org else [],
        "active_filters": active_filters,
        "can_add": bool(scope.paths_for(request.user, scope.CHANGE))
        and (org is None or scope.can(request.user, scope.CHANGE, org.path)),
    }
    template = "members/list.html#results" if _is_htmx(request) else "members/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.get_member(request.user, pk)
    context = _record_context(request, member)
    context["changes"] = history_for(request.user, member)
    # The development file stays with the branch that developed the member: link it only when visible.
    from jiceng.development.selectors import visible_files

    context["development"] = visible_files(request.user).filter(member=member).first()
    return render(request, "members/detail.html", context)


def own_record_url(user: Any) -> str | None:
    """The home page's landing for a user without a scope who has a member record of their own."""
    return reverse("members:me") if selectors.own_member(user) is not None else None


def has_member_record(user: Any) -> bool:
    """For the navigation bar's "my record" link."""
    return Member.objects.filter(user=user).exists()


@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """A member's own record, read-only."""
    member = selectors.own_member(request.user)
    if member is None:
        raise Http404
    context = _record_context(request, member)
    context["can_change"] = False  # this page never offers edits, even to a secretary viewing themselves
    return render(request, "members/me.html", context)


@never_cache
@login_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The full identity number, in place of the masked one; every reveal is audited by the service."""
    member = selectors.get_member(request.user, pk)
    number = services.reveal_id_number(actor=request.user, member=member)
    if _is_htmx(request):
        return render(request, "core/_person.html#id_number", {"person": member, "revealed": number})
    context = _record_context(request, member, revealed=number)
    context["changes"] = history_for(request.user, member)
    # The development file stays with the branch that developed the member: link it only when visible.
    from jiceng.development.selectors import visible_files

    context["development"] = visible_files(request.user).filter(member=member).first()
    return render(request, "members/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest) -> HttpResponse:
    """登记党员 in a branch the user may change: ``?org=<code>`` names it, else the user picks one."""
    user = request.user
    code = request.GET.get("org", "").strip()
    branch, branches = org_selectors.branch_to_change(
        user, code, denied_here=_("您没有在该组织登记党员的权限"), denied=_("您没有登记党员的权限")
    )
    if branch is None:
        return render(
            request,
            "members/choose_branch.html",
            {"form": BranchChoiceForm(branches=branches), "org_code": code},
        )

    form = MemberForm(request.POST or None, branch=branch)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.create_member(
                actor=user, org=branch, id_number=form.cleaned_data["id_number"], **form.service_fields()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("已登记党员%(name)s") % {"name": member.name})
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/form.html", {"form": form, "branch": branch, "member": None})


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.get_member(request.user, pk)
    _ensure_can_change(request.user, member)
    form = MemberForm(request.POST or None, instance=member, branch=member.org, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(
                actor=request.user,
                member=member,
                id_number=form.cleaned_data.get("id_number") or None,
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("已保存%(name)s的党员信息") % {"name": member.name})
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/form.html", {"form": form, "branch": member.org, "member": member})


@login_required
@require_http_methods(["GET", "POST"])
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """组织关系转接 to another branch the user may change."""
    member = selectors.get_member(request.user, pk)
    _ensure_can_change(request.user, member)
    branches = org_selectors.changeable_branches(request.user).exclude(pk=member.org_id)
    form = TransferForm(request.POST or None, branches=branches)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["to_org"]
        try:
            services.transfer_member(
                actor=request.user, member=member, to_org=target, on=form.cleaned_data["on"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("%(name)s的组织关系已转入%(org)s") % {"name": member.name, "org": target.name}
            )
            return redirect("members:detail", pk=member.pk)
    return render(
        request, "members/transfer.html", {"form": form, "member": member, "has_targets": branches.exists()}
    )
