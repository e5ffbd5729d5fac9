"""The registry of indicators computed from records (考核指标), by key.

An indicator reads the records of the organizations assessed and answers, for each of them, a
``Value``: a share in [0, 1] (or ``None``: 暂无数据, no data, never an error), the numerator and
denominator it came from, a sentence, and the records it was computed from (``RecordRef``, each with a
link). The scheme's tree says how much each indicator weighs; ``scoring`` turns values into points.

The registry lives here, not in core: assessment reads the domain apps (life, tasks, services,
development, orgs) through their models and selectors, and no domain app imports assessment. The
shipped indicators are in ``builtin.py``; another app that wants to offer one registers it from this
app's side (``register``), so the dependency keeps pointing one way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

# A computed value is stored with this many decimals (the share), so a stored run reads back exactly.
VALUE_PLACES = 4
# At most this many records are listed on a score's page for one indicator of one organization; the
# count of the others is shown beside them (a committee's year may hold thousands of meetings).
TRACE_LIMIT = 200


@dataclass(frozen=True)
class RecordRef:
    """A record an indicator read: what it is, its organization, its day and a link to its page."""

    kind: str  # meeting, assignment, request, finding, committee, panel_score …
    label: str
    org_path: str
    url: str = ""
    day: str = ""  # ISO day
    status: str = ""  # a word: 按时 / 逾期 / 已整改 …
    id: int | None = None  # the record's id where it is a stored row (a meeting, an assignment …)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "org_path": self.org_path,
            "url": self.url,
            "day": self.day,
            "status": self.status,
        }


@dataclass(frozen=True)
class TraceKey:
    """What a run stores of the records behind one value, instead of the records themselves: how many
    there were and a digest of their ids (``id_sum``: the sum of the record ids, additive so that a
    committee's figure is the sum of its branches'; None where the records are derived, e.g. months
    missed). The records are listed again when the score's page is opened (``Indicator.trace``), and
    the page says whether they are still the ones counted."""

    count: int
    id_sum: int | None = None

    def as_json(self) -> dict[str, int | None]:
        return {"count": self.count, "id_sum": self.id_sum}


@dataclass
class Value:
    """One indicator's value for one organization. ``share`` None: no data (暂无数据).

    A set-based ``compute`` fills ``key`` (the count and digest of the records) and leaves ``records``
    empty; the ``trace`` of an indicator (one organization, when its page is opened) fills
    ``records``."""

    share: Fraction | None
    numerator: int | None = None
    denominator: int | None = None
    note: str = ""
    records: list[RecordRef] = field(default_factory=list)
    key: TraceKey | None = None

    @classmethod
    def no_data(cls, note: str) -> Value:
        return cls(None, note=note)

    @classmethod
    def ratio(
        cls,
        numerator: int,
        denominator: int,
        *,
        note: str = "",
        records: Iterable[RecordRef] = (),
        key: TraceKey | None = None,
    ) -> Value:
        share = Fraction(numerator, denominator) if denominator else None
        return cls(share, numerator, denominator, note, list(records), key)


@dataclass(frozen=True)
class Param:
    """A parameter of an indicator, set per node of a scheme (an integer within bounds)."""

    default: int
    minimum: int
    maximum: int
    label: Any = ""


@dataclass(frozen=True)
class Target:
    """An organization assessed, as the indicators see it."""

    id: int
    code: str
    name: str
    path: str
    kind: str


@dataclass
class Context:
    """What a run gives every indicator: the year, the last day counted (``as_of``), the committee
    whose scheme it is (``owner_path``: nothing outside its subtree is read) and a cache that the
    indicators of one run share (one evaluation of the compliance engine serves several of them)."""

    year: int
    start: dt.date
    end: dt.date  # the last day counted: 31 December, or the day the run was made for
    owner_path: str
    targets: Sequence[Target]
    cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]

    def months(self) -> list[tuple[dt.date, dt.date]]:
        """The months of the year that have ended by ``end`` (a month in progress is not judged)."""
        out = []
        for m in range(1, 13):
            first = dt.date(self.year, m, 1)
            last = (dt.date(self.year + (m == 12), m % 12 + 1, 1)) - dt.timedelta(days=1)
            if last <= self.end:
                out.append((first, last))
        return out


# compute(context, params) -> {target id: Value}; a target left out has no data.
Compute = Callable[[Context, Mapping[str, int]], Mapping[int, Value]]


@dataclass(frozen=True)
class Indicator:
    """``compute``: every target of a run at once, set-based, values with their ``TraceKey``.
    ``trace``: the same indicator with the records listed (``RecordRef`` with links), called for one
    target when its score's page is opened (a context whose ``owner_path`` is the target's path and
    whose only target it is); None: ``compute``'s own records are the trace."""

    key: str
    title: Any
    description: Any
    compute: Compute
    params: Mapping[str, Param] = field(default_factory=dict)
    order: int = 100
    trace: Compute | None = None

    def resolved_params(self, given: Mapping[str, Any] | None) -> dict[str, int]:
        """The node's parameters over the defaults (already validated by ``definition``)."""
        out = {name: p.default for name, p in self.params.items()}
        for name, value in (given or {}).items():
            if name in self.params:
                out[name] = int(value)
        return out


_REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    """Registering a key again replaces the earlier entry (a test may swap one in)."""
    _REGISTRY[indicator.key] = indicator
    return indicator


def unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def get(key: str) -> Indicator | None:
    return _REGISTRY.get(key)


def all_indicators() -> list[Indicator]:
    return sorted(_REGISTRY.values(), key=lambda i: (i.order, i.key))


def targets_of(targets: Sequence[Target], path: str, steplen: int) -> list[Target]:
    """Every target whose subtree holds ``path`` (targets of one kind may nest: 党委 under 党委)."""
    by_path = {t.path: t for t in targets}
    return [by_path[path[:end]] for end in range(steplen, len(path) + 1, steplen) if path[:end] in by_path]
