"""Vietnam's provinces and districts before the 2025 reform, for `intake-bot init`: the place names
a supervision plan gives its units ("UBND thị xã Mỹ Hòa") are checked against them, and a name
the gazetteer does not know but spells almost like one of the province's is corrected, the plan's
spelling kept as an alias.

The gazetteer is the `vietnamadminunits` package's SQLite file, read directly (its parser is not
needed); without the package the names are taken as written and `init` says they were not checked.
"""
from __future__ import annotations

import difflib
import importlib.util
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .text import fold


@dataclass(frozen=True)
class District:
    name: str          # "Mỹ Hào"
    kind: str          # "Thị xã", "Huyện", "Thành phố", "Quận"
    province: str      # "Hưng Yên"


def _gazetteer_file() -> Path | None:
    """The package's data file, found without importing the package (whose parsers load seconds
    of data this needs none of)."""
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "dataset.db"
    return path if path.exists() else None


@lru_cache(maxsize=1)
def districts() -> tuple[District, ...]:
    """Every district of the legacy (2024) divisions; empty when the gazetteer is not installed."""
    path = _gazetteer_file()
    if path is None:
        return ()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT DISTINCT districtShort, districtType, provinceShort FROM admin_units_legacy").fetchall()
    return tuple(District(name, kind, province) for name, kind, province in rows if name)


def gazetteer_available() -> bool:
    return bool(districts())


def checked_place(name: str, province: str | None) -> tuple[str, District | None]:
    """(the name as the gazetteer spells it, the district) for a district name written in a plan;
    the name itself and None when the gazetteer does not know it or nothing is close enough. Within
    the province when it is known."""
    candidates = [d for d in districts() if province is None or fold(d.province) == fold(province)]
    if not candidates:
        return name, None
    for district in candidates:
        if district.name == name:
            return name, district
    by_folded = {fold(d.name): d for d in candidates}
    if fold(name) in by_folded:      # the same letters, other diacritics: the gazetteer's spelling
        district = by_folded[fold(name)]
        return district.name, district
    close = difflib.get_close_matches(fold(name), list(by_folded), n=1, cutoff=0.8)
    if close:
        district = by_folded[close[0]]
        return district.name, district
    return name, None
