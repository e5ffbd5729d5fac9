"""``jiceng notifications daily|digest``: the daily notification jobs.

``daily`` publishes what the day brings (development steps coming due, findings of the runs stored
since yesterday) and then sends the daily digests; ``digest`` sends the digests only. Both are safe
to run more than once a day: announcements are deduplicated, and a user gets one digest a day. A
systemd timer runs ``daily`` each morning (``deploy/systemd/jiceng-daily.timer``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiceng.core.context import action_context

from ... import services


class Command(BaseCommand):
    help = "Daily notification jobs: 'daily' (announce due steps and new findings, then digests), 'digest'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["daily", "digest"])
        parser.add_argument(
            "--day", type=dt.date.fromisoformat, default=None, help="As of this day (YYYY-MM-DD)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["day"]
        with action_context(source="cli"):
            if options["job"] == "daily":
                from jiceng.development.notices import announce_due_steps
                from jiceng.reports.notices import announce_recent

                steps = announce_due_steps(day)
                findings = announce_recent()
                self.stdout.write(f"due steps: {steps}, findings read: {findings}")
            sent = services.send_digests(day=day)
            self.stdout.write(f"digests sent: {sent}")
