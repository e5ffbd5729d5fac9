"""The amounts of RULES.md §5 as pure functions: every bracket boundary on both sides, each category,
rounding to the fen half up, and (hypothesis) agreement with an independent table lookup."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.dues import rules

P = rules.AMOUNT_DEFAULTS
D = Decimal


def amount(category: str, base: str | None, farmer: str | None = None) -> Decimal:
    return rules.amount(
        category=category,
        base=None if base is None else D(base),
        params=P,
        farmer_setting=None if farmer is None else D(farmer),
    ).amount


@pytest.mark.parametrize(
    ("base", "rate"),
    [
        ("0", "0.005"),
        ("2999.99", "0.005"),
        ("3000.00", "0.005"),
        ("3000.01", "0.01"),
        ("5000.00", "0.01"),
        ("5000.01", "0.015"),
        ("10000.00", "0.015"),
        ("10000.01", "0.02"),
        ("250000", "0.02"),
    ],
)
def test_employed_brackets_include_their_upper_bound(base: str, rate: str) -> None:
    expected = (D(base) * D(rate)).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert amount("employed", base) == expected
    # 其他 with a base computes as employed.
    assert amount("other", base) == expected


@pytest.mark.parametrize(
    ("base", "rate"),
    [("4999.99", "0.005"), ("5000.00", "0.005"), ("5000.01", "0.01"), ("12000", "0.01")],
)
def test_retirees_two_brackets(base: str, rate: str) -> None:
    assert amount("retired", base) == (D(base) * D(rate)).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_the_boundary_values_in_yuan() -> None:
    assert amount("employed", "3000.00") == D("15.00")
    assert amount("employed", "3000.01") == D("30.00")
    assert amount("employed", "5000.00") == D("50.00")
    assert amount("employed", "5000.01") == D("75.00")
    assert amount("employed", "10000.00") == D("150.00")
    assert amount("employed", "10000.01") == D("200.00")
    assert amount("retired", "5000.00") == D("25.00")
    assert amount("retired", "5000.01") == D("50.00")


def test_rounding_is_to_the_fen_half_up() -> None:
    assert amount("employed", "2999.00") == D("15.00")  # 14.995 → 15.00 (half up, not to even)
    assert amount("employed", "1001.00") == D("5.01")  # 5.005 → 5.01
    assert amount("employed", "1000.99") == D("5.00")  # 5.00495 → 5.00
    with pytest.raises(TypeError):
        rules.money(0.1)


def test_fixed_amounts() -> None:
    assert amount("student", None) == D("0.20")
    assert amount("student", "8000") == D("0.20")  # a student's base is not read
    assert amount("other", None) == D("0.20")  # 其他 without a base as students
    assert amount("farmer", None) == D("0.50")  # the default
    assert amount("farmer", None, "0.8") == D("0.80")
    assert amount("farmer", None, "5") == D("1.00")  # never outside 0.2–1
    assert amount("farmer", None, "0.1") == D("0.20")


def test_explanations_name_base_rate_and_bracket() -> None:
    a = rules.amount(category="employed", base=D("3000.01"), params=P)
    assert (a.bracket, a.rate, a.lower, a.upper) == (2, D("0.01"), D("3000"), D("5000"))
    assert "3000.01" in a.explain() and "第2档" in a.explain()
    top = rules.amount(category="employed", base=D("20000"), params=P)
    assert top.bracket == 4 and top.upper is None


def test_parameters_are_data() -> None:
    revised = {**P, "employed": [["4000", "0.005"], [None, "0.01"]], "fixed_low": "0.3"}
    assert rules.amount(category="employed", base=D("3500"), params=revised).amount == D("17.50")
    assert rules.amount(category="student", base=None, params=revised).amount == D("0.30")


def test_probationary_members_pay_from_the_month_of_the_admitting_meeting() -> None:
    joined = dt.date(2026, 3, 28)
    assert not rules.owes(month=dt.date(2026, 2, 1), joined_on=joined, closed_on=None)
    assert rules.owes(month=dt.date(2026, 3, 1), joined_on=joined, closed_on=None)
    assert not rules.owes(month=dt.date(2026, 5, 1), joined_on=joined, closed_on=dt.date(2026, 4, 30))


def test_back_payment_beyond_6_months_needs_a_reason() -> None:
    p = rules.BACK_PAYMENT_DEFAULTS
    paid = dt.date(2026, 9, 10)
    assert not rules.back_payment_needs_reason(month=dt.date(2026, 3, 1), paid_on=paid, params=p)  # 6 back
    assert rules.back_payment_needs_reason(month=dt.date(2026, 2, 1), paid_on=paid, params=p)  # 7 back


def test_advance_and_quarterly_need_consent() -> None:
    paid = dt.date(2026, 4, 5)
    assert rules.advance_allowed(month=dt.date(2026, 4, 1), paid_on=paid, consent=None)
    assert not rules.advance_allowed(month=dt.date(2026, 5, 1), paid_on=paid, consent=None)
    assert rules.advance_allowed(month=dt.date(2026, 6, 1), paid_on=paid, consent="quarterly")
    assert not rules.advance_allowed(month=dt.date(2026, 7, 1), paid_on=paid, consent="quarterly")
    assert rules.advance_allowed(month=dt.date(2027, 4, 1), paid_on=paid, consent="advance")
    assert not rules.advance_allowed(month=dt.date(2027, 5, 1), paid_on=paid, consent="advance")


def test_a_single_extra_payment_of_1000_or_more_goes_to_the_centre() -> None:
    p = rules.REMIT_DEFAULTS
    assert rules.remitted_to_centre(amount=D("1000.00"), params=p)
    assert not rules.remitted_to_centre(amount=D("999.99"), params=p)


def test_unpaid_run_counts_back_from_the_last_month() -> None:
    months = rules.months_between(dt.date(2026, 1, 1), dt.date(2026, 6, 1))
    assert rules.unpaid_run(months=months, settled={dt.date(2026, 3, 1)}) == months[3:]
    assert rules.unpaid_run(months=months, settled={dt.date(2026, 6, 1)}) == []


def test_parse_money() -> None:
    assert rules.parse_money("3,000.5") == D("3000.50")
    for bad in ("abc", "1.005", "-1", "nan", "1e9"):
        with pytest.raises(ValueError):
            rules.parse_money(bad)


# Hypothesis: the amount equals an independent table lookup -------------------------------------------

# Written out as RULES.md §5 states it, without the rule book's parameter format: (upper, percent).
EMPLOYED_TABLE = ((3000, 5), (5000, 10), (10000, 15), (None, 20))  # per mille
RETIRED_TABLE = ((5000, 5), (None, 10))


def lookup(category: str, base: Decimal | None) -> Decimal:
    if category == "farmer":
        return D("0.50")
    if category == "student" or (category == "other" and base is None):
        return D("0.20")
    table = RETIRED_TABLE if category == "retired" else EMPLOYED_TABLE
    b = base or D(0)
    per_mille = next(pm for upper, pm in table if upper is None or b <= upper)
    fen = b * per_mille / 10  # yuan × ‰ / 1000 × 100 fen
    whole = int(fen)
    if fen - whole >= D("0.5"):
        whole += 1
    return D(whole) / 100


bases = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=200000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([D(x) for x in ("3000", "3000.01", "5000", "5000.01", "10000", "10000.01")]),
)


@given(category=st.sampled_from(["employed", "retired", "farmer", "student", "other"]), base=bases)
def test_amount_equals_an_independent_table_lookup(category: str, base: Decimal | None) -> None:
    got = rules.amount(category=category, base=base, params=P)
    assert got.amount == lookup(category, base)
    assert got.amount == got.amount.quantize(D("0.01"))


@given(
    category=st.sampled_from(["employed", "retired", "farmer", "student", "other"]),
    base=bases,
    farmer=st.one_of(st.none(), st.sampled_from([D("0.20"), D("0.35"), D("1.00"), D("1.50"), D("0.10")])),
)
def test_the_bulk_amount_function_equals_amount(category: str, base: Decimal | None, farmer: Any) -> None:
    f = rules.amount_function(P)
    assert (
        f(category, base, farmer)
        == rules.amount(category=category, base=base, params=P, farmer_setting=farmer).amount
    )
