"""Bulk-load a gen_roster.py dataset (orgs, members, committees with posts, meetings) for the benchmarks.

A bench fixture, not the product's importer (``jiceng import`` validates row by row, is
all-or-nothing, audits and keeps the tallies): this writes the rows directly with bulk_create so that a
province (~50k organizations, ~1M members, ~1.7M meetings) loads in minutes. Loading only meetings
into a database whose roster was imported by ``jiceng import`` is ``--only-meetings``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench .venv/bin/jiceng migrate
    DATABASE_URL=... .venv/bin/python bench/load_province.py var/data/province [--only-meetings]

Afterwards every stored compliance evaluation is marked stale (these writes bypass the change record).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from jiceng.core import crypto, idnumber, pinyin  # noqa: E402
from jiceng.life.models import Meeting, MeetingKind  # noqa: E402
from jiceng.members.models import Member  # noqa: E402
from jiceng.orgs import rules  # noqa: E402
from jiceng.orgs.models import Committee, CommitteePost, Organization  # noqa: E402
from jiceng.reports import store  # noqa: E402

BATCH = 5000
HISTORY_SINCE = dt.date(1921, 7, 1)  # 记录起始日期 of every loaded organization
ORG_KIND = {
    "党委": "committee",
    "党工委": "working_committee",
    "党总支": "general_branch",
    "党支部": "branch",
}
UNIT_KIND = {
    "社区": "community",
    "农村": "village",
    "机关": "government",
    "事业单位": "institution",
    "国有企业": "state_enterprise",
    "非公有制企业": "private_enterprise",
    "社会组织": "social_organization",
}
EDUCATION = {
    "研究生": "postgraduate",
    "大学本科": "bachelor",
    "大学专科": "college",
    "中等专科": "secondary_vocational",
    "高中": "high_school",
    "初中及以下": "junior_or_below",
}
CATEGORY = {
    "在岗职工": "employed",
    "离退休人员": "retired",
    "农牧渔民": "farmer",
    "学生": "student",
    "其他": "other",
}
STATUS = {"正式党员": "full", "预备党员": "probationary"}
POST = {
    "书记": "secretary",
    "副书记": "deputy_secretary",
    "组织委员": "organization_member",
    "宣传委员": "publicity_member",
    "纪检委员": "discipline_member",
}
MEETING_KIND = {str(label): value for value, label in MeetingKind.choices}


def rows(path: Path):  # noqa: ANN201
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        yield from reader


def day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def load_orgs(folder: Path) -> dict[str, tuple[int, str]]:
    data = list(rows(folder / "orgs.csv"))
    children: dict[str, list[list[str]]] = defaultdict(list)
    for r in data:
        children[r[2]].append(r)
    objs: list[Organization] = []
    elections: dict[str, tuple[str, str, str]] = {}

    def walk(parent_code: str, parent_path: str, depth: int) -> None:
        for i, r in enumerate(children.get(parent_code, ()), start=1):
            path = Organization._get_path(parent_path, depth, i)
            code, name, _parent, kind, unit, founded, elected = r
            objs.append(
                Organization(
                    path=path,
                    depth=depth,
                    numchild=len(children.get(code, ())),
                    code=code,
                    name=name,
                    kind=ORG_KIND[kind],
                    unit_kind=UNIT_KIND[unit],
                    founded_on=day(founded),
                    # A generated dataset holds its whole history: every past period is judged.
                    records_since=HISTORY_SINCE,
                )
            )
            if elected:
                elections[code] = (elected, ORG_KIND[kind], UNIT_KIND[unit])
            walk(code, path, depth + 1)

    walk("", "", 1)
    Organization.objects.bulk_create(objs, batch_size=BATCH)
    by_code = {code: (pk, path) for pk, code, path in Organization.objects.values_list("id", "code", "path")}
    Committee.objects.bulk_create(
        (
            Committee(
                org_id=by_code[code][0],
                elected_on=day(elected),
                term_years=rules.default_term_years(kind=kind, unit_kind=unit),
            )
            for code, (elected, kind, unit) in elections.items()
        ),
        batch_size=BATCH,
    )
    return by_code


@functools.lru_cache(maxsize=200_000)
def name_keys(name: str) -> tuple[str, str]:
    return pinyin.keys(name)


def load_members(folder: Path, by_code: dict[str, tuple[int, str]]) -> int:
    committee_of = dict(Committee.objects.filter(ended_on__isnull=True).values_list("org_id", "id"))
    batch: list[Member] = []
    posts: list[tuple[int, str]] = []  # (index in batch, post)
    count = 0

    def flush() -> None:
        Member.objects.bulk_create(batch, batch_size=BATCH)
        CommitteePost.objects.bulk_create(
            [
                CommitteePost(committee_id=committee_of[batch[i].org_id], member_id=batch[i].pk, post=POST[p])
                for i, p in posts
                if batch[i].org_id in committee_of
            ],
            batch_size=BATCH,
        )
        batch.clear()
        posts.clear()

    for r in rows(folder / "members.csv"):
        (
            name,
            gender,
            ethnicity,
            number,
            birth,
            education,
            category,
            status,
            joined,
            full,
            code,
            post,
            unit,
            phone,
        ) = r
        org_id, path = by_code[code]
        pin, initials = name_keys(name)
        m = Member(
            org_id=org_id,
            org_path=path,
            name=name,
            name_pinyin=pin,
            name_initials=initials,
            gender="female" if gender == "女" else "male",
            ethnicity=ethnicity,
            birth_date=day(birth),
            id_number_cipher=crypto.encrypt(number),
            id_number_digest=crypto.digest(number),
            id_number_masked=idnumber.mask(number),
            education=EDUCATION[education],
            category=CATEGORY[category],
            status=STATUS[status],
            joined_on=day(joined),
            full_member_on=day(full),
            work_unit=unit,
            phone=phone,
        )
        if post:
            posts.append((len(batch), post))
        batch.append(m)
        count += 1
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return count


def load_meetings(folder: Path, by_code: dict[str, tuple[int, str]]) -> int:
    batch: list[Meeting] = []
    count = 0
    for code, kind, held_on, topic, expected, present in rows(folder / "meetings.csv"):
        org_id, path = by_code[code]
        batch.append(
            Meeting(
                org_id=org_id,
                org_path=path,
                kind=MEETING_KIND[kind],
                held_on=day(held_on),
                topic=topic,
                expected=int(expected),
                present=int(present),
                source=Meeting.Source.IMPORTED,
            )
        )
        count += 1
        if len(batch) >= BATCH:
            Meeting.objects.bulk_create(batch)
            batch.clear()
    if batch:
        Meeting.objects.bulk_create(batch)
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--only-meetings", action="store_true", help="the roster is there already")
    args = ap.parse_args()
    out: dict[str, object] = {}
    t0 = time.perf_counter()
    with transaction.atomic():
        if args.only_meetings:
            if Meeting.objects.exists():
                sys.exit("meetings are loaded already")
            by_code = {
                code: (pk, path) for pk, code, path in Organization.objects.values_list("id", "code", "path")
            }
        else:
            if Organization.objects.exists():
                sys.exit("the database is not empty: load into a fresh one (or use --only-meetings)")
            by_code = load_orgs(args.folder)
            out["orgs"] = len(by_code)
            out["members"] = load_members(args.folder, by_code)
        out["meetings"] = load_meetings(args.folder, by_code)
        store.touch_everything()
    out["seconds"] = round(time.perf_counter() - t0, 1)
    json.dump(out, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
