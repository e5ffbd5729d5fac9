"""Pinyin search keys at import speed, equal to ``jiceng.core.pinyin.keys``.

``core.pinyin.keys`` runs pypinyin's phrase segmentation for every name: about 40 µs, more than
everything else an imported row costs together. pypinyin reads a character on its own (its first
reading) unless a phrase of its dictionary covers it; so a name in which no two neighbouring
characters begin such a phrase is keyed character by character, from a cache. Any other name (one
that may contain a phrase, a letter, a digit, a rare character) goes through ``core.pinyin.keys``.
The tests compare both on every name of the generated roster.
"""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT


@functools.cache
def _pairs() -> frozenset[str]:
    """The first two characters of every phrase pypinyin knows."""
    return frozenset(p[:2] for p in PHRASES_DICT if len(p) >= 2)


@functools.cache
def _syllable(char: str) -> str | None:
    """The toneless reading pypinyin gives a character standing alone, or None if it has none."""
    if not "\u3400" <= char <= "\u9fff":
        return None
    syllables = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return syllables[0].lower() if len(syllables) == 1 and syllables[0] else None


def keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, as ``core.pinyin.keys`` gives them."""
    from jiceng.core import pinyin as core_pinyin

    pairs = _pairs()
    syllables = []
    previous = ""
    for char in name:
        s = _syllable(char)
        if s is None or previous + char in pairs:
            return core_pinyin.keys(name)
        syllables.append(s)
        previous = char
    return "".join(syllables), "".join([s[0] for s in syllables])
