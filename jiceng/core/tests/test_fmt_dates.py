"""Dates in findings as people read them: 2026年6月5日 in Chinese, 2026-06-05 (zero-padded) in English."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from jiceng.core.compliance import fmt_day, fmt_period


def test_chinese_days_and_months_read_as_written() -> None:
    assert fmt_day(dt.date(2026, 6, 5)) == "2026年6月5日"
    assert fmt_period("2026-06") == "2026年6月"
    assert fmt_period("2026-06-05") == "2026年6月5日"


def test_english_days_and_months_are_zero_padded() -> None:
    with translation.override("en"):
        assert fmt_day("2026-06-05") == "2026-06-05"
        assert fmt_period("2026-06") == "2026-06"
        assert fmt_period("2026-Q4") == "Q4 2026"
