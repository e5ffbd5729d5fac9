"""``jiceng compliance --org CODE --period P [--format json|table]``: evaluate the rules for a subtree.

JSON (the default) is an array of findings with exactly the keys ``org_code``, ``rule``, ``period``,
``member`` (the member's primary key, or null), ``params``, ``citation`` and ``message``, followed by
the periods (and state days) of organizations before their records_since (记录起始日期), which are not
judged: ``{"org_code", "period", "status": "no_records", "message"}``. The command
exits 0 whether or not there are findings, and non-zero with a message for a bad period or an unknown
organization. It reads only: nothing is stored.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jiceng.core import compliance, periods, rulebook


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = "按期间评估某党组织及其下级组织的合规情况（组织设置、组织生活、预备期等规则）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="组织编码")
        parser.add_argument("--period", required=True, help="期间：YYYY-MM、YYYY-Qn、YYYY 或 YYYY-MM-DD")
        parser.add_argument("--format", choices=["json", "table"], default="json", help="输出格式")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = compliance.parse_period(options["period"])
        except periods.PeriodError as e:
            raise CommandError(str(e)) from e
        org = rulebook.find_org(options["org"])
        if org is None:
            raise CommandError(_("找不到组织编码为 %(code)s 的党组织") % {"code": options["org"]})
        assessment = compliance.assess(org, period)
        findings = assessment.findings
        if options["format"] == "json":
            items = [f.as_json() for f in findings] + [n.as_json() for n in assessment.no_records]
            self.stdout.write(json.dumps(items, ensure_ascii=False, indent=2))
            return
        header = [_("组织编码"), _("规则"), _("期间"), _("党员"), _("说明")]
        rows = [[f.org_code, f.rule, f.period, f.member_name or "", f.message] for f in findings]
        widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join([*(_pad(str(c), w) for c, w in zip(row, widths, strict=False)), row[-1]])
            )
        self.stdout.write(
            _("共 %(n)s 项（%(org)s，%(period)s）")
            % {"n": len(findings), "org": org.name, "period": compliance.fmt_period(period.label)}
        )
        if assessment.no_records:
            self.stdout.write(
                _("另有 %(n)s 个组织期间早于记录起始日期，没有记录，不作判断")
                % {"n": len(assessment.no_records)}
            )
