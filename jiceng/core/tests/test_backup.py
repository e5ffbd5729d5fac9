"""jiceng backup: an archive of the database and the media files, never the keys; restore refuses
what it must and brings the data back exactly.

The round trips run the console command in a subprocess against a real database (a SQLite file under
tmp_path; a fresh PostgreSQL database created and dropped here), as an administrator would: the
test database of pytest-django lives in memory or inside a transaction, neither of which a backup
or a restore can work on.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from conftest import make_id
from jiceng.core import backup, crypto
from jiceng.core.models import ObjectChange

ROOT = Path(__file__).resolve().parents[3]
PG_BASE = os.environ.get("JICENG_TEST_PG", "postgres://postgres@127.0.0.1:5432")
IDS = [make_id(dt.date(1980, 5, 17), 1), make_id(dt.date(1975, 1, 2), 2), make_id(dt.date(1990, 12, 30), 3)]
NAMES = ["张伟", "王芳", "李娜"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))

SEED = """
import datetime as dt, json, os
from django.core.files.uploadedfile import SimpleUploadedFile
from jiceng.core.models import RoleAssignment, User
from jiceng.life import services as life
from jiceng.members import services as members
from jiceng.orgs import services as orgs

admin = User.objects.create_superuser("root", password="correct-horse-battery", full_name="系统管理员")
root = orgs.create_org(actor=admin, parent=None, code="01", name="东城街道党工委",
                       kind="working_committee", unit_kind="government")
RoleAssignment.objects.create(user=admin, org=root, role="org_admin")
branch = orgs.create_org(actor=admin, parent=root, code="0101", name="和平社区党支部",
                         kind="branch", unit_kind="community", founded_on=dt.date(2000, 3, 1))
people = [
    members.create_member(actor=admin, org=branch, id_number=number, name=name, gender="",
                          education="bachelor", category="employed", status="full",
                          joined_on=dt.date(2010, 7, 1), full_member_on=dt.date(2011, 7, 1))
    for number, name in zip(json.loads(os.environ["SEED_IDS"]), json.loads(os.environ["SEED_NAMES"]))
]
png = bytes.fromhex(os.environ["SEED_PNG"])
life.record_meeting(actor=admin, org=branch, kind="general_meeting", held_on=dt.date(2026, 1, 8),
                    topic="学习党章", attendance={p: "present" for p in people},
                    attachments=[SimpleUploadedFile("minutes.png", png, "image/png")])
"""

CHANGE = """
from pathlib import Path
from django.conf import settings
from jiceng.life.models import MeetingAttachment
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

Member.objects.filter(name="张伟").update(name="张伟伟")
Member.objects.filter(name="李娜").delete()
Organization.objects.filter(code="0101").update(name="改过的名字")
attachment = MeetingAttachment.objects.get()
Path(attachment.file.path).write_bytes(b"overwritten")
(Path(settings.MEDIA_ROOT) / "stray.txt").write_text("not in the backup")
"""

STATE = """
import hashlib, io, json
from pathlib import Path
from django.conf import settings
from django.core.management import call_command

out = io.StringIO()
call_command("dumpdata", stdout=out)
root = Path(settings.MEDIA_ROOT)
media = {
    p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
    for p in sorted(root.rglob("*")) if p.is_file()
} if root.exists() else {}
print(json.dumps({"data": json.loads(out.getvalue()), "media": media}))
"""


# -- helpers -----------------------------------------------------------------------------------------


def env_for(var_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("JICENG_") and k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return {
        **base,
        "JICENG_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "SEED_IDS": json.dumps(IDS),
        "SEED_NAMES": json.dumps(NAMES, ensure_ascii=False),
        "SEED_PNG": PNG.hex(),
        **extra,
    }


def jiceng(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jiceng", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ok(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    result = jiceng(args, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def state(env: dict[str, str]) -> dict[str, Any]:
    return json.loads(ok(["shell", "--no-imports", "-c", STATE], env).stdout.strip().splitlines()[-1])


def rows(data: list[dict[str, Any]]) -> set[str]:
    return {json.dumps(obj, sort_keys=True, ensure_ascii=False) for obj in data}


def assert_restored(before: dict[str, Any], after: dict[str, Any], archive: Path) -> None:
    """The data and the media files are the archive's, plus one change record of the restore (which
    raises the change stamp of changes placed outside the tree, as every audited change does)."""

    def unplaced_stamp(obj: dict[str, Any]) -> bool:
        return obj["model"] == "reports.changestamp" and obj["pk"] == ""

    def version(data: list[dict[str, Any]]) -> int:
        return next((o["fields"]["version"] for o in data if unplaced_stamp(o)), 0)

    assert after["media"] == before["media"]
    assert version(after["data"]) == version(before["data"]) + 1
    kept_before = [o for o in before["data"] if not unplaced_stamp(o)]
    kept_after = [o for o in after["data"] if not unplaced_stamp(o)]
    assert rows(kept_before) - rows(kept_after) == set()
    extra = [json.loads(r) for r in rows(kept_after) - rows(kept_before)]
    assert len(extra) == 1, extra
    assert extra[0]["model"] == "core.objectchange"
    assert extra[0]["fields"]["action"] == ObjectChange.Action.IMPORT
    assert archive.name in extra[0]["fields"]["message"]


def archive_of(result: subprocess.CompletedProcess, folder: Path) -> Path:
    archives = sorted(folder.glob("jiceng-backup-*.tar.gz"))
    assert len(archives) == 1, archives
    assert str(archives[0]) in result.stdout
    return archives[0]


def members_of(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def derived_keys(secret: str) -> list[bytes]:
    """The AES and HMAC keys crypto.py derives from the field key, to look for them in an archive."""
    material = HKDF(algorithm=hashes.SHA256(), length=64, salt=b"jiceng-field-v1", info=b"fields").derive(
        secret.encode()
    )
    return [material[:32], material[32:]]


def make_archive(path: Path, manifest: dict[str, Any], members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {backup.MANIFEST: json.dumps(manifest).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def manifest_for(engine: str, **overrides: Any) -> dict[str, Any]:
    data = b"not really a database"
    return {
        "format": backup.FORMAT,
        "application": "jiceng",
        "jiceng_version": "0.1.0",
        "engine": engine,
        "created_at": "2026-03-01T10:00:00+08:00",
        "database": {
            "file": backup.DATABASE_MEMBER[engine],
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        "migrations": {"core": ["0001_initial"]},
        "counts": {"members.Member": 3},
        "media": {"files": 0, "bytes": 0},
        "keys_included": False,
        "key_check": crypto.encrypt(backup.KEY_CHECK_TEXT),
        **overrides,
    }


def other_engine() -> str:
    return "postgresql" if connection.vendor == "sqlite" else "sqlite"


# -- round trip on SQLite ------------------------------------------------------------------------------


@pytest.mark.sqlite_pass
def test_sqlite_backup_change_restore_brings_the_data_back(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = env_for(var, f"sqlite:///{var / 'jiceng.sqlite3'}")
    ok(["migrate", "--noinput", "-v", "0"], env)
    ok(["shell", "-c", SEED], env)
    before = state(env)
    assert len(before["media"]) == 1

    made = ok(["backup"], env)
    archive = archive_of(made, var / "backups")
    assert archive.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only
    field_key = (var / "field.key").read_text().strip()
    secret_key = (var / "secret.key").read_text().strip()
    # The command says where the keys live and that they are kept apart from the backup.
    assert str(var / "field.key") in made.stdout and "JICENG_FIELD_KEY" in made.stdout
    assert "党员 3" in made.stdout

    # The backup itself is in the (live) change record, as an export.
    recorded = [o for o in state(env)["data"] if o["model"] == "core.objectchange"]
    assert recorded[-1]["fields"]["action"] == ObjectChange.Action.EXPORT
    assert archive.name in recorded[-1]["fields"]["message"]

    # The archive: manifest first, the database, the attachment; no key, no plaintext identity number.
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json"
    assert set(names) == {"manifest.json", "database.sqlite3", *(f"media/{m}" for m in before["media"])}
    contents = members_of(archive)
    manifest = json.loads(contents["manifest.json"])
    assert manifest["engine"] == "sqlite"
    assert manifest["counts"]["members.Member"] == 3
    assert manifest["counts"]["life.MeetingAttachment"] == 1
    assert manifest["media"]["files"] == 1
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert {(app, name) for app, names in manifest["migrations"].items() for name in names} == set(
        loader.graph.nodes
    )
    assert manifest["keys_included"] is False
    blobs = [*contents.values(), archive.read_bytes(), gzip.decompress(archive.read_bytes())]
    secrets_to_hide = [field_key.encode(), secret_key.encode(), *derived_keys(field_key)]
    secrets_to_hide += [base64.urlsafe_b64encode(k) for k in derived_keys(field_key)]
    for blob in blobs:
        for secret in secrets_to_hide:
            assert secret not in blob
        for number in IDS:
            assert number.encode() not in blob
            assert number.encode("utf-16-le") not in blob
    # ...while the database really is in it (the names are there in clear, the numbers only encrypted).
    assert "王芳".encode() in contents["database.sqlite3"]

    ok(["shell", "-c", CHANGE], env)
    changed = state(env)
    assert changed["data"] != before["data"] and changed["media"] != before["media"]

    refused = jiceng(["backup", "--restore", str(archive)], env)
    assert refused.returncode != 0
    assert "--yes" in refused.stderr
    assert state(env) == changed

    restored = ok(["backup", "--restore", str(archive), "--yes"], env)
    assert "jiceng migrate" not in restored.stdout  # same migrations: nothing to do
    assert_restored(before, state(env), archive)
    kept = sorted(p.name for p in var.iterdir() if ".before-restore-" in p.name)
    assert [n.split(".before-restore-")[0] for n in kept] == ["jiceng.sqlite3", "media"]
    assert (var / "media" / "stray.txt").exists() is False

    # A new machine: an empty folder and the field key brought separately; a bare archive name is
    # looked up in the backup folder.
    fresh = tmp_path / "fresh"
    (fresh / "backups").mkdir(parents=True)
    (fresh / "backups" / archive.name).write_bytes(archive.read_bytes())
    fresh_url = f"sqlite:///{fresh / 'jiceng.sqlite3'}"
    wrong = jiceng(["backup", "--restore", archive.name, "--yes"], env_for(fresh, fresh_url))
    assert wrong.returncode != 0 and "密钥" in wrong.stderr
    assert not (fresh / "jiceng.sqlite3").exists()
    fresh_env = env_for(fresh, fresh_url, JICENG_FIELD_KEY=field_key)
    ok(["backup", "--restore", archive.name, "--yes"], fresh_env)
    assert_restored(before, state(fresh_env), archive)
    listed = ok(["backup", "--list"], fresh_env)
    assert archive.name in listed.stdout and manifest["created_at"] in listed.stdout


@pytest.mark.sqlite_pass
def test_an_archive_from_an_older_jiceng_restores_and_asks_for_migrate(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = env_for(var, f"sqlite:///{var / 'jiceng.sqlite3'}")
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaf = loader.graph.leaf_nodes("core")[0]
    parent = next(p for p in loader.graph.node_map[leaf].parents if p.key[0] == "core").key
    ok(["migrate", "--noinput", "-v", "0"], env)
    ok(["migrate", "core", parent[1], "--noinput", "-v", "0"], env)  # the state of an older jiceng
    archive = archive_of(ok(["backup"], env), var / "backups")
    ok(["migrate", "--noinput", "-v", "0"], env)
    assert jiceng(["migrate", "--check"], env).returncode == 0

    restored = ok(["backup", "--restore", str(archive), "--yes"], env)
    assert "jiceng migrate" in restored.stdout
    assert jiceng(["migrate", "--check"], env).returncode != 0  # the archive's (older) state, as said
    ok(["migrate", "--noinput", "-v", "0"], env)
    assert jiceng(["migrate", "--check"], env).returncode == 0


# -- round trip on PostgreSQL ------------------------------------------------------------------------


def pg_server() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0]
    return PG_BASE


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_server()}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


@pytest.fixture
def pg_database() -> Any:
    import psycopg

    unavailable = None
    try:
        psycopg.connect(f"{pg_server()}/postgres", connect_timeout=3).close()
    except psycopg.Error as e:
        unavailable = f"PostgreSQL not reachable: {e}"
    if unavailable is None and not all(backup.shutil.which(t) for t in ("pg_dump", "pg_restore")):
        unavailable = "pg_dump/pg_restore not on PATH"
    if unavailable:
        if os.environ.get("CI") == "true":
            pytest.fail(unavailable)
        pytest.skip(unavailable)
    name = f"jiceng_backup_{uuid.uuid4().hex[:10]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{pg_server()}/{name}"
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgresql
def test_postgres_backup_change_restore_brings_the_data_back(tmp_path: Path, pg_database: str) -> None:
    import psycopg

    var = tmp_path / "var"
    env = env_for(var, pg_database)
    ok(["migrate", "--noinput", "-v", "0"], env)
    ok(["shell", "-c", SEED], env)
    before = state(env)

    made = ok(["backup", "--output", str(tmp_path / "out")], env)
    archive = archive_of(made, tmp_path / "out")
    contents = members_of(archive)
    assert set(contents) == {"manifest.json", "database.pgdump", *(f"media/{m}" for m in before["media"])}
    manifest = json.loads(contents["manifest.json"])
    assert manifest["engine"] == "postgresql"
    assert manifest["counts"]["members.Member"] == 3
    assert contents["database.pgdump"].startswith(b"PGDMP")  # pg_dump's custom format
    field_key = (var / "field.key").read_text().strip()
    for blob in contents.values():
        for number in IDS:
            assert number.encode() not in blob
        assert field_key.encode() not in blob

    ok(["shell", "-c", CHANGE], env)
    # A table that a newer migration would have made: the restored database does not keep it.
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE made_after_the_backup (id int)")
    assert jiceng(["backup", "--restore", str(archive)], env).returncode != 0

    ok(["backup", "--restore", str(archive), "--yes"], env)
    assert_restored(before, state(env), archive)
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT to_regclass('made_after_the_backup')").fetchone()[0] is None

    # pg_dump missing, and pg_dump older than the server: clear refusals.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    missing = jiceng(["backup", "--output", str(tmp_path / "x")], {**env, "PATH": str(bin_dir)})
    assert missing.returncode != 0 and "找不到 pg_dump" in missing.stderr
    fake = bin_dir / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    old = jiceng(["backup", "--output", str(tmp_path / "x")], {**env, "PATH": str(bin_dir)})
    assert old.returncode != 0 and "9.6" in old.stderr and "旧" in old.stderr
    assert not list((tmp_path / "x").glob("*.tar.gz"))


# -- refusals, listing, checks (in process) ----------------------------------------------------------


def test_restore_without_yes_refuses_and_changes_nothing(world, tmp_path: Path) -> None:
    archive = make_archive(
        tmp_path / "jiceng-backup-20260301-100000.tar.gz",
        manifest_for(connection.vendor),
        {backup.DATABASE_MEMBER[connection.vendor]: b"not really a database"},
    )
    before = ObjectChange.objects.count()
    with pytest.raises(CommandError, match="--yes"):
        call_command("backup", restore=str(archive), stdout=io.StringIO())
    assert ObjectChange.objects.count() == before


def test_an_archive_of_the_other_engine_is_refused(db, tmp_path: Path) -> None:
    engine = other_engine()
    archive = make_archive(
        tmp_path / "jiceng-backup-20260301-100000.tar.gz",
        manifest_for(engine),
        {backup.DATABASE_MEMBER[engine]: b"not really a database"},
    )
    with pytest.raises(CommandError, match="不能恢复到不同类型的数据库"):
        call_command("backup", restore=str(archive), yes=True, stdout=io.StringIO())


def test_an_archive_from_a_newer_jiceng_is_refused(db, tmp_path: Path) -> None:
    manifest = manifest_for(connection.vendor, migrations={"core": ["0001_initial", "0099_from_the_future"]})
    archive = make_archive(
        tmp_path / "jiceng-backup-20260301-100000.tar.gz",
        manifest,
        {backup.DATABASE_MEMBER[connection.vendor]: b"not really a database"},
    )
    with pytest.raises(CommandError, match="core.0099_from_the_future"):
        call_command("backup", restore=str(archive), yes=True, stdout=io.StringIO())


def test_an_archive_made_with_another_field_key_is_refused(db, tmp_path: Path, settings) -> None:
    settings.FIELD_ENCRYPTION_KEY = secrets.token_urlsafe(32)
    key_check = crypto.encrypt(backup.KEY_CHECK_TEXT)
    settings.FIELD_ENCRYPTION_KEY = secrets.token_urlsafe(32)
    archive = make_archive(
        tmp_path / "jiceng-backup-20260301-100000.tar.gz",
        manifest_for(connection.vendor, key_check=key_check),
        {backup.DATABASE_MEMBER[connection.vendor]: b"not really a database"},
    )
    with pytest.raises(CommandError, match="--ignore-key-check"):
        call_command("backup", restore=str(archive), yes=True, stdout=io.StringIO())


def test_not_an_archive_is_refused(db, tmp_path: Path) -> None:
    path = tmp_path / "jiceng-backup-20260301-100000.tar.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(CommandError, match="不是 jiceng 备份或已损坏"):
        call_command("backup", restore=str(path), yes=True, stdout=io.StringIO())
    with pytest.raises(CommandError, match="找不到备份文件"):
        call_command("backup", restore=str(tmp_path / "missing.tar.gz"), yes=True, stdout=io.StringIO())


def _inspection(path: Path, manifest: dict[str, Any]) -> backup.Inspection:
    return backup.Inspection(
        path=path, manifest=manifest, migrations=backup.MigrationCheck([], []), key_matches=True
    )


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "media/../../escape.txt"])
def test_extraction_refuses_paths_outside_its_folder(tmp_path: Path, name: str) -> None:
    manifest = manifest_for("sqlite")
    archive = make_archive(
        tmp_path / "a.tar.gz", manifest, {"database.sqlite3": b"not really a database", name: b"x"}
    )
    with pytest.raises(backup.BackupError, match="不安全的路径"):
        backup._extract(_inspection(archive, manifest), tmp_path / "db", tmp_path / "media", print)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_extraction_refuses_a_database_that_does_not_match_the_manifest(tmp_path: Path) -> None:
    manifest = manifest_for("sqlite")
    archive = make_archive(tmp_path / "a.tar.gz", manifest, {"database.sqlite3": b"not really a databasE"})
    with pytest.raises(backup.BackupError, match="校验和"):
        backup._extract(_inspection(archive, manifest), tmp_path / "db", tmp_path / "media", print)


def test_list_shows_archives_with_date_and_size(tmp_path: Path, db) -> None:
    make_archive(tmp_path / "jiceng-backup-20260301-100000.tar.gz", manifest_for("sqlite"), {})
    (tmp_path / "jiceng-backup-20260302-100000.tar.gz").write_bytes(b"broken")
    (tmp_path / "unrelated.tar.gz").write_bytes(b"")
    out = io.StringIO()
    call_command("backup", list=True, output=str(tmp_path), stdout=out)
    lines = out.getvalue().splitlines()
    first = next(line for line in lines if "20260301-100000" in line)
    assert "2026-03-01T10:00:00+08:00" in first and "SQLite" in first
    assert backup.human_size((tmp_path / "jiceng-backup-20260301-100000.tar.gz").stat().st_size) in first
    second = next(line for line in lines if "20260302-100000" in line)
    assert "6 B" in second and "已损坏" in second
    assert "unrelated" not in out.getvalue()


def test_migration_check_tells_older_from_newer() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    current: dict[str, list[str]] = {}
    for app, name in sorted(loader.graph.nodes):
        current.setdefault(app, []).append(name)
    assert backup.check_migrations(current) == backup.MigrationCheck(unknown=[], missing=[])
    leaf = loader.graph.leaf_nodes("core")[0]
    older = {**current, "core": [n for n in current["core"] if n != leaf[1]]}
    assert backup.check_migrations(older).missing == [f"core.{leaf[1]}"]
    newer = {**current, "core": [*current["core"], "0999_later"], "gone_app": ["0001_initial"]}
    assert backup.check_migrations(newer).unknown == ["core.0999_later"]  # apps no longer installed aside


def test_key_locations_follow_the_settings(settings, monkeypatch, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("JICENG_FIELD_KEY", raising=False)
    field = backup.key_locations()[0]
    assert field.env == "JICENG_FIELD_KEY" and field.path == tmp_path / "field.key"
    assert str(tmp_path / "field.key") in field.describe()
    monkeypatch.setenv("JICENG_FIELD_KEY", "from-the-environment")
    field = backup.key_locations()[0]
    assert field.path is None and "环境变量 JICENG_FIELD_KEY" in field.describe()
    assert "from-the-environment" not in field.describe()


def test_missing_postgres_tools_are_named(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError, match="找不到 pg_dump"):
        backup._tool("pg_dump")
    fake = tmp_path / "pg_restore"
    fake.write_text("#!/bin/sh\necho 'pg_restore (PostgreSQL) 16.4 (Debian 16.4-1)'\n")
    fake.chmod(0o755)
    assert backup._tool("pg_restore") == (str(fake), 16, "16.4")
