"""The English catalogue: complete, placeholders intact, compiled, and actually used by the pages.

Pure Python: the .po and .mo are parsed by scripts/i18n_check.py's own small parsers, so this runs
without GNU gettext. After adding strings: ``make messages``, translate, ``scripts/i18n_check.py``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from jiceng.members.models import Status
from jiceng.orgs.models import OrgKind

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "jiceng" / "locale" / "en" / "LC_MESSAGES" / "django.po"

# Han ideographs, and the CJK / full-width punctuation that travels with untranslated text (，。：（）).
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
JSON_SCRIPT = re.compile(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', re.S)


def _load_checker():
    name = "jiceng_i18n_check"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "i18n_check.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return sys.modules[name]


checker = _load_checker()


@pytest.fixture(scope="module")
def entries():
    return checker.live_entries(PO)


# --- the catalogue ---------------------------------------------------------------------------------


def test_catalogue_is_settings_locale_path():
    assert Path(settings.LOCALE_PATHS[0]).resolve() == PO.parents[2].resolve()


def test_every_entry_translated_and_not_fuzzy(entries):
    assert len(entries) > 700  # the whole UI, not an empty file that would pass trivially
    untranslated = [e.label() for e in entries if not e.translated]
    fuzzy = [e.label() for e in entries if e.fuzzy]
    assert not untranslated, "untranslated:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy:\n" + "\n".join(fuzzy)
    header = next(e for e in checker.parse_po(PO) if e.is_header)
    assert not header.fuzzy  # a fuzzy header leaves Plural-Forms unused by some tools
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]


def test_english_is_english(entries):
    """A msgstr copied from the msgid (or left half-translated) still holds Chinese."""
    chinese = [
        f"{e.label()} -> {e.value!r}"
        for e in entries
        # Examples of what users type into the pinyin search keep their Chinese name on purpose.
        if CHINESE.search(e.value.replace("张伟", ""))
    ]
    assert not chinese, "\n".join(chinese)


def test_placeholders_kept(entries):
    wrong = []
    for e in entries:
        for text in e.msgstr.values():
            found = checker.placeholders(text)
            if e.msgid_plural is None:
                ok = found == checker.placeholders(e.msgid)
            else:  # a plural form may leave the count out ("one member"), never add or rename one
                ok = set(found) <= set(checker.placeholders(e.msgid_plural))
            if not ok:
                wrong.append(f"{e.label()}: {checker.placeholders(e.msgid)} -> {text!r}")
    assert not wrong, "\n".join(wrong)


def test_plural_entries_have_both_forms(entries):
    plurals = [e for e in entries if e.msgid_plural is not None]
    assert plurals
    for e in plurals:
        assert sorted(e.msgstr) == [0, 1], e.label()
        assert e.msgstr[0] != e.msgstr[1], e.label()  # English does distinguish one from many


def test_mo_is_compiled_from_this_po():
    assert checker.mo_problems(PO) == []


# --- the checker itself (what a later engineer relies on) -------------------------------------------


def test_checker_finds_fuzzy_untranslated_placeholders_and_stale_mo(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.py:1\nmsgid "党员"\nmsgstr "Members"\n\n'
        '#: a.py:2\n#, fuzzy\n#| msgid "党员名"\nmsgid "党员名单"\nmsgstr "Member list"\n\n'
        '#: a.py:3\nmsgid ""\n"组织"\n"名称"\nmsgstr ""\n\n'
        '#: a.py:4\n#, python-format\nmsgid "已保存%(name)s"\nmsgstr "Saved %(nom)s"\n\n'
        '#: a.py:5\n#, python-format\nmsgid "%(counter)s 名"\nmsgid_plural "%(counter)s 名"\n'
        'msgstr[0] "one member"\nmsgstr[1] "%(counter)s members"\n\n'
        '#~ msgid "旧"\n#~ msgstr "old"\n',
        encoding="utf-8",
    )
    parsed = checker.live_entries(po)
    assert [e.msgid for e in parsed] == ["党员", "党员名单", "组织名称", "已保存%(name)s", "%(counter)s 名"]
    problems = "\n".join(p for e in parsed for p in checker.entry_problems(e))
    assert "fuzzy: '党员名单'" in problems
    assert "untranslated: '组织名称'" in problems
    assert "'已保存%(name)s'" in problems  # %(nom)s is not %(name)s
    assert "'%(counter)s 名'" not in problems  # a singular may leave the count out
    assert checker.entry_problems(parsed[0]) == []

    # A .mo holding an older translation does not match; one built from the .po does.
    def write_mo(catalog: dict[str, str]) -> None:
        keys = sorted(catalog)
        ids = b"".join(k.encode() + b"\0" for k in keys)
        strs = b"".join(catalog[k].encode() + b"\0" for k in keys)
        n, start = len(keys), 28 + 16 * len(keys)
        table_ids, table_strs, offset = b"", b"", start
        for k in keys:
            table_ids += len(k.encode()).to_bytes(4, "little") + offset.to_bytes(4, "little")
            offset += len(k.encode()) + 1
        for k in keys:
            table_strs += len(catalog[k].encode()).to_bytes(4, "little") + offset.to_bytes(4, "little")
            offset += len(catalog[k].encode()) + 1
        header = b"".join(x.to_bytes(4, "little") for x in (0x950412DE, 0, n, 28, 28 + 8 * n, 0, 0))
        po.with_suffix(".mo").write_bytes(header + table_ids + table_strs + ids + strs)

    good = {e.key: e.value for e in parsed if e.translated and not e.fuzzy}
    write_mo(good)
    assert checker.parse_mo(po.with_suffix(".mo")) == good
    original_root = checker.ROOT
    checker.ROOT = tmp_path
    try:
        assert checker.mo_problems(po) == []
        write_mo({**good, "党员": "Member"})
        assert "does not match" in checker.mo_problems(po)[0]
    finally:
        checker.ROOT = original_root


# --- translations in use ----------------------------------------------------------------------------


def test_key_strings_in_english():
    with translation.override("en"):
        assert gettext("组织") == "Organizations"
        assert gettext("党员") == "Members"
        assert gettext("党员名单") == "Member list"
        assert gettext("公民身份号码") == "ID number"
        assert str(Status.FULL.label) == "Full member"
        assert str(Status.PROBATIONARY.label) == "Probationary member"
        assert str(OrgKind.BRANCH.label) == "Branch"
        assert str(OrgKind.WORKING_COMMITTEE.label) == "Working committee"
        assert ngettext("%(counter)s 名党员", "%(counter)s 名党员", 1) % {"counter": 1} == "1 member"
        assert ngettext("%(counter)s 名党员", "%(counter)s 名党员", 3) % {"counter": 3} == "3 members"
    with translation.override("zh-hans"):
        assert gettext("组织") == "组织"
        assert str(Status.FULL.label) == "正式党员"


def _data_strings() -> list[str]:
    """Every Chinese text value held in jiceng's tables: names of organizations, members, users..."""
    values: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("jiceng."):
            continue
        fields = [
            f.name for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)
        ]
        if fields:
            for row in model._base_manager.values_list(*fields):
                values.update(v for v in row if isinstance(v, str) and CHINESE.search(v))
    # Language names in the switcher are shown in their own language, by design.
    values.update({"中文", "简体中文"})
    return sorted(values, key=len, reverse=True)


def _untranslated(html: str) -> list[str]:
    # Chart data sits in json_script blocks with \uXXXX escapes: read it as the browser will.
    text = html + "".join(json.dumps(json.loads(b), ensure_ascii=False) for b in JSON_SCRIPT.findall(html))
    for value in _data_strings():
        text = text.replace(value, "")
    return [
        f"{m.group()!r} in …{text[max(0, m.start() - 60) : m.end() + 20]!r}" for m in CHINESE.finditer(text)
    ]


PAGES = [
    ("home", lambda w: reverse("home")),
    ("members", lambda w: reverse("members:list")),
    ("members filtered", lambda w: reverse("members:list") + "?status=full&education=bachelor"),
    ("member", lambda w: reverse("members:detail", args=[w.members_a[0].pk])),
    ("org tree", lambda w: reverse("orgs:tree")),
    ("org", lambda w: reverse("orgs:detail", args=[w.root.code])),
    ("branch", lambda w: reverse("orgs:detail", args=[w.branch_a.code])),
    ("audit", lambda w: reverse("core:audit")),
    ("meetings", lambda w: reverse("life:list") + f"?org={w.branch_a.code}"),
]


@pytest.mark.parametrize("name,url", PAGES, ids=[p[0] for p in PAGES])
def test_pages_in_english_have_no_untranslated_text(world, client_for, name, url):
    client = client_for(world.county_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert ">Organizations<" in html and ">Members<" in html  # the navigation bar
    problems = _untranslated(html)
    assert not problems, f"untranslated text on {name}:\n" + "\n".join(problems)


def test_members_list_switches_language_through_setlang(world, client_for):
    client = client_for(world.alice)
    url = reverse("members:list")
    chinese = client.get(url).content.decode()
    assert "党员名单" in chinese and "Member list" not in chinese  # Chinese is the default

    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302
    english = client.get(url).content.decode()
    assert "Member list" in english and "党员名单" not in english
    assert "Full member" in english  # a model choice label in the table
    assert "张伟" in english  # user data is never translated
    assert not _untranslated(english)


def test_chinese_whatever_the_browser_asks_english_by_the_switch_remembered(world, client_for):
    client = client_for(world.alice)
    url = reverse("members:list")
    # a phone set to English still gets Chinese pages
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans"' in chinese and "党员名单" in chinese
    # the switch chooses English, kept in a cookie that outlives the browser session
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en" and int(cookie["max-age"]) >= 300 * 24 * 3600
    assert "Member list" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    # and back; a cookie naming no language of the site falls back to Chinese
    client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    assert "党员名单" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "党员名单" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
