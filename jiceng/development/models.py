"""Member development (发展党员): one file per person, a dated step for each thing the branch records.

A ``Development`` is the person's file from the application (入党申请) to full membership or a side
exit. Each ``Step`` records one act with its date and its evidence; ``development.rules`` decides which
step may follow which, and ``development.services`` is the only writer. The file's ``stage`` is
derived from its steps by the service and stored for lists and counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.identity import IdentityMixin
from jiceng.core.scope import ScopedQuerySet
from jiceng.members.models import Category, Education, Gender


class Stage(models.TextChoices):
    APPLICANT = "applicant", _("入党申请人")
    ACTIVIST = "activist", _("入党积极分子")
    CANDIDATE = "candidate", _("发展对象")
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("正式党员")
    WITHDRAWN = "withdrawn", _("已终止培养")
    NOT_ADMITTED = "not_admitted", _("未被接收")
    REVOKED = "revoked", _("已取消预备党员资格")


OPEN_STAGES = (Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY)
CLOSED_STAGES = (Stage.FULL, Stage.WITHDRAWN, Stage.NOT_ADMITTED, Stage.REVOKED)


class StepKind(models.TextChoices):
    """The recorded acts, in the order the regulations put them (发展党员工作细则 ch. 2–6)."""

    APPLICATION = "application", _("提出入党申请")
    TALK = "talk", _("党组织派人谈话")
    ACTIVIST = "activist", _("确定为入党积极分子")
    MENTORS = "mentors", _("指定培养联系人")
    REVIEW = "review", _("培养考察")
    NOTICE = "notice", _("发展对象公示")
    CANDIDATE = "candidate", _("确定为发展对象")
    SPONSORS = "sponsors", _("确定入党介绍人")
    POLITICAL_REVIEW = "political_review", _("政治审查")
    TRAINING = "training", _("集中培训")
    PRE_REVIEW = "pre_review", _("上级党委预审")
    ADMISSION = "admission", _("支部大会讨论接收预备党员")
    APPROVAL = "approval", _("上级党委审批")
    OATH = "oath", _("入党宣誓")
    CONVERSION_APPLICATION = "conversion_application", _("提出转正申请")
    CONVERSION = "conversion", _("支部大会讨论转正")
    CONVERSION_APPROVAL = "conversion_approval", _("上级党委审批转正")
    EXTENSION = "extension", _("延长预备期")
    REVOCATION = "revocation", _("取消预备党员资格")
    WITHDRAWAL = "withdrawal", _("终止培养")
    NOT_ADMITTED = "not_admitted", _("支部大会未通过接收")


class Recommendation(models.TextChoices):
    PARTY_MEMBERS = "party_members", _("党员推荐")
    MASS_ORGANIZATION = "mass_organization", _("群团组织推优")


class DevelopmentQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"

    def open(self) -> DevelopmentQuerySet:
        return self.filter(stage__in=OPEN_STAGES)


class Development(IdentityMixin, models.Model):
    """One person's development file (发展党员档案), kept by the branch that develops them."""

    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="developments", verbose_name=_("党支部")
    )
    org_path = models.CharField(max_length=255, editable=False)
    stage = models.CharField(_("所处阶段"), max_length=16, choices=Stage.choices, default=Stage.APPLICANT)
    name = models.CharField(_("姓名"), max_length=50)
    name_pinyin = models.CharField(max_length=200, editable=False)
    name_initials = models.CharField(max_length=50, editable=False)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"))
    id_number_cipher = models.TextField(editable=False)
    id_number_digest = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField(_("公民身份号码"), max_length=18, editable=False)
    education = models.CharField(_("学历"), max_length=24, choices=Education.choices)
    category = models.CharField(_("人员类别"), max_length=12, choices=Category.choices)
    work_unit = models.CharField(_("工作单位及职务"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # Set by the admitting branch meeting: the member record this file became.
    member = models.OneToOneField(
        "members.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="development",
        verbose_name=_("党员档案"),
    )
    # The person's own account (开通账号 with the identity number and an activation code from the
    # branch), before there is a member record to link it to: they see their own timeline on 我的.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="development_files",
        verbose_name=_("登录账号"),
    )
    applied_on = models.DateField(_("申请入党日期"))
    stage_since = models.DateField(_("进入本阶段日期"))
    extended_to = models.DateField(_("延长后的预备期满日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DevelopmentQuerySet.as_manager()

    audit_exclude = ("id_number_cipher", "id_number_digest", "name_pinyin", "name_initials", "org_path")

    class Meta:
        verbose_name = _("发展党员档案")
        verbose_name_plural = _("发展党员档案")
        ordering = ["org_path", "name_pinyin", "id"]
        indexes = [
            models.Index(fields=["org_path"], name="development_org_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["org", "stage"], name="development_org_stage"),
            models.Index(fields=["id_number_digest"], name="development_digest"),
        ]
        constraints = [
            # One open file per person: a new application after a side exit starts a new file.
            models.UniqueConstraint(
                fields=["id_number_digest"],
                condition=Q(stage__in=["applicant", "activist", "candidate", "probationary"]),
                name="one_open_development_per_person",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def audit_org_path(self) -> str:
        return self.org_path

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class Step(models.Model):
    """One recorded act of a development file, with its date and evidence.

    Which of the evidence fields a kind uses is listed in ``development.rules.STEP_FIELDS``; the
    others stay empty.
    """

    development = models.ForeignKey(Development, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("环节"), max_length=24, choices=StepKind.choices)
    on = models.DateField(_("日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    filed_on = models.DateField(_("报上级党委备案日期"), null=True, blank=True)
    person_name = models.CharField(_("谈话人"), max_length=100, blank=True)
    recommendation = models.CharField(
        _("推荐方式"), max_length=20, choices=Recommendation.choices, blank=True
    )
    days = models.PositiveSmallIntegerField(_("培训天数"), null=True, blank=True)
    hours = models.PositiveSmallIntegerField(_("培训学时"), null=True, blank=True)
    voting_members = models.PositiveIntegerField(_("应到会有表决权的正式党员数"), null=True, blank=True)
    voters_present = models.PositiveIntegerField(_("实到会有表决权的正式党员数"), null=True, blank=True)
    votes_yes = models.PositiveIntegerField(_("赞成票"), null=True, blank=True)
    months = models.PositiveSmallIntegerField(_("延长月数"), null=True, blank=True)
    special = models.BooleanField(_("特殊情况（审批期限可延至6个月）"), default=False)
    note = models.TextField(_("情况说明"), blank=True)
    meeting = models.ForeignKey(
        "life.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="development_steps",
        verbose_name=_("会议记录"),
    )
    people = models.ManyToManyField(
        "members.Member", blank=True, related_name="development_roles", verbose_name=_("人员")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("发展环节")
        verbose_name_plural = _("发展环节")
        ordering = ["development", "on", "id"]
        indexes = [models.Index(fields=["kind", "on"], name="development_step_kind_on")]

    def __str__(self) -> str:
        return f"{self.development} {self.get_kind_display()} {self.on}"

    def audit_org_path(self) -> str:
        return self.development.org_path
