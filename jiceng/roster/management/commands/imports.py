"""``jiceng imports --sweep``: housekeeping of the import page's jobs (run it hourly from cron or a
systemd timer; every import task also runs it before its own work).

* A job whose worker died (no heartbeat for ``IMPORT_STALE_SECONDS``) is marked failed: its owner can
  check it again or discard it.
* The uploads and reports of jobs that ended, failed, were discarded or were left unconfirmed more
  than ``IMPORT_RETENTION_DAYS`` ago are deleted (they hold identity numbers in clear).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.roster import services


class Command(BaseCommand):
    help = "Mark import jobs whose worker died as failed; delete the files of old jobs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sweep", action="store_true", help="do it (the only action for now)")

    def handle(self, *args: Any, sweep: bool, **options: Any) -> None:
        if not sweep:
            self.stdout.write(_("请加上--sweep执行清理"))
            return
        failed, purged = services.sweep()
        self.stdout.write(
            _("已将%(failed)d个进程已终止的导入标记为失败；已删除%(purged)d个过期导入的文件")
            % {"failed": failed, "purged": purged}
        )
