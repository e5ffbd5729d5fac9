"""Bulk writes for the importer: PostgreSQL binary COPY, or executemany elsewhere, in the caller's transaction.

The importer builds plain tuples of Python values (no model instances: a million of those cost more
than the database does) and hands them here. Primary keys are allocated up front so that rows
referring to each other (a member, their membership, their change record) can be written in one go:
on PostgreSQL from the table's own sequence, elsewhere from ``max(id)`` of the table, which is safe
because the whole import is one transaction and SQLite admits one writer at a time (a concurrent
writer makes this transaction fail rather than collide).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Django's PostgreSQL column types → the names psycopg's binary COPY knows them by.
_PG_TYPES = {
    "bigint": "int8",
    "integer": "int4",
    "smallint": "int2",
    "varchar": "varchar",
    "text": "text",
    "date": "date",
    "timestamp with time zone": "timestamptz",
    "jsonb": "jsonb",
    "uuid": "uuid",
    "inet": "inet",
    "boolean": "bool",
    "char": "bpchar",
    "numeric": "numeric",
}


class BulkWriter:
    def __init__(self) -> None:
        self.vendor = connection.vendor
        self._next: dict[str, int] = {}
        now = timezone.now()
        self.now = now  # one timestamp for the whole import
        # ``now`` as an UPDATE parameter of each backend (INSERT adapts its values itself).
        self.now_value: Any = (
            now if self.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)
        )
        self.now_iso = now.isoformat()
        self._pg_cache: dict[tuple, tuple[list[str], list[Any] | None]] = {}
        self._adapt_cache: dict[tuple, list[Any]] = {}

    @staticmethod
    def json(value: Any) -> str:
        return _json(value)

    def allocate_ids(self, model: type[models.Model], count: int, *, locked: bool = False) -> Sequence[int]:
        """``count`` new primary keys of the model's table. ``locked``: this transaction holds the table
        exclusively (``BulkLoad``), so nobody else can draw from its sequence, and the keys are one
        range taken by moving the sequence once instead of ``count`` calls of ``nextval``."""
        if count <= 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                if locked:
                    cur.execute(
                        "SELECT setval(s, nextval(s) + %s - 1) "
                        "FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS s) q",
                        [count, table],
                    )
                    last = cur.fetchone()[0]
                    return range(last - count + 1, last + 1)
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [r[0] for r in cur.fetchall()]
            if table not in self._next:
                cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                self._next[table] = cur.fetchone()[0] + 1
        start = self._next[table]
        self._next[table] = start + count
        return list(range(start, start + count))

    def insert(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Insert rows of Python values (dates, datetimes, ints, str; JSON columns as encoded text)
        for ``columns`` (database column names) into the model's table."""
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.vendor == "postgresql":
            types, wrap = self._pg_types(model, tuple(columns))
            raw = connection.connection  # the psycopg connection of Django's open transaction
            # Binary COPY: the server parses no text (a third less of its time on the member table).
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                if wrap is None:
                    for row in rows:
                        copy.write_row(row)
                else:
                    for row in rows:
                        copy.write_row(
                            [
                                f(v) if f is not None and v is not None else v
                                for f, v in zip(wrap, row, strict=True)
                            ]
                        )
            return
        adapt = self._adapters(model, tuple(columns))
        if any(adapt):
            rows = [
                tuple(f(v) if f is not None and v is not None else v for f, v in zip(adapt, row, strict=True))
                for row in rows
            ]
        else:
            rows = list(rows)
        if not rows:
            return
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608

    def copy_binary(self, model: type[models.Model], columns: Sequence[str], rows: Iterable[bytes]) -> None:
        """PostgreSQL only: ``COPY`` rows already in the binary format (``BinaryRows``), as they are."""
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        raw = connection.connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(_BINARY_SIGNATURE + b"".join(rows) + _BINARY_TRAILER)

    def update(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """``UPDATE … SET columns WHERE id = …`` for rows of (values…, id)."""
        rows = list(rows)
        if not rows:
            return
        table = connection.ops.quote_name(model._meta.db_table)
        sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
        with connection.cursor() as cur:
            cur.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)  # noqa: S608

    def date(self, value: dt.date | None) -> str | None:
        return value.isoformat() if value is not None else None

    # Column types ----------------------------------------------------------------------------------

    @staticmethod
    def _fields(model: type[models.Model], columns: tuple[str, ...]) -> list[models.Field]:
        by_column = {f.column: f for f in model._meta.concrete_fields}
        return [by_column[c] for c in columns]

    def _pg_types(
        self, model: type[models.Model], columns: tuple[str, ...]
    ) -> tuple[list[str], list[Any] | None]:
        key = (model, columns)
        if key not in self._pg_cache:
            import ipaddress
            import uuid

            from psycopg.types.json import Jsonb

            types, wrap = [], []
            for base_type in pg_types(model, columns):
                types.append(base_type)
                if base_type == "jsonb":  # the importer hands JSON already encoded
                    wrap.append(lambda v: Jsonb(v, dumps=_as_is) if isinstance(v, str) else Jsonb(v))
                elif base_type == "uuid":
                    wrap.append(lambda v: v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)))
                elif base_type == "inet":
                    wrap.append(ipaddress.ip_address)
                else:
                    wrap.append(None)
            self._pg_cache[key] = (types, wrap if any(wrap) else None)
        return self._pg_cache[key]

    def _adapters(self, model: type[models.Model], columns: tuple[str, ...]) -> list[Any]:
        """Per column, the value SQLite (or another backend) is sent, as the ORM would send it."""
        key = (model, columns)
        if key not in self._adapt_cache:
            out = []
            for field in self._fields(model, columns):
                if isinstance(field, models.DateField | models.UUIDField | models.DecimalField):
                    out.append(_memo(functools.partial(_prep, field)))  # DateTimeField is a DateField
                else:
                    out.append(None)
            self._adapt_cache[key] = out
        return self._adapt_cache[key]


def pg_types(model: type[models.Model], columns: Sequence[str]) -> list[str]:
    """The PostgreSQL type names of the model's ``columns``, as binary COPY must be told them."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    out = []
    for column in columns:
        field = by_column[column]
        db_type = (field.rel_db_type(connection) if field.is_relation else field.db_type(connection)) or ""
        out.append(_PG_TYPES[db_type.split("(")[0].strip()])
    return out


_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\0" + bytes(8)  # signature, flags, no header extension
_BINARY_TRAILER = b"\xff\xff"
_ABORTED = "25P02"  # PostgreSQL: current transaction is aborted, commands ignored


class BinaryRows:
    """Some columns of a table's rows in PostgreSQL's binary COPY format, made without a connection
    (so in the import's reading process, see ``parallel``), with psycopg's own dumpers.

    ``fields(values)`` gives the fields of ``columns`` (no field count): the importing process puts
    the count and the fields only it knows (keys, branch) in front and hands the rows to
    ``BulkWriter.copy_binary``. Values must be of the columns' types (dates as ``date``, ``None``
    for NULL); no JSON columns.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        from psycopg import adapt, postgres, pq

        oids = [postgres.types.get_oid(t) for t in pg_types(model, columns)]
        self._tx = adapt.Transformer()
        self._tx.set_dumper_types(oids, pq.Format.BINARY)
        self._buffer = bytearray()
        try:  # psycopg's C formatter (psycopg[binary]); the same in Python otherwise
            from psycopg._copy_base import format_row_binary
        except ImportError:  # pragma: no cover
            from psycopg.copy import format_row_binary  # type: ignore[attr-defined,no-redef]
        self._format = format_row_binary

    def fields(self, values: Sequence[Any]) -> bytes:
        buffer = self._buffer
        buffer.clear()
        self._format(values, self._tx, buffer)
        return bytes(memoryview(buffer)[2:])  # without the field count


def _as_is(text: str) -> str:
    return text


def _memo(adapt: Any) -> Any:
    """``adapt`` once per distinct value: an import's dates repeat (one timestamp, some thousands of
    days), and the ORM's adaptation costs microseconds a value, millions of times."""
    cache: dict[Any, Any] = {}

    def adapted(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = adapt(value)
            return result

    return adapted


def _prep(field: models.Field, value: Any) -> Any:
    return field.get_db_prep_value(value, connection, prepared=False)


class BulkLoad:
    """Loading into empty tables: their secondary indexes and constraints are dropped for the load and
    made again at the end, each in one sorted pass instead of a million single insertions.

    PostgreSQL's own advice for a bulk load ("Populating a Database"): on a province's roster it
    halves the database's share of the import. Everything happens in the import's transaction: the
    definitions are read from the catalogue and restored exactly (names, ``DEFERRABLE``, partial
    and ``varchar_pattern_ops`` indexes), and a rollback brings the old ones back by itself. Foreign
    keys and unique constraints are checked when they are made again, over the whole table at once;
    a violation fails the import (the importer's own checks come first and name every bad row).

    The tables stay locked (ACCESS EXCLUSIVE on PostgreSQL) until the commit: readers of those
    tables wait for the import. That is why this mode is only for tables that are empty, the first
    load of a roster, and only for a large file.
    """

    def __init__(self, models_: Sequence[type[models.Model]]) -> None:
        self.vendor = connection.vendor
        self.tables = [m._meta.db_table for m in models_]
        self._restore: list[str] = []
        self.active = False
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def start_if_empty(self) -> bool:
        """Drop the tables' indexes and constraints if they are all empty; True if it did."""
        if self.vendor not in ("postgresql", "sqlite") or not self._empty():
            return False
        qn = connection.ops.quote_name
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                # Lock first, then look again: no other transaction can fill them behind our back.
                cur.execute(f"LOCK TABLE {', '.join(qn(t) for t in self.tables)} IN ACCESS EXCLUSIVE MODE")
                if not self._empty():
                    return False
                # A table this transaction has written to (organizations) may have deferred checks still
                # pending, e.g. of a foreign key to a member: ALTER TABLE on a table a dropped foreign key
                # involves refuses to run over them. Run them now; the deferred ones stay deferred after.
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")
                for table in self.tables:
                    self._drop_postgresql(cur, table)
            else:
                for table in self.tables:
                    cur.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                        "AND sql IS NOT NULL",
                        [table],
                    )
                    for name, sql in cur.fetchall():
                        cur.execute(f"DROP INDEX {qn(name)}")
                        self._restore.append(sql)
        self.active = True
        return True

    def finish(self, *, background: bool = False) -> None:
        """Make the indexes and constraints again (call once the tables are loaded).

        ``background`` (PostgreSQL): in a thread, on the same connection and so in the same
        transaction, while the caller goes on with work of its own (the import's tallies and posts
        are mostly Python, the index builds all server). psycopg serializes the two threads'
        statements; ``wait`` must be called before the transaction ends, whatever happens.
        """
        if not self.active:
            return
        statements, self._restore = self._restore, []
        self.active = False
        if self.vendor == "postgresql":
            # Room to sort a million keys in memory; for this transaction only.
            statements.insert(0, "SET LOCAL maintenance_work_mem = '256MB'")
            if background:
                raw = connection.connection

                def build() -> None:
                    try:
                        with raw.cursor() as cur:
                            for statement in statements:
                                cur.execute(statement)
                    except BaseException as e:  # noqa: BLE001 (handed to ``wait``)
                        self._failure = e

                self._thread = threading.Thread(target=build, name="import-indexes", daemon=True)
                self._thread.start()
                return
        with connection.cursor() as cur:
            for statement in statements:
                cur.execute(statement)

    def wait(self, *, quiet: bool = False) -> None:
        """Wait for a background ``finish`` and raise what it failed with. ``quiet``: the run is
        failing already; raise only a failure of the thread's own (which the run's then is the
        consequence of: "current transaction is aborted"), not one that follows the run's."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        failure, self._failure = self._failure, None
        if failure is not None and not (quiet and getattr(failure, "sqlstate", None) == _ABORTED):
            raise failure

    def _empty(self) -> bool:
        qn = connection.ops.quote_name
        with connection.cursor() as cur:
            for table in self.tables:
                cur.execute(f"SELECT 1 FROM {qn(table)} LIMIT 1")  # noqa: S608
                if cur.fetchone() is not None:
                    return False
        return True

    def _drop_postgresql(self, cur: Any, table: str) -> None:
        qn = connection.ops.quote_name
        # Constraints other than the primary key (foreign keys, unique), then the indexes that back
        # no constraint. Indexes first when restoring, so that a foreign key's check can use them.
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
            [table],
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) "
            "ORDER BY c.relname",
            [table],
        )
        indexes = cur.fetchall()
        for name, _definition in constraints:
            cur.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {qn(name)}")
        self._restore.extend(definition for _name, definition in indexes)
        unique = [(n, d) for n, d in constraints if d.startswith("UNIQUE")]
        others = [(n, d) for n, d in constraints if not d.startswith("UNIQUE")]
        self._restore.extend(
            f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}"
            for name, definition in unique + others
        )
