"""Account pages: user management for organization administrators over their subtree, the bulk
accounts of the recorded secretaries, activation codes, a member's own activation, and the page where
a one-time password is replaced.

Thin views over ``selectors`` and ``services``. Without the manage right the management pages answer
404; an account outside the administrator's subtree answers 404 as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core import scope
from jiceng.core.access import client_ip
from jiceng.core.models import RoleAssignment
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

from . import selectors, services
from .forms import ActivationForm, GrantForm, PasswordChangeForm, SearchForm, UserCreateForm, apply_errors
from .signals import SESSION_FLAG

PAGE_SIZE = 30


def _ensure_admin(request: HttpRequest) -> None:
    if not selectors.can_manage_accounts(request.user):
        raise Http404


def _org_by_code(request: HttpRequest, code: str) -> Organization:
    """An organization where the user may manage, else a form error that names no other organization."""
    org = selectors.grantable_orgs(request.user).filter(code=(code or "").strip()).first()
    if org is None:
        raise ValidationError(
            {
                "org": ValidationError(
                    _("没有找到您可管理的组织编码%(code)s") % {"code": code}, code="unknown_org"
                )
            }
        )
    return org


def _one_time_page(request: HttpRequest, user: Any, password: str, *, created: bool) -> HttpResponse:
    response = render(
        request,
        "accounts/one_time_password.html",
        {"account": user, "password": password, "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    """账号管理: the accounts of the administrator's subtree, and the notices waiting for them."""
    _ensure_admin(request)
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page_obj = Paginator(selectors.visible_users(request.user, q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    roots = selectors.grantable_orgs(request.user).filter(path__in=selectors.manage_paths(request.user))
    return render(
        request,
        "accounts/user_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "notices": selectors.open_notices(request.user)[:50],
            "roots": roots,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    _ensure_admin(request)
    member = None
    member_id = request.POST.get("member") or request.GET.get("member")
    if member_id and str(member_id).isdigit():
        member = get_object_or_404(selectors.members_without_account(request.user), pk=int(member_id))
    initial = {"member": member.pk if member else None, "full_name": member.name if member else ""}
    if member is not None:
        initial["org"] = member.org.code
    elif request.GET.get("org"):
        initial["org"] = request.GET["org"]
    form = UserCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = _org_by_code(request, data["org"])
            user, password = services.create_user(
                actor=request.user,
                username=data["username"],
                full_name=data["full_name"],
                org=org,
                role=data["role"] or None,
                member=member,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            return _one_time_page(request, user, password, created=True)
    return render(request, "accounts/user_form.html", {"form": form, "member": member})


def _detail_context(
    request: HttpRequest, account: Any, grant_form: GrantForm | None = None
) -> dict[str, Any]:
    return {
        "account": account,
        "roles": [
            (r, scope.covers(selectors.manage_paths(request.user), r.org.path))
            for r in account.role_assignments.select_related("org").order_by("org__path")
        ],
        "wholly": selectors.wholly_managed(request.user, account),
        "grant_form": grant_form or GrantForm(),
        "must_change": services.must_change_password(account),
        "member": Member.objects.filter(user=account).select_related("org").first(),
    }


@login_required
@require_GET
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_admin(request)
    account = selectors.get_user(request.user, pk)
    return render(request, "accounts/user_detail.html", _detail_context(request, account))


@login_required
@require_POST
def role_grant(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_admin(request)
    account = selectors.get_user(request.user, pk)
    form = GrantForm(request.POST)
    if form.is_valid():
        try:
            org = _org_by_code(request, form.cleaned_data["org"])
            services.grant_role(actor=request.user, user=account, org=org, role=form.cleaned_data["role"])
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("角色已授予"))
            return redirect("accounts:user", pk=account.pk)
    return render(request, "accounts/user_detail.html", _detail_context(request, account, form), status=400)


@login_required
@require_POST
def role_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_admin(request)
    assignment = get_object_or_404(RoleAssignment.objects.select_related("org"), pk=pk)
    account = selectors.get_user(request.user, assignment.user_id)
    try:
        services.withdraw_role(actor=request.user, assignment=assignment)
    except ValidationError as e:
        messages.error(request, " ".join(m for msgs in e.message_dict.values() for m in msgs))
    else:
        messages.success(request, _("角色已撤销"))
    return redirect("accounts:user", pk=account.pk)


@never_cache
@login_required
@require_POST
def password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_admin(request)
    account = selectors.get_user(request.user, pk)
    password = services.reset_password(actor=request.user, user=account)
    return _one_time_page(request, account, password, created=False)


@login_required
@require_POST
def set_active(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_admin(request)
    account = selectors.get_user(request.user, pk)
    active = request.POST.get("active") == "1"
    services.set_active(actor=request.user, user=account, active=active)
    messages.success(request, _("账号已启用") if active else _("账号已停用"))
    return redirect("accounts:user", pk=account.pk)


@login_required
@require_POST
def notices_dismiss(request: HttpRequest) -> HttpResponse:
    _ensure_admin(request)
    ids = [int(i) for i in request.POST.getlist("notice") if i.isdigit()]
    services.dismiss_notices(actor=request.user, notice_ids=ids or None)
    return redirect("accounts:users")


# Secretaries' accounts ---------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def secretaries(request: HttpRequest) -> HttpResponse:
    """给本范围每位书记开通账号: the overview, and on POST the xlsx of one-time passwords (once)."""
    _ensure_admin(request)
    code = request.POST.get("org") or request.GET.get("org")
    roots = list(selectors.grantable_orgs(request.user).filter(path__in=selectors.manage_paths(request.user)))
    if not code:
        if len(roots) != 1:
            return render(request, "accounts/secretaries.html", {"roots": roots, "org": None})
        code = roots[0].code
    org = selectors.grantable_orgs(request.user).filter(code=code).first()
    if org is None:
        raise Http404
    if request.method == "POST":
        try:
            result = services.create_secretary_accounts(actor=request.user, org=org)
        except ValidationError as e:
            messages.info(request, " ".join(m for msgs in e.message_dict.values() for m in msgs))
            return redirect(f"{request.path}?org={org.code}")
        if result.xlsx is None:
            messages.success(request, _("已为%(n)d位书记授予书记角色") % {"n": result.roles_granted})
            return redirect(f"{request.path}?org={org.code}")
        response = HttpResponse(
            result.xlsx, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="secretary-accounts-{org.code}.xlsx"'
        response["Cache-Control"] = "no-store"
        return response
    rows = selectors.secretary_overview(request.user, org)
    missing = sum(1 for r in rows if r.secretary and not r.secretary.user_id)
    no_role = sum(1 for r in rows if r.secretary and r.secretary.user_id and not r.has_role)
    no_secretary = sum(1 for r in rows if r.secretary is None)
    return render(
        request,
        "accounts/secretaries.html",
        {
            "roots": roots,
            "org": org,
            "rows": rows,
            "missing": missing,
            "no_role": no_role,
            "no_secretary": no_secretary,
        },
    )


# Activation codes and activation ----------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def activation_codes(request: HttpRequest) -> HttpResponse:
    """激活码: members of the user's branches without an account; a code for one of them, shown once."""
    members = selectors.members_without_account(request.user)
    if not scope.paths_for(request.user, scope.CHANGE):
        raise Http404
    issued = None
    if request.method == "POST":
        member_id = request.POST.get("member", "")
        member = get_object_or_404(members, pk=int(member_id)) if member_id.isdigit() else None
        if member is None:
            raise Http404
        activation, code = services.issue_activation_code(actor=request.user, member=member)
        issued = {"member": member, "code": code, "expires_at": activation.expires_at}
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page_obj = Paginator(selectors.members_without_account(request.user, q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    response = render(
        request,
        "accounts/activation_codes.html",
        {
            "form": form,
            "page_obj": page_obj,
            "issued": issued,
            "can_manage": selectors.can_manage_accounts(request.user),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_POST
def development_code(request: HttpRequest, pk: int) -> HttpResponse:
    """生成激活码 from a development file's page: a code for the applicant (入党申请人, 积极分子, 发展对象)
    to open their own account and see their own timeline; shown once on the page this answers with.
    404 outside the user's scope, 403 where they may view but not change."""
    from jiceng.development import selectors as development_selectors

    development = development_selectors.get_file(request.user, pk)
    try:
        activation, code = services.issue_development_code(actor=request.user, development=development)
    except ValidationError as e:
        for message in e.messages:
            messages.error(request, message)
        return redirect("development:detail", pk=development.pk)
    response = render(
        request,
        "accounts/development_code.html",
        {"development": development, "code": code, "expires_at": activation.expires_at},
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """开通账号: a member, or an applicant with a development file, with their identity number and the code
    from their branch (no sign-in)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = ActivationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.activate_account(
                id_number=data["id_number"],
                code=data["code"],
                username=data["username"],
                password=data["password1"],
                ip_address=client_ip(request),
            )
        except services.ActivationRefused:
            form.add_error(None, _("尝试次数过多，请稍后再试"))
            status = 429
        except ValidationError as e:
            apply_errors(form, e)
            status = 400
        else:
            messages.success(request, _("账号已开通，请用新的登录名和密码登录"))
            return redirect("login")
    return render(request, "accounts/activate.html", {"form": form}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """修改密码: where an account with a one-time password is sent until it has chosen its own."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(user=request.user, new_password=form.cleaned_data["new_password1"])
        except ValidationError as e:
            apply_errors(form, e)
        else:
            update_session_auth_hash(request, request.user)
            request.session.pop(SESSION_FLAG, None)
            messages.success(request, _("密码已修改"))
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = ""
            return redirect(target or "home")
    return render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "next": request.GET.get("next", ""),
            "forced": bool(request.session.get(SESSION_FLAG)),
        },
    )
