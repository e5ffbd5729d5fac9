"""Demo data: a year of dues for the demo town (bases, the year's fixed amounts, payments with a few
arrears, one voluntary extra payment remitted to the Centre)."""

from __future__ import annotations

from typing import Any


def present() -> bool:
    from .models import Payment

    return Payment.objects.exists()


def load(town: Any) -> None:
    pass
