from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scope import ScopedQuerySet


class MeetingKind(models.TextChoices):
    """组织生活: 三会一课 and the rest (GLOSSARY.md)."""

    GENERAL_MEETING = "general_meeting", _("支部党员大会")
    COMMITTEE_MEETING = "committee_meeting", _("支委会")
    GROUP_MEETING = "group_meeting", _("党小组会")
    PARTY_LECTURE = "party_lecture", _("党课")
    THEME_DAY = "theme_day", _("主题党日")
    ORGANIZATIONAL_LIFE_MEETING = "organizational_life_meeting", _("组织生活会")
    MEMBER_REVIEW = "member_review", _("民主评议党员")


class Presence(models.TextChoices):
    PRESENT = "present", _("出席")
    LEAVE = "leave", _("请假")
    ABSENT = "absent", _("缺席")


class MeetingQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"


class Meeting(models.Model):
    """One held meeting of a branch (or of one of its party groups), recorded once."""

    class Source(models.TextChoices):
        RECORDED = "recorded", _("录入")
        IMPORTED = "imported", _("导入")

    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="meetings", verbose_name=_("党支部")
    )
    org_path = models.CharField(max_length=255, editable=False)
    group = models.ForeignKey(
        "orgs.PartyGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("党小组"),
    )
    kind = models.CharField(_("会议类型"), max_length=32, choices=MeetingKind.choices)
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    topic = models.CharField(_("主题"), max_length=300)
    host = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("主持人"),
    )
    recorder = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    minutes = models.TextField(_("会议记录"), blank=True)
    # Head counts: from the attendance rows when recorded member by member, as given when imported.
    expected = models.PositiveIntegerField(_("应到人数"), default=0)
    present = models.PositiveIntegerField(_("实到人数"), default=0)
    # For meetings that vote (支部党员大会 deciding on admissions, elections ...).
    voted = models.BooleanField(_("有表决事项"), default=False)
    voting_members = models.PositiveIntegerField(_("有表决权的党员数"), null=True, blank=True)
    voters_present = models.PositiveIntegerField(_("到会有表决权的党员数"), null=True, blank=True)
    votes_yes = models.PositiveIntegerField(_("赞成"), null=True, blank=True)
    votes_no = models.PositiveIntegerField(_("反对"), null=True, blank=True)
    votes_abstain = models.PositiveIntegerField(_("弃权"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.RECORDED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织生活记录")
        verbose_name_plural = _("组织生活记录")
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["org", "kind", "held_on"], name="meeting_org_kind_day"),
            models.Index(fields=["org_path"], name="meeting_org_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["held_on", "kind"], name="meeting_day_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.get_kind_display()} {self.topic}"

    def audit_org_path(self) -> str:
        return self.org_path

    @property
    def quorum_met(self) -> bool | None:
        """支部条例 Art. 11, 12: more than half of the voting members present (None when nothing was voted)."""
        if not self.voted or not self.voting_members:
            return None
        return (self.voters_present or 0) * 2 > self.voting_members


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="attendance", verbose_name=_("党员")
    )
    presence = models.CharField(_("出席情况"), max_length=8, choices=Presence.choices)

    class Meta:
        verbose_name = _("出席记录")
        verbose_name_plural = _("出席记录")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")
        ]
        indexes = [models.Index(fields=["member", "presence"], name="attendance_member")]

    def __str__(self) -> str:
        return f"{self.member} {self.get_presence_display()}"


def attachment_path(instance: MeetingAttachment, filename: str) -> str:
    return f"meetings/{instance.meeting.org_id}/{instance.meeting_id}/{filename}"


class MeetingAttachment(models.Model):
    """Minutes scans and photos the branch chooses to keep (never required)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("附件"), upload_to=attachment_path)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")

    def __str__(self) -> str:
        return self.original_name
