"""Reading a command line: the command's words, units, dates, `#N` references, outline items.

Case, diacritics, extra spaces and a leading `-`, `*`, `•` or number are ignored. A word written
WITHOUT diacritics matches its accented form ("gan" is GÁN), but a word written with OTHER
diacritics does not ("Gần đây…" starts a sentence, not GÁN): the secretary types either the
right word or plain ASCII, and a line of ordinary prose must never become a command.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from typing import Callable

from ..config import Campaign, Outline, OutlineItem, Unit
from ..text import collapse, fold
from .base import Refusal

_BULLET = re.compile(r"^\s*(?:(?:[-*•·+]+|\(?\d{1,3}[.):]|\d{1,3}\s)\s*)+")
_REF = re.compile(r"^#*\s*(\d{1,9})$")
_DATE_FORMS = (
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"), lambda m: (int(m[3]), int(m[2]), int(m[1]))),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), lambda m: (int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"^(\d{1,2})[/.](\d{1,2})$"), None),  # dd/mm: the campaign's year
)
EMAIL = re.compile(r"^<?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?[.,;]?$")


def strip_bullet(line: str) -> str:
    """The line without a leading list marker and spaces, white space collapsed."""
    return collapse(_BULLET.sub("", collapse(line), count=1))


def _has_marks(word: str) -> bool:
    decomposed = unicodedata.normalize("NFD", word)
    return "đ" in word.lower() or any(unicodedata.category(ch) == "Mn" for ch in decomposed)


def word_matches(written: str, expected: str) -> bool:
    """`written` is the expected word, in any case, with its diacritics or with none."""
    written = written.strip(":,.;")
    if fold(written) != fold(expected) or not fold(written):
        return False
    return not _has_marks(written) or collapse(written).lower() == collapse(expected).lower()


def match_words(line: str, phrase: str) -> str | None:
    """The rest of `line` when it starts with the words of `phrase`, else None."""
    tokens = line.split(" ")
    wanted = phrase.split(" ")
    if len(tokens) < len(wanted):
        return None
    if all(word_matches(t, w) for t, w in zip(tokens, wanted)):
        return " ".join(tokens[len(wanted):]).lstrip(":, ").strip()
    return None


# ------------------------------------------------------------------ references


def parse_ref(token: str) -> int | None:
    m = _REF.match(token.strip().rstrip(":,.;"))
    return int(m[1]) if m else None


def take_ref(rest: str, usage: str) -> tuple[int, str]:
    """The `#N` at the start of `rest`, and what follows."""
    head, _, tail = rest.partition(" ")
    if head.startswith("#") and head == "#" and tail:  # "# 12"
        head, _, tail = tail.partition(" ")
    ref = parse_ref(head)
    if ref is None:
        raise Refusal(f"thiếu số tham chiếu #N (ví dụ: {usage})", f"no #N reference in {rest!r}", usage)
    return ref, tail.strip()


# ------------------------------------------------------------------ dates


def parse_date(token: str, campaign: Campaign) -> dt.date | None:
    token = token.strip().rstrip(":,;")
    for pattern, order in _DATE_FORMS:
        m = pattern.match(token)
        if not m:
            continue
        year, month, day = order(m) if order else (campaign.deadline.year, int(m[2]), int(m[1]))
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def looks_like_date(token: str) -> bool:
    return any(p.match(token.strip().rstrip(":,;")) for p, _ in _DATE_FORMS)


# ------------------------------------------------------------------ units


def _key(text: str) -> str:
    """Diacritics, case, hyphens and spacing ignored: "UBND huyện Văn-Lâm" -> "ubndhuyenvanlam"."""
    return fold(text).replace(" ", "")


def unit_names(unit: Unit) -> set[str]:
    return {n for n in (unit.id, unit.name, unit.short_name, unit.issuer, *unit.aliases) if n and _key(n)}


def unit_keys(unit: Unit) -> set[str]:
    return {_key(n) for n in unit_names(unit)}


_INDEX: dict[int, tuple[dict, dict[str, list[Unit]]]] = {}


def _name_index(campaign: Campaign) -> dict[str, list[Unit]]:
    """Every unit name's key -> the units it names, built once per set of units (a reloaded
    campaign file, or one with added addresses, is a new set)."""
    cached = _INDEX.get(id(campaign.units))
    if cached is not None and cached[0] is campaign.units:
        return cached[1]
    index: dict[str, list[Unit]] = {}
    for unit in campaign.units.values():
        for key in unit_keys(unit):
            index.setdefault(key, []).append(unit)
    _INDEX.clear()  # one campaign at a time: never grows
    _INDEX[id(campaign.units)] = (campaign.units, index)
    return index


def units_for(text: str, campaign: Campaign) -> list[Unit]:
    """The units `text` is exactly a name of (id, name, short name, issuer, alias)."""
    key = _key(text)
    return list(_name_index(campaign).get(key, [])) if key else []


def closest_unit_name(text: str, campaign: Campaign) -> str | None:
    """The known name of a unit closest to `text` (as the campaign file writes it), if any is close."""
    best, best_ratio = None, 0.0
    key = _key(text)
    for unit in campaign.units.values():
        for name in sorted(unit_names(unit), key=lambda n: (not _has_marks(n), n)):
            ratio = difflib.SequenceMatcher(None, key, _key(name)).ratio()
            if ratio > best_ratio:
                best, best_ratio = name, ratio
    return best if best_ratio >= 0.6 else None


# Words people put before a unit or a date ("GÁN #12 cho Văn Lâm", "GIA HẠN Văn Lâm đến 20/5").
UNIT_FILLERS = ("cho đơn vị", "đơn vị", "cho", "for", "to")
DATE_FILLERS = ("đến ngày", "tới ngày", "đến hết ngày", "đến", "tới", "ngày", "hạn", "until", "to", "by")


def without_filler(text: str, fillers: tuple[str, ...]) -> str:
    """`text` without one leading filler phrase (matched like command words)."""
    text = text.strip(" :,;")
    for filler in fillers:
        rest = match_words(text, filler)
        if rest is not None and rest:
            return rest
    return text


def resolve_unit(text: str, campaign: Campaign, rebuild: Callable[[str], str]) -> Unit:
    """The one unit `text` names; Refusal when none or several (never a guess). `rebuild`
    writes the line again with a unit's short name: the suggestion on a near miss."""
    text = without_filler(text, UNIT_FILLERS).strip(" :,.;")
    if not text:
        example = rebuild("Văn Lâm")
        raise Refusal(f"thiếu tên đơn vị (ví dụ: {example})", "no unit given", example)
    found = units_for(text, campaign)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise _two_units(text, found)
    named = _units_inside(text, campaign)
    if len(named) > 1:
        raise _two_units(text, named)
    close = closest_unit_name(text, campaign)
    suggestion = rebuild(close) if close else None
    why = f"không tìm thấy đơn vị “{text}”" + (f"; có phải đồng chí muốn viết “{close}”?" if close else
                                                 "; tên đơn vị phải như trong kế hoạch (ví dụ “Văn Lâm”)")
    raise Refusal(why, f"unknown unit {text!r}", suggestion)


def _units_inside(text: str, campaign: Campaign) -> list[Unit]:
    folded = f" {fold(text)} "
    return [u for u in campaign.units.values()
            if any(f" {fold(n)} " in folded for n in (u.id, u.name, u.short_name, *u.aliases) if fold(n))]


def _two_units(text: str, units: list[Unit]) -> Refusal:
    names = ", ".join(u.short_name for u in units)
    return Refusal(f"“{text}” chỉ tới nhiều đơn vị ({names}); hệ thống không đoán, đề nghị ghi rõ một đơn vị",
                   f"{text!r} names several units: {', '.join(u.id for u in units)}", None)


def split_unit(rest: str, campaign: Campaign, rebuild: Callable[[str, str], str]) -> tuple[Unit, str]:
    """The unit at the start of `rest` (the longest run of words that names one) and the rest.
    `rebuild(unit name, rest)` writes the line again, for the suggestion on a near miss."""
    rest = without_filler(rest, UNIT_FILLERS)
    tokens = rest.split(" ") if rest else []
    for n in range(len(tokens), 0, -1):
        found = units_for(" ".join(tokens[:n]), campaign)
        if len(found) > 1:
            raise _two_units(" ".join(tokens[:n]), found)
        if found:
            return found[0], " ".join(tokens[n:]).strip(" :,;")
    # Nothing names a unit: the words before the first that cannot be a name's (a date, a
    # number, an address) should have; the closest unit name to them is the suggestion.
    cut = next((n for n, t in enumerate(tokens) if looks_like_date(t) or EMAIL.match(t) or re.match(r"^[IVX]+(\.\d+)*$", t)), len(tokens))
    cut = min(cut, 5) or min(len(tokens), 1)
    tail = " ".join(tokens[cut:])
    resolve_unit(" ".join(tokens[:cut]), campaign, lambda name: rebuild(name, tail))
    raise Refusal("không tìm thấy tên đơn vị", f"no unit in {rest!r}")


def short(unit: Unit) -> str:
    return unit.short_name


# ------------------------------------------------------------------ outline items


def resolve_item(text: str, outline: Outline, unit: Unit, usage: str) -> OutlineItem:
    """An outline item by its key ("II.3", "muc II.3") or the words of its title or aliases."""
    text = re.sub(r"^(mục|muc|item)\s+", "", text.strip(" :,."), flags=re.I)
    if not text:
        raise Refusal(f"thiếu mục của đề cương (ví dụ: {usage})", "no outline item given", usage)
    for item in outline.items:
        if item.key.lower() == text.lower().rstrip("."):
            return item
    wanted = fold(text)
    exact = [i for i in outline.items if wanted in (fold(i.title), *(fold(a) for a in i.aliases))]
    if len(exact) == 1:
        return exact[0]
    within = [i for i in outline.items
              if any(f" {wanted} " in f" {fold(t)} " for t in (i.title, *i.aliases))]
    if len(within) == 1:
        return within[0]
    keys = ", ".join(f"{i.key} ({i.title})" for i in (within or outline.items)[:8])
    if within:
        raise Refusal(f"“{text}” khớp với nhiều mục của đề cương: {keys}; đề nghị ghi số mục",
                      f"{text!r} matches several items", None)
    raise Refusal(f"đề cương của {unit.short_name} không có mục “{text}”; các mục: {keys}",
                  f"no outline item {text!r} for {unit.id}", None)
