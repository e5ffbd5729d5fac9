"""`jiceng import` of a generated dataset, beside a raw load of the same rows, in one run.

    python bench/bench_import.py var/data/county                       # SQLite under var/bench/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench python bench/bench_import.py var/data/county

Steps: a fresh database (PostgreSQL: dropped and created; SQLite: a new file), ``jiceng migrate``,
then the raw load of orgs.csv + members.csv into bare tables of text columns (PostgreSQL COPY through
psycopg; SQLite executemany in one transaction; CSV parsing included, as the importer has to parse
too), then ``jiceng import orgs.csv members.csv`` as a child process (wall time; its peak RSS from wait4;
and, sampled from /proc, the peak total of the import and the reading process it forks, as PSS, which
counts the pages the two share once), then the same import again (everything unchanged). Writes
bench/results/import-<db>-<scale>.json and prints it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGETS = {"rows_per_s": 25000, "ratio_to_raw": 0.25, "peak_rss_mb": 600}
TABLES = ("orgs.csv", "members.csv")


def jiceng_bin() -> list[str]:
    candidate = ROOT / ".venv" / "bin" / "jiceng"
    return [str(candidate)] if candidate.exists() else [sys.executable, "-m", "jiceng"]


def fresh_database(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme.startswith("postgres"):
        import psycopg

        name = parsed.path.lstrip("/")
        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        path = Path(parsed.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)


def read_rows(path: Path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        yield header
        yield from reader


def raw_load(url: str, dataset: Path) -> dict:
    """The same rows into bare tables (text columns, no index, no constraint): the floor."""
    parsed = urlparse(url)
    started = time.perf_counter()
    rows = 0
    if parsed.scheme.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as conn:
            for name in TABLES:
                it = read_rows(dataset / name)
                header = next(it)
                table = "bench_raw_" + name.split(".")[0]
                columns = ", ".join(f"c{i} text" for i in range(len(header)))
                conn.execute(f"DROP TABLE IF EXISTS {table}")
                conn.execute(f"CREATE TABLE {table} ({columns})")
                with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                    for row in it:
                        copy.write_row(row)
                        rows += 1
            conn.commit()
            seconds = time.perf_counter() - started
            for name in TABLES:
                conn.execute(f"DROP TABLE bench_raw_{name.split('.')[0]}")
            conn.commit()
    else:
        conn = sqlite3.connect(parsed.path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        with conn:
            for name in TABLES:
                it = read_rows(dataset / name)
                header = next(it)
                table = "bench_raw_" + name.split(".")[0]
                conn.execute(f"DROP TABLE IF EXISTS {table}")
                conn.execute(f"CREATE TABLE {table} ({', '.join(f'c{i} text' for i in range(len(header)))})")
                marks = ", ".join("?" * len(header))

                def counted(it=it):
                    nonlocal rows
                    for row in it:
                        rows += 1
                        yield row

                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", counted())
        seconds = time.perf_counter() - started
        with conn:
            for name in TABLES:
                conn.execute(f"DROP TABLE bench_raw_{name.split('.')[0]}")
        conn.close()
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", type=Path, help="a folder written by gen_roster.py")
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    ap.add_argument("--scale", help="name in the results file (default: the dataset's manifest)")
    args = ap.parse_args()
    dataset = args.dataset.resolve()
    url = args.database_url or f"sqlite:///{ROOT / 'var' / 'bench' / 'import.sqlite3'}"
    manifest = (
        json.loads((dataset / "manifest.json").read_text()) if (dataset / "manifest.json").exists() else {}
    )
    scale = args.scale or manifest.get("scale") or dataset.name
    db = "postgresql" if url.startswith("postgres") else "sqlite"

    fresh_database(url)
    migrate = subprocess.run(
        [*jiceng_bin(), "migrate", "--noinput", "-v0"], env={**os.environ, "DATABASE_URL": url}, check=False
    )
    if migrate.returncode:
        sys.exit("migrate failed")
    raw = raw_load(url, dataset)
    # The child's RSS is measured alone: wait4 on a fresh child, so the migrate child does not count.
    first = import_child(url, dataset)
    again = import_child(url, dataset)
    rows = raw["rows"]
    result = {
        "db": db,
        "scale": scale,
        "dataset": str(dataset),
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "rows": rows,
        "raw_load": raw,
        "import": {**first, "rows_per_s": round(rows / first["seconds"]) if first["exit"] == 0 else None},
        "reimport_unchanged": {
            **again,
            "rows_per_s": round(rows / again["seconds"]) if again["exit"] == 0 else None,
        },
        "ratio_to_raw": round(rows / first["seconds"] / raw["rows_per_s"], 3) if first["exit"] == 0 else None,
        "targets": TARGETS,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"import-{db}-{scale}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


def import_child(url: str, dataset: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": url}
    # The generated dataset holds years of history (meetings, elections): its records are kept from long
    # before the import day, or the compliance benchmark after it would judge nothing (记录起始日期).
    command = [
        *jiceng_bin(),
        "import",
        "--records-since",
        "1921-07-01",
        *(str(dataset / name) for name in TABLES),
    ]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(child.pid)
    memory.start()
    # Read the pipes in full, then reap the child ourselves to get its own resource usage.
    stdout, stderr = child.stdout.read(), child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    memory.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    reported = re.search(r"(\d+)行，用时([\d.]+)秒", stdout)
    return {
        "exit": child.returncode,
        "seconds": round(seconds, 3),
        "in_transaction_seconds": float(reported[2]) if reported else None,
        # The importer may fork a reading process: wait4's figure is the larger of the two peaks;
        # the sampled totals add both (PSS counts the pages they share once, RSS twice).
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "peak_total_pss_mb": memory.peak_pss_mb,
        "peak_total_rss_mb": memory.peak_rss_mb,
        "output": stdout.strip().splitlines()[-6:] + stderr.strip().splitlines()[-10:],
    }


class TreeMemory(threading.Thread):
    """Samples, four times a second, the memory of a process and its children (Linux /proc)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_pss_mb: float | None = None
        self.peak_rss_mb: float | None = None
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while not self._done.wait(0.25):
            pss = rss = 0
            for pid in self._tree():
                fields = self._read(pid)
                pss += fields.get("Pss", 0)
                rss += fields.get("Rss", 0)
            if rss:
                self.peak_pss_mb = max(self.peak_pss_mb or 0, round(pss / 1024, 1))
                self.peak_rss_mb = max(self.peak_rss_mb or 0, round(rss / 1024, 1))

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo.extend(int(c) for c in f.read().split())
            except OSError:
                continue
        return pids

    @staticmethod
    def _read(pid: int) -> dict[str, int]:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                return {
                    parts[0].rstrip(":"): int(parts[1])
                    for line in f
                    if len(parts := line.split()) >= 2 and parts[1].isdigit()
                }
        except OSError:
            return {}


if __name__ == "__main__":
    main()
