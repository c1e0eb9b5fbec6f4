"""Which campaign units a piece of text names: unit names, short names, issuers and aliases,
compared without diacritics or case, on word boundaries."""
from __future__ import annotations

from .config import Campaign, Unit
from .text import fold


def unit_phrases(unit: Unit) -> list[str]:
    """Every way of writing the unit that the campaign file knows, longest first."""
    phrases = {unit.name, unit.short_name, unit.issuer, *unit.aliases}
    return sorted((p for p in phrases if p and len(fold(p)) >= 3), key=len, reverse=True)


def units_named_in(text: str, campaign: Campaign) -> dict[str, str]:
    """unit id -> the phrase found, for every unit the text names.

    A phrase that lies inside a longer phrase of another unit found at the same place does not
    count: "Khu công nghiệp Yên Mỹ" is not the district of Yên Mỹ when a longer alias matched.
    """
    folded = f" {fold(text)} "
    found: dict[str, str] = {}
    for unit in campaign.units.values():
        for phrase in unit_phrases(unit):
            key = fold(phrase)
            if f" {key} " in folded:
                found[unit.id] = phrase
                break
    return found
