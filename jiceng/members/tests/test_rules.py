"""Property tests for members.rules.check_record: pure values in, problem codes out, no database.

The expected answers are computed here independently of the implementation (calendar arithmetic
written out by hand), so a wrong boundary in rules.py shows up as a counterexample.
"""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import example, given
from hypothesis import strategies as st

from jiceng.core import idnumber
from jiceng.members import rules

TODAY = dt.date(2026, 6, 1)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

past_days = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)


def anniversary(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 Feb falls on 28 Feb in a common year (the last
    day of the month, as for periods counted in years under 民法典 Art. 203 / GB/T practice)."""
    year = day.year + years
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if day.month == 2 and day.day == 29 and not leap:
        return dt.date(year, 2, 28)
    return dt.date(year, day.month, day.day)


def check_char(body: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def codes(**values: object) -> set[tuple[str, str]]:
    base: dict[str, object] = dict(
        id_number=None, birth_date=None, status=None, joined_on=None, full_member_on=None, today=TODAY
    )
    base.update(values)
    return {(p.field, p.code) for p in rules.check_record(**base)}  # type: ignore[arg-type]


# --- 年满十八岁 (dev.min_age) ----------------------------------------------------------------------


@given(birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2008, 5, 31)), joined=past_days)
@example(birth=dt.date(2004, 2, 29), joined=dt.date(2022, 2, 28))  # leap-day birth, common-year birthday
@example(birth=dt.date(2004, 2, 29), joined=dt.date(2022, 2, 27))
@example(birth=dt.date(2000, 2, 29), joined=dt.date(2018, 3, 1))
@example(birth=dt.date(1990, 12, 31), joined=dt.date(2008, 12, 31))
@example(birth=dt.date(1990, 12, 31), joined=dt.date(2008, 12, 30))
def test_join_before_18th_birthday_is_always_reported_and_never_after(
    birth: dt.date, joined: dt.date
) -> None:
    under_age = joined < anniversary(birth, 18)
    assert (("joined_on", "joined_under_age") in codes(birth_date=birth, joined_on=joined)) is under_age


@given(birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2008, 5, 31)))
def test_the_18th_birthday_itself_is_allowed_and_the_day_before_is_not(birth: dt.date) -> None:
    birthday = anniversary(birth, 18)
    assert ("joined_on", "joined_under_age") not in codes(birth_date=birth, joined_on=birthday)
    assert ("joined_on", "joined_under_age") in codes(
        birth_date=birth, joined_on=birthday - dt.timedelta(days=1)
    )


def test_leap_day_birth_turns_18_on_28_february() -> None:
    assert ("joined_on", "joined_under_age") not in codes(
        birth_date=dt.date(2004, 2, 29), joined_on=dt.date(2022, 2, 28)
    )
    found = codes(birth_date=dt.date(2004, 2, 29), joined_on=dt.date(2022, 2, 27))
    assert ("joined_on", "joined_under_age") in found


# --- 预备期一年 (dev.probation_min_period) -----------------------------------------------------------


@given(joined=st.dates(min_value=dt.date(1921, 7, 1), max_value=dt.date(2025, 5, 31)))
@example(joined=dt.date(2024, 2, 29))  # leap day: a year later is 28 Feb 2025
@example(joined=dt.date(2023, 3, 1))  # a year later is 1 Mar 2024, with 29 Feb 2024 one day before
@example(joined=dt.date(2023, 2, 28))  # a year later is 28 Feb 2024, not 29 Feb
@example(joined=dt.date(2020, 2, 29))
def test_full_member_exactly_one_year_after_joining_is_allowed_one_day_earlier_is_not(
    joined: dt.date,
) -> None:
    one_year = anniversary(joined, 1)
    assert not codes(status="full", joined_on=joined, full_member_on=one_year)
    early = codes(status="full", joined_on=joined, full_member_on=one_year - dt.timedelta(days=1))
    assert early == {("full_member_on", "probation_too_short")}


@given(joined=st.dates(min_value=dt.date(1921, 7, 1), max_value=TODAY), full=past_days)
def test_probation_too_short_exactly_when_full_date_is_before_the_anniversary(
    joined: dt.date, full: dt.date
) -> None:
    short = full < anniversary(joined, 1)
    assert (
        ("full_member_on", "probation_too_short") in codes(joined_on=joined, full_member_on=full)
    ) is short


def test_leap_year_boundaries_by_hand() -> None:
    refused = ("full_member_on", "probation_too_short")
    assert refused not in codes(joined_on=dt.date(2024, 2, 29), full_member_on=dt.date(2025, 2, 28))
    assert refused in codes(joined_on=dt.date(2024, 2, 29), full_member_on=dt.date(2025, 2, 27))
    assert refused not in codes(joined_on=dt.date(2023, 3, 1), full_member_on=dt.date(2024, 3, 1))
    assert refused in codes(joined_on=dt.date(2023, 3, 1), full_member_on=dt.date(2024, 2, 29))
    assert refused not in codes(joined_on=dt.date(2023, 2, 28), full_member_on=dt.date(2024, 2, 28))
    assert refused in codes(joined_on=dt.date(2023, 2, 28), full_member_on=dt.date(2024, 2, 27))


# --- status and dates ------------------------------------------------------------------------------


@given(joined=past_days)
def test_full_member_needs_a_full_member_date(joined: dt.date) -> None:
    assert ("full_member_on", "full_date_missing") in codes(status="full", joined_on=joined)
    assert ("full_member_on", "full_date_missing") not in codes(status="probationary", joined_on=joined)


@given(joined=past_days, full=past_days)
def test_probationary_member_has_no_full_member_date(joined: dt.date, full: dt.date) -> None:
    found = codes(status="probationary", joined_on=joined, full_member_on=full)
    assert ("full_member_on", "probationary_has_full_date") in found


@given(field=st.sampled_from(["birth_date", "joined_on", "full_member_on"]), days=st.integers(1, 36500))
def test_dates_after_today_are_refused(field: str, days: int) -> None:
    later = TODAY + dt.timedelta(days=days)
    assert (field, "date_in_future") in codes(**{field: later})
    assert (field, "date_in_future") not in codes(**{field: TODAY})


@st.composite
def consistent_records(draw: st.DrawFn) -> dict[str, object]:
    birth = draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=anniversary(TODAY, -19)))
    joined = draw(st.dates(min_value=anniversary(birth, 18), max_value=TODAY))
    status = draw(st.sampled_from(["full", "probationary"]))
    full = None
    if status == "full" and anniversary(joined, 1) <= TODAY:
        full = draw(st.dates(min_value=anniversary(joined, 1), max_value=TODAY))
    else:
        status = "probationary"
    region = draw(st.text(string.digits, min_size=6, max_size=6))
    seq = draw(st.text(string.digits, min_size=3, max_size=3))
    body = f"{region}{birth:%Y%m%d}{seq}"
    return dict(
        id_number=body + check_char(body),
        birth_date=birth,
        status=status,
        joined_on=joined,
        full_member_on=full,
    )


@given(record=consistent_records())
def test_a_consistent_record_has_no_problem(record: dict[str, object]) -> None:
    assert codes(**record) == set()


# --- 公民身份号码 (GB 11643) -------------------------------------------------------------------------


@st.composite
def bodies_with_valid_birth(draw: st.DrawFn) -> str:
    region = draw(st.text(string.digits, min_size=6, max_size=6))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.text(string.digits, min_size=3, max_size=3))
    return f"{region}{birth:%Y%m%d}{seq}"


@given(body=bodies_with_valid_birth(), lower=st.booleans())
def test_any_body_with_its_computed_check_char_validates(body: str, lower: bool) -> None:
    number = body + check_char(body)
    if lower:
        number = number.lower()  # a typed "x" is accepted as "X"
    assert not codes(id_number=number)
    assert idnumber.validate(number) == number.upper()


@given(body=bodies_with_valid_birth(), wrong=st.sampled_from(list("0123456789X")))
def test_any_other_check_char_fails_the_checksum(body: str, wrong: str) -> None:
    if wrong == check_char(body):
        wrong = "10X98765432"[("10X98765432".index(wrong) + 1) % 11]
    assert codes(id_number=body + wrong) == {("id_number", "id_checksum")}


@given(body=st.text(string.digits, min_size=17, max_size=17))
def test_any_17_digit_body_with_its_check_char_passes_the_checksum(body: str) -> None:
    # Random digits rarely form a real date; the only complaint left may then be the birth date.
    found = codes(id_number=body + check_char(body))
    assert found <= {("id_number", "id_birth_invalid")}


@given(number=st.text(string.digits + "X", max_size=30).filter(lambda s: len(s) != 18))
def test_any_length_but_18_is_refused_for_length(number: str) -> None:
    assert codes(id_number=number) == {("id_number", "id_length")}


@given(body=bodies_with_valid_birth(), at=st.integers(0, 16), letter=st.sampled_from(list("AXZ")))
def test_a_letter_in_the_first_17_characters_is_a_format_error(body: str, at: int, letter: str) -> None:
    number = body[:at] + letter + body[at + 1 :] + "0"
    assert codes(id_number=number) == {("id_number", "id_format")}


@given(birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY), other=past_days)
def test_birth_date_must_match_the_number(birth: dt.date, other: dt.date) -> None:
    body = f"110101{birth:%Y%m%d}123"
    number = body + check_char(body)
    found = codes(id_number=number, birth_date=other)
    assert (("id_number", "id_birth_mismatch") in found) is (other != birth)


def test_far_future_dates_are_refused_not_crashing():
    from jiceng.members.rules import check_record

    problems = check_record(
        id_number=None,
        birth_date=dt.date(9999, 12, 31),
        status="full",
        joined_on=dt.date(9999, 12, 31),
        full_member_on=dt.date(9999, 12, 31),
        today=dt.date(2026, 11, 29),
    )
    assert {(p.field, p.code) for p in problems} == {
        ("birth_date", "date_in_future"),
        ("joined_on", "date_in_future"),
        ("full_member_on", "date_in_future"),
    }
