"""Pinyin keys for searching Chinese names: 张伟 → zhangwei and zw."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def keys(text: str) -> tuple[str, str]:
    syllables = [s.lower() for s in lazy_pinyin(text or "", style=Style.NORMAL, errors="ignore")]
    return "".join(syllables), "".join(s[0] for s in syllables if s)
