"""Residents' consultation followed to results (议事协商).

A community (or street) organization opens a ``Topic`` (议题): from a resident request, a proposal by
residents or members, or the committee. It publishes the notice (公告: the meeting's day and place and
who takes part, partner units named), records the meeting once (``Meeting``: minutes, participants
counted by group, options discussed, the decision, votes where taken), and turns the decision into
an accountability tree (``Item``: item → child items; leaves have an owner, milestones, a progress %
and a status, changed only by dated ``Update`` rows). Residents read the topic on its public page and
comment on an update (``Comment``: carried out or not, moderated: hidden with a recorded reason).

Scope: a topic lies at its organization (``org_path``); it is also seen by the organizations owning
one of its items and by the contacts of the partner units it names or that own one of its items.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core import scope
from jiceng.core.scope import ScopedQuerySet


class Source(models.TextChoices):
    REQUEST = "request", _("居民诉求")
    RESIDENTS = "residents", _("居民提议")
    MEMBERS = "members", _("党员提议")
    COMMITTEE = "committee", _("党组织或居（村）委会提出")


class TopicStatus(models.TextChoices):
    OPEN = "open", _("已立项")
    NOTICED = "noticed", _("已公告")
    MET = "met", _("已协商，未形成决定")
    DECIDED = "decided", _("已形成决定，落实中")
    DONE = "done", _("已落实")


PUBLIC_STATUSES = (TopicStatus.NOTICED, TopicStatus.MET, TopicStatus.DECIDED, TopicStatus.DONE)
DECIDED_STATUSES = (TopicStatus.DECIDED, TopicStatus.DONE)


class Group(models.TextChoices):
    """Who takes part (协商主体), as the notice names them and the meeting counts them."""

    REPRESENTATIVES = "representatives", _("居民代表")
    RESIDENTS = "residents", _("利益相关居民")
    LIAISONS = "liaisons", _("驻区单位联络人")
    PROPERTY = "property", _("物业服务企业")
    MEMBERS = "members", _("党员")
    OTHERS = "others", _("其他")


class TopicQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"

    def scope_q(self, user: object, action: str) -> Q:
        """The organization's subtree; to view, also the subtrees of organizations owning an item and
        the contacts of the partner units named in the notice or owning an item."""
        prefixes = scope.paths_for(user, action)
        q = scope.path_q("org_path", prefixes)
        if action == scope.VIEW and getattr(user, "is_authenticated", False):
            owned = Item.objects.filter(
                scope.path_q("owner_org__path", prefixes) | Q(owner_partner__contacts=user)
            )
            q |= Q(pk__in=owned.values("topic_id")) | Q(
                pk__in=Topic.partners.through.objects.filter(partnerunit__contacts=user).values("topic_id")
            )
        return q


class Topic(models.Model):
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="consultation_topics",
        verbose_name=_("组织"),
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    title = models.CharField(_("议题"), max_length=200)
    description = models.TextField(_("议题说明"), max_length=2000, blank=True)
    source = models.CharField(_("议题来源"), max_length=12, choices=Source.choices)
    request = models.ForeignKey(
        "services.ServiceRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultation_topics",
        verbose_name=_("来源诉求"),
    )
    proposed_by = models.CharField(_("提议人"), max_length=100, blank=True)
    opened_on = models.DateField(_("立项日期"))
    status = models.CharField(_("状态"), max_length=10, choices=TopicStatus.choices, default=TopicStatus.OPEN)
    # The notice (公告).
    noticed_on = models.DateField(_("公告日期"), null=True, blank=True)
    meeting_on = models.DateField(_("协商会议日期"), null=True, blank=True)
    meeting_place = models.CharField(_("协商会议地点"), max_length=200, blank=True)
    notice_text = models.TextField(_("公告内容"), max_length=2000, blank=True)
    groups = models.JSONField(_("参加协商的各方"), default=list, blank=True)
    partners = models.ManyToManyField(
        "partners.PartnerUnit",
        blank=True,
        related_name="consultation_topics",
        verbose_name=_("参加的驻区单位"),
    )
    decided_on = models.DateField(_("形成决定日期"), null=True, blank=True)
    done_on = models.DateField(_("落实完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("协商议题")
        verbose_name_plural = _("协商议题")
        ordering = ["-opened_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        self.org_path = self.org.path
        super().save(*args, **kwargs)

    def audit_org_path(self) -> str:
        return self.org_path

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    def group_labels(self) -> list[str]:
        labels = dict(Group.choices)
        return [str(labels[g]) for g in self.groups if g in labels]


class Meeting(models.Model):
    """The consultation meeting, recorded once (its parts follow the organizational-life form's)."""

    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, related_name="meeting")
    held_on = models.DateField(_("会议日期"))
    place = models.CharField(_("地点"), max_length=200)
    minutes = models.TextField(_("会议记录"), max_length=5000)
    options = models.TextField(_("讨论的方案"), max_length=2000, blank=True, help_text=_("每行一个方案"))
    decision = models.TextField(_("协商决定"), max_length=2000, blank=True)
    representatives = models.PositiveIntegerField(_("居民代表人数"), default=0)
    residents = models.PositiveIntegerField(_("利益相关居民人数"), default=0)
    liaisons = models.PositiveIntegerField(_("驻区单位联络人人数"), default=0)
    property_staff = models.PositiveIntegerField(_("物业服务企业人数"), default=0)
    members_count = models.PositiveIntegerField(_("党员人数"), default=0)
    others = models.PositiveIntegerField(_("其他人数"), default=0)
    named = models.CharField(_("参加人姓名（可不填）"), max_length=500, blank=True)
    members = models.ManyToManyField(
        "members.Member", blank=True, related_name="+", verbose_name=_("参加的党员")
    )
    voted = models.BooleanField(_("进行了表决"), default=False)
    votes_for = models.PositiveIntegerField(_("赞成"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("反对"), null=True, blank=True)
    votes_abstain = models.PositiveIntegerField(_("弃权"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("协商会议")
        verbose_name_plural = _("协商会议")

    def __str__(self) -> str:
        return f"{self.topic} {self.held_on}"

    def audit_org_path(self) -> str:
        return self.topic.org_path

    @property
    def total(self) -> int:
        return (
            self.representatives
            + self.residents
            + self.liaisons
            + self.property_staff
            + self.members_count
            + self.others
        )

    def option_lines(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    ONGOING = "ongoing", _("推进中")
    DONE = "done", _("已完成")
    STALLED = "stalled", _("受阻")


class Item(models.Model):
    """One item of the accountability tree (落实事项). A leaf has an owner and takes updates; a parent's
    progress follows from its children (``tree.progress``)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级事项"),
    )
    title = models.CharField(_("事项"), max_length=200)
    owner_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任组织"),
    )
    owner_partner = models.ForeignKey(
        "partners.PartnerUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation_items",
        verbose_name=_("责任单位"),
    )
    weight = models.PositiveSmallIntegerField(
        _("权重"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    due_on = models.DateField(_("完成期限"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("进度（%）"), default=0, validators=[MaxValueValidator(100)]
    )
    status = models.CharField(_("状态"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.PLANNED)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("落实事项")
        verbose_name_plural = _("落实事项")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    def audit_org_path(self) -> str:
        return self.topic.org_path

    @property
    def owner_name(self) -> str:
        if self.owner_partner_id:
            return self.owner_partner.name
        return self.owner_org.name if self.owner_org_id else ""


class Milestone(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due_on = models.DateField(_("计划日期"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title

    def audit_org_path(self) -> str:
        return self.item.topic.org_path


class Update(models.Model):
    """A dated progress update of a leaf (public: residents read and comment on it)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="updates")
    on = models.DateField(_("日期"))
    progress = models.PositiveSmallIntegerField(_("进度（%）"), validators=[MaxValueValidator(100)])
    status = models.CharField(_("状态"), max_length=8, choices=ItemStatus.choices)
    text = models.TextField(_("进展情况"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("进展")
        verbose_name_plural = _("进展")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.item} {self.on}"

    def audit_org_path(self) -> str:
        return self.item.topic.org_path


class Verdict(models.TextChoices):
    CARRIED = "carried", _("已落实")
    PARTLY = "partly", _("部分落实")
    NOT_CARRIED = "not_carried", _("未落实")


class Comment(models.Model):
    """A resident's word on an update, from the public page (no account, nothing personal kept)."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="comments")
    verdict = models.CharField(_("是否落实"), max_length=12, choices=Verdict.choices)
    text = models.TextField(_("意见"), max_length=500, blank=True)
    address_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    hidden = models.BooleanField(_("已隐藏"), default=False)
    hidden_reason = models.CharField(_("隐藏原因"), max_length=200, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = ("address_digest",)

    class Meta:
        verbose_name = _("居民评价")
        verbose_name_plural = _("居民评价")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.update}: {self.get_verdict_display()}"

    def audit_org_path(self) -> str:
        return self.update.item.topic.org_path
