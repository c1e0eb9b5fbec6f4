"""Which campaign units a piece of text names: unit names, short names, issuers and aliases,
compared without diacritics or case, on word boundaries."""
from __future__ import annotations

from .config import Campaign, Unit
from .text import collapse, fold

_NAME_STOPS = frozenset("tren dia ban huyen tinh thi xa thanh pho cua tai va cac da dang".split())


def unit_phrases(unit: Unit) -> list[str]:
    """Every way of writing the unit that the campaign file knows, longest first."""
    phrases = {unit.name, unit.short_name, unit.issuer, *unit.aliases}
    return sorted((p for p in phrases if p and len(fold(p)) >= 3), key=len, reverse=True)


def without_zone_names(text: str, campaign: Campaign) -> str:
    """`text` with the names of appendix rows taken out: up to five capitalised words (or
    numbers, dashes) that are not place-words like "huyện", after the words of one of the
    campaign's appendix kinds ("KCN", "Cụm công nghiệp")."""
    opening = set(campaign.appendix.name_words())
    sizes = sorted({len(w.split()) for w in opening}, reverse=True)
    words = collapse(text).split(" ")
    out: list[str] = []
    n = 0
    while n < len(words):
        out.append(words[n])
        for size in sizes:
            if fold(" ".join(words[n:n + size])) in opening and len(words[n:n + size]) == size:
                out.extend(words[n + 1:n + size])
                n += size
                skipped = 0
                while n < len(words) and skipped < 5 and _name_word(words[n]):
                    n += 1
                    skipped += 1
                break
        else:
            n += 1
    return " ".join(out)


def _name_word(word: str) -> bool:
    folded = fold(word)
    if folded in _NAME_STOPS:
        return False
    return word[:1].isupper() or word[:1].isdigit() or word in ("-", "–")


def units_named_in(text: str, campaign: Campaign) -> dict[str, str]:
    """unit id -> the phrase found, for every unit the text names.

    The names of appendix rows are left out first: "KCN Yên Mỹ" is a zone, not the district of
    Yên Mỹ.
    """
    folded = f" {fold(without_zone_names(text, campaign))} "
    found: dict[str, str] = {}
    for unit in campaign.units.values():
        for phrase in unit_phrases(unit):
            key = fold(phrase)
            if f" {key} " in folded:
                found[unit.id] = phrase
                break
    return found
