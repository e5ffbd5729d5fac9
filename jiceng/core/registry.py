"""What the domain apps offer to core, declared by each app in its ``AppConfig.ready()``.

Core imports no domain app (orgs, members, life, development, …): where a core page or command needs
something an app knows (a home-page section, demo data, a flag for the navigation bar, where a user
without a scope lands), the app registers it here, in the spirit of Decidim's component manifests and
Django's admin registry. Core then iterates the registries in their declared order.

Registering the same key twice replaces the earlier entry, so a test may swap one in and out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from .models import User


class _Entry(Protocol):
    key: str
    order: int


E = TypeVar("E", bound=_Entry)


class Registry(Generic[E]):
    """Entries by key, read in ``order`` (then key)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, E] = {}

    def register(self, entry: E) -> E:
        self._entries[entry.key] = entry
        return entry

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def __iter__(self) -> Iterator[E]:
        return iter(sorted(self._entries.values(), key=lambda e: (e.order, e.key)))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __getitem__(self, key: str) -> E:
        return self._entries[key]


# Who a home-page section is for: users with a scope (the 工作台 of secretaries and committees), or a
# user's own records (我的: a member's record, meetings, development file, later dues and study hours).
SCOPE = "scope"
OWN = "own"


@dataclass(frozen=True)
class HomeSection:
    """A block of the home page.

    ``context(user)`` returns the template's context, or ``None`` when the block has nothing to show.
    ``audience`` is ``SCOPE`` (the 工作台 of a user with a scope) or ``OWN`` (the home of a user who only
    has records of their own, and their 我的 page). An ``OWN`` section reads nothing but the user's own
    records; its ``data(user)`` is the same content as JSON-ready values for ``/api/v1/me/sections/``
    (``None``: nothing to show), under ``key``, with ``title`` as its heading.
    """

    key: str
    template: str
    context: Callable[[User], Mapping[str, Any] | None]
    order: int = 100
    audience: str = SCOPE
    title: Any = ""
    data: Callable[[User], Mapping[str, Any] | None] | None = None


def sections_for(user: User, audience: str) -> list[dict[str, Any]]:
    """The sections of ``audience`` with something to show, each as ``{"template", "context", "key"}``."""
    out = []
    for section in home_sections:
        if section.audience != audience:
            continue
        context = section.context(user)
        if context is not None:
            out.append({"key": section.key, "template": section.template, "context": dict(context)})
    return out


@dataclass(frozen=True)
class Landing:
    """Where the home page sends a user who holds no scope: ``url(user)`` or ``None`` to pass."""

    key: str
    url: Callable[[User], str | None]
    order: int = 100


@dataclass(frozen=True)
class NavFlag:
    """A value the navigation bar reads as ``nav.<key>`` (computed for signed-in users only)."""

    key: str
    value: Callable[[User], Any]
    order: int = 100


@dataclass
class DemoTown:
    """What the demo loaders share while ``jiceng demo`` runs, in one transaction.

    ``actor`` is the system administrator who "enters" everything; a loader leaves what later loaders
    need in ``shared`` (the town's loader leaves the organizations and people it made) and what the
    command should print in ``summary``.
    """

    seed: int
    today: dt.date
    actor: User
    password: str
    shared: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemoLoader:
    """One app's part of the demo data. ``present()`` says whether data of the app is already there
    (the demo loads only into an empty database); ``accounts`` are the logins it creates."""

    key: str
    load: Callable[[DemoTown], None]
    order: int = 100
    present: Callable[[], bool] = lambda: False
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicSection:
    """A block of a community's public page (no account; see ``docs/participation.md``).

    ``render(org, year)`` returns ``(template_name, context)`` or ``None`` when the block has nothing to
    show for the organization and year. It reads only what may be public: no names of people, no
    phone numbers, nothing a resident wrote unless moderated for publication.
    """

    key: str
    render: Callable[[Any, int], tuple[str, Mapping[str, Any]] | None]
    order: int = 100


def register_public_section(
    key: str, order: int, render: Callable[[Any, int], tuple[str, Mapping[str, Any]] | None]
) -> PublicSection:
    """Add (or replace) a block of the public community page."""
    return public_sections.register(PublicSection(key=key, render=render, order=order))


def public_sections_for(org: Any, year: int) -> list[dict[str, Any]]:
    """The public page's blocks with something to show, each ``{"key", "template", "context"}``."""
    out = []
    for section in public_sections:
        shown = section.render(org, year)
        if shown is not None:
            template, context = shown
            out.append({"key": section.key, "template": template, "context": dict(context)})
    return out


@dataclass(frozen=True)
class TaskRecordKind:
    """A kind of record that answers a task of the tasks app (任务督办) with no typing.

    The app that owns the records registers it in its ``AppConfig.ready()``; the tasks app offers it as
    a ``answer_kind`` (``key``, at most 20 characters) and never imports the app. The task given to the
    callables carries the issuer's spec: ``window_start`` and ``window_end`` (always set: the days a
    fitting record must fall in, by default from the day issued to the deadline) and, for the kinds
    that use them, ``meeting_kind``, ``topic_keyword``, ``step_kind``.

    - ``find(org, task)``: the organization's records that answer the task, newest first (a queryset or
      a list; each item has ``pk``, an integer the assignment keeps as ``record_id``).
    - ``describe(record)``: the line shown to the branch and kept on the answer (≤ 300 characters).
    - ``day(record)``: the record's day (the proposals' column).
    - ``url(org, record_id)``: a link to the record ("" for none).
    - ``new_url(org, task)`` and ``new_label``: where the branch records one (a button on the task page).
    - ``fields``: the spec fields of the issue form this kind uses (shown with it); ``clean(spec)``
      returns ``{field: message}`` for a spec it refuses and may normalise ``spec`` in place.
    """

    key: str
    label: Any
    find: Callable[[Any, Any], Any]
    describe: Callable[[Any], str]
    day: Callable[[Any], dt.date]
    url: Callable[[Any, int], str] = lambda org, record_id: ""
    new_url: Callable[[Any, Any], str] = lambda org, task: ""
    new_label: Any = ""
    fields: tuple[str, ...] = ()
    clean: Callable[[dict[str, Any]], dict[str, str]] = lambda spec: {}
    order: int = 100


home_sections: Registry[HomeSection] = Registry("home sections")
landings: Registry[Landing] = Registry("landings")
nav_flags: Registry[NavFlag] = Registry("navigation flags")
demo_loaders: Registry[DemoLoader] = Registry("demo loaders")
public_sections: Registry[PublicSection] = Registry("public community page sections")
task_record_kinds: Registry[TaskRecordKind] = Registry("task record kinds")
