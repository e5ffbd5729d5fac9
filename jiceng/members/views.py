"""Roster pages: thin views over members.selectors (reads) and members.services (writes).

Scope: every member is looked up through the selectors, so one outside the user's subtrees answers
404; a visible record the user may not change answers 403 on every write (GET of a form included).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from jiceng.core import scope
from jiceng.core.generic.views import ObjectDetailView, ObjectFormView, ObjectView, is_htmx
from jiceng.core.views import own_home
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.views import BranchFormView, OrgListView

from . import selectors, services
from .filters import MemberFilter
from .forms import MemberForm, TransferForm, derived_fields
from .models import Member


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


class MemberList(OrgListView):
    """党员名单: search and filters update the results in place through htmx."""

    template_name = "members/list.html"
    filterset_class = MemberFilter
    label_any_choice = True
    list_id = "member"
    list_url, list_title, list_crumb = "members:list", gettext_lazy("党员名单"), gettext_lazy("党员名单")

    def get_queryset(self) -> Any:
        return selectors.member_list(self.user, org=self.org)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        active = sum(1 for name in self.filterset.filters if name != "q" and self.request.GET.get(name))
        return super().get_context_data(active_filters=active, **extra)


def own_record_url(user: Any) -> str | None:
    """The home page's landing for a user without a scope who has a member record of their own."""
    return reverse("members:me") if selectors.own_member(user) is not None else None


def has_member_record(user: Any) -> bool:
    """For the navigation bar's "my record" link."""
    return Member.objects.filter(user=user).exists()


class MemberView(ObjectView):
    """A page about the member of the URL's ``pk``: 404 outside the scope, 403 visible but not changeable."""

    denied = gettext_lazy("您没有修改此党员信息的权限")

    def lookup(self, *, pk: int) -> Member:
        return selectors.get_member(self.user, pk)


class MemberDetail(MemberView, ObjectDetailView):
    """党员档案 with its change records; the development file linked when the user may see it."""

    template_name = "members/detail.html"
    history = True
    history_limit = None
    revealed: str | None = None

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(
            **_record_context(self.request, self.object, revealed=self.revealed)
        )
        # The development file stays with the branch that developed the member: link it only when visible.
        from jiceng.development.selectors import visible_files

        context["development"] = visible_files(self.user).filter(member=self.object).first()
        return context


@method_decorator(never_cache, name="dispatch")
class Reveal(MemberDetail):
    """The full identity number, in place of the masked one; every reveal is audited by the service."""

    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.revealed = services.reveal_id_number(actor=self.user, member=self.object)
        if is_htmx(request):
            return render(
                request, "core/_person.html#id_number", {"person": self.object, "revealed": self.revealed}
            )
        return self.get(request)


@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """我的: the user's own record, meetings and development file (the sections the apps registered
    with ``audience=OWN``), read-only; 404 for an account without a member record."""
    if selectors.own_member(request.user) is None:
        raise Http404
    response = own_home(request)
    if response is None:  # pragma: no cover (members.record always shows for a member)
        raise Http404
    return response


@login_required
@require_POST
def derive(request: HttpRequest) -> HttpResponse:
    """htmx, from the member form: 出生日期 and 性别 as the identity number states them, swapped into the
    form out of band (read-only while they come from the number). Only for users who may register or
    edit members; the number is posted, never put in a URL, and nothing is stored or looked up."""
    if not scope.paths_for(request.user, scope.CHANGE):
        raise PermissionDenied
    derived = derived_fields(request.POST.get("id_number", ""))
    if not derived:
        return HttpResponse(status=204)
    form = MemberForm(initial=derived, branch=None, derived=True)
    return render(request, "members/_derived.html", {"form": form})


class MemberCreate(BranchFormView):
    """登记党员 in a branch the user may change: ``?org=<code>`` names it, else the user picks one."""

    template_name = "members/form.html"
    title = gettext_lazy("登记党员")
    list_url, list_crumb = "members:list", gettext_lazy("党员名单")
    denied_here, denied = gettext_lazy("您没有在该组织登记党员的权限"), gettext_lazy("您没有登记党员的权限")
    choose_label = gettext_lazy("所在党支部")
    choose_intro = gettext_lazy("请先选择党员所在的党支部。")
    choose_empty = gettext_lazy("没有您可以登记党员的党支部。")

    def get_form(self, data: Any, files: Any) -> MemberForm:
        return MemberForm(data, branch=self.object)

    def perform(self, form: MemberForm) -> tuple[Member, str]:
        member = services.create_member(
            actor=self.user,
            org=self.object,
            id_number=form.cleaned_data["id_number"],
            **form.service_fields(),
        )
        return member, _("已登记党员%(name)s") % {"name": member.name}

    def success_url(self, landing: Member) -> str:
        return reverse("members:detail", kwargs={"pk": landing.pk})

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"branch": self.object, "member": None, **extra}


class MemberEdit(MemberView, ObjectFormView):
    template_name = "members/form.html"
    versioned = True

    def get_form(self, data: Any, files: Any) -> MemberForm:
        return MemberForm(data, instance=self.object, branch=self.object.org, editing=True)

    def perform(self, form: MemberForm) -> tuple[Member, str]:
        member = self.object
        services.update_member(
            actor=self.user,
            member=member,
            id_number=form.cleaned_data.get("id_number") or None,
            version=self.version(form),
            **form.service_fields(),
        )
        return member, _("已保存%(name)s的党员信息") % {"name": member.name}

    def success_url(self, landing: Member) -> str:
        return reverse("members:detail", kwargs={"pk": landing.pk})

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"branch": self.object.org, "member": self.object, **extra}


class MemberTransfer(MemberEdit):
    """组织关系转接 to another branch the user may change."""

    template_name = "members/transfer.html"
    versioned = False  # a transfer changes no field of the record the reader edits

    def get_form(self, data: Any, files: Any) -> TransferForm:
        self.branches = org_selectors.changeable_branches(self.user).exclude(pk=self.object.org_id)
        return TransferForm(data, branches=self.branches)

    def perform(self, form: TransferForm) -> tuple[Member, str]:
        member, target = self.object, form.cleaned_data["to_org"]
        services.transfer_member(actor=self.user, member=member, to_org=target, on=form.cleaned_data["on"])
        return member, _("%(name)s的组织关系已转入%(org)s") % {"name": member.name, "org": target.name}

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"member": self.object, "has_targets": self.branches.exists(), **extra}
