"""Import jobs under attack (issue 11): the bad-rows download audited (item 9), a job whose worker died
(item 5), hostile file names and concurrent imports (item 7)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jiceng.core.models import ObjectChange
from jiceng.roster.models import ImportJob

from .helpers import MEMBER_HEADERS, member, write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.urls("jiceng.roster.tests.urls")]


def upload(client, tmp_path, rows, name="members.csv"):
    path = write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS)
    response = client.post(reverse("roster:import"), {"files": [SimpleUploadedFile(name, path.read_bytes())]})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(uuid=response.url.rstrip("/").split("/")[-1])


def test_the_bad_rows_download_is_audited_like_an_export(world, client_for, tmp_path):
    """The workbook holds the uploaded rows in full (identity numbers included): every download leaves a
    change record, as every export does."""
    client = client_for(world.county_admin)
    job = upload(client, tmp_path, [member("甲", 1, "0101", 性别="未知")])
    assert job.status == ImportJob.Status.INVALID
    before = ObjectChange.objects.filter(action=ObjectChange.Action.EXPORT).count()
    response = client.get(reverse("roster:bad_rows", args=[job.uuid]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    record = ObjectChange.objects.filter(action=ObjectChange.Action.EXPORT).order_by("-id").first()
    assert ObjectChange.objects.filter(action=ObjectChange.Action.EXPORT).count() == before + 1
    assert record.user == world.county_admin
    assert record.object_id == job.pk and record.postchange_data["bad_rows"] is True
    assert "错误行" in record.message


# Item 5: a worker that dies -------------------------------------------------------------------------


def _kill_worker_mid_run(job, seconds_ago):
    """What a worker killed mid-import leaves: the job running, its heartbeat old."""
    import os
    import time

    from django.utils import timezone

    job.heartbeat_path.touch()
    old = time.time() - seconds_ago
    os.utime(job.heartbeat_path, (old, old))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now())
    job.refresh_from_db()


def test_a_job_whose_worker_died_is_marked_failed_and_can_be_checked_again_or_discarded(
    world, client_for, tmp_path, settings
):
    """The attack: the worker killed at 50 % left "正在导入 50%" forever, confirm and discard refused.
    Its page (or the next task, or ``jiceng imports --sweep``) now sees the heartbeat stopped."""
    settings.IMPORT_STALE_SECONDS = 60
    client = client_for(world.county_admin)
    job = upload(client, tmp_path, [member("甲", 1, "0101")])
    assert job.status == ImportJob.Status.VALID
    _kill_worker_mid_run(job, seconds_ago=30)
    page = client.get(reverse("roster:job", args=[job.uuid])).content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING  # 30 s without a beat: still alive

    _kill_worker_mid_run(job, seconds_ago=61)
    poll = client.get(reverse("roster:progress", args=[job.uuid]))
    assert poll.status_code == 204 and poll["HX-Refresh"] == "true"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "意外终止" in job.failure
    page = client.get(reverse("roster:job", args=[job.uuid])).content.decode()
    assert "重新校验" in page and "意外终止" in page

    client.post(reverse("roster:retry", args=[job.uuid]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALID  # checked again (tasks run at once in the tests)

    _kill_worker_mid_run(job, seconds_ago=61)
    from django.core.management import call_command

    call_command("imports", "--sweep")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    response = client.post(reverse("roster:discard", args=[job.uuid]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DISCARDED and not job.directory.exists()


def test_a_job_waiting_for_a_worker_is_not_taken_for_dead(world, tmp_path, settings):
    from jiceng.roster import services

    settings.IMPORT_STALE_SECONDS = 1
    job = ImportJob.objects.create(created_by=world.county_admin, status=ImportJob.Status.CHECKING)
    ImportJob.objects.filter(pk=job.pk).update(created_at=job.created_at.replace(year=2020))
    assert services.recover_stale_jobs() == 0


def test_the_worker_beats_while_it_runs(world, settings):
    import time

    from jiceng.roster import services

    settings.IMPORT_HEARTBEAT_SECONDS = 0.05
    job = ImportJob.objects.create(created_by=world.county_admin, status=ImportJob.Status.CHECKING)
    with services._Heartbeat(job):
        first = job.heartbeat_path.stat().st_mtime_ns
        time.sleep(0.3)
        assert job.heartbeat_path.stat().st_mtime_ns > first


def test_files_of_old_jobs_are_deleted_after_the_retention_period(world, client_for, tmp_path, settings):
    import datetime as dt

    from django.utils import timezone

    from jiceng.roster import services

    settings.IMPORT_RETENTION_DAYS = 7
    client = client_for(world.county_admin)
    old_valid = upload(client, tmp_path, [member("甲", 1, "0101")])
    old_failed = upload(client, tmp_path, [member("乙", 2, "0101")])
    young = upload(client, tmp_path, [member("丙", 3, "0101")])
    eight_days = timezone.now() - dt.timedelta(days=8)
    ImportJob.objects.filter(pk=old_valid.pk).update(checked_at=eight_days)
    ImportJob.objects.filter(pk=old_failed.pk).update(status=ImportJob.Status.FAILED, finished_at=eight_days)
    assert services.purge_old_jobs() == 2
    for job in (old_valid, old_failed, young):
        job.refresh_from_db()
    assert not old_valid.directory.exists() and old_valid.status == ImportJob.Status.DISCARDED
    assert not old_failed.directory.exists() and old_failed.status == ImportJob.Status.FAILED
    assert young.directory.exists() and young.status == ImportJob.Status.VALID
    assert services.purge_old_jobs() == 0


READER_SCRIPT = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
django.setup()
from pathlib import Path
from jiceng.roster import parallel, readers

source = readers.Source(path=Path(sys.argv[1]), display="m.csv", kind="csv", headers=["a"], encoding="utf-8")

def read_batch(rows):
    time.sleep(120)  # a reading process busy for minutes

reader = parallel.Reader(source, read_batch, [], lambda: None).start()
print(reader._child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="reads /proc")
def test_the_reading_process_dies_with_its_worker(tmp_path):
    """The attack: the worker killed with ``kill -9``, its forked reading process lived on for 4.5
    minutes holding the worker's database connection (and so the import's transaction and locks)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    data = tmp_path / "m.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    worker = subprocess.Popen(
        [sys.executable, "-c", READER_SCRIPT, str(data)], stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(worker.stdout.readline())
        assert _alive(child)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        if worker.poll() is None:
            worker.kill()


# Item 7: hostile names, concurrent imports --------------------------------------------------------------


def test_a_file_name_of_150_chinese_characters_is_stored_and_checked(world, client_for, tmp_path):
    """The attack: a 150-character name (450 bytes, over the file system's 255) answered 500 and left
    the job "checking". The stored name is cut by bytes, the shown one kept."""
    name = "党" * 150 + ".csv"
    job = upload(client_for(world.county_admin), tmp_path, [member("甲", 1, "0101")], name=name)
    assert job.status == ImportJob.Status.VALID
    assert job.files[0]["name"] == name
    assert len(job.files[0]["path"].encode()) <= 120 and job.files[0]["path"].endswith(".csv")


def test_an_upload_that_cannot_be_stored_leaves_no_job(world, client_for, tmp_path, monkeypatch):
    import builtins

    real_open = builtins.open

    def refusing_open(path, mode="r", *args, **kwargs):
        if "w" in mode and "imports" in str(path):
            raise OSError(36, "File name too long")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    path = write_csv(tmp_path / "members.csv", [member("甲", 1, "0101")], MEMBER_HEADERS)
    client = client_for(world.county_admin)
    response = client.post(
        reverse("roster:import"), {"files": [SimpleUploadedFile("members.csv", path.read_bytes())]}
    )
    assert response.status_code == 200 and "无法保存上传的文件" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_second_import_while_one_runs_is_told_so(world, tmp_path, monkeypatch):
    """The attack: two imports of the same organizations at once, the second died on a raw duplicate
    key. It now gets "另一导入正在进行", nothing written."""
    from django.db import OperationalError

    from jiceng.roster import importer
    from jiceng.roster.importer import InputFile, run_import

    path = write_csv(tmp_path / "members.csv", [member("甲新", 1, "0101")], MEMBER_HEADERS)

    def busy():
        raise importer.ImportBusy from OperationalError("database is locked")

    monkeypatch.setattr(importer, "take_import_lock", busy)
    result = run_import(actor=None, files=[InputFile(path, "members.csv")])
    assert [p.code for p in result.problems] == ["import_running"]
    assert "另一导入正在进行" in result.problems[0].message
    from jiceng.members.models import Member

    assert not Member.objects.filter(name="甲新").exists()
    # A check alone takes no lock: it writes nothing.
    assert run_import(actor=None, files=[InputFile(path, "members.csv")], check_only=True).ok


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_import_lock_is_held_by_one_transaction_at_a_time(world, tmp_path):
    """PostgreSQL: the advisory lock taken by another connection refuses a second writing import
    without waiting. SQLite: the write lock of another connection (within the timeout)."""
    import psycopg
    from django.db import connection, connections

    from jiceng.roster import importer

    params = connection.get_connection_params()
    other = psycopg.connect(
        **{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port", "password")}
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [importer.IMPORT_LOCK_KEY])
        path = write_csv(tmp_path / "members.csv", [member("甲新", 1, "0101")], MEMBER_HEADERS)
        result = importer.run_import(actor=None, files=[importer.InputFile(path, "members.csv")])
        assert [p.code for p in result.problems] == ["import_running"]
    finally:
        other.close()
        connections.close_all()
