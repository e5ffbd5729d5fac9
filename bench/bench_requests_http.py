"""Residents' intake over HTTP on the production server (issue 14's target: ≥ 200 requests/s on 2 cores).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench python bench/bench_requests_http.py \
        --sessions 20 --duration 30

Needs a database with a dataset loaded (``bench/run.py`` or ``bench/load_province.py`` make one; the
generated requests of ``bench_requests.py BENCH_KEEP=1`` may be there too: the intake then runs against
a year of requests and their maintained figures). Steps: ``jiceng migrate``, ``collectstatic``, then
``jiceng serve`` (gunicorn, production mode, the same throwaway keys as ``bench_http.py``). N residents
(sessions, default 20) each open a community's public intake page once (``/requests/new/<code>/``: the
CSRF cookie and token, the categories), then post the form (category, text, place, name, phone, an empty
honeypot ``website``, the CSRF token and a ``Referer``, as a browser does) one after the other, to random
communities, for ``--warmup`` seconds unmeasured and ``--duration`` seconds measured. Each post comes
from a random address of 100.64.0.0/10 in ``X-Forwarded-For``, the client standing for the TLS proxy in
front (``JICENG_TRUSTED_PROXIES=127.0.0.1``), so the per-address limits stay at their defaults (10 an
hour, the question after 2); ``--one-address`` posts everything from 127.0.0.1 with the limits raised
through their settings (``JICENG_SERVICE_INTAKE_LIMIT``, ``JICENG_SERVICE_INTAKE_CAPTCHA_AFTER``;
nothing is switched off in code). A post answered 302 (to the tracking page, not followed) is a
success; anything else an error. The confirmation (the ``messages`` cookie the tracking page would show
and clear) is dropped after each post, as the browser's visit to that page would.

Prints one JSON object (and writes ``bench/results/requests-http-<scale>.json``): ``intake_http_per_s``,
p50/p95/p99, errors, the CPU seconds of the server's processes, the database's backends, the client
and the whole machine (per request too), and the load average before and after. The posted requests
(text "bench-http:") are deleted at the end and the figures rebuilt.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import (  # noqa: E402
    CPU,
    RESULTS,
    ROOT,
    HTTPError,
    Session,
    jiceng,
    server_env,
    serving,
    summarize,
)

TARGET_PER_S = 200
MARK = "bench-http:"


def communities(url: str, n: int = 500) -> tuple[list[str], str]:
    import psycopg

    with psycopg.connect(url) as conn:
        codes = [
            r[0]
            for r in conn.execute(
                "SELECT code FROM orgs_organization WHERE unit_kind IN ('community', 'village')"
                " ORDER BY md5(code) LIMIT %s",
                [n],
            ).fetchall()
        ]
        scale = conn.execute("SELECT count(*) FROM orgs_organization").fetchone()[0]
    if not codes:
        sys.exit("no communities or villages: load a dataset first")
    return codes, f"{scale} organizations"


async def resident(
    port: int,
    codes: list[str],
    rng: random.Random,
    stop_warm: float,
    stop: float,
    latencies: list,
    errors: dict,
    one_address: bool,
) -> None:
    session = Session("127.0.0.1", port)
    status, _h, page = await session.request("GET", f"/requests/new/{codes[0]}/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    categories = re.findall(rb'<option value="(\d+)"', page)
    if status != 200 or not token or not categories:
        raise HTTPError(f"intake page: {status}")
    csrf = token.group(1).decode()
    cats = [c.decode() for c in categories]
    i = 0
    while (now := time.monotonic()) < stop:
        code = rng.choice(codes)
        i += 1
        form = urlencode(
            {
                "csrfmiddlewaretoken": csrf,
                "category": rng.choice(cats),
                "text": f"{MARK} 小区路灯不亮，晚上出行不便 {i}",
                "address": "3号楼旁",
                "name": "李女士",
                "phone": f"139{rng.randrange(10**8):08d}",
                "website": "",
            }
        ).encode()
        path = f"/requests/new/{code}/"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"https://127.0.0.1:{port}{path}",
        }
        if not one_address:  # a resident's own address, as the proxy in front passes it on
            headers["X-Forwarded-For"] = (
                f"100.{64 + rng.randrange(64)}.{rng.randrange(256)}.{rng.randrange(256)}"
            )
        t0 = time.perf_counter()
        status, _h, _body = await session.request("POST", path, form, headers)
        elapsed = time.perf_counter() - t0
        # A browser follows the 302 to the tracking page, which shows the confirmation and clears it;
        # kept unread, the confirmations would pile up in the cookie and then spill into a session row
        # written on every post, a cost no resident causes.
        session.cookies.pop("messages", None)
        if now < stop_warm:
            continue
        if status == 302:
            latencies.append(elapsed)
        else:
            errors[str(status)] = errors.get(str(status), 0) + 1
    await session.close()


async def drive(  # noqa: ANN201
    port: int, codes: list[str], sessions: int, warmup: float, duration: float, cpu: CPU, one_address: bool
):
    latencies: list[float] = []
    errors: dict[str, int] = {}
    start = time.monotonic()
    stop_warm = start + warmup
    stop = stop_warm + duration
    first = None

    async def sampler() -> None:
        nonlocal first
        await asyncio.sleep(max(0.0, stop_warm - time.monotonic()))
        first = cpu.sample()

    tasks = [
        resident(port, codes, random.Random(k), stop_warm, stop, latencies, errors, one_address)
        for k in range(sessions)
    ]
    await asyncio.gather(sampler(), *tasks)
    last = cpu.sample()
    return {"intake": latencies}, errors, duration, CPU.spent(first, last)


def clean(url: str, env: dict[str, str]) -> None:
    """Delete the posted requests, their events and change records; rebuild the figures."""
    script = (
        "from django.contrib.contenttypes.models import ContentType\n"
        "from jiceng.core.models import ObjectChange\n"
        "from jiceng.services import figures\n"
        "from jiceng.services.models import Event, ServiceRequest\n"
        f"qs = ServiceRequest.objects.filter(text__startswith={MARK!r})\n"
        "ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(ServiceRequest),"
        " object_id__in=qs.values('pk')).delete()\n"
        "Event.objects.filter(request__in=qs.values('pk')).delete()\n"
        "qs.delete()\n"
        "figures.rebuild()\n"
    )
    subprocess.run([*jiceng(), "shell", "-c", script], env=env, check=True, cwd=ROOT)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--scale", default=os.environ.get("BENCH_SCALE", ""))
    ap.add_argument("--keep", action="store_true", help="leave the posted requests")
    ap.add_argument(
        "--one-address",
        action="store_true",
        help="every post from 127.0.0.1, the per-address limits raised by their settings",
    )
    args = ap.parse_args()
    url = args.database_url
    if not urlparse(url).scheme.startswith("postgres"):
        sys.exit("the HTTP benchmark runs on PostgreSQL (set --database-url or DATABASE_URL)")
    env = server_env(url)
    env["JICENG_TRUSTED_PROXIES"] = "127.0.0.1"  # the load client stands for nginx in front
    if args.one_address:
        env["JICENG_SERVICE_INTAKE_LIMIT"] = "100000000"
        env["JICENG_SERVICE_INTAKE_CAPTCHA_AFTER"] = "100000000"
    codes, dataset = communities(url)
    subprocess.run([*jiceng(), "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*jiceng(), "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    with serving(env, workers=args.workers, threads=args.threads) as (port, banner, pid):
        cpu = CPU(pid, url)
        load_before = os.getloadavg()
        latencies, errors, duration, spent = asyncio.run(
            drive(port, codes, args.sessions, args.warmup, args.duration, cpu, args.one_address)
        )
        load_after = os.getloadavg()
    result = summarize(latencies, errors, duration)
    n = max(result["requests"], 1)
    out = {
        "db": "postgresql",
        "scale": args.scale,
        "dataset": dataset,
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "server": banner,
        "sessions": args.sessions,
        "addresses": "127.0.0.1, limits raised"
        if args.one_address
        else "a random one per post, default limits",
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "intake_http_per_s": result["requests_per_s"],
        **{k: result[k] for k in ("requests", "p50_ms", "p95_ms", "p99_ms", "errors", "error_kinds")},
        "cpu_seconds": spent,
        "cpu_per_request": {
            "server_ms": round(spent["server_s"] * 1000 / n, 2),
            "db_ms": round(spent["db_s"] * 1000 / n, 2),
            "client_ms": round(spent["client_s"] * 1000 / n, 2),
            "machine_ms": round(spent["machine_busy_s"] * 1000 / n, 2),
        },
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "target_per_s": TARGET_PER_S,
        "met": result["requests_per_s"] >= TARGET_PER_S and result["errors"] == 0,
    }
    if not args.keep:
        t0 = time.perf_counter()
        clean(url, env)
        out["clean_s"] = round(time.perf_counter() - t0, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.scale:
        path = RESULTS / f"requests-http-{args.scale}.json"
        path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
