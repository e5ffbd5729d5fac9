"""Import and export pages: thin views over roster.services (writes) and roster.selectors (reads).

Upload → the validation report (every error, paged; the bad rows as .xlsx) → confirm → the import
runs in the background with a progress bar (htmx polling) → the summary. An import job is visible
to the user who uploaded it only (404 for anyone else); what it may touch is that user's scope,
checked row by row by the importer. Export: the roster of an organization's subtree (404 outside
the scope; full identity numbers 403 without the right to change the subtree).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core import scope
from jiceng.orgs import selectors as org_selectors

from . import exporter, selectors, services
from .forms import UploadForm
from .importer import summary_lines
from .models import ImportJob


def _job_context(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    counts = job.counts or {}
    context: dict[str, Any] = {
        "job": job,
        "summary": summary_lines(counts.get("tables", {}), [tuple(x) for x in counts.get("extra", [])]),
        "progress": services.read_progress(job) if job.is_active else None,
    }
    if job.status == ImportJob.Status.INVALID:
        context["page_obj"] = selectors.error_page(job, request.GET.get("page"))
    if job.status == ImportJob.Status.DONE:
        context["next_steps"] = next_steps(request.user, job)
    return context


def _url(name: str, **kwargs: Any) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:  # the app that offers the page is not installed
        return None


def next_steps(user: Any, job: ImportJob) -> list[tuple[str, str]]:
    """What to do after an import: the health check of the subtree it wrote (the deepest organization
    covering it, else the user's first), accounts for the secretaries (for who may give them), more."""
    steps: list[tuple[str, str]] = []
    visible = org_selectors.visible_orgs(user, scope.VIEW)
    org = visible.filter(path=job.org_path).first() if job.org_path else None
    org = org or next(iter(org_selectors.scope_roots(user)), None)
    if org is not None and (url := _url("reports:health", code=org.code)):
        steps.append((url, _("查看%(name)s的合规体检") % {"name": org.name}))
    if scope.paths_for(user, scope.MANAGE) and (url := _url("accounts:secretaries")):
        query = f"?org={org.code}" if org is not None and scope.can(user, scope.MANAGE, org.path) else ""
        steps.append((url + query, _("为书记开通账号")))
    steps.append((reverse("roster:import"), _("继续导入")))
    return steps


def _percent(progress: dict[str, Any] | None) -> int:
    return int(round(100 * float((progress or {}).get("fraction") or 0)))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """导入花名册: choose the files."""
    if not services.can_import(request.user):
        raise PermissionDenied(_("您没有可导入数据的党组织"))
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.start_import(
                actor=request.user,
                files=form.cleaned_data["files"],
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("files", message)
        else:
            return redirect("roster:job", job=job.uuid)
    return render(request, "roster/import.html", {"form": form, "jobs": selectors.recent_jobs(request.user)})


@never_cache
@login_required
@require_GET
def job_detail(request: HttpRequest, job: Any) -> HttpResponse:
    """The job's page: progress while it runs, then the report (errors) or the summary."""
    found = selectors.get_job(request.user, job)
    if found.is_active:
        services.recover_stale_jobs(job=found)  # a worker that died leaves no job "running" forever
    context = _job_context(request, found)
    context["percent"] = _percent(context["progress"])
    if request.headers.get("HX-Request") == "true" and "page" in request.GET:
        response = render(request, "roster/job.html#errors", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    return render(request, "roster/job.html", context)


@never_cache
@login_required
@require_GET
def job_progress(request: HttpRequest, job: Any) -> HttpResponse:
    """The progress bar, polled by htmx; once the job has finished, the page reloads to show the result."""
    found = selectors.get_job(request.user, job)
    if found.is_active:
        services.recover_stale_jobs(job=found)
    if not found.is_active:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    progress = services.read_progress(found)
    return render(
        request,
        "roster/job.html#progress",
        {"job": found, "progress": progress, "percent": _percent(progress)},
    )


@login_required
@require_POST
def job_confirm(request: HttpRequest, job: Any) -> HttpResponse:
    found = selectors.get_job(request.user, job)
    try:
        services.confirm_import(actor=request.user, job=found)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("roster:job", job=found.uuid)


@login_required
@require_POST
def job_retry(request: HttpRequest, job: Any) -> HttpResponse:
    """Check a failed job's files again (its worker died, say)."""
    found = selectors.get_job(request.user, job)
    try:
        services.retry_import(actor=request.user, job=found)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("roster:job", job=found.uuid)


@login_required
@require_POST
def job_discard(request: HttpRequest, job: Any) -> HttpResponse:
    found = selectors.get_job(request.user, job)
    try:
        services.discard_import(actor=request.user, job=found)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("roster:job", job=found.uuid)
    messages.success(request, _("已放弃该导入，上传的文件已删除"))
    return redirect("roster:import")


@never_cache
@login_required
@require_GET
def job_bad_rows(request: HttpRequest, job: Any) -> HttpResponse:
    """The rows with errors, as uploaded, with a 错误原因 column (full values: it is the user's own file)."""
    found = selectors.get_job(request.user, job)
    try:
        path = services.download_bad_rows(actor=request.user, job=found)
    except ValidationError as e:
        raise Http404 from e
    return FileResponse(open(path, "rb"), as_attachment=True, filename=_("导入错误行.xlsx"))  # noqa: SIM115


@never_cache
@login_required
@require_GET
def export(request: HttpRequest, code: str) -> HttpResponse:
    """导出花名册: ``?format=xlsx|csv`` (csv comes as a .zip of orgs.csv and members.csv), ``&full_id=1``."""
    org = org_selectors.get_org(request.user, code=code)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in exporter.FORMATS:
        return HttpResponseBadRequest(_("导出格式应为xlsx或csv"))
    full_id = request.GET.get("full_id") == "1"
    if full_id and not scope.can(request.user, scope.CHANGE, org.path):
        raise PermissionDenied(_("您没有导出完整公民身份号码的权限"))
    work = Path(tempfile.mkdtemp(prefix="jiceng-export-"))
    try:
        stamp = timezone.localdate().strftime("%Y%m%d")
        name = f"{_('党员花名册')}-{org.code}-{stamp}"
        if fmt == "xlsx":
            target = work / "roster.xlsx"
            services.export_roster(actor=request.user, org=org, fmt=fmt, full_id=full_id, output=target)
            filename = f"{name}.xlsx"
        else:
            services.export_roster(actor=request.user, org=org, fmt=fmt, full_id=full_id, output=work / "csv")
            target = work / "roster.zip"
            exporter.zip_folder(work / "csv", target)
            filename = f"{name}.zip"
        handle = open(target, "rb")  # noqa: SIM115 (FileResponse closes it; the directory goes now)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return FileResponse(handle, as_attachment=True, filename=filename)
