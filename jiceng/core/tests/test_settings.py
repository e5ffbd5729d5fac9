"""Production mode: refuses to start without its secrets, and passes Django's deployment checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run_manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("JICENG_") and k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "-m", "jiceng", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "JICENG_ENV": "production",
        "JICENG_SECRET_KEY": secrets.token_urlsafe(50),
        "JICENG_FIELD_KEY": secrets.token_urlsafe(32),
        "JICENG_ALLOWED_HOSTS": "jiceng.example.org",
        "JICENG_VAR_DIR": str(tmp_path),
    }


@pytest.mark.sqlite_pass
def test_check_deploy_is_clean(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.sqlite_pass
def test_production_refuses_to_start_without_keys(tmp_path):
    for missing in ("JICENG_SECRET_KEY", "JICENG_FIELD_KEY", "JICENG_ALLOWED_HOSTS"):
        env = production_env(tmp_path)
        del env[missing]
        result = run_manage(["check"], env)
        assert result.returncode != 0
        assert missing in result.stderr
    assert not (tmp_path / "secret.key").exists()  # nothing generated in production mode
