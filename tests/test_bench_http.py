"""Pieces of the HTTP load benchmark (bench/bench_http.py) that can go wrong without a server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django_otp.oath import TOTP

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import bench_http  # noqa: E402


@pytest.mark.parametrize("at", [0, 59, 1_700_000_000, 2_000_000_029])
def test_the_bench_computes_the_totp_code_django_otp_accepts(at: int) -> None:
    key = "3132333435363738393031323334353637383930"
    expected = TOTP(bytes.fromhex(key))
    expected.time = at
    assert bench_http.totp(key, at=at) == f"{expected.token():06d}"


def test_percentiles_of_the_latencies() -> None:
    values = [i / 1000 for i in range(1, 101)]  # 1 … 100 ms
    assert bench_http.pct(values, 50) == 50.0
    assert bench_http.pct(values, 95) == 95.0
    assert bench_http.pct(values, 99) == 99.0
    assert bench_http.pct([], 50) is None


def test_a_summary_counts_requests_errors_and_rate() -> None:
    latencies = {kind: [0.01, 0.02] for kind in bench_http.KINDS}
    out = bench_http.summarize(latencies, {"org:500": 1}, duration=2.0)
    assert out["requests"] == 2 * len(bench_http.KINDS)
    assert out["requests_per_s"] == len(bench_http.KINDS)
    assert out["errors"] == 1 and out["error_kinds"] == {"org:500": 1}
    assert out["by_kind"]["org"]["p50_ms"] == 10.0
