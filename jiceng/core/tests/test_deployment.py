"""The production server: health endpoints, the worker's heartbeat, `jiceng serve` end to end, and the
shipped systemd units and nginx site checked by the tools themselves."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiceng.core.management.commands import serve, worker
from jiceng.core.models import WorkerBeat

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
JICENG = Path(sys.executable).parent / "jiceng"
IN_CI = os.environ.get("CI") == "true"


def _tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
    if found is None:
        if IN_CI:
            pytest.fail(f"{name} is needed under CI (.ci/run installs it)")
        pytest.skip(f"{name} is not installed")
    return found


# Health endpoints ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_liveness_answers_without_database_session_or_host_check(client, settings) -> None:  # noqa: ANN001
    settings.ALLOWED_HOSTS = ["jiceng.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")  # a balancer probing by address
    assert response.status_code == 200 and response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_readiness_needs_a_worker_that_beat_recently(client, settings) -> None:  # noqa: ANN001
    settings.JICENG_WORKER_STALE_SECONDS = 60
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "database": "ok", "worker": "never seen"}

    now = timezone.now()
    beat = WorkerBeat.objects.create(worker_id="w1", host="h", pid=1, started_at=now, beat_at=now)
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["ready"] is True and response.json()["worker"] == "ok"

    beat.beat_at = now - dt.timedelta(seconds=61)
    beat.save()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["worker"] == "silent"


@pytest.mark.django_db
def test_health_paths_take_only_reads(client) -> None:  # noqa: ANN001
    assert client.post("/healthz").status_code == 405
    assert client.put("/readyz").status_code == 405


@pytest.mark.django_db
def test_readiness_reports_an_unavailable_database(client, monkeypatch) -> None:  # noqa: ANN001
    from django.db import OperationalError

    from jiceng.core import health

    def refuse():  # noqa: ANN202
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "database": "unavailable", "worker": "unknown"}


# The worker's heartbeat ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_heartbeat_records_and_refreshes_the_worker() -> None:
    beat = worker.Heartbeat("abc")
    beat.beat()
    first = WorkerBeat.objects.get(worker_id="abc")
    assert first.pid == os.getpid()
    beat.beat()
    assert WorkerBeat.objects.count() == 1
    assert WorkerBeat.objects.get(worker_id="abc").beat_at >= first.beat_at


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_stops_removes_its_beat(settings, monkeypatch) -> None:  # noqa: ANN001
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    beaten = []
    original = worker.Heartbeat.beat

    def spy(self: worker.Heartbeat) -> None:
        original(self)
        beaten.append(WorkerBeat.objects.filter(worker_id=self.worker_id).exists())

    monkeypatch.setattr(worker.Heartbeat, "beat", spy)
    call_command("worker", batch=True, reload=False, worker_id="batch1", verbosity=0)
    assert beaten and beaten[0] is True  # it beat while it ran
    assert not WorkerBeat.objects.filter(worker_id="batch1").exists()


# gunicorn --------------------------------------------------------------------------------------------


def test_gunicorn_options_follow_the_settings(settings) -> None:  # noqa: ANN001
    settings.TRUSTED_PROXIES = ["10.0.0.5", "10.0.0.6"]
    options = serve.gunicorn_options(
        bind="127.0.0.1:9", workers=3, threads=1, timeout=60, access_log="-", max_requests=2000
    )
    assert options["forwarded_allow_ips"] == "10.0.0.5,10.0.0.6"
    assert options["worker_class"] == "sync" and options["workers"] == 3
    assert (
        serve.gunicorn_options(bind="x", workers=1, threads=4, timeout=1, access_log="", max_requests=0)[
            "worker_class"
        ]
        == "gthread"
    )
    assert serve.default_workers() == 2 * (os.cpu_count() or 1) + 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 (loopback only)
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _wait(url: str, want: int, seconds: float = 30) -> tuple[int, bytes]:
    deadline = time.monotonic() + seconds
    got: tuple[int, bytes] = (0, b"")
    while time.monotonic() < deadline:
        try:
            got = _get(url)
        except OSError:
            got = (0, b"")
        if got[0] == want:
            return got
        time.sleep(0.3)
    return got


@pytest.mark.sqlite_pass
def test_serve_and_worker_end_to_end(tmp_path: Path) -> None:
    """`jiceng serve` answers through gunicorn; /readyz turns ready when `jiceng worker` runs and not
    ready again when it stops."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JICENG_VAR_DIR=str(tmp_path), JICENG_DEBUG="0", JICENG_WORKER_STALE_SECONDS="60")
    subprocess.run([str(JICENG), "migrate", "-v0"], env=env, check=True, timeout=240)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(JICENG), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-log", ""],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    background = None
    try:
        assert _wait(f"{base}/healthz", 200) == (200, b"ok\n")
        status, body = _get(f"{base}/readyz")
        assert status == 503 and b"never seen" in body
        assert _get(f"{base}/login/")[0] == 200
        background = subprocess.Popen(
            [str(JICENG), "worker", "--no-reload", "--interval", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert _wait(f"{base}/readyz", 200)[0] == 200
        background.send_signal(signal.SIGTERM)  # a graceful stop says so at once
        background.wait(timeout=30)
        assert _wait(f"{base}/readyz", 503)[0] == 503
    finally:
        for process in (background, server):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


# The shipped configuration, checked by the tools --------------------------------------------------------


@pytest.mark.parametrize(
    "unit", ["jiceng-web.service", "jiceng-worker.service", "jiceng-daily.service", "jiceng-daily.timer"]
)
def test_systemd_units_verify(unit: str, tmp_path: Path) -> None:
    tool = _tool("systemd-analyze")
    text = (DEPLOY / "systemd" / unit).read_text()
    env_file = tmp_path / "jiceng.env"
    env_file.write_text((DEPLOY / "jiceng.env.example").read_text())
    text = (
        text.replace("/opt/jiceng/.venv/bin/jiceng", str(JICENG))
        .replace("/opt/jiceng", str(ROOT))
        .replace("/etc/jiceng/jiceng.env", str(env_file))
        .replace("/var/lib/jiceng", str(tmp_path))
    )
    (tmp_path / unit).write_text(text)
    done = subprocess.run([tool, "verify", str(tmp_path / unit)], capture_output=True, text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines() if unit in line or "Unknown" in line]
    assert done.returncode == 0 and not problems, done.stderr


def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    tool = _tool("nginx")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jiceng.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    site = (DEPLOY / "nginx" / "jiceng.conf").read_text().replace("/etc/jiceng/tls", str(tmp_path))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path};\n"
        f" include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [
            tool,
            "-t",
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr
