"""Assessment (考核): schemes of indicators, their versions, panel scores, runs and their results.

A ``Scheme`` belongs to a committee (``owner``) and assesses the organizations of one kind in its
subtree for one year. Every save of a scheme makes a ``SchemeVersion`` (the tree, the grading and the
options as they were); a run points at the version it used, so a stored result never changes when the
scheme is edited later. A ``PanelScore`` is one score of a panel (评议) for one node and organization,
with its written justification. An ``AssessmentRun`` stores its parameters and, per organization, an
``OrgResult`` with every node's value, points and the key of the records each value came from (its
trace: listed again when the score is read).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiceng.core.scope import ScopedQuerySet
from jiceng.orgs.models import OrgKind

from . import scoring


class NoData(models.TextChoices):
    RESCALE = scoring.RESCALE, _("不计入（权重由同级有数据的指标分担）")
    ZERO = scoring.ZERO, _("按零分计")


class GradeMethod(models.TextChoices):
    QUOTA = scoring.QUOTA, _("按比例（名额）")
    THRESHOLDS = scoring.THRESHOLDS, _("按分数线")


def default_grading() -> dict:
    """RULES.md §7: one local scheme rates 5/4/3 stars with quotas of 10%/40%/30% (U, configurable)."""
    return {
        "method": scoring.QUOTA,
        "grades": [
            {"label": "五星", "quota": 10},
            {"label": "四星", "quota": 40},
            {"label": "三星", "quota": 30},
        ],
    }


class SchemeQuerySet(ScopedQuerySet):
    scope_path_field = "owner_path"


class Scheme(models.Model):
    owner = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="assessment_schemes",
        verbose_name=_("制定组织"),
    )
    owner_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("方案名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("考核年度"))
    org_kind = models.CharField(_("考核对象"), max_length=20, choices=OrgKind.choices, default=OrgKind.BRANCH)
    definition = models.JSONField(_("指标体系"))
    grading = models.JSONField(_("评定等次"), default=default_grading)
    rank_siblings = models.BooleanField(_("在同级组织中排名"), default=False)
    no_data = models.CharField(
        _("暂无数据的指标"), max_length=10, choices=NoData.choices, default=NoData.RESCALE
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchemeQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["-year", "owner_path", "id"]
        indexes = [
            models.Index(fields=["owner_path"], name="scheme_owner_path", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:scheme", kwargs={"pk": self.pk})

    def audit_org_path(self) -> str:
        return self.owner_path


class SchemeVersion(models.Model):
    """A scheme as it was saved: what a run used, kept unchanged."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    grading = models.JSONField()
    rank_siblings = models.BooleanField()
    no_data = models.CharField(max_length=10)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheme", "-number"]
        constraints = [models.UniqueConstraint(fields=["scheme", "number"], name="one_scheme_version_number")]

    def __str__(self) -> str:
        return f"{self.scheme} v{self.number}"


class PanelScoreQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


class PanelScore(models.Model):
    """A panel's score (评议) of one node of a scheme for one organization, with its justification."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="panel_scores")
    node_key = models.CharField(_("指标"), max_length=20)
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("党组织")
    )
    org_path = models.CharField(max_length=255, editable=False)
    points = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    justification = models.TextField(_("评分理由"))
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    scored_at = models.DateTimeField(auto_now=True)

    objects = PanelScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("评议得分")
        verbose_name_plural = _("评议得分")
        ordering = ["scheme", "node_key", "org_path"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "node_key", "org"], name="one_panel_score_per_node_org")
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id}/{self.node_key}/{self.org_id}: {self.points}"

    def audit_org_path(self) -> str:
        return self.org_path


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class RunQuerySet(ScopedQuerySet):
    scope_path_field = "owner_path"


class AssessmentRun(models.Model):
    """One computation of a scheme version for its year, as of a day, with everything it used."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="runs")
    owner_path = models.CharField(max_length=255, editable=False)
    year = models.PositiveSmallIntegerField(_("考核年度"))
    as_of = models.DateField(_("数据截至"))
    params = models.JSONField(_("计算参数"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    steps = models.PositiveIntegerField(default=0)
    steps_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner_path"], name="run_owner_path", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.scheme} · {self.as_of:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:run", kwargs={"pk": self.pk})

    def audit_org_path(self) -> str:
        return self.owner_path

    @property
    def progress(self) -> int:
        return 100 if not self.steps else min(100, round(100 * self.steps_done / self.steps))

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


class OrgResultQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """JSON as written by ``ensure_ascii=False``: Chinese text stays as it is, not ``\\uXXXX`` escapes
    (a county's results hold tens of thousands of record labels: the escapes tripled the bytes sent,
    and each backslash was escaped again by the driver's quoting, most of the writing time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class ResultJSONField(models.JSONField):
    """A JSONField that Django's PostgreSQL bulk insert writes as plain parameters, not through
    ``UNNEST`` of arrays: a run's results are a few hundred large JSON documents, and dumping them as
    array literals escapes every quote in Python (seconds for a county). A placeholder per value is
    Django's documented way to opt out; it is the default placeholder."""

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"


class OrgResult(models.Model):
    """One organization's result of a run: score, rank, grade, and per node ``values`` ({key: {share,
    points, effective, numerator, denominator, note}}) and per leaf ``trace``: the key of its records
    ({key: {count, id_sum}}; results of ``ENGINE`` 1 stored {records, more})."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="results")
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("党组织")
    )
    org_path = models.CharField(max_length=255)
    score = models.DecimalField(_("得分"), max_digits=9, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("同级排名"), null=True, blank=True)
    siblings = models.PositiveIntegerField(_("同级组织数"), default=0)
    grade = models.CharField(_("等次"), max_length=30, blank=True)
    grade_index = models.PositiveSmallIntegerField(null=True, blank=True)
    values = ResultJSONField(default=dict, encoder=UnicodeJSONEncoder)
    trace = ResultJSONField(default=dict, encoder=UnicodeJSONEncoder)

    objects = OrgResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织考核得分")
        verbose_name_plural = _("组织考核得分")
        ordering = ["run", "org_path"]
        constraints = [models.UniqueConstraint(fields=["run", "org"], name="one_result_per_run_org")]
        indexes = [models.Index(fields=["run", "org_path"], name="result_run_path")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.org_id}: {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:result", kwargs={"pk": self.pk})

    def audit_org_path(self) -> str:
        return self.org_path


# 书记抓基层党建述职评议考核 (secretaries' yearly report and review) --------------------------------------


def default_review_grades() -> list[dict]:
    """好/较好/一般/差 with the points a grade counts for in the combined result (configurable)."""
    return [
        {"label": "好", "points": 100},
        {"label": "较好", "points": 80},
        {"label": "一般", "points": 60},
        {"label": "差", "points": 0},
    ]


class ReviewRoundQuerySet(ScopedQuerySet):
    scope_path_field = "owner_path"


class ReviewRound(models.Model):
    """One year's 述职评议 held by a committee for the secretaries of the organizations of one kind
    under it: the grades evaluators choose from and how the two evaluations are combined."""

    owner = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("组织单位")
    )
    owner_path = models.CharField(max_length=255, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"))
    org_kind = models.CharField(_("述职对象"), max_length=20, choices=OrgKind.choices, default=OrgKind.BRANCH)
    grades = models.JSONField(_("评议等次"), default=default_review_grades)
    committee_weight = models.PositiveSmallIntegerField(_("上级党组织评议权重（%）"), default=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewRoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("述职评议")
        verbose_name_plural = _("述职评议")
        ordering = ["-year", "owner_path"]
        constraints = [models.UniqueConstraint(fields=["owner", "year", "org_kind"], name="one_review_round")]

    def __str__(self) -> str:
        return f"{self.year} {self.owner}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:review_round", kwargs={"pk": self.pk})

    def audit_org_path(self) -> str:
        return self.owner_path


class SecretaryReportQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


class SecretaryReport(models.Model):
    """A secretary's 述职报告 for one organization and year, its facts prefilled from the records, the
    higher committee's comment and the combined result (kept when the evaluations change)."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="reports")
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("党组织")
    )
    org_path = models.CharField(max_length=255, editable=False)
    secretary = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("书记"),
    )
    secretary_name = models.CharField(_("书记"), max_length=100, blank=True)
    secretary_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    facts = models.JSONField(_("年度工作情况"), default=list)
    text = models.TextField(_("述职报告"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("上级党组织意见"), blank=True)
    combined = models.DecimalField(_("综合得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    combined_grade = models.CharField(_("综合评价"), max_length=20, blank=True)

    objects = SecretaryReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("述职报告")
        verbose_name_plural = _("述职报告")
        ordering = ["round", "org_path"]
        constraints = [models.UniqueConstraint(fields=["round", "org"], name="one_report_per_round_org")]

    def __str__(self) -> str:
        return f"{self.org} {self.secretary_name}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:report", kwargs={"pk": self.pk})

    def audit_org_path(self) -> str:
        return self.org_path


class EvaluationSource(models.TextChoices):
    COMMITTEE = "committee", _("上级党组织评议")
    MEMBER = "member", _("党员评议")


class ReviewEvaluation(models.Model):
    """One evaluator's grade of a report: by the higher committee or by a member of the organization."""

    report = models.ForeignKey(SecretaryReport, on_delete=models.CASCADE, related_name="evaluations")
    source = models.CharField(_("评议方"), max_length=10, choices=EvaluationSource.choices)
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    grade = models.CharField(_("评议等次"), max_length=20)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("评议")
        verbose_name_plural = _("评议")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "source", "evaluator"], name="one_evaluation_per_evaluator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.source} {self.grade}"

    def audit_org_path(self) -> str:
        return self.report.org_path


class ReviewPaperTally(models.Model):
    """Paper evaluation forms (纸质评议表) of members without an account, entered as a count per grade by
    the organizer: who entered them and when is kept. Counted with the members' online grades."""

    report = models.ForeignKey(SecretaryReport, on_delete=models.CASCADE, related_name="paper_tallies")
    grade = models.CharField(_("评议等次"), max_length=20)
    count = models.PositiveIntegerField(_("张数"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("纸质评议票数")
        verbose_name_plural = _("纸质评议票数")
        ordering = ["report", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "grade"], name="one_paper_tally_per_grade")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.grade} × {self.count}"

    def audit_org_path(self) -> str:
        return self.report.org_path
