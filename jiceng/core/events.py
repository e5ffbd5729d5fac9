"""Events: something happened that people should be told about, published once by the module that caused
it and delivered per channel by whoever subscribed (Decidim's EventsManager, Zulip's ``send_event``).

Core holds the mechanism only. An app declares each of its event types in ``AppConfig.ready()``
(``register(EventType(...))``): its key, title, who receives it (a resolver of users), how it reads in
each channel (inbox text and link, e-mail subject and body, a short SMS text) and which channels are on
by default. The module that causes the event calls ``publish(key, org_path=..., context=...)`` inside
its write; nothing happens until the write commits (``transaction.on_commit``), and a failure of a
subscriber is logged, never raised into the caller: telling people must not break the work itself.

The delivering app (``jiceng.notifications``) registers itself with ``subscribe``. Recipients are
always narrowed to users holding a role on the event's organization or above it (``in_scope``): a
resolver that names someone else, by mistake or by design, reaches nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction

from .registry import Registry

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from .models import User

log = logging.getLogger(__name__)

INBOX, EMAIL, DIGEST, SMS = "inbox", "email", "digest", "sms"
CHANNELS = (INBOX, EMAIL, DIGEST, SMS)


@dataclass(frozen=True)
class Event:
    """One published event: its type's key, the organization it concerns (path, and id when known),
    the facts its renderers read (JSON-serialisable), the explicit recipients (user ids, or None: the
    type's resolver decides) and a key that makes it happen once (empty: every publication counts)."""

    key: str
    org_path: str
    context: Mapping[str, Any]
    org_id: int | None = None
    recipients: tuple[int, ...] | None = None
    dedupe_key: str = ""


@dataclass(frozen=True)
class Message:
    """How an event reads in one channel. ``text`` is the inbox line, the e-mail body or the SMS."""

    text: str
    link: str = ""
    subject: str = ""


def _inbox_as_email(inbox: Callable[[Event], Message], title: Any) -> Callable[[Event], Message]:
    def render(event: Event) -> Message:
        m = inbox(event)
        return Message(text=m.text, link=m.link, subject=str(title))

    return render


@dataclass(frozen=True)
class EventType:
    """An app's declaration of one kind of event.

    ``recipients(event)`` returns the users to tell (before the scope filter); ``inbox(event)`` the
    inbox line and link; ``email`` and ``sms`` default to the inbox text. ``defaults`` says which
    channels are on for a user who chose nothing.
    """

    key: str
    title: Any  # a lazy translation
    recipients: Callable[[Event], Iterable[User] | QuerySet[User]]
    inbox: Callable[[Event], Message]
    email: Callable[[Event], Message] | None = None
    sms: Callable[[Event], str] | None = None
    description: Any = ""
    defaults: Mapping[str, bool] = field(
        default_factory=lambda: {INBOX: True, EMAIL: False, DIGEST: False, SMS: False}
    )
    order: int = 100

    def render(self, channel: str, event: Event) -> Message:
        if channel == SMS:
            text = self.sms(event) if self.sms else self.inbox(event).text
            return Message(text=text)
        if channel in (EMAIL, DIGEST):
            return (self.email or _inbox_as_email(self.inbox, self.title))(event)
        return self.inbox(event)

    def default(self, channel: str) -> bool:
        return bool(self.defaults.get(channel, channel == INBOX))


event_types: Registry[EventType] = Registry("event types")
_subscribers: list[Callable[[list[Event]], None]] = []


def register(event_type: EventType) -> EventType:
    return event_types.register(event_type)


def subscribe(handler: Callable[[list[Event]], None]) -> None:
    """Receive every published batch of events after its transaction commits (the delivering app, in
    ready())."""
    if handler not in _subscribers:
        _subscribers.append(handler)


def unsubscribe(handler: Callable[[list[Event]], None]) -> None:
    if handler in _subscribers:
        _subscribers.remove(handler)


def _event(key: str, item: Mapping[str, Any]) -> Event:
    recipients = item.get("recipients")
    ids = None if recipients is None else tuple(sorted({getattr(r, "pk", r) for r in recipients}))
    return Event(
        key=key,
        org_path=item["org_path"],
        context=dict(item.get("context") or {}),
        org_id=item.get("org_id"),
        recipients=ids,
        dedupe_key=item.get("dedupe_key", ""),
    )


def publish(
    key: str,
    *,
    org_path: str,
    context: Mapping[str, Any] | None = None,
    org_id: int | None = None,
    recipients: Iterable[User | int] | None = None,
    dedupe_key: str = "",
) -> None:
    """Publish an event of type ``key`` about the organization at ``org_path``; delivered after commit.

    Cheap (nothing is read or written now) and safe: an unknown key or a failing subscriber is logged,
    never raised into the caller's write.
    """
    item = {"org_path": org_path, "context": context, "org_id": org_id, "dedupe_key": dedupe_key}
    publish_many(key, [{**item, "recipients": recipients}])


def publish_many(key: str, items: Iterable[Mapping[str, Any]]) -> None:
    """Publish many events of one type at once (a daily job's findings): each item has the keyword
    arguments of ``publish``. The subscriber receives them as one batch, so it can check their dedupe
    keys and write its rows in a few statements."""
    try:
        if key not in event_types:
            log.error("event %s published but not registered", key)
            return
        batch = [_event(key, item) for item in items]
        collecting = _collecting.get()
        if collecting is not None:
            collecting.extend(batch)
        elif batch:
            transaction.on_commit(lambda: _dispatch(batch))
    except Exception:  # noqa: BLE001 (never into the caller's write)
        log.exception("event %s could not be published", key)


_collecting: ContextVar[list[Event] | None] = ContextVar("jiceng_events_collecting", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Collect the events published inside the block and hand them over as one batch when it ends
    (still after commit): a service that grants a thousand roles tells a thousand people in a few
    statements. Events of a block left by an exception are dropped with it."""
    if _collecting.get() is not None:  # nested: the outer block hands everything over
        yield
        return
    collected: list[Event] = []
    token = _collecting.set(collected)
    try:
        yield
    finally:
        _collecting.reset(token)
    if collected:
        try:
            transaction.on_commit(lambda: _dispatch(collected))
        except Exception:  # noqa: BLE001 (never into the caller's write)
            log.exception("events could not be published")


def _dispatch(batch: list[Event]) -> None:
    for handler in list(_subscribers):
        try:
            handler(batch)
        except Exception:  # noqa: BLE001 (one subscriber's failure is not the caller's)
            log.exception("events %s: subscriber %r failed", batch[0].key, handler)


# Recipients ------------------------------------------------------------------------------------------


def _prefixes(path: str) -> list[str]:
    """The path and every prefix of it: the organization and all its ancestors (whatever the step)."""
    return [path[:i] for i in range(1, len(path) + 1)]


def role_holders(org_path: str, roles: Iterable[str], *, exact: bool = False) -> QuerySet[User]:
    """Active users holding one of ``roles`` on the organization at ``org_path`` (``exact``) or on it
    and its ancestors (the administrators over it)."""
    from .models import User

    paths = [org_path] if exact else _prefixes(org_path)
    return User.objects.filter(
        is_active=True, role_assignments__role__in=list(roles), role_assignments__org__path__in=paths
    ).distinct()


def in_scope(event: Event, users: Iterable[User | int]) -> QuerySet[User]:
    """Of ``users``, the active ones holding some role on the event's organization or above it."""
    from .models import User

    ids = {getattr(u, "pk", u) for u in users}
    return User.objects.filter(
        pk__in=ids, is_active=True, role_assignments__org__path__in=_prefixes(event.org_path)
    ).distinct()


def recipients_of(event: Event) -> QuerySet[User]:
    """Who is told: the explicit recipients or the type's resolver, within scope."""
    event_type = event_types[event.key]
    named = event.recipients if event.recipients is not None else event_type.recipients(event)
    return in_scope(event, named)
