"""Reading roster tables: CSV (UTF-8 with or without BOM, GB18030, UTF-16) and .xlsx, streamed.

A file is never loaded whole: CSV is read line by line, and workbooks through openpyxl's read-only
mode, sheet by sheet. Each table found becomes a ``Source`` whose ``rows()`` yields the data rows as
lists of text cells, numbered as a spreadsheet shows them (the header is row 1), with the exporter's
formula neutralization undone (``formats.restore``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .formats import restore

# A cell that begins or ends with white space (what ``str.strip`` removes), in cells joined by NUL.
_EDGE_SPACE = re.compile(r"(?:^|\0)\s|\s(?:\0|$)")
HEADER_SCAN_ROWS = 10  # a title row or two above the header is common in exported workbooks
SAMPLE_BYTES = 64 * 1024


class SourceError(Exception):
    """A whole file cannot be read; ``code`` is the machine code of the problem."""

    def __init__(self, code: str, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.row = row


def normalize_header(text: object) -> str:
    """Header cells match whatever spacing or required-field star a template adds: " 姓 名* " → "姓名"."""
    value = "" if text is None else str(text)
    return "".join(value.split()).replace("\ufeff", "").rstrip("*＊")


@dataclass
class Source:
    """One table in one file: a CSV file, or one sheet of a workbook."""

    path: Path
    display: str
    kind: str  # "csv" or "xlsx"
    headers: list[str] = field(default_factory=list)  # as normalized for matching
    header_row: int = 1
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str = ","
    _fraction: Callable[[], float] = field(default=lambda: 0.0, repr=False)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.kind == "csv":
            return self._csv_rows()
        return self._xlsx_rows()

    def fraction(self) -> float:
        """How much of the source has been read, 0..1 (for the progress bar)."""
        try:
            return min(1.0, max(0.0, self._fraction()))
        except (ValueError, OSError):
            return 0.0

    # CSV ---------------------------------------------------------------------------------------

    def _csv_rows(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.headers)
        size = max(1, self.path.stat().st_size)
        with open(self.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            self._fraction = lambda: raw.tell() / size
            reader = csv.reader(text, delimiter=self.delimiter)
            number = 0
            try:
                for row in reader:
                    number += 1
                    if number <= self.header_row:
                        continue
                    # Most rows have no cell to strip or restore: one look at the joined row says so.
                    joined = "\0".join(row)
                    cells = row if _EDGE_SPACE.search(joined) is None else [c.strip() for c in row]
                    if not any(cells):
                        continue
                    if "'" in joined:
                        cells = [restore(c) for c in cells]
                    if len(cells) < width:
                        cells.extend([""] * (width - len(cells)))
                    yield number, cells
            except UnicodeDecodeError as e:
                raise SourceError(
                    "file_encoding",
                    _("第%(row)d行附近有无法按%(encoding)s解码的字符，请将文件另存为UTF-8编码的CSV")
                    % {"row": number + 1, "encoding": self.encoding},
                    row=number + 1,
                ) from e
            except csv.Error as e:
                raise SourceError(
                    "file_format", _("CSV格式错误：%(error)s") % {"error": e}, row=number + 1
                ) from e
            finally:
                self._fraction = lambda: 1.0

    # Workbooks ---------------------------------------------------------------------------------

    def _xlsx_rows(self) -> Iterator[tuple[int, list[str]]]:
        from openpyxl import load_workbook

        width = len(self.headers)
        workbook = load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet = workbook[self.sheet]
            total = max(1, sheet.max_row or 1)
            number = 0
            self._fraction = lambda: number / total
            for values in sheet.iter_rows(values_only=True):
                number += 1
                if number <= self.header_row:
                    continue
                cells = [cell_text(v) for v in values[:width]]
                if not any(cells):
                    continue
                if len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                yield number, cells
        finally:
            self._fraction = lambda: 1.0
            workbook.close()


def cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV file would carry."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
        return restore(value) if value[:1] == "'" else value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Opening files -----------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not), UTF-16 (with BOM, as Excel's "Unicode text"), else GB18030."""
    with open(path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError as e:
        raise SourceError(
            "file_encoding", _("无法识别文件编码；请另存为UTF-8或GB18030编码的CSV，或.xlsx工作簿")
        ) from e


Identify = Callable[[list[str]], bool]


def _find_header(rows: Iterator[list[str]], identify: Identify) -> tuple[int, list[str]] | None:
    for number, row in enumerate(rows, start=1):
        headers = [normalize_header(c) for c in row]
        if identify(headers):
            return number, headers
        if number >= HEADER_SCAN_ROWS:
            break
    return None


def open_sources(path: Path, identify: Identify, display: str | None = None) -> list[Source]:
    """The tables of one file. ``identify(headers)`` says whether a row is a known table's header.

    Raises SourceError when the file cannot be read at all, or holds no known table.
    """
    path = Path(path)
    display = display or path.name
    if not path.is_file():
        raise SourceError("file_missing", _("文件不存在：%(path)s") % {"path": path})
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_sources(path, identify, display)
    if suffix == ".xls":
        raise SourceError("file_type", _("不支持旧版.xls格式，请在Excel中另存为.xlsx或CSV"))
    if suffix in (".csv", ".txt", ".tsv", ""):
        return [_csv_source(path, identify, display)]
    raise SourceError("file_type", _("不支持的文件类型%(suffix)s，请上传CSV或.xlsx文件") % {"suffix": suffix})


def _csv_source(path: Path, identify: Identify, display: str) -> Source:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="", errors="replace") as f:
        first = f.readline()
        delimiter = "\t" if "\t" in first and "," not in first else ","
        f.seek(0)
        found = _find_header(csv.reader(f, delimiter=delimiter), identify)
    if found is None:
        raise SourceError(
            "file_unknown", _("无法识别的表格：表头中没有可识别的列（如组织编码、公民身份号码）")
        )
    header_row, headers = found
    return Source(
        path=path,
        display=display,
        kind="csv",
        headers=headers,
        header_row=header_row,
        encoding=encoding,
        delimiter=delimiter,
    )


def _xlsx_sources(path: Path, identify: Identify, display: str) -> list[Source]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as e:
        raise SourceError("file_format", _("无法打开工作簿，文件可能已损坏或不是.xlsx格式")) from e
    sources = []
    try:
        for sheet in workbook.worksheets:
            found = _find_header((list(r) for r in sheet.iter_rows(values_only=True)), identify)
            if found is None:
                continue
            header_row, headers = found
            sources.append(
                Source(
                    path=path,
                    display=f"{display} · {sheet.title}",
                    kind="xlsx",
                    headers=headers,
                    header_row=header_row,
                    sheet=sheet.title,
                )
            )
    finally:
        workbook.close()
    if not sources:
        raise SourceError(
            "file_unknown", _("工作簿中没有可识别的工作表（表头应包含组织编码或公民身份号码等列）")
        )
    return sources
