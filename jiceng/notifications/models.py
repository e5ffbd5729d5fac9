"""Notifications as jiceng keeps them: one row per user and event in the inbox, each user's choices per
event type and channel, the events already announced (so an event with a dedupe key reaches people
once) and the daily digests sent. Everything is keyed by user: a user sees only their own rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core import events


class Channel(models.TextChoices):
    INBOX = events.INBOX, _("站内消息")
    EMAIL = events.EMAIL, _("电子邮件")
    DIGEST = events.DIGEST, _("每日汇总邮件")
    SMS = events.SMS, _("短信")


class Notification(models.Model):
    """What one user was told about one event. ``inbox`` rows are shown in the inbox (the user may have
    turned the inbox off for the type and kept the digest); ``digest_pending`` rows await the next daily
    digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event_key = models.CharField(_("类别"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=500, blank=True)
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    org_path = models.CharField(max_length=255)
    context = models.JSONField(default=dict)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    inbox = models.BooleanField(default=True)
    digest_pending = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The header's unread count: one index-only count per page.
            models.Index(
                fields=["user"],
                name="notification_unread",
                condition=models.Q(inbox=True, read_at__isnull=True),
            ),
            models.Index(fields=["user", "-created_at"], name="notification_user_created"),
            models.Index(
                fields=["user"], name="notification_digest", condition=models.Q(digest_pending=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"

    @property
    def unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    """A user's choice for one event type and channel; no row means the type's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event_key = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    enabled = models.BooleanField()

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [
            models.UniqueConstraint(fields=["user", "event_key", "channel"], name="unique_notification_pref")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event_key} {self.channel} {self.enabled}"


class Contact(models.Model):
    """The mobile number a user gave for SMS notifications (only they set it; nothing else reads it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("通知联系方式")
        verbose_name_plural = _("通知联系方式")

    def __str__(self) -> str:
        return str(self.user_id)


class Announced(models.Model):
    """An event with a dedupe key that has been delivered: the same key is never delivered again."""

    event_key = models.CharField(max_length=64)
    dedupe_key = models.CharField(max_length=200)
    org_path = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("已发布事件")
        verbose_name_plural = _("已发布事件")
        constraints = [
            models.UniqueConstraint(fields=["event_key", "dedupe_key"], name="unique_announced_event")
        ]

    def __str__(self) -> str:
        return f"{self.event_key} {self.dedupe_key}"


class Digest(models.Model):
    """One daily digest sent to one user: at most one a day, whatever runs the command."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("每日汇总")
        verbose_name_plural = _("每日汇总")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="unique_digest_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"
