"""`make bench`: every benchmark of jiceng in one run, on PostgreSQL and on SQLite.

1. The dataset: ../shared/datasets/gen_roster.py --scale $BENCH_SCALE (default province, ~1.06M
   members in ~54k organizations), generated once and cached under var/data/<scale>.
2. For each database (PostgreSQL at $BENCH_DATABASE_URL, default the local server; SQLite under
   var/bench/): `jiceng import` of orgs + members beside a raw load (bench_import.py), the meetings
   (load_province.py --only-meetings), the organization page's numbers and a branch's member list
   (bench_pages.py), one quarter of the compliance engine beside raw SQL (bench_compliance.py), and
   (optional, BENCH_TASKS=0 skips it) a task to every branch and the root's completion view
   (bench_tasks.py); then the modules' own benchmarks: dues (bench_dues.py, importing the
   dataset's dues_base.csv first), resident requests (bench_requests.py) and a year's assessment
   (bench_assessment.py), and residents' intake over HTTP on the production server
   (bench_requests_http.py, PostgreSQL only); BENCH_SKIP=dues,requests,assessment,requests_http leaves
   any of them out.
3. PostgreSQL only: the production server under load over HTTP (bench_http.py: `jiceng serve`, 50
   signed-in sessions over the organization page, the member list, /api/v1/members/, /api/v1/orgs/
   and the health check) in its own database ($BENCH_DATABASE_URL + "_http", loaded once and kept).
4. Everything lands in bench/results/bench-<scale>.json (and http-<scale>.json); a table against the
   targets is printed.

Set BENCH_DATABASES=postgresql or =sqlite to run one of them; BENCH_SCALE=county for a quick run;
BENCH_ONLY=http for the HTTP benchmark alone (`make bench-http`, county unless BENCH_SCALE says).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = (
    str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
)
SCALE = os.environ.get("BENCH_SCALE", "province")
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiceng_bench")
SQLITE_URL = f"sqlite:///{ROOT / 'var' / 'bench' / f'bench-{SCALE}.sqlite3'}"
TARGETS = {
    "import_rows_per_s_postgresql": 25000,
    "import_ratio_to_raw_postgresql": 0.25,
    "import_peak_rss_mb": 600,
    "org_numbers_ms": 50,
    "branch_member_list_ms": 50,
    "compliance_ratio_to_raw": 3,
    "health_check_page_ms": 1000,
    "http_requests_per_s": 300,
    "http_p95_ms": 300,
    "http_errors": 0,
    "task_issue_ms": 10000,
    "task_completion_ms": 50,
    "dues_ratio_to_raw": 3,
    "dues_report_ms": 50,
    "requests_figures_ms": 50,
    "requests_queue_ms": 50,
    "requests_intake_http_per_s": 200,
    "assessment_ratio_to_raw": 3,
}
ONLY = {x for x in os.environ.get("BENCH_ONLY", "").split(",") if x}
HTTP_ONLY = ONLY == {"http"}  # noqa: SIM300


def shared_generator() -> Path:
    for candidate in (
        ROOT.parent / "shared" / "datasets" / "gen_roster.py",
        Path(os.environ.get("JICENG_SHARED", "/nonexistent")) / "datasets" / "gen_roster.py",
    ):
        if candidate.exists():
            return candidate
    sys.exit("gen_roster.py not found: put the shared folder beside the repository or set JICENG_SHARED")


def dataset() -> Path:
    folder = ROOT / "var" / "data" / SCALE
    if not (folder / "manifest.json").exists():
        print(f"== generating the {SCALE} dataset into {folder} (cached)", flush=True)
        subprocess.run(
            [sys.executable, str(shared_generator()), "--scale", SCALE, "--out", str(folder)], check=True
        )
    return folder


def run_json(args: list[str], url: str, **env: str) -> dict:
    print("   $", " ".join(args[1:]), flush=True)
    proc = subprocess.run(
        args,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        return {"error": f"exit {proc.returncode}", "stderr": proc.stderr[-2000:]}
    text = proc.stdout.strip()
    start = text.find("{")  # the scripts print their JSON last; progress lines may precede it
    try:
        return json.loads(text[start:]) if start >= 0 else {}
    except json.JSONDecodeError:
        return {"error": "no JSON", "stdout": text[-2000:]}


def bench_http(url: str, data: Path) -> dict:
    """The production server under load, in a database of its own (loaded on the first run, kept)."""
    http_url = url + "_http"
    return run_json([PY, "bench/bench_http.py", str(data), "--database-url", http_url], http_url)


def bench_database(name: str, url: str, data: Path) -> dict:
    print(f"== {name}", flush=True)
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    if HTTP_ONLY:
        return {"http": bench_http(url, data)} if name == "postgresql" else {}
    out = {"import": run_json([PY, "bench/bench_import.py", str(data), "--database-url", url], url)}
    out["meetings_load"] = run_json([PY, "bench/load_province.py", str(data), "--only-meetings"], url)
    out["pages"] = run_json([PY, "bench/bench_pages.py"], url)
    out["compliance"] = run_json([PY, "bench/bench_compliance.py"], url)
    out["limits"] = run_json([PY, "bench/bench_limits.py"], url)
    if os.environ.get("BENCH_TASKS", "1") != "0":  # optional part: BENCH_TASKS=0 skips it
        out["tasks"] = run_json([PY, "bench/bench_tasks.py"], url)
    for key, script, env in module_benches(data, name):
        if key in SKIP_MODULES or not (ROOT / script).exists():
            continue
        out[key] = run_json([PY, script], url, **env)
    if name == "postgresql":
        out["http"] = bench_http(url, data)
    return out


# The domain modules' benchmarks, run after the core ones on the same database (each prints one JSON
# object). BENCH_SKIP=dues,requests,assessment,requests_http leaves any of them out.
SKIP_MODULES = {x for x in os.environ.get("BENCH_SKIP", "").split(",") if x}

# (result key, label, JSON key, target key or None) for the summary table.
MODULE_ROWS = [
    ("dues", "dues: import dues_base rows/s", "import_rows_per_s", None),
    ("dues", "dues: every amount for a month ms", "amounts_ms", None),
    ("dues", "dues: same amounts, raw SQL ms", "raw_amounts_ms", None),
    ("dues", "dues: amounts ÷ raw SQL", "ratio", "dues_ratio_to_raw"),
    ("dues", "dues: root's month report ms", "report_ms", "dues_report_ms"),
    ("requests", "requests: generated", "requests", None),
    ("requests", "requests: root's year figures ms", "figures_root_ms", "requests_figures_ms"),
    ("requests", "requests: a queue page ms", "queue_ms", "requests_queue_ms"),
    ("requests", "requests: the queue page ms", "queue_page_ms", "requests_queue_ms"),
    ("requests", "requests: intake per s (in-process)", "intake_per_s", None),
    ("requests_http", "requests: intake over HTTP per s", "intake_http_per_s", "requests_intake_http_per_s"),
    ("requests_http", "requests: intake over HTTP p95 ms", "p95_ms", None),
    ("assessment", "assessment: a year, every branch s", "run_s", None),
    ("assessment", "assessment: same indicators, raw SQL s", "raw_s", None),
    ("assessment", "assessment ÷ raw SQL", "ratio", "assessment_ratio_to_raw"),
]


def module_benches(data: Path, database: str = "postgresql") -> list[tuple[str, str, dict[str, str]]]:
    dues_env = {}
    if (data / "dues_base.csv").exists():
        dues_env["BENCH_DUES_BASE"] = str(data / "dues_base.csv")
    out = [
        ("dues", "bench/bench_dues.py", dues_env),
        ("requests", "bench/bench_requests.py", {}),
    ]
    if database == "postgresql":  # its raw SQL is PostgreSQL's; the production server runs on it
        out.append(("assessment", "bench/bench_assessment.py", {}))
        out.append(("requests_http", "bench/bench_requests_http.py", {}))
    return out


def pg_reachable() -> bool:
    try:
        import psycopg

        base = PG_URL.rsplit("/", 1)[0] + "/postgres"
        psycopg.connect(base, connect_timeout=3).close()
        return True
    except Exception as e:  # noqa: BLE001
        print(f"PostgreSQL not reachable ({e}); skipping it", file=sys.stderr)
        return False


def summary(results: dict) -> list[tuple[str, str, object, object]]:
    rows = []
    for db, r in results["databases"].items():
        http = r.get("http")
        if http:
            rows.append(
                (
                    db,
                    "HTTP requests/s (50 sessions)",
                    http.get("requests_per_s"),
                    TARGETS["http_requests_per_s"],
                )
            )
            rows.append((db, "HTTP p50 ms", http.get("p50_ms"), "-"))
            rows.append((db, "HTTP p95 ms", http.get("p95_ms"), TARGETS["http_p95_ms"]))
            rows.append((db, "HTTP p99 ms", http.get("p99_ms"), "-"))
            rows.append((db, "HTTP errors", http.get("errors"), TARGETS["http_errors"]))
            per = http.get("cpu_per_request", {})
            rows.append((db, "HTTP server CPU ms/request", per.get("server_ms"), "-"))
            rows.append((db, "HTTP database CPU ms/request", per.get("db_ms"), "-"))
            rows.append(
                (db, "HTTP load average (1 min, after)", (http.get("load_average_after") or [None])[0], "-")
            )
        if HTTP_ONLY:
            continue
        imp = r.get("import", {})
        rows.append(
            (
                db,
                "import rows/s",
                imp.get("import", {}).get("rows_per_s"),
                TARGETS["import_rows_per_s_postgresql"] if db == "postgresql" else "-",
            )
        )
        rows.append(
            (
                db,
                "import ÷ raw load",
                imp.get("ratio_to_raw"),
                TARGETS["import_ratio_to_raw_postgresql"] if db == "postgresql" else "-",
            )
        )
        rows.append(
            (
                db,
                "import peak RSS MB",
                imp.get("import", {}).get("peak_rss_mb"),
                TARGETS["import_peak_rss_mb"],
            )
        )
        rows.append(
            (
                db,
                "import peak total PSS MB",
                imp.get("import", {}).get("peak_total_pss_mb"),
                TARGETS["import_peak_rss_mb"],
            )
        )
        for node, n in r.get("pages", {}).get("nodes", {}).items():
            rows.append((db, f"org numbers {node} ms", n.get("summary_ms"), TARGETS["org_numbers_ms"]))
            rows.append((db, f"org page {node} ms", n.get("page_ms"), "-"))
            rows.append((db, f"raw GROUP BY {node} ms", n.get("raw_group_by_ms"), "-"))
        lst = r.get("pages", {}).get("branch_member_list", {})
        rows.append((db, "branch member list ms", lst.get("page_ms"), TARGETS["branch_member_list_ms"]))
        comp = r.get("compliance", {})
        rows.append((db, "compliance quarter ms", comp.get("engine_ms"), "-"))
        rows.append((db, "compliance ÷ raw SQL", comp.get("ratio"), TARGETS["compliance_ratio_to_raw"]))
        for state in ("fresh", "stale", "cold"):
            rows.append(
                (
                    db,
                    f"health check page ({state}) ms",
                    comp.get(f"page_{state}_ms"),
                    TARGETS["health_check_page_ms"],
                )
            )
        rows.append((db, "health check refresh (background) ms", comp.get("refresh_ms"), "-"))
        tasks = r.get("tasks")
        if tasks is not None:
            rows.append(
                (
                    db,
                    f"task to {tasks.get('branches')} branches ms",
                    tasks.get("issue_ms"),
                    TARGETS["task_issue_ms"],
                )
            )
            rows.append(
                (db, "task completion (root) ms", tasks.get("completion_ms"), TARGETS["task_completion_ms"])
            )
            rows.append((db, "task completion page ms", tasks.get("completion_page_ms"), "-"))
        for key, label, field, target in MODULE_ROWS:
            part = r.get(key)
            if part is not None:
                rows.append((db, label, part.get(field, part.get("error")), TARGETS.get(target, "-")))
        limits = r.get("limits", {})
        rows.append(
            (db, "attack files, worst peak RSS MB", limits.get("peak_rss_mb"), TARGETS["import_peak_rss_mb"])
        )
    return rows


def main() -> None:
    data = dataset()
    default = "postgresql" if HTTP_ONLY else "postgresql,sqlite"
    wanted = os.environ.get("BENCH_DATABASES", default).split(",")
    results = {
        "scale": SCALE,
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "targets": TARGETS,
        "databases": {},
    }
    if "postgresql" in wanted and pg_reachable():
        results["databases"]["postgresql"] = bench_database("postgresql", PG_URL, data)
    if "sqlite" in wanted:
        db_file = ROOT / "var" / "bench" / f"bench-{SCALE}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        results["databases"]["sqlite"] = bench_database("sqlite", SQLITE_URL, data)
    results["summary"] = [
        dict(zip(("db", "measure", "value", "target"), row, strict=True)) for row in summary(results)
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / (f"bench-{SCALE}.json" if not ONLY else f"bench-{SCALE}-{'-'.join(sorted(ONLY))}.json")
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n{'database':<11} {'measure':<30} {'value':>12} {'target':>8}")
    for row in results["summary"]:
        print(f"{row['db']:<11} {row['measure']:<30} {row['value']!s:>12} {row['target']!s:>8}")
    print(f"\nwritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
