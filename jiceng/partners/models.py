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
