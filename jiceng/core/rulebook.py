"""The rule registry: every checkable rule (../shared/RULES.md) as its app declared it, and the rule sets.

Rules live in their apps. Each app declares its rules in its own ``compliance.py`` (the spec: code,
title, period kind, citation, shipped parameters, source confidence; its sentence and explanation; a
pure judge over facts) and registers them from ``AppConfig.ready()`` with ``register_rules``, together
with the bulk loaders of the facts its judges need (``register_facts``). The organization tree of a
subtree is itself a fact, provided by whichever app keeps the tree (``register_tree``). Core keeps
what is common: the period semantics and the engine (``core.compliance``), parameters by effective date
(``RuleBook`` below, ``RuleVersion``), rule sets (``core.rulesets``), storage of results and the engine
version. Core imports no domain app; a new module adds its rules without a line changed here (in the
spirit of Django's admin registry and Decidim's component manifests).

Every number is a parameter with an effective date, not a constant: a system administrator records a
new ``RuleVersion`` (value, effective date, citation) and evaluations use the values in force on the
day they judge. A rule can be switched off the same way (``enabled``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, overload

from django.utils.translation import gettext, gettext_lazy

# Period a rule judges: state (as of a day), month, quarter, year, or each meeting. STEP rules refuse a
# step of a process (member development) in their app's services and are never judged by the engine.
STATE, MONTH, QUARTER, YEAR, MEETING, STEP = "state", "month", "quarter", "year", "meeting", "step"
PERIOD_KINDS = (STATE, MONTH, QUARTER, YEAR, MEETING, STEP)
CONFIDENCES = ("V", "V-c", "U")

PERIOD_LABELS = {
    STATE: gettext_lazy("状态（某一天）"),
    MONTH: gettext_lazy("每月"),
    QUARTER: gettext_lazy("每季度"),
    YEAR: gettext_lazy("每年"),
    MEETING: gettext_lazy("每次会议"),
    STEP: gettext_lazy("办理步骤时（不合规即拒绝）"),
}
CONFIDENCE_LABELS = {
    "V": gettext_lazy("已核对原文及条款号"),
    "V-c": gettext_lazy("已核对原文，条款号未核对"),
    "U": gettext_lazy("未核对：地方做法或二手来源，可由系统管理员停用或调整"),
}


@dataclass(frozen=True)
class RuleSpec:
    """One rule as its app declares it.

    ``citation`` is the Chinese text (mark it with ``gettext_noop`` where it is written: it is also the
    message id of its English translation, see ``citation_text``). ``judge`` is called by the engine
    (``core.compliance``) with the evaluation, the period or day judged and the ``RuleParams`` in force
    then; for a MEETING rule the second argument is the window of meetings and the third a function of
    the meeting's day. ``judge=None``: a rule the engine does not evaluate (a STEP rule).
    """

    code: str
    title: Any
    period: str
    citation: str
    defaults: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    confidence: str = "V"  # V, V-c or U, as RULES.md grades its source
    explanation: Any = ""
    message: Callable[[Mapping[str, Any]], str] | None = None
    judge: Callable[..., Iterable[Any]] | None = None
    section: str = ""  # the section of RULES.md: orders the catalogue
    # A state rule that reads records from before its day (a window looking back): the first day it
    # reads, from the params and the day. The engine judges it only when that day has records.
    reaches_back: Callable[[RuleParams, dt.date], dt.date] | None = None
    app: str = ""  # the app label that registered it (set by register_rules)
    # How a finding is cleared: ``fix(finding, today)`` gives the URL of the app's form that clears it,
    # pre-set for that finding (the meeting form of the branch, kind and month; the step form of the
    # file), or None. Pages show it as "去办理"; a rule without one shows nothing extra.
    fix: Callable[[Any, dt.date], str | None] | None = None
    # The duty in the due list's words (see ``core.compliance.duty_text``): ``pending`` while it may
    # still be done ("%(day)s前召开支委会"), ``late`` once its day has passed; ``%(day)s`` is the due
    # date, ``%(period)s`` the period, ``%(name)s`` the person, and the finding's facts by name.
    pending: Any = ""
    late: Any = ""

    @property
    def citation_text(self) -> str:
        return citation_text(self.citation)


def citation_text(citation: str) -> str:
    """A citation in the reader's language: the shipped ones are catalogue entries; one typed by an
    administrator into a rule version is shown as typed."""
    return gettext(citation) if citation else citation


# The registry ---------------------------------------------------------------------------------------

# (path prefix, records_after=None) → the subtree's organizations (core.compliance.OrgNode), in path
# order; with records_after, only those whose records_since is after that day.
TreeLoader = Callable[..., list[Any]]
OrgFinder = Callable[[str], Any]  # organization code → the organization (with .path, .name), or None
FactLoader = Callable[..., Any]  # (evaluation, *args) → facts; see core.compliance.Evaluation.fact


class _Registry:
    def __init__(self) -> None:
        self.rules: dict[str, RuleSpec] = {}
        self.order: dict[str, int] = {}
        self.facts: dict[str, FactLoader] = {}
        self.tree: TreeLoader | None = None
        self.find: OrgFinder | None = None


_registry = _Registry()

# Live views of the registry, kept for the modules that read them by name.
BY_CODE: dict[str, RuleSpec] = _registry.rules


class _Specs(Sequence[RuleSpec]):
    """Every registered rule, ordered by RULES.md section, then as registered (a live view)."""

    def _items(self) -> list[RuleSpec]:
        return sorted(_registry.rules.values(), key=lambda s: (s.section or "~", _registry.order[s.code]))

    def __iter__(self) -> Iterator[RuleSpec]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(_registry.rules)

    @overload
    def __getitem__(self, index: int) -> RuleSpec: ...
    @overload
    def __getitem__(self, index: slice) -> list[RuleSpec]: ...
    def __getitem__(self, index: int | slice) -> RuleSpec | list[RuleSpec]:
        return self._items()[index]

    def __repr__(self) -> str:
        return f"SPECS({[s.code for s in self]})"


SPECS = _Specs()


class RegistryError(Exception):
    pass


def register_rules(app: str, *specs: RuleSpec) -> None:
    """Register an app's rules (from its ``AppConfig.ready()``). Registering a code again from the same
    app replaces it (``ready()`` may run twice in tests); from another app is an error."""
    for spec in specs:
        if spec.period not in PERIOD_KINDS:
            raise RegistryError(f"{spec.code}: unknown period kind {spec.period!r}")
        if spec.confidence not in CONFIDENCES:
            raise RegistryError(f"{spec.code}: unknown confidence {spec.confidence!r}")
        if spec.period != STEP and (spec.judge is None or spec.message is None):
            raise RegistryError(f"{spec.code}: a rule the engine judges needs a judge and a message")
        held = _registry.rules.get(spec.code)
        if held is not None and held.app != app:
            raise RegistryError(f"{spec.code} is already registered by {held.app}")
        _registry.order.setdefault(spec.code, len(_registry.order))
        _registry.rules[spec.code] = replace(spec, app=app)


def register_facts(name: str, loader: FactLoader) -> None:
    """A bulk loader of facts, shared by the judges that ask for ``name`` (loaded once per evaluation
    and arguments). It must run a fixed number of queries whatever the size of the subtree."""
    _registry.facts[name] = loader


def register_tree(loader: TreeLoader, *, find: OrgFinder) -> None:
    """The loader of a subtree's organizations and the lookup of an organization by its code, for
    operators' tools such as ``jiceng compliance`` (the app that keeps the tree provides both)."""
    _registry.tree = loader
    _registry.find = find


def fact_loader(name: str) -> FactLoader | None:
    return _registry.facts.get(name)


def tree_loader() -> TreeLoader:
    if _registry.tree is None:
        raise RegistryError("no app provides the organization tree (register_tree)")
    return _registry.tree


def find_org(code: str) -> Any:
    """The organization of that code (unscoped: for operators' tools), or None."""
    if _registry.find is None:
        raise RegistryError("no app provides the organization tree (register_tree)")
    return _registry.find(code)


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """For tests: whatever is registered inside is forgotten afterwards."""
    rules, order, facts, tree, find = (
        dict(_registry.rules),
        dict(_registry.order),
        dict(_registry.facts),
        _registry.tree,
        _registry.find,
    )
    try:
        yield
    finally:
        _registry.rules.clear()
        _registry.rules.update(rules)
        _registry.order.clear()
        _registry.order.update(order)
        _registry.facts.clear()
        _registry.facts.update(facts)
        _registry.tree = tree
        _registry.find = find


# Parameters in force on a day -------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleParams:
    """A rule's parameters as in force on one day."""

    code: str
    enabled: bool
    values: dict[str, Any]
    citation: str
    effective_from: dt.date | None  # None: the shipped default

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


class RuleBook:
    """All rule versions, loaded once per evaluation; ``on(code, day)`` picks the one in force."""

    def __init__(self, versions: Iterable[Any] | None = None) -> None:
        if versions is None:
            from .models import RuleVersion

            versions = RuleVersion.objects.order_by("code", "effective_from")
        self._versions: dict[str, list[Any]] = {}
        for v in versions:
            self._versions.setdefault(v.code, []).append(v)
        for items in self._versions.values():
            items.sort(key=lambda v: v.effective_from)

    def on(self, code: str, day: dt.date) -> RuleParams:
        spec = BY_CODE[code]
        current = None
        for v in self._versions.get(code, []):
            if v.effective_from <= day:
                current = v
            else:
                break
        if current is None:
            return RuleParams(code, spec.enabled, dict(spec.defaults), spec.citation, None)
        return RuleParams(
            code,
            current.enabled,
            {**spec.defaults, **current.params},
            current.citation or spec.citation,
            current.effective_from,
        )
