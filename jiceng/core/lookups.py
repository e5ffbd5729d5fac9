"""``path__prefix``: "lies in this subtree" for materialized-path columns, fast on both databases.

PostgreSQL answers ``LIKE 'prefix%'`` from the ``varchar_pattern_ops`` indexes. SQLite's LIKE is
case-insensitive and so never uses an index (a branch's member list scanned a million rows); there the
same question is asked as a range, ``prefix <= path < prefix || '~'``, which the ordinary index serves.
Paths use the alphabet 0-9A-Z, all of which sort below '~' in SQLite's binary collation.
"""

from __future__ import annotations

from django.db.models import CharField, Lookup
from django.db.models.lookups import StartsWith


@CharField.register_lookup
class PathPrefix(Lookup):
    lookup_name = "prefix"

    def as_sql(self, compiler, connection):  # noqa: ANN001, ANN201
        if connection.vendor != "sqlite":
            return StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"({lhs} >= %s AND {lhs} < %s)", (*lhs_params, self.rhs, *lhs_params, f"{self.rhs}~")
