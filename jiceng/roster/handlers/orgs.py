"""``orgs.csv``: the organization tree, matched by 组织编码, with each one's current committee.

An organization whose code is new is created under its parent (in the file or already in the
database); one whose code exists is updated (name, unit kind, founding date). Moving an existing
organization or changing its kind is refused: those are the 移动组织 and 修改组织信息 pages' work,
which check what they imply. A blank 上级组织编码 on an existing organization means "where it is".

本届委员会选举日期 records the election as ``jiceng.orgs.services.record_election`` does: no date, or
the current committee's date, changes nothing; a later date ends the current committee on that day
and starts a new one with the default term (``orgs.rules.default_term_years``, by the rule book's
parameters in force on the election day); an earlier one is refused (``election_order``). A 党工委
is not elected: on its row the date is the appointment day (任命日期) of an appointed committee without
a term, and the import says so in a notice.

记录起始日期 (``Organization.records_since``) sets the day from which jiceng holds the organization's
records; a blank cell, or no column, takes ``jiceng import --records-since`` when given, else leaves an
existing organization's as it is and gives a new one the import's day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import F, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import audit, dates
from jiceng.core.models import ObjectChange, User
from jiceng.core.rulebook import RuleBook
from jiceng.orgs import rules as org_rules
from jiceng.orgs import tallies
from jiceng.orgs.models import Committee, Formation, Organization, OrgKind, UnitKind

from ..formats import chinese_labels, choice_map, parse_date
from ..readers import Source
from .base import Column, Layout, TableHandler
from .common import OrgRef, directory, plain

CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
MISSING: Any = object()  # the column is absent from the file: leave the field as it is

KIND_ALIASES = {
    "党总支部": "general_branch",
    "基层党委": "committee",
    "联合党支部": "branch",
    "支部": "branch",
}
UNIT_ALIASES = {
    "村": "village",
    "乡村": "village",
    "国企": "state_enterprise",
    "非公企业": "private_enterprise",
}


@dataclass(slots=True)
class OrgRow:
    file: str
    row: int
    code: str
    name: str
    parent_code: Any  # str, "" (blank: root, or "where it is"), or MISSING
    kind: str
    unit_kind: str
    founded_on: Any  # date, None or MISSING
    elected_on: dt.date | None
    headers: dict[str, str]
    records_since: dt.date | None = None  # the row's own; None: blank or no column
    ok: bool = True


class OrgsHandler(TableHandler):
    table = "orgs"
    title = gettext_lazy("党组织")
    file_name = "orgs.csv"
    sheet_name = "组织"
    order = 10
    exportable = True
    columns: ClassVar[tuple[Column, ...]] = (
        Column("code", "组织编码", ("党组织编码",), required=True),
        Column("name", "组织名称", ("党组织名称",), required=True),
        Column("parent_code", "上级组织编码", ("上级党组织编码",)),
        Column("kind", "组织类别", ("党组织类别",), required=True),
        Column("unit_kind", "单位类别", ("单位类型",), required=True),
        Column("founded_on", "成立日期", ("建立日期", "党组织成立日期")),
        Column("elected_on", "本届委员会选举日期", ("本届选举日期", "换届日期")),
        Column("records_since", "记录起始日期", ("记录开始日期",)),
    )
    signature = frozenset({"code", "name", "kind"})

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.rows: list[OrgRow] = []
        self.first_row: dict[str, OrgRow] = {}
        self.kinds = choice_map(OrgKind, KIND_ALIASES)
        self.units = choice_map(UnitKind, UNIT_ALIASES)
        self.directory = directory(run)

    # Reading --------------------------------------------------------------------------------------

    def process(self, source: Source, layout: Layout) -> None:
        run = self.run
        ix = layout.index
        h = layout.headers
        get = {k: ix.get(k) for k in ("parent_code", "founded_on", "elected_on", "records_since")}
        founded_label, elected_label = _("成立日期"), _("选举日期")
        self.appointments: list[OrgRow] = []  # 党工委 rows with an election date: an appointment
        for number, cells in source.rows():
            run.advance(1)

            code = cells[ix["code"]]
            row = OrgRow(
                file=source.display,
                row=number,
                code=code,
                name=cells[ix["name"]],
                parent_code=cells[get["parent_code"]] if get["parent_code"] is not None else MISSING,
                kind="",
                unit_kind="",
                founded_on=MISSING,
                elected_on=None,
                headers=h,
            )

            def err(key: str, code: str, message: str, value: Any = None, row: OrgRow = row) -> None:
                run.error(source.display, row.row, h.get(key, key), value, code, message)
                row.ok = False

            if not code:
                err("code", "required", _("组织编码不能为空"), code)
            elif not CODE_RE.match(code):
                err("code", "code_invalid", _("组织编码只能包含字母、数字、下划线和连字符，最长32位"), code)
            elif code in self.first_row:
                err(
                    "code",
                    "code_duplicate",
                    _("组织编码在导入文件中重复（第%(row)d行已出现）") % {"row": self.first_row[code].row},
                    code,
                )
            else:
                self.first_row[code] = row
            if not row.name:
                err("name", "required", _("组织名称不能为空"))
            elif len(row.name) > 200:
                err("name", "too_long", _("组织名称最长200字"), row.name)
            if row.parent_code not in (MISSING, "") and not CODE_RE.match(row.parent_code):
                err("parent_code", "code_invalid", _("上级组织编码格式不正确"), row.parent_code)
            kind_text = cells[ix["kind"]]
            row.kind = self.kinds.get(kind_text, "")
            if not kind_text:
                err("kind", "required", _("组织类别不能为空"))
            elif not row.kind:
                err(
                    "kind",
                    "choice_invalid",
                    _("组织类别应为：%(choices)s") % {"choices": _labels(OrgKind)},
                    kind_text,
                )
            unit_text = cells[ix["unit_kind"]]
            row.unit_kind = self.units.get(unit_text, "")
            if not unit_text:
                err("unit_kind", "required", _("单位类别不能为空"))
            elif not row.unit_kind:
                err(
                    "unit_kind",
                    "choice_invalid",
                    _("单位类别应为：%(choices)s") % {"choices": _labels(UnitKind)},
                    unit_text,
                )
            if get["founded_on"] is not None:
                row.founded_on = self._date(cells[get["founded_on"]], "founded_on", err, founded_label)
            if get["elected_on"] is not None:
                row.elected_on = self._date(cells[get["elected_on"]], "elected_on", err, elected_label)
            if get["records_since"] is not None:
                row.records_since = self._records_since(cells[get["records_since"]], err)
            if row.elected_on is not None and org_rules.is_appointed(row.kind):
                self.appointments.append(row)
            self.rows.append(row)
            if row.ok:
                self.directory.named.add(code)

    def _date(self, text: str, key: str, err: Any, label: str) -> dt.date | None:
        if not text:
            return None
        try:
            day = parse_date(text)
        except ValueError:
            err(key, "date_invalid", _("%(label)s格式不正确，应为YYYY-MM-DD") % {"label": label}, text)
            return None
        if day > self.run.today:
            err(key, "date_in_future", _("%(label)s不能晚于今天") % {"label": label}, text)
            return None
        if early := dates.date_problem(day, label=label, not_before=[dates.founded()]):
            err(
                key, "date_too_early", early.messages[0], text
            )  # as orgs.services: 1921-07-01 at the earliest
            return None
        return day

    def _records_since(self, text: str, err: Any) -> dt.date | None:
        if not text:
            return None
        try:
            day = parse_date(text)
        except ValueError:
            err("records_since", "date_invalid", _("记录起始日期格式不正确，应为YYYY-MM-DD"), text)
            return None
        problem = org_rules.records_since_problem(day=day, today=self.run.today)
        if problem is not None:
            err("records_since", problem[0], problem[1], text)
            return None
        return day

    def _records_since_of(self, r: OrgRow) -> dt.date | None:
        """The row's 记录起始日期: its own, else ``--records-since``; None: as it is (new: the import's day)."""
        return r.records_since or self.run.records_since

    # Checking the tree and writing ----------------------------------------------------------------

    def end_table(self) -> None:
        run = self.run
        d = self.directory
        rows = [r for r in self.rows if self.first_row.get(r.code) is r]
        d.lookup([r.code for r in rows] + [r.parent_code for r in rows if isinstance(r.parent_code, str)])
        existing = {r.code: d.by_code[r.code] for r in rows if r.code in d.by_code}
        self._created: set[str] = set()
        self._current = self._current_values(list(existing))
        d.load_committees(existing.values())
        db_parent_code = self._db_parent_codes(existing.values())
        file_parent = {
            r.code: r.parent_code for r in rows if isinstance(r.parent_code, str) and r.parent_code
        }
        in_cycle = self._cycles(file_parent)
        for r in rows:
            if r.code not in existing:  # new organizations join the directory; pk and path come when written
                d.add(
                    OrgRef(code=r.code, name=r.name, kind=r.kind, unit_kind=r.unit_kind, committee_known=True)
                )
            d.by_code[r.code].in_file = True
        for r in rows:
            self._check(r, existing.get(r.code), db_parent_code, in_cycle)
        for r in self.rows:
            if not r.ok and r.code in d.by_code:
                d.by_code[r.code].valid = False
        for r in rows:
            ref = d.by_code[r.code]
            if r.ok and self._elects(r, ref):
                ref.new_committee = True  # its posts start empty; written below when writing
        appointed = [r for r in self.appointments if r.ok]
        if appointed:
            codes = [r.code for r in appointed]
            run.notice(
                _(
                    "%(n)d个党工委（%(codes)s）由上级党委任命，不设任期：“本届委员会选举日期”已记为任命日期，"
                    "不计算任期"
                )
                % {"n": len(codes), "codes": "、".join(codes[:10]) + ("…" if len(codes) > 10 else "")}
            )
        if run.writing:
            self._write(rows, existing)
        else:
            # Not writing: still count what would happen, for the check-only summary.
            for r in rows:
                self.counts[self._change_kind(r, existing.get(r.code))] += 1
        # The rows are done with (the directory keeps what the members need): a province's 54,000
        # would otherwise stay in memory through the members' import, and in its reading process.
        self.rows, self.first_row, self._current, self.appointments = [], {}, {}, []

    @staticmethod
    def _current_values(codes: list[str]) -> dict[str, dict[str, Any]]:
        current: dict[str, dict[str, Any]] = {}
        for i in range(0, len(codes), 2000):
            for values in Organization.objects.filter(code__in=codes[i : i + 2000]).values():
                current[values["code"]] = values
        return current

    def _db_parent_codes(self, refs: Any) -> dict[str, str]:
        """Code of the current parent of each existing organization (by child code)."""
        step = Organization.steplen
        parent_paths = {r.code: r.path[:-step] for r in refs if r.depth > 1}
        by_path: dict[str, str] = {}
        paths = list(set(parent_paths.values()))
        for i in range(0, len(paths), 2000):
            by_path.update(
                Organization.objects.filter(path__in=paths[i : i + 2000]).values_list("path", "code")
            )
        return {code: by_path.get(p, "") for code, p in parent_paths.items()}

    @staticmethod
    def _cycles(parent: dict[str, str]) -> set[str]:
        """Codes on a cycle of the file's parent links (A under B, B under A)."""
        state: dict[str, int] = {}  # 1: on the current walk, 2: done
        bad: set[str] = set()
        for start in parent:
            walk: list[str] = []
            code = start
            while code in parent and state.get(code) is None:
                state[code] = 1
                walk.append(code)
                code = parent[code]
            if state.get(code) == 1:  # came back to the current walk: the tail from ``code`` is a cycle
                bad.update(walk[walk.index(code) :])
            for c in walk:
                state[c] = 2
        return bad

    def _check(
        self, r: OrgRow, ref: OrgRef | None, db_parent_code: dict[str, str], in_cycle: set[str]
    ) -> None:
        run = self.run

        def err(key: str, code: str, message: str, value: Any = None) -> None:
            run.error(r.file, r.row, r.headers.get(key, key), value, code, message)
            r.ok = False

        if not r.ok:
            return
        if r.code in in_cycle:
            err("parent_code", "cycle", _("上级组织关系形成循环（组织不能是自己的下级）"), r.parent_code)
            return
        parent_code = r.parent_code if isinstance(r.parent_code, str) else ""
        parent = self.directory.get(parent_code) if parent_code else None
        if parent_code and (parent is None or (parent.in_db and not parent.visible)):
            # The same words whether the code is unknown or belongs to someone else's subtree.
            err(
                "parent_code",
                "parent_unknown",
                _("上级组织编码%(code)s不存在，或不在您的管理范围内") % {"code": parent_code},
                parent_code,
            )
            return
        if ref is not None:  # an existing organization
            if not ref.visible:
                err(
                    "code",
                    "out_of_scope",
                    _("组织编码%(code)s已被其他党组织使用，或不在您的管理范围内") % {"code": r.code},
                    r.code,
                )
                return
            if r.kind != ref.kind:
                err(
                    "kind",
                    "org_kind_changed",
                    _("组织类别与系统中的“%(kind)s”不一致；如需更改，请在组织页面修改")
                    % {"kind": OrgKind(ref.kind).label},
                    OrgKind(r.kind).label,
                )
            if parent_code and parent_code != db_parent_code.get(r.code, ""):
                err(
                    "parent_code",
                    "org_parent_changed",
                    _("上级组织与系统中不一致；移动党组织请使用组织页面的“移动组织”"),
                    parent_code,
                )
            if r.elected_on and ref.committee_elected_on and r.elected_on < ref.committee_elected_on:
                err(
                    "elected_on",
                    "election_order",
                    _("选举日期须晚于本届委员会的选举日期%(day)s")
                    % {"day": ref.committee_elected_on.isoformat()},
                    r.elected_on.isoformat(),
                )
            if r.ok and self._change_kind(r, ref) == "updated" and not ref.changeable:
                err("code", "not_allowed", _("您没有修改该党组织的权限"), r.code)
            return
        # A new organization.
        if parent is None:
            if not (run.system or (run.actor is not None and run.actor.is_superuser)):
                err(
                    "parent_code",
                    "root_not_allowed",
                    _("只有系统管理员可以建立顶级党组织；请填写上级组织编码"),
                    parent_code,
                )
            return
        if parent.in_db and not parent.manageable:
            err("parent_code", "not_allowed", _("您没有在该上级组织下新建组织的权限"), parent_code)
            return
        if not org_rules.parent_allowed(kind=r.kind, parent_kind=parent.kind):
            err(
                "kind",
                "parent_kind",
                _("%(kind)s不能设在%(parent)s之下")
                % {"kind": OrgKind(r.kind).label, "parent": OrgKind(parent.kind).label},
                OrgKind(r.kind).label,
            )

    def _change_kind(self, r: OrgRow, ref: OrgRef | None) -> str:
        if ref is None:
            return "created"
        return "updated" if self._changes(r, ref) or self._elects(r, ref) else "unchanged"

    def _changes(self, r: OrgRow, ref: OrgRef) -> dict[str, Any]:
        current = self._current[ref.code]
        changes: dict[str, Any] = {}
        if r.name != current["name"]:
            changes["name"] = r.name
        if r.unit_kind != current["unit_kind"]:
            changes["unit_kind"] = r.unit_kind
        if r.founded_on is not MISSING and r.founded_on != current["founded_on"]:
            changes["founded_on"] = r.founded_on
        since = self._records_since_of(r)
        if since is not None and since != current["records_since"]:
            changes["records_since"] = since
        return changes

    def _elects(self, r: OrgRow, ref: OrgRef) -> bool:
        return r.elected_on is not None and r.elected_on != ref.committee_elected_on

    def _write(self, rows: list[OrgRow], existing: dict[str, OrgRef]) -> None:
        run = self.run
        w = run.writer
        d = self.directory
        ct = run.content_type_id(Organization)
        imported = _("导入")
        # Updates of existing organizations.
        for r in rows:
            ref = existing.get(r.code)
            if ref is None:
                continue
            changes = self._changes(r, ref)
            elects = self._elects(r, ref)
            self.counts["updated" if changes or elects else "unchanged"] += 1
            run.touched_paths.add(ref.path)
            if not changes:
                continue
            current = self._current[ref.code]
            before = {k: plain(current[k]) for k in changes}
            Organization.objects.filter(pk=ref.pk).update(**changes, updated_at=w.now)
            after = {k: plain(v) for k, v in changes.items()}
            run.audit(
                action=ObjectChange.Action.UPDATE,
                content_type_id=ct,
                object_id=ref.pk,
                object_repr=changes.get("name", ref.name),
                org_path=ref.path,
                before=before,
                after=after,
                message=imported,
            )
            if ref.kind == OrgKind.BRANCH and "unit_kind" in changes:
                old = tallies.keys_of_org(Organization(kind=ref.kind, unit_kind=current["unit_kind"]))
                new = tallies.keys_of_org(Organization(kind=ref.kind, unit_kind=changes["unit_kind"]))
                run.tallies.add(ref.path, tallies.diff(old, new))
            ref.name = changes.get("name", ref.name)
            ref.unit_kind = changes.get("unit_kind", ref.unit_kind)
        # New organizations, parents first (the file may list a child before its parent).
        new = self._parents_first([r for r in rows if r.code not in existing])
        if new:
            ids = w.allocate_ids(Organization, len(new))
            next_step: dict[str, int] = {}
            child_count: Counter[str] = Counter()
            for r in new:
                parent_code = r.parent_code if isinstance(r.parent_code, str) else ""
                if parent_code:
                    child_count[parent_code] += 1
            values = []
            # Each change record's snapshot is what ``audit.snapshot`` gives of the saved organization:
            # made from the model's once over, with each one's values over it (no model instance each).
            template = audit.snapshot(Organization(numchild=0, kind=OrgKind.BRANCH, unit_kind=""))
            for pk, r in zip(ids, new, strict=True):
                parent_code = r.parent_code if isinstance(r.parent_code, str) else ""
                parent = d.by_code[parent_code] if parent_code else None
                path, depth = self._next_path(parent, next_step)
                ref = d.by_code[r.code]
                ref.pk, ref.path, ref.depth = pk, path, depth
                self._created.add(r.code)
                ref.in_db = True
                founded = r.founded_on if r.founded_on is not MISSING else None
                records_since = self._records_since_of(r) or run.today
                numchild = child_count[r.code]
                values.append(
                    (
                        pk,
                        path,
                        depth,
                        numchild,
                        r.code,
                        r.name,
                        r.kind,
                        r.unit_kind,
                        founded,
                        records_since,
                        w.now,
                        w.now,
                    )
                )
                run.audit(
                    action=ObjectChange.Action.CREATE,
                    content_type_id=ct,
                    object_id=pk,
                    object_repr=r.name,
                    org_path=path,
                    after={
                        **template,
                        "id": pk,
                        "path": path,
                        "depth": depth,
                        "numchild": numchild,
                        "code": r.code,
                        "name": r.name,
                        "kind": r.kind,
                        "unit_kind": r.unit_kind,
                        "founded_on": founded.isoformat() if founded is not None else None,
                        "records_since": records_since.isoformat(),
                    },
                    message=imported,
                )
                run.tallies.add(path, tallies.org_keys(kind=r.kind, unit_kind=r.unit_kind))
                run.created_orgs[path] = pk
                run.touched_paths.add(path)
            w.insert(
                Organization,
                (
                    "id",
                    "path",
                    "depth",
                    "numchild",
                    "code",
                    "name",
                    "kind",
                    "unit_kind",
                    "founded_on",
                    "records_since",
                    "created_at",
                    "updated_at",
                ),
                values,
            )
            for code, n in child_count.items():
                parent = d.by_code[code]
                if code not in self._created:
                    Organization.objects.filter(pk=parent.pk).update(numchild=F("numchild") + n)
            self.counts["created"] += len(new)
        self._write_elections(rows)

    @staticmethod
    def _parents_first(new: list[OrgRow]) -> list[OrgRow]:
        by_code = {r.code: r for r in new}
        ordered: list[OrgRow] = []
        placed: set[str] = set()
        for r in new:
            chain = []
            code: str | None = r.code
            while code in by_code and code not in placed:
                chain.append(by_code[code])
                placed.add(code)
                pc = by_code[code].parent_code
                code = pc if isinstance(pc, str) and pc else None
            ordered.extend(reversed(chain))
        return ordered

    def _next_path(self, parent: OrgRef | None, next_step: dict[str, int]) -> tuple[str, int]:
        """The path of the next last child of ``parent`` (the next root when None), as treebeard builds it."""
        key = parent.path if parent is not None else ""
        if key not in next_step:
            if parent is None:
                last = Organization.objects.filter(depth=1).aggregate(m=Max("path"))["m"]
            elif parent.code in self._created:
                last = None  # created by this import: no children yet
            else:
                last = Organization.objects.filter(
                    path__prefix=parent.path, depth=parent.depth + 1
                ).aggregate(m=Max("path"))["m"]
            next_step[key] = Organization._str2int(last[-Organization.steplen :]) if last else 0
        next_step[key] += 1
        depth = (parent.depth if parent is not None else 0) + 1
        return Organization._get_path(
            parent.path if parent is not None else None, depth, next_step[key]
        ), depth

    def _write_elections(self, rows: list[OrgRow]) -> None:
        run = self.run
        w = run.writer
        d = self.directory
        ct = run.content_type_id(Committee)
        imported, handover = _("导入"), _("换届")
        elect = [(r, d.by_code[r.code]) for r in rows if d.by_code[r.code].new_committee]
        if not elect:
            return
        ended = [(ref.committee_id, r.elected_on, ref) for r, ref in elect if ref.committee_id is not None]
        if ended:
            previous = {c.pk: c for c in Committee.objects.filter(pk__in=[e[0] for e in ended])}
            w.update(Committee, ["ended_on"], [(w.date(day), pk) for pk, day, _ref in ended])
            for pk, day, ref in ended:
                old = previous[pk]
                run.tallies.add(ref.path, tallies.keys_of_committee(old), -1)
                run.audit(
                    action=ObjectChange.Action.UPDATE,
                    content_type_id=ct,
                    object_id=pk,
                    object_repr=f"{ref.name} {old.elected_on:%Y-%m-%d}",
                    org_path=ref.path,
                    before={"ended_on": None},
                    after={"ended_on": day.isoformat()},
                    message=handover,
                )
        ids = w.allocate_ids(Committee, len(elect))
        values = []
        # As for organizations: snapshots without model instances. The term is the rule book's
        # (``org.committee_term_expired``) in force on the election day, as for an election recorded
        # on its page (``orgs.services``).
        template = audit.snapshot(Committee(elected_on=run.today, term_years=0))
        appointed_label = _("任命（导入）")
        book = RuleBook()
        params_on: dict[dt.date, dict] = {}
        for pk, (r, ref) in zip(ids, elect, strict=True):
            day = r.elected_on
            appointed = org_rules.is_appointed(ref.kind)  # a 党工委: appointed, no term
            if appointed:
                years = None
            else:
                params = params_on.get(day)
                if params is None:
                    params = params_on[day] = book.on("org.committee_term_expired", day).values
                years = org_rules.default_term_years(kind=ref.kind, unit_kind=ref.unit_kind, params=params)
            formation = Formation.APPOINTED.value if appointed else Formation.ELECTED.value
            values.append((pk, ref.pk, formation, day, years, None, "", None))
            ends = org_rules.term_end(elected_on=day, term_years=years, extended_to=None)
            run.tallies.add(ref.path, tallies.committee_keys(term_ends_on=ends))
            run.audit(
                action=ObjectChange.Action.CREATE,
                content_type_id=ct,
                object_id=pk,
                object_repr=f"{ref.name} {day:%Y-%m-%d}",
                org_path=ref.path,
                after={
                    **template,
                    "id": pk,
                    "org": ref.pk,
                    "formation": formation,
                    "elected_on": day.isoformat(),
                    "term_years": years,
                },
                message=appointed_label if appointed else imported,
            )
            ref.committee_id, ref.committee_elected_on, ref.new_committee = pk, r.elected_on, True
        w.insert(
            Committee,
            (
                "id",
                "org_id",
                "formation",
                "elected_on",
                "term_years",
                "extended_to",
                "extension_approval",
                "ended_on",
            ),
            values,
        )
        run.extra[_("新一届委员会")] += len(elect)

    # Export ----------------------------------------------------------------------------------------

    @classmethod
    def export_rows(cls, *, actor: User | None, org: Organization, full_id: bool) -> Iterator[list[Any]]:
        from jiceng.core import scope

        kinds = chinese_labels(OrgKind)
        units = chinese_labels(UnitKind)
        step = Organization.steplen
        subtree = Organization.objects.filter(path__prefix=org.path).order_by("path")
        codes: dict[str, str] = {}
        parent_path = org.path[:-step]
        if parent_path and (actor is None or scope.can(actor, scope.VIEW, parent_path)):
            codes[parent_path] = (
                Organization.objects.filter(path=parent_path).values_list("code", flat=True).first() or ""
            )
        elected = dict(
            Committee.objects.filter(org__path__prefix=org.path, ended_on__isnull=True).values_list(
                "org_id", "elected_on"
            )
        )
        for pk, path, code, name, kind, unit_kind, founded_on, records_since in subtree.values_list(
            "pk", "path", "code", "name", "kind", "unit_kind", "founded_on", "records_since"
        ).iterator(chunk_size=5000):
            codes[path] = code
            day = elected.get(pk)
            yield [
                code,
                name,
                codes.get(path[:-step], ""),
                kinds.get(kind, kind),
                units.get(unit_kind, unit_kind),
                founded_on.isoformat() if founded_on else "",
                day.isoformat() if day else "",
                records_since.isoformat(),
            ]


def _labels(choices: Any) -> str:
    return "、".join(chinese_labels(choices).values())
