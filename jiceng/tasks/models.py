"""Tasks down the tree (任务 / 督办) and responsibility lists (责任清单).

A committee issues a ``Task`` to its subtree; each organization the task reaches gets one
``Assignment``: a branch answers it (by confirming a record that fits, or with a text, a number or a
file), a committee reached "one level down" passes it on to its own subtree with its own deadline (a
child ``Task`` whose ``relay`` is that assignment). ``TaskTally`` keeps, for every committee of a task
tree, the counts over its subtree (maintained by every write, so the issuer's completion view reads a
handful of rows whatever the number of branches). ``Reminder`` records a 督办 sent to a late one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core import registry
from jiceng.core.scope import ScopedQuerySet


class Target(models.TextChoices):
    ALL_BRANCHES = "all_branches", _("下辖全部党支部")
    UNIT_KIND = "unit_kind", _("某一单位类别的党支部")
    CHOSEN = "chosen", _("指定的党支部")
    NEXT_LEVEL = "next_level", _("下一级组织（由其转办）")


class AnswerKind(models.TextChoices):
    """The answers the tasks app itself takes. Records of other apps answer a task through the kinds
    they register with ``core.registry.task_record_kinds`` (``answer_kinds()``): the meeting and the
    development step are two of those, their codes kept here for the existing callers."""

    MEETING = "meeting", _("一次组织生活记录")
    DEVELOPMENT_STEP = "development_step", _("一个发展党员环节记录")
    TEXT = "text", _("简短文字")
    NUMBER = "number", _("一个数字")
    FILE = "file", _("一个文件（须说明理由）")


TYPED = (AnswerKind.TEXT, AnswerKind.NUMBER, AnswerKind.FILE)


def record_kind(key: str) -> registry.TaskRecordKind | None:
    """The registered record kind of ``key`` (None: not a record kind, or its app is not installed)."""
    return registry.task_record_kinds[key] if key in registry.task_record_kinds else None  # noqa: SIM401


def answer_kinds() -> list[tuple[str, str]]:
    """(code, label) of every way to answer a task: the registered record kinds in their order, then a
    text, a number, a file."""
    return [(k.key, str(k.label)) for k in registry.task_record_kinds] + [
        (k.value, str(k.label)) for k in TYPED
    ]


class TaskQuerySet(ScopedQuerySet):
    scope_path_field = "issuer_path"


class Task(models.Model):
    """One task as an organization issued it (a pass-on is a task of its own, ``parent`` the one passed
    on, ``root`` the first of the chain: the counts of the whole chain are kept under the root)."""

    issuer = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="issued_tasks", verbose_name=_("下达组织")
    )
    issuer_path = models.CharField(max_length=255, editable=False)
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="passed_on",
        verbose_name=_("上级任务"),
    )
    root = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    relay = models.OneToOneField(
        "Assignment", on_delete=models.CASCADE, null=True, blank=True, related_name="passed_on_as"
    )
    title = models.CharField(_("任务名称"), max_length=200)
    instructions = models.TextField(_("任务要求"), blank=True)
    deadline = models.DateField(_("完成期限"))
    issued_on = models.DateField(_("下达日期"))
    target = models.CharField(_("下达范围"), max_length=16, choices=Target.choices)
    unit_kind = models.CharField(_("单位类别"), max_length=24, blank=True)
    # A code of ``answer_kinds()``: no fixed choices, the record kinds are registered by other apps.
    answer_kind = models.CharField(_("完成方式"), max_length=20)
    meeting_kind = models.CharField(_("会议类型"), max_length=32, blank=True)
    topic_keyword = models.CharField(_("主题关键词"), max_length=50, blank=True)
    step_kind = models.CharField(_("发展党员环节"), max_length=24, blank=True)
    window_start = models.DateField(_("记录日期自"), null=True, blank=True)
    window_end = models.DateField(_("记录日期至"), null=True, blank=True)
    file_reason = models.CharField(_("需要文件的理由"), max_length=300, blank=True)
    number_label = models.CharField(_("数字的含义"), max_length=60, blank=True)
    assigned = models.PositiveIntegerField(_("下达组织数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["issuer_path"], name="task_issuer_path", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tasks:detail", kwargs={"pk": self.pk})

    def audit_org_path(self) -> str:
        return self.issuer_path

    @property
    def by_record(self) -> bool:
        return record_kind(self.answer_kind) is not None

    @property
    def answer_record_kind(self) -> registry.TaskRecordKind | None:
        return record_kind(self.answer_kind)

    def get_answer_kind_display(self) -> str:
        return dict(answer_kinds()).get(self.answer_kind, self.answer_kind)

    @property
    def meeting_kind_label(self) -> str:
        from jiceng.life.models import MeetingKind

        return str(dict(MeetingKind.choices).get(self.meeting_kind, ""))

    @property
    def step_kind_label(self) -> str:
        from jiceng.development.models import StepKind

        return str(dict(StepKind.choices).get(self.step_kind, ""))


class AssignmentQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


def answer_file_path(instance: Assignment, filename: str) -> str:
    return f"tasks/{instance.task_id}/{instance.org_id}/{filename}"


class Assignment(models.Model):
    """The task as one organization received it: a branch answers it, a committee (``relay``) passes
    it on. ``answered_on``: the day it was answered or passed on (None: open)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    root = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="task_assignments",
        verbose_name=_("承办组织"),
    )
    org_path = models.CharField(max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)
    relay = models.BooleanField(_("转办"), default=False)
    deadline = models.DateField(_("完成期限"))
    issued_on = models.DateField(_("下达日期"))
    answered_on = models.DateField(_("完成日期"), null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    late = models.BooleanField(_("逾期完成"), default=False)
    record_kind = models.CharField(max_length=20, blank=True)
    record_id = models.PositiveIntegerField(null=True, blank=True)
    record_label = models.CharField(_("关联记录"), max_length=300, blank=True)
    text = models.TextField(_("文字答复"), blank=True)
    number = models.DecimalField(_("数字"), max_digits=14, decimal_places=2, null=True, blank=True)
    file = models.FileField(_("文件"), upload_to=answer_file_path, blank=True)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务承办")
        verbose_name_plural = _("任务承办")
        ordering = ["deadline", "org_path"]
        constraints = [models.UniqueConstraint(fields=["task", "org"], name="one_assignment_per_org")]
        indexes = [
            models.Index(fields=["org_path"], name="assignment_org_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["root", "depth", "org_path"], name="assignment_root_level"),
            models.Index(fields=["org", "answered_on"], name="assignment_org_open"),
            models.Index(fields=["deadline", "answered_on"], name="assignment_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.org}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tasks:assignment", kwargs={"pk": self.pk})

    def audit_org_path(self) -> str:
        return self.org_path

    @property
    def is_open(self) -> bool:
        return self.answered_on is None

    def overdue_on(self, day: dt.date) -> bool:
        return self.answered_on is None and self.deadline < day

    def may_withdraw_on(self, day: dt.date) -> bool:
        """An answer may be withdrawn until the deadline (the deadline day included); a pass-on may not."""
        return self.answered_on is not None and not self.relay and day <= self.deadline


class Withdrawal(models.Model):
    """An answer the branch withdrew before the deadline (撤回), with its reason and the answer as it
    was: the assignment is open again and the counts above it follow."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="withdrawals")
    reason = models.CharField(_("撤回原因"), max_length=300)
    withdrawn_on = models.DateField(_("撤回日期"))
    withdrawn_at = models.DateTimeField(auto_now_add=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_on = models.DateField(_("原完成日期"))
    record_kind = models.CharField(max_length=20, blank=True)
    record_id = models.PositiveIntegerField(null=True, blank=True)
    record_label = models.CharField(_("原关联记录"), max_length=300, blank=True)
    text = models.TextField(_("原文字答复"), blank=True)
    number = models.DecimalField(_("原数字"), max_digits=14, decimal_places=2, null=True, blank=True)
    file = models.FileField(_("原文件"), upload_to=answer_file_path, blank=True)
    file_name = models.CharField(_("原文件名"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("撤回的答复")
        verbose_name_plural = _("撤回的答复")
        ordering = ["-withdrawn_at", "-id"]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.withdrawn_on:%Y-%m-%d}"

    def audit_org_path(self) -> str:
        return self.assignment.org_path


class TaskTally(models.Model):
    """Counts of a task tree (``root``) over one committee's subtree: branches reached, answered,
    answered late, open by deadline (``open_due``: {deadline: count}, so "late and open" is exact on
    any day), committees reached to pass it on and those that did."""

    root = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="tallies")
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255)
    depth = models.PositiveSmallIntegerField()
    total = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    answered_late = models.PositiveIntegerField(default=0)
    open_due = models.JSONField(default=dict)
    relays = models.PositiveIntegerField(default=0)
    relays_passed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["root", "org"], name="one_tally_per_task_org")]
        indexes = [models.Index(fields=["root", "depth", "org_path"], name="tally_root_level")]

    def __str__(self) -> str:
        return f"{self.root_id}/{self.org_id}: {self.answered}/{self.total}"

    @property
    def open(self) -> int:
        return self.total - self.answered

    def late_open(self, today: dt.date) -> int:
        day = today.isoformat()
        return sum(n for d, n in self.open_due.items() if d < day)


class Reminder(models.Model):
    """A 督办: the issuer (or a committee in between) urges a late organization; shown on its task page
    and home page."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    sent_by_org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("督办意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.sent_at:%Y-%m-%d}"


class ResponsibilityListQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


class ResponsibilityList(models.Model):
    """What one committee states it is responsible for in one year (党建工作责任清单)."""

    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="responsibility_lists",
        verbose_name=_("党组织"),
    )
    org_path = models.CharField(max_length=255, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResponsibilityListQuerySet.as_manager()

    class Meta:
        verbose_name = _("责任清单")
        verbose_name_plural = _("责任清单")
        ordering = ["org_path", "-year"]
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="one_list_per_org_year")]
        indexes = [models.Index(fields=["org_path"], name="resp_org_path", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.org} {self.year}"

    def audit_org_path(self) -> str:
        return self.org_path


class ResponsibilityItem(models.Model):
    """One item of a list and who carries it: an organization of the subtree and a post (书记 …)."""

    list = models.ForeignKey(ResponsibilityList, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    content = models.CharField(_("责任事项"), max_length=300)
    carrier = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("责任组织")
    )
    post = models.CharField(_("责任人职务"), max_length=24, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("责任事项")
        verbose_name_plural = _("责任事项")
        ordering = ["list", "position", "id"]

    def __str__(self) -> str:
        return self.content

    def get_post_display(self) -> str:
        from jiceng.orgs.models import Post

        return str(dict(Post.choices).get(self.post, self.post))

    def audit_org_path(self) -> str:
        return self.list.org_path
