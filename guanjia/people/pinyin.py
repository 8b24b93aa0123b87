"""Pinyin forms of a name for the front-desk search box.

A name's pinyin is ambiguous in its surname: 长孙无忌 is Zhǎngsūn Wújì, though 长 alone is
most often cháng; 单 is Shàn as a surname and dān in words. A clerk types what they hear, so
each name is indexed under every reading of its surname: the surname reading, the common
reading of the character, and each other reading of an ambiguous first character. The
stored initials and full pinyin are those forms joined by spaces, the surname reading
first ("zswj cswj"); the search matches the start of any of them."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin import pinyin as pinyin_readings

INITIALS_LENGTH = 60  # Person.name_initials
PINYIN_LENGTH = 200  # Person.name_pinyin
FORM_SEPARATOR = " "

# Two-character surnames (复姓), read as surnames: the general converter reads 长孙 by its
# word reading at best, and 尉迟, 万俟, 澹台 by the characters' common readings.
COMPOUND_SURNAMES: dict[str, tuple[str, str]] = {
    "长孙": ("zhang", "sun"),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "令狐": ("ling", "hu"),
    "澹台": ("tan", "tai"),
    "宇文": ("yu", "wen"),
    "欧阳": ("ou", "yang"),
    "上官": ("shang", "guan"),
    "司马": ("si", "ma"),
    "司徒": ("si", "tu"),
    "司空": ("si", "kong"),
    "诸葛": ("zhu", "ge"),
    "公孙": ("gong", "sun"),
    "慕容": ("mu", "rong"),
    "皇甫": ("huang", "fu"),
    "夏侯": ("xia", "hou"),
    "端木": ("duan", "mu"),
    "东方": ("dong", "fang"),
    "独孤": ("du", "gu"),
    "南宫": ("nan", "gong"),
    "西门": ("xi", "men"),
    "呼延": ("hu", "yan"),
    "轩辕": ("xuan", "yuan"),
    "钟离": ("zhong", "li"),
    "宗政": ("zong", "zheng"),
    "濮阳": ("pu", "yang"),
    "淳于": ("chun", "yu"),
    "单于": ("chan", "yu"),
    "太史": ("tai", "shi"),
    "申屠": ("shen", "tu"),
    "公冶": ("gong", "ye"),
    "赫连": ("he", "lian"),
    "拓跋": ("tuo", "ba"),
    "百里": ("bai", "li"),
    "闻人": ("wen", "ren"),
    "仲孙": ("zhong", "sun"),
    "第五": ("di", "wu"),
}

# Surnames read differently from the same character in ordinary words (单 is shàn as a
# surname, not dān). Where both readings are in use as surnames (乐 Yuè and Lè, 覃 Qín and
# Tán, 盖 Gě and Gài), the common one is indexed too, as every reading is.
SURNAME_READINGS: dict[str, str] = {
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
    "隗": "wei",
    "厍": "she",
    "黑": "he",
    "繁": "po",
    "长": "chang",
    "重": "chong",
    "折": "she",
    "句": "gou",
    "费": "fei",
    "过": "guo",
    "沈": "shen",
    "祭": "zhai",
    "冼": "xian",
    "洗": "xian",
    "眭": "sui",
    "阚": "kan",
    "佴": "nai",
}


def is_han(character: str) -> bool:
    return "\u4e00" <= character <= "\u9fff" or "\u3400" <= character <= "\u4dbf"


def readings_of(character: str) -> list[str]:
    """Every reading pypinyin knows for one character, without tones."""
    return [reading for reading in pinyin_readings(character, style=Style.NORMAL, heteronym=True)[0] if reading]


def words_of(text: str) -> list[str]:
    """Lower-case pinyin syllables; Latin names come back whole ("Tom Li") and are split here."""
    result: list[str] = []
    for word in lazy_pinyin(text):
        result.extend(part for part in word.lower().split() if part.isalnum())
    return result


def surname_readings(name: str) -> tuple[int, list[list[str]]]:
    """How many characters the surname has, and its readings, the surname reading first."""
    compound = COMPOUND_SURNAMES.get(name[:2])
    if compound is not None:
        # 长孙 zhangsun, and changsun as a clerk who reads 长 as in 长江 would type it.
        common = [[reading, *compound[1:]] for reading in readings_of(name[0])]
        return 2, [list(compound), words_of(name[:2]), *common]
    first = name[0]
    if not is_han(first):
        return 0, []
    readings = [SURNAME_READINGS[first]] if first in SURNAME_READINGS else []
    # The reading the converter gives in this name (a word reading such as 长孙 zhǎngsūn), then
    # every other reading of the character: the clerk may have heard any of them.
    readings.append(words_of(name)[0] if words_of(name) else "")
    readings.extend(readings_of(first))
    return 1, [[reading] for reading in readings if reading]


@lru_cache(maxsize=4096)
def spellings(name: str) -> tuple[tuple[str, ...], ...]:
    """Each way to spell the name in pinyin syllables, the surname reading first, no repeats.
    Kept for recent names: a name's initials and its full pinyin are both made from these."""
    name = name.strip()
    if not name:
        return ()
    length, surnames = surname_readings(name)
    if not surnames:
        return (tuple(words_of(name)),)
    rest = words_of(name[length:])
    found: list[tuple[str, ...]] = []
    for surname in surnames:
        spelling = tuple(surname + rest)
        if spelling not in found:
            found.append(spelling)
    return tuple(found)


def joined(forms: list[str], limit: int) -> str:
    """The distinct forms joined by spaces, as many whole ones as fit in `limit` characters."""
    kept: list[str] = []
    for form in forms:
        if not form or form in kept:
            continue
        candidate = FORM_SEPARATOR.join([*kept, form])
        if len(candidate) > limit:
            if not kept:
                return form[:limit]
            break
        kept.append(form)
    return FORM_SEPARATOR.join(kept)


def syllables(name: str) -> list[str]:
    """The name's syllables in its surname reading."""
    found = spellings(name)
    return list(found[0]) if found else []


def initials(name: str) -> str:
    """Every initials form of the name: 长孙无忌 → "zswj cswj"."""
    return joined(["".join(word[0] for word in spelling) for spelling in spellings(name)], INITIALS_LENGTH)


def full_pinyin(name: str) -> str:
    """Every full pinyin form of the name: 单田芳 → "shantianfang dantianfang chantianfang"."""
    return joined(["".join(spelling) for spelling in spellings(name)], PINYIN_LENGTH)


def looks_like_pinyin(query: str) -> bool:
    return query.isascii() and query.isalpha()
