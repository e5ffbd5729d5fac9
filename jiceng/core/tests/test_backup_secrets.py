"""Issue 11, item 1: backups held live credentials and plaintext rosters.

The archive contained raw API token keys, sessions and the uploads of unfinished imports (plaintext
identity numbers); a token taken from the archive revealed a number on the live server. Now sessions,
tokens, login-failure records and import uploads never go into an archive, tokens are stored hashed,
the archive can be encrypted with a passphrase or a key file, and ``--restore`` says what was left out.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import make_id
from jiceng.core import backup
from jiceng.core.backup_crypto import MAGIC, DecryptionError, Secret, decrypt_file
from jiceng.core.tests.test_backup import NAMES, SEED, env_for, jiceng, members_of, ok, pg_database  # noqa: F401

UPLOADED_ID = make_id(dt.date(1966, 6, 6), 66)

CREDENTIALS = """
import json, os
from pathlib import Path
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from jiceng.core import tokens
from jiceng.core.models import User

user = User.objects.get(username="root")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session.create()
_, key = tokens.issue(user=user)
AccessAttempt.objects.create(username="root", ip_address="10.0.0.1", user_agent="x", get_data="",
                             post_data="", http_accept="", path_info="/login/", failures_since_start=2,
                             attempt_time=timezone.now())
job = Path(settings.MEDIA_ROOT) / "imports" / "0b7e8a52-unfinished"
job.mkdir(parents=True)
(job / "members.csv").write_text("姓名,公民身份号码\\n某人," + os.environ["UPLOADED_ID"] + "\\n")
print(json.dumps({"session": session.session_key, "token": key}))
"""

COUNTS = """
import json
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from jiceng.core.models import ApiToken
from jiceng.members.models import Member
print(json.dumps([Session.objects.count(), ApiToken.objects.count(), AccessAttempt.objects.count(),
                  Member.objects.count()]))
"""


def _seeded(tmp_path: Path, database_url: str | None = None, **extra: str) -> tuple[Path, dict, dict]:
    var = tmp_path / "var"
    env = env_for(
        var, database_url or f"sqlite:///{var / 'jiceng.sqlite3'}", UPLOADED_ID=UPLOADED_ID, **extra
    )
    ok(["migrate", "--noinput", "-v", "0"], env)
    ok(["shell", "-c", SEED], env)
    live = json.loads(ok(["shell", "-c", CREDENTIALS], env).stdout.strip().splitlines()[-1])
    return var, env, live


def _counts(env: dict) -> list[int]:
    return json.loads(ok(["shell", "-c", COUNTS], env).stdout.strip().splitlines()[-1])


@pytest.mark.sqlite_pass
def test_no_session_token_or_upload_goes_into_an_archive(tmp_path: Path) -> None:
    var, env, live = _seeded(tmp_path)
    assert _counts(env) == [1, 1, 1, 3]
    made = ok(["backup"], env)
    assert "登录会话" in made.stdout and "未加密" in made.stdout
    archive = next((var / "backups").glob("jiceng-backup-*.tar.gz"))
    contents = members_of(archive)
    assert not [name for name in contents if name.startswith("media/imports")]
    assert json.loads(contents["manifest.json"])["left_out"]["media"] == ["imports"]
    for blob in [*contents.values(), gzip.decompress(archive.read_bytes())]:
        assert UPLOADED_ID.encode() not in blob
        assert live["session"].encode() not in blob
        assert live["token"].encode() not in blob
    database = tmp_path / "copy.sqlite3"
    database.write_bytes(contents["database.sqlite3"])
    with sqlite3.connect(database) as copy:
        for table in ("django_session", "core_apitoken", "axes_accessattempt"):
            assert copy.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table  # noqa: S608
        assert copy.execute("SELECT count(*) FROM members_member").fetchone()[0] == 3
    # The restore says what was left out; afterwards the old session and token are gone.
    restored = ok(["backup", "--restore", str(archive), "--yes"], env)
    assert (
        "登录会话" in restored.stdout and "API令牌" in restored.stdout and "media/imports/" in restored.stdout
    )
    assert _counts(env) == [0, 0, 0, 3]


@pytest.mark.sqlite_pass
def test_an_encrypted_archive_restores_with_its_passphrase_only(tmp_path: Path) -> None:
    passphrase = "correct horse battery staple 2026"
    var, env, _live = _seeded(tmp_path)
    (tmp_path / "pass.txt").write_text(passphrase + "\n")
    made = ok(["backup", "--passphrase-file", str(tmp_path / "pass.txt")], env)
    assert "已加密" in made.stdout
    archive = next((var / "backups").glob("jiceng-backup-*.tar.gz.enc"))
    raw = archive.read_bytes()
    assert raw.startswith(MAGIC)
    assert not any(name.encode() in raw for name in NAMES)
    with pytest.raises(Exception):  # noqa: B017, PT011 (not a gzip file at all)
        gzip.decompress(raw)
    listed = ok(["backup", "--list"], env)
    assert archive.name in listed.stdout and "已加密" in listed.stdout

    ok(["shell", "-c", "from jiceng.members.models import Member; Member.objects.all().delete()"], env)
    for wrong in ({}, {"JICENG_BACKUP_PASSPHRASE": "not the passphrase at all"}):
        refused = jiceng(["backup", "--restore", str(archive), "--yes"], {**env, **wrong})
        assert refused.returncode != 0
        assert "口令" in refused.stderr
    assert _counts(env)[3] == 0  # nothing restored
    assert not list(var.glob("*.before-restore-*")) and not list((var / "backups").glob(".jiceng-decrypt-*"))
    ok(["backup", "--restore", str(archive), "--yes"], {**env, "JICENG_BACKUP_PASSPHRASE": passphrase})
    assert _counts(env)[3] == 3
    assert not list((var / "backups").glob(".jiceng-decrypt-*"))  # the clear copy is gone


def test_key_file_encryption_in_process(tmp_path: Path) -> None:
    """The format itself: a key file, a wrong one refused on the first chunk, a truncated file refused."""
    import io
    import os

    from jiceng.core.backup_crypto import EncryptingWriter

    data = os.urandom(3 * (1 << 20) + 123)
    right = Secret.from_options(key_file=_key_file(tmp_path / "right.key"))
    wrong = Secret.from_options(key_file=_key_file(tmp_path / "wrong.key"))
    sealed = io.BytesIO()
    writer = EncryptingWriter(sealed, right)
    writer.write(data)
    writer.close()
    source = tmp_path / "a.enc"
    source.write_bytes(sealed.getvalue())
    decrypt_file(source, tmp_path / "plain", right)
    assert (tmp_path / "plain").read_bytes() == data
    with pytest.raises(DecryptionError, match="不正确"):
        decrypt_file(source, tmp_path / "plain2", wrong)
    source.write_bytes(sealed.getvalue()[: -(1 << 20)])
    with pytest.raises(DecryptionError, match="损坏|不完整"):
        decrypt_file(source, tmp_path / "plain3", right)
    with pytest.raises(DecryptionError):
        Secret.from_options(key_file=_short(tmp_path / "short.key"))
    with pytest.raises(DecryptionError):
        Secret.from_options(passphrase="short")


def _key_file(path: Path) -> Path:
    import os

    path.write_bytes(os.urandom(32))
    return path


def _short(path: Path) -> Path:
    path.write_bytes(b"0123")
    return path


@pytest.mark.postgresql
def test_postgres_archive_holds_no_credentials(tmp_path: Path, pg_database: str) -> None:  # noqa: F811
    var, env, live = _seeded(tmp_path, pg_database)
    ok(["backup", "--output", str(tmp_path / "out")], env)
    archive = next((tmp_path / "out").glob("jiceng-backup-*.tar.gz"))
    contents = members_of(archive)
    assert not [name for name in contents if name.startswith("media/imports")]
    for blob in contents.values():
        assert live["session"].encode() not in blob and UPLOADED_ID.encode() not in blob
    restored = ok(["backup", "--restore", str(archive), "--yes"], env)
    assert "登录会话" in restored.stdout
    assert _counts(env) == [0, 0, 0, 3]


def test_listing_names_left_out_data():
    assert backup.describe_left_out({"left_out": {"media": ["imports"]}})
    assert backup.describe_left_out({}) == []  # an archive from before this change
