"""Backup and restore of a whole installation: the database and the media files, never the keys.

An archive ``jiceng-backup-YYYYMMDD-HHMMSS.tar.gz`` holds, in this order:

- ``manifest.json``: format, jiceng version, engine, creation time, the applied migrations per app,
  row counts of the main tables, the database file's size and SHA-256, the media files' count and
  size, and ``key_check`` (a known text encrypted with the field key: it tells at restore time whether
  the configured key is the one the archive's identity numbers need, and reveals nothing about it);
- ``database.sqlite3`` (SQLite: an online copy through ``sqlite3.Connection.backup``) or
  ``database.pgdump`` (PostgreSQL: ``pg_dump --format=custom`` of an exported snapshot, the same
  snapshot the manifest's counts and migrations are read from);
- ``media/…``: the files under MEDIA_ROOT (meeting attachments).

The key that encrypts identity numbers and keys their lookup digest (``JICENG_FIELD_KEY`` or
``var/field.key``) and Django's secret key are never put in an archive: a stolen backup alone must not
reveal identity numbers. They are kept, and backed up, separately (``key_locations``).

Restore refuses an archive from the other engine or with migrations this code does not know (a newer
jiceng), and one whose key check fails with the configured key; it reports the migrations the
archive lacks (an older jiceng: run ``jiceng migrate`` afterwards). SQLite: the archive's database
is checked (SHA-256, ``PRAGMA integrity_check``, migrations against the manifest) and then replaces
the file with one rename, under an exclusive lock; the previous file and media folder are kept
beside them as ``….before-restore-YYYYMMDD-HHMMSS``. PostgreSQL: ``pg_restore --clean --if-exists
--no-owner --single-transaction`` into the configured database, then tables the archive does not
have are dropped, so the database is the archive's.

Every error is a ``BackupError`` carrying a message for the user.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, crypto
from .backup_crypto import DecryptionError, EncryptingWriter, Secret, decrypt_file, is_encrypted

FORMAT = 1
APPLICATION = "jiceng"
PREFIX = "jiceng-backup-"
SUFFIX = ".tar.gz"
NAME_PATTERN = re.compile(r"^jiceng-backup-\d{8}-\d{6}(?:-\d+)?\.tar\.gz(?:\.enc)?$")
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KEY_CHECK_TEXT = "jiceng-backup-key-check"
# Counted in the manifest and printed: the tables a person checking a backup looks at.
MAIN_MODELS = (
    "orgs.Organization",
    "members.Member",
    "life.Meeting",
    "life.MeetingAttachment",
    "development.Development",
    "development.Step",
    "core.User",
    "core.ObjectChange",
)
# Never in an archive: live credentials and transient data (issue 11). Their tables are kept empty
# (the schema stays), and the transient uploads of imports are not packed.
LEFT_OUT_MODELS = (
    "sessions.Session",  # signed-in sessions: a copied cookie would sign in
    "core.ApiToken",  # API tokens (stored hashed anyway)
    "axes.AccessAttempt",  # login failures: user names and addresses, counted for the lockout
    "axes.AccessAttemptExpiration",
    "axes.AccessFailureLog",
    "axes.AccessLog",
)
LEFT_OUT_MEDIA = ("imports",)  # MEDIA_ROOT/imports/<job>/: uploaded rosters in plain text
SQLITE_PAGES_PER_STEP = 4096
CHUNK = 1 << 20
PG_LOCK_TIMEOUT_MS = 30_000
# libpq connection keywords a DATABASE_URL may carry in OPTIONS, and their environment variables.
LIBPQ_ENV = {
    "dbname": "PGDATABASE",
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "gssencmode": "PGGSSENCMODE",
}

Progress = Callable[[str], None]


class BackupError(Exception):
    """A refusal or a failure; ``str(error)`` is the message for the user."""


def _quiet(message: str) -> None:
    return None


# ---------------------------------------------------------------------------------------------------
# What the archive holds, and where things live


@dataclass(frozen=True)
class KeyLocation:
    env: str  # JICENG_FIELD_KEY
    label: str  # what it protects
    path: Path | None  # the file it is read from, or None when the environment provides it

    def describe(self) -> str:
        if self.path is None:
            return _("%(label)s（%(env)s）：由环境变量 %(env)s 提供（见服务的启动配置）") % {
                "label": self.label,
                "env": self.env,
            }
        return _("%(label)s（%(env)s）：保存在文件 %(path)s") % {
            "label": self.label,
            "env": self.env,
            "path": self.path,
        }


def key_locations() -> list[KeyLocation]:
    """Where the keys come from, as jiceng/settings.py reads them: the environment, else var/."""
    var_dir = Path(settings.VAR_DIR)
    keys = [
        ("JICENG_FIELD_KEY", "field.key", _("身份号码加密与查重密钥")),
        ("JICENG_SECRET_KEY", "secret.key", _("会话签名密钥")),
    ]
    return [
        KeyLocation(env=env, label=label, path=None if os.environ.get(env) else var_dir / name)
        for env, name, label in keys
    ]


def left_out_tables() -> list[str]:
    tables = []
    for label in LEFT_OUT_MODELS:
        try:
            tables.append(apps.get_model(label)._meta.db_table)
        except LookupError:
            continue
    return tables


def describe_left_out(manifest: dict[str, Any]) -> list[str]:
    """What the archive does not hold, for the person restoring it."""
    left = manifest.get("left_out")
    if not left:
        return []
    return [
        _(
            "此备份不含：登录会话（所有用户须重新登录）、API令牌（须重新获取）、登录失败记录，"
            "以及导入中上传的文件（%(media)s；未完成的导入须重新上传）"
        )
        % {"media": "、".join(f"media/{d}/" for d in left.get("media", []))}
    ]


def default_directory() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def engine_of(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor in DATABASE_MEMBER:
        return connection.vendor
    raise BackupError(_("不支持备份此类数据库：%(vendor)s") % {"vendor": connection.vendor})


def engine_label(engine: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(engine, engine)


def jiceng_version() -> str:
    try:
        return metadata.version("jiceng")
    except metadata.PackageNotFoundError:
        return "unknown"


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def count_labels() -> dict[str, str]:
    labels = {}
    for label in MAIN_MODELS:
        model = apps.get_model(label)
        labels[label] = str(model._meta.verbose_name_plural)
    return labels


def describe_counts(counts: dict[str, int | None]) -> str:
    labels = count_labels()
    return "，".join(f"{labels.get(label, label)} {'-' if n is None else n}" for label, n in counts.items())


# ---------------------------------------------------------------------------------------------------
# Migrations


@dataclass(frozen=True)
class MigrationCheck:
    unknown: list[str]  # applied in the archive, unknown to this code: the archive is newer
    missing: list[str]  # known to this code, not applied in the archive: run `jiceng migrate`


def check_migrations(archived: dict[str, list[str]]) -> MigrationCheck:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    on_disk = loader.disk_migrations
    installed = {config.label for config in apps.get_app_configs()}
    applied = {(app, name) for app, names in archived.items() for name in names}
    replaced = {tuple(r) for migration in on_disk.values() for r in migration.replaces}
    unknown = sorted(
        f"{app}.{name}"
        for app, name in applied
        if app in installed and (app, name) not in on_disk and (app, name) not in replaced
    )
    effective = set(applied)
    for key, migration in on_disk.items():
        if migration.replaces and all(tuple(r) in applied for r in migration.replaces):
            effective.add(key)
    missing = sorted(f"{app}.{name}" for app, name in loader.graph.nodes if (app, name) not in effective)
    return MigrationCheck(unknown=unknown, missing=missing)


def _group_migrations(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for app, name in rows:
        grouped.setdefault(app, []).append(name)
    return {app: grouped[app] for app in sorted(grouped)}


# ---------------------------------------------------------------------------------------------------
# Backup


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: dict[str, Any]


@dataclass
class _Snapshot:
    migrations: dict[str, list[str]]
    counts: dict[str, int | None]
    database: dict[str, Any] = field(default_factory=dict)


def _free_name(directory: Path, stamp: str, suffix: str = SUFFIX) -> Path:
    target = directory / f"{PREFIX}{stamp}{suffix}"
    n = 2
    while target.exists():
        target = directory / f"{PREFIX}{stamp}-{n}{suffix}"
        n += 1
    return target


def create_backup(
    output: Path | str | None = None,
    *,
    actor: Any = None,
    progress: Progress = _quiet,
    using: str = DEFAULT_DB_ALIAS,
    secret: Secret | None = None,
) -> BackupResult:
    """Write one archive of the database and the media files into ``output`` (default var/backups/).

    The archive is written under a temporary name and renamed when complete, readable by its owner
    only; with ``secret`` (a passphrase or key file) it is encrypted as it is written
    (``….tar.gz.enc``, see core/backup_crypto.py). The backup is recorded in the change record afterwards (an export of everything), in its
    own transaction; if that record cannot be written the archive is deleted.
    """
    connection = connections[using]
    engine = engine_of(connection)
    directory = Path(output) if output else default_directory()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise BackupError(
            _("无法创建备份文件夹 %(path)s：%(error)s") % {"path": directory, "error": e}
        ) from e
    now = timezone.localtime()
    target = _free_name(
        directory, now.strftime("%Y%m%d-%H%M%S"), SUFFIX + (".enc" if secret is not None else "")
    )
    partial = directory / f".{target.name}.partial"
    try:
        with tempfile.TemporaryDirectory(prefix=".jiceng-backup-", dir=directory) as work:
            database_file = Path(work) / DATABASE_MEMBER[engine]
            if engine == "sqlite":
                progress(_("正在复制数据库（SQLite 在线备份）…"))
                snapshot = _sqlite_snapshot(connection, database_file, progress)
            else:
                progress(_("正在导出数据库（pg_dump）…"))
                snapshot = _postgres_snapshot(connection, database_file)
            size, sha256 = _size_and_digest(database_file)
            media_root = Path(settings.MEDIA_ROOT)
            media = _media_files(media_root, skip=[directory])
            media_bytes = sum(size for _path, _name, size in media)
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "application": APPLICATION,
                "jiceng_version": jiceng_version(),
                "engine": engine,
                "created_at": now.isoformat(timespec="seconds"),
                "database": {
                    "file": DATABASE_MEMBER[engine],
                    "bytes": size,
                    "sha256": sha256,
                    **snapshot.database,
                },
                "migrations": snapshot.migrations,
                "counts": snapshot.counts,
                "media": {"files": len(media), "bytes": media_bytes},
                "keys_included": False,
                "left_out": {"tables": left_out_tables(), "media": list(LEFT_OUT_MEDIA)},
                "key_check": crypto.encrypt(KEY_CHECK_TEXT),
                "encrypted": secret is not None,
            }
            progress(
                _("正在写入归档（数据库 %(db)s，附件文件 %(n)s 个，%(media)s）…")
                % {"db": human_size(size), "n": len(media), "media": human_size(media_bytes)}
            )
            _write_archive(partial, manifest, database_file, media, progress, secret=secret)
            os.replace(partial, target)
    except OSError as e:
        raise BackupError(_("写入备份失败：%(error)s") % {"error": e}) from e
    finally:
        partial.unlink(missing_ok=True)
    try:
        with transaction.atomic(using=using):
            audit.record(
                actor=actor,
                action=audit.Action.EXPORT,
                message=_("整库备份（数据库与附件，不含密钥）：%(name)s") % {"name": target.name},
            )
    except DatabaseError as e:
        target.unlink(missing_ok=True)
        raise BackupError(_("无法在变更记录中记下这次备份，已删除备份文件：%(error)s") % {"error": e}) from e
    return BackupResult(path=target, size=target.stat().st_size, manifest=manifest)


def _size_and_digest(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _sqlite_snapshot(connection: BaseDatabaseWrapper, target: Path, progress: Progress) -> _Snapshot:
    connection.ensure_connection()
    source = connection.connection
    reported = {"step": 0}

    def report(status: int, remaining: int, total: int) -> None:
        if total <= SQLITE_PAGES_PER_STEP:
            return
        step = (total - remaining) * 10 // total
        if step > reported["step"]:
            reported["step"] = step
            progress(_("  数据库已复制 %(pct)s%%") % {"pct": step * 10})

    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=SQLITE_PAGES_PER_STEP, progress=report)
        # The copy is a plain file; jiceng switches it back to WAL when it opens it after a restore.
        copy.execute("PRAGMA journal_mode=DELETE")
        # Credentials and transient rows out, and VACUUM so that no freed page still holds them.
        for table in left_out_tables():
            if copy.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone():
                copy.execute(f'DELETE FROM "{table}"')  # noqa: S608 (table names from the models)
        copy.commit()
        copy.execute("VACUUM")
        rows = copy.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
        counts: dict[str, int | None] = {}
        for label in MAIN_MODELS:
            table = apps.get_model(label)._meta.db_table
            exists = copy.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
            quoted = '"' + table.replace('"', '""') + '"'
            counts[label] = copy.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0] if exists else None  # noqa: S608
    except sqlite3.Error as e:
        raise BackupError(_("复制 SQLite 数据库失败：%(error)s") % {"error": e}) from e
    finally:
        copy.close()
    return _Snapshot(
        migrations=_group_migrations(rows),
        counts=counts,
        database={"sqlite_version": sqlite3.sqlite_version},
    )


# PostgreSQL ------------------------------------------------------------------------------------------


def _pg_params(connection: BaseDatabaseWrapper) -> dict[str, str]:
    s = connection.settings_dict
    params = {
        "dbname": s.get("NAME"),
        "host": s.get("HOST"),
        "port": s.get("PORT"),
        "user": s.get("USER"),
        "password": s.get("PASSWORD"),
    }
    for key, value in (s.get("OPTIONS") or {}).items():
        if key in LIBPQ_ENV and key not in params:
            params[key] = value
    return {k: str(v) for k, v in params.items() if v not in (None, "")}


def _pg_env(params: dict[str, str], *, lock_timeout_ms: int | None = None) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: the password never appears on a command line."""
    env = {k: v for k, v in os.environ.items() if k not in LIBPQ_ENV.values()}
    env.update({LIBPQ_ENV[k]: v for k, v in params.items()})
    if lock_timeout_ms is not None:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={lock_timeout_ms}".strip()
    return env


def _tool(name: str) -> tuple[str, int, str]:
    """The path, major version and version text of a PostgreSQL client program found on PATH."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _(
                "找不到 %(tool)s：请安装与数据库服务器同一主版本（或更新）的 PostgreSQL 客户端"
                "（如 Debian/Ubuntu 的 postgresql-client），并确保它在 PATH 中"
            )
            % {"tool": name}
        )
    try:
        out = subprocess.run(  # noqa: S603
            [path, "--version"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise BackupError(_("无法运行 %(tool)s：%(error)s") % {"tool": path, "error": e}) from e
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    if match is None:
        raise BackupError(_("无法识别 %(tool)s 的版本：%(out)s") % {"tool": path, "out": out.strip()})
    return path, int(match.group(1)), match.group(0)


def _run_tool(args: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as e:
        raise BackupError(_("无法运行 %(tool)s：%(error)s") % {"tool": what, "error": e}) from e
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s 失败（退出码 %(code)s）：%(error)s")
            % {"tool": what, "code": result.returncode, "error": result.stderr.strip()[-2000:]}
        )
    return result


def _postgres_snapshot(connection: BaseDatabaseWrapper, target: Path) -> _Snapshot:
    import psycopg
    from psycopg import sql

    pg_dump, dump_major, dump_version = _tool("pg_dump")
    params = _pg_params(connection)
    try:
        conn = psycopg.connect(**params)
    except psycopg.Error as e:
        raise BackupError(_("无法连接数据库：%(error)s") % {"error": e}) from e
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cur:
            cur.execute(
                "SELECT current_setting('server_version_num')::int, current_setting('server_version')"
            )
            number, server_version = cur.fetchone()
            server_major = number // 10000
            if dump_major < server_major:
                raise BackupError(
                    _(
                        "pg_dump 的版本（%(tool)s）比数据库服务器（%(server)s）旧，无法导出；"
                        "请安装 PostgreSQL %(major)s 或更新版本的客户端程序"
                    )
                    % {"tool": dump_version, "server": server_version, "major": server_major}
                )
            # One snapshot for the counts, the migrations and pg_dump: the manifest describes the dump.
            cur.execute("SELECT pg_export_snapshot()")
            snapshot_id = cur.fetchone()[0]
            cur.execute("SELECT app, name FROM django_migrations ORDER BY id")
            rows = cur.fetchall()
            counts: dict[str, int | None] = {}
            for label in MAIN_MODELS:
                table = apps.get_model(label)._meta.db_table
                cur.execute("SELECT to_regclass(%s)", [connection.ops.quote_name(table)])
                if cur.fetchone()[0] is None:
                    counts[label] = None
                    continue
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                counts[label] = cur.fetchone()[0]
            _run_tool(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    *(f"--exclude-table-data={table}" for table in left_out_tables()),
                    "--no-password",
                    f"--file={target}",
                    params["dbname"],
                ],
                _pg_env(params),
                "pg_dump",
            )
        conn.rollback()
    except psycopg.Error as e:
        raise BackupError(_("导出 PostgreSQL 数据库失败：%(error)s") % {"error": e}) from e
    finally:
        conn.close()
    return _Snapshot(
        migrations=_group_migrations(rows),
        counts=counts,
        database={
            "server_version": server_version,
            "server_major": server_major,
            "pg_dump_version": dump_version,
            "pg_dump_major": dump_major,
        },
    )


# Media and the archive ------------------------------------------------------------------------------


def _media_files(root: Path, *, skip: list[Path]) -> list[tuple[Path, str, int]]:
    """(path, name in the archive, size) of the regular files under MEDIA_ROOT.

    Never the keys (were MEDIA_ROOT ever pointed at var/), never symbolic links, never the backup
    folder itself when it lies inside MEDIA_ROOT.
    """
    if not root.is_dir():
        return []
    skipped = {p.resolve() for p in skip}
    keys = {loc.path.resolve() for loc in key_locations() if loc.path is not None}
    found: list[tuple[Path, str, int]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not (here / d).is_symlink()
            and not (here == root and d in LEFT_OUT_MEDIA)
            and (here / d).resolve() not in skipped
            and not d.startswith(".jiceng-backup-")
        )
        for name in sorted(filenames):
            path = here / name
            if path.is_symlink() or not path.is_file() or path.resolve() in keys:
                continue
            rel = path.relative_to(root).as_posix()
            found.append((path, f"{MEDIA}/{rel}", path.stat().st_size))
    return found


def _write_archive(
    target: Path,
    manifest: dict[str, Any],
    database_file: Path,
    media: list[tuple[Path, str, int]],
    progress: Progress,
    *,
    secret: Secret | None = None,
) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw:
        if secret is None:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                _fill_archive(tar, manifest, database_file, media, progress)
        else:
            writer = EncryptingWriter(raw, secret)
            with tarfile.open(fileobj=writer, mode="w|gz") as tar:  # streamed: nothing in clear on disk
                _fill_archive(tar, manifest, database_file, media, progress)
            writer.close()
        raw.flush()
        os.fsync(raw.fileno())


def _fill_archive(
    tar: tarfile.TarFile,
    manifest: dict[str, Any],
    database_file: Path,
    media: list[tuple[Path, str, int]],
    progress: Progress,
) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    tar.addfile(info, _BytesReader(data))
    tar.add(database_file, arcname=manifest["database"]["file"], recursive=False)
    step = 0
    for i, (path, name, _size) in enumerate(media, start=1):
        try:
            tar.add(path, arcname=name, recursive=False)
        except FileNotFoundError as e:
            raise BackupError(_("附件文件 %(path)s 在备份过程中被删除，请重新备份") % {"path": path}) from e
        if len(media) >= 100 and i * 10 // len(media) > step:
            step = i * 10 // len(media)
            progress(_("  附件文件已打包 %(i)s/%(n)s") % {"i": i, "n": len(media)})


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else self._pos + n
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


# ---------------------------------------------------------------------------------------------------
# Reading archives


def read_manifest(archive: Path | str) -> dict[str, Any]:
    """The manifest of an archive (the first member; the rest is not decompressed)."""
    path = Path(archive)
    if not path.is_file():
        raise BackupError(_("找不到备份文件 %(path)s") % {"path": path})
    if is_encrypted(path):
        raise BackupError(_("%(path)s 已加密：需要备份口令或密钥文件才能读取") % {"path": path})
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            member = tar.next()
            while member is not None and member.name != MANIFEST:
                member = tar.next()
            if member is None or not member.isfile():
                raise BackupError(_("%(path)s 中没有 manifest.json，不是 jiceng 备份") % {"path": path})
            f = tar.extractfile(member)
            manifest = json.loads(f.read().decode()) if f else None
    except (tarfile.TarError, OSError, EOFError, ValueError) as e:
        raise BackupError(
            _("%(path)s 不是 jiceng 备份或已损坏：%(error)s") % {"path": path, "error": e}
        ) from e
    if (
        not isinstance(manifest, dict)
        or manifest.get("application") != APPLICATION
        or not isinstance(manifest.get("migrations"), dict)
        or manifest.get("engine") not in DATABASE_MEMBER
    ):
        raise BackupError(_("%(path)s 不是 jiceng 备份") % {"path": path})
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("%(path)s 的备份格式（%(format)s）不是本程序能读的格式（%(known)s）")
            % {"path": path, "format": manifest.get("format"), "known": FORMAT}
        )
    return manifest


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    size: int
    manifest: dict[str, Any] | None
    problem: str = ""


def list_backups(directory: Path | str | None = None) -> list[ArchiveInfo]:
    folder = Path(directory) if directory else default_directory()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(p for p in folder.iterdir() if NAME_PATTERN.match(p.name) and p.is_file()):
        try:
            found.append(ArchiveInfo(path=path, size=path.stat().st_size, manifest=read_manifest(path)))
        except BackupError as e:
            found.append(ArchiveInfo(path=path, size=path.stat().st_size, manifest=None, problem=str(e)))
    return found


@dataclass(frozen=True)
class Inspection:
    path: Path
    manifest: dict[str, Any]
    migrations: MigrationCheck
    key_matches: bool


@contextlib.contextmanager
def opened(archive: Path | str, secret: Secret | None = None) -> Iterator[Path]:
    """The archive as a plain .tar.gz: itself, or an encrypted one decrypted into a private temporary
    folder beside it for as long as the block runs (then deleted)."""
    path = Path(archive)
    if not is_encrypted(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=".jiceng-decrypt-", dir=path.parent) as work:
        os.chmod(work, 0o700)
        plain = Path(work) / path.name.removesuffix(".enc")
        try:
            decrypt_file(path, plain, secret)
        except DecryptionError as e:
            raise BackupError(str(e)) from e
        yield plain


def key_matches(manifest: dict[str, Any]) -> bool:
    token = manifest.get("key_check")
    if not token:
        return True
    try:
        return crypto.decrypt(token) == KEY_CHECK_TEXT
    except (InvalidTag, ValueError):
        return False


def inspect_archive(archive: Path | str, *, using: str = DEFAULT_DB_ALIAS) -> Inspection:
    """Read an archive's manifest and refuse what cannot be restored here (before touching anything)."""
    path = Path(archive)
    manifest = read_manifest(path)
    engine = engine_of(connections[using])
    if manifest["engine"] != engine:
        raise BackupError(
            _("此备份来自 %(archive)s 数据库，当前配置的是 %(current)s 数据库：不能恢复到不同类型的数据库")
            % {"archive": engine_label(manifest["engine"]), "current": engine_label(engine)}
        )
    check = check_migrations(manifest["migrations"])
    if check.unknown:
        raise BackupError(
            _(
                "此备份来自更新版本的 jiceng（%(version)s），含本程序不认识的数据库迁移：%(names)s。"
                "请先把 jiceng 升级到该版本或更新版本，再恢复"
            )
            % {"version": manifest.get("jiceng_version", "?"), "names": "、".join(check.unknown)}
        )
    return Inspection(path=path, manifest=manifest, migrations=check, key_matches=key_matches(manifest))


def describe(inspection: Inspection) -> list[str]:
    m = inspection.manifest
    lines = [
        _("备份：%(path)s") % {"path": inspection.path},
        _("制作时间：%(at)s；jiceng %(version)s；%(engine)s")
        % {
            "at": m.get("created_at", "?"),
            "version": m.get("jiceng_version", "?"),
            "engine": engine_label(m["engine"]),
        },
        _("数据：%(counts)s") % {"counts": describe_counts(m.get("counts", {}))},
        _("附件文件：%(n)s 个，%(size)s")
        % {"n": m.get("media", {}).get("files", 0), "size": human_size(m.get("media", {}).get("bytes", 0))},
        *describe_left_out(m),
    ]
    return lines


# ---------------------------------------------------------------------------------------------------
# Restore


@dataclass
class RestoreResult:
    inspection: Inspection
    kept: list[Path]  # the previous database file and media folder, kept beside the new ones
    recorded: bool  # the restore is in the (restored) change record


def restore_backup(
    archive: Path | str,
    *,
    actor: Any = None,
    ignore_key_check: bool = False,
    progress: Progress = _quiet,
    using: str = DEFAULT_DB_ALIAS,
) -> RestoreResult:
    """Replace the configured database and the media files with an archive's.

    Stop the web server and the background worker first: SQLite refuses while another program has
    the database open; PostgreSQL gives up when a table stays locked for 30 seconds.
    """
    inspection = inspect_archive(archive, using=using)
    if not inspection.key_matches and not ignore_key_check:
        field_key = key_locations()[0]
        raise BackupError(
            _(
                "当前配置的身份号码密钥不是制作此备份时所用的密钥：恢复后身份号码将无法解密。"
                "请先配置原来的密钥（%(where)s）；确实要这样恢复时加 --ignore-key-check"
            )
            % {"where": field_key.describe()}
        )
    connection = connections[using]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    media_root = Path(settings.MEDIA_ROOT)
    if inspection.manifest["engine"] == "sqlite":
        kept = _restore_sqlite(inspection, connection, media_root, stamp, progress)
    else:
        kept = _restore_postgres(inspection, connection, media_root, stamp, progress)
    recorded = True
    try:
        with transaction.atomic(using=using):
            audit.record(
                actor=actor,
                action=audit.Action.IMPORT,
                message=_("从备份恢复：%(name)s（制作于 %(at)s）")
                % {"name": inspection.path.name, "at": inspection.manifest.get("created_at", "?")},
            )
    except DatabaseError as e:
        if not inspection.migrations.missing:
            raise BackupError(_("已恢复，但无法在变更记录中记下这次恢复：%(error)s") % {"error": e}) from e
        recorded = False  # an older schema: the record waits for `jiceng migrate`
    return RestoreResult(inspection=inspection, kept=kept, recorded=recorded)


def _member_target(name: str) -> PurePosixPath:
    """A safe relative path for an archive member, or an error: no absolute paths, no '..'."""
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("..", "") for part in path.parts) or "\\" in name:
        raise BackupError(_("备份中有不安全的路径：%(name)s") % {"name": name})
    return path


def _copy_stream(source: IO[bytes], target: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return size, h.hexdigest()


def _extract(inspection: Inspection, database_target: Path, media_target: Path, progress: Progress) -> None:
    """Unpack the database file and the media files, checking each member's name, kind and digest."""
    manifest = inspection.manifest
    expected = manifest["database"]
    media_target.mkdir(parents=True, mode=0o755)
    files = 0
    found_database = False
    try:
        with tarfile.open(inspection.path, mode="r:gz") as tar:
            for member in tar:
                rel = _member_target(member.name)
                if member.name == MANIFEST:
                    continue
                if member.isdir() and rel.parts[0] == MEDIA:
                    (media_target / Path(*rel.parts[1:])).mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isfile():
                    raise BackupError(_("备份中有不支持的条目：%(name)s") % {"name": member.name})
                source = tar.extractfile(member)
                assert source is not None
                if member.name == expected["file"]:
                    progress(_("正在解出数据库（%(size)s）…") % {"size": human_size(member.size)})
                    size, sha256 = _copy_stream(source, database_target)
                    if size != expected["bytes"] or sha256 != expected["sha256"]:
                        raise BackupError(_("备份中的数据库文件与清单不符（大小或校验和不同），备份已损坏"))
                    found_database = True
                elif rel.parts[0] == MEDIA and len(rel.parts) > 1:
                    _copy_stream(source, media_target / Path(*rel.parts[1:]))
                    files += 1
                else:
                    raise BackupError(_("备份中有不认识的条目：%(name)s") % {"name": member.name})
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BackupError(_("读取备份失败（文件可能已损坏）：%(error)s") % {"error": e}) from e
    if not found_database:
        raise BackupError(_("备份中没有数据库文件 %(name)s") % {"name": expected["file"]})
    if files != manifest.get("media", {}).get("files", files):
        raise BackupError(
            _("备份中的附件文件数（%(found)s）与清单（%(expected)s）不符，备份已损坏")
            % {"found": files, "expected": manifest["media"]["files"]}
        )
    progress(_("已解出附件文件 %(n)s 个") % {"n": files})


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def _staging(*paths: Path) -> Iterator[None]:
    """Remove what is left of the staged files when the restore stops half-way."""
    try:
        yield
    finally:
        for path in paths:
            if path.exists():
                _remove(path)


def _swap_media(staged: Path, media_root: Path, stamp: str) -> Path | None:
    kept = None
    if media_root.is_dir() and any(media_root.iterdir()):
        kept = media_root.with_name(f"{media_root.name}.before-restore-{stamp}")
        os.replace(media_root, kept)
    elif media_root.is_dir():
        media_root.rmdir()
    os.replace(staged, media_root)
    return kept


def _fsync_directory(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _check_sqlite_copy(path: Path, manifest: dict[str, Any]) -> None:
    try:
        db = sqlite3.connect(path)
        try:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(_("备份中的数据库未通过完整性检查：%(result)s") % {"result": result})
            db.execute("PRAGMA journal_mode=DELETE")
            rows = db.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
        finally:
            db.close()
    except sqlite3.Error as e:
        raise BackupError(_("备份中的数据库无法打开：%(error)s") % {"error": e}) from e
    if _group_migrations(rows) != {app: list(names) for app, names in sorted(manifest["migrations"].items())}:
        raise BackupError(_("备份中数据库的迁移记录与清单不符，备份已损坏"))


def _restore_sqlite(
    inspection: Inspection, connection: BaseDatabaseWrapper, media_root: Path, stamp: str, progress: Progress
) -> list[Path]:
    if connection.is_in_memory_db():
        raise BackupError(_("当前配置的是内存中的 SQLite 数据库，无法恢复到其中"))
    database = Path(connection.settings_dict["NAME"])
    database.parent.mkdir(parents=True, exist_ok=True)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staged_db = database.with_name(f".{database.name}.restore-{stamp}")
    staged_media = media_root.with_name(f".{media_root.name}.restore-{stamp}")
    kept: list[Path] = []
    with _staging(staged_db, staged_media):
        _extract(inspection, staged_db, staged_media, progress)
        progress(_("正在检查数据库…"))
        _check_sqlite_copy(staged_db, inspection.manifest)
        connection.close()
        progress(_("正在替换数据库文件与附件文件…"))
        if database.exists():
            with _exclusive(database):
                previous = database.with_name(f"{database.name}.before-restore-{stamp}")
                try:
                    os.link(database, previous)
                except OSError:
                    shutil.copy2(database, previous)  # locked exclusively: no one is writing it
                kept.append(previous)
                shutil.copymode(database, staged_db)
                os.replace(staged_db, database)
        else:
            os.replace(staged_db, database)
        _fsync_directory(database.parent)
        previous_media = _swap_media(staged_media, media_root, stamp)
        if previous_media is not None:
            kept.append(previous_media)
    return kept


@contextlib.contextmanager
def _exclusive(database: Path) -> Iterator[None]:
    """Hold the live database exclusively, out of WAL mode, while its file is replaced.

    Leaving WAL mode needs every other connection closed, so a running web server or worker is
    detected here instead of being left writing into a file that is no longer the database.
    """
    busy = _("数据库正被其他程序使用（网站服务或后台任务 db_worker）：请先停止它们，再恢复")
    live = sqlite3.connect(database, timeout=5, isolation_level=None)
    try:
        try:
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            mode = live.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            if str(mode).lower() != "delete":
                raise BackupError(busy)
            live.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as e:
            raise BackupError(busy) from e
        for suffix in ("-wal", "-shm", "-journal"):
            if database.with_name(database.name + suffix).exists():
                raise BackupError(busy)
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):
            live.execute("ROLLBACK")
        live.close()


def _restore_postgres(
    inspection: Inspection, connection: BaseDatabaseWrapper, media_root: Path, stamp: str, progress: Progress
) -> list[Path]:
    import psycopg
    from psycopg import sql

    pg_restore, restore_major, restore_version = _tool("pg_restore")
    dumped_with = int(inspection.manifest["database"].get("pg_dump_major", 0))
    if restore_major < dumped_with:
        raise BackupError(
            _(
                "pg_restore 的版本（%(tool)s）比制作此备份的 pg_dump（%(dump)s）旧，无法读取；请安装更新的客户端程序"
            )
            % {"tool": restore_version, "dump": inspection.manifest["database"].get("pg_dump_version")}
        )
    params = _pg_params(connection)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staged_media = media_root.with_name(f".{media_root.name}.restore-{stamp}")
    kept: list[Path] = []
    with (
        tempfile.TemporaryDirectory(prefix=".jiceng-restore-", dir=media_root.parent) as work,
        _staging(staged_media),
    ):
        dump = Path(work) / DATABASE_MEMBER["postgresql"]
        _extract(inspection, dump, staged_media, progress)
        listing = _run_tool([pg_restore, "--list", str(dump)], _pg_env(params), "pg_restore --list").stdout
        tables = set(re.findall(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", listing, flags=re.MULTILINE))
        connection.close()
        progress(_("正在恢复数据库（pg_restore）…"))
        _run_tool(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                f"--dbname={params['dbname']}",
                str(dump),
            ],
            _pg_env(params, lock_timeout_ms=PG_LOCK_TIMEOUT_MS),
            "pg_restore",
        )
        # Tables made by migrations newer than the archive are not in it: drop them, so that the
        # database is the archive's and `jiceng migrate` can create them again.
        schemas = sorted({schema for schema, _table in tables}) or ["public"]
        try:
            with psycopg.connect(**params) as conn, conn.cursor() as cur:
                cur.execute(
                    "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(%s)", [schemas]
                )
                extra = sorted(set(cur.fetchall()) - tables)
                for schema, table in extra:
                    progress(_("删除备份中没有的数据表 %(table)s") % {"table": f"{schema}.{table}"})
                    cur.execute(
                        sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(schema, table))
                    )
        except psycopg.Error as e:
            raise BackupError(_("恢复后清理多余的数据表失败：%(error)s") % {"error": e}) from e
        progress(_("正在替换附件文件…"))
        previous_media = _swap_media(staged_media, media_root, stamp)
        if previous_media is not None:
            kept.append(previous_media)
    return kept
