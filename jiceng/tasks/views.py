"""Pages of tasks (任务督办) and responsibility lists (责任清单): thin views over selectors and services.

Scope: a task is looked up through ``selectors.get_task`` (404 unless the user may view its issuer),
an assignment through ``selectors.get_assignment`` (404 unless the user may view the organization that
received it); every write needs the change right there (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import scope
from jiceng.core.forms import add_service_errors
from jiceng.core.generic.views import ObjectDetailView, ObjectFormView, ObjectView, ScopedView
from jiceng.orgs import selectors as org_selectors

from . import selectors, services
from .forms import AnswerForm, IssueForm, PassOnForm, RemindForm, ResponsibilityForm, WithdrawForm
from .models import Assignment, Task, record_kind


class Index(ScopedView):
    """任务督办: the inbox of the user's own organizations and the tasks issued in their scope."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = self.user
        inbox = list(selectors.inbox(user)[:100])
        selectors.with_proposal_flags([a for a in inbox if a.answered_on is None])
        today = timezone.localdate()
        issued = Paginator(selectors.issued(user), 20).get_page(request.GET.get("page"))
        tallies = {
            (t.root_id, t.org_id): t
            for t in selectors.TaskTally.objects.filter(
                root_id__in={t.root_id for t in issued}, org_id__in={t.issuer_id for t in issued}
            )
        }
        for t in issued:
            t.tally = tallies.get((t.root_id, t.issuer_id))
            t.late_open = t.tally.late_open(today) if t.tally else 0
        return render(
            request,
            "tasks/index.html",
            {
                "inbox": inbox,
                "issued": issued,
                "today": today,
                "can_issue": selectors.issuers(user).exists(),
            },
        )


def can_issue(user: Any) -> bool:
    return selectors.issuers(user).exists()


class Create(ObjectFormView):
    """下达任务: a committee the user may change issues a task to its subtree."""

    template_name = "tasks/form.html"
    denied = gettext_lazy(
        "您没有下达任务的权限：只有上级党组织（党委、党工委、党总支）的管理员或书记可以下达任务"
    )

    def lookup(self, **kwargs: Any) -> None:
        if not can_issue(self.user):
            raise PermissionDenied(str(self.denied))
        return None

    def get_form(self, data: Any, files: Any) -> IssueForm:
        issuers = selectors.issuers(self.user)
        code = self.request.GET.get("org", "").strip()
        form = IssueForm(data, issuers=issuers)
        if code:
            form.fields["issuer"].initial = issuers.filter(code=code).first()
        return form

    def perform(self, form: IssueForm) -> tuple[Task, str]:
        task = services.issue_task(actor=self.user, **form.service_fields())
        return task, _("已下达给%(n)s个组织：%(title)s") % {"n": task.assigned, "title": task.title}

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"title": _("下达任务"), **extra}


class TaskView(ObjectView):
    def lookup(self, *, pk: int) -> Task:
        return selectors.get_task(self.user, pk)


class Detail(TaskView, ObjectDetailView):
    """The task and its completion over the subtree, one level at a time (``?org=`` drills down)."""

    template_name = "tasks/detail.html"

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        status = self.request.GET.get("status", "")
        status = status if status in ("late", "open", "answered") else ""
        done = selectors.completion(
            self.user, self.object, node_code=self.request.GET.get("org", "").strip(), status=status
        )
        page = Paginator(done.rows, 50).get_page(self.request.GET.get("page"))
        selectors.with_reminder_counts(page.object_list)
        return super().get_context_data(
            task=self.object,
            done=done,
            rows=page,
            status=status,
            can_remind=scope.can(self.user, scope.CHANGE, done.node.path),
            remind_form=RemindForm(),
            children=selectors.passed_on(self.object),
            **extra,
        )


class Remind(TaskView):
    """督办 the late ones under the node of ``org`` (POST)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        task = self.object
        code = request.POST.get("org", "").strip()
        node = org_selectors.get_org(self.user, code=code) if code else task.issuer
        if not node.path.startswith(task.issuer_path):
            raise Http404
        scope.ensure(self.user, scope.CHANGE, node.path)
        form = RemindForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        n = services.remind(actor=self.user, task=task, node=node, note=note)
        if n:
            messages.success(request, _("已督办%(n)s个逾期未完成的组织") % {"n": n})
        else:
            messages.info(request, _("没有逾期未完成的组织"))
        return redirect(f"{reverse('tasks:detail', kwargs={'pk': task.pk})}?org={node.code}")


class AssignmentView(ObjectView):
    def lookup(self, *, pk: int) -> Assignment:
        return selectors.get_assignment(self.user, pk)


class AssignmentDetail(AssignmentView, ObjectDetailView):
    """The task as the organization received it: proposals to confirm, the answer form, reminders."""

    template_name = "tasks/assignment.html"

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        a = self.object
        task = a.task
        can_change = scope.can(self.user, scope.CHANGE, a.org_path)
        form = None
        withdraw_form = extra.pop("withdraw_form", None)
        if withdraw_form is None and can_change and a.may_withdraw_on(timezone.localdate()):
            withdraw_form = WithdrawForm()
        if a.is_open and not a.relay and not task.by_record:
            form = extra.pop("form", None) or AnswerForm(
                kind=task.answer_kind, number_label=task.number_label
            )
        return super().get_context_data(
            a=a,
            task=task,
            can_change=can_change,
            proposals=selectors.proposals(a),
            answer_form=form,
            reminders=selectors.reminders_of(a),
            chain=_chain(task),
            passed=getattr(a, "passed_on_as", None) if a.relay else None,
            today=timezone.localdate(),
            record_url=_record_url(a),
            new_record_url=_new_record_url(a),
            new_record_label=task.answer_record_kind.new_label if task.by_record else "",
            withdrawals=selectors.withdrawals_of(a),
            withdraw_form=withdraw_form,
            **extra,
        )


def _chain(task: Task) -> list[Task]:
    """The task and the ones it was passed on from, top first."""
    chain = [task]
    while chain[0].parent_id:
        chain.insert(0, chain[0].parent)
    return chain


def _record_url(a: Assignment) -> str:
    spec = record_kind(a.record_kind) if a.record_kind else None
    if spec is None or a.record_id is None:
        return ""
    return spec.url(a.org, a.record_id)


def _new_record_url(a: Assignment) -> str:
    spec = a.task.answer_record_kind
    return spec.new_url(a.org, a.task) if spec is not None else ""


class Confirm(AssignmentView):
    """The branch confirms a proposed record as its answer (one click, POST)."""

    http_method_names = ["post"]
    action = scope.CHANGE
    denied = gettext_lazy("您没有办理此任务的权限")

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        record = request.POST.get("record", "")
        try:
            services.confirm_record(
                actor=self.user,
                assignment=self.object,
                record_id=int(record) if record.isascii() and record.isdigit() and len(record) <= 18 else 0,
            )
        except ValidationError as e:
            for m in e.messages:
                messages.error(request, m)
        else:
            messages.success(request, _("已确认，任务完成"))
        return redirect(self.object.get_absolute_url())


class Answer(AssignmentView):
    """The small form of a text, number or file answer (POST; errors are shown on the task page)."""

    http_method_names = ["post"]
    action = scope.CHANGE
    denied = gettext_lazy("您没有办理此任务的权限")

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        a = self.object
        form = AnswerForm(
            request.POST, request.FILES, kind=a.task.answer_kind, number_label=a.task.number_label
        )
        if form.is_valid():
            try:
                services.answer(actor=self.user, assignment=a, **form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已答复，任务完成"))
                return redirect(a.get_absolute_url())
        view = AssignmentDetail()
        view.setup(request, pk=a.pk)
        view.object = a
        return render(request, view.template_name, view.get_context_data(form=form), status=400)


class Withdraw(AssignmentView):
    """撤回: the branch takes its answer back before the deadline, with a reason (POST)."""

    http_method_names = ["post"]
    action = scope.CHANGE
    denied = gettext_lazy("您没有办理此任务的权限")

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        a = self.object
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.withdraw(actor=self.user, assignment=a, reason=form.cleaned_data["reason"])
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已撤回答复，任务重新待办"))
                return redirect(a.get_absolute_url())
        view = AssignmentDetail()
        view.setup(request, pk=a.pk)
        view.object = a
        return render(request, view.template_name, view.get_context_data(withdraw_form=form), status=400)


class PassOn(AssignmentView, ObjectFormView):
    """转办: the committee that received the task passes it on, with its own deadline."""

    template_name = "tasks/form.html"
    denied = gettext_lazy("您没有办理此任务的权限")

    def check(self) -> HttpResponse | None:
        if not self.object.relay or self.object.answered_on is not None:
            messages.warning(self.request, _("这项任务不需要转办或已经转办"))
            return redirect(self.object.get_absolute_url())
        return None

    def get_form(self, data: Any, files: Any) -> PassOnForm:
        return PassOnForm(data, initial={"deadline": self.object.deadline, "target": "all_branches"})

    def perform(self, form: PassOnForm) -> tuple[Task, str]:
        task = services.pass_on(actor=self.user, assignment=self.object, **form.service_fields())
        return task, _("已转办给%(n)s个组织") % {"n": task.assigned}

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"title": _("转办：%(title)s") % {"title": self.object.task.title}, "a": self.object, **extra}


def answer_file(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    a = selectors.get_assignment(request.user, pk)
    if not a.file:
        raise Http404
    return FileResponse(a.file.open("rb"), as_attachment=True, filename=a.file_name or "file")


# Responsibility lists ---------------------------------------------------------------------------------------


def _org_and_year(request: HttpRequest, user: Any) -> tuple[Any, int]:
    code = request.GET.get("org", "").strip()
    if code:
        org = org_selectors.get_org(user, code=code)
    else:
        org = org_selectors.scope_roots(user).first()
        if org is None:
            raise Http404
    year_text = request.GET.get("year", "")
    year = (
        int(year_text)
        if year_text.isdigit() and 2000 <= int(year_text) <= 2100
        else timezone.localdate().year
    )
    return org, year


class Responsibilities(ScopedView):
    """责任清单 of an organization's subtree for a year, read top-down."""

    def get(self, request: HttpRequest) -> HttpResponse:
        org, year = _org_and_year(request, self.user)
        return render(
            request,
            "tasks/responsibilities.html",
            {
                "org": org,
                "year": year,
                "lists": selectors.responsibility_lists(self.user, org, year),
                "can_change": scope.can(self.user, scope.CHANGE, org.path) and not org.is_branch,
                "ancestors": org_selectors.ancestors_in_scope(self.user, org),
            },
        )


class ResponsibilityAdd(ScopedView):
    """Add an item to the organization's list of the year (GET the form, POST it)."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        org, year = _org_and_year(request, self.user)
        scope.ensure(self.user, scope.CHANGE, org.path)
        form = ResponsibilityForm(request.POST if request.method == "POST" else None, org=org)
        if request.method == "POST" and form.is_valid():
            try:
                services.add_responsibility(actor=self.user, org=org, year=year, **form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已添加责任事项"))
                return redirect(f"{reverse('tasks:responsibilities')}?org={org.code}&year={year}")
        return render(
            request,
            "tasks/form.html",
            {
                "form": form,
                "title": _("%(org)s %(year)s年度责任清单：添加事项") % {"org": org.name, "year": year},
            },
        )

    post = get


class ResponsibilityDelete(ObjectView):
    http_method_names = ["post"]
    action = scope.CHANGE

    def lookup(self, *, pk: int) -> Any:
        return selectors.get_responsibility_item(self.user, pk)

    def get_object(self) -> Any:
        item = self.lookup(**self.kwargs)
        if not scope.can(self.user, scope.CHANGE, item.list.org_path):
            raise PermissionDenied(_("您没有执行此操作的权限"))
        return item

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        item = self.object
        org, year = item.list.org, item.list.year
        services.remove_responsibility(actor=self.user, item=item)
        messages.success(request, _("已删除责任事项"))
        return redirect(f"{reverse('tasks:responsibilities')}?org={org.code}&year={year}")
