"""Party dues (党费): income bases, the amounts fixed for the year, payments and their exceptions.

Every row belongs to a member and is scoped by the member's branch path (``member__org_path``): a
member's dues records follow them when they move. A member sees their own rows.

- ``IncomeBase``: a member's monthly income base (月收入基数) from a month on; history kept, the base in
  force in a month is the latest that applies from that month or before. Personal data: masked for
  viewers (see ``selectors.can_see_bases``).
- ``BranchDuesSetting``: what a branch decides: the farmers' fixed amount (0.2–1 yuan, default 0.5).
- ``FixedAmount``: a member's monthly amount fixed at the start of a year (年初核定), refixed from the
  month a new base applies; it keeps how it was computed.
- ``Payment``: one member's dues for one month (method, receipt number, who recorded it).
- ``ExtraPayment``: a voluntary extra payment; 1,000 yuan or more is remitted whole to the Centre.
- ``PaymentConsent``: the branch's consent to quarterly or advance payment by a member.
- ``Hardship``: a reduction or exemption decided by the branch, approved by the next committee.

There is deliberately no model for paying on a member's behalf, deducting from pay or levying
"special dues" (党费规定 Art. 14): the system has no such operation.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.scope import VIEW, ScopedQuerySet


class DuesQuerySet(ScopedQuerySet):
    """Rows of a member, in the scope of the member's branch; a member sees their own."""

    scope_path_field = "member__org_path"

    def scope_q(self, user, action: str) -> Q:  # noqa: ANN001
        q = super().scope_q(user, action)
        if action == VIEW and getattr(user, "is_authenticated", False):
            q |= Q(member__user=user)
        return q


class MemberOwned(models.Model):
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="+", verbose_name=_("党员")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DuesQuerySet.as_manager()

    class Meta:
        abstract = True

    def audit_org_path(self) -> str:
        return self.member.org_path


class Method(models.TextChoices):
    CASH = "cash", _("现金")
    TRANSFER = "transfer", _("转账")


class IncomeBase(MemberOwned):
    class Source(models.TextChoices):
        BRANCH = "branch", _("支部录入")
        MEMBER = "member", _("本人填报")
        IMPORTED = "imported", _("导入")

    amount = models.DecimalField(
        _("月收入基数"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10000000"))],
    )
    applies_from = models.DateField(_("起始月份"), help_text=_("新收入首次领取的月份（每月1日）"))
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.BRANCH)
    # A base the member entered for their own record counts once the branch confirms it.
    confirmed = models.BooleanField(_("已确认"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("月收入基数")
        verbose_name_plural = _("月收入基数")
        ordering = ["member", "-applies_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "applies_from"], name="dues_base_one_per_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="dues_base_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.applies_from:%Y-%m}"


class BranchDuesSetting(models.Model):
    org = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="dues_setting", verbose_name=_("党支部")
    )
    farmer_amount = models.DecimalField(
        _("农牧渔民党员每月交纳数额"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0.20")), MaxValueValidator(Decimal("1.00"))],
    )
    decided_on = models.DateField(_("支部决定日期"), null=True, blank=True)
    # 党费记录起始月份: the first month whose dues this branch keeps in jiceng. Arrears are judged only
    # from it (a branch that has not started keeping its dues here has no records to judge). Set by
    # the first payment, the year's fixing or the import of bases when empty; the branch may change it.
    records_since = models.DateField(_("党费记录起始月份"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("支部党费设置")
        verbose_name_plural = _("支部党费设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(farmer_amount__gte=Decimal("0.20")) & Q(farmer_amount__lte=Decimal("1.00")),
                name="dues_farmer_amount_bounds",
            )
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.farmer_amount}"

    def audit_org_path(self) -> str:
        return self.org.path


class FixedAmount(MemberOwned):
    """The monthly amount in force from ``applies_from`` to the end of its year (or the next refix)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    applies_from = models.DateField(_("起始月份"))
    amount = models.DecimalField(_("每月应交"), max_digits=10, decimal_places=2)
    category = models.CharField(_("人员类别"), max_length=12)
    base = models.DecimalField(_("月收入基数"), max_digits=12, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField(_("交纳比例"), max_digits=6, decimal_places=4, null=True, blank=True)
    way = models.CharField(_("计算方式"), max_length=16)
    bracket = models.PositiveSmallIntegerField(_("档次"), null=True, blank=True)
    explanation = models.CharField(_("计算说明"), max_length=300)

    class Meta:
        verbose_name = _("核定党费")
        verbose_name_plural = _("核定党费")
        ordering = ["member", "-applies_from"]
        constraints = [
            models.UniqueConstraint(fields=["member", "applies_from"], name="dues_fixed_one_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.applies_from:%Y-%m} {self.amount}"


class Payment(MemberOwned):
    month = models.DateField(_("所属月份"))  # the first day of the month paid for
    amount = models.DecimalField(
        _("实交金额"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    paid_on = models.DateField(_("交纳日期"))
    method = models.CharField(_("交纳方式"), max_length=12, choices=Method.choices, default=Method.CASH)
    receipt_number = models.CharField(_("收据编号"), max_length=40, blank=True)
    back_payment_reason = models.CharField(_("补交原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("党费交纳记录")
        verbose_name_plural = _("党费交纳记录")
        ordering = ["member", "-month"]
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="dues_one_payment_per_month")]
        indexes = [models.Index(fields=["month", "member"], name="dues_payment_month")]

    def __str__(self) -> str:
        return f"{self.member} {self.month:%Y-%m} {self.amount}"


class ExtraPayment(MemberOwned):
    amount = models.DecimalField(
        _("多交金额"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    paid_on = models.DateField(_("交纳日期"))
    method = models.CharField(_("交纳方式"), max_length=12, choices=Method.choices, default=Method.CASH)
    receipt_number = models.CharField(_("收据编号"), max_length=40, blank=True)
    remitted_to_centre = models.BooleanField(_("全部上缴中央"), default=False)

    class Meta:
        verbose_name = _("自愿多交党费")
        verbose_name_plural = _("自愿多交党费")
        ordering = ["member", "-paid_on"]

    def __str__(self) -> str:
        return f"{self.member} {self.paid_on} {self.amount}"


class PaymentConsent(MemberOwned):
    class Kind(models.TextChoices):
        QUARTERLY = "quarterly", _("按季度交纳")
        ADVANCE = "advance", _("预交")

    kind = models.CharField(_("方式"), max_length=12, choices=Kind.choices)
    decided_on = models.DateField(_("支部同意日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("按季度交纳或预交的同意")
        verbose_name_plural = _("按季度交纳或预交的同意")
        ordering = ["member", "-decided_on"]

    def __str__(self) -> str:
        return f"{self.member} {self.get_kind_display()}"


class Hardship(MemberOwned):
    class Kind(models.TextChoices):
        REDUCTION = "reduction", _("减交")
        EXEMPTION = "exemption", _("免交")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    from_month = models.DateField(_("起始月份"))
    until_month = models.DateField(_("截止月份"))
    reduced_amount = models.DecimalField(
        _("减交后每月金额"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField(_("原因"), max_length=200)
    branch_decided_on = models.DateField(_("支部决定日期"))
    committee_approved_on = models.DateField(_("上级党委批准日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("困难减免")
        verbose_name_plural = _("困难减免")
        ordering = ["member", "-from_month"]

    def __str__(self) -> str:
        return f"{self.member} {self.get_kind_display()} {self.from_month:%Y-%m}"

    @property
    def approved(self) -> bool:
        return self.committee_approved_on is not None

    def covers(self, month) -> bool:  # noqa: ANN001
        return self.from_month <= month <= self.until_month


class OrgDuesQuerySet(ScopedQuerySet):
    scope_path_field = "org__path"


class DuesUse(models.Model):
    """What an organization did with the dues it keeps (党费使用) or remitted to the next level up
    (上缴), as its committee decided: the yearly publication (党费收缴使用情况年度公示) shows these.
    Recorded by whoever holds the change right on the organization."""

    class Kind(models.TextChoices):
        USE = "use", _("使用")
        REMIT = "remit", _("上缴上级党组织")

    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("党组织")
    )
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.USE)
    used_on = models.DateField(_("日期"))
    purpose = models.CharField(_("用途"), max_length=200)
    amount = models.DecimalField(
        _("金额"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("10000000"))],
    )
    decision = models.CharField(_("批准决定"), max_length=200, help_text=_("如：党委会议2026年第3次会议决定"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgDuesQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费使用")
        verbose_name_plural = _("党费使用")
        ordering = ["org", "used_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="dues_use_positive")]

    def __str__(self) -> str:
        return f"{self.org} {self.used_on} {self.amount}"

    def audit_org_path(self) -> str:
        return self.org.path


class FigureQuerySet(ScopedQuerySet):
    scope_path_field = "path"


class DuesMonthFigure(models.Model):
    """One branch's dues in one month, maintained (``figures.py``) so that a subtree's report is a sum of
    rows by materialized path rather than a computation over every member's ledger.

    The members counted are those whose branch is ``org`` now (as the report computed from the ledger
    counts them). Kept per branch and year: the twelve rows of a branch's year are computed together
    (arrears across months need the year). ``stale``: a write elsewhere (a member's category, dates or
    branch, a roster import, a new rule version) may have changed them; read again on the next report.

    - ``liable``: members who owe dues that month; ``due``: what they owe; ``collected``/``paid``: their
      payments for the month; ``exempt``: under an approved exemption and unpaid; ``unpaid``: owing, not
      paid, not exempt;
    - ``arrears``/``arrears_members``: of the unpaid, those from the branch's 党费记录起始月份 on (counted
      as arrears once the month has ended: the reader knows today, the row does not);
      ``arrears_new_quarter``/``arrears_new_year``: of those members, the ones with no arrears in an
      earlier month of the same quarter/year, so that the members in arrears over a quarter or a year are
      a sum of rows;
    - ``extra``/``extra_count``: voluntary extra payments paid that month; ``remitted``/``remitted_count``:
      those of them remitted whole to the Centre.
    """

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255)
    month = models.DateField()
    liable = models.PositiveIntegerField(default=0)
    due = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    collected = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    paid = models.PositiveIntegerField(default=0)
    exempt = models.PositiveIntegerField(default=0)
    unpaid = models.PositiveIntegerField(default=0)
    arrears = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    arrears_members = models.PositiveIntegerField(default=0)
    arrears_new_quarter = models.PositiveIntegerField(default=0)
    arrears_new_year = models.PositiveIntegerField(default=0)
    extra = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    extra_count = models.PositiveIntegerField(default=0)
    remitted = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    remitted_count = models.PositiveIntegerField(default=0)
    stale = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    # Paths follow a moved subtree (core.moves.repath rewrites every scoped model's path column).
    objects = FigureQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费月度统计")
        verbose_name_plural = _("党费月度统计")
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="dues_figure_org_month")]
        indexes = [
            models.Index(
                fields=["path", "month"],
                name="dues_figure_path_month",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.month:%Y-%m}"

    def audit_org_path(self) -> str:
        return self.path


class DuesSubtreeFigure(models.Model):
    """The sum of ``DuesMonthFigure`` over an organization's subtree in one month (same columns): the
    report of a node reads its own row and its children's, whatever the size of the subtree. Written on
    read from the branch rows once they are all current; deleted (for the organization and every
    ancestor) by anything that recomputes or marks a branch row stale, so a row that exists is current."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    liable = models.PositiveIntegerField(default=0)
    due = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    collected = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    paid = models.PositiveIntegerField(default=0)
    exempt = models.PositiveIntegerField(default=0)
    unpaid = models.PositiveIntegerField(default=0)
    arrears = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    arrears_members = models.PositiveIntegerField(default=0)
    arrears_new_quarter = models.PositiveIntegerField(default=0)
    arrears_new_year = models.PositiveIntegerField(default=0)
    extra = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    extra_count = models.PositiveIntegerField(default=0)
    remitted = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    remitted_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("党费月度统计（含下级）")
        verbose_name_plural = _("党费月度统计（含下级）")
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="dues_subtree_figure_org_month")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.month:%Y-%m}"
