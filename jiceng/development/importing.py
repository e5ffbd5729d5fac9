"""``development.csv``: people already in the development pipeline, for ``jiceng import`` (jiceng.roster).

One row per person: the person's columns, then one column per step date in the order of the
regulations (the headers are listed in ``COLUMNS`` and documented in docs/import-format.md). Each row
is replayed through the rules of the pages, in date order (ties in the order of the regulations):
``development.rules.check_step`` judges every step against the file's timeline as it stands, so an
imported file obeys every hard rule of RULES.md §4; a step a rule refuses is an error naming the row,
the column, the value, the rule code and the rule's message, and the row's later steps are not judged.
While no error has been found, each good row is written through ``development.services`` (``apply``,
``update_person``, ``record_step``), which judge it again, audit it and, at the admitting meeting,
create the member record; ``--check`` and the rows after the first error are judged without writing.

Matching: by 公民身份号码 (its keyed digest). The person's file with the same 申请入党日期 is the same
file: steps it already holds (same step, same date, same evidence) are unchanged, later ones are
appended; a different date for a step recorded once, or a new step dated before the file's latest
step, is an error (the import never edits or inserts into a recorded history). Person columns that
differ update the file (``update_person``). An open file with another application date is an error;
a person whose files are all closed (withdrawn, not admitted, revoked) may start a new one.

Scope: the importing user must be allowed to change the branch of every row; a code outside their
subtrees is reported in the same words as an unknown one. The services record each step with the
importing user as its recorder; a console import without ``--actor`` is the system's own operation
(like the roster's): every organization is in reach and the change records name no user.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import crypto, dates, idnumber, scope
from jiceng.core.rulebook import RuleBook
from jiceng.members.models import Category, Education, Gender, Member
from jiceng.orgs.models import Organization, OrgKind
from jiceng.roster.formats import chinese_labels, choice_map, parse_date
from jiceng.roster.handlers.base import Column, Layout, TableHandler
from jiceng.roster.handlers.common import directory
from jiceng.roster.handlers.members import CATEGORY_ALIASES, EDUCATION_ALIASES, GENDER_ALIASES
from jiceng.roster.readers import Source

from . import rules, services
from .models import OPEN_STAGES, Development, Recommendation, StepKind

CHUNK = 200  # rows looked up together (files, members, mentors and sponsors)
MAX_COUNT = 100000
MAX_LENGTH = {"name": 50, "ethnicity": 20, "work_unit": 200, "phone": 20, "talker": 100}
LIST_SEPARATORS = re.compile(r"[;；、,，\n]+")
ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

RECOMMENDATION_ALIASES = {
    "党员推荐": "party_members",
    "推优": "mass_organization",
    "团组织推优": "mass_organization",
    "共青团推优": "mass_organization",
    "群团推优": "mass_organization",
}

# The person's columns (the Development fields ``services.apply`` takes).
PERSON_COLUMNS: tuple[Column, ...] = (
    Column("org_code", "组织编码", ("党组织编码", "党支部编码", "所在党支部编码"), required=True),
    Column("name", "姓名", required=True),
    Column("id_number", "公民身份号码", ("身份证号码", "身份证号", "公民身份证号码"), required=True),
    Column("gender", "性别", required=True),
    Column("ethnicity", "民族"),
    Column("birth_date", "出生日期"),
    Column("education", "学历", required=True),
    Column("category", "人员类别", required=True),
    Column("work_unit", "工作单位及职务", ("工作单位",)),
    Column("phone", "联系电话", ("手机号码", "联系方式")),
)

# The step columns, in the order of the regulations.
STEP_COLUMNS: tuple[Column, ...] = (
    Column("applied_on", "申请入党日期", ("入党申请日期", "提出入党申请日期"), required=True),
    Column("talk_on", "谈话日期"),
    Column("talker", "谈话人"),
    Column("activist_on", "确定积极分子日期", ("确定为入党积极分子日期", "确定入党积极分子日期")),
    Column("recommendation", "推荐方式"),
    Column("activist_filed_on", "备案日期", ("积极分子备案日期",)),
    Column("mentors", "培养联系人"),
    Column("mentors_on", "指定培养联系人日期"),
    Column("reviews", "考察日期", ("培养考察日期",)),
    Column("notice_on", "公示开始日期"),
    Column("notice_ends_on", "公示结束日期"),
    Column("candidate_on", "确定发展对象日期", ("确定为发展对象日期",)),
    Column("candidate_filed_on", "发展对象备案日期"),
    Column("sponsors", "入党介绍人"),
    Column("sponsors_on", "确定入党介绍人日期"),
    Column("political_review_on", "政治审查日期", ("政审日期",)),
    Column("training_on", "培训开始日期", ("集中培训开始日期",)),
    Column("training_ends_on", "培训结束日期", ("集中培训结束日期",)),
    Column("training_days", "培训天数"),
    Column("training_hours", "培训学时"),
    Column("pre_review_on", "预审日期", ("上级党委预审日期",)),
    Column("admission_on", "接收大会日期", ("支部大会讨论接收日期",)),
    Column("admission_voting", "应到人数", ("接收大会应到人数",)),
    Column("admission_present", "实到人数", ("接收大会实到人数",)),
    Column("admission_yes", "赞成票数", ("接收大会赞成票数",)),
    Column("not_admitted_on", "未通过接收日期"),
    Column("approval_on", "审批日期", ("接收审批日期",)),
    Column("oath_on", "入党宣誓日期", ("宣誓日期",)),
    Column("conversion_application_on", "转正申请日期"),
    Column("extension_on", "延长预备期日期"),
    Column("extension_months", "延长月数"),
    Column("conversion_on", "转正大会日期", ("支部大会讨论转正日期",)),
    Column("conversion_voting", "转正应到人数"),
    Column("conversion_present", "转正实到人数"),
    Column("conversion_yes", "转正赞成票数"),
    Column("conversion_approval_on", "转正审批日期"),
    Column("revocation_on", "取消预备党员资格日期"),
    Column("withdrawal_on", "终止培养日期"),
)

DATE_KEYS = frozenset(
    {"birth_date", "activist_filed_on", "notice_ends_on", "candidate_filed_on", "training_ends_on"}
    | {c.key for c in STEP_COLUMNS if c.key.endswith("_on")}
)
COUNT_KEYS = frozenset(
    {
        "training_days",
        "training_hours",
        "admission_voting",
        "admission_present",
        "admission_yes",
        "extension_months",
        "conversion_voting",
        "conversion_present",
        "conversion_yes",
    }
)


@dataclass(frozen=True)
class StepSpec:
    """How one kind of step is read from a row."""

    kind: str
    date: str  # the column of its date (of its dates, for ``many``)
    evidence: tuple[tuple[str, str], ...] = ()  # (evidence field of record_step, column)
    people: str = ""  # the column naming its people (mentors, sponsors)
    default_kind: str = ""  # blank date: the date of this step (the decision the people belong to)
    default_date: str = ""  # … as the row gives it
    many: bool = False  # several dates in the cell, one step each


STEPS: tuple[StepSpec, ...] = (
    StepSpec(StepKind.APPLICATION, "applied_on"),
    StepSpec(StepKind.TALK, "talk_on", (("person_name", "talker"),)),
    StepSpec(
        StepKind.ACTIVIST,
        "activist_on",
        (("recommendation", "recommendation"), ("filed_on", "activist_filed_on")),
    ),
    StepSpec(
        StepKind.MENTORS,
        "mentors_on",
        people="mentors",
        default_kind=StepKind.ACTIVIST,
        default_date="activist_on",
    ),
    StepSpec(StepKind.REVIEW, "reviews", many=True),
    StepSpec(StepKind.NOTICE, "notice_on", (("ends_on", "notice_ends_on"),)),
    StepSpec(StepKind.CANDIDATE, "candidate_on", (("filed_on", "candidate_filed_on"),)),
    StepSpec(
        StepKind.SPONSORS,
        "sponsors_on",
        people="sponsors",
        default_kind=StepKind.CANDIDATE,
        default_date="candidate_on",
    ),
    StepSpec(StepKind.POLITICAL_REVIEW, "political_review_on"),
    StepSpec(
        StepKind.TRAINING,
        "training_on",
        (("ends_on", "training_ends_on"), ("days", "training_days"), ("hours", "training_hours")),
    ),
    StepSpec(StepKind.PRE_REVIEW, "pre_review_on"),
    StepSpec(
        StepKind.ADMISSION,
        "admission_on",
        (
            ("voting_members", "admission_voting"),
            ("voters_present", "admission_present"),
            ("votes_yes", "admission_yes"),
        ),
    ),
    StepSpec(StepKind.NOT_ADMITTED, "not_admitted_on"),
    StepSpec(StepKind.APPROVAL, "approval_on"),
    StepSpec(StepKind.OATH, "oath_on"),
    StepSpec(StepKind.CONVERSION_APPLICATION, "conversion_application_on"),
    StepSpec(StepKind.EXTENSION, "extension_on", (("months", "extension_months"),)),
    StepSpec(
        StepKind.CONVERSION,
        "conversion_on",
        (
            ("voting_members", "conversion_voting"),
            ("voters_present", "conversion_present"),
            ("votes_yes", "conversion_yes"),
        ),
    ),
    StepSpec(StepKind.CONVERSION_APPROVAL, "conversion_approval_on"),
    StepSpec(StepKind.REVOCATION, "revocation_on"),
    StepSpec(StepKind.WITHDRAWAL, "withdrawal_on"),
)
ORDER = {spec.kind: i for i, spec in enumerate(STEPS)}
# Required evidence that no rule judges (record_step asks for it as plain input).
PLAIN_REQUIRED = frozenset({"person_name"})
UPDATABLE = ("name", "gender", "ethnicity", "education", "category", "work_unit", "phone")


@dataclass
class Planned:
    """One step a row gives: its date, its evidence, and where in the row each came from."""

    spec: StepSpec
    on: dt.date
    value: str  # the date as written (one of several, for 考察日期)
    date_given: bool = True  # False: the date of the decision the people belong to
    evidence: dict[str, Any] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)  # people, as written
    people: list[Member] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.spec.kind

    def column(self, name: str) -> str:
        """The column a refusal's field points at."""
        if name == "people" and self.spec.people:
            return self.spec.people
        for evidence, key in self.spec.evidence:
            if evidence == name:
                return key
        return self.spec.date if self.date_given or not self.spec.people else self.spec.people


@dataclass
class DevRow:
    row: int
    cells: dict[str, str]
    org_code: str = ""
    number: str = ""
    digest: str = ""
    person: dict[str, Any] = field(default_factory=dict)
    steps: list[Planned] = field(default_factory=list)
    ok: bool = True


class DevelopmentHandler(TableHandler):
    table = "development"
    title = gettext_lazy("发展党员")
    file_name = "development.csv"
    sheet_name = "发展党员"
    order = 60  # after the organizations and members it refers to, and the meetings
    columns: ClassVar[tuple[Column, ...]] = PERSON_COLUMNS + STEP_COLUMNS
    # More specific than the members table (公民身份号码 + 姓名 + 所在党组织编码), which may share aliases.
    signature = frozenset({"org_code", "id_number", "name", "applied_on"})

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.directory = directory(run)
        self.book = RuleBook()
        self.genders = choice_map(Gender, GENDER_ALIASES)
        self.educations = choice_map(Education, EDUCATION_ALIASES)
        self.categories = choice_map(Category, CATEGORY_ALIASES)
        self.recommendations = choice_map(Recommendation, RECOMMENDATION_ALIASES)
        self.first_row: dict[str, int] = {}  # digest → the row the person was first seen on
        self.orgs: dict[str, Organization] = {}

    # Reading ----------------------------------------------------------------------------------------

    def process(self, source: Source, layout: Layout) -> None:
        ix, headers = layout.index, layout.headers
        chunk: list[DevRow] = []
        for number, cells in source.rows():
            self.run.advance(1)
            row = DevRow(row=number, cells={k: cells[i] for k, i in ix.items()})
            self._parse(source, headers, row)
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self._settle(source, headers, chunk)
                chunk = []
        if chunk:
            self._settle(source, headers, chunk)

    def _err(
        self,
        source: Source,
        headers: dict[str, str],
        row: DevRow,
        key: str,
        value: Any,
        code: str,
        message: str,
    ) -> None:
        header = headers.get(key) or _header(key)
        self.run.error(source.display, row.row, header, value, code, message)
        row.ok = False

    def _parse(self, source: Source, headers: dict[str, str], row: DevRow) -> None:  # noqa: C901
        cell = row.cells

        def err(key: str, code: str, message: str, value: Any = None) -> None:
            self._err(source, headers, row, key, value, code, message)

        def label(key: str) -> str:
            return headers.get(key) or _header(key)

        # The person.
        row.org_code = cell.get("org_code", "")
        if not row.org_code:
            err("org_code", "required", _("组织编码不能为空"))
        person: dict[str, Any] = {}
        for key in ("name", "ethnicity", "work_unit", "phone"):
            if key not in cell:
                continue
            text = cell[key]
            if key == "name" and not text:
                err(key, "required", _("姓名不能为空"))
            elif key == "ethnicity" and not text:
                err(key, "required", _("民族不能为空（不填此列则为汉族）"))
            elif len(text) > MAX_LENGTH[key]:
                err(
                    key,
                    "too_long",
                    _("%(label)s不能超过%(n)d个字") % {"label": label(key), "n": MAX_LENGTH[key]},
                    text,
                )
            person[key] = text
        for key, choices, model in (
            ("gender", self.genders, Gender),
            ("education", self.educations, Education),
            ("category", self.categories, Category),
        ):
            text = cell.get(key, "")
            value = choices.get(text, "")
            if not text:
                err(key, "required", _("%(label)s不能为空") % {"label": label(key)})
            elif not value:
                labels = "、".join(chinese_labels(model).values())
                err(
                    key,
                    "choice_invalid",
                    _("%(label)s应为：%(choices)s") % {"label": label(key), "choices": labels},
                    text,
                )
            person[key] = value
        birth = None
        text = cell.get("birth_date", "")
        if text:
            try:
                birth = parse_date(text)
            except ValueError:
                err("birth_date", "date_invalid", _("日期格式不正确，应为YYYY-MM-DD"), text)
        text = cell.get("id_number", "")
        if not text:
            err("id_number", "required", _("公民身份号码不能为空"))
        else:
            try:
                row.number = idnumber.validate(text, birth_date=birth)
            except ValidationError as e:
                err("id_number", e.code or "id_invalid", e.messages[0], text)
            else:
                mismatch = idnumber.gender_mismatch(row.number, person.get("gender"))
                if mismatch is not None:
                    err("gender", mismatch.code, mismatch.messages[0], cell.get("gender", ""))
                row.digest = crypto.digest(row.number)
                person["birth_date"] = birth or idnumber.birth_date_of(row.number)
                first = self.first_row.setdefault(row.digest, row.row)
                if first != row.row:
                    err(
                        "id_number",
                        "id_duplicate_in_file",
                        _("与第%(row)d行是同一人：每人一行") % {"row": first},
                        text,
                    )
        row.person = person

        # The values of the step columns.
        values: dict[str, Any] = {}
        for key, text in cell.items():
            if not text:
                continue
            if key in DATE_KEYS and key != "birth_date":
                try:
                    day = parse_date(text)
                except ValueError:
                    err(key, "date_invalid", _("日期格式不正确，应为YYYY-MM-DD"), text)
                    continue
                if early := dates.date_problem(day, label=label(key), not_before=[dates.founded()]):
                    err(key, "date_too_early", early.messages[0], text)  # as development.services
                else:
                    values[key] = day
            elif key in COUNT_KEYS:
                number = _count(text)
                if number is None:
                    err(key, "number_invalid", _("%(label)s应为不小于0的整数") % {"label": label(key)}, text)
                else:
                    values[key] = number
            elif key == "recommendation":
                value = self.recommendations.get(text, "")
                if not value:
                    labels = "、".join(chinese_labels(Recommendation).values())
                    err(key, "choice_invalid", _("推荐方式应为：%(choices)s") % {"choices": labels}, text)
                else:
                    values[key] = value
            elif key == "talker":
                if len(text) > MAX_LENGTH["talker"]:
                    err(key, "too_long", _("谈话人不能超过%(n)d个字") % {"n": MAX_LENGTH["talker"]}, text)
                values[key] = text
        if not cell.get("applied_on"):
            err("applied_on", "required", _("申请入党日期不能为空"))

        # The steps.
        for spec in STEPS:
            given = [k for _f, k in spec.evidence if cell.get(k)] + (
                [spec.people] if cell.get(spec.people) else []
            )
            if spec.many:
                seen: set[dt.date] = set()
                for part in LIST_SEPARATORS.split(cell.get(spec.date, "")):
                    part = part.strip()
                    if not part:
                        continue
                    try:
                        day = parse_date(part)
                    except ValueError:
                        err(
                            spec.date,
                            "date_invalid",
                            _("日期格式不正确，应为YYYY-MM-DD；多个日期用分号分隔"),
                            part,
                        )
                        continue
                    if day not in seen:
                        seen.add(day)
                        row.steps.append(Planned(spec, day, part))
                continue
            on = values.get(spec.date)
            text = cell.get(spec.date, "")
            date_given = bool(text)
            if text and on is None:
                continue  # a bad date, already reported
            if not text and spec.people and cell.get(spec.people):
                on = values.get(spec.default_date)
                text = cell.get(spec.default_date, "")
                if cell.get(spec.default_date) and on is None:
                    continue
                if on is None:
                    # The decision may already be on the file: resolved in _judge.
                    on = dt.date.min
            if on is None:
                if given:
                    err(
                        spec.date,
                        "required",
                        _("填写了“%(other)s”，须填写“%(date)s”")
                        % {"other": label(given[0]), "date": label(spec.date)},
                    )
                continue
            planned = Planned(spec, on, text, date_given=date_given)
            for name, key in spec.evidence:
                if key in values:
                    planned.evidence[name] = values[key]
                elif name in PLAIN_REQUIRED and name in rules.STEP_FIELDS[spec.kind][0]:
                    err(key, "required", _("%(label)s不能为空") % {"label": label(key)})
            if spec.people:
                planned.tokens = [
                    t.strip() for t in LIST_SEPARATORS.split(cell.get(spec.people, "")) if t.strip()
                ]
                if not planned.tokens:
                    err(spec.people, "required", _("%(label)s不能为空") % {"label": label(spec.people)})
            row.steps.append(planned)

    # Checking against the database, and writing ------------------------------------------------------

    def _settle(self, source: Source, headers: dict[str, str], chunk: list[DevRow]) -> None:
        run, d = self.run, self.directory
        d.lookup([r.org_code for r in chunk if r.org_code])
        digests = [r.digest for r in chunk if r.digest]
        files: dict[str, list[Development]] = defaultdict(list)
        for f in Development.objects.filter(id_number_digest__in=digests).order_by("pk"):
            files[f.id_number_digest].append(f)
        members = {
            m.id_number_digest: m
            for m in Member.objects.filter(id_number_digest__in=digests).only(
                "pk", "closed_on", "id_number_digest"
            )
        }
        people = self._people_lookup(chunk)
        for r in chunk:
            ref = self._branch(source, headers, r)
            if not r.ok or ref is None:
                continue
            plan = self._judge(
                source, headers, r, ref, files.get(r.digest, []), members.get(r.digest), people
            )
            if plan is None or not r.ok:
                continue
            existing, new, changes = plan
            if existing is None:
                self.counts["created"] += 1
            elif new or changes:
                self.counts["updated"] += 1
            else:
                self.counts["unchanged"] += 1
                continue
            recorded = len(new) + (1 if existing is None else 0)
            if recorded:
                run.extra[str(_("记录发展环节"))] += recorded
            if run.writing:
                self._write(source, headers, r, ref, existing, new, changes)

    def _branch(self, source: Source, headers: dict[str, str], r: DevRow) -> Any:
        if not r.org_code:
            return None
        ref = self.directory.get(r.org_code)

        def err(code: str, message: str) -> None:
            self._err(source, headers, r, "org_code", r.org_code, code, message)

        if ref is None or (ref.in_db and not ref.visible):
            # The same words whether the code is unknown or lies outside the user's subtrees.
            err("org_unknown", _("组织编码%(code)s不存在，或不在您的管理范围内") % {"code": r.org_code})
        elif ref.kind != OrgKind.BRANCH:
            err("not_branch", _("发展党员由党支部进行；%(code)s不是党支部") % {"code": r.org_code})
        elif ref.in_db and not ref.changeable:
            err("not_allowed", _("您没有在该党支部记录发展党员的权限"))
        else:
            return ref
        return None

    def _people_lookup(self, chunk: list[DevRow]) -> dict[str, Any]:
        """Mentors and sponsors the chunk names: by identity number (digest), and by name per branch."""
        digests: set[str] = set()
        codes: set[str] = set()
        for r in chunk:
            for p in r.steps:
                for token in p.tokens:
                    number = idnumber.normalize(token)
                    if ID_SHAPE.match(number):
                        digests.add(crypto.digest(number))
                    else:
                        codes.add(r.org_code)
        by_digest: dict[str, Member] = {}
        if digests:
            qs = Member.objects.filter(id_number_digest__in=digests)
            if self.run.actor is not None:
                qs = qs.restrict(self.run.actor, scope.VIEW)
            by_digest = {m.id_number_digest: m for m in qs}
        by_name: dict[tuple[str, str], list[Member]] = defaultdict(list)
        org_ids = {ref.pk: code for code in codes if (ref := self.directory.by_code.get(code)) and ref.pk}
        if org_ids:
            for m in Member.objects.filter(org_id__in=org_ids, closed_on__isnull=True).order_by("pk"):
                by_name[(org_ids[m.org_id], m.name)].append(m)
        return {"digest": by_digest, "name": by_name}

    def _resolve(
        self, source: Source, headers: dict[str, str], r: DevRow, p: Planned, people: dict[str, Any]
    ) -> bool:
        found: list[Member] = []
        for token in p.tokens:
            number = idnumber.normalize(token)
            if ID_SHAPE.match(number):
                member = people["digest"].get(crypto.digest(number))
                if member is None:
                    self._err(
                        source,
                        headers,
                        r,
                        p.spec.people,
                        token,
                        "member_unknown",
                        _("找不到公民身份号码为%(id)s的党员，或不在您的管理范围内")
                        % {"id": idnumber.mask(number)},
                    )
                    return False
            else:
                named = people["name"].get((r.org_code, token), [])
                if len(named) != 1:
                    self._err(
                        source,
                        headers,
                        r,
                        p.spec.people,
                        token,
                        "member_unknown" if not named else "member_ambiguous",
                        _("本支部没有名为%(name)s的党员；其他党支部的党员请填写公民身份号码")
                        % {"name": token}
                        if not named
                        else _("本支部有%(n)d名党员名为%(name)s，请改填公民身份号码")
                        % {"n": len(named), "name": token},
                    )
                    return False
                member = named[0]
            found.append(member)
        p.people = found
        return True

    def _judge(  # noqa: C901
        self,
        source: Source,
        headers: dict[str, str],
        r: DevRow,
        ref: Any,
        files: list[Development],
        member: Member | None,
        people: dict[str, Any],
    ) -> tuple[Development | None, list[Planned], dict[str, Any]] | None:
        """Replay the row on the person's file: (the file or None for a new one, new steps, person changes)."""

        def err(key: str, value: Any, code: str, message: str) -> None:
            self._err(source, headers, r, key, value, code, message)

        applied = next((p for p in r.steps if p.kind == StepKind.APPLICATION), None)
        if applied is None:
            return None
        existing = next((f for f in reversed(files) if f.applied_on == applied.on), None)
        open_file = next((f for f in files if f.stage in OPEN_STAGES), None)
        if existing is None and open_file is not None:
            if open_file.org_id == ref.pk:
                err(
                    "applied_on",
                    applied.value,
                    "step_conflict",
                    _("此人在本支部已有正在进行的发展党员档案，申请入党日期为%(day)s，与表中不一致")
                    % {"day": open_file.applied_on.isoformat()},
                )
            else:
                self.run.probes.append(("development_open", r.digest, ref.path or ""))
                err(
                    "id_number",
                    r.cells.get("id_number"),
                    "development_open",
                    _("此人已有正在进行的发展党员档案"),
                )
            return None
        if existing is not None and existing.org_id != ref.pk:
            self.run.probes.append(("development_elsewhere", r.digest, ref.path or ""))
            err(
                "org_code",
                r.org_code,
                "development_elsewhere",
                _("此人的这份发展党员档案由其他党支部记录，不能在%(code)s导入") % {"code": r.org_code},
            )
            return None
        if existing is None and member is not None and member.closed_on is None:
            self.run.probes.append(("already_member", r.digest, ref.path or ""))
            err(
                "id_number", r.cells.get("id_number"), "already_member", _("此人已是党员，不能再提出入党申请")
            )
            return None

        # The person's details: a new file takes them; an existing one is updated where they differ.
        changes: dict[str, Any] = {}
        if existing is not None:
            for key in UPDATABLE:
                if key in r.person and r.person[key] != getattr(existing, key):
                    changes[key] = r.person[key]
            timeline = services.timeline_of(existing)
        else:
            timeline = rules.Timeline(r.person["birth_date"])
        today = self.run.today

        # Steps the file already holds, and the new ones.
        new: list[Planned] = []
        held = list(timeline.steps)
        last = held[-1].on if held else None
        for p in r.steps:
            if p.on == dt.date.min:  # mentors or sponsors without a date: their decision's, from the file
                decision = timeline.first(p.spec.default_kind)
                if decision is None:
                    err(
                        p.spec.date,
                        "",
                        "required",
                        _("填写了“%(other)s”，须填写“%(date)s”")
                        % {
                            "other": headers.get(p.spec.people) or _header(p.spec.people),
                            "date": _header(p.spec.default_date),
                        },
                    )
                    return None
                p.on, p.value = decision.on, decision.on.isoformat()
            if p.tokens and not self._resolve(source, headers, r, p, people):
                return None
        for p in sorted(r.steps, key=lambda p: (p.on, ORDER[p.kind])):
            same = [s for s in held if s.kind == p.kind and s.on == p.on]
            if not same and p.spec.people and not p.date_given:
                ids = sorted(m.pk for m in p.people)
                same = [s for s in held if s.kind == p.kind and sorted(x.member_id for x in s.people) == ids]
            if same:
                problem = _differs(same[0], p)
                if problem is not None:
                    key, value = problem
                    err(
                        key,
                        r.cells.get(key, value),
                        "step_conflict",
                        _("与系统中已记录的“%(step)s”（%(day)s）不一致；导入不修改已记录的环节")
                        % {"step": rules.kind_label(p.kind), "day": same[0].on.isoformat()},
                    )
                    return None
                continue
            if p.kind in rules.ONCE and timeline.of(p.kind):
                recorded = timeline.first(p.kind)
                err(
                    p.spec.date,
                    p.value,
                    "step_conflict",
                    _("系统中已记录“%(step)s”，日期为%(day)s；导入不修改已记录的环节")
                    % {"step": rules.kind_label(p.kind), "day": recorded.on.isoformat()},  # type: ignore[union-attr]
                )
                return None
            if last is not None and p.on < last:
                latest = held[-1]
                err(
                    p.column("on"),
                    p.value,
                    "step_before_recorded",
                    _("早于此人档案中最近记录的环节（%(step)s，%(day)s）；导入只能在已记录的环节之后追加")
                    % {"step": rules.kind_label(latest.kind), "day": latest.on.isoformat()},
                )
                return None
            facts = rules.StepFacts(
                kind=p.kind,
                on=p.on,
                people=tuple(services.person_of(m) for m in p.people),
                **p.evidence,
            )
            refusals = rules.check_step(timeline, facts, self.book.on, today)
            if refusals:
                for refusal in refusals:
                    key = p.column(refusal.field)
                    err(
                        key,
                        r.cells.get(key) if key != p.spec.date else p.value,
                        refusal.rule,
                        refusal.message,
                    )
                return None
            if p.kind == StepKind.ADMISSION and member is not None:
                self.run.probes.append(("id_duplicate", r.digest, ref.path or ""))
                err(
                    p.spec.date,
                    p.value,
                    "id_duplicate",
                    _("该公民身份号码已登记为党员，不能再接收为预备党员"),
                )
                return None
            timeline.steps.append(facts)
            if p.kind != StepKind.APPLICATION:
                new.append(p)
        return existing, new, changes

    def _write(
        self,
        source: Source,
        headers: dict[str, str],
        r: DevRow,
        ref: Any,
        existing: Development | None,
        new: list[Planned],
        changes: dict[str, Any],
    ) -> None:
        actor = self.run.actor
        current: Planned | None = None
        try:
            if existing is None:
                org = self._org(ref.code)
                development = services.apply(
                    actor=actor,  # type: ignore[arg-type]
                    org=org,
                    id_number=r.number,
                    on=next(p.on for p in r.steps if p.kind == StepKind.APPLICATION),
                    book=self.book,
                    **r.person,
                )
            else:
                development = existing
                if changes:
                    services.update_person(actor=actor, development=development, **changes)  # type: ignore[arg-type]
            for p in new:
                current = p
                services.record_step(
                    actor=actor,  # type: ignore[arg-type]
                    development=development,
                    kind=p.kind,
                    on=p.on,
                    people=p.people or None,
                    book=self.book,
                    **p.evidence,
                )
        except services.StepRefused as e:
            for refusal in e.refusals:
                key = current.column(refusal.field) if current else "applied_on"
                self._err(source, headers, r, key, r.cells.get(key), refusal.rule, refusal.message)
        except ValidationError as e:
            errors = e.error_dict if hasattr(e, "error_dict") else {"": e.error_list}
            for name, items in errors.items():
                key = _field_column(name, current)
                for item in items:
                    code = item.code or "invalid"
                    self._err(source, headers, r, key, r.cells.get(key), code, item.messages[0])
        except (PermissionDenied, Http404):
            self._err(
                source,
                headers,
                r,
                "org_code",
                r.org_code,
                "not_allowed",
                _("您没有在该党支部记录发展党员的权限"),
            )
        else:
            self.run.touched_paths.add(ref.path or development.org_path)

    def _org(self, code: str) -> Organization:
        if code not in self.orgs:
            self.orgs[code] = Organization.objects.get(code=code)
        return self.orgs[code]


def _differs(held: rules.StepFacts, p: Planned) -> tuple[str, Any] | None:
    """The first column in which a step of the row says something else than the recorded one."""
    for name, key in p.spec.evidence:
        if name in p.evidence and getattr(held, name) != p.evidence[name]:
            return key, p.evidence[name]
    if p.people and sorted(x.member_id for x in held.people) != sorted(m.pk for m in p.people):
        return p.spec.people, "；".join(p.tokens)
    return None


def _field_column(name: str, step: Planned | None) -> str:
    if step is not None and name not in PERSON_FIELD_COLUMNS:
        return step.column(name)
    return PERSON_FIELD_COLUMNS.get(name, "applied_on")


PERSON_FIELD_COLUMNS = {c.key: c.key for c in PERSON_COLUMNS} | {"org": "org_code"}
_HEADERS = {c.key: c.header for c in PERSON_COLUMNS + STEP_COLUMNS}


def _header(key: str) -> str:
    return _HEADERS.get(key, key)


def _count(text: str) -> int | None:
    """A whole number from 0 (a spreadsheet may give "12.0")."""
    text = (text or "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    value = int(text)
    return value if value <= MAX_COUNT else None


def register_handler() -> None:
    """Plug this handler into the roster importer (``jiceng import`` and the import page)."""
    from jiceng.roster.handlers.base import register

    register(DevelopmentHandler)
