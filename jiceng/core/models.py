from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
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
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("党组织"),
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
        if self.role == Role.SECRETARY and self.org_id and not self.org.is_branch:
            raise ValidationError({"org": _("支部书记角色只能授予在党支部上")})
        if self.role == Role.MEMBER and self.org_id and not self.org.is_branch:
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
        # A registration refused because the identity number is already held (a possible membership
        # probe): the number's keyed digest is recorded, never the number.
        ID_REFUSED = "id_refused", _("身份号码重复被拒")
        # Two records found to hold one identity number (written once, by a data migration).
        ID_DUPLICATE = "id_duplicate", _("发现重复身份号码")

    time = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user_name = models.CharField(_("用户"), max_length=150, blank=True)
    request_id = models.UUIDField(_("请求编号"), default=uuid.uuid4, db_index=True)
    source = models.CharField(_("来源"), max_length=8, blank=True)
    ip_address = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)  # indexed in Meta
    content_type = models.ForeignKey(  # no index of its own: objectchange_object starts with it
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
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
        # An import writes change records by the thousand: no index beyond what the reads use (a
        # Meta index on ``action``, unlike db_index=True, has no LIKE twin on PostgreSQL).
        indexes = [
            models.Index(fields=["action"], name="objectchange_action"),
            models.Index(fields=["content_type", "object_id"], name="objectchange_object"),
            models.Index(
                fields=["org_path"], name="objectchange_org_path", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.user_name} {self.get_action_display()} {self.object_repr}"

    def diff(self) -> list[tuple[str, object, object]]:
        """Changed fields as (field, before, after), for the history tab."""
        before = self.prechange_data or {}
        after = self.postchange_data or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]

    def diff_display(self) -> list[tuple[str, str, str]]:
        """The diff as people read it: verbose field names, choice labels, "—" for nothing."""
        model = (
            ContentType.objects.get_for_id(self.content_type_id).model_class()
            if self.content_type_id
            else None
        )
        rows = []
        for name, before, after in self.diff():
            label: object = DIFF_LABELS.get(name, name)
            choices: dict = {}
            try:
                field = model._meta.get_field(name) if model is not None else None
            except FieldDoesNotExist:
                field = None
            if field is not None and (
                name in DIFF_HIDDEN or getattr(field, "primary_key", False) or not field.editable
            ):
                continue  # bookkeeping (tree columns, timestamps): nothing a person changed
            if field is not None:
                label = getattr(field, "verbose_name", label)
                choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}
            # Foreign keys named by core.selectors.name_references (the history tab), else their ids.
            refs = self.__dict__.get("reference_names", {}).get(name)
            if refs is not None:
                choices = {**choices, **{k: v for k, v in refs.items()}}
                before, after = _ref(before), _ref(after)
            rows.append((str(label), _display(before, choices), _display(after, choices)))
        return rows

    @property
    def user_label(self) -> str:
        """The author as the history tab shows them: their full name where known, else the login."""
        return self.__dict__.get("user_display") or self.user_name


# Model fields kept for the tree's bookkeeping, not shown in a history.
DIFF_HIDDEN = frozenset({"path", "depth", "numchild"})

# Keys of change records that are not model fields (moves, merges, splits).
DIFF_LABELS = {
    "parent": _("上级党组织"),
    "path": _("树路径"),
    "source": _("被并入的党支部"),
    "source_name": _("被并入的党支部名称"),
    "target": _("并入的党支部"),
    "moved_members": _("转移党员人数"),
    "new_branch": _("新设党支部"),
}


def _ref(value: object) -> object:
    """A stored foreign key as the key of its name (ids are stored as numbers or strings)."""
    return value if value is None or value == "" else str(value)


def _display(value: object, choices: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if choices and not isinstance(value, list | dict) and value in choices:
        return str(choices[value])
    return str(value)


class RuleVersion(models.Model):
    """A new value of a rule's parameters (or its switching on/off) from an effective date on.

    Without any version a rule runs with the defaults shipped in ``jiceng.core.rulebook``.
    """

    code = models.CharField(_("规则编码"), max_length=64, db_index=True)
    effective_from = models.DateField(_("生效日期"))
    enabled = models.BooleanField(_("启用"), default=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    citation = models.CharField(_("依据"), max_length=300)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("规则参数版本")
        verbose_name_plural = _("规则参数版本")
        ordering = ["code", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["code", "effective_from"], name="one_version_per_day")]

    def __str__(self) -> str:
        return f"{self.code} @ {self.effective_from}"

    def clean(self) -> None:
        from .rulebook import BY_CODE

        spec = BY_CODE.get(self.code)
        if spec is None:
            raise ValidationError({"code": _("未知的规则编码")})
        unknown = set(self.params or {}) - set(spec.defaults)
        if unknown:
            raise ValidationError(
                {"params": _("未知参数：%(names)s") % {"names": ", ".join(sorted(unknown))}}
            )
        for key, value in (self.params or {}).items():
            if type(value) is not type(spec.defaults[key]):
                raise ValidationError({"params": _("参数%(name)s的类型应与默认值相同") % {"name": key}})


class ApiToken(models.Model):
    """An API token, stored as the SHA-256 of its key: a stolen database (or backup) grants no access.

    The key (256 random bits) is shown once, when issued; the owner sees the first characters
    (``prefix``) in their token list and may revoke any. Tokens expire (``API_TOKEN_DAYS``) and all of
    a user's are revoked when their password changes or they enrol a TOTP device.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("令牌开头"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    audit_exclude = ("key_digest",)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class WorkerBeat(models.Model):
    """The last sign of life of each background worker (``jiceng worker``), for ``/readyz``.

    A thread of the worker writes it every few seconds, also while a long task runs; a worker that died
    stops beating, and the readiness check reports it once the beat is older than
    ``JICENG_WORKER_STALE_SECONDS``.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("后台任务进程")
        verbose_name_plural = _("后台任务进程")

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"
