"""Writes of the roster app: import jobs from the page, and exports (audited, scoped)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.context import action_context
from jiceng.core.models import User
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import exporter, readers
from .formats import neutralize
from .handlers import base
from .importer import ImportResult, InputFile, iter_problems, run_import
from .models import ImportJob

logger = logging.getLogger(__name__)

MAX_UPLOAD_FILES = 10
ALLOWED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


# Export --------------------------------------------------------------------------------------------


def export_roster(
    *, actor: User | None, org: Organization, fmt: str, full_id: bool, output: Path
) -> exporter.ExportCounts:
    """Write the roster of ``org``'s subtree to ``output`` (a .xlsx file, or a folder of CSV files).

    ``actor`` None is the console's system export. Otherwise the organization must be visible (404)
    and full identity numbers need the right to change the subtree (403). Audited either way.
    """
    if fmt not in exporter.FORMATS:
        raise ValidationError({"format": ValidationError(_("导出格式应为xlsx或csv"), code="format")})
    if actor is not None:
        scope.ensure(actor, scope.VIEW, org.path)
        if full_id and not scope.can(actor, scope.CHANGE, org.path):
            raise PermissionDenied(_("您没有导出完整公民身份号码的权限"))
    if fmt == "xlsx":
        counts = exporter.write_xlsx(output, actor=actor, org=org, full_id=full_id)
    else:
        counts = exporter.write_csv_folder(output, actor=actor, org=org, full_id=full_id)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=audit.Action.EXPORT,
            obj=org,
            after={"format": fmt, "full_id": full_id, "rows": counts.rows},
            message=(
                _("导出党员花名册（%(fmt)s，完整公民身份号码）")
                if full_id
                else _("导出党员花名册（%(fmt)s，公民身份号码已脱敏）")
            )
            % {"fmt": fmt},
        )
    return counts


def org_for_export(*, actor: User | None, code: str) -> Organization:
    """The organization by code: within the actor's scope (404 outside), any for the console."""
    if actor is None:
        org = Organization.objects.filter(code=code).first()
        if org is None:
            raise ValidationError(
                {"org": ValidationError(_("组织编码%(code)s不存在") % {"code": code}, code="org_unknown")}
            )
        return org
    return org_selectors.get_org(actor, code=code)


# Import jobs (the page) --------------------------------------------------------------------------------


# A stored file's name in bytes (file systems allow 255) and an uploaded name as shown (characters).
MAX_STORED_NAME_BYTES = 120
MAX_SHOWN_NAME_CHARS = 200


def _safe_name(name: str) -> str:
    """The name a file is stored under: safe characters, at most ``MAX_STORED_NAME_BYTES`` bytes with
    its suffix kept (a 150-character Chinese name is 450 bytes: too long for the file system)."""
    base_name = os.path.basename(name).strip() or "upload"
    safe = re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", base_name)
    stem, dot, suffix = safe.rpartition(".")
    if not dot or len(suffix) > 8:
        stem, suffix = safe, ""
    suffix = f".{suffix}" if suffix else ""
    room = MAX_STORED_NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:room].decode(errors="ignore") or "upload"
    return stem + suffix


def _shown_name(name: str) -> str:
    base_name = os.path.basename(name).replace("\x00", "").strip() or "upload"
    return (
        base_name if len(base_name) <= MAX_SHOWN_NAME_CHARS else base_name[: MAX_SHOWN_NAME_CHARS - 1] + "…"
    )


def _size_text(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


def can_import(user: User) -> bool:
    return bool(scope.paths_for(user, scope.CHANGE))


def start_import(*, actor: User, files: list[UploadedFile], ip_address: str | None = None) -> ImportJob:
    """Store the uploaded files and queue their validation (the report comes back on the job's page)."""
    from . import tasks

    if not can_import(actor):
        raise PermissionDenied(_("您没有可导入数据的党组织"))
    if not files:
        raise ValidationError({"files": ValidationError(_("请选择要导入的文件"), code="required")})
    if len(files) > MAX_UPLOAD_FILES:
        raise ValidationError(
            {
                "files": ValidationError(
                    _("一次最多上传%(n)d个文件") % {"n": MAX_UPLOAD_FILES}, code="too_many"
                )
            }
        )
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    for f in files:
        if not f.name.lower().endswith(ALLOWED_SUFFIXES):
            raise ValidationError(
                {
                    "files": ValidationError(
                        _("%(name)s：只支持CSV或.xlsx文件") % {"name": _shown_name(f.name)}, code="file_type"
                    )
                }
            )
        if f.size is not None and f.size > limit:
            raise ValidationError(
                {
                    "files": ValidationError(
                        _("%(name)s：文件大小%(size)s，超过上限%(limit)s")
                        % {
                            "name": _shown_name(f.name),
                            "size": _size_text(f.size),
                            "limit": _size_text(limit),
                        },
                        code="file_too_large",
                    )
                }
            )
    total = sum(f.size or 0 for f in files)
    if total > limit:
        raise ValidationError(
            {
                "files": ValidationError(
                    _("文件共%(size)s，超过一次导入的上限%(limit)s")
                    % {"size": _size_text(total), "limit": _size_text(limit)},
                    code="file_too_large",
                )
            }
        )
    job = ImportJob.objects.create(created_by=actor, ip_address=ip_address, status=ImportJob.Status.CHECKING)
    try:
        job.directory.mkdir(parents=True, exist_ok=True)
        stored = []
        used: set[str] = set()
        for i, f in enumerate(files):
            name = _safe_name(f.name)
            if name in used:
                name = f"{i}-{name}"
            used.add(name)
            with open(job.directory / name, "wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
            stored.append({"name": _shown_name(f.name), "path": name})
    except OSError as e:  # a full disk, a name the file system refuses: no job left "checking"
        logger.exception("import upload %s could not be stored", job.uuid)
        _remove_files(job)
        job.delete()
        raise ValidationError(
            {"files": ValidationError(_("无法保存上传的文件，请稍后重试"), code="file_store")}
        ) from e
    job.files = stored
    job.save(update_fields=["files"])
    result = tasks.check_import.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def confirm_import(*, actor: User, job: ImportJob) -> ImportJob:
    """Run a validated job in the background."""
    from . import tasks

    if job.created_by_id != actor.pk:
        raise PermissionDenied
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALID).update(
        status=ImportJob.Status.QUEUED
    )
    if not updated:
        raise ValidationError({"status": ValidationError(_("只有校验通过的导入才能确认"), code="not_valid")})
    result = tasks.run_import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def discard_import(*, actor: User, job: ImportJob) -> ImportJob:
    if job.created_by_id != actor.pk:
        raise PermissionDenied
    if job.status not in (ImportJob.Status.VALID, ImportJob.Status.INVALID, ImportJob.Status.FAILED):
        raise ValidationError({"status": ValidationError(_("该导入不能放弃"), code="not_discardable")})
    _remove_files(job)
    job.status = ImportJob.Status.DISCARDED
    job.save(update_fields=["status"])
    return job


def _remove_files(job: ImportJob) -> None:
    shutil.rmtree(job.directory, ignore_errors=True)


def _inputs(job: ImportJob) -> list[InputFile]:
    return [InputFile(path=job.directory / f["path"], name=f["name"]) for f in job.files]


def _progress(job: ImportJob) -> Any:
    path = job.progress_path

    def write(phase: str, rows: int, fraction: float) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"phase": phase, "rows": rows, "fraction": round(fraction, 4)}), encoding="utf-8"
        )
        os.replace(tmp, path)

    return write


def read_progress(job: ImportJob) -> dict[str, Any]:
    """What the running task last wrote: the table being read, rows read, the fraction done."""
    try:
        return json.loads(job.progress_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"phase": "", "rows": 0, "fraction": 0.0}


def _store_result(job: ImportJob, result: ImportResult) -> None:
    job.rows = result.rows
    job.error_count = result.error_count
    job.error_codes = result.error_codes
    job.counts = {"tables": result.counts, "extra": [[str(label), n] for label, n in result.extra]}
    job.notices = [str(n) for n in result.notices]
    job.org_path = result.org_path


def _run(job: ImportJob, *, check_only: bool) -> ImportResult:
    with action_context(source="web", ip_address=job.ip_address):
        return run_import(
            actor=job.created_by,
            files=_inputs(job),
            check_only=check_only,
            report_path=job.errors_path,
            progress=_progress(job),
        )


# Jobs whose worker died, and old uploads -----------------------------------------------------------


class _Heartbeat:
    """While a worker runs a job, a thread touches the job's heartbeat file every
    ``settings.IMPORT_HEARTBEAT_SECONDS``; ``recover_stale_jobs`` takes a job whose file has not been
    touched for ``settings.IMPORT_STALE_SECONDS`` as one whose worker is gone."""

    def __init__(self, job: ImportJob) -> None:
        self.path = job.heartbeat_path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"import-heartbeat-{job.pk}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(settings.IMPORT_HEARTBEAT_SECONDS):
            try:
                self.path.touch()
            except OSError:  # the directory was removed (discarded): nothing left to beat for
                return

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


STALE_STATUSES = (ImportJob.Status.CHECKING, ImportJob.Status.RUNNING)


def is_stale(job: ImportJob, *, now: float | None = None) -> bool:
    """A job a worker started (it has a heartbeat, or it is running) whose heartbeat stopped."""
    if job.status not in STALE_STATUSES:
        return False
    now = time.time() if now is None else now
    limit = settings.IMPORT_STALE_SECONDS
    try:
        beat = job.heartbeat_path.stat().st_mtime
    except OSError:
        if job.status != ImportJob.Status.RUNNING or job.started_at is None:
            return False  # still waiting for a worker: not ours to judge
        beat = job.started_at.timestamp()
    return now - beat > limit


def recover_stale_jobs(*, job: ImportJob | None = None) -> int:
    """Mark failed the jobs (or ``job``) whose worker is gone: they can then be discarded or checked
    again. Called by every import task before its own work, by the job's page, and by
    ``jiceng imports --sweep``. A dead worker's transaction was rolled back by the database when its
    connection closed (its reading process dies with it: ``parallel``), so nothing was written."""
    candidates = [job] if job is not None else ImportJob.objects.filter(status__in=STALE_STATUSES)
    now = time.time()
    failed = 0
    for candidate in candidates:
        if not is_stale(candidate, now=now):
            continue
        failure = _("导入进程意外终止（%(n)d秒没有心跳），没有写入任何数据；可重新校验或放弃") % {
            "n": settings.IMPORT_STALE_SECONDS
        }
        updated = ImportJob.objects.filter(pk=candidate.pk, status=candidate.status).update(
            status=ImportJob.Status.FAILED, failure=failure, finished_at=timezone.now()
        )
        if updated:
            logger.warning("import job %s: worker gone, marked failed", candidate.uuid)
            candidate.refresh_from_db()
            failed += 1
    return failed


PURGED_STATUSES = (
    ImportJob.Status.DONE,
    ImportJob.Status.FAILED,
    ImportJob.Status.DISCARDED,
    ImportJob.Status.INVALID,
    ImportJob.Status.VALID,
)


def purge_old_jobs(*, now: dt.datetime | None = None) -> int:
    """Delete the uploads and reports (personal data) of jobs that ended, failed, were discarded or
    were left unconfirmed more than ``settings.IMPORT_RETENTION_DAYS`` ago; a job left valid or
    invalid becomes discarded. The job rows stay (who imported what, when)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.IMPORT_RETENTION_DAYS)
    purged = 0
    ended = ImportJob.objects.annotate(ended=Coalesce("finished_at", "checked_at", "created_at"))
    for job in ended.filter(status__in=PURGED_STATUSES, ended__lt=cutoff):
        if not job.directory.exists():
            continue
        _remove_files(job)
        purged += 1
        if job.status in (ImportJob.Status.VALID, ImportJob.Status.INVALID):
            ImportJob.objects.filter(pk=job.pk, status=job.status).update(
                status=ImportJob.Status.DISCARDED,
                failure=_("超过%(days)d天的保留期限，上传的文件已自动删除")
                % {"days": settings.IMPORT_RETENTION_DAYS},
            )
    return purged


def sweep() -> tuple[int, int]:
    """(jobs found dead, jobs whose files were deleted): what ``jiceng imports --sweep`` does."""
    return recover_stale_jobs(), purge_old_jobs()


def retry_import(*, actor: User, job: ImportJob) -> ImportJob:
    """Check a failed job's files again (a worker died, or a bug since fixed): back to the report."""
    from . import tasks

    if job.created_by_id != actor.pk:
        raise PermissionDenied
    if job.status != ImportJob.Status.FAILED or not all(p.is_file() for p in job.paths):
        raise ValidationError(
            {"status": ValidationError(_("只有失败且文件仍在的导入才能重新校验"), code="not_retryable")}
        )
    job.errors_path.unlink(missing_ok=True)
    job.heartbeat_path.unlink(missing_ok=True)
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
        status=ImportJob.Status.CHECKING,
        failure="",
        rows=0,
        error_count=0,
        error_codes={},
        counts={},
        notices=[],
        started_at=None,
        finished_at=None,
    )
    if not updated:
        raise ValidationError(
            {"status": ValidationError(_("只有失败且文件仍在的导入才能重新校验"), code="not_retryable")}
        )
    result = tasks.check_import.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def _before_task() -> None:
    """What every import task does first: take over from a dead worker, delete expired uploads."""
    try:
        sweep()
    except Exception:  # never let housekeeping stop the job itself
        logger.exception("import sweep failed")


def check_job(job_id: int) -> None:
    """The background validation of an uploaded job (the task body)."""
    _before_task()
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.Status.CHECKING:
        return
    try:
        with _Heartbeat(job):
            result = _run(job, check_only=True)
    except Exception as e:  # a bug, not bad data: keep the files, say so on the page
        logger.exception("import check %s failed", job.uuid)
        job.status, job.failure, job.finished_at = ImportJob.Status.FAILED, str(e)[:2000], timezone.now()
        job.save()
        return
    _store_result(job, result)
    job.status = ImportJob.Status.VALID if result.ok else ImportJob.Status.INVALID
    job.checked_at = timezone.now()
    job.save()


def run_job(job_id: int) -> None:
    """The background import of a confirmed job (the task body): all or nothing."""
    _before_task()
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.Status.QUEUED:
        return
    job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    try:
        with _Heartbeat(job):
            result = _run(job, check_only=False)
    except Exception as e:
        logger.exception("import %s failed", job.uuid)
        job.status, job.failure, job.finished_at = ImportJob.Status.FAILED, str(e)[:2000], timezone.now()
        job.save()
        return
    _store_result(job, result)
    job.finished_at = timezone.now()
    if result.ok:
        job.status = ImportJob.Status.DONE
        _remove_files(job)  # the uploads hold identity numbers: gone once imported
    elif set(result.error_codes) == {"import_running"}:  # try again later: 重新校验, then confirm
        job.status, job.failure = ImportJob.Status.FAILED, "；".join(p.message for p in result.problems)
    else:  # the data changed between the check and the run: nothing was written
        job.status = ImportJob.Status.INVALID
    job.save()


def download_bad_rows(*, actor: User, job: ImportJob) -> Path:
    """The bad-rows workbook for its uploader, audited like every export: it holds the file's rows in
    full (identity numbers included)."""
    if job.created_by_id != actor.pk:
        raise PermissionDenied
    if job.status != ImportJob.Status.INVALID or not job.directory.exists():
        raise ValidationError({"status": ValidationError(_("该导入没有可下载的错误行"), code="no_bad_rows")})
    path = bad_rows_workbook(job)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=audit.Action.EXPORT,
            obj=job,
            org_path=job.org_path,
            after={
                "format": "xlsx",
                "bad_rows": True,
                "errors": job.errors_stored,
                "files": [f["name"] for f in job.files],
            },
            message=_("下载导入错误行（.xlsx，含完整公民身份号码）"),
        )
    return path


def not_shown_text(job: ImportJob) -> str:
    """ "另有N处错误未列出：…" with the counts by code of every error (the report stores the first ones)."""
    codes = "、".join(f"{code} {n}" for code, n in (job.error_codes or {}).items())
    return _("另有%(n)d处错误未列出（只保存前%(stored)d处）；全部错误按代码：%(codes)s") % {
        "n": job.errors_not_shown,
        "stored": job.errors_stored,
        "codes": codes,
    }


def bad_rows_workbook(job: ImportJob) -> Path:
    """An .xlsx of the rows with errors, as uploaded, each with a 错误原因 column; file-level errors
    on a sheet of their own. Fix it, upload it again.

    Bounded whatever the upload: the report stores the first ``settings.IMPORT_MAX_ERRORS`` errors,
    so the workbook has at most that many rows (cells cut as the reader cuts them), and each source is
    read only up to its last bad row. The errors counted beyond get a line saying how many, by code.
    """
    from openpyxl import Workbook

    by_source: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    general: list[list[str]] = []
    for p in iter_problems(job.errors_path):
        reason = f"{p.column}：{p.message}（{p.code}）" if p.column else f"{p.message}（{p.code}）"
        if p.row is None:
            general.append([p.file, reason])
        else:
            by_source[p.file][p.row].append(reason)
    workbook = Workbook(write_only=True)
    titles: set[str] = set()

    def sheet(title: str) -> Any:
        title = re.sub(r"[\[\]\*\?/\\:]", "_", title)[:28] or "Sheet"
        unique, n = title, 1
        while unique in titles:
            n += 1
            unique = f"{title[:25]}_{n}"
        titles.add(unique)
        return workbook.create_sheet(unique)

    for f in _inputs(job):
        try:
            sources = readers.open_sources(f.path, lambda h: base.identify(h) is not None, display=f.name)
        except readers.SourceError:
            continue
        for source in sources:
            bad = by_source.get(source.display)
            if not bad:
                continue
            handler = base.identify(source.headers)
            ws = sheet(handler.sheet_name if handler else source.display)
            ws.append([_("行号"), *source.headers, _("错误原因")])
            last = max(bad)
            try:
                for number, cells in source.rows():
                    if number in bad:
                        ws.append([number, *(neutralize(c) for c in cells), "；".join(bad[number])])
                    if number >= last:
                        break
            except readers.SourceError:
                pass
            for number in sorted(n for n in bad if n <= source.header_row):  # header problems
                ws.append([number, *([""] * len(source.headers)), "；".join(bad[number])])
    if job.errors_not_shown:
        general.append(["", not_shown_text(job)])
    if general:
        ws = sheet(_("文件错误"))
        ws.append([_("文件"), _("错误原因")])
        for row in general:
            ws.append([neutralize(c) for c in row])
    target = job.directory / "bad-rows.xlsx"
    fd, tmp = tempfile.mkstemp(dir=job.directory, suffix=".xlsx")
    os.close(fd)
    workbook.save(tmp)
    os.replace(tmp, target)
    return target
