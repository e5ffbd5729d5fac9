"""Memory and time of `jiceng import --check` on the attack's files (issue 11 item 2).

Generates, under a temporary folder, the files the attack used (or their equivalents at full size):

* ``cell-2gb.xlsx``: a 2 MB workbook whose one cell is 2 GB once inflated (ratio ~1000:1);
* ``cell-200mb.xlsx``: a small workbook with a 200 MB cell;
* ``cell-200mb.csv``: a 200 MB CSV made of one cell;
* ``bad-rows.csv``: BENCH_BAD_ROWS (default 730,000) member rows, every one with an error;
* ``long-cells.xlsx``: 20,000 rows each with a 5,000-character cell (within the row limit, over the
  cell limit: read cut and reported).

Each is checked by `jiceng import --check` in a child process, its peak RSS taken from wait4 and its
wall time measured; the JSON printed last carries one entry per file and the worst peak, against
the import's 600 MB target. Run by bench/run.py on each database (it needs a migrated one:
DATABASE_URL).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JICENG = (
    [str(ROOT / ".venv" / "bin" / "jiceng")]
    if (ROOT / ".venv" / "bin" / "jiceng").exists()
    else [
        sys.executable,
        "-m",
        "jiceng",
    ]
)
MB = 1024 * 1024
TARGET_MB = 600
HEADERS = [
    "姓名",
    "性别",
    "公民身份号码",
    "学历",
    "人员类别",
    "党员状态",
    "入党日期",
    "转正日期",
    "所在党组织编码",
]
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _base_workbook(folder: Path) -> Path:
    from openpyxl import Workbook

    path = folder / "base.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("党员花名册")
    ws.append(HEADERS)
    wb.save(path)
    return path


def _workbook(folder: Path, name: str, write_rows) -> Path:
    """A workbook made by openpyxl whose worksheet's XML is written by ``write_rows(out)``."""
    base = _base_workbook(folder)
    path = folder / name
    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADERS)
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, src.read(info))
                continue
            with out.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(
                    f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>'.encode()
                )
                sheet.write(f'<row r="1">{header}</row>'.encode())
                write_rows(sheet)
                sheet.write(b"</sheetData></worksheet>")
    base.unlink()
    return path


def _one_cell(size: int):
    def write(sheet) -> None:
        sheet.write(b'<row r="2"><c t="inlineStr"><is><t>')
        chunk = b"A" * MB
        for _ in range(size // MB):
            sheet.write(chunk)
        sheet.write(b"</t></is></c></row>")

    return write


def _long_cells(rows: int):
    def write(sheet) -> None:
        import random

        rng = random.Random(2)
        alphabet = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"  # varied: compresses like real text
        for r in range(2, rows + 2):
            cell = "".join(rng.choices(alphabet, k=5000))
            sheet.write(f'<row r="{r}"><c t="inlineStr"><is><t>{cell}</t></is></c></row>'.encode())

    return write


def make_files(folder: Path, bad_rows: int) -> dict[str, Path]:
    files = {
        "cell-2gb.xlsx": _workbook(folder, "cell-2gb.xlsx", _one_cell(2048 * MB)),
        "cell-200mb.xlsx": _workbook(folder, "cell-200mb.xlsx", _one_cell(200 * MB)),
        "long-cells.xlsx": _workbook(folder, "long-cells.xlsx", _long_cells(20_000)),
    }
    path = folder / "cell-200mb.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(HEADERS) + "\n")
        chunk = "x" * MB
        for _ in range(200):
            f.write(chunk)
        f.write("\n")
    files[path.name] = path
    path = folder / "bad-rows.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for i in range(bad_rows):
            w.writerow(
                [
                    f"党员{i}",
                    "未知",
                    "11010519760606109X",
                    "博士后",
                    "在岗职工",
                    "正式党员",
                    "2010-07-01",
                    "",
                    "ZZ",
                ]
            )
    files[path.name] = path
    return files


def check(path: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*JICENG, "import", str(path), "--check"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    stderr = proc.stderr.read() if proc.stderr else b""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = stderr.decode(errors="replace").strip().splitlines()
    return {
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "exit": proc.returncode,
        "errors_listed": sum(1 for line in lines if line.endswith(")")),
        "first_error": lines[0][:160] if lines else "",
        "last_line": lines[-1][:160] if lines else "",
    }


def main() -> None:
    bad_rows = int(os.environ.get("BENCH_BAD_ROWS", "730000"))
    with tempfile.TemporaryDirectory(prefix="jiceng-bench-limits-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        files = make_files(folder, bad_rows)
        print(f"files made in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
        results = {}
        for name, path in files.items():
            results[name] = check(path)
            print(name, results[name], file=sys.stderr, flush=True)
    peak = max(r["peak_rss_mb"] for r in results.values())
    print(json.dumps({"files": results, "peak_rss_mb": peak, "target_mb": TARGET_MB}, ensure_ascii=False))


if __name__ == "__main__":
    main()
