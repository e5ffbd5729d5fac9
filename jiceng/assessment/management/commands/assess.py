"""``jiceng assess --scheme ID --year YYYY [--as-of YYYY-MM-DD] [--format table|json]``: run an assessment.

``jiceng assess review --year YYYY --org CODE [--kind branch] [--open] [--format table|json]``: the
secretaries' yearly review (述职评议) held by the committee CODE: ``--open`` opens the year's round if
there is none (as the page does, by the system), then each report is listed with its secretary (the one
named when the round opened), whether it was submitted, the number of evaluations by side (members'
paper forms counted) and the combined result and grade.

Records a run of the scheme's current version (as the page's "运行考核" does, by the system: no user),
computes it here with its progress on standard error, and prints each organization's score, rank and
grade (``json``: the run's id and parameters, and per organization ``org_code``, ``score``, ``rank``,
``grade`` and every node's value). Exits non-zero with a message for an unknown scheme, a year that is
not the scheme's, or a bad day.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jiceng.assessment import services
from jiceng.assessment.models import OrgResult, Scheme


class Command(BaseCommand):
    help = "按考核方案计算某年度各党组织的考核得分与等次"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", nargs="?", choices=["review"], help="review：书记述职评议")
        parser.add_argument("--scheme", type=int, help="考核方案编号")
        parser.add_argument("--year", required=True, type=int, help="考核年度（须与方案年度一致）")
        parser.add_argument("--org", default="", help="review：组织述职评议的上级党组织编码")
        parser.add_argument("--kind", default="branch", help="review：述职对象的组织类别（默认党支部）")
        parser.add_argument("--open", action="store_true", help="review：本年度尚未开始时开始述职评议")
        parser.add_argument("--as-of", default="", help="数据截至日 YYYY-MM-DD（默认：今天或年末）")
        parser.add_argument("--format", choices=["table", "json"], default="table", help="输出格式")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "review":
            self.review(options)
            return
        if options["scheme"] is None:
            raise CommandError(_("请用 --scheme 指定考核方案"))
        scheme = Scheme.objects.filter(pk=options["scheme"]).first()
        if scheme is None:
            raise CommandError(_("找不到编号为 %(id)s 的考核方案") % {"id": options["scheme"]})
        if options["year"] != scheme.year:
            raise CommandError(
                _("方案“%(name)s”为%(year)d年度方案，不能用于%(other)d年")
                % {"name": scheme.name, "year": scheme.year, "other": options["year"]}
            )
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as e:
                raise CommandError(_("数据截至日应写作 YYYY-MM-DD")) from e
        try:
            run = services.start_run(actor=None, scheme=scheme, as_of=as_of, mode="caller")
        except ValidationError as e:
            raise CommandError("; ".join(m for ms in e.message_dict.values() for m in ms)) from e

        def progress(done: int, total: int, label: str) -> None:
            self.stderr.write(f"[{done}/{total}] {label}")

        run = services.compute(run, progress=progress)
        results = list(OrgResult.objects.filter(run=run).select_related("org").order_by("org_path"))
        if options["format"] == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "run": run.pk,
                        "params": run.params,
                        "results": [
                            {
                                "org_code": r.org.code,
                                "score": None if r.score is None else str(r.score),
                                "rank": r.rank,
                                "grade": r.grade,
                                "values": r.values,
                            }
                            for r in results
                        ],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        self.stdout.write(
            _("考核结果 #%(id)d：%(name)s，数据截至%(day)s")
            % {"id": run.pk, "name": scheme.name, "day": run.as_of}
        )
        for r in results:
            score = _("暂无数据") if r.score is None else str(r.score)
            rank = f" #{r.rank}/{r.siblings}" if r.rank else ""
            self.stdout.write(f"{r.org.code}  {r.org.name}  {score}{rank}  {r.grade or '-'}")

    def review(self, options: dict[str, Any]) -> None:
        from jiceng.assessment import review
        from jiceng.assessment.models import EvaluationSource, ReviewRound
        from jiceng.orgs.models import Organization, OrgKind

        owner = Organization.objects.filter(code=options["org"]).first() if options["org"] else None
        if owner is None:
            raise CommandError(
                _("请用 --org 指定组织述职评议的上级党组织编码（找不到“%(code)s”）")
                % {"code": options["org"]}
            )
        if options["kind"] not in OrgKind.values:
            raise CommandError(_("述职对象的组织类别应为：%(kinds)s") % {"kinds": ", ".join(OrgKind.values)})
        rnd = ReviewRound.objects.filter(owner=owner, year=options["year"], org_kind=options["kind"]).first()
        if rnd is None and not options["open"]:
            raise CommandError(
                _("%(org)s %(year)d年度的述职评议尚未开始（加 --open 开始）")
                % {"org": owner.name, "year": options["year"]}
            )
        if rnd is None:
            try:
                rnd = review.open_round(
                    actor=None, owner=owner, year=options["year"], org_kind=options["kind"]
                )
            except ValidationError as e:
                raise CommandError("; ".join(m for ms in e.message_dict.values() for m in ms)) from e
            self.stderr.write(_("已开始述职评议 #%(id)d") % {"id": rnd.pk})
        rows = []
        reports = (
            rnd.reports.select_related("org")
            .prefetch_related("evaluations", "paper_tallies")
            .order_by("org_path")
        )
        for r in reports:
            committee = sum(1 for e in r.evaluations.all() if e.source == EvaluationSource.COMMITTEE)
            online = sum(1 for e in r.evaluations.all() if e.source == EvaluationSource.MEMBER)
            paper = sum(t.count for t in r.paper_tallies.all())
            rows.append(
                {
                    "org_code": r.org.code,
                    "org_name": r.org.name,
                    "secretary": r.secretary_name,
                    "submitted": r.submitted_at is not None,
                    "committee_evaluations": committee,
                    "member_evaluations": online + paper,
                    "paper_forms": paper,
                    "combined": None if r.combined is None else str(r.combined),
                    "grade": r.combined_grade,
                }
            )
        if options["format"] == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "round": rnd.pk,
                        "owner": owner.code,
                        "year": rnd.year,
                        "org_kind": rnd.org_kind,
                        "grades": rnd.grades,
                        "committee_weight": rnd.committee_weight,
                        "reports": rows,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        self.stdout.write(
            _("述职评议 #%(id)d：%(org)s %(year)d年度，上级评议权重%(w)d%%")
            % {"id": rnd.pk, "org": owner.name, "year": rnd.year, "w": rnd.committee_weight}
        )
        for row in rows:
            state = _("已提交") if row["submitted"] else _("未提交")
            result = f"{row['grade']}（{row['combined']}）" if row["combined"] is not None else _("尚无评议")
            self.stdout.write(
                f"{row['org_code']}  {row['org_name']}  {row['secretary'] or '-'}  {state}  "
                + _("上级%(c)d 党员%(m)d（纸质%(p)d）")
                % {"c": row["committee_evaluations"], "m": row["member_evaluations"], "p": row["paper_forms"]}
                + f"  {result}"
            )
