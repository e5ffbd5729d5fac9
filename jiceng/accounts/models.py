"""Accounts as jiceng keeps them beside ``core.User``: the first-login flag, the secretary each branch's
role was last given to, notices for administrators, activation codes and the sheets of one-time
passwords. No core migration: everything here is keyed by user, organization or member."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scope import ScopedQuerySet


class AccountState(models.Model):
    """Per-user account facts jiceng adds: a one-time password to change, and where the account lives."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="account_state"
    )
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    # The organization the account was created under: keeps an account with no role (yet, or any more)
    # visible to the administrators of that subtree.
    home_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("所属党组织"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号状态")
        verbose_name_plural = _("账号状态")

    def __str__(self) -> str:
        return str(self.user)


class SecretaryHolder(models.Model):
    """The secretary a branch's secretary role was last given to by post (书记 → 支部书记角色).

    ``services.sync_secretary_roles`` compares it with the recorded secretary: a difference is a change
    of post (or of the account linked to it), and only then does the role move. A role an administrator
    withdrew by hand is therefore not granted again until the post itself changes.
    """

    org = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("书记角色持有人")
        verbose_name_plural = _("书记角色持有人")

    def __str__(self) -> str:
        return f"{self.org_id}: {self.member_id}"


class NoticeQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


class AdminNotice(models.Model):
    """Something an organization administrator should know about accounts in their subtree.

    Shown on the user-management page until dismissed; also published as the event "secretary
    changed" to the administrators' notifications (``services._notify``).
    """

    class Kind(models.TextChoices):
        SECRETARY_CHANGED = "secretary_changed", _("书记变动")

    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("党组织")
    )
    org_path = models.CharField(max_length=255)
    kind = models.CharField(_("类别"), max_length=32, choices=Kind.choices)
    outgoing_name = models.CharField(_("原书记"), max_length=50, blank=True)
    outgoing_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    incoming_member = models.ForeignKey(
        "members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    incoming_name = models.CharField(_("新任书记"), max_length=50, blank=True)
    incoming_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("账号提醒")
        verbose_name_plural = _("账号提醒")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org_path"], name="notice_org_path", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.org_id}"

    def audit_org_path(self) -> str:
        return self.org_path


class ActivationCode(models.Model):
    """A code a branch hands to one person so that they can open their own account: expiring, single
    use, stored only as a keyed digest. Made for a member (``member``) or, before there is a member
    record, for an applicant's development file (``development``): exactly one of the two."""

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("党员"),
    )
    development = models.ForeignKey(
        "development.Development",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发展党员档案"),
    )
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    audit_exclude = ("code_digest",)

    class Meta:
        verbose_name = _("激活码")
        verbose_name_plural = _("激活码")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(member__isnull=False, development__isnull=True)
                    | models.Q(member__isnull=True, development__isnull=False)
                ),
                name="activation_code_one_holder",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member or self.development} {self.expires_at:%Y-%m-%d}"

    def audit_org_path(self) -> str:
        return (self.member or self.development).org_path


class ActivationAttempt(models.Model):
    """A failed activation, for the rate limits per address and per identity number."""

    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The keyed digest of the identity number as typed (members' numbers are digested the same way), so
    # the limit per person works alike whether or not the number belongs to a member.
    id_digest = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["id_digest", "at"], name="activation_attempt_id"),
            models.Index(fields=["ip_address", "at"], name="activation_attempt_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.ip_address} {self.at:%Y-%m-%d %H:%M}"


class CredentialSheet(models.Model):
    """A sheet of one-time passwords that was handed out: when, by whom, for which subtree, how many
    accounts, and the file's SHA-256. The passwords themselves are in the file alone."""

    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("党组织")
    )
    org_path = models.CharField(max_length=255)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accounts = models.PositiveIntegerField(_("账号数"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("一次性密码表")
        verbose_name_plural = _("一次性密码表")

    def __str__(self) -> str:
        return f"{self.org_path} {self.created_at:%Y-%m-%d %H:%M} ({self.accounts})"

    def audit_org_path(self) -> str:
        return self.org_path
