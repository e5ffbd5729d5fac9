"""The production server under load, over HTTP: `jiceng serve` (gunicorn, production mode, PostgreSQL)
driven by a bounded load generator of N signed-in sessions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench python bench/bench_http.py var/data/county
    python bench/bench_http.py var/data/county --sessions 50 --duration 30 --workers 5 --threads 1

Steps:

1. The database: when it holds no organization, it is made (``jiceng migrate``) and the dataset is
   loaded (``jiceng import orgs.csv members.csv``, then the meetings by ``load_province.py``).
2. The bench users (``bench_http_fixture``, a bench fixture written straight into the database): N
   accounts spread over branch secretaries (60 %), street (the branches' parents, 30 %) and county
   (their grandparents, 10 %) organization admins, each with a confirmed TOTP device, since production
   mode asks the code of every account that may change data; the health check's stored results of
   their organizations are evaluated beforehand, as the background worker would have.
3. ``jiceng collectstatic`` and ``jiceng serve`` on a free port with throwaway strong keys
   (``JICENG_ENV=production``: secret key, field key, allowed hosts), the access log off.
4. Each session signs in through the login page (password and TOTP code, as a browser does), then,
   for ``--warmup`` seconds unmeasured and ``--duration`` seconds measured, requests one after the
   other its organization's page, its member list, ``/api/v1/members/``, ``/api/v1/orgs/`` and its
   health-check page (体检), in a random rotation. ``X-Forwarded-Proto: https`` stands for the TLS
   proxy in front (the shipped nginx site sets it). The client is a small asyncio HTTP/1.1 client
   (keep-alive when the server keeps the connection; gunicorn's sync workers close it).
5. Requests/s, p50/p95/p99 (overall and per kind), errors (anything but 200), and the CPU spent: the
   server's processes, the database's backends, the client, the whole machine, per request, beside
   the load average. Written to ``bench/results/http-<scale>.json`` and printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import math
import os
import random
import re
import resource
import secrets
import socket
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = ROOT / ".venv" / "bin"
PY = str(BIN / "python") if (BIN / "python").exists() else sys.executable
TARGET = {"requests_per_s": 300, "p95_ms": 300, "errors": 0}
KINDS = ("org", "members", "api_members", "api_orgs", "health")
TICKS = os.sysconf("SC_CLK_TCK")


def jiceng() -> list[str]:
    return [str(BIN / "jiceng")] if (BIN / "jiceng").exists() else [sys.executable, "-m", "jiceng"]


VAR = ROOT / "var" / "bench-http"


def field_key() -> str:
    """The bench database's field key: kept in var/bench-http/ so that a database loaded by an earlier
    run is read with the key it was written with (64 random base64 characters: production's check of
    the key's entropy accepts it)."""
    if os.environ.get("JICENG_FIELD_KEY"):
        return os.environ["JICENG_FIELD_KEY"]
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / "field.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def server_env(url: str) -> dict[str, str]:
    """Production mode with strong throwaway keys (settings.py and `check --deploy` refuse weak ones)."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "JICENG_ENV": "production",
        "JICENG_SECRET_KEY": secrets.token_urlsafe(50),
        "JICENG_FIELD_KEY": field_key(),
        "JICENG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "JICENG_VAR_DIR": str(VAR),
        "JICENG_LOG_LEVEL": "ERROR",
    }


def ensure_database(url: str, data: Path, env: dict[str, str]) -> dict:
    """The dataset in the database: made and loaded when it holds no organization."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('orgs_organization')").fetchone()[0]
        loaded = exists and conn.execute("SELECT EXISTS (SELECT 1 FROM orgs_organization)").fetchone()[0]
    if loaded:
        return {"loaded": "already"}
    print(f"== loading {data} into {name}", flush=True)
    t0 = time.perf_counter()
    subprocess.run([*jiceng(), "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*jiceng(), "import", str(data / "orgs.csv"), str(data / "members.csv")],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [PY, "bench/load_province.py", str(data), "--only-meetings"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return {"loaded": "now", "seconds": round(time.perf_counter() - t0, 1)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# TOTP (RFC 6238), as the authenticator app computes it ------------------------------------------------


def totp(key_hex: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


# A small HTTP/1.1 client --------------------------------------------------------------------------------


class HTTPError(Exception):
    pass


class Session:
    """One signed-in browser: its cookies and (when the server keeps it) its connection."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "X-Forwarded-Proto: https",
            "Accept-Encoding: identity",
            "Connection: keep-alive",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        got: dict[str, str] = {}
        for line in header_lines:
            k, _, v = line.partition(":")
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if value and "max-age=0" not in v.lower():
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
            got[k] = v
        if "content-length" in got:
            data = await self.reader.readexactly(int(got["content-length"]))
        elif got.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            data = b"".join(p[:-2] for p in parts)
        else:
            data = await self.reader.read()
            got["connection"] = "close"
        if got.get("connection", "").lower() == "close":
            await self.close()
        return status, got, data

    async def sign_in(self, username: str, password: str, totp_key: str) -> None:
        status, _h, page = await self.request("GET", "/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise HTTPError(f"login page: {status}")
        form = urlencode(
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "username": username,
                "password": password,
                "otp_token": totp(totp_key),
            }
        ).encode()
        status, headers, _ = await self.request(
            "POST",
            "/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://{self.host}:{self.port}/login/",
            },
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise HTTPError(f"sign-in of {username}: {status} {headers.get('location', '')}")


def urls_for(user: dict) -> dict[str, str]:
    code = user["org"]
    return {
        "org": f"/orgs/{code}/",
        "members": f"/members/?org={code}",
        "api_members": "/api/v1/members/",
        "api_orgs": "/api/v1/orgs/",
        "health": f"/reports/{code}/",
    }


async def drive(
    port: int, users: list[dict], *, warmup: float, duration: float, cpu: CPU, seed: int = 1
) -> tuple[dict[str, list[float]], dict[str, int], float, dict]:
    sessions = [Session("127.0.0.1", port) for _ in users]
    # Sign in a few at a time: each sign-in hashes a password (Argon2) on purpose.
    sem = asyncio.Semaphore(4)

    async def sign_in(s: Session, u: dict) -> None:
        async with sem:
            await s.sign_in(u["username"], u["password"], u["totp_key"])

    await asyncio.gather(*(sign_in(s, u) for s, u in zip(sessions, users, strict=True)))
    latencies: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from, stop_at = start + warmup, start + warmup + duration

    async def run(i: int, s: Session, u: dict) -> None:
        rng = random.Random(seed + i)
        urls = urls_for(u)
        order = list(KINDS)
        while True:
            rng.shuffle(order)
            for kind in order:
                t0 = loop.time()
                if t0 >= stop_at:
                    return
                try:
                    status, _h, _b = await s.request("GET", urls[kind])
                    ok = status == 200
                    what = f"{kind}:{status}"
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
                    ok, what = False, f"{kind}:{type(e).__name__}"
                    await s.close()
                t1 = loop.time()
                if t0 >= measure_from and t1 <= stop_at:
                    if ok:
                        latencies[kind].append(t1 - t0)
                    else:
                        errors[what] = errors.get(what, 0) + 1

    window: list[dict] = []

    async def sample() -> None:  # the CPU spent inside the measured window
        await asyncio.sleep(measure_from - loop.time())
        window.append(cpu.sample())
        await asyncio.sleep(stop_at - loop.time())
        window.append(cpu.sample())

    await asyncio.gather(
        sample(), *(run(i, s, u) for i, (s, u) in enumerate(zip(sessions, users, strict=True)))
    )
    for s in sessions:
        await s.close()
    return latencies, errors, duration, CPU.spent(*window)


# CPU accounting ------------------------------------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(entry.name))
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def db_backends(url: str) -> list[int]:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
            ).fetchall()
    except psycopg.Error:
        return []
    return [r[0] for r in rows]


class CPU:
    """CPU seconds spent by the server (master and workers), the database backends of the bench
    database (those alive at both ends: persistent connections), the client, and the machine."""

    def __init__(self, server_pid: int, url: str) -> None:
        self.server_pid, self.url = server_pid, url

    def sample(self) -> dict:
        pids = [self.server_pid, *children(self.server_pid)]
        backends = db_backends(self.url)
        me = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = machine_busy()
        return {
            "server": {p: proc_cpu(p) for p in pids},
            "db": {p: proc_cpu(p) for p in backends},
            "client": me.ru_utime + me.ru_stime,
            "machine_busy": busy,
            "machine_total": total,
        }

    @staticmethod
    def spent(a: dict, b: dict) -> dict:
        def diff(key: str) -> float:
            return sum(b[key][p] - a[key].get(p, 0.0) for p in b[key])

        return {
            "server_s": round(diff("server"), 2),
            "server_processes": len(b["server"]),
            "db_s": round(diff("db"), 2),
            "db_backends": len(b["db"]),
            "client_s": round(b["client"] - a["client"], 2),
            "machine_busy_s": round(b["machine_busy"] - a["machine_busy"], 2),
            "machine_capacity_s": round(b["machine_total"] - a["machine_total"], 2),
        }


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)  # nearest rank: the smallest value with at least p % of them at or below it
    k = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
    return round(ordered[k] * 1000, 1)


def summarize(latencies: dict[str, list[float]], errors: dict[str, int], duration: float) -> dict:
    every = [v for vs in latencies.values() for v in vs]
    out = {
        "requests": len(every),
        "requests_per_s": round(len(every) / duration, 1),
        "p50_ms": pct(every, 50),
        "p95_ms": pct(every, 95),
        "p99_ms": pct(every, 99),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "by_kind": {},
    }
    for kind, vs in latencies.items():
        out["by_kind"][kind] = {
            "requests": len(vs),
            "p50_ms": pct(vs, 50),
            "p95_ms": pct(vs, 95),
            "p99_ms": pct(vs, 99),
            "mean_ms": round(statistics.fmean(vs) * 1000, 1) if vs else None,
        }
    return out


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"jiceng serve stopped (exit {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if b" 200 " in s.recv(64):
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit("jiceng serve did not answer")


@contextlib.contextmanager
def serving(env: dict[str, str], *, workers: int = 0, threads: int = 0) -> Iterator[tuple[int, str, int]]:
    """``jiceng serve`` (gunicorn, production settings from ``env``) on a free port of 127.0.0.1: yields
    (port, its banner line, the master's pid) once it answers; stopped (terminated, killed after 30 s)
    on leaving."""
    port = free_port()
    command = [*jiceng(), "serve", "--bind", f"127.0.0.1:{port}", "--access-log", ""]
    if workers:
        command += ["--workers", str(workers)]
    if threads:
        command += ["--threads", str(threads)]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        wait_ready(port, server)
        banner = ""
        while server.stdout and not banner.startswith("jiceng serve:"):
            banner = server.stdout.readline().strip()
        yield port, banner, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiceng_bench"),
    )
    ap.add_argument("--sessions", type=int, default=int(os.environ.get("BENCH_HTTP_SESSIONS", "50")))
    ap.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_HTTP_SECONDS", "30")))
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_HTTP_WORKERS", "0")) or None)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_HTTP_THREADS", "0")) or None)
    ap.add_argument("--label", default="", help="a suffix for the result file (http-<scale>[-label].json)")
    args = ap.parse_args()
    url = args.database_url
    if not urlparse(url).scheme.startswith("postgres"):
        sys.exit("the HTTP benchmark runs on PostgreSQL (set --database-url or DATABASE_URL)")
    env = server_env(url)
    manifest = json.loads((args.dataset / "manifest.json").read_text())
    loaded = ensure_database(url, args.dataset, env)
    subprocess.run([*jiceng(), "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    fixture = subprocess.run(
        [PY, "bench/bench_http_fixture.py", str(args.sessions)],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    users = json.loads(fixture.stdout.strip().splitlines()[-1])
    subprocess.run([*jiceng(), "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    with serving(env, workers=args.workers, threads=args.threads) as (port, banner, pid):
        cpu = CPU(pid, url)
        load_before = os.getloadavg()
        latencies, errors, duration, spent = asyncio.run(
            drive(port, users, warmup=args.warmup, duration=args.duration, cpu=cpu)
        )
        load_after = os.getloadavg()
    result = summarize(latencies, errors, duration)
    n = max(result["requests"], 1)
    per_request = {
        "server_ms": round(spent["server_s"] * 1000 / n, 2),
        "db_ms": round(spent["db_s"] * 1000 / n, 2),
        "client_ms": round(spent["client_s"] * 1000 / n, 2),
        "machine_ms": round(spent["machine_busy_s"] * 1000 / n, 2),
    }
    out = {
        "scale": manifest.get("scale"),
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "server": banner,
        "sessions": args.sessions,
        "sessions_by_level": {
            lvl: sum(1 for u in users if u["level"] == lvl) for lvl in ("branch", "street", "county")
        },
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "database": loaded,
        **result,
        "cpu_seconds": spent,
        "cpu_per_request": per_request,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "target": TARGET,
        "met": bool(
            result["requests_per_s"] >= TARGET["requests_per_s"]
            and (result["p95_ms"] or 1e9) < TARGET["p95_ms"]
            and result["errors"] == 0
        ),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"http-{out['scale']}{'-' + args.label if args.label else ''}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False))
    if result["errors"]:
        print(f"bench_http: {result['errors']} requests failed: {errors}", file=sys.stderr)


if __name__ == "__main__":
    main()
