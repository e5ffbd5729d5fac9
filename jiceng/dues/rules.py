"""The dues rules of RULES.md §5 as pure functions (no database; property-tested).

``amount`` gives a member's monthly dues from their category, income base (月收入基数), status and the
branch's fixed amount for farmers, with the bracket it used, so that every amount can say how it was
computed (base × rate, which bracket). Every number is a parameter of ``dues.amount`` in the rule book
(``core.rulebook``), with an effective date: a revised regulation is a new rule version, not new code.
Money is ``Decimal`` throughout, rounded to the fen (0.01) half up; never a float.

The payment rules (``back_payment_needs_reason``, ``remitted_to_centre``, ``advance_allowed``) and the
arrears (``unpaid_run``) are here too, for the services and the compliance engine to share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

FEN = Decimal("0.01")
AMOUNT = "dues.amount"
BACK_PAYMENT = "dues.back_payment"
REMIT = "dues.remit_to_centre"
UNPAID_6_MONTHS = "member.dues_unpaid_6_months"
UNPAID_MONTH = "dues.unpaid_month"

# Categories (members.models.Category) and the dues ways of computing them.
EMPLOYED, RETIRED, FARMER, STUDENT, OTHER = "employed", "retired", "farmer", "student", "other"

# The shipped parameters of ``dues.amount`` (JSON values: decimals as strings; ``null`` is no upper bound).
AMOUNT_DEFAULTS: dict[str, Any] = {
    "employed": [["3000", "0.005"], ["5000", "0.01"], ["10000", "0.015"], [None, "0.02"]],
    "retired": [["5000", "0.005"], [None, "0.01"]],
    "fixed_low": "0.2",
    "farmer_min": "0.2",
    "farmer_max": "1",
    "farmer_default": "0.5",
}
AMOUNT_CITATION = gettext_noop("关于中国共产党党费收缴、使用和管理的规定（2008）第二、四、五、六、八条")
BACK_PAYMENT_DEFAULTS: dict[str, Any] = {"months": 6}
BACK_PAYMENT_CITATION = gettext_noop("关于中国共产党党费收缴、使用和管理的规定（2008）第十二条")
REMIT_DEFAULTS: dict[str, Any] = {"threshold": "1000"}
REMIT_CITATION = gettext_noop("关于中国共产党党费收缴、使用和管理的规定（2008）第十一条")


def money(value: Any) -> Decimal:
    """A Decimal rounded to the fen, half up (a float is refused: it already lost the fen)."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)


def parse_money(text: str, *, low: Decimal = Decimal("0"), high: Decimal = Decimal("10000000")) -> Decimal:
    """A yuan amount typed by a person ("3000", "3,000.5"), at most two decimals, within [low, high];
    ``ValueError`` with a Chinese reason otherwise."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "").replace("元", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("“%(text)s”不是金额") % {"text": text}) from None
    if not value.is_finite() or value != value.quantize(FEN, rounding=ROUND_HALF_UP):
        raise ValueError(_("金额最多保留两位小数（到分）"))
    if value < low or value > high:
        raise ValueError(_("金额应在%(low)s至%(high)s元之间") % {"low": low, "high": high})
    return value.quantize(FEN)


@dataclass(frozen=True)
class Amount:
    """A month's dues and how they were computed.

    ``way``: ``bracket`` (base × rate of a bracket), ``fixed_farmer``, ``fixed_low`` (students, the
    unemployed, those on relief, 其他 without a base), or ``none`` (not yet a member that month).
    """

    amount: Decimal
    way: str
    category: str
    base: Decimal | None = None
    rate: Decimal | None = None
    bracket: int | None = None  # 1-based index of the bracket of the category's table
    lower: Decimal | None = None  # the bracket's bounds: lower < base ≤ upper (None: open)
    upper: Decimal | None = None

    def explain(self) -> str:
        """How the amount was computed, as a sentence (in the active language)."""
        if self.way == "bracket":
            if self.upper is None:
                band = _("%(lower)s元以上") % {"lower": self.lower}
            elif self.lower is None:
                band = _("%(upper)s元及以下") % {"upper": self.upper}
            else:
                band = _("%(lower)s元以上至%(upper)s元") % {"lower": self.lower, "upper": self.upper}
            return _("月收入基数%(base)s元 × %(rate)s%%（第%(n)s档：%(band)s）= %(amount)s元") % {
                "base": self.base,
                "rate": (self.rate or 0) * 100,
                "n": self.bracket,
                "band": band,
                "amount": self.amount,
            }
        if self.way == "fixed_farmer":
            return _("农牧渔民党员按支部确定的固定数额交纳：每月%(amount)s元") % {"amount": self.amount}
        if self.way == "fixed_low":
            return _(
                "学生、下岗失业、依靠救济或领取最低生活保障金的党员（及未填基数的其他人员）每月交纳%(amount)s元"
            ) % {"amount": self.amount}
        return _("本月尚未入党（预备党员自支部大会通过之月起交纳），不交纳党费")

    def as_json(self) -> dict[str, Any]:
        return {
            "amount": str(self.amount),
            "way": self.way,
            "category": self.category,
            "base": None if self.base is None else str(self.base),
            "rate": None if self.rate is None else str(self.rate),
            "bracket": self.bracket,
            "explanation": self.explain(),
        }


def brackets(table: Sequence[Sequence[Any]]) -> list[tuple[Decimal | None, Decimal]]:
    return [(None if upper is None else Decimal(str(upper)), Decimal(str(rate))) for upper, rate in table]


def bracket_of(
    base: Decimal, table: Sequence[Sequence[Any]]
) -> tuple[int, Decimal | None, Decimal | None, Decimal]:
    """The bracket a base falls into: (1-based index, lower bound, upper bound, rate). Upper bounds
    are included (3000.00 is in the first bracket, 3000.01 in the second)."""
    lower: Decimal | None = None
    rows = brackets(table)
    for i, (upper, rate) in enumerate(rows, start=1):
        if upper is None or base <= upper:
            return i, lower, upper, rate
        lower = upper
    # A table whose last bracket has an upper bound: the rate of the last bracket above it.
    return len(rows), lower, None, rows[-1][1]


def farmer_amount(setting: Decimal | None, params: Mapping[str, Any]) -> Decimal:
    """The branch's fixed amount for farmers, or the default; always within the parameters' bounds."""
    low, high = Decimal(str(params["farmer_min"])), Decimal(str(params["farmer_max"]))
    value = Decimal(str(params["farmer_default"])) if setting is None else setting
    return money(min(max(value, low), high))


def amount(
    *,
    category: str,
    base: Decimal | None,
    params: Mapping[str, Any],
    farmer_setting: Decimal | None = None,
) -> Amount:
    """A member's monthly dues by category (RULES.md §5).

    在岗职工: base × the rate of its bracket (four brackets); 离退休人员: the total pension × the rate
    of its bracket (two); 农牧渔民: the branch's fixed amount (0.2–1 yuan, default 0.5); 学生 (and the
    unemployed or those on relief, recorded as 其他 without a base): 0.2 yuan; 其他 with a base: as
    employed. A missing base of an employed or retired member computes as 0 (the lowest bracket):
    the page shows that the base is missing.
    """
    if category == FARMER:
        return Amount(farmer_amount(farmer_setting, params), "fixed_farmer", category)
    if category == STUDENT or (category == OTHER and base is None):
        return Amount(money(params["fixed_low"]), "fixed_low", category)
    table = params["retired"] if category == RETIRED else params["employed"]
    value = Decimal("0") if base is None else base
    index, lower, upper, rate = bracket_of(value, table)
    return Amount(money(value * rate), "bracket", category, value, rate, index, lower, upper)


def amount_function(params: Mapping[str, Any]) -> Any:
    """``amount(...).amount`` for many members under one set of parameters: the tables parsed once,
    no explanation built. ``f(category, base, farmer_setting) -> Decimal``; equal to ``amount``'s
    figure for every input (property-tested), used by the ledger's bulk path (``ledger.bulk``)."""
    employed, retired = brackets(params["employed"]), brackets(params["retired"])
    low = money(params["fixed_low"])
    farmers: dict[Decimal | None, Decimal] = {}

    def f(category: str, base: Decimal | None, farmer_setting: Decimal | None = None) -> Decimal:
        if category == FARMER:
            value = farmers.get(farmer_setting)
            if value is None:
                value = farmers[farmer_setting] = farmer_amount(farmer_setting, params)
            return value
        if category == STUDENT or (category == OTHER and base is None):
            return low
        table = retired if category == RETIRED else employed
        value = Decimal("0") if base is None else base
        for upper, rate in table:
            if upper is None or value <= upper:
                return (value * rate).quantize(FEN, rounding=ROUND_HALF_UP)
        return (value * table[-1][1]).quantize(FEN, rounding=ROUND_HALF_UP)

    return f


# Months ------------------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def from_index(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    return [from_index(i) for i in range(month_index(first), month_index(last) + 1)]


def add_months(month: dt.date, n: int) -> dt.date:
    return from_index(month_index(month) + n)


def first_due_month(joined_on: dt.date) -> dt.date:
    """Dues are paid from the month of the admitting branch meeting (入党日期), probationary members
    included (党费规定 Art. 8)."""
    return month_start(joined_on)


def owes(*, month: dt.date, joined_on: dt.date, closed_on: dt.date | None) -> bool:
    """Whether a member owes dues for ``month``: joined by that month, membership not ended before it."""
    if month < first_due_month(joined_on):
        return False
    return closed_on is None or closed_on >= month


# Payments ---------------------------------------------------------------------------------------------


def months_back(*, month: dt.date, paid_on: dt.date) -> int:
    """How many months before the month of payment the paid month lies (negative: in advance)."""
    return month_index(paid_on) - month_index(month)


def back_payment_needs_reason(*, month: dt.date, paid_on: dt.date, params: Mapping[str, Any]) -> bool:
    """Back payment covers at most ``months`` (6) months (Art. 12): paying for an older month needs a
    recorded reason. Paying in the month itself or up to 6 months later needs none."""
    return months_back(month=month, paid_on=paid_on) > int(params["months"])


def advance_allowed(*, month: dt.date, paid_on: dt.date, consent: str | None) -> bool:
    """Dues are paid monthly; quarterly (the rest of the current quarter) or in advance (up to 12
    months ahead) only with the branch's recorded consent (``consent``: ``quarterly``/``advance``)."""
    back = months_back(month=month, paid_on=paid_on)
    if back >= 0:
        return True
    if consent == "advance":
        return -back <= 12
    if consent == "quarterly":
        return (month.year, (month.month - 1) // 3) == (paid_on.year, (paid_on.month - 1) // 3)
    return False


def remitted_to_centre(*, amount: Decimal, params: Mapping[str, Any]) -> bool:
    """A single voluntary extra payment of 1,000 yuan or more goes wholly to the Centre (Art. 11)."""
    return amount >= Decimal(str(params["threshold"]))


def unpaid_run(*, months: Iterable[dt.date], settled: set[dt.date]) -> list[dt.date]:
    """The months at the end of ``months`` (in order) that are not settled (paid or exempted), as far
    back as they run consecutively: the arrears that the six-month rule counts."""
    run: list[dt.date] = []
    for month in sorted(months, reverse=True):
        if month in settled:
            break
        run.append(month)
    return sorted(run)


# Explanations (rule catalogue) -------------------------------------------------------------------------

EXPLANATIONS = {
    AMOUNT: gettext_lazy(
        "党员每月按月收入基数和所属类别交纳党费：在岗职工月收入（税后工资中固定的、经常性的部分）3000元及以下交0.5%，"
        "3000元以上至5000元交1%，5000元以上至10000元交1.5%，10000元以上交2%（各档含上限）；离退休人员按离退休费总额，"
        "5000元及以下交0.5%，5000元以上交1%；农牧渔民每月交0.2至1元，由支部确定（默认0.5元）；学生、下岗失业、依靠救济"
        "或领取最低生活保障金的党员每月交0.2元；其他人员未填基数的按学生交纳，填了基数的按在岗职工计算。"
        "金额四舍五入到分。预备党员从支部大会通过其为预备党员之月起交纳。每年年初核定，年内基数变化时从新收入首次领取之月起重新核定。"
    ),
    BACK_PAYMENT: gettext_lazy(
        "党费按月交纳，经党支部同意可按季度交纳或预交；补交党费一般不超过6个月，补交更早月份的须登记原因。"
    ),
    REMIT: gettext_lazy("自愿多交党费不限数额；一次多交1000元以上的，全部上缴中央。"),
    UNPAID_6_MONTHS: gettext_lazy(
        "党员无正当理由连续6个月不交纳党费的，按自行脱党处理（先由支部教育、了解原因）。系统只列出事实："
        "截至判断之日已结束的最近各月中连续未交的月份达到6个月（经批准免交的月份不算未交）。是否处理由党组织决定。"
    ),
    UNPAID_MONTH: gettext_lazy(
        "党员应按月交纳党费。月份结束后，党支部中仍未交纳该月党费、又未经批准免交的党员列为该支部该月的问题，"
        "附未交党员名单；补交后即不再列出。"
    ),
}
