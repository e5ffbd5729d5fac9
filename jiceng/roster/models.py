from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One upload on the import page: its files, the validation report and, once confirmed, the run.

    The uploaded files (personal data: identity numbers) live under ``MEDIA_ROOT/imports/<uuid>/``
    and are deleted when the job ends (imported or discarded). Every error of a report is kept in
    ``errors.jsonl`` beside them, not in this row: a bad file can carry a million errors.
    """

    class Status(models.TextChoices):
        CHECKING = "checking", _("正在校验")
        INVALID = "invalid", _("校验未通过")
        VALID = "valid", _("校验通过，待确认")
        QUEUED = "queued", _("排队等待导入")
        RUNNING = "running", _("正在导入")
        DONE = "done", _("导入完成")
        FAILED = "failed", _("导入失败")
        DISCARDED = "discarded", _("已放弃")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("上传人")
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.CHECKING)
    # [{"name": original file name, "path": path relative to the job directory}]
    files = models.JSONField(_("文件"), default=list)
    # The deepest organization path covering everything the job touched (for the audit trail).
    org_path = models.CharField(max_length=255, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    # Every error counted by code: errors.jsonl holds the first settings.IMPORT_MAX_ERRORS only.
    error_codes = models.JSONField(_("错误数（按代码）"), default=dict, blank=True)
    # {"orgs": {"created": n, "updated": n, "unchanged": n}, "members": {...}}
    counts = models.JSONField(_("导入结果"), default=dict, blank=True)
    notices = models.JSONField(_("提示"), default=list, blank=True)
    failure = models.TextField(_("失败原因"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        names = "、".join(f["name"] for f in self.files) or str(self.uuid)
        return f"{names} ({self.get_status_display()})"

    @property
    def directory(self) -> Path:
        return Path(settings.MEDIA_ROOT) / "imports" / str(self.uuid)

    @property
    def paths(self) -> list[Path]:
        return [self.directory / f["path"] for f in self.files]

    @property
    def errors_path(self) -> Path:
        return self.directory / "errors.jsonl"

    @property
    def progress_path(self) -> Path:
        return self.directory / "progress.json"

    @property
    def heartbeat_path(self) -> Path:
        """Touched every few seconds by the worker running the job (a file: the import's own
        transaction may hold SQLite's write lock, so the database cannot carry it)."""
        return self.directory / "heartbeat"

    @property
    def errors_stored(self) -> int:
        return min(self.error_count, settings.IMPORT_MAX_ERRORS)

    @property
    def errors_not_shown(self) -> int:
        return max(0, self.error_count - self.errors_stored)

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.QUEUED, self.Status.RUNNING)
