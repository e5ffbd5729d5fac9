"""``jiceng assess --scheme ID --year YYYY [--as-of YYYY-MM-DD] [--format table|json]``: run an assessment.

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
        parser.add_argument("--scheme", required=True, type=int, help="考核方案编号")
        parser.add_argument("--year", required=True, type=int, help="考核年度（须与方案年度一致）")
        parser.add_argument("--as-of", default="", help="数据截至日 YYYY-MM-DD（默认：今天或年末）")
        parser.add_argument("--format", choices=["table", "json"], default="table", help="输出格式")

    def handle(self, *args: Any, **options: Any) -> None:
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
