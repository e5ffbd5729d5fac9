"""Residents' requests (接诉即办): categories, routing, states as data, the requests and their events.

A request is placed in the tree twice: where it was made (``org``, the community whose public page
took it: ``org_path``) and who handles it (``handler_org``: ``handler_path``; or a partner unit).
Both subtrees see it; a partner unit's contacts see what is assigned to their unit (as responsible
or co-handler) and nothing else. The resident has no account: a secret link (its digest is stored)
lets them follow, add to, confirm or dispute their request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core import scope
from jiceng.core.scope import ScopedQuerySet


class Urgency(models.TextChoices):
    URGENT = "urgent", _("紧急")
    ORDINARY = "ordinary", _("一般")
    COMPLEX = "complex", _("复杂")


class StateType(models.TextChoices):
    """The fixed types the figures and the transitions read; admins' states each map to one."""

    RECEIVED = "received", _("已接收")
    ACCEPTED = "accepted", _("已响应")
    IN_PROGRESS = "in_progress", _("办理中")
    ANSWERED = "answered", _("已办结待评价")
    RESOLVED = "resolved", _("居民已确认")
    REOPENED = "reopened", _("居民不满意，重新办理")
    CLOSED = "closed", _("已关闭")
    MERGED = "merged", _("已合并（重复诉求）")
    REFERRED = "referred", _("不属受理范围")
    WITHDRAWN = "withdrawn", _("居民已撤回")


# Which types may follow which (the services refuse anything else).
TRANSITIONS: dict[str, frozenset[str]] = {
    StateType.RECEIVED: frozenset({"accepted", "merged", "referred", "withdrawn"}),
    StateType.ACCEPTED: frozenset({"in_progress", "answered", "merged", "referred", "withdrawn"}),
    StateType.IN_PROGRESS: frozenset({"in_progress", "answered", "withdrawn"}),
    StateType.REOPENED: frozenset({"in_progress", "answered", "withdrawn"}),
    StateType.ANSWERED: frozenset({"resolved", "reopened", "closed"}),
    StateType.RESOLVED: frozenset({"closed"}),
    StateType.CLOSED: frozenset(),
    StateType.MERGED: frozenset(),
    StateType.REFERRED: frozenset(),
    StateType.WITHDRAWN: frozenset(),
}
OPEN_TYPES = frozenset({"received", "accepted", "in_progress", "reopened"})
FINAL_TYPES = frozenset({"closed", "merged", "referred", "withdrawn"})


class Resolution(models.TextChoices):
    """The resident's word on the answer (or its absence)."""

    SOLVED = "solved", _("已解决")
    PARTLY = "partly", _("部分解决")
    NOT_SOLVED = "not_solved", _("未解决")
    NO_ANSWER = "no_answer", _("居民未回复")


class State(models.Model):
    """A state as data: its name (for handlers and for residents) and the type it counts as.

    The shipped states are one per type (``shipped``); an administrator may add sub-states, e.g.
    "待现场核查" of type 办理中, without a line of code: figures and transitions read the type.
    """

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    public_name = models.CharField(_("居民看到的名称"), max_length=60)
    type = models.CharField(_("类型"), max_length=20, choices=StateType.choices)
    order = models.PositiveSmallIntegerField(_("顺序"), default=100)
    shipped = models.BooleanField(_("系统内置"), default=False, editable=False)

    class Meta:
        verbose_name = _("诉求状态")
        verbose_name_plural = _("诉求状态")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A category of requests (a tree by ``parent``): 环境卫生, 物业管理 … editable by admins."""

    name = models.CharField(_("类别名称"), max_length=60)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级类别"),
    )
    urgency = models.CharField(
        _("默认紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.ORDINARY
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_name_per_parent")]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def lineage(self) -> list[int]:
        """Its id and its ancestors' ids, nearest first (routing falls back along it)."""
        out, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            out.append(node.pk)
            seen.add(node.pk)
            node = node.parent
        return out


def category_keys(categories: dict[int, Category]) -> dict[int, tuple[tuple[str, ...], ...]]:
    """For each category (all of them, by id, with ``parent_id``): the keys the time limits may name it
    by, for it and each ancestor, nearest first: its id and its name path (``环境卫生/垃圾清运``)."""

    def path(cid: int) -> list[int]:
        out: list[int] = []
        while cid is not None and cid in categories and cid not in out:
            out.append(cid)
            cid = categories[cid].parent_id
        return out

    def name(cid: int) -> str:
        return "/".join(categories[c].name for c in reversed(path(cid)))

    return {cid: tuple((str(c), name(c)) for c in path(cid)) for cid in categories}


class Desk(models.Model):
    """Whether an organization takes requests through a public page. Communities and villages do by
    default (no row needed); a row opens any other organization, or closes one."""

    org = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="request_desk", verbose_name=_("党组织")
    )
    open = models.BooleanField(_("接收群众诉求"), default=True)

    class Meta:
        verbose_name = _("诉求受理窗口")
        verbose_name_plural = _("诉求受理窗口")

    def __str__(self) -> str:
        return str(self.org)

    def audit_org_path(self) -> str:
        return self.org.path


class RouteQuerySet(ScopedQuerySet):
    scope_path_field = "org__path"


class Route(models.Model):
    """Per community: requests of a category (and its sub-categories) go to this handler."""

    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="request_routes", verbose_name=_("社区")
    )
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="routes", verbose_name=_("类别")
    )
    handler_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承办党组织"),
    )
    handler_partner = models.ForeignKey(
        "partners.PartnerUnit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routes",
        verbose_name=_("承办共建单位"),
    )

    objects = RouteQuerySet.as_manager()

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        constraints = [
            models.UniqueConstraint(fields=["org", "category"], name="route_per_org_category"),
            models.CheckConstraint(
                condition=Q(handler_org__isnull=True) ^ Q(handler_partner__isnull=True),
                name="route_one_handler",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} · {self.category}"

    def audit_org_path(self) -> str:
        return self.org.path


class ServiceRequestQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"

    def scope_q(self, user: object, action: str) -> Q:
        """Where it was made, who handles it, or a partner unit of which the user is a contact (as
        responsible or co-handler)."""
        prefixes = scope.paths_for(user, action)
        q = scope.path_q("org_path", prefixes) | scope.path_q("handler_path", prefixes)
        if (
            getattr(user, "is_authenticated", False)
            and user.is_active
            and action in (scope.VIEW, scope.CHANGE)
        ):
            q |= Q(handler_partner__contacts=user) | Q(
                pk__in=CoHandler.objects.filter(partner__contacts=user).values("request_id")
            )
        return q

    def restrict(self, user: object, action: str = scope.VIEW) -> ServiceRequestQuerySet:
        # The partner join may repeat a row: select by id.
        return self.filter(pk__in=ServiceRequest.objects.filter(self.scope_q(user, action)).values("pk"))


class Channel(models.TextChoices):
    WEB = "web", _("网上")
    PHONE = "phone", _("电话")
    VISIT = "visit", _("来访")
    HOTLINE = "hotline", _("12345热线")


def photo_path(instance: ServiceRequest, filename: str) -> str:
    return f"requests/{instance.org_id}/{filename}"


class ServiceRequest(models.Model):
    """One resident's request. ``text`` is kept as written; ``public_text`` may be a moderated copy."""

    code = models.CharField(_("受理编号"), max_length=16, unique=True)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="service_requests",
        verbose_name=_("受理社区"),
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="requests", verbose_name=_("类别")
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.ORDINARY
    )
    channel = models.CharField(_("来源"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    text = models.TextField(_("诉求内容"))
    public_text = models.TextField(_("公开版本"), blank=True)
    address = models.CharField(_("地点"), max_length=200)
    public_address = models.CharField(_("地点的公开版本"), max_length=200, blank=True)
    name_cipher = models.TextField(blank=True, editable=False)
    name_masked = models.CharField(_("称呼"), max_length=40, blank=True)
    phone_cipher = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    address_digest = models.CharField(max_length=64, blank=True, editable=False)
    sms_consent = models.BooleanField(_("同意短信通知"), default=False)
    # A keyed digest of the phone (``services.phone_digest``): a resident's SMS reply finds their
    # request by it, never by the number itself. Kept only with SMS consent; erased with the phone.
    phone_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # A work order dispatched by the city's 12345 hotline: its number (the import is idempotent by it),
    # the hotline's own deadline and the handling unit as the hotline wrote it.
    hotline_no = models.CharField(_("12345工单编号"), max_length=40, blank=True, db_index=True)
    hotline_deadline = models.DateTimeField(_("12345办理时限"), null=True, blank=True)
    hotline_unit = models.CharField(_("12345承办单位"), max_length=200, blank=True)
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+", verbose_name=_("状态"))
    state_type = models.CharField(_("状态类型"), max_length=20, choices=StateType.choices, db_index=True)
    handler_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_requests",
        verbose_name=_("承办党组织"),
    )
    handler_partner = models.ForeignKey(
        "partners.PartnerUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("承办共建单位"),
    )
    handler_path = models.CharField(max_length=255, editable=False, db_index=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("重复于")
    )
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    resolution = models.CharField(_("居民评价"), max_length=12, choices=Resolution.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    photo = models.FileField(_("照片"), upload_to=photo_path, blank=True)
    photo_type = models.CharField(max_length=40, blank=True, editable=False)

    objects = ServiceRequestQuerySet.as_manager()

    # Ciphertext and digests never go into the change record.
    audit_exclude = (
        "name_cipher",
        "phone_cipher",
        "phone_digest",
        "token_digest",
        "address_digest",
        "photo",
    )

    class Meta:
        verbose_name = _("群众诉求")
        verbose_name_plural = _("群众诉求")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="request_satisfaction_1_5",
            ),
            models.UniqueConstraint(
                fields=["hotline_no"], condition=~Q(hotline_no=""), name="request_hotline_no_unique"
            ),
        ]
        indexes = [
            # The intake's count of an address's submissions in the last hour reads the hour only.
            models.Index(fields=["address_digest", "received_at"], name="request_address_recent"),
        ]

    def __str__(self) -> str:
        return self.code

    def audit_org_path(self) -> str:
        return self.org_path

    @property
    def is_open(self) -> bool:
        return self.state_type in OPEN_TYPES

    @property
    def public_description(self) -> str:
        """What anyone but the handlers reads: the moderated copy when there is one."""
        return self.public_text or self.text

    @property
    def public_place(self) -> str:
        return self.public_address or self.address

    @property
    def moderated(self) -> bool:
        return bool(self.public_text or self.public_address)

    @property
    def handler_name(self) -> str:
        if self.handler_partner_id:
            return self.handler_partner.name
        return self.handler_org.name if self.handler_org_id else ""


class CoHandler(models.Model):
    """A co-handler (协办): an organization of the tree or a partner unit helping the responsible one."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="cohandlers")
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    partner = models.ForeignKey(
        "partners.PartnerUnit", on_delete=models.CASCADE, null=True, blank=True, related_name="cohandled"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(org__isnull=True) ^ Q(partner__isnull=True), name="cohandler_one"
            )
        ]

    def __str__(self) -> str:
        return self.partner.name if self.partner_id else self.org.name


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("提交诉求")
    ACCEPTED = "accepted", _("已响应")
    PROGRESS = "progress", _("办理进展")
    ANSWERED = "answered", _("办结答复")
    CONFIRMED = "confirmed", _("居民确认")
    DISPUTED = "disputed", _("居民不满意")
    CLOSED = "closed", _("关闭")
    MERGED = "merged", _("合并为重复诉求")
    REFERRED = "referred", _("不属受理范围")
    WITHDRAWN = "withdrawn", _("居民撤回")
    HANDED_OVER = "handed_over", _("转交承办单位")
    COHANDLER = "cohandler", _("增加协办单位")
    INFO = "info", _("居民补充信息")
    MODERATED = "moderated", _("公开内容处理")


class Event(models.Model):
    """One step in a request's life. ``public_text`` the resident reads; ``note`` only handlers."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事项"), max_length=16, choices=EventKind.choices)
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+", verbose_name=_("之后的状态"))
    at = models.DateTimeField(_("时间"))
    by_resident = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_unit = models.CharField(_("办理单位"), max_length=200, blank=True)
    public_text = models.TextField(_("对居民的说明"), blank=True)
    note = models.TextField(_("内部备注"), blank=True)
    # The resident's later words (an addition, a dispute, their evaluation) are moderated like the
    # request's text: ``public_text`` keeps what they wrote, for the handlers; once ``moderated``,
    # public pages show ``public_version`` instead (blank: hidden, with a line saying so).
    moderated = models.BooleanField(_("已处理公开内容"), default=False)
    public_version = models.TextField(_("公开版本"), blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request} {self.kind}"

    @property
    def shown_text(self) -> str:
        """What public pages show: the moderated version once there is one, else the words as written."""
        return self.public_version if self.moderated else self.public_text

    @property
    def moderatable(self) -> bool:
        return self.by_resident and bool(self.public_text)


class MonthlyFigures(models.Model):
    """The counts behind the three rates of one organization's subtree for one month (by the month a
    request was received, local time), maintained by every write that changes them (``figures.py``) and
    rebuildable (``jiceng requests_figures --rebuild``). A request counts for every organization above
    and including where it was made and who handles it (``in_subtree``: made in or handled by)."""

    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="request_figures",
        verbose_name=_("党组织"),
    )
    month = models.DateField(_("月份"))
    received = models.IntegerField(default=0)
    responded_in_time = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("诉求月度数字")
        verbose_name_plural = _("诉求月度数字")
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="request_figures_org_month")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.month:%Y-%m}"


class SmsDirection(models.TextChoices):
    OUT = "out", _("发出")
    IN = "in", _("收到")


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("未发送")
    APPLIED = "applied", _("已采纳")
    REFUSED = "refused", _("未采纳")


class SmsMessage(models.Model):
    """One SMS to or from a resident about a request: what was sent (or replied) and how it went,
    never the phone number (the worker decrypts it from the request; a reply is matched by the
    phone's keyed digest). ``outcome`` is a code: the gateway's failure, or why a reply was refused."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="sms_messages"
    )
    direction = models.CharField(max_length=3, choices=SmsDirection.choices)
    purpose = models.CharField(max_length=20, blank=True)  # the state it announces, or "confirm"
    text = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=SmsStatus.choices)
    outcome = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("诉求短信")
        verbose_name_plural = _("诉求短信")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.direction} {self.status}"
