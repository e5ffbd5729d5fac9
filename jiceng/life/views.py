"""Organizational-life pages: thin views over life.selectors (reads) and life.services (writes).

Scope: every meeting and attachment is looked up through the selectors, so one outside the user's
subtrees answers 404; a visible one the user may not change answers 403 on every write (the GET of a
form included).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from jiceng.core import dates, periods, scope
from jiceng.core.generic.views import ObjectDeleteView, ObjectDetailView, ObjectFormView, ObjectView
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, OrgKind
from jiceng.orgs.views import BranchFormView, OrgListView, choose_branch

from . import selectors, services
from .filters import MeetingFilter
from .forms import AttachmentForm, MeetingForm
from .models import Meeting, MeetingKind


def _branches(user: Any, action: str, under: Organization | None = None) -> QuerySet[Organization]:
    qs = org_selectors.visible_orgs(user, action).filter(kind=OrgKind.BRANCH)
    if under is not None:
        qs = qs.filter(path__prefix=under.path)
    return qs


def _warn_quorum(request: HttpRequest, meeting: Meeting) -> None:
    warning = services.quorum_warning(meeting)
    if warning:
        messages.warning(request, warning)


class MeetingList(OrgListView):
    """组织生活记录 of the user's subtrees (or of one organization's), filtered in place by htmx."""

    template_name = "life/list.html"
    filterset_class = MeetingFilter
    list_id = "meeting"
    list_url, list_title, list_crumb = "life:list", gettext_lazy("组织生活记录"), gettext_lazy("组织生活")

    def get_queryset(self) -> Any:
        return selectors.meeting_list(self.user, org=self.org)


class MeetingView(ObjectView):
    """A page about the meeting of the URL's ``pk``: 404 outside the scope, 403 visible but not changeable."""

    denied = gettext_lazy("您没有修改此组织生活记录的权限")

    def lookup(self, *, pk: int) -> Meeting:
        return selectors.get_meeting(self.user, pk)


class MeetingFormMixin:
    """The meeting form with its roll call; a saved meeting whose quorum is short gets a warning."""

    template_name = "life/form.html"
    request: HttpRequest

    def success_url(self, landing: Meeting) -> str:
        return reverse("life:detail", kwargs={"pk": landing.pk})

    def succeeded(self, landing: Meeting) -> None:
        _warn_quorum(self.request, landing)


def preset_day(text: str, branch: Organization) -> dt.date | None:
    """A meeting day given in the URL (YYYY-MM-DD), if the form could take it: not after today, not
    before the branch was founded (nor before 1921); else None."""
    if len(text) != 10:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    first = max(dates.PARTY_FOUNDED, branch.founded_on or dates.PARTY_FOUNDED)
    return day if first <= day <= timezone.localdate() else None


class MeetingCreate(MeetingFormMixin, BranchFormView):
    """录入组织生活: ``?org=<branch code>`` names the branch (else the user picks one); ``kind``,
    ``group`` and ``held_on`` preselect what the calendar's "record" link or a finding's "去办理" was
    about. Each is checked and bounded: a value that is not one the form could take is ignored."""

    title = gettext_lazy("录入组织生活")
    list_url, list_crumb = "life:list", gettext_lazy("组织生活")
    denied_here = gettext_lazy("您没有为该组织录入组织生活的权限")
    denied = gettext_lazy("您没有录入组织生活的权限")

    def get_form(self, data: Any, files: Any) -> MeetingForm:
        query, initial = self.request.GET, {}
        if query.get("kind") in MeetingKind.values:
            initial["kind"] = query["kind"]
        if query.get("group", "").isdigit() and len(query["group"]) <= 12:
            initial["group"] = int(query["group"])
        if held_on := preset_day(query.get("held_on", ""), self.object):
            initial["held_on"] = held_on
        roll_call = selectors.roll_call(self.object)
        return MeetingForm(data, files, branch=self.object, roll_call=roll_call, initial=initial)

    def next_url(self) -> str:
        """Where the "去办理" link came from (``next``: a path of this site), else ""."""
        back = self.request.GET.get("next", "")
        if (
            len(back) <= 200
            and back.startswith("/")
            and url_has_allowed_host_and_scheme(back, allowed_hosts={self.request.get_host()})
        ):
            return back
        return ""

    def success_url(self, landing: Meeting) -> str:
        return self.next_url() or super().success_url(landing)

    def perform(self, form: MeetingForm) -> tuple[Meeting, str]:
        meeting = services.record_meeting(
            actor=self.user,
            org=self.object,
            attendance=form.attendance(),
            attachments=form.cleaned_data["attachments"],
            **form.service_fields(),
        )
        return meeting, _("已录入：%(meeting)s") % {"meeting": meeting}

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"branch": self.object, "meeting": None, "next_url": self.next_url(), **extra}


class MeetingDetail(MeetingView, ObjectDetailView):
    template_name = "life/detail.html"
    history = True
    history_limit = None

    def lookup(self, *, pk: int) -> Meeting:
        return selectors.meeting_detail(self.user, pk)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        meeting = self.object
        can_change = scope.can(self.user, scope.CHANGE, meeting.org_path)
        return super().get_context_data(
            meeting=meeting,
            attendance=list(meeting.attendance.all()),
            attachments=list(meeting.attachments.all()),
            quorum_warning=services.quorum_warning(meeting),
            can_change=can_change,
            attachment_form=AttachmentForm() if can_change else None,
            ancestors=org_selectors.ancestors_in_scope(self.user, meeting.org),
            month=periods.containing("month", meeting.held_on).label,
            **extra,
        )


class MeetingEdit(MeetingFormMixin, MeetingView, ObjectFormView):
    versioned = True

    def get_form(self, data: Any, files: Any) -> MeetingForm:
        meeting = self.object
        roll_call = selectors.roll_call(meeting.org, meeting)
        return MeetingForm(data, files, branch=meeting.org, roll_call=roll_call, meeting=meeting)

    def perform(self, form: MeetingForm) -> tuple[Meeting, str]:
        meeting = _save_edit(self.request, self.object, form, version=self.version(form))
        return meeting, _("已保存：%(meeting)s") % {"meeting": meeting}

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"branch": self.object.org, "meeting": self.object, **extra}


def _save_edit(request: HttpRequest, meeting: Meeting, form: MeetingForm, *, version: str | None) -> Meeting:
    """The changes and the new attachments stand or fall together."""
    with transaction.atomic():
        meeting = services.update_meeting(
            actor=request.user,
            meeting=meeting,
            attendance=form.attendance(),
            version=version,
            **form.service_fields(),
        )
        for upload in form.cleaned_data["attachments"]:
            try:
                services.add_attachment(actor=request.user, meeting=meeting, upload=upload)
            except ValidationError as error:
                raise ValidationError({"attachments": error.messages}) from error
    return meeting


class MeetingDelete(MeetingView, ObjectDeleteView):
    def success_url(self) -> str:
        return f"{reverse('life:list')}?{urlencode({'org': self.object.org.code})}"

    def perform(self) -> str:
        label = str(self.object)
        services.delete_meeting(actor=self.user, meeting=self.object)
        return _("已删除：%(meeting)s") % {"meeting": label}


class AttachmentAdd(MeetingView):
    """Upload one attachment from the meeting's page; refusals come back as messages there."""

    action = scope.CHANGE
    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        meeting = self.object
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment = services.add_attachment(
                    actor=self.user, meeting=meeting, upload=form.cleaned_data["file"]
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


class AttachmentDelete(MeetingView, ObjectDeleteView):
    def lookup(self, *, pk: int) -> Any:
        self.attachment = selectors.get_attachment(self.user, pk)
        return self.attachment.meeting

    def success_url(self) -> str:
        return reverse("life:detail", kwargs={"pk": self.object.pk})

    def perform(self) -> str:
        services.remove_attachment(actor=self.user, attachment=self.attachment)
        return _("已删除附件：%(name)s") % {"name": self.attachment.original_name}


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
            return choose_branch(
                request, branches, title=_("组织生活日历"), list_url="life:list", list_crumb=_("组织生活")
            )
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
