"""``jiceng export --org CODE --format xlsx|csv --output PATH [--full-id] [--actor USERNAME]``.

xlsx: one workbook with a sheet per table; csv: a folder with orgs.csv and members.csv. Identity
numbers are masked unless --full-id is given. Audited either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from jiceng.core.context import action_context
from jiceng.core.models import User
from jiceng.roster import services


class Command(BaseCommand):
    help = "Export the roster of an organization's subtree in the import format."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="organization code")
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument("--output", required=True, help="a .xlsx file, or a folder for csv")
        parser.add_argument("--full-id", action="store_true", help="identity numbers in full (audited)")
        parser.add_argument("--actor", help="export as this user, within their scope")

    def handle(
        self, *args: Any, org: str, format: str, output: str, full_id: bool, actor: str | None, **options: Any
    ) -> None:  # noqa: A002
        user = None
        if actor:
            user = User.objects.filter(username=actor, is_active=True).first()
            if user is None:
                raise CommandError(_("用户%(name)s不存在或已停用") % {"name": actor})
        target = Path(output)
        if format == "csv" and target.exists() and not target.is_dir():
            raise CommandError(_("CSV导出需要一个文件夹：%(path)s") % {"path": target})
        try:
            with action_context(source="cli"):
                organization = services.org_for_export(actor=user, code=org)
                counts = services.export_roster(
                    actor=user, org=organization, fmt=format, full_id=full_id, output=target
                )
        except Http404 as e:
            raise CommandError(_("组织编码%(code)s不存在，或不在您的管理范围内") % {"code": org}) from e
        except PermissionDenied as e:
            raise CommandError(str(e) or _("您没有执行此操作的权限")) from e
        except ValidationError as e:
            raise CommandError("; ".join(e.messages)) from e
        rows = "，".join(f"{table} {n}" for table, n in counts.rows.items())
        self.stdout.write(_("已导出到%(path)s：%(rows)s") % {"path": target, "rows": rows})
