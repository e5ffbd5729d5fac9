"""``jiceng requests_upkeep``: close answered requests the resident left unanswered for 7 days (as
"居民未回复"), and anonymize requests finished ``SERVICE_ANONYMIZE_YEARS`` ago. Run it daily (cron or
a systemd timer, see docs/services.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.services import services


class Command(BaseCommand):
    help = "Close requests left unanswered by the resident; anonymize old finished requests."

    def handle(self, *args: Any, **options: Any) -> None:
        closed = services.close_unanswered()
        forgotten = services.anonymize_closed(years=int(getattr(settings, "SERVICE_ANONYMIZE_YEARS", 3)))
        self.stdout.write(
            _("已关闭居民未评价的诉求%(closed)d件，匿名化诉求%(forgotten)d件。")
            % {"closed": closed, "forgotten": forgotten}
        )
