"""Export of a subtree's roster in the import format: one workbook with a sheet per table, or a
folder of CSV files (UTF-8 with BOM, as gen_roster.py writes them), so that export → import is an
exact round trip when identity numbers are exported in full.

Every text cell is neutralized against formula injection (``formats.neutralize``), which the
importer undoes. Scope and the audit record are the service's business (``services.export_roster``).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jiceng.core.models import User
from jiceng.orgs.models import Organization

from .formats import neutralize
from .handlers import base

FORMATS = ("xlsx", "csv")


@dataclass
class ExportCounts:
    rows: dict[str, int] = field(default_factory=dict)


def _cells(row: list[Any]) -> list[Any]:
    return [neutralize(v) if isinstance(v, str) else v for v in row]


def _tables(
    *, actor: User | None, org: Organization, full_id: bool
) -> Iterator[tuple[type[base.TableHandler], Iterator]]:
    for handler in base.handlers():
        if handler.exportable:
            yield handler, handler.export_rows(actor=actor, org=org, full_id=full_id)


def write_xlsx(path: Path, *, actor: User | None, org: Organization, full_id: bool) -> ExportCounts:
    from openpyxl import Workbook

    counts = ExportCounts()
    workbook = Workbook(write_only=True)
    for handler, rows in _tables(actor=actor, org=org, full_id=full_id):
        sheet = workbook.create_sheet(handler.sheet_name)
        sheet.append(handler.export_headers())
        n = 0
        for row in rows:
            sheet.append(_cells(row))
            n += 1
        counts.rows[handler.table] = n
    workbook.save(path)
    return counts


def write_csv_folder(folder: Path, *, actor: User | None, org: Organization, full_id: bool) -> ExportCounts:
    folder.mkdir(parents=True, exist_ok=True)
    counts = ExportCounts()
    for handler, rows in _tables(actor=actor, org=org, full_id=full_id):
        with open(folder / handler.file_name, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f, lineterminator="\r\n")
            writer.writerow(handler.export_headers())
            n = 0
            for row in rows:
                writer.writerow(["" if v is None else v for v in _cells(row)])
                n += 1
        counts.rows[handler.table] = n
    return counts


def zip_folder(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.iterdir()):
            z.write(path, arcname=path.name)
