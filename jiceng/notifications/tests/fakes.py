"""A fake SMS sender for tests: records what would have been sent."""

from __future__ import annotations

SENT: list[tuple[str, str]] = []


class FakeSms:
    def send(self, phone: str, text: str) -> None:
        SENT.append((phone, text))
