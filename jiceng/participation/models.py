"""Members and units serving where they live (双报到) and volunteer service (志愿服务).

A ``MemberRegistration`` (个人报到) joins two places of the tree: the member's home branch (read
through ``member__org_path``, exact after every move and transfer) and the residential community
(``community_path``). Both subtrees see it, and so does the member. A ``UnitRegistration`` (单位报到)
is a partner unit or an organization of the tree reporting to the community where it sits.

A community publishes ``ServiceTask`` rows (a 微心愿 to fulfil, a volunteer shift) that reporting
members take (``TaskClaim``) and report done. An ``Activity`` (志愿服务活动) is published by an
organization of the tree, optionally on behalf of one of its partner units; ``Volunteer`` rows are the
sign-ups: a member (their account) or a resident (name and phone, encrypted, masked on screen). The
organizer records attendance once; the hours credited stay on the ``Volunteer`` row.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core import scope
from jiceng.core.scope import ScopedQuerySet


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("待社区确认")
    ACCEPTED = "accepted", _("已接收")
    DECLINED = "declined", _("未接收")
    ENDED = "ended", _("已结束")


ACTIVE_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.ACCEPTED)


class MemberRegistrationQuerySet(ScopedQuerySet):
    scope_path_field = "community_path"

    def scope_q(self, user: object, action: str) -> Q:
        """The community's subtree, the member's home subtree, and (to view) the member themselves."""
        prefixes = scope.paths_for(user, action)
        q = scope.path_q("community_path", prefixes) | scope.path_q("member__org_path", prefixes)
        if action == scope.VIEW and getattr(user, "is_authenticated", False):
            q |= Q(member__user=user)
        return q


class MemberRegistration(models.Model):
    """个人报到: a member reports to the residential community where they live."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="registrations", verbose_name=_("党员")
    )
    community = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="member_registrations",
        verbose_name=_("报到社区"),
    )
    community_path = models.CharField(max_length=255, editable=False, db_index=True)
    reported_on = models.DateField(_("报到日期"))
    residence = models.CharField(_("居住小区"), max_length=200, blank=True)
    skills = models.CharField(_("特长及可提供的服务"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING
    )
    decided_on = models.DateField(_("确认日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(_("未接收原因"), max_length=200, blank=True)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MemberRegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("个人报到")
        verbose_name_plural = _("个人报到")
        ordering = ["-reported_on", "-id"]
        constraints = [
            # One registration in force per member: a member lives in one place.
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=["pending", "accepted"]),
                name="member_registration_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.community}"

    def audit_org_path(self) -> str:
        return self.community_path

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class UnitRegistrationQuerySet(ScopedQuerySet):
    scope_path_field = "community_path"

    def scope_q(self, user: object, action: str) -> Q:
        """The community's subtree, and the reporting organization's subtree (for a tree organization)."""
        prefixes = scope.paths_for(user, action)
        return scope.path_q("community_path", prefixes) | scope.path_q("unit_org__path", prefixes)


class UnitRegistration(models.Model):
    """单位报到: a partner unit's Party organization, or an organization of the tree, reports to the
    community where it sits."""

    community = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="unit_registrations",
        verbose_name=_("报到社区"),
    )
    community_path = models.CharField(max_length=255, editable=False, db_index=True)
    partner = models.ForeignKey(
        "partners.PartnerUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("共建单位"),
    )
    unit_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations_made",
        verbose_name=_("报到的党组织"),
    )
    reported_on = models.DateField(_("报到日期"))
    offer = models.CharField(_("可提供的资源和服务"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING
    )
    decided_on = models.DateField(_("确认日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(_("未接收原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UnitRegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位报到")
        verbose_name_plural = _("单位报到")
        ordering = ["-reported_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(partner__isnull=True) ^ Q(unit_org__isnull=True),
                name="unit_registration_one_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_name} → {self.community}"

    def audit_org_path(self) -> str:
        return self.community_path

    @property
    def unit_name(self) -> str:
        return self.partner.name if self.partner_id else self.unit_org.name


class TaskKind(models.TextChoices):
    SMALL_WISH = "small_wish", _("微心愿")
    SHIFT = "shift", _("志愿服务岗")
    PROJECT_ROLE = "project_role", _("共建项目岗位")
    OTHER = "other", _("其他服务")


class ServiceTaskQuerySet(ScopedQuerySet):
    scope_path_field = "community_path"


class ServiceTask(models.Model):
    """A service task a community publishes for the members who reported to it."""

    community = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="service_tasks",
        verbose_name=_("发布社区"),
    )
    community_path = models.CharField(max_length=255, editable=False, db_index=True)
    kind = models.CharField(_("类型"), max_length=12, choices=TaskKind.choices)
    # A role in an agreed project (项目清单) of a 共建协议: set exactly when ``kind`` is project_role.
    project = models.ForeignKey(
        "partners.AgreementProject",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_tasks",
        verbose_name=_("共建项目"),
    )
    title = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("内容"), blank=True)
    due_on = models.DateField(_("期限"), null=True, blank=True)
    places = models.PositiveSmallIntegerField(
        _("需要人数"), default=1, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    closed = models.BooleanField(_("已关闭"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ServiceTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务任务")
        verbose_name_plural = _("服务任务")
        ordering = ["closed", "due_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def audit_org_path(self) -> str:
        return self.community_path


class TaskClaim(models.Model):
    """A reporting member takes a service task and records what they did."""

    task = models.ForeignKey(ServiceTask, on_delete=models.CASCADE, related_name="claims")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="task_claims", verbose_name=_("党员")
    )
    claimed_on = models.DateField(_("认领日期"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    report = models.CharField(_("完成情况"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("认领")
        verbose_name_plural = _("认领")
        ordering = ["claimed_on", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "member"], name="task_claim_once")]

    def __str__(self) -> str:
        return f"{self.member} · {self.task}"

    def audit_org_path(self) -> str:
        return self.task.community_path


class ActivityQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


class Activity(models.Model):
    """A volunteer service activity (志愿服务活动): what, when, where, how many needed."""

    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="activities", verbose_name=_("发布组织")
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    partner = models.ForeignKey(
        "partners.PartnerUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("组织单位（共建单位）"),
    )
    title = models.CharField(_("活动名称"), max_length=200)
    description = models.TextField(_("活动内容"), blank=True)
    place = models.CharField(_("地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    needed = models.PositiveSmallIntegerField(
        _("需要人数"), validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    hours = models.DecimalField(
        _("计入服务时长（小时）"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("24"))],
    )
    attendance_recorded_at = models.DateTimeField(_("考勤记录时间"), null=True, blank=True)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled = models.BooleanField(_("已取消"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务活动")
        verbose_name_plural = _("志愿服务活动")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("participation:activity", kwargs={"pk": self.pk})

    def audit_org_path(self) -> str:
        return self.org_path

    @property
    def attendance_recorded(self) -> bool:
        return self.attendance_recorded_at is not None


class Volunteer(models.Model):
    """One sign-up: a member (by account) or a resident (name and phone, personal data)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="volunteers")
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="volunteering",
        verbose_name=_("党员"),
    )
    name_cipher = models.TextField(blank=True, editable=False)
    name_masked = models.CharField(_("居民称呼"), max_length=40, blank=True)
    phone_cipher = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField(_("居民电话"), max_length=20, blank=True)
    signed_up_at = models.DateTimeField(_("报名时间"))
    attended = models.BooleanField(_("出勤"), null=True, blank=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=4, decimal_places=1, default=Decimal("0"))

    audit_exclude = ("name_cipher", "phone_cipher")

    class Meta:
        verbose_name = _("志愿者报名")
        verbose_name_plural = _("志愿者报名")
        ordering = ["signed_up_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"], condition=Q(member__isnull=False), name="volunteer_member_once"
            )
        ]

    def __str__(self) -> str:
        return self.member.name if self.member_id else self.name_masked

    def audit_org_path(self) -> str:
        return self.activity.org_path

    @property
    def display_name(self) -> str:
        return self.member.name if self.member_id else self.name_masked
