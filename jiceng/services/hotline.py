"""12345 hotline work orders (工单): imported into the request queue by ``jiceng import`` (and the import
page), exported back with their results in the same shape.

Import columns (a CSV in UTF-8 or GB18030, or an .xlsx; header names as the hotline's systems write
them, a few aliases accepted; docs/services.md lists them)::

    工单编号,来电时间,诉求内容,诉求类别,地址,承办单位,办理时限[,组织编码][,来电人][,联系电话]

- idempotent by 工单编号: a work order already imported is left as it is (it may have moved on since);
- 承办单位 names the community: ``组织编码`` when the file has it, else the one organization of the
  importer's scope whose name, without its Party suffix (党支部, 党委 …), equals the unit's without its
  administrative one (居委会, 村委会 …): 和平社区居委会 → 和平社区党支部;
- 诉求类别 is matched to a category by name (``环境卫生``, ``垃圾清运`` or ``环境卫生/垃圾清运``); a
  hotline category with no match goes to 其他, with a notice;
- 来电时间 is when the request was received (the time limits count from it); 办理时限 is the hotline's
  own deadline, kept and shown beside the rules' ones.

All or nothing, as every ``jiceng import``: any wrong row (its row, column, value and a reason in
Chinese) and nothing is written. Writes go through ``services.submit_request`` (phone encrypted, the
route of the community applied, the change record written).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import scope
from jiceng.core.normalize import phone as normalize_phone
from jiceng.orgs.models import Organization
from jiceng.roster.formats import neutralize
from jiceng.roster.handlers.base import Column, Layout, TableHandler
from jiceng.roster.readers import Source

from .models import Category, Channel, EventKind, ServiceRequest

MAX_NO = 40
MAX_UNIT = 200
PARTY_SUFFIXES = ("党支部委员会", "党总支部委员会", "党委", "党工委", "党总支", "党支部", "党组")
UNIT_SUFFIXES = ("居民委员会", "村民委员会", "居委会", "村委会", "办事处", "社区服务站", "服务站")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
OTHER = "其他"


def base_name(name: str, suffixes: Iterable[str]) -> str:
    name = "".join((name or "").split())
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def parse_datetime(text: str) -> dt.datetime:
    """``2026-03-01 08:30[:00]`` (also with ``/``, or ``T``), or a day alone (its end, 23:59:59, for a
    deadline; the caller decides); local time. ValueError otherwise."""
    text = (text or "").strip().replace("/", "-")
    text = re.sub(r"\.\d+$", "", text)  # a spreadsheet's fraction of a second
    for fmt in DATETIME_FORMATS:
        try:
            value = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return timezone.make_aware(value, timezone.get_current_timezone())
    raise ValueError(text)


def _is_day(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}", (text or "").strip()))


@dataclass(slots=True)
class OrderRow:
    row: int
    no: str
    called_at: dt.datetime | None
    text: str
    category: Category | None
    address: str
    unit: str
    deadline: dt.datetime | None
    org: Organization | None
    name: str
    phone: str
    ok: bool = True


class HotlineHandler(TableHandler):
    """``12345.csv``: work orders of the city hotline, into the request queue."""

    table = "hotline_orders"
    title = gettext_lazy("12345工单")
    file_name = "12345.csv"
    sheet_name = "12345工单"
    order = 90  # after the organizations a file may create in the same run
    columns: ClassVar[tuple[Column, ...]] = (
        Column("no", "工单编号", ("工单号",), required=True),
        Column("called_at", "来电时间", ("受理时间", "派单时间"), required=True),
        Column("text", "诉求内容", ("来电内容", "问题描述"), required=True),
        Column("category", "诉求类别", ("问题分类", "诉求分类"), required=True),
        Column("address", "地址", ("诉求地址", "事发地址"), required=True),
        Column("unit", "承办单位", ("主办单位",), required=True),
        Column("deadline", "办理时限", ("处理时限", "办结时限"), required=True),
        Column("org_code", "组织编码", ("社区编码",)),
        Column("name", "来电人", ("来电人姓名", "市民姓名")),
        Column("phone", "联系电话", ("来电号码",)),
    )
    signature = frozenset({"no", "called_at", "text", "category", "unit"})

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.first_row: dict[str, int] = {}
        self.units: dict[tuple[str, str], Organization | str] = {}
        self.categories = _category_index()
        self.other = Category.objects.filter(name=OTHER, parent__isnull=True).first()
        self.unmatched = 0

    def process(self, source: Source, layout: Layout) -> None:
        from . import services

        ix, headers = layout.index, layout.headers
        rows = []
        for number, cells in source.rows():
            self.run.advance(1)
            cell = {
                c.key: (cells[ix[c.key]].strip() if c.key in ix and ix[c.key] < len(cells) else "")
                for c in self.columns
            }
            rows.append(self._parse(source, headers, number, cell))
        existing = dict(
            ServiceRequest.objects.filter(hotline_no__in=[r.no for r in rows if r.ok]).values_list(
                "hotline_no", "org_path"
            )
        )
        for r in rows:
            if not r.ok or r.no not in existing:
                continue
            r.ok = False
            if self.run.can(scope.VIEW, existing[r.no]):
                self.counts["unchanged"] += 1
            else:
                self._error(
                    source,
                    headers,
                    r.row,
                    "no",
                    r.no,
                    "exists",
                    _("工单编号%(no)s已由其他组织导入") % {"no": r.no},
                )
        for r in rows:
            if not (r.ok and self.run.writing):
                if r.ok:
                    self.counts["created"] += 1  # a check run counts what it would write
                continue
            try:
                services.submit_request(
                    actor=self.run.actor,
                    org=r.org,
                    category=r.category,
                    text=r.text,
                    address=r.address,
                    name=r.name,
                    phone=r.phone,
                    channel=Channel.HOTLINE,
                    hotline={"no": r.no, "deadline": r.deadline, "unit": r.unit},
                    received_at=r.called_at,
                )
            except ValidationError as error:
                self._error(source, headers, r.row, "text", r.text[:50], "refused", "；".join(error.messages))
                continue
            self.counts["created"] += 1
            self.run.touched_paths.add(r.org.path)

    def _error(
        self, source: Source, headers: dict[str, str], row: int, key: str, value: Any, code: str, message: str
    ) -> None:
        header = headers.get(key) or next(c.header for c in self.columns if c.key == key)
        self.run.error(source.display, row, header, value, code, message)

    def _parse(self, source: Source, headers: dict[str, str], number: int, cell: dict[str, str]) -> OrderRow:
        from .services import MAX_ADDRESS, MAX_NAME, MAX_TEXT

        row = OrderRow(
            row=number,
            no=cell["no"],
            called_at=None,
            text=cell["text"],
            category=None,
            address=cell["address"],
            unit=cell["unit"],
            deadline=None,
            org=None,
            name=cell["name"],
            phone=normalize_phone(cell["phone"]),
        )

        def err(key: str, code: str, message: str, value: Any = None) -> None:
            self._error(source, headers, number, key, value, code, message)
            row.ok = False

        if not row.no:
            err("no", "required", _("工单编号不能为空"))
        elif len(row.no) > MAX_NO:
            err("no", "too_long", _("工单编号不能超过%(n)d个字符") % {"n": MAX_NO}, row.no)
        elif (first := self.first_row.setdefault(row.no, number)) != number:
            err("no", "duplicate_row", _("与第%(row)d行的工单编号相同") % {"row": first}, row.no)
        now = timezone.now()
        text = cell["called_at"]
        if not text:
            err("called_at", "required", _("来电时间不能为空"))
        else:
            try:
                row.called_at = parse_datetime(text)
            except ValueError:
                err("called_at", "datetime_invalid", _("来电时间格式不正确，应为YYYY-MM-DD HH:MM"), text)
            else:
                if row.called_at > now + dt.timedelta(minutes=10):
                    err("called_at", "datetime_in_future", _("来电时间不能晚于现在"), text)
                elif row.called_at.year < 2000:
                    err("called_at", "datetime_too_early", _("来电时间不能早于2000年"), text)
        text = cell["deadline"]
        if text:
            try:
                row.deadline = parse_datetime(text)
            except ValueError:
                err(
                    "deadline",
                    "datetime_invalid",
                    _("办理时限格式不正确，应为YYYY-MM-DD HH:MM或YYYY-MM-DD"),
                    text,
                )
            else:
                if _is_day(text):
                    row.deadline += dt.timedelta(days=1, seconds=-1)
                if row.called_at and row.deadline < row.called_at:
                    err("deadline", "deadline_before_call", _("办理时限不能早于来电时间"), text)
        for key, label, limit in (
            ("text", _("诉求内容"), MAX_TEXT),
            ("address", _("地址"), MAX_ADDRESS),
            ("unit", _("承办单位"), MAX_UNIT),
        ):
            value = getattr(row, key)
            if not value:
                err(key, "required", _("%(label)s不能为空") % {"label": label})
            elif len(value) > limit:
                err(
                    key,
                    "too_long",
                    _("%(label)s不能超过%(n)d个字") % {"label": label, "n": limit},
                    value[:50],
                )
        if len(row.name) > MAX_NAME:
            err("name", "too_long", _("来电人不能超过%(n)d个字") % {"n": MAX_NAME}, row.name)
        if row.phone and not (row.phone.isascii() and row.phone.isdigit() and 7 <= len(row.phone) <= 15):
            err("phone", "phone_invalid", _("联系电话应为7至15位数字"), cell["phone"])
        row.category = self._category(cell["category"])
        if row.category is None:
            err("category", "category_unknown", _("诉求类别无法对应，且没有“其他”类别"), cell["category"])
        if row.unit or cell["org_code"]:
            found = self._org(cell["org_code"], row.unit)
            if isinstance(found, str):
                key = "org_code" if cell["org_code"] else "unit"
                err(key, "org_unknown", found, cell["org_code"] or row.unit)
            else:
                row.org = found
        return row

    def _category(self, text: str) -> Category | None:
        text = "".join((text or "").split()).replace("／", "/").replace("-", "/").replace("－", "/")
        found = self.categories.get(text) or self.categories.get(text.rsplit("/", 1)[-1])
        if found is None:
            self.unmatched += 1
            return self.other
        return found

    def _org(self, code: str, unit: str) -> Organization | str:
        """The community of the work order, or the reason it was not found."""
        from . import services

        key = (code, unit if not code else "")
        if key in self.units:
            return self.units[key]
        run = self.run
        if code:
            org = Organization.objects.filter(code=code).first()
            if org is None or not run.can(scope.VIEW, org.path):
                found: Organization | str = _("组织编码%(code)s不存在，或不在您的管理范围内") % {"code": code}
            else:
                found = org
        else:
            base = base_name(unit, UNIT_SUFFIXES)
            candidates = [
                o
                for o in Organization.objects.filter(name__startswith=base[:20]).order_by("path")[:200]
                if base_name(o.name, PARTY_SUFFIXES) == base and run.can(scope.VIEW, o.path)
            ]
            if len(candidates) == 1:
                found = candidates[0]
            elif candidates:
                found = _("承办单位%(unit)s对应多个党组织（%(names)s），请加一列“%(column)s”") % {
                    "unit": unit,
                    "column": "组织编码",
                    "names": "、".join(o.name for o in candidates[:5]),
                }
            else:
                found = _(
                    "承办单位%(unit)s找不到对应的党组织，或不在您的管理范围内；请加一列“%(column)s”"
                ) % {
                    "unit": unit,
                    "column": "组织编码",
                }
        if isinstance(found, Organization):
            if not run.can(scope.CHANGE, found.path):
                found = _("您没有为%(name)s登记群众诉求的权限") % {"name": found.name}
            elif not services.desk_open(found):
                found = _("%(name)s未开通群众诉求受理") % {"name": found.name}
        self.units[key] = found
        return found

    def finish(self) -> None:
        if self.unmatched:
            self.run.notice(
                _("%(n)d条工单的诉求类别在本系统中没有对应，已归入“其他”，可在办理时调整")
                % {"n": self.unmatched}
            )


def _category_index() -> dict[str, Category]:
    """Active categories by name and by "parent/name"; a name shared by two sub-categories is only
    found with its parent."""
    index: dict[str, Category] = {}
    shared: set[str] = set()
    for cat in Category.objects.filter(active=True).select_related("parent"):
        if cat.parent_id:
            index[f"{cat.parent.name}/{cat.name}"] = cat
            if cat.name in index and index[cat.name].pk != cat.pk:
                shared.add(cat.name)
            index.setdefault(cat.name, cat)
        else:
            index[cat.name] = cat
    for name in shared:
        if index[name].parent_id:
            del index[name]
    return index


def register_handler() -> None:
    from jiceng.roster.handlers.base import register

    register(HotlineHandler)


# Export: the same shape, with the results ------------------------------------------------------------

EXPORT_HEADERS = [
    "工单编号",
    "来电时间",
    "诉求内容",
    "诉求类别",
    "地址",
    "承办单位",
    "办理时限",
    "受理编号",
    "办理状态",
    "响应时间",
    "办结时间",
    "办理结果",
    "解决情况",
    "满意度",
]


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def export_rows(qs: Iterable[ServiceRequest]) -> Iterator[list[str]]:
    """The header, then one row per work order: the import's columns as imported, then the results
    (the answer the resident read last, their word and rating). Cells that a spreadsheet would take
    for a formula are quoted (``roster.formats.neutralize``; the import undoes it)."""
    from .models import Event

    yield list(EXPORT_HEADERS)
    batch: list[ServiceRequest] = []

    def flush() -> Iterator[list[str]]:
        answers: dict[int, str] = {}
        for e in (
            Event.objects.filter(request__in=[r.pk for r in batch], kind=EventKind.ANSWERED)
            .order_by("request_id", "at", "id")
            .values("request_id", "public_text")
        ):
            answers[e["request_id"]] = e["public_text"]
        for r in batch:
            yield [
                neutralize(v)
                for v in (
                    r.hotline_no,
                    _when(r.received_at),
                    r.text,
                    str(r.category),
                    r.address,
                    r.hotline_unit or r.org.name,
                    _when(r.hotline_deadline),
                    r.code,
                    r.state.name,
                    _when(r.responded_at),
                    _when(r.answered_at),
                    answers.get(r.pk, ""),
                    r.get_resolution_display() if r.resolution else "",
                    str(r.satisfaction or ""),
                )
            ]

    for req in qs:
        batch.append(req)
        if len(batch) >= 500:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def hotline_requests(user: Any) -> Any:
    """The work orders from the hotline that ``user`` sees (``None``: all, for the console)."""
    qs = ServiceRequest.objects.all() if user is None else ServiceRequest.objects.restrict(user)
    return (
        qs.exclude(hotline_no="")
        .select_related("org", "category", "category__parent", "state")
        .order_by("received_at", "id")
    )
