"""What the organization and member handlers share: the directory of organizations the run knows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

from jiceng.core import audit, scope
from jiceng.orgs.models import Committee, Organization

if TYPE_CHECKING:
    from ..importer import ImportRun

LOOKUP_CHUNK = 2000


@dataclass(slots=True)
class OrgRef:
    """An organization as the run sees it: from the database, from the organizations file, or both."""

    code: str
    name: str
    kind: str
    unit_kind: str
    pk: int | None = None
    path: str | None = None
    depth: int = 0
    in_db: bool = False
    in_file: bool = False
    visible: bool = True
    changeable: bool = True
    manageable: bool = True
    valid: bool = True  # its row in the organizations file had no error
    committee_id: int | None = None  # the current committee after this import
    committee_elected_on: dt.date | None = None
    committee_known: bool = False
    new_committee: bool = False  # elected by this import: its posts start empty


class OrgDirectory:
    """Organizations by code, loaded from the database on demand, in chunks."""

    def __init__(self, run: ImportRun) -> None:
        self.run = run
        self.by_code: dict[str, OrgRef] = {}
        self._absent: set[str] = set()
        self.named: set[str] = set()  # codes the files name (organizations file, or members' branches)

    def lookup(self, codes: Iterable[str]) -> None:
        wanted = [c for c in set(codes) if c and c not in self.by_code and c not in self._absent]
        for i in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[i : i + LOOKUP_CHUNK]
            found = Organization.objects.filter(code__in=chunk).values_list(
                "pk", "code", "name", "kind", "unit_kind", "path", "depth"
            )
            seen = set()
            for pk, code, name, kind, unit_kind, path, depth in found:
                seen.add(code)
                run = self.run
                self.by_code[code] = OrgRef(
                    code=code,
                    name=name,
                    kind=kind,
                    unit_kind=unit_kind,
                    pk=pk,
                    path=path,
                    depth=depth,
                    in_db=True,
                    visible=run.can(scope.VIEW, path),
                    changeable=run.can(scope.CHANGE, path),
                    manageable=run.can(scope.MANAGE, path),
                )
            self._absent.update(set(chunk) - seen)

    def get(self, code: str) -> OrgRef | None:
        if code not in self.by_code and code not in self._absent:
            self.lookup([code])
        return self.by_code.get(code)

    def add(self, ref: OrgRef) -> None:
        self.by_code[ref.code] = ref
        self._absent.discard(ref.code)

    def load_committees(self, refs: Iterable[OrgRef]) -> None:
        """The current committee of each organization (database ones not yet known)."""
        todo = {r.pk: r for r in refs if r.pk is not None and not r.committee_known}
        pks = list(todo)
        for i in range(0, len(pks), LOOKUP_CHUNK):
            rows = Committee.objects.filter(org_id__in=pks[i : i + LOOKUP_CHUNK], ended_on__isnull=True)
            for org_id, pk, elected_on in rows.values_list("org_id", "pk", "elected_on"):
                todo[org_id].committee_id = pk
                todo[org_id].committee_elected_on = elected_on
        for ref in todo.values():
            ref.committee_known = True


def directory(run: ImportRun) -> OrgDirectory:
    if "orgs" not in run.shared:
        run.shared["orgs"] = OrgDirectory(run)
    return run.shared["orgs"]


def snapshot_fields(model: type[models.Model]) -> list[tuple[str, str]]:
    """(snapshot key, attribute) of what ``jiceng.core.audit.snapshot`` records for the model, in order."""
    keys = audit.snapshot(model())
    by_name = {f.name: f.attname for f in model._meta.concrete_fields}
    return [(k, by_name[k]) for k in keys]


def plain(value: Any) -> Any:
    return audit._plain(value)
