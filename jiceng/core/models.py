from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scope import Role, ScopedQuerySet


class User(AbstractUser):
    """An account. What it may see comes from its role assignments, never from flags alone."""

    full_name = models.CharField(_("姓名"), max_length=100, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username


class RoleAssignment(models.Model):
    """A role on an organization, covering its subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("党组织")
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("授予人")
    )

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [models.UniqueConstraint(fields=["user", "org", "role"], name="unique_role_assignment")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org}"

    def clean(self) -> None:
        from jiceng.orgs.models import OrgKind

        if self.role == Role.SECRETARY and self.org_id and self.org.kind != OrgKind.BRANCH:
            raise ValidationError({"org": _("支部书记角色只能授予在党支部上")})
        if self.role == Role.MEMBER and self.org_id and self.org.kind != OrgKind.BRANCH:
            raise ValidationError({"org": _("党员角色只能授予在党支部上")})


class ObjectChangeQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


class ObjectChange(models.Model):
    """One audited event: a write with its before/after, a login, a reveal, an export.

    Written in the same transaction as the change it records, so the two stand or fall together.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        MOVE = "move", _("移动")
        MERGE = "merge", _("合并")
        SPLIT = "split", _("拆分")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGOUT = "logout", _("退出")
        REVEAL = "reveal", _("查看完整身份号码")
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")

    time = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user_name = models.CharField(_("用户"), max_length=150, blank=True)
    request_id = models.UUIDField(_("请求编号"), default=uuid.uuid4, db_index=True)
    source = models.CharField(_("来源"), max_length=8, blank=True)
    ip_address = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    object_id = models.BigIntegerField(null=True, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    org_path = models.CharField(max_length=255, blank=True)
    prechange_data = models.JSONField(_("修改前"), null=True, blank=True)
    postchange_data = models.JSONField(_("修改后"), null=True, blank=True)
    message = models.CharField(_("说明"), max_length=255, blank=True)

    objects = ObjectChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="objectchange_object"),
            models.Index(fields=["org_path"], name="objectchange_org_path", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.user_name} {self.get_action_display()} {self.object_repr}"

    def diff(self) -> list[tuple[str, object, object]]:
        """Changed fields as (field, before, after), for the history tab."""
        before = self.prechange_data or {}
        after = self.postchange_data or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
