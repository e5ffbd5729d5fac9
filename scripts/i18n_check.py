#!/usr/bin/env python3
"""Check the English catalogue: every Chinese msgid translated, nothing fuzzy, the .mo in step.

Run it after adding or changing user-visible strings (``make messages`` updates the catalogue):

    .venv/bin/python scripts/i18n_check.py               # re-extract into a temporary copy, then check
    .venv/bin/python scripts/i18n_check.py --no-extract  # check the committed catalogue only

Exit status 1 lists every problem:
- a msgid in the source that the committed catalogue lacks (extraction finds it; run ``make messages``),
- an entry that is untranslated or marked fuzzy,
- an entry whose msgstr drops or adds a placeholder (``%(name)s``, ``%s``, ``{name}``),
- a .mo that does not hold exactly the translations of the .po next to it (stale or not compiled),
- a string marked through an alias makemessages cannot see (``gettext_lazy as _lazy``),
- Chinese written into a template outside {% translate %} (full-width punctuation is only noted).

The re-extraction runs ``makemessages`` with LOCALE_PATHS pointed at a temporary copy of the
catalogue (the committed one ignored, and restored should makemessages write to it anyway), so the
working tree is never touched; it needs GNU gettext (xgettext, msgmerge), the rest does not. Dependency-free on purpose: the .po and .mo parsers
below are small, and jiceng/core/tests/test_i18n.py reuses them.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import struct
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "jiceng" / "locale"
LANGUAGES = ("en",)
DOMAINS = ("django",)
MAKEMESSAGES_IGNORE = (".venv/*", "node_modules/*", "var/*")


# --- .po --------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # index 0 for a singular entry
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    @property
    def key(self) -> str:
        """The key under which msgfmt stores the entry in a .mo file."""
        key = self.msgid if self.msgid_plural is None else f"{self.msgid}\x00{self.msgid_plural}"
        return key if self.msgctxt is None else f"{self.msgctxt}\x04{key}"

    @property
    def value(self) -> str:
        return "\x00".join(self.msgstr[i] for i in sorted(self.msgstr))

    def label(self) -> str:
        where = self.references[0] if self.references else f"line {self.line}"
        ctx = f"[{self.msgctxt}] " if self.msgctxt else ""
        return f"{ctx}{self.msgid!r} ({where})"


def _unquote(text: str, path: Path, lineno: int) -> str:
    text = text.strip()
    if not (len(text) >= 2 and text[0] == text[-1] == '"'):
        raise ValueError(f"{path}:{lineno}: expected a quoted string, got {text!r}")
    # PO strings use C escapes; the ones gettext writes (\\ \" \n \t) read the same in Python.
    return ast.literal_eval(text)


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


def parse_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") and obsolete ("#~") entries included."""
    entries: list[Entry] = []
    current: Entry | None = None
    last: tuple[str, int] | None = None  # (keyword, plural index) that a continuation line extends
    pending_flags: set[str] = set()
    pending_refs: list[str] = []
    pending_obsolete = False

    def finish() -> None:
        nonlocal current, last
        if current is not None:
            entries.append(current)
        current, last = None, None

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # previous msgid of an obsolete entry
                continue
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            if line.startswith("#,"):
                pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            elif line.startswith("#:"):
                pending_refs += line[2:].split()
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, quoted = match.groups()
            if (
                keyword in ("msgctxt", "msgid")
                and current is not None
                and (current.msgstr or keyword == "msgctxt")
            ):
                finish()
            if current is None:
                current = Entry(msgid="", flags=pending_flags, references=pending_refs, line=lineno)
                current.obsolete = obsolete or pending_obsolete
                pending_flags, pending_refs, pending_obsolete = set(), [], False
            text = _unquote(quoted, path, lineno)
            if keyword == "msgctxt":
                current.msgctxt = text
                last = ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid = text
                last = ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural = text
                last = ("msgid_plural", 0)
            else:
                n = int(index) if index is not None else 0
                current.msgstr[n] = text
                last = ("msgstr", n)
            continue
        if line.startswith('"') and current is not None and last is not None:
            text = _unquote(line, path, lineno)
            keyword, n = last
            if keyword == "msgstr":
                current.msgstr[n] += text
            elif keyword == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + text
            else:
                setattr(current, keyword, getattr(current, keyword) + text)
            continue
        raise ValueError(f"{path}:{lineno}: cannot parse {raw!r}")
    finish()
    return entries


def live_entries(path: Path) -> list[Entry]:
    """The entries that matter: no header, no obsolete ones."""
    return [e for e in parse_po(path) if not e.is_header and not e.obsolete]


# --- .mo --------------------------------------------------------------------------------------


def parse_mo(path: Path) -> dict[str, str]:
    """A compiled catalogue as {key: value}; keys and values as in Entry.key / Entry.value."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if order is None:
        raise ValueError(f"{path}: not a GNU .mo file")
    _revision, count, ids_at, strs_at = struct.unpack(order + "4I", data[4:20])
    catalog: dict[str, str] = {}
    for i in range(count):
        id_len, id_off = struct.unpack(order + "2I", data[ids_at + 8 * i : ids_at + 8 * i + 8])
        str_len, str_off = struct.unpack(order + "2I", data[strs_at + 8 * i : strs_at + 8 * i + 8])
        key = data[id_off : id_off + id_len].decode("utf-8")
        catalog[key] = data[str_off : str_off + str_len].decode("utf-8")
    return catalog


# --- checks -----------------------------------------------------------------------------------

# printf-style (%(name)s, %s, %d, %%) and str.format-style ({name}, {0}) placeholders.
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlL]?[diouxXeEfFgGcrsa%]")
_BRACES = re.compile(r"(?<!\{)\{[A-Za-z_0-9]*(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def placeholders(text: str) -> list[str]:
    """The placeholders of a string, sorted, so that reordering in a translation is allowed."""
    return sorted(_PRINTF.findall(text) + _BRACES.findall(text))


def entry_problems(entry: Entry) -> list[str]:
    """What is wrong with one catalogue entry: untranslated, fuzzy, or placeholders changed."""
    problems = []
    if entry.fuzzy:
        problems.append(f"fuzzy: {entry.label()}")
    if not entry.translated:
        problems.append(f"untranslated: {entry.label()}")
        return problems
    wanted = placeholders(entry.msgid)
    for text in entry.msgstr.values():
        found = placeholders(text)
        if entry.msgid_plural is None:
            ok = found == wanted
        else:  # a plural form may leave the count out ("one member"), never add or rename one
            ok = set(found) <= set(placeholders(entry.msgid_plural))
        if not ok:
            problems.append(f"placeholders {found} instead of {wanted}: {entry.label()} -> {text!r}")
    return problems


def mo_problems(po_path: Path) -> list[str]:
    """Whether the .mo next to the .po holds exactly the .po's finished translations."""
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return [f"{mo_path.relative_to(ROOT)} is missing: run `make messages` (compilemessages)"]
    expected = {e.key: e.value for e in live_entries(po_path) if e.translated and not e.fuzzy}
    compiled = {k: v for k, v in parse_mo(mo_path).items() if k != ""}
    if compiled == expected:
        return []
    missing = sorted(expected.keys() - compiled.keys())
    extra = sorted(compiled.keys() - expected.keys())
    changed = sorted(k for k in expected.keys() & compiled.keys() if expected[k] != compiled[k])
    older = " (and older than the .po)" if mo_path.stat().st_mtime < po_path.stat().st_mtime else ""
    detail = "; ".join(
        f"{what}: {', '.join(repr(k.split(chr(0))[0]) for k in keys[:5])}{' ...' if len(keys) > 5 else ''}"
        for what, keys in (
            ("not compiled", missing),
            ("compiled, not translated in the .po", extra),
            ("changed", changed),
        )
        if keys
    )
    return [f"{mo_path.relative_to(ROOT)} does not match the .po{older}: {detail}; run `make messages`"]


def catalogue_problems(po_path: Path) -> list[str]:
    problems = []
    for entry in live_entries(po_path):
        problems += entry_problems(entry)
    return problems


# --- re-extraction ----------------------------------------------------------------------------


def extract(language: str, domain: str, workdir: Path) -> Path:
    """Run makemessages over the source into a copy of the catalogue; return the copy's path."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        raise SystemExit("GNU gettext (xgettext, msgmerge) is not installed; use --no-extract")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    import django
    from django.core.management import call_command
    from django.test.utils import override_settings

    django.setup()
    target = workdir / language / "LC_MESSAGES" / f"{domain}.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    source = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    if source.exists():
        shutil.copy2(source, target)
    # makemessages adopts every "locale" directory it walks past as the catalogue of the files around
    # it, so the committed one must be ignored, or it would be updated in place. Guarded all the same.
    committed = {p: p.read_bytes() for p in LOCALE_DIR.rglob("*") if p.is_file()}
    cwd = os.getcwd()
    os.chdir(ROOT)  # makemessages walks the current directory
    try:
        with override_settings(LOCALE_PATHS=[str(workdir)]):
            call_command(
                "makemessages",
                locale=[language],
                domain=domain,
                ignore_patterns=[*MAKEMESSAGES_IGNORE, str(LOCALE_DIR.relative_to(ROOT))],
                no_obsolete=True,
                verbosity=0,
            )
    finally:
        os.chdir(cwd)
        touched = [p for p, data in committed.items() if not p.exists() or p.read_bytes() != data]
        for p in touched:
            p.write_bytes(committed[p])
        if touched:
            raise SystemExit(f"makemessages wrote into {LOCALE_DIR}; restored it. Please report this.")
    return target


_TRANSLATION_FUNCTIONS = {"gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}


def alias_problems(po_path: Path) -> list[str]:
    """Strings marked through an alias xgettext does not know (``gettext_lazy as _lazy``).

    makemessages extracts ``_``, ``gettext``, ``gettext_lazy`` and the like by name only: a string
    marked with any other name never reaches the catalogue and stays Chinese in every language.
    """
    known = {e.msgid for e in live_entries(po_path)} if po_path.exists() else set()
    problems = []
    for path in sorted((ROOT / "jiceng").rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        aliases = {
            a.asname
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
            for a in node.names
            if a.name in _TRANSLATION_FUNCTIONS and a.asname not in (None, "_")
        }
        for node in ast.walk(tree) if aliases else ():
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in aliases
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value not in known
            ):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                problems.append(
                    f"not extractable: {node.args[0].value!r} ({where}) is marked with {node.func.id}(), "
                    "a name makemessages does not know; call gettext_lazy()/gettext() or _() instead"
                )
    return problems


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff00-\uffef]+")
_TEMPLATE_TRANSLATED = re.compile(
    r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}"
    r"|\{#.*?#\}"
    r"|\{%\s*block(?:trans|translate)\b.*?\{%\s*endblock(?:trans|translate)\s*%\}"
    r"|\{%\s*(?:trans|translate)\s.*?%\}",
    re.S,
)
# Chinese that is right in every language: the language switcher names Chinese in Chinese.
TEMPLATE_LITERALS_ALLOWED = {"中文"}


def template_problems() -> tuple[list[str], list[str]]:
    """Chinese written straight into a template, outside {% translate %} / {% blocktranslate %}.

    Han characters are errors (the text never reaches the catalogue); full-width punctuation
    between translated pieces (，（）：、) is only noted: English pages then show it as it is.
    """
    errors, notes = [], []
    for path in sorted((ROOT / "jiceng").rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        blanked = _TEMPLATE_TRANSLATED.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
        for pattern, bucket in ((_HAN, errors), (_CJK_PUNCTUATION, notes)):
            by_line: dict[int, list[str]] = {}
            for m in pattern.finditer(blanked):
                if m.group() not in TEMPLATE_LITERALS_ALLOWED:
                    by_line.setdefault(blanked.count("\n", 0, m.start()) + 1, []).append(m.group())
            bucket += [
                f"untranslated text in a template: {' '.join(found)} ({path.relative_to(ROOT)}:{line})"
                for line, found in by_line.items()
            ]
    return errors, notes


def stale_problems(committed: Path, extracted: Path) -> tuple[list[str], list[str]]:
    """Msgids the source has and the catalogue lacks (errors); and the reverse (notes)."""
    have = {e.key.split("\x00")[0]: e for e in live_entries(committed)} if committed.exists() else {}
    found = {e.key.split("\x00")[0]: e for e in live_entries(extracted)}
    new = [f"not in the catalogue: {found[k].label()}" for k in found.keys() - have.keys()]
    gone = [f"no longer in the source: {have[k].label()}" for k in have.keys() - found.keys()]
    return sorted(new), sorted(gone)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-extract", action="store_true", help="check the committed catalogue only")
    args = parser.parse_args(argv)

    errors: list[str] = []
    notes: list[str] = []
    counts: list[str] = []
    for language in LANGUAGES:
        for domain in DOMAINS:
            po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
            if not po_path.exists():
                errors.append(f"{po_path.relative_to(ROOT)} is missing: run `make messages`")
                continue
            if not args.no_extract:
                with tempfile.TemporaryDirectory(prefix="jiceng-i18n-") as tmp:
                    extracted = extract(language, domain, Path(tmp))
                    new, gone = stale_problems(po_path, extracted)
                    errors += new
                    notes += gone
            errors += catalogue_problems(po_path)
            errors += mo_problems(po_path)
            errors += alias_problems(po_path)
            counts.append(f"{language}/{domain}: {len(live_entries(po_path))} entries")
    template_errors, template_notes = template_problems()
    errors += template_errors
    notes += template_notes

    for note in notes:
        print(f"note: {note}")
    for error in dict.fromkeys(errors):
        print(f"error: {error}")
    summary = ", ".join(counts)
    if errors:
        print(f"i18n: {len(set(errors))} problem(s) [{summary}]. Run `make messages`, translate, run again.")
        return 1
    print(f"i18n: OK [{summary}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
