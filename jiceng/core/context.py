"""Who is acting and under which request id, for the audit trail.

The web middleware sets it per request; console commands set it per run, so every change record
written during one request or one command shares one request id.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ActionContext:
    request_id: uuid.UUID
    ip_address: str | None = None
    source: str = "web"  # web, api, cli


_current: ContextVar[ActionContext | None] = ContextVar("jiceng_action_context", default=None)


def current() -> ActionContext:
    ctx = _current.get()
    if ctx is None:
        ctx = ActionContext(request_id=uuid.uuid4(), source="cli")
        _current.set(ctx)
    return ctx


@contextlib.contextmanager
def action_context(*, source: str, ip_address: str | None = None) -> Iterator[ActionContext]:
    ctx = ActionContext(request_id=uuid.uuid4(), ip_address=ip_address, source=source)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
