"""``dues_base.csv``: members' monthly income bases (月收入基数), for ``jiceng import`` (jiceng.roster).

Columns (as ``../shared/datasets/gen_roster.py`` writes them, plus an optional start month)::

    公民身份号码,月收入基数[,起始月份]

A row gives the base of the member with that identity number from 起始月份 (YYYY-MM; default: January
of the current year, the base of the year's fixing). A blank 月收入基数 means the member has no income
base (students, farmers, …): the row is skipped. The member must be in a branch the importing user may
change. The base is at most two decimals, between 0 and 10,000,000 yuan.

Idempotence: a base is the same when (member, start month) agree: importing the same file again changes
nothing; a different amount updates it (audited with before and after).

All or nothing: the importer runs every table in one transaction and rolls back if any row of any table
is wrong; each problem names its row, column, value, code and a Chinese reason. The members are looked
up in the database: in a run that also imports members.csv they are found once written (this table is
processed after the members); ``--check`` does not write members, so rows of members that only that
run's members.csv holds are then counted, with a notice, rather than checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import crypto, idnumber
from jiceng.core.models import ObjectChange
from jiceng.roster.handlers.base import Column, Layout, TableHandler
from jiceng.roster.readers import Source

from . import rules
from .models import IncomeBase

CHUNK = 5000
FEN = Decimal("0.01")


@dataclass(slots=True)
class BaseRow:
    row: int
    number: str
    amount: Decimal | None
    month: dt.date | None
    digest: str = ""
    ok: bool = True


class DuesBaseHandler(TableHandler):
    table = "dues_base"
    title = gettext_lazy("党费基数")
    file_name = "dues_base.csv"
    sheet_name = "党费基数"
    order = 30  # after the members whose bases these are
    columns: ClassVar[tuple[Column, ...]] = (
        Column("id_number", "公民身份号码", ("身份证号码", "身份证号"), required=True),
        Column("income_base", "月收入基数", ("党费基数",), required=True),
        Column("applies_from", "起始月份", ("起始月",)),
    )
    signature = frozenset({"id_number", "income_base"})

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.default_month = dt.date(timezone.localdate().year, 1, 1)
        self.first_row: dict[tuple[str, dt.date], int] = {}
        self.unmatched = 0
        self._ct: int | None = None
        self.paths: set[str] = set()  # branches whose members' bases were written

    def process(self, source: Source, layout: Layout) -> None:
        ix, headers = layout.index, layout.headers
        chunk: list[BaseRow] = []
        unreported = 0
        for number, cells in source.rows():
            unreported += 1
            if unreported >= 1000:  # progress (and DEBUG's query log reset) per thousand rows
                self.run.advance(unreported)
                unreported = 0
            row = self._parse(source, headers, number, {k: cells[i] for k, i in ix.items()})
            if row is not None:
                chunk.append(row)
            if len(chunk) >= CHUNK:
                self._settle(source, headers, chunk)
                chunk = []
        if chunk:
            self._settle(source, headers, chunk)
        if unreported:
            self.run.advance(unreported)

    def _parse(
        self, source: Source, headers: dict[str, str], number: int, cell: dict[str, str]
    ) -> BaseRow | None:
        text = (cell.get("income_base") or "").strip()
        raw_id = (cell.get("id_number") or "").strip()
        if not text and raw_id:
            self.counts["skipped"] += 1  # no income base: nothing to record
            return None
        row = BaseRow(row=number, number="", amount=None, month=None)

        def err(key: str, code: str, message: str, value: Any = None) -> None:
            self.run.error(source.display, number, headers.get(key, key), value, code, message)
            row.ok = False

        if not raw_id:
            err("id_number", "required", _("公民身份号码不能为空"))
        else:
            try:
                row.number = idnumber.validate(raw_id)
            except Exception as e:  # noqa: BLE001 (a ValidationError with the reason)
                err(
                    "id_number",
                    getattr(e, "code", "id_invalid") or "id_invalid",
                    " ".join(getattr(e, "messages", [str(e)])),
                    idnumber.mask(raw_id),
                )
        try:
            row.amount = rules.parse_money(text)
        except ValueError as e:
            err("income_base", "amount_invalid", _("月收入基数不正确：%(reason)s") % {"reason": e}, text)
        month_text = (cell.get("applies_from") or "").strip()
        if not month_text:
            row.month = self.default_month
        else:
            try:
                row.month = dt.datetime.strptime(month_text[:7].replace("/", "-"), "%Y-%m").date()
                if len(month_text) not in (7, 10) or not 1921 <= row.month.year <= 2999:
                    raise ValueError
            except ValueError:
                row.month = None
                err("applies_from", "month_invalid", _("起始月份格式应为YYYY-MM"), month_text)
        if row.ok and row.month is not None:
            key = (row.number, row.month)
            first = self.first_row.setdefault(key, number)
            if first != number:
                err(
                    "id_number",
                    "duplicate_row",
                    _("与第%(row)d行是同一党员同一起始月份的基数") % {"row": first},
                    idnumber.mask(row.number),
                )
        return row

    def _settle(self, source: Source, headers: dict[str, str], chunk: list[BaseRow]) -> None:
        good = [r for r in chunk if r.ok]
        digests = crypto.digest_many([r.number for r in good]) if good else []
        for r, d in zip(good, digests, strict=True):
            r.digest = d
        found = {d: (pk, path) for d, pk, path in _rows(MEMBERS_BY_DIGEST, digests)}
        rows = []
        for r in good:
            member = found.get(r.digest)
            column = headers.get("id_number", "公民身份号码")
            if member is None or not self.run.can("view", member[1]):
                # Under --check a members.csv of the same run is not written (the roster's handlers
                # make the shared directory of organizations): such rows are counted, not refused.
                if self.run.check_only and member is None and "orgs" in self.run.shared:
                    self.unmatched += 1  # maybe in this run's members.csv (not written under --check)
                    continue
                self.run.error(
                    source.display,
                    r.row,
                    column,
                    idnumber.mask(r.number),
                    "member_unknown",
                    _("系统中没有该公民身份号码的党员，或不在您的管理范围内"),
                )
                continue
            if not self.run.can("change", member[1]):
                self.run.error(
                    source.display,
                    r.row,
                    column,
                    idnumber.mask(r.number),
                    "not_allowed",
                    _("您没有登记该党员党费基数的权限"),
                )
                continue
            rows.append((r, member))
        # Plain tuples throughout (no model instance per row): (id, amount) of the bases already there.
        months = {r.month for r, _m in rows}
        existing = {
            (mid, month): (pk, Decimal(str(amount)).quantize(FEN))
            for pk, mid, month, amount in _rows(BASES_OF_MEMBERS, [m[0] for _r, m in rows])
            if month in months
        }
        new: list[tuple[int, Decimal, dt.date, str]] = []  # member id, amount, month, path
        changed: list[tuple[int, dt.date, Decimal, Decimal, str]] = []  # id, month, old, new, path
        for r, (pk, path) in rows:
            old = existing.get((pk, r.month))
            if old is None:
                new.append((pk, r.amount, r.month, path))
            elif old[1] == r.amount:
                self.counts["unchanged"] += 1
            else:
                changed.append((old[0], r.month, old[1], r.amount, path))
        if not self.run.writing:
            self.counts["created"] += len(new)
            self.counts["updated"] += len(changed)
            return
        # The importer's bulk writer (binary COPY on PostgreSQL): no model instance is saved one by one.
        w = self.run.writer
        ids = w.allocate_ids(IncomeBase, len(new))
        actor_id = getattr(self.run.actor, "pk", None)
        imported = IncomeBase.Source.IMPORTED
        w.insert(
            IncomeBase,
            BASE_COLUMNS,
            [
                (pk, mid, amount, month, imported, True, "", actor_id, w.now, w.now)
                for pk, (mid, amount, month, _path) in zip(ids, new, strict=True)
            ],
        )
        ct = self._ct_id()
        message = _("导入")
        audit = self.run.audit
        create = ObjectChange.Action.CREATE
        for pk, (mid, amount, month, path) in zip(ids, new, strict=True):
            audit(
                action=create,
                content_type_id=ct,
                object_id=pk,
                object_repr=f"{month:%Y-%m}",
                org_path=path,
                # The same JSON as {"member": …, "amount": …, "applies_from": …, "source": …}, formatted
                # directly (numbers, a date and a fixed word: nothing to escape).
                encoded_after=(
                    f'{{"member": {mid}, "amount": "{amount}", "applies_from": "{month.isoformat()}", '
                    f'"source": "{imported}"}}'
                ),
                message=message,
            )
        if changed:
            by_id = {pk: amount for pk, _m, _old, amount, _p in changed}
            bases = list(IncomeBase.objects.filter(pk__in=list(by_id)).only("pk", "amount", "source"))
            now = timezone.now()
            for b in bases:
                b.amount, b.source, b.updated_at = by_id[b.pk], imported, now
            IncomeBase.objects.bulk_update(bases, ["amount", "source", "updated_at"], batch_size=2000)
        for pk, month, before, amount, path in changed:
            audit(
                action=ObjectChange.Action.UPDATE,
                content_type_id=ct,
                object_id=pk,
                object_repr=f"{month:%Y-%m}",
                org_path=path,
                before={"amount": str(before)},
                after={"amount": str(amount)},
                message=message,
            )
        # The maintained figures of these members' branches no longer hold (figures.py).
        self.paths.update(path for *_x, path in new)
        self.paths.update(path for *_x, path in changed)
        self.counts["created"] += len(new)
        self.counts["updated"] += len(changed)

    def _ct_id(self) -> int:
        if self._ct is None:
            self._ct = self.run.content_type_id(IncomeBase)
        return self._ct

    def finish(self) -> None:
        if self.paths and self.run.writing:
            from .figures import mark_stale

            mark_stale(branch_paths=sorted(self.paths))
        if self.unmatched:
            self.run.notice(
                _(
                    "党费基数表中有%(n)d行的党员尚不在系统中（可能在本次导入的党员表中），校验时未核对；正式导入时将逐行核对"
                )
                % {"n": self.unmatched}
            )


# Raw SQL for the two look-ups of each chunk: the ORM's ``__in`` of 5,000 values prepared each value
# one by one (a fifth of the import's time in a profile of the county's file).
MEMBERS_BY_DIGEST = "SELECT id_number_digest, id, org_path FROM members_member WHERE id_number_digest {}"
BASES_OF_MEMBERS = "SELECT id, member_id, applies_from, amount FROM dues_incomebase WHERE member_id {}"


def _rows(sql: str, values: list[Any]) -> list[tuple[Any, ...]]:
    """``sql`` with ``= ANY(array)`` on PostgreSQL, ``IN (…)`` in slices elsewhere."""
    if not values:
        return []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(sql.format("= ANY(%s)"), [list(values)])
            return cur.fetchall()
        out = []
        for i in range(0, len(values), 900):
            part = values[i : i + 900]
            cur.execute(sql.format("IN (" + ",".join(["%s"] * len(part)) + ")"), part)
            out.extend(cur.fetchall())
    return [
        tuple(
            dt.date.fromisoformat(v) if isinstance(v, str) and len(v) == 10 and v[4] == "-" else v for v in r
        )
        for r in out
    ]


BASE_COLUMNS = (
    "id",
    "member_id",
    "amount",
    "applies_from",
    "source",
    "confirmed",
    "note",
    "recorded_by_id",
    "created_at",
    "updated_at",
)


def register_handler() -> None:
    """Plug this handler into the roster importer (replacing its "not yet supported" placeholder)."""
    from jiceng.roster.handlers.base import register

    register(DuesBaseHandler)
