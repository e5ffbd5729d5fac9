"""Test helpers every app's tests share (NetBox's generic view tests, jiceng's way).

- ``page(response)`` / ``check_html(text)``: a page answered 200 and breaks no rule of the strict CSP
  (no inline script or style, no inline event handler) and labels every control; optionally one h1
  and unique ids.
- ``scope_test(cases)`` and ``coverage_test(namespace, cases)``: every page and endpoint of an app,
  each called by every named user of the ``world`` fixture (conftest.py), answers by its scope: the
  login page or 401 without sign-in, 404 where the object lies outside the user's view, 403 where it is
  visible but the action is not granted, the page's own answer otherwise. The coverage test fails for a
  page or endpoint that has no case, so a new view cannot skip the check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from jiceng.core import scope

# The refused first, so that a write is tried by those who may not before one who may makes it.
USERS = ("anonymous", "charlie", "dora", "bob", "viewer", "alice", "county_admin")


# Pages: the CSP and the labels ---------------------------------------------------------------------


class PageChecker(HTMLParser):
    """What the CSP forbids (inline scripts, <style>, style attributes, on* and hx-on* handlers), and
    what accessibility requires (a label for every control; one h1; unique ids), on rendered HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self.ids: Counter[str] = Counter()
        self._inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.h1 += tag == "h1"
        if a.get("id"):
            self.ids[a["id"] or ""] += 1
        if tag == "style":
            self.problems.append("<style> element")
        for name, _value in attrs:
            if name == "style" or (name.startswith("on") and len(name) > 2) or name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=>")
        if tag == "script":
            if a.get("src"):
                self.scripts.append(a["src"] or "")
            elif a.get("type") != "application/json":
                self._inline = True
                self.problems.append("inline <script>")
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(a.get("id") or f"<{tag} name={a.get('name')} without id>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline = False


def check_html(text: str, *, one_h1: bool = False, unique_ids: bool = False) -> PageChecker:
    """Nothing the CSP blocks and a label for every control; with ``one_h1`` and ``unique_ids`` the
    rules of a full page as well."""
    checker = PageChecker()
    checker.feed(text)
    assert checker.problems == []
    unlabelled = [c for c in checker.controls if c not in checker.labels]
    assert unlabelled == [], unlabelled
    if one_h1:
        assert checker.h1 == 1
    if unique_ids:
        assert [i for i, n in checker.ids.items() if n > 1] == []
    return checker


def page(response: Any, *, one_h1: bool = False, unique_ids: bool = False) -> str:
    """The page's HTML, once it answered 200 and passed ``check_html``."""
    assert response.status_code == 200, response.status_code
    text = response.content.decode()
    check_html(text, one_h1=one_h1, unique_ids=unique_ids)
    return text


# Scope: every page and endpoint, every named user ----------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One page or endpoint: its URL name and arguments (from the world), where its object lies (None:
    no single object; then the action is needed anywhere), the action it needs, the method, and what
    it answers to a user who may (``ok``). Writes are tried with ``data`` (an empty body by default:
    an allowed user gets past the scope to the body's check)."""

    name: str
    args: Callable[[Any], dict[str, Any]] = lambda world: {}
    org: Callable[[Any], Any] | None = None
    action: str = scope.VIEW
    method: str = "get"
    ok: tuple[int, ...] = (200,)
    data: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    # For a page whose answer does not follow from the scope (a member's own record): (world, who) -> codes.
    expect: Callable[[Any, str], tuple[int, ...]] | None = None

    @property
    def api(self) -> bool:
        return self.name.startswith("api-")

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}{'?' + self.query if self.query else ''}"


def expected(case: Case, world: Any, who: str) -> tuple[int, ...]:
    if who == "anonymous":
        return (401,) if case.api else (302,)
    if case.expect is not None:
        return case.expect(world, who)
    user = getattr(world, who)
    if case.org is None:
        allowed = case.action == scope.VIEW or bool(scope.paths_for(user, case.action))
        return case.ok if allowed else (403,)
    path = case.org(world).path
    if not scope.can(user, scope.VIEW, path):
        return (404,)
    return case.ok if scope.can(user, case.action, path) else (403,)


def call(case: Case, world: Any, who: str) -> Any:
    client = APIClient()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    url = reverse(case.name, kwargs=case.args(world)) + (f"?{case.query}" if case.query else "")
    send = getattr(client, case.method)
    if case.method == "get":
        return send(url)
    return send(url, case.data, format="json") if case.api else send(url, case.data)


def scope_test(cases: list[Case]) -> Callable[..., None]:
    """A test, parametrized over the cases, asserting each named user's answer by scope. A write is
    carried out by the first user allowed it only (the others have been refused before it)."""

    @pytest.mark.parametrize("case", cases, ids=str)
    def test_scope(world: Any, case: Case) -> None:
        wrote = False
        for who in USERS:
            want = expected(case, world, who)
            if wrote and want == case.ok:
                continue
            response = call(case, world, who)
            assert response.status_code in want, (str(case), who, response.status_code, want)
            if who == "anonymous" and not case.api:
                assert response["Location"].startswith("/login/")
            wrote = case.method != "get" and want == case.ok

    return test_scope


def url_names(namespace: str) -> set[str]:
    """Every named URL of a namespace (``members:detail`` …), or, for ``api-<basename>``, of the API's
    routes of that viewset."""
    names: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                yield prefix + p.name

    for name in walk(get_resolver().url_patterns, ""):
        if name.startswith(f"{namespace}:") or name.startswith(f"{namespace}-"):
            names.add(name)
    return names


def coverage_test(namespace: str, cases: list[Case]) -> Callable[[], None]:
    """A test that fails for a page or endpoint of ``namespace`` without a case."""

    def test_every_page_and_endpoint_has_a_scope_case() -> None:
        missing = url_names(namespace) - {c.name for c in cases}
        assert not missing, f"no scope case for {sorted(missing)}"

    return test_every_page_and_endpoint_has_a_scope_case
