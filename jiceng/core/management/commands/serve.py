"""``jiceng serve``: the production web server (gunicorn) with settings that suit jiceng.

Defaults, each an option: ``2 × cores + 1`` synchronous workers (the pages are short, CPU-bound
requests; long work runs in ``jiceng worker``), a 60-second timeout, a worker recycled after about
2,000 requests (memory hygiene), the access log on standard output with each request's duration,
and the proxy headers trusted only from ``JICENG_TRUSTED_PROXIES`` (127.0.0.1 when none is named). Before it
serves, it runs Django's checks (the deployment checks too in production) and stops on an error.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_options(
    *, bind: str, workers: int, threads: int, timeout: int, access_log: str, max_requests: int
) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        "max_requests": max_requests,
        "max_requests_jitter": max(max_requests // 10, 0),
        "accesslog": access_log or None,
        # Remote address, request line, status, size, duration in microseconds, request id.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(B)s %(D)sus %({x-request-id}o)s',
        "errorlog": "-",
        "forwarded_allow_ips": ",".join(settings.TRUSTED_PROXIES) or "127.0.0.1",
        "proc_name": "jiceng",
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        # gunicorn 27's control socket (in $HOME) is not needed: systemd restarts and reloads.
        "control_socket_disable": True,
    }


class Command(BaseCommand):
    help = "Serve jiceng with gunicorn (production)."
    requires_system_checks: list[str] = []  # run below, with --deploy in production

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("JICENG_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("JICENG_WORKERS", 0)) or None)
        parser.add_argument("--threads", type=int, default=int(os.environ.get("JICENG_THREADS", "1")))
        parser.add_argument("--timeout", type=int, default=60)
        parser.add_argument("--max-requests", type=int, default=2000)
        parser.add_argument("--access-log", default="-", help="a file, '-' for standard output, '' for none")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        call_command("check", deploy=settings.PRODUCTION, fail_level="ERROR")
        workers = options["workers"] or default_workers()
        if workers < 1 or options["threads"] < 1 or options["timeout"] < 1:
            raise CommandError("--workers, --threads and --timeout must be at least 1")
        config = gunicorn_options(
            bind=options["bind"],
            workers=workers,
            threads=options["threads"],
            timeout=options["timeout"],
            access_log=options["access_log"],
            max_requests=options["max_requests"],
        )
        if not (settings.STATIC_ROOT and os.path.isdir(settings.STATIC_ROOT)):
            self.stderr.write(
                f"jiceng serve: no static files at {settings.STATIC_ROOT}: run `jiceng collectstatic`"
            )

        from jiceng.wsgi import application

        class Server(BaseApplication):
            def load_config(self) -> None:
                for key, value in config.items():
                    if key in self.cfg.settings:  # a setting of a newer gunicorn is skipped on an older
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        self.stdout.write(
            f"jiceng serve: {workers} workers × {options['threads']} threads on {options['bind']}"
        )
        Server().run()
