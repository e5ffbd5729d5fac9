"""Organizational-life pages: thin views over life.selectors (reads) and life.services (writes).

Scope: every meeting and attachment is looked up through the selectors, so one outside the user's
subtrees answers 404; a visible one the user may not change answers 403 on every write (the GET of a
form included).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core import dates, periods, scope
from jiceng.core.selectors import history_for
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, OrgKind

from . import selectors, services
from .filters import MeetingFilter
from .forms import AttachmentForm, BranchChoiceForm, MeetingForm
from .models import Meeting, MeetingKind

PAGE_SIZE = 20


def _is_htmx(request: HttpRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _branches(user: Any, action: str, under: Organization | None = None) -> QuerySet[Organization]:
    qs = org_selectors.visible_orgs(user, action).filter(kind=OrgKind.BRANCH)
    if under is not None:
        qs = qs.filter(path__prefix=under.path)
    return qs


def _ensure_can_change(user: Any, meeting: Meeting) -> None:
    """The meeting is already known to be visible: refusing a write is then a 403, not a 404."""
    if not scope.can(user, scope.CHANGE, meeting.org_path):
        raise PermissionDenied(_("您没有修改此组织生活记录的权限"))


def _warn_quorum(request: HttpRequest, meeting: Meeting) -> None:
    warning = services.quorum_warning(meeting)
    if warning:
        messages.warning(request, warning)


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    """组织生活记录 of the user's subtrees (or of one organization's), filtered in place by htmx."""
    user = request.user
    org = None
    code = request.GET.get("org", "").strip()
    if code:
        org = org_selectors.get_org(user, code=code)
    filterset = MeetingFilter(request.GET, queryset=selectors.meeting_list(user, org=org))
    page_obj = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "org": org,
        "ancestors": org_selectors.ancestors_in_scope(user, org) if org else [],
        "can_add": bool(scope.paths_for(user, scope.CHANGE))
        and (org is None or scope.can(user, scope.CHANGE, org.path)),
    }
    template = "life/list.html#results" if _is_htmx(request) else "life/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _choose_branch(
    request: HttpRequest, branches: QuerySet[Organization], *, title: str, target: str
) -> HttpResponse:
    form = BranchChoiceForm(branches=branches)
    return render(
        request,
        "life/choose_branch.html",
        {"form": form, "title": title, "target": target, "empty": not branches.exists()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    """录入组织生活: ``?org=<branch code>`` names the branch (else the user picks one); ``kind`` and
    ``group`` preselect what the calendar's "record" link was about."""
    user = request.user
    code = request.GET.get("org", "").strip()
    branch: Organization | None = None
    branches = _branches(user, scope.CHANGE)
    if code:
        org = org_selectors.get_org(user, code=code)
        if not scope.can(user, scope.CHANGE, org.path):
            raise PermissionDenied(_("您没有为该组织录入组织生活的权限"))
        if org.kind == OrgKind.BRANCH:
            branch = org
        else:
            branches = branches.filter(path__prefix=org.path)
    elif not scope.paths_for(user, scope.CHANGE):
        raise PermissionDenied(_("您没有录入组织生活的权限"))
    if branch is None:
        only = list(branches[:2])
        if len(only) != 1:
            return _choose_branch(request, branches, title=_("录入组织生活"), target="life:create")
        branch = only[0]

    initial: dict[str, Any] = {}
    if request.GET.get("kind") in MeetingKind.values:
        initial["kind"] = request.GET["kind"]
    if request.GET.get("group", "").isdigit():
        initial["group"] = int(request.GET["group"])
    roll_call = selectors.roll_call(branch)
    form = MeetingForm(
        request.POST or None, request.FILES or None, branch=branch, roll_call=roll_call, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.record_meeting(
                actor=user,
                org=branch,
                attendance=form.attendance(),
                attachments=form.cleaned_data["attachments"],
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("已录入：%(meeting)s") % {"meeting": meeting})
            _warn_quorum(request, meeting)
            return redirect("life:detail", pk=meeting.pk)
    return render(request, "life/form.html", {"form": form, "branch": branch, "meeting": None})


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_detail(request.user, pk)
    can_change = scope.can(request.user, scope.CHANGE, meeting.org_path)
    rows = list(meeting.attendance.all())
    context = {
        "meeting": meeting,
        "attendance": rows,
        "attachments": list(meeting.attachments.all()),
        "quorum_warning": services.quorum_warning(meeting),
        "can_change": can_change,
        "attachment_form": AttachmentForm() if can_change else None,
        "ancestors": org_selectors.ancestors_in_scope(request.user, meeting.org),
        "changes": history_for(request.user, meeting),
        "month": periods.containing("month", meeting.held_on).label,
    }
    return render(request, "life/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, pk)
    _ensure_can_change(request.user, meeting)
    roll_call = selectors.roll_call(meeting.org, meeting)
    form = MeetingForm(
        request.POST or None, request.FILES or None, branch=meeting.org, roll_call=roll_call, meeting=meeting
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = _save_edit(request, meeting, form)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("已保存：%(meeting)s") % {"meeting": meeting})
            _warn_quorum(request, meeting)
            return redirect("life:detail", pk=meeting.pk)
    return render(request, "life/form.html", {"form": form, "branch": meeting.org, "meeting": meeting})


def _save_edit(request: HttpRequest, meeting: Meeting, form: MeetingForm) -> Meeting:
    """The changes and the new attachments stand or fall together."""
    with transaction.atomic():
        meeting = services.update_meeting(
            actor=request.user, meeting=meeting, attendance=form.attendance(), **form.service_fields()
        )
        for upload in form.cleaned_data["attachments"]:
            try:
                services.add_attachment(actor=request.user, meeting=meeting, upload=upload)
            except ValidationError as error:
                raise ValidationError({"attachments": error.messages}) from error
    return meeting


@login_required
@require_POST
def meeting_delete(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, pk)
    _ensure_can_change(request.user, meeting)
    org, label = meeting.org, str(meeting)
    services.delete_meeting(actor=request.user, meeting=meeting)
    messages.success(request, _("已删除：%(meeting)s") % {"meeting": label})
    return redirect(f"{reverse('life:list')}?{urlencode({'org': org.code})}")


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, pk)
    _ensure_can_change(request.user, meeting)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.add_attachment(
                actor=request.user, meeting=meeting, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("已上传附件：%(name)s") % {"name": attachment.original_name})
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("life:detail", pk=meeting.pk)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file, to those who may see its meeting; images open in the browser, PDFs download."""
    attachment = selectors.get_attachment(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    inline = attachment.content_type.startswith("image/") and request.GET.get("download") != "1"
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.get_attachment(request.user, pk)
    meeting = attachment.meeting
    _ensure_can_change(request.user, meeting)
    services.remove_attachment(actor=request.user, attachment=attachment)
    messages.success(request, _("已删除附件：%(name)s") % {"name": attachment.original_name})
    return redirect("life:detail", pk=meeting.pk)


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """A branch's calendar: held and still due this month, quarter and year (``?org=&month=YYYY-MM``)."""
    user = request.user
    code = request.GET.get("org", "").strip()
    branches = _branches(user, scope.VIEW)
    branch: Organization | None = None
    if code:
        org = org_selectors.get_org(user, code=code)
        if org.kind == OrgKind.BRANCH:
            branch = org
        else:
            branches = branches.filter(path__prefix=org.path)
    if branch is None:
        only = list(branches[:2])
        if len(only) != 1:
            return _choose_branch(request, branches, title=_("组织生活日历"), target="life:calendar")
        branch = only[0]
    month = None
    text = request.GET.get("month", "").strip()
    if text:
        try:
            month = periods.parse(text)
        except periods.PeriodError:
            month = None
        if month is not None and (month.kind != "month" or not dates.within_years(month.start.year)):
            month = None  # year 1 or 9999: the calendar's neighbouring months would not exist
        if month is None:
            messages.error(request, _("月份应写作YYYY-MM，如2026-09；已显示本月。"))
    cal = selectors.branch_calendar(user, branch, month=month)
    context = {
        "calendar": cal,
        "branch": branch,
        "ancestors": org_selectors.ancestors_in_scope(user, branch),
        "can_change": scope.can(user, scope.CHANGE, branch.path),
        "is_current": cal.today in cal.month,
    }
    return render(request, "life/calendar.html", context)
