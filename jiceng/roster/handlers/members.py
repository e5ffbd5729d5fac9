"""``members.csv``: the roster, matched by 公民身份号码 (through its keyed digest), into branches by code.

Each row is validated as it is read (``members.rules.check_record`` for the identity number, the
dates and the status; enumerations; lengths; the branch and the user's scope) and written in batches
of ``BATCH`` rows: new members with their membership record (reason "imported"), and one change
record per branch listing the members created in it; changed ones updated with the before and after
of what changed; the rest counted as unchanged. A large file is read and checked in a second process
while this one writes (``..parallel``). A first load into an empty roster (member, membership and
committee-post tables) makes their indexes and constraints after the load (``..writer.BulkLoad``);
on PostgreSQL its rows come prepared in COPY's binary format from the reading process
(``_prepared_reader``, ``_batch_prepared``), and the indexes are made in the background while the
tallies are worked out.

A member already registered in another branch is moved (组织关系转接, recorded as such) only when
the files name that branch too, so that the move is what the files say; otherwise it is an error,
which names the other branch only if the user may see it.

党内职务 gives posts in the branch's current committee (after this import's elections). A branch
without a committee keeps only its secretary (``Organization.secretary``); its other posts have no
place in the model, and the import says so in a notice. 任职日期 is that secretary's start
(``secretary_since``); without it a new secretary counts from the branch's 记录起始日期 (not before
joining), or from the import's day when they take over from another recorded secretary. A committee's
posts run from its election (or appointment) day: a 任职日期 given for one is not stored (a notice).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import struct
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring as _quote
from operator import itemgetter
from typing import Any, ClassVar

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import crypto, idnumber
from jiceng.core.models import ObjectChange, User
from jiceng.members import rules as member_rules
from jiceng.members.models import RECORD_FIELDS, Category, Education, Gender, Member, Membership, Status
from jiceng.orgs import tallies
from jiceng.orgs.models import Committee, CommitteePost, Organization, OrgKind, Post

from .. import parallel
from ..formats import chinese_labels, choice_map, parse_date
from ..pinyin import keys as pinyin_keys
from ..readers import Source
from ..writer import BinaryRows, BulkLoad
from .base import Column, Layout, TableHandler
from .common import OrgRef, directory

BATCH = 5000
# A first load of at least this many rows into an empty roster builds the indexes after the load.
BULK_LOAD_MIN_ROWS = BATCH


class _Missing:
    """The column is absent: keep what the record holds. One object, still that one through pickle."""

    def __reduce__(self) -> str:
        return "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# The member fields a row carries, in the order rows and database tuples hold them.
FIELDS = RECORD_FIELDS
POS = {name: i for i, name in enumerate(FIELDS)}
N_FIELDS = len(FIELDS)
DATE_POSITIONS = frozenset(POS[k] for k in ("birth_date", "joined_on", "full_member_on"))
_fromordinal = dt.date.fromordinal
TALLIED = ("status", "category", "education", "gender", "birth_date")
MAX_LENGTH = {
    "name": 50,
    "ethnicity": 20,
    "degree": 20,
    "work_unit": 200,
    "job_post": 100,
    "phone": 20,
    "household_registration": 200,
    "residence": 200,
}
DEFAULTS = {
    "ethnicity": Member._meta.get_field("ethnicity").default,
    "degree": "",
    "standing_correction": 0,
    "work_unit": "",
    "job_post": "",
    "phone": "",
    "household_registration": "",
    "residence": "",
}

GENDER_ALIASES = {"男性": "male", "女性": "female"}
EDUCATION_ALIASES = {
    "博士研究生": "postgraduate",
    "硕士研究生": "postgraduate",
    "研究生及以上": "postgraduate",
    "本科": "bachelor",
    "大学": "bachelor",
    "大专": "college",
    "专科": "college",
    "中专": "secondary_vocational",
    "中技": "secondary_vocational",
    "初中": "junior_or_below",
    "小学": "junior_or_below",
    "小学及以下": "junior_or_below",
}
CATEGORY_ALIASES = {
    "离退休": "retired",
    "退休人员": "retired",
    "离休人员": "retired",
    "农民": "farmer",
    "在职职工": "employed",
}
STATUS_ALIASES = {"正式": "full", "预备": "probationary"}
POST_ALIASES = {
    "支部书记": "secretary",
    "党支部书记": "secretary",
    "支部副书记": "deputy_secretary",
    "党支部副书记": "deputy_secretary",
    "纪律检查委员": "discipline_member",
    "支部委员": "committee_member",
}


class _TallyKeys(dict):
    """``orgs.tallies``' keys of one dimension by value ("status" → {"full": "status:full"}), made once."""

    def __init__(self, dimension: str) -> None:
        super().__init__()
        self.dimension = dimension

    def __missing__(self, value: Any) -> str:
        key = self[value] = f"{self.dimension}:{value}"
        return key


@dataclass(slots=True)
class MemberRow:
    file: str
    row: int
    values: list[Any]  # in FIELDS order; a new member's default where the file has no such column
    id_number: str
    org_code: str
    post: Any  # a Post value, "" for none, or MISSING (no 党内职务 column)
    post_since: dt.date | None = None  # 任职日期 (None: blank, or no column)
    digest: str = ""
    # Worked out ahead by the reading process (``parallel``); otherwise when the member is created.
    cipher: str = ""
    masked: str = ""
    pinyin: str = ""
    initials: str = ""

    def flat(self) -> tuple:
        """One flat tuple of plain values, dates as ordinals: what pickles fastest (a third of the
        time of the row object), for the trip from the reading process (the file goes without)."""
        v = self.values.copy()
        for i in DATE_POSITIONS:
            x = v[i]
            if type(x) is dt.date:
                v[i] = x.toordinal()
        return (self.row, *v, self.id_number, self.org_code, self.post, self.post_since, self.digest, self.cipher,
                self.masked, self.pinyin, self.initials)  # fmt: skip

    @classmethod
    def from_flat(cls, file: str, t: tuple) -> MemberRow:
        values = list(t[1 : N_FIELDS + 1])
        for i in DATE_POSITIONS:
            x = values[i]
            if type(x) is int:
                values[i] = _fromordinal(x)
        return cls(file, t[0], values, *t[N_FIELDS + 1 :])


@dataclass(slots=True)
class PostRow:
    """A row that sets a post, kept to the end of the import (see ``_slim``)."""

    file: str
    row: int
    name: str
    org_code: str
    post: Any
    post_since: dt.date | None = None

    @property
    def values(self) -> tuple[str]:
        return (self.name,)


class MembersHandler(TableHandler):
    table = "members"
    title = gettext_lazy("党员")
    file_name = "members.csv"
    sheet_name = "党员花名册"
    order = 20
    exportable = True
    columns: ClassVar[tuple[Column, ...]] = (
        Column("name", "姓名", required=True),
        Column("gender", "性别", required=True),
        Column("ethnicity", "民族"),
        Column("id_number", "公民身份号码", ("身份证号码", "身份证号", "公民身份证号码"), required=True),
        Column("birth_date", "出生日期"),
        Column("education", "学历", required=True),
        Column("category", "人员类别", required=True),
        Column("status", "党员状态", ("党员类型",), required=True),
        Column("joined_on", "入党日期", ("加入党组织日期", "入党时间"), required=True),
        Column("full_member_on", "转正日期", ("转为正式党员日期", "转正时间"), required=True),
        Column("org_code", "所在党组织编码", ("党组织编码", "所在党支部编码"), required=True),
        Column("post", "党内职务"),
        Column("post_since", "任职日期", ("党内职务任职日期", "书记任职日期")),
        Column("work_unit", "工作单位及职务", ("工作单位",)),
        Column("phone", "联系电话", ("手机号码", "联系方式")),
        # Columns of the national member information system's exchange format that the model holds.
        Column("degree", "学位"),
        Column("job_post", "工作岗位"),
        Column("household_registration", "户籍所在地"),
        Column("residence", "现居住地", ("家庭住址",)),
        Column("standing_correction", "党龄校正值"),
    )
    signature = frozenset({"id_number", "name", "org_code"})
    reads_ahead = True

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.directory = directory(run)
        self.genders = choice_map(Gender, GENDER_ALIASES)
        self.educations = choice_map(Education, EDUCATION_ALIASES)
        self.categories = choice_map(Category, CATEGORY_ALIASES)
        self.statuses = choice_map(Status, STATUS_ALIASES)
        self.posts = choice_map(Post, POST_ALIASES)
        # Identity numbers seen, as ints (a million in ~70 MB), and where: for duplicates in the files.
        self.seen: set[int] = set()
        self.seen_keys = array("q")
        self.seen_rows = array("i")
        self.secretary_row: dict[str, tuple[str, int]] = {}  # branch code → (file, row) of its secretary
        self.moves: list[tuple[MemberRow, tuple]] = []  # members the files place in another branch
        self.post_changes: list[
            tuple[PostRow, int | None, tuple | None]
        ] = []  # (row, member pk, current post)
        # The same for created members, kept compact (a province has 200,000 posts): see _keep_posts;
        # per branch group (file, code, first key or None, positions, rows, names, posts).
        self.prepared_posts: list[tuple] = []
        self.listed_posts: set[int] = set()  # members in the files who hold a post now
        self.posts_without_committee: Counter[str] = Counter()
        self.since_not_stored = 0  # 任职日期 given for a committee post (not stored: see the docstring)
        # ``orgs.tallies``' keys ("status:full"), one string object per key for the whole run.
        self._tally_keys = {
            d: _TallyKeys(d) for d in ("status", "category", "education", "gender", "birth_year")
        }
        # Per file, the positions of the member fields it has no column for: a new member gets the
        # default there (already in the row), an existing one keeps what the record holds.
        self.missing_by_file: dict[str, tuple[int, ...]] = {}
        self.headers_by_file: dict[str, dict[str, str]] = {}
        self.ct_member = run.content_type_id(Member)
        self.ct_post = run.content_type_id(CommitteePost)
        # Members created by this import, by branch path, not yet in a change record (see _flush_created).
        self.created_pending: dict[str, tuple[OrgRef, list[str]]] = {}  # entries as JSON text
        # Decided before a reading process is forked (PostgreSQL), else at the first batch written.
        self.bulk: BulkLoad | None = None
        self._seen_stale = False  # seen_keys has numbers that seen lacks (read by a child process)
        self._early: parallel.Reader | None = None  # the first source's reading process, forked early
        # Branch pk → its fields in a member and a membership row, binary (see _batch_prepared).
        self._heads: dict[int, tuple[bytes, bytes]] = {}

    # Reading ---------------------------------------------------------------------------------------

    def process(self, source: Source, layout: Layout) -> None:
        run = self.run
        self.headers_by_file[source.display] = layout.headers
        if self._seen_stale:  # a child read the previous source: its identity numbers, as a set
            self.seen.update(self.seen_keys)
            self._seen_stale = False
        if parallel.available(source):
            self._process_in_child(source, layout)
            return
        batch: list[MemberRow] = []
        parse = self._parser(source, layout)
        n = 0
        for number, cells in source.rows():
            m = parse(number, cells)
            if m is not None:
                batch.append(m)
            n += 1
            if len(batch) >= BATCH:
                self._batch(batch)
                batch = []
            if n >= 1000:
                run.advance(n)
                n = 0
        if batch:
            self._batch(batch)
        run.advance(n)

    def prepare(self, source: Source, layout: Layout) -> None:
        """Fork the reading process of the first large members source now, before the organizations
        are written: it inherits less of this process, and reads while they are written."""
        if self._early is None and parallel.available(source):
            self._bulk_before_reading()
            self._early = self._reader(source, layout).start()

    def _bulk_before_reading(self) -> None:
        """On PostgreSQL, start the bulk load (if the roster is empty) before a reading process is
        forked, so that it knows to prepare the rows for it (``_prepared_reader``)."""
        if self.bulk is None and self.run.writing and connection.vendor == "postgresql":
            self.bulk = BulkLoad([Member, Membership, CommitteePost])
            self.bulk.start_if_empty()

    @property
    def _prepared(self) -> bool:
        """A reading process prepares the rows for ``_batch_prepared`` (bulk load on PostgreSQL)."""
        return connection.vendor == "postgresql" and self.bulk is not None and self.bulk.active

    def release(self) -> None:
        if self._early is not None:
            self._early.close()

    def _reader(self, source: Source, layout: Layout) -> parallel.Reader:
        """The reading process of ``source`` (not started): reads, checks and prepares member rows."""
        problems: list[tuple] = []
        parse = self._parser(source, layout, error=lambda *problem: problems.append(problem))
        # What the child hands back at the end: the identity numbers and secretaries it saw, for
        # the duplicates across files; nothing after the last file (a million numbers, copied twice).
        last = not self.sources or source is self.sources[-1]
        state = (lambda: None) if last else self._reader_state
        if self._prepared:
            return parallel.Reader(source, self._prepared_reader(parse), problems, state)
        digest, encrypt, mask = crypto.digest, crypto.encrypt, idnumber.mask

        def read_batch(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[tuple]] | None:
            batch, n = [], 0
            for number, cells in rows:
                n += 1
                m = parse(number, cells)
                if m is not None:
                    number_id = m.id_number
                    m.digest, m.cipher, m.masked = digest(number_id), encrypt(number_id), mask(number_id)
                    m.pinyin, m.initials = pinyin_keys(m.values[0])
                    batch.append(m.flat())
                if n >= BATCH:  # rows read, good or bad: a file of bad rows is sent in pieces too
                    break
            return (n, batch) if n else None

        return parallel.Reader(source, read_batch, problems, state)

    def _reader_state(self) -> tuple:
        """What the reading process hands back at the end (for duplicates across files)."""
        return self.seen_keys, self.seen_rows, self.secretary_row

    def _prepared_reader(self, parse: Any) -> Any:
        """``read_batch`` of a reading process loading into an empty roster (``BulkLoad``).

        Nobody exists yet, so every good row is a new member, and what the importing process would
        make of it can be made here, where the second core is: the member row in binary COPY
        format but for its key and branch (which only the importing process knows), its entry in
        the branch's change record but for the key, and the branch's tallies. Rows come grouped
        by branch code, each group as (code, row numbers, rows, entries, posts, tallies); the
        importing process then does little more per row than join bytes (``_batch_prepared``).
        """
        tail = BinaryRows(Member, self.TAIL_COLUMNS).fields
        digest_many, encrypt_many, mask = crypto.digest_many, crypto.encrypt_many, idnumber.mask
        now = self.run.writer.now
        k_status, k_category, k_education, k_gender, k_year = self._tally_keys.values()
        tallied = [(POS[f], keys) for f, keys in (("status", k_status), ("category", k_category),
                   ("education", k_education), ("gender", k_gender))]  # fmt: skip

        def read_batch(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[tuple]] | None:
            good, n = [], 0
            for number, cells in rows:
                n += 1
                m = parse(number, cells)
                if m is not None:
                    good.append(m)
                if n >= BATCH:  # rows read, good or bad (their problems travel with the batch)
                    break
            if not n:
                return None
            numbers = [m.id_number for m in good]
            groups: list[tuple] = []
            code = None
            for m, digest, cipher in zip(good, digest_many(numbers), encrypt_many(numbers), strict=True):
                name = m.values[0]
                if m.org_code != code:
                    code = m.org_code
                    row_numbers, tails, entries, posts, values = array("i"), [], [], [], []
                    groups.append((code, row_numbers, tails, entries, posts, values))
                values.append(m.values)
                if m.post is not MISSING and m.post:
                    posts.append((len(tails), m.row, name, m.post, m.post_since))
                masked = mask(m.id_number)
                full_pinyin, initials = pinyin_keys(name)
                row_numbers.append(m.row)
                tails.append(
                    tail(_new_member_values(m.values, full_pinyin, initials, cipher, digest, masked, now))
                )
                entries.append(f',"name":{_quote(name)},"id_number_masked":{_quote(masked)}}}')
            # Each group's tallies, counted a column at a time (in C) from its rows' values.
            for i, (*group, values) in enumerate(groups):
                tally = Counter()
                for pos, keys in tallied:
                    tally.update(map(keys.__getitem__, map(itemgetter(pos), values)))
                tally.update(map(k_year.__getitem__, [v[3].year for v in values]))
                groups[i] = (*group, tally)
            return n, groups

        return read_batch

    def _process_in_child(self, source: Source, layout: Layout) -> None:
        """``process`` with the reading, checking and preparing in a child process (``parallel``)."""
        run = self.run
        if self._early is not None and self._early.source is source:
            reader = self._early  # forked by ``prepare``
        else:
            self._bulk_before_reading()
            reader = self._reader(source, layout)
        prepared = self._prepared
        for n, fraction, items, found, final in reader.batches():
            for problem in found:
                run.error(*problem)
            if items:
                display = source.display
                if prepared:
                    self._batch_prepared(display, items)
                else:
                    self._batch([MemberRow.from_flat(display, t) for t in items])
            source._fraction = lambda fraction=fraction: fraction
            run.advance(n)
            if final is not None:
                self.seen_keys, self.seen_rows, self.secretary_row = final
                self.seen = set()
                self._seen_stale = True

    def _parser(self, source: Source, layout: Layout, error: Any = None) -> Any:  # noqa: C901 (one flat function: this is the hot loop)
        """A function (row number, cells) → MemberRow or None, with the layout bound in locals.

        Problems go to ``error`` (``run.error``'s arguments), by default ``run.error``."""
        run = self.run
        ix = layout.index
        hdr = layout.headers
        display = source.display
        today = run.today
        error = error or run.error
        genders, educations, categories, statuses, posts = (
            self.genders,
            self.educations,
            self.categories,
            self.statuses,
            self.posts,
        )
        seen, seen_keys, seen_rows = self.seen, self.seen_keys, self.seen_rows
        secretary_row = self.secretary_row
        check_record = member_rules.check_record
        fromiso = dt.date.fromisoformat
        normalize = idnumber.normalize
        birth_of = idnumber.birth_date_of
        i_name, i_gender, i_id, i_edu, i_cat, i_status, i_joined, i_org = (
            ix["name"],
            ix["gender"],
            ix["id_number"],
            ix["education"],
            ix["category"],
            ix["status"],
            ix["joined_on"],
            ix["org_code"],
        )
        optional_text = [
            (POS[k], ix[k], MAX_LENGTH[k])
            for k in (
                "ethnicity",
                "degree",
                "work_unit",
                "job_post",
                "phone",
                "household_registration",
                "residence",
            )
            if k in ix
        ]
        i_full = ix["full_member_on"]
        i_birth, i_post, i_corr = (ix.get(k) for k in ("birth_date", "post", "standing_correction"))
        i_since = ix.get("post_since")
        # Filled below; where the file has no column, the default of a new member (``_fill_from``
        # puts an existing member's own value there).
        template = [MISSING] * len(FIELDS)
        for name, default in DEFAULTS.items():
            if name not in ix:
                template[POS[name]] = default
        self.missing_by_file[display] = tuple(POS[name] for name in DEFAULTS if name not in ix)
        cell_of = {
            "id_number": i_id,
            "gender": i_gender,
            "birth_date": i_birth,
            "joined_on": i_joined,
            "full_member_on": i_full,
        }
        joined_label, full_label, birth_label = _("入党日期"), _("转正日期"), _("出生日期")
        since_label = _("任职日期")
        labels = {
            "gender": _choices_text(Gender),
            "education": _choices_text(Education),
            "category": _choices_text(Category),
            "status": _choices_text(Status),
            "post": _choices_text(Post),
        }

        def parse(number: int, cells: list[str]) -> MemberRow | None:
            ok = True

            def err(key: str, code: str, message: str, value: Any = "") -> None:
                nonlocal ok
                ok = False
                error(display, number, hdr.get(key, key), value, code, message, cells[i_name])

            values = template.copy()
            name = cells[i_name]
            if not name:
                err("name", "required", _("姓名不能为空"))
            elif len(name) > 50:
                err("name", "too_long", _("姓名最长50字"), name)
            values[0] = name
            text = cells[i_gender]
            value = genders.get(text)
            if value is None:
                _choice_error(err, "gender", text, _("性别"), labels["gender"])
            values[1] = value
            for pos, i, limit in optional_text:
                text = cells[i]
                if len(text) > limit:
                    err(FIELDS[pos], "too_long", _("最长%(n)d字") % {"n": limit}, text)
                values[pos] = text
            if "ethnicity" in ix and not values[2]:
                err("ethnicity", "required", _("民族不能为空"))
            text = cells[i_edu]
            value = educations.get(text)
            if value is None:
                _choice_error(err, "education", text, _("学历"), labels["education"])
            values[4] = value
            text = cells[i_cat]
            value = categories.get(text)
            if value is None:
                _choice_error(err, "category", text, _("人员类别"), labels["category"])
            values[6] = value
            text = cells[i_status]
            status = statuses.get(text)
            if status is None:
                _choice_error(err, "status", text, _("党员状态"), labels["status"])
            values[7] = status
            # ISO dates (what exports and the generator write) straight; anything else through _date.
            text = cells[i_joined]
            try:
                joined = fromiso(text)
            except ValueError:
                joined = _date(text, "joined_on", joined_label, err, required=True)
            values[8] = joined
            text = cells[i_full]
            try:
                full = fromiso(text)
            except ValueError:
                full = _date(text, "full_member_on", full_label, err)
            values[9] = full
            if i_corr is not None:
                text = cells[i_corr]
                try:
                    correction = int(text) if text else 0
                    if not -80 <= correction <= 80:
                        raise ValueError
                except ValueError:
                    err(
                        "standing_correction",
                        "number_invalid",
                        _("党龄校正值应为-80至80之间的整数（年）"),
                        text,
                    )
                    correction = 0
                values[10] = correction
            raw_id = cells[i_id]
            number_id = normalize(raw_id)
            birth = None
            if i_birth is not None and cells[i_birth]:
                text = cells[i_birth]
                try:
                    birth = fromiso(text)
                except ValueError:
                    birth = _date(text, "birth_date", birth_label, err)
            elif len(number_id) == 18:
                birth = birth_of(number_id)
            values[3] = birth
            if not number_id:
                err("id_number", "required", _("公民身份号码不能为空"))
            for p in check_record(
                id_number=number_id or None,
                gender=values[1],
                birth_date=birth,
                status=status,
                joined_on=joined,
                full_member_on=full,
                today=today,
            ):
                i = cell_of.get(p.field)
                err(p.field, p.code, p.message, cells[i] if i is not None else "")
            code = cells[i_org]
            if not code:
                err("org_code", "required", _("所在党组织编码不能为空"))
            post: Any = MISSING
            if i_post is not None:
                text = cells[i_post]
                post = posts.get(text, None) if text else ""
                if post is None:
                    err(
                        "post",
                        "choice_invalid",
                        _("党内职务应为：%(choices)s") % {"choices": labels["post"]},
                        text,
                    )
                    post = ""
                elif post and status == "probationary":
                    err("post", "post_probationary", _("预备党员不能担任委员会职务"), text)
                elif post == "secretary" and code:
                    first = secretary_row.get(code)
                    if first is not None:
                        err(
                            "post",
                            "two_secretaries",
                            _("同一党支部只能有一名书记（第%(row)d行已是书记）") % {"row": first[1]},
                            text,
                        )
                    else:
                        secretary_row[code] = (display, number)
            since = None
            if i_since is not None and cells[i_since]:
                text = cells[i_since]
                since = _date(text, "post_since", since_label, err)
                if since is None:
                    pass
                elif since > today:
                    err("post_since", "date_in_future", _("任职日期不能晚于今天"), text)
                elif joined is not None and since < joined:
                    err(
                        "post_since",
                        "post_since_before_joined",
                        _("任职日期不能早于入党日期%(day)s") % {"day": joined.isoformat()},
                        text,
                    )
                elif not post:
                    err("post_since", "post_since_without_post", _("填写了任职日期，但没有党内职务"), text)
            if len(number_id) == 18 and number_id[:17].isdigit() and number_id[17] in "0123456789X":
                key = int(number_id[:17]) * 11 + "0123456789X".index(number_id[17])
                if key in seen:
                    first_row = seen_rows[seen_keys.index(key)]  # rare: a scan in C is fine
                    err(
                        "id_number",
                        "id_duplicate_in_file",
                        _("公民身份号码在导入文件中重复（第%(row)d行已出现）") % {"row": first_row},
                        raw_id,
                    )
                else:
                    seen.add(key)
                    seen_keys.append(key)
                    seen_rows.append(number)
            if not ok:
                return None
            return MemberRow(display, number, values, number_id, code, post, since)

        return parse

    # A batch: branches, existing records, then writes ----------------------------------------------

    def _batch(self, batch: list[MemberRow]) -> None:
        run = self.run
        d = self.directory
        d.lookup({m.org_code for m in batch})
        good: list[tuple[MemberRow, OrgRef]] = []
        for m in batch:
            ref = d.by_code.get(m.org_code)
            if ref is None or (ref.in_db and not ref.visible):
                self._err(
                    m,
                    "org_code",
                    "org_unknown",
                    _("所在党组织编码%(code)s不存在，或不在您的管理范围内") % {"code": m.org_code},
                    m.org_code,
                )
                continue
            if ref.kind != OrgKind.BRANCH:
                self._err(
                    m,
                    "org_code",
                    "not_branch",
                    _("党员只能编入党支部，%(code)s不是党支部") % {"code": m.org_code},
                    m.org_code,
                )
                continue
            d.named.add(m.org_code)
            if not ref.valid:
                continue  # its row in the organizations file is wrong, and reported there
            good.append((m, ref))
        digest = crypto.digest
        for m, _ref in good:
            if not m.digest:
                m.digest = digest(m.id_number)
        if run.writing and self.bulk is None:
            self.bulk = BulkLoad([Member, Membership, CommitteePost])
            if len(batch) >= BULK_LOAD_MIN_ROWS:
                self.bulk.start_if_empty()
        # Loading into an empty roster: nobody exists yet, and the files' duplicates are refused
        # as they are read, so there is nothing to look up (nor an index to look it up by).
        existing = (
            {}
            if self.bulk is not None and self.bulk.active
            else self._existing([m.digest for m, _ref in good])
        )
        current_posts = self._current_posts([e[0] for e in existing.values()])
        create: list[tuple[MemberRow, OrgRef]] = []
        update: list[tuple[MemberRow, OrgRef, tuple, dict[str, Any]]] = []
        for m, ref in good:
            found = existing.get(m.digest)
            if found is None:
                if ref.in_db and not ref.changeable:
                    self._err(m, "org_code", "not_allowed", _("您没有在该党支部登记党员的权限"), m.org_code)
                    continue
                create.append((m, ref))  # a post of theirs is queued once they have a pk
                continue
            pk, org_id, closed_on = found[0], found[1], found[3]
            post_now = current_posts.get(pk)
            if post_now is not None:
                self.listed_posts.add(pk)
            if closed_on is not None:
                self.run.probes.append(("member_closed", m.digest, ref.path or ""))
                self._err(
                    m,
                    "id_number",
                    "member_closed",
                    _("该党员的党籍已于%(day)s终止，不能导入") % {"day": closed_on.isoformat()},
                    m.id_number,
                )
                continue
            if org_id != ref.pk:
                self.moves.append((m, found))
                continue
            self._fill_from(m, found)
            changes = self._changes(m, found)
            if changes and not ref.changeable:
                self._err(m, "org_code", "not_allowed", _("您没有修改该党支部党员信息的权限"), m.org_code)
                continue
            self._check_post(m, ref, pk, post_now)
            if changes:
                update.append((m, ref, found, changes))
            else:
                self.counts["unchanged"] += 1
        if run.writing:
            self._create(create)
            self._update(update)
        else:
            self.post_changes.extend(
                (_slim(m), None, None) for m, _ref in create if m.post not in (MISSING, "")
            )
            self.counts["created"] += len(create)
            self.counts["updated"] += len(update)

    _ROW_START = struct.Struct(">hiq")  # a binary COPY row's field count, then its key (length 8, int8)

    def _batch_prepared(self, display: str, groups: list[tuple]) -> None:
        """``_batch`` for rows the reading process prepared (``_prepared_reader``): an empty roster,
        so every row creates a member; the checks that need the database are made per branch."""
        run = self.run
        d = self.directory
        d.lookup({g[0] for g in groups})
        header = self.headers_by_file[display].get("org_code", "org_code")
        accepted: list[tuple[OrgRef, tuple]] = []
        for group in groups:
            code, row_numbers = group[0], group[1]
            ref = d.by_code.get(code)
            if ref is None or (ref.in_db and not ref.visible):
                problem = (
                    "org_unknown",
                    _("所在党组织编码%(code)s不存在，或不在您的管理范围内") % {"code": code},
                )
            elif ref.kind != OrgKind.BRANCH:
                problem = ("not_branch", _("党员只能编入党支部，%(code)s不是党支部") % {"code": code})
            else:
                d.named.add(code)
                if not ref.valid:
                    continue  # its row in the organizations file is wrong, and reported there
                if ref.in_db and not ref.changeable:
                    problem = ("not_allowed", _("您没有在该党支部登记党员的权限"))
                else:
                    accepted.append((ref, group))
                    continue
            for number in row_numbers:
                run.error(display, number, header, code, *problem)
        created = sum(len(group[2]) for _ref, group in accepted)
        if not run.writing:
            self.counts["created"] += created
            for _ref, (code, _numbers, _tails, _entries, posts, _tally) in accepted:
                self._keep_posts(display, code, None, posts)
            return
        if not created:
            return
        w = run.writer
        first = w.allocate_ids(Member, created, locked=True)[0]  # one range: the table is ours
        members, memberships = [], []
        start = self._ROW_START.pack
        n_member, n_membership = len(self.MEMBER_COLUMNS), len(self.MEMBERSHIP_COLUMNS)
        pending = self.created_pending
        for ref, (code, _numbers, tails, entries, posts, tally) in accepted:
            head, membership_tail = self._branch_fields(ref)
            members.extend([b"".join((start(n_member, 8, pk), head, t)) for pk, t in enumerate(tails, first)])
            memberships.extend(
                [start(n_membership, 8, pk) + membership_tail for pk in range(first, first + len(tails))]
            )
            listed = pending.get(ref.path)
            if listed is None:
                listed = pending[ref.path] = (ref, [])
            listed[1].extend([f'{{"id":{pk}{e}' for pk, e in enumerate(entries, first)])
            self._keep_posts(display, code, first, posts)
            tally["members"] = len(tails)
            run.tallies.add(ref.path, tally)
            run.touched_paths.add(ref.path)
            first += len(tails)
        w.copy_binary(Member, self.MEMBER_COLUMNS, members)
        w.copy_binary(Membership, self.MEMBERSHIP_COLUMNS, memberships)
        self.counts["created"] += created
        self._flush_created(keep=accepted[-1][0].path)

    def _check_branch_secretaries(self, wanted: dict[str, PostRow]) -> None:
        """A secretary from the files for a branch without a committee must not meet the one recorded
        for it (``Organization.secretary``) unless the files list that one too (and so say what
        becomes of them), as for a committee's secretary."""
        d = self.directory
        refs = {
            d.by_code[code].pk: code
            for code in wanted
            if d.by_code[code].in_db
            and d.by_code[code].committee_id is None
            and not d.by_code[code].new_committee
        }
        if not refs:
            return
        recorded = Organization.objects.filter(pk__in=list(refs), secretary__isnull=False).values_list(
            "pk", "secretary_id", "secretary__name", "secretary__org_id"
        )
        for org_id, member_id, name, member_org_id in recorded:
            if member_id in self.listed_posts or member_org_id != org_id:
                continue  # listed in the files (their row says what becomes of them), or gone elsewhere
            self._err(
                wanted[refs[org_id]],
                "post",
                "two_secretaries",
                _("本支部已有书记%(name)s；一个党支部只能有一名书记") % {"name": name},
                Post.SECRETARY.label,
            )

    def _write_branch_secretaries(self, changes: list[tuple[OrgRef, int | None, PostRow]]) -> None:
        """Record (or clear) the secretary of branches without a committee, as the secretary page does
        (``orgs.services.set_secretary``), since the row's 任职日期. Without one: the recorded secretary
        keeps their date; a new one counts from the branch's 记录起始日期 (jiceng knows nothing of the
        branch before it), but not from before joining the Party, or, taking over from another
        recorded secretary, from the import's day (the handover is what the file shows)."""
        if not changes:
            return
        run = self.run
        w = run.writer
        before = {
            pk: (secretary_id, since, records_since)
            for pk, secretary_id, since, records_since in Organization.objects.filter(
                pk__in=[ref.pk for ref, _member, _m in changes]
            ).values_list("pk", "secretary_id", "secretary_since", "records_since")
        }
        joined = dict(
            Member.objects.filter(pk__in=[pk for _ref, pk, _m in changes if pk is not None]).values_list(
                "pk", "joined_on"
            )
        )
        ct = run.content_type_id(Organization)
        imported = _("导入")
        for ref, member_pk, m in changes:
            old_member, old_since, records_since = before.get(ref.pk, (None, None, run.today))
            if member_pk is None and old_member is None:
                continue
            if member_pk is None:
                since = None
            elif m.post_since is not None:
                since = m.post_since
            elif member_pk == old_member:
                since = old_since
            elif old_member is None:
                since = max(records_since, joined.get(member_pk, records_since))
            else:
                since = run.today
            if member_pk == old_member and since == old_since:
                continue
            Organization.objects.filter(pk=ref.pk).update(
                secretary_id=member_pk, secretary_since=since, updated_at=w.now
            )
            run.audit(
                action=ObjectChange.Action.UPDATE,
                content_type_id=ct,
                object_id=ref.pk,
                object_repr=ref.name,
                org_path=ref.path,
                before={"secretary": old_member, "secretary_since": _plain(old_since)},
                after={"secretary": member_pk, "secretary_since": _plain(since)},
                message=imported,
            )
            run.touched_paths.add(ref.path)
            if member_pk is not None:
                run.extra[_("支部书记（未设支部委员会）")] += 1

    def _keep_posts(self, display: str, code: str, first: int | None, posts: list[tuple]) -> None:
        """Keep a group of posts ((position, row, name, post, 任职日期 or None) each; the key is ``first`` +
        position) for ``_finish_posts``, compactly: a province sets 200,000 posts."""
        if not posts:
            return
        names = "\0".join([p[2] for p in posts])
        if names.count("\0") != len(posts) - 1:  # a name with a NUL in it: keep them as they are
            names = [p[2] for p in posts]
        self.prepared_posts.append(
            (
                display,
                code,
                first,
                array("q", [p[0] for p in posts]),
                array("i", [p[1] for p in posts]),
                names,
                "\0".join([p[3] for p in posts]),
                "\0".join([p[4].isoformat() if p[4] else "" for p in posts]),
            )
        )

    def _post_changes(self, only: str | None = None) -> Iterator[tuple[PostRow, int | None, tuple | None]]:
        """Every post the files set: (row, member key or None, current post or None). ``only``: of the
        prepared groups, only those setting that post (the others may come too)."""
        yield from self.post_changes
        for display, code, first, positions, rows, names, posts, since in self.prepared_posts:
            if only is not None and only not in posts:
                continue
            if isinstance(names, str):
                names = names.split("\0")
            days = since.split("\0")
            for at, row, name, post, day in zip(positions, rows, names, posts.split("\0"), days, strict=True):
                yield (
                    PostRow(display, row, name, code, post, dt.date.fromisoformat(day) if day else None),
                    (first + at if first is not None else None),
                    None,
                )

    def _branch_fields(self, ref: OrgRef) -> tuple[bytes, bytes]:
        """A branch's fields of a member row (org_id, org_path) and of a membership row (all after
        member_id) in binary COPY format, made once per branch."""
        fields = self._heads.get(ref.pk)
        if fields is None:
            if len(self._heads) >= 1000:  # a branch's rows come together: keep a few, not all
                self._heads.clear()
            fields = self._heads[ref.pk] = (
                BinaryRows(Member, ("org_id", "org_path")).fields((ref.pk, ref.path)),
                BinaryRows(Membership, self.MEMBERSHIP_COLUMNS[1:]).fields(
                    (ref.pk, ref.code, ref.name, self.run.today, None, Membership.Reason.IMPORTED.value, "")
                ),
            )
        return fields

    def _err(self, m: MemberRow | PostRow, key: str, code: str, message: str, value: Any = "") -> None:
        header = self.headers_by_file.get(m.file, {}).get(key, key)
        values = getattr(m, "values", None)
        name = values[POS["name"]] if values and isinstance(values[POS["name"]], str) else ""
        self.run.error(m.file, m.row, header, value, code, message, name)

    def _check_post(self, m: MemberRow, ref: OrgRef, pk: int, post_now: tuple | None) -> None:
        """Queue a change of post (a change of the branch: it needs the right to change it); a member
        turned probationary cannot keep one the file leaves alone."""
        if m.post is MISSING:
            if post_now is not None and m.values[POS["status"]] == "probationary":
                self._err(
                    m,
                    "status",
                    "post_probationary",
                    _("该党员担任委员会职务，不能是预备党员"),
                    Status(m.values[POS["status"]]).label,
                )
            return
        if (post_now[1] if post_now else "") != m.post or _since_changed(m, post_now):
            if not ref.changeable:
                label = Post(m.post).label if m.post else ""
                self._err(m, "post", "not_allowed", _("您没有修改该党支部委员会职务的权限"), label)
                return
            self.post_changes.append((_slim(m), pk, post_now))

    # Existing records -------------------------------------------------------------------------------

    READ = ("pk", "org_id", "org_path", "closed_on", *FIELDS)
    OFFSET = 4

    def _existing(self, digests: list[str]) -> dict[str, tuple]:
        """Records with these digests, as (digest, *READ) tuples. Plain SQL: the ORM's IN list costs
        more per value than the index lookup does."""
        if not digests:
            return {}
        qn = connection.ops.quote_name
        columns = ", ".join(qn(Member._meta.get_field(c).column) if c != "pk" else "id" for c in self.READ)
        table = qn(Member._meta.db_table)
        select = f"SELECT id_number_digest, {columns} FROM {table} WHERE"  # noqa: S608
        rows = _select_where_in(select, "id_number_digest", digests)
        convert = self._converters()
        return {r[0]: convert(r[1:]) for r in rows}

    def _converters(self) -> Any:
        """Database values as the ORM gives them (SQLite returns dates as text)."""
        if connection.vendor == "postgresql":
            return tuple
        dates = [
            i
            for i, c in enumerate(self.READ)
            if c in ("closed_on", "birth_date", "joined_on", "full_member_on")
        ]

        def convert(row: tuple) -> tuple:
            row = list(row)
            for i in dates:
                if isinstance(row[i], str):
                    row[i] = dt.date.fromisoformat(row[i])
            return tuple(row)

        return convert

    @staticmethod
    def _current_posts(member_pks: list[int]) -> dict[int, tuple]:
        """Each member's post in the current committee of their branch: (post pk, post, committee pk);
        the recorded secretary of a branch without a committee: (None, "secretary", None)."""
        if not member_pks:
            return {}
        qn = connection.ops.quote_name
        posts, committees, members, orgs = (
            qn(m._meta.db_table) for m in (CommitteePost, Committee, Member, Organization)
        )
        rows = _select_where_in(
            f"SELECT p.member_id, p.id, p.post, p.committee_id FROM {posts} p "  # noqa: S608
            f"JOIN {committees} c ON c.id = p.committee_id JOIN {members} m ON m.id = p.member_id "
            "WHERE c.ended_on IS NULL AND c.org_id = m.org_id AND",
            "p.member_id",
            member_pks,
        )
        out = {r[0]: r[1:4] for r in rows}
        own = _select_where_in(
            f"SELECT o.secretary_id, o.secretary_since FROM {orgs} o "  # noqa: S608
            f"JOIN {members} m ON m.id = o.secretary_id WHERE m.org_id = o.id AND",
            "o.secretary_id",
            member_pks,
        )
        for member_id, since in own:
            if isinstance(since, str):  # SQLite
                since = dt.date.fromisoformat(since)
            out.setdefault(member_id, (None, Post.SECRETARY.value, None, since))
        return out

    def _fill_from(self, m: MemberRow, found: tuple) -> None:
        """The record's own values where the file has no column (the row holds defaults there)."""
        v = m.values
        for i in self.missing_by_file[m.file]:
            v[i] = found[self.OFFSET + i]

    def _changes(self, m: MemberRow, found: tuple) -> dict[str, Any]:
        v = m.values
        off = self.OFFSET
        return {FIELDS[i]: v[i] for i in range(len(FIELDS)) if v[i] != found[off + i]}

    # Writes -----------------------------------------------------------------------------------------

    MEMBER_COLUMNS = (
        "id",
        "org_id",
        "org_path",
        "name",
        "name_pinyin",
        "name_initials",
        "gender",
        "ethnicity",
        "birth_date",
        "id_number_cipher",
        "id_number_digest",
        "id_number_masked",
        "education",
        "degree",
        "category",
        "status",
        "joined_on",
        "full_member_on",
        "standing_correction",
        "work_unit",
        "job_post",
        "phone",
        "household_registration",
        "residence",
        "closed_reason",
        "created_at",
        "updated_at",
    )
    # The member row's columns the reading process prepares: all but the key and the branch.
    TAIL_COLUMNS = MEMBER_COLUMNS[3:]
    MEMBERSHIP_COLUMNS = (
        "member_id",
        "org_id",
        "org_code",
        "org_name",
        "started_on",
        "ended_on",
        "start_reason",
        "end_reason",
    )

    def _create(self, create: list[tuple[MemberRow, OrgRef]]) -> None:
        if not create:
            return
        run = self.run
        w = run.writer
        ids = w.allocate_ids(Member, len(create), locked=self.bulk is not None and self.bulk.active)
        encrypt, mask = crypto.encrypt, idnumber.mask
        now = w.now
        today = run.today
        imported = Membership.Reason.IMPORTED.value
        members, memberships = [], []
        tally: dict[str, Counter] = defaultdict(Counter)
        k_status, k_category, k_education, k_gender, k_year = self._tally_keys.values()
        pending = self.created_pending
        posts: dict[tuple[str, str], list[tuple]] = defaultdict(list)
        for pk, (m, ref) in zip(ids, create, strict=True):
            name, gender, birth, education, category, status = (m.values[i] for i in _TALLIED_AT)
            number = m.id_number
            if m.cipher:  # prepared by the reading process
                masked, cipher, full_pinyin, initials = m.masked, m.cipher, m.pinyin, m.initials
            else:
                masked, cipher = mask(number), encrypt(number)
                full_pinyin, initials = pinyin_keys(name)
            members.append(
                (
                    pk,
                    ref.pk,
                    ref.path,
                    *_new_member_values(m.values, full_pinyin, initials, cipher, m.digest, masked, now),
                )
            )
            memberships.append((pk, ref.pk, ref.code, ref.name, today, None, imported, ""))
            counts = tally[ref.path]
            counts["members"] += 1
            counts[k_status[status]] += 1
            counts[k_category[category]] += 1
            counts[k_education[education]] += 1
            counts[k_gender[gender]] += 1
            counts[k_year[birth.year]] += 1
            listed = pending.get(ref.path)
            if listed is None:
                listed = pending[ref.path] = (ref, [])
            listed[1].append(f'{{"id":{pk},"name":{_quote(name)},"id_number_masked":{_quote(masked)}}}')
            if m.post not in (MISSING, ""):
                posts[(m.file, ref.code)].append((pk, m.row, name, m.post, m.post_since))
        for (display, code), items in posts.items():
            self._keep_posts(display, code, 0, items)  # the keys themselves as positions
        w.insert(Member, self.MEMBER_COLUMNS, members)
        w.insert(Membership, self.MEMBERSHIP_COLUMNS, memberships)
        for path, counts in tally.items():
            run.tallies.add(path, counts)
            run.touched_paths.add(path)
        self.counts["created"] += len(create)
        # A branch's rows usually come together: the last one of the batch may go on in the next.
        self._flush_created(keep=create[-1][1].path)

    def _flush_created(self, keep: str | None = None) -> None:
        """One change record per branch for the members this import created in it (all but ``keep``).

        A record per created member would be a million rows of a million-row import, each with its
        own index entries: a third of the import's time. The branch's record says who imported (the
        run's user, request and time, as every record) which members (id, name, masked number) into
        which branch; a member's field values at creation are those of the import file.
        """
        run = self.run
        message = _("导入")
        for path in [p for p in self.created_pending if p != keep]:
            ref, listed = self.created_pending.pop(path)
            run.audit(
                action=ObjectChange.Action.CREATE,
                content_type_id=self.ct_member,
                object_id=None,
                object_repr=_("%(org)s：导入新党员%(n)d名") % {"org": ref.name, "n": len(listed)},
                org_path=path,
                encoded_after='{"members":[' + ",".join(listed) + "]}",
                message=message,
            )

    def _update(self, update: list[tuple[MemberRow, OrgRef, tuple, dict[str, Any]]]) -> None:
        if not update:
            return
        run = self.run
        w = run.writer
        imported = _("导入")
        groups: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
        for m, ref, found, changes in update:
            pk = found[0]
            columns = dict(changes)
            if "name" in changes:
                columns["name_pinyin"], columns["name_initials"] = pinyin_keys(changes["name"])
            columns["updated_at"] = w.now_value
            keys = tuple(columns)
            groups[keys].append((*(_db(v) for v in columns.values()), pk))
            before = {k: _plain(found[self.OFFSET + POS[k]]) for k in changes}
            after = {k: _plain(v) for k, v in changes.items()}
            run.audit(
                action=ObjectChange.Action.UPDATE,
                content_type_id=self.ct_member,
                object_id=pk,
                object_repr=m.values[0],
                org_path=ref.path,
                before=before,
                after=after,
                message=imported,
            )
            if any(k in changes for k in TALLIED):
                old = _member_keys(found[self.OFFSET :])
                new = _member_keys(m.values)
                run.tallies.add(ref.path, tallies.diff(old, new))
            run.touched_paths.add(ref.path)
        for columns, rows in groups.items():
            w.update(Member, columns, rows)
        self.counts["updated"] += len(update)

    # After every table ------------------------------------------------------------------------------

    def end_table(self) -> None:
        # The indexes are made again in the background (``BulkLoad.finish``): at once if another table
        # follows in the run (it may look members up), else once the posts are written (``finish``),
        # so that they are made while the run works the tallies out.
        if not self.last_table:
            self._rebuild_indexes()

    def _rebuild_indexes(self) -> None:
        if self.bulk is not None and self.bulk.active and self.run.writing:
            self.bulk.finish(background=True)
            self.run.waits.append(self.bulk.wait)
        # Not writing: the rollback brings the indexes back.

    def finish(self) -> None:
        if self.run.writing:
            self._flush_created()
        self._finish_moves()
        self._finish_posts()
        self._rebuild_indexes()
        if self.since_not_stored:
            self.run.notice(
                _(
                    "%(n)d名党员的任职日期未记录：委员会职务自本届委员会选举（任命）之日起算，"
                    "任职日期只用于未设支部委员会的党支部书记"
                )
                % {"n": self.since_not_stored}
            )
        if self.posts_without_committee:
            self.run.notice(
                _(
                    "%(n)d名党员的党内职务未记录：所在党支部（%(codes)s）没有本届委员会（可填写组织表的“本届委员会选举日期”）"
                )
                % {
                    "n": sum(self.posts_without_committee.values()),
                    "codes": "、".join(list(self.posts_without_committee)[:10])
                    + ("…" if len(self.posts_without_committee) > 10 else ""),
                }
            )

    def _finish_moves(self) -> None:
        """Members the files place in another branch than the one holding them now."""
        if not self.moves:
            return
        run = self.run
        d = self.directory
        origins = dict(
            Organization.objects.filter(pk__in={found[1] for _m, found in self.moves}).values_list(
                "pk", "code"
            )
        )
        d.lookup(origins.values())
        for m, found in self.moves:
            origin = d.by_code[origins[found[1]]]
            target = d.by_code[m.org_code]
            if origin.code in d.named and not origin.changeable:
                self._err(m, "org_code", "not_allowed", _("您没有转出该党员所在党支部的权限"), m.org_code)
                run.probes.append(("not_allowed", m.digest, target.path or ""))
                continue
            if origin.code not in d.named:
                where = (
                    _("该公民身份号码已登记在%(org)s（%(code)s）") % {"org": origin.name, "code": origin.code}
                    if origin.visible
                    else _("该公民身份号码已登记在其他党组织")
                )
                run.probes.append(("member_elsewhere", m.digest, target.path or ""))
                self._err(
                    m,
                    "org_code",
                    "member_elsewhere",
                    where
                    + _(
                        "，一名党员只能在一个党支部；导入文件未包含原党支部，不能直接转入，请办理组织关系转接"
                    ),
                    m.org_code,
                )
                continue
            if not target.changeable and target.in_db:
                self._err(m, "org_code", "not_allowed", _("您没有在该党支部登记党员的权限"), m.org_code)
                continue
            self._fill_from(m, found)
            if run.writing:
                self._move(m, found, target)
            else:
                self.counts["updated"] += 1
            if m.post not in (MISSING, ""):
                self.post_changes.append((_slim(m), found[0], None))

    def _move(self, m: MemberRow, found: tuple, target: OrgRef) -> None:
        from jiceng.orgs.services import _move_members  # the one implementation of moving members

        run = self.run
        member = Member.objects.select_related("org").get(pk=found[0])
        branch = Organization.objects.get(pk=target.pk)
        _move_members(
            actor=run.actor, members=[member], target=branch, on=run.today, reason=Membership.Reason.TRANSFER
        )
        moved = (found[0], target.pk, target.path, *found[3:])
        changes = self._changes(m, moved)
        if changes:
            self._update([(m, target, moved, changes)])
            self.counts["updated"] -= 1  # counted once below
        self.counts["updated"] += 1
        run.touched_paths.update({found[2], target.path})

    def _finish_posts(self) -> None:
        """Posts in each branch's current committee, as the files say for the members they list."""
        run = self.run
        d = self.directory
        if not self.post_changes and not self.prepared_posts:
            return
        codes = {m.org_code for m, _pk, _now in self.post_changes} | {g[1] for g in self.prepared_posts}
        d.load_committees([d.by_code[code] for code in codes])
        # A secretary from the files must not meet one the files leave in place.
        wanted_secretary = {
            m.org_code: m for m, _pk, _now in self._post_changes(only="secretary") if m.post == "secretary"
        }
        self._check_branch_secretaries(wanted_secretary)
        committees = {
            d.by_code[c].committee_id: c
            for c in wanted_secretary
            if d.by_code[c].committee_id and not d.by_code[c].new_committee  # a new one starts empty
        }
        held = CommitteePost.objects.filter(
            committee_id__in=list(committees), post=Post.SECRETARY
        ).values_list("committee_id", "member_id", "member__name")
        for committee_id, member_id, name in held:
            code = committees[committee_id]
            ref = d.by_code[code]
            m = wanted_secretary[code]
            if member_id in self.listed_posts:
                continue  # the files list that secretary too, and say what becomes of them
            self._err(
                m,
                "post",
                "two_secretaries",
                _("本届委员会已有书记%(name)s；一届委员会只能有一名书记") % {"name": name},
                Post.SECRETARY.label,
            )
        creates, deletes = [], []
        # A branch without a committee: its own secretary (Organization.secretary), branch → (ref,
        # member pk or None, row); the other posts have no place there.
        branch_secretary: dict[str, tuple[OrgRef, int | None, PostRow]] = {}
        for m, pk, now in self._post_changes():
            ref = d.by_code[m.org_code]
            current = now if now is not None and now[2] == ref.committee_id else None
            if current is not None and current[1] != m.post:
                if current[0] is None:  # the branch's own secretary no more
                    branch_secretary.setdefault(ref.code, (ref, None, m))
                else:
                    deletes.append((current, ref, pk, m))
            own_committee = ref.committee_id is None and not ref.new_committee
            if m.post and (current is None or current[1] != m.post):
                if own_committee:
                    if m.post == Post.SECRETARY:
                        branch_secretary[ref.code] = (ref, pk, m)
                    else:
                        self.posts_without_committee[m.org_code] += 1
                    continue
                creates.append((ref, pk, m))
            elif current is not None and current[0] is None and m.post == Post.SECRETARY:
                branch_secretary[ref.code] = (ref, pk, m)  # the same secretary, another 任职日期
            if m.post_since is not None and not own_committee:
                self.since_not_stored += 1
        if not run.writing:
            return
        self._write_branch_secretaries(list(branch_secretary.values()))
        w = run.writer
        imported = _("导入")
        labels = {value: str(label) for value, label in Post.choices}
        for (post_pk, post, committee_id), ref, member_pk, m in deletes:
            CommitteePost.objects.filter(pk=post_pk).delete()
            run.audit(
                action=ObjectChange.Action.DELETE,
                content_type_id=self.ct_post,
                object_id=post_pk,
                object_repr=f"{labels.get(post, post)} {m.values[0]}",
                org_path=ref.path,
                before={"id": post_pk, "committee": committee_id, "member": member_pk, "post": post},
                message=imported,
            )
        if creates:
            ids = w.allocate_ids(
                CommitteePost, len(creates), locked=self.bulk is not None and self.bulk.active
            )
            rows: list[tuple] = []
            # As for created members, one change record per branch lists the posts set in it; the
            # rows come branch by branch, so each branch's record is written once its rows are over.
            listed: list[dict[str, Any]] = []
            branch: OrgRef | None = None

            def record() -> None:
                run.audit(
                    action=ObjectChange.Action.CREATE,
                    content_type_id=self.ct_post,
                    object_id=None,
                    object_repr=_("%(org)s：委员会职务%(n)d项") % {"org": branch.name, "n": len(listed)},
                    org_path=branch.path,
                    after={"posts": listed},
                    message=imported,
                )

            for post_pk, (ref, member_pk, m) in zip(ids, creates, strict=True):
                if ref is not branch and listed:
                    record()
                    listed = []
                branch = ref
                rows.append((post_pk, ref.committee_id, member_pk, m.post))
                listed.append(
                    {
                        "id": post_pk,
                        "committee": ref.committee_id,
                        "member": member_pk,
                        "name": m.values[0],
                        "post": m.post,
                    }  # fmt: skip
                )
                if len(rows) >= BATCH:
                    w.insert(CommitteePost, ("id", "committee_id", "member_id", "post"), rows)
                    rows = []
            if listed:
                record()
            w.insert(CommitteePost, ("id", "committee_id", "member_id", "post"), rows)
            run.extra[_("委员会职务")] += len(creates)

    # Export ---------------------------------------------------------------------------------------

    @classmethod
    def export_headers(cls) -> list[str]:
        return [c.header for c in cls.columns]

    @classmethod
    def export_rows(cls, *, actor: User | None, org: Organization, full_id: bool) -> Iterator[list[Any]]:
        from django.db.models import F as FieldRef

        genders = chinese_labels(Gender)
        educations = chinese_labels(Education)
        categories = chinese_labels(Category)
        statuses = chinese_labels(Status)
        posts = chinese_labels(Post)
        codes = dict(Organization.objects.filter(path__prefix=org.path).values_list("pk", "code"))
        current = Committee.objects.filter(org__path__prefix=org.path, ended_on__isnull=True)
        post_of = dict(
            CommitteePost.objects.filter(
                committee__in=current, member__org_id=FieldRef("committee__org_id")
            ).values_list("member_id", "post")
        )
        # The recorded secretary of a branch without a committee (what 书记 in such a branch imports as).
        own = Organization.objects.filter(
            path__prefix=org.path, secretary__isnull=False, secretary__org_id=FieldRef("pk")
        ).exclude(pk__in=current.values("org_id"))
        since_of = {}  # 任职日期: only a committee-less branch's secretary has one of their own
        for member_id, since in own.values_list("secretary_id", "secretary_since"):
            if member_id not in post_of:
                post_of[member_id] = Post.SECRETARY.value
                since_of[member_id] = since
        members = (
            Member.objects.filter(org_path__prefix=org.path, closed_on__isnull=True)
            .order_by("org_path", "name_pinyin", "id")
            .values_list(
                "pk",
                "org_id",
                "id_number_cipher",
                "id_number_masked",
                *FIELDS,
            )
        )
        decrypt = crypto.decrypt
        for pk, org_id, cipher, masked, *v in members.iterator(chunk_size=5000):
            (name, gender, ethnicity, birth, education, degree, category, status, joined, full, correction,
             work_unit, job_post, phone, household, residence) = v  # fmt: skip
            yield [
                name,
                genders.get(gender, gender),
                ethnicity,
                decrypt(cipher) if full_id else masked,
                birth.isoformat(),
                educations.get(education, education),
                categories.get(category, category),
                statuses.get(status, status),
                joined.isoformat(),
                full.isoformat() if full else "",
                codes.get(org_id, ""),
                posts.get(post_of.get(pk, ""), ""),
                since_of[pk].isoformat() if since_of.get(pk) else "",
                work_unit,
                phone,
                degree,
                job_post,
                household,
                residence,
                correction,
            ]


def _new_member_values(
    values: list[Any],
    full_pinyin: str,
    initials: str,
    cipher: str,
    digest: str,
    masked: str,
    now: dt.datetime,
) -> tuple:
    """A new member's values in the order of ``MembersHandler.TAIL_COLUMNS`` (the member row's columns
    after its key and branch), from a row's values and what is worked out of them."""
    (name, gender, ethnicity, birth, education, degree, category, status, joined, full, correction,
     work_unit, job_post, phone, household, residence) = values  # fmt: skip
    return (name, full_pinyin, initials, gender, ethnicity, birth, cipher, digest, masked, education, degree,
            category, status, joined, full, correction, work_unit, job_post, phone, household, residence, "",
            now, now)  # fmt: skip


# Where a row's values hold name, gender, birth date, education, category and status.
_TALLIED_AT = tuple(POS[f] for f in ("name", "gender", "birth_date", "education", "category", "status"))


def _select_where_in(select: str, column: str, values: list[Any]) -> list[tuple]:
    """Rows of ``select`` (ending in WHERE or AND) with ``column`` among ``values`` (thousands):
    ``= ANY(array)`` on PostgreSQL, ``IN`` lists of 900 on SQLite. Plain SQL on the DB-API cursor: the
    ORM's ``__in`` costs more per value than the index lookup does, and Django's debug cursor
    (DEBUG=True) would keep each query, its values spelled out, in ``connection.queries_log``."""
    if not values:
        return []
    connection.ensure_connection()
    with contextlib.closing(connection.connection.cursor()) as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"{select} {column} = ANY(%s)", [values])
            return cur.fetchall()
        rows = []
        for i in range(0, len(values), 900):
            chunk = values[i : i + 900]
            cur.execute(f"{select} {column} IN ({', '.join(['?'] * len(chunk))})", chunk)
            rows.extend(cur.fetchall())
        return rows


def _slim(m: MemberRow) -> PostRow:
    """What the posts, decided at the end, need of a row: a province has a quarter of a million."""
    return PostRow(m.file, m.row, m.values[0], m.org_code, m.post, m.post_since)


def _since_changed(m: MemberRow, post_now: tuple | None) -> bool:
    """The file gives the recorded secretary of a branch without a committee another 任职日期."""
    return (
        m.post_since is not None
        and post_now is not None
        and post_now[0] is None
        and m.post == post_now[1]
        and m.post_since != post_now[3]
    )


def _date(text: str, key: str, label: str, err: Any, *, required: bool = False) -> dt.date | None:
    if not text:
        if required:
            err(key, "required", _("%(label)s不能为空") % {"label": label})
        return None
    try:
        return parse_date(text)
    except ValueError:
        err(key, "date_invalid", _("%(label)s格式不正确，应为YYYY-MM-DD") % {"label": label}, text)
        return None


def _choice_error(err: Any, key: str, text: str, label: str, choices: str) -> None:
    if not text:
        err(key, "required", _("%(label)s不能为空") % {"label": label})
    else:
        err(
            key,
            "choice_invalid",
            _("%(label)s应为：%(choices)s") % {"label": label, "choices": choices},
            text,
        )


def _choices_text(choices: Any) -> str:
    return "、".join(chinese_labels(choices).values())


def _member_keys(values: Any) -> Counter:
    return tallies.member_keys(
        status=values[POS["status"]],
        category=values[POS["category"]],
        education=values[POS["education"]],
        gender=values[POS["gender"]],
        birth_date=values[POS["birth_date"]],
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _db(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value
