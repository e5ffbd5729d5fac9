"""``jiceng import PATH... [--check] [--actor USERNAME] [--records-since DATE]``: import roster files in
one transaction.

PATH may be a file (.csv or .xlsx) or a folder (every .csv and .xlsx in it, e.g. the output of
gen_roster.py). Exit status 0 with a summary per table; 1 with every error listed and nothing written.
``--records-since`` gives the 记录起始日期 of every organization in the orgs table (created or existing)
whose row leaves that column blank: jiceng holds no records of them from before that day.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.context import action_context
from jiceng.core.models import User
from jiceng.orgs import rules as org_rules
from jiceng.roster.formats import parse_date
from jiceng.roster.importer import InputFile, run_import, summary_lines

SUFFIXES = (".csv", ".xlsx", ".xlsm", ".tsv", ".txt")


class Command(BaseCommand):
    help = "Import orgs.csv / members.csv (or .xlsx workbooks) in one transaction; --check validates only."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="+", help="files, or folders of .csv/.xlsx files")
        parser.add_argument("--check", action="store_true", help="validate only, write nothing")
        parser.add_argument(
            "--records-since",
            metavar="DATE",
            help="记录起始日期 (YYYY-MM-DD) of the organizations in the orgs table whose row gives none",
        )
        parser.add_argument(
            "--actor",
            help="import as this user, within their scope (default: a system import without scope limits)",
        )

    def handle(self, *args: Any, paths: list[str], check: bool, actor: str | None, **options: Any) -> None:
        records_since = self._records_since(options.get("records_since"))
        user = None
        if actor:
            user = User.objects.filter(username=actor, is_active=True).first()
            if user is None:
                raise CommandError(_("用户%(name)s不存在或已停用") % {"name": actor})
        files = self._files(paths)
        progress = self._progress if options["verbosity"] >= 2 else None
        with action_context(source="cli"):
            result = run_import(
                actor=user, files=files, check_only=check, progress=progress, records_since=records_since
            )
        if progress:
            self.stderr.write("")
        for notice in result.notices:
            self.stdout.write(_("提示：%(text)s") % {"text": notice})
        if not result.ok:
            for p in result.all_problems():
                where = f"{p.file} " + (_("第%(row)d行") % {"row": p.row} if p.row else "")
                column = f" [{p.column}]" if p.column else ""
                value = f" “{p.value}”" if p.value else ""
                self.stderr.write(f"{where}{column}{value}：{p.message} ({p.code})")
            if result.error_count > settings.IMPORT_MAX_ERRORS:
                codes = "、".join(f"{code} {n}" for code, n in result.error_codes.items())
                self.stderr.write(
                    _("另有%(n)d处错误未列出（只保存前%(stored)d处）；全部错误按代码：%(codes)s")
                    % {
                        "n": result.error_count - settings.IMPORT_MAX_ERRORS,
                        "stored": settings.IMPORT_MAX_ERRORS,
                        "codes": codes,
                    }
                )
            raise CommandError(
                _("发现%(n)d处错误，未写入任何数据。") % {"n": result.error_count}, returncode=1
            )
        verb = _("校验通过（未写入）") if check else _("导入完成")
        self.stdout.write(
            _("%(verb)s：%(rows)d行，用时%(seconds).1f秒")
            % {"verb": verb, "rows": result.rows, "seconds": result.seconds}
        )
        for line in summary_lines(result.counts, result.extra):
            self.stdout.write("  " + line)

    @staticmethod
    def _records_since(text: str | None) -> dt.date | None:
        if not text:
            return None
        try:
            day = parse_date(text.strip())
        except ValueError:
            raise CommandError(
                _("--records-since：“%(text)s”不是日期，应为YYYY-MM-DD") % {"text": text}, returncode=1
            ) from None
        problem = org_rules.records_since_problem(day=day, today=timezone.localdate())
        if problem is not None:
            raise CommandError(f"--records-since：{problem[1]}", returncode=1)
        return day

    def _files(self, paths: list[str]) -> list[InputFile]:
        files = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
                if not found:
                    raise CommandError(_("文件夹%(path)s中没有CSV或.xlsx文件") % {"path": path})
                files.extend(InputFile(p, str(p)) for p in found)
            elif path.is_file():
                files.append(InputFile(path, str(path)))
            else:
                raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        return files

    def _progress(self, phase: str, rows: int, fraction: float) -> None:
        sys.stderr.write(f"\r{phase} {rows} {fraction:6.1%}")
        sys.stderr.flush()
