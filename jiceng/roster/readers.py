"""Reading roster tables: CSV (UTF-8 with or without BOM, GB18030, UTF-16) and .xlsx, streamed.

A file is never loaded whole: CSV is read line by line, and workbooks through openpyxl's read-only
mode, sheet by sheet. Whatever a file holds, reading it costs bounded memory (docs/security.md,
"Limits on input"): a CSV line is read in pieces of at most ``MAX_LINE_CHARS`` and a cell may not
exceed the csv module's field limit; a workbook's parts are checked from the zip's directory (sizes,
compression ratio) and its worksheets scanned for over-long rows and DTDs before openpyxl parses
anything (with defusedxml: no entity is ever expanded). A cell longer than
``settings.IMPORT_MAX_CELL_CHARS`` is read cut to that length followed by "…", so that it fails its
column's length check and the report holds the cut value. Each table found becomes a ``Source`` whose ``rows()`` yields the data rows as
lists of text cells, numbered as a spreadsheet shows them (the header is row 1), with the exporter's
formula neutralization undone (``formats.restore``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .formats import restore

# A cell that begins or ends with white space (what ``str.strip`` removes), in cells joined by NUL.
_EDGE_SPACE = re.compile(r"(?:^|\0)\s|\s(?:\0|$)")
HEADER_SCAN_ROWS = 10  # a title row or two above the header is common in exported workbooks
SAMPLE_BYTES = 64 * 1024
# CSV lines are read in pieces of at most this many characters: a line without end costs no more.
MAX_LINE_CHARS = 1024 * 1024
# Workbooks: the most one row of a worksheet may take in XML (openpyxl builds a row whole), the most
# the shared strings (read whole by openpyxl) and any other parsed part may take uncompressed.
MAX_ROW_XML_BYTES = 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 100 * 1024 * 1024
MAX_OTHER_PART_BYTES = 16 * 1024 * 1024
CUT_MARK = "…"


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
        limit = settings.IMPORT_MAX_CELL_CHARS
        size = max(1, self.path.stat().st_size)
        with open(self.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            self._fraction = lambda: raw.tell() / size
            reader = csv.reader(bounded_lines(text), delimiter=self.delimiter)
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
                    if len(joined) > limit:
                        cells = [cut(c, limit) for c in cells]
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
                raise csv_error(e, number + 1) from e
            finally:
                self._fraction = lambda: 1.0

    # Workbooks ---------------------------------------------------------------------------------

    def _xlsx_rows(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.headers)
        limit = settings.IMPORT_MAX_CELL_CHARS
        workbook = _load_workbook(self.path)
        try:
            sheet = workbook[self.sheet]
            total = max(1, sheet.max_row or 1)
            number = 0
            self._fraction = lambda: number / total
            for values in _guarded(sheet.iter_rows(values_only=True), lambda: number):  # noqa: B023
                number += 1
                if number <= self.header_row:
                    continue
                cells = [cell_text(v, limit) for v in values[:width]]
                if not any(cells):
                    continue
                if len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                yield number, cells
        finally:
            self._fraction = lambda: 1.0
            workbook.close()


def cut(text: str, limit: int) -> str:
    """A cell longer than the limit: its first ``limit`` characters and "…" (too long for any column)."""
    return text if len(text) <= limit else text[:limit] + CUT_MARK


def bounded_lines(text: io.TextIOBase) -> Iterator[str]:
    """The lines of a text file, a line longer than ``MAX_LINE_CHARS`` in pieces (read in C: no frame
    per line). A cell cannot span pieces unnoticed: the csv module's field limit is far below."""
    return iter(functools.partial(text.readline, MAX_LINE_CHARS), "")


def csv_error(error: csv.Error, row: int) -> SourceError:
    if "field limit" in str(error):
        return SourceError(
            "cell_too_long",
            _("第%(row)d行附近有超过%(n)d个字符的单元格，无法读取；单元格最长%(limit)d个字符")
            % {"row": row, "n": csv.field_size_limit(), "limit": settings.IMPORT_MAX_CELL_CHARS},
            row=row,
        )
    return SourceError("file_format", _("CSV格式错误：%(error)s") % {"error": error}, row=row)


def cell_text(value: Any, limit: int | None = None) -> str:
    """A workbook cell as the text a CSV file would carry (cut to ``limit`` characters and "…")."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
        if limit is not None and len(value) > limit:
            value = value[:limit] + CUT_MARK
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
        first = f.readline(MAX_LINE_CHARS)
        delimiter = "\t" if "\t" in first and "," not in first else ","
        f.seek(0)
        try:
            found = _find_header(csv.reader(bounded_lines(f), delimiter=delimiter), identify)
        except csv.Error as e:
            raise csv_error(e, 1) from e
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
    from openpyxl.utils.exceptions import InvalidFileException

    check_workbook(path)
    try:
        workbook = _load_workbook(path)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as e:
        raise SourceError("file_format", _("无法打开工作簿，文件可能已损坏或不是.xlsx格式")) from e
    sources = []
    limit = settings.IMPORT_MAX_CELL_CHARS
    try:
        for sheet in workbook.worksheets:
            found = _find_header(
                (
                    [cut(c, limit) if isinstance(c, str) else c for c in r]
                    for r in _guarded(sheet.iter_rows(values_only=True), lambda: 0)
                ),
                identify,
            )
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


# Workbooks before parsing ------------------------------------------------------------------------------

# What openpyxl builds whole: a worksheet's row, a shared string.
# (What follows the last one, up to the end tag ``end``, belongs to it; what follows the end tag is not measured.)
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]|(?P<end></(?:[A-Za-z_][\w.-]*:)?sheetData>)")
_SI_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]|(?P<end></(?:[A-Za-z_][\w.-]*:)?sst>)")
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_SCAN_CHUNK = 1024 * 1024


def _load_workbook(path: Path) -> Any:
    """openpyxl's streaming reader; XML it cannot accept (a DTD: defusedxml) is a bad file."""
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except ValueError as e:  # defusedxml's refusals are ValueErrors
        raise SourceError("file_format", _("无法打开工作簿，文件可能已损坏或不是.xlsx格式")) from e


def _guarded(rows: Iterator[Any], where: Callable[[], int]) -> Iterator[Any]:
    """openpyxl's rows; whatever a malformed worksheet makes it raise is a bad file, not a crash."""
    try:
        yield from rows
    except Exception as e:  # noqa: BLE001 (IndexError, KeyError, ValueError, parse errors …)
        raise SourceError(
            "file_format",
            _("工作簿第%(row)d行附近无法读取，文件可能已损坏：请在Excel中打开后另存为.xlsx")
            % {"row": where() + 1},
            row=where() + 1,
        ) from e


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f} MB"


def check_workbook(path: Path) -> None:
    """Refuse a workbook whose reading would cost more than the import may (a zip bomb, a row or cell of
    gigabytes, an XML entity bomb) before openpyxl parses any of it.

    The zip's directory gives each part's sizes: the total uncompressed and each part's compression
    ratio are checked first, from the directory alone (Python's zipfile never inflates a part beyond
    its declared size: a lying directory fails the CRC). Worksheets are then inflated once, in pieces,
    to check that no row takes more than ``MAX_ROW_XML_BYTES`` of XML; no part may declare a DTD.
    """
    problem = _("工作簿不能导入：%(reason)s")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise SourceError("file_format", _("无法打开工作簿，文件可能已损坏或不是.xlsx格式")) from e
    with archive:
        infos = archive.infolist()
        for info in infos:
            ratio = info.file_size / max(1, info.compress_size)
            if info.file_size > 1024 * 1024 and ratio > settings.IMPORT_MAX_XLSX_RATIO:
                raise SourceError(
                    "file_too_large",
                    problem
                    % {
                        "reason": _("其中%(part)s的压缩比为%(ratio)d:1，超过上限%(limit)d:1")
                        % {"part": info.filename, "ratio": ratio, "limit": settings.IMPORT_MAX_XLSX_RATIO}
                    },
                )
            name = info.filename.lower()
            if name.startswith("xl/media/") or not name.endswith((".xml", ".rels", ".vml")):
                continue
            if name.startswith("xl/worksheets/") and name.count("/") == 2:
                cap = settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES
            elif name == "xl/sharedstrings.xml":
                cap = MAX_SHARED_STRINGS_BYTES
            else:
                cap = MAX_OTHER_PART_BYTES
            if info.file_size > cap:
                raise SourceError(
                    "file_too_large",
                    problem
                    % {
                        "reason": _("其中%(part)s解压后为%(size)s，超过上限%(limit)s")
                        % {"part": info.filename, "size": _mb(info.file_size), "limit": _mb(cap)}
                    },
                )
        total = sum(i.file_size for i in infos)
        if total > settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES:
            raise SourceError(
                "file_too_large",
                problem
                % {
                    "reason": _("解压后共%(size)s，超过上限%(limit)s")
                    % {"size": _mb(total), "limit": _mb(settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES)}
                },
            )
        for info in infos:
            name = info.filename.lower()
            if name.startswith("xl/media/") or not name.endswith((".xml", ".rels", ".vml")):
                continue
            tag = (
                _ROW_TAG
                if name.startswith("xl/worksheets/")
                else _SI_TAG
                if name == "xl/sharedstrings.xml"
                else None
            )
            reason = _scan_part(archive, info, tag)
            if reason:
                raise SourceError(
                    "file_format" if "DTD" in reason else "cell_too_long", problem % {"reason": reason}
                )


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, tag: re.Pattern[bytes] | None) -> str | None:
    """Inflate one part in pieces: a DTD, or more than ``MAX_ROW_XML_BYTES`` from one ``tag`` (a
    worksheet's row, a shared string) to the next."""
    last_row = 0  # offset of the latest row tag
    offset = 0
    tail = b""
    try:
        with archive.open(info) as part:
            while True:
                chunk = part.read(_SCAN_CHUNK)
                if not chunk:
                    break
                window = tail + chunk
                if any(d in window for d in _DTD):
                    return _("其中%(part)s含有DTD或实体声明（DTD）") % {"part": info.filename}
                base_offset = offset - len(tail)
                if tag is not None:
                    for match in tag.finditer(window):
                        at = base_offset + match.start()
                        if at <= last_row:
                            continue
                        if at - last_row > MAX_ROW_XML_BYTES and last_row:
                            return _row_too_long(info)
                        last_row = at
                        if match.group("end"):  # the rows (strings) are over
                            tag = None
                            break
                    if tag is not None and last_row and offset + len(chunk) - last_row > MAX_ROW_XML_BYTES:
                        return _row_too_long(info)
                offset += len(chunk)
                tail = window[-32:]
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise SourceError("file_format", _("无法打开工作簿，文件可能已损坏或不是.xlsx格式")) from e
    return None


def _row_too_long(info: zipfile.ZipInfo) -> str:
    return _("%(part)s中有一行超过%(size)s（单元格最长%(limit)d个字符）") % {
        "part": info.filename,
        "size": _mb(MAX_ROW_XML_BYTES),
        "limit": settings.IMPORT_MAX_CELL_CHARS,
    }
