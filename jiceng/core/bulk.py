"""Many rows into one table at once: ``COPY`` on PostgreSQL, ``executemany`` elsewhere.

For writes of thousands of rows that need no model instances (tallies of a province, a compliance
run's findings). Values are plain Python values (str, int, None, dates); JSON columns take their JSON
already encoded as text. The caller's transaction holds; no signals, no change records (the caller
records what it writes). The importer's binary COPY with typed columns is ``roster.writer.BulkWriter``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert ``rows`` (values in the order of ``columns``, database column names) into the table."""
    qn = connection.ops.quote_name
    table, names = qn(model._meta.db_table), ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        rows = list(rows)
        if rows:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
