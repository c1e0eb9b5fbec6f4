"""Vietnamese text helpers shared by every module that compares or shows text."""
from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def nfc(text: str) -> str:
    """Unicode NFC: reports typed on macOS arrive decomposed (NFD)."""
    return unicodedata.normalize("NFC", text)


def collapse(text: str) -> str:
    """NFC with every run of white space (incl. non-breaking and thin spaces) made one space."""
    return _SPACE.sub(" ", nfc(text).replace("\u00ad", "")).strip()


def fold(text: str) -> str:
    """A comparison key: no diacritics, đ→d, lower case, punctuation as single spaces.

    "ỦY BAN NHÂN DÂN huyện Văn Lâm" and "uy ban nhan dan huyen van lam" fold alike, so that a
    sender who types without diacritics is still recognised.
    """
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").casefold()
    return _NON_WORD.sub(" ", text).strip()


def contains_phrase(haystack_folded: str, phrase: str) -> bool:
    """Whether the folded phrase occurs in the folded haystack on word boundaries."""
    needle = fold(phrase)
    if not needle:
        return False
    return f" {needle} " in f" {haystack_folded} "
