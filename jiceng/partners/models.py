"""Partner units (共建单位): bodies outside the Party tree that work with it.

A government department, a property company, a social organization: registered by an organization of
the tree (whose subtree sees and manages the entry), with contacts who hold accounts. A contact sees
only what is assigned to their unit (resident requests, see ``jiceng.services``); the unit itself
grants no view of the tree. Issue 17 (partnership agreements, 双报到) extends this registry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core import scope
from jiceng.core.scope import ScopedQuerySet


class PartnerKind(models.TextChoices):
    GOVERNMENT = "government", _("政府部门")
    PROPERTY = "property", _("物业公司")
    SOCIAL = "social", _("社会组织")
    ENTERPRISE = "enterprise", _("企事业单位")
    OTHER = "other", _("其他")


class PartnerUnitQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


class PartnerUnit(models.Model):
    """One partner unit, registered under an organization of the tree."""

    name = models.CharField(_("单位名称"), max_length=200)
    kind = models.CharField(_("单位类型"), max_length=20, choices=PartnerKind.choices)
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="partner_units",
        verbose_name=_("登记的党组织"),
    )
    org_path = models.CharField(max_length=255, editable=False)
    phone = models.CharField(_("单位电话"), max_length=40, blank=True)
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="partner_units", verbose_name=_("联系人账号")
    )
    active = models.BooleanField(_("有效"), default=True)

    objects = PartnerUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("共建单位")
        verbose_name_plural = _("共建单位")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="partner_unit_name_per_org")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.org_path = self.org.path
        super().save(*args, **kwargs)

    def audit_org_path(self) -> str:
        return self.org_path


# 共建协议 and its three lists (三张清单) -------------------------------------------------------------


class AgreementQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"

    def scope_q(self, user: object, action: str) -> models.Q:
        """The signing organization's subtree; to view, also the contacts of the partner unit."""
        q = scope.path_q("org_path", scope.paths_for(user, action))
        if action == scope.VIEW and getattr(user, "is_authenticated", False) and user.is_active:
            q |= models.Q(unit__in=PartnerUnit.objects.filter(contacts=user).values("pk"))
        return q


class Agreement(models.Model):
    """A yearly 共建协议 between an organization of the tree (a community or a street) and a partner
    unit: what the unit offers, what the community needs, the projects agreed."""

    unit = models.ForeignKey(
        PartnerUnit, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("共建单位")
    )
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="partner_agreements",
        verbose_name=_("签订的党组织"),
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    notes = models.TextField(_("协议要点"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("共建协议")
        verbose_name_plural = _("共建协议")
        ordering = ["-year", "org_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "org", "year"], name="partner_agreement_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.org_path = self.org.path
        super().save(*args, **kwargs)

    def audit_org_path(self) -> str:
        return self.org_path


class ResourceKind(models.TextChoices):
    ROOM = "room", _("场地")
    SERVICE = "service", _("服务")
    EXPERTISE = "expertise", _("专业特长")
    FUNDS = "funds", _("资金")
    HOURS = "hours", _("志愿服务时长")
    OTHER = "other", _("其他")


class AgreementResource(models.Model):
    """资源清单: one thing the unit offers."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("资源类型"), max_length=12, choices=ResourceKind.choices)
    description = models.CharField(_("资源内容"), max_length=300)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=1, null=True, blank=True)
    measure = models.CharField(_("单位"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("资源清单")
        verbose_name_plural = _("资源清单")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description

    def audit_org_path(self) -> str:
        return self.agreement.org_path


class AgreementNeed(models.Model):
    """需求清单: one need of the community, from a resident request or entered by the committee."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="needs")
    description = models.CharField(_("需求内容"), max_length=300)
    request = models.ForeignKey(
        "services.ServiceRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agreement_needs",
        verbose_name=_("来自群众诉求"),
    )

    class Meta:
        verbose_name = _("需求清单")
        verbose_name_plural = _("需求清单")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description

    def audit_org_path(self) -> str:
        return self.agreement.org_path


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    IN_PROGRESS = "in_progress", _("推进中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class AgreementProject(models.Model):
    """项目清单: one agreed project, owned by the unit (``owner_org`` empty) or an organization of the
    tree, with a deadline and dated milestones."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(_("项目名称"), max_length=200)
    description = models.TextField(_("项目内容"), blank=True)
    owner_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("牵头党组织（空：共建单位牵头）"),
    )
    need = models.ForeignKey(
        AgreementNeed,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("对应需求"),
    )
    deadline = models.DateField(_("完成期限"))
    status = models.CharField(
        _("状态"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("共建项目")
        verbose_name_plural = _("项目清单")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="done", done_on__isnull=False)
                | (~models.Q(status="done") & models.Q(done_on__isnull=True)),
                name="partner_project_done_has_day",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def audit_org_path(self) -> str:
        return self.agreement.org_path

    @property
    def owner_name(self) -> str:
        return self.owner_org.name if self.owner_org_id else self.agreement.unit.name

    @property
    def done_on_time(self) -> bool:
        return (
            self.status == ProjectStatus.DONE and self.done_on is not None and self.done_on <= self.deadline
        )


class ProjectMilestone(models.Model):
    """A dated step of a project; done when ``done_on`` is set."""

    project = models.ForeignKey(AgreementProject, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due_on = models.DateField(_("计划日期"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.CharField(_("进展说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title

    def audit_org_path(self) -> str:
        return self.project.agreement.org_path

    @property
    def done(self) -> bool:
        return self.done_on is not None
