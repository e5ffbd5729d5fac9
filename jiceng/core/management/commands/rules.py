"""``jiceng rules [--json | --markdown] [--day YYYY-MM-DD]``: the rule catalogue, from the registry.

Each registered rule (whichever app registered it) with its code, title, period, the parameters in
force on the day (default today, rule versions included), citation and source confidence. ``--json``
is a list of objects with the keys of ``rulesets.catalogue_entry``; ``--markdown`` prints docs/rules.md
(shipped defaults only: the file does not depend on a database's rule versions).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import rulesets


class Command(BaseCommand):
    help = "列出全部合规规则：编码、标题、期间、现行参数、依据和来源核对情况"

    def add_arguments(self, parser: CommandParser) -> None:
        out = parser.add_mutually_exclusive_group()
        out.add_argument("--json", action="store_true", help="以 JSON 输出")
        out.add_argument("--markdown", action="store_true", help="输出 docs/rules.md（系统默认参数）")
        parser.add_argument("--day", help="参数生效的日期 YYYY-MM-DD（默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["markdown"]:
            self.stdout.write(rulesets.markdown(), ending="")
            return
        try:
            day = dt.date.fromisoformat(options["day"]) if options["day"] else timezone.localdate()
        except ValueError as e:
            raise CommandError(_("无效的日期：%(day)s") % {"day": options["day"]}) from e
        entries = [rulesets.catalogue_entry(s) for s in rulesets.rules_in_force(day=day)]
        if options["json"]:
            self.stdout.write(json.dumps(entries, ensure_ascii=False, indent=2))
            return
        for e in entries:
            state = "" if e["enabled"] else _("（已停用）")
            params = ", ".join(f"{k}={v}" for k, v in e["params"].items()) or "—"
            self.stdout.write(f"{e['code']}  {e['title']}{state}")
            self.stdout.write(f"    {e['period_label']} · {params} · {e['citation']} · {e['confidence']}")
        self.stdout.write(_("共 %(n)s 条规则（参数为 %(day)s 有效的值）") % {"n": len(entries), "day": day})
