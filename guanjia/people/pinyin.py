"""Pinyin forms of a name for the front-desk search box."""

from __future__ import annotations

from pypinyin import lazy_pinyin

# Surnames read differently from the same character in ordinary words (单 is shàn as a
# surname, not dān). The general converter does not know a name's first character is one.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "召": "shao",
    "缪": "miao",
    "覃": "qin",
    "乐": "yue",
    "员": "yun",
    "种": "chong",
    "尉": "yu",
    "翟": "zhai",
    "秘": "bi",
    "黑": "he",
    "繁": "po",
    "长": "chang",
    "重": "chong",
}


def syllables(name: str) -> list[str]:
    name = name.strip()
    if not name:
        return []
    words = lazy_pinyin(name)
    first = SURNAME_READINGS.get(name[0])
    if first and words:
        words[0] = first
    # Latin names come back whole ("Tom Li"): split them into words.
    result: list[str] = []
    for word in words:
        result.extend(part for part in word.lower().split() if part.isalnum())
    return result


def initials(name: str) -> str:
    return "".join(word[0] for word in syllables(name))[:60]


def full_pinyin(name: str) -> str:
    return "".join(syllables(name))[:200]


def looks_like_pinyin(query: str) -> bool:
    return query.isascii() and query.isalpha()
