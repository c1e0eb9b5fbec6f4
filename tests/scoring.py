"""The comparisons of ../shared/tools/score.py (how acceptance compares answers with the truth),
for the tests that check extractions against truth files."""
from __future__ import annotations

import re
import unicodedata

_PREFIX = re.compile(r"^(khu công nghiệp|cụm công nghiệp|kcn|ccn)\b[\s.:]*")


def norm_text(value) -> str | None:
    if value is None:
        return None
    return " ".join(unicodedata.normalize("NFC", str(value)).split()).casefold()


def norm_name(value) -> str:
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", norm_text(value) or "")
    text = _PREFIX.sub("", re.sub(r"\s*-\s*", " - ", text))
    return " ".join(text.split()).strip(" .,;")


def row_key(row: dict) -> tuple:
    return (row["kind"] or "").upper(), (row["group"] or "").upper(), norm_name(row["name"])
