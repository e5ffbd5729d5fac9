"""Cell-level conventions shared by the importer and the exporter.

Formula injection: a spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a tab or a carriage return) as a formula. The exporter prefixes such a cell with a
single quote; the importer takes exactly one quote off again, so every value survives the round trip:

    "=1+1"    → exported "'=1+1"   → imported "=1+1"
    "'=1+1"   → exported "''=1+1"  → imported "'=1+1"      (quotes before a trigger gain one more)
    "-3", "+86 138…"  plain numbers stay as they are: they are never formulas, and a quote would show.

Any text column can legitimately begin with those characters: a name or a work unit with a dash, a
phone number written "+86…", an address "@…", the 党龄校正值 "-1". The rule therefore applies to every
text cell, and is undone on every text cell read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db import models
from django.utils import translation

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def neutralize(value: str) -> str:
    """The cell text to export for ``value``."""
    if value and _NEEDS_QUOTE.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The value an exported (or hand-neutralized) cell stands for."""
    if value and value[0] == "'" and _QUOTED.match(value):
        return value[1:]
    return value


# Dates -------------------------------------------------------------------------------------------

_DATE_SEPARATORS = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_date(text: str) -> dt.date:
    """``2024-05-01``, ``2024/5/1``, ``2024.05.01``, ``2024年5月1日``, ``20240501``; ValueError otherwise."""
    try:
        return dt.date.fromisoformat(text)  # the exported form, and the fast path
    except ValueError:
        pass
    m = _DATE_SEPARATORS.match(text)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if len(text) == 8 and text.isdigit():
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if len(text) >= 19 and text[10] in " T":  # a spreadsheet date-time at midnight
        return dt.datetime.fromisoformat(text).date()
    raise ValueError(text)


# Enumerations ------------------------------------------------------------------------------------


def choice_map(choices: type[models.TextChoices], aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Label or value → value: the Chinese label (what files carry), the English label, the value."""
    out: dict[str, str] = {}
    for language in ("en", "zh-hans"):  # Chinese last, so that it wins any clash
        with translation.override(language):
            for value, label in choices.choices:
                out[str(label)] = value
    for value in choices.values:
        out.setdefault(value, value)
    for alias, value in (aliases or {}).items():
        out.setdefault(alias, value)
    return out


def chinese_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Value → Chinese label, whatever the active language: what an exported file carries."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in choices.choices}


def chinese(text: object) -> str:
    with translation.override("zh-hans"):
        return str(text)


def join(values: Iterable[str]) -> str:
    return "、".join(values)
