"""`make bench`'s driver (bench/run.py): the modules' benchmarks reach the summary table."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import run  # noqa: E402


def test_module_results_reach_the_summary_with_their_targets() -> None:
    results = {
        "databases": {
            "postgresql": {
                "dues": {"amounts_ms": 900.0, "raw_amounts_ms": 450.0, "ratio": 2.0, "report_ms": 12.5},
                "requests": {"error": "exit 1"},
            }
        }
    }
    rows = {(db, measure): (value, target) for db, measure, value, target in run.summary(results)}
    assert rows[("postgresql", "dues: amounts ÷ raw SQL")] == (2.0, 3)
    assert rows[("postgresql", "dues: root's month report ms")] == (12.5, 50)
    assert rows[("postgresql", "dues: import dues_base rows/s")] == (None, "-")
    # A module whose script failed shows its error instead of a number, and one not run shows nothing.
    assert rows[("postgresql", "requests: root's year figures ms")] == ("exit 1", 50)
    assert not any(measure.startswith("assessment") for _, measure in rows)


def test_the_dues_bench_imports_the_datasets_dues_bases_when_the_dataset_has_them(tmp_path: Path) -> None:
    assert dict((k, env) for k, _, env in run.module_benches(tmp_path))["dues"] == {}
    (tmp_path / "dues_base.csv").write_text("公民身份号码,月收入基数\n", encoding="utf-8")
    env = dict((k, env) for k, _, env in run.module_benches(tmp_path))["dues"]
    assert env == {"BENCH_DUES_BASE": str(tmp_path / "dues_base.csv")}
    # The assessment's raw SQL is PostgreSQL's: it runs there only.
    assert "assessment" in [k for k, _, _ in run.module_benches(tmp_path, "postgresql")]
    assert "assessment" not in [k for k, _, _ in run.module_benches(tmp_path, "sqlite")]
    # Intake over HTTP runs the production server, on PostgreSQL only.
    assert "requests_http" in [k for k, _, _ in run.module_benches(tmp_path, "postgresql")]
    assert "requests_http" not in [k for k, _, _ in run.module_benches(tmp_path, "sqlite")]


def test_intake_over_http_reaches_the_summary_with_its_target() -> None:
    results = {"databases": {"postgresql": {"requests_http": {"intake_http_per_s": 150.0, "p95_ms": 210.0}}}}
    rows = {(db, measure): (value, target) for db, measure, value, target in run.summary(results)}
    assert rows[("postgresql", "requests: intake over HTTP per s")] == (150.0, 200)
    assert rows[("postgresql", "requests: intake over HTTP p95 ms")] == (210.0, "-")
