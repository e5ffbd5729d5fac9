"""One form for what people type or import as digits: identity numbers, codes, phones, dates.

``\\d`` in a regular expression and ``int()`` accept any Unicode digit (full-width ``１``,
Arabic-Indic ``١`` …), so the same number written with other digits would pass validation and get
another keyed digest: one person registered twice. Every such value goes through ``ascii_digits``
first: NFKC (full-width letters and digits become ASCII), then any remaining Unicode decimal digit
becomes its ASCII digit. Validation and the digest then see one spelling of each number.
"""

from __future__ import annotations

import unicodedata

_SPACES = str.maketrans("", "", " \t\r\n\u00a0\u3000")


def ascii_digits(value: object) -> str:
    """``value`` as text in NFKC with every decimal digit written in ASCII; ASCII passes untouched."""
    text = "" if value is None else str(value)
    if text.isascii():
        return text  # the import's fast path: a million cells
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    out = []
    for ch in text:
        if not ch.isascii():
            digit = unicodedata.decimal(ch, None)
            if digit is not None:
                ch = str(digit)
        out.append(ch)
    return "".join(out)


def identifier(value: object) -> str:
    """An organization code: ASCII digits, surrounding spaces dropped (inner ones stay, and the
    code's validator refuses them)."""
    return ascii_digits(value).strip()


def identity_number(value: object) -> str:
    """A 公民身份号码 as validated and digested: ASCII digits, upper-case X, no spaces."""
    return ascii_digits(value).translate(_SPACES).upper()


def phone(value: object) -> str:
    """A phone number: ASCII digits, surrounding spaces dropped (inner separators kept as typed)."""
    return ascii_digits(value).strip()


def date_text(value: object) -> str:
    """A typed date before parsing (``２０２４-０５-０１`` → ``2024-05-01``)."""
    return ascii_digits(value).strip()
