"""Vietnamese text helpers shared by every module that compares or shows text."""
from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Unicode categories that are not text to show: controls (Cc: NUL, ESC, line breaks ...), format
# characters (Cf: bidirectional overrides and isolates, zero-width marks, the soft hyphen), lone
# surrogates (Cs) and the line and paragraph separators (Zl, Zp).
_NOT_SHOWN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# The longest file name a file system takes; longer is never a real attachment's name.
MAX_NAME_CHARS = 255
_EXTENSION = re.compile(r"\.[0-9A-Za-z]{1,8}$")


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


def printable(text: str) -> str:
    """NFC text as it may be shown: white-space controls become spaces, every other control or
    format character is dropped. U+202E (right-to-left override) in "báo cáo\u202excod.exe" makes
    it display as "báo cáoexe.docx"; an ESC sequence in a subject would drive the terminal of
    whoever runs `intake-bot status`."""
    if text.isprintable():
        return nfc(text)
    return nfc("".join(" " if ch.isspace() else ch for ch in text
                       if ch.isspace() or unicodedata.category(ch) not in _NOT_SHOWN))


def shown_name(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """A name a sender chose (a file name, a subject in a label), safe to show and store:
    `printable`, white space collapsed, at most `limit` characters - a longer name is cut in the
    middle and keeps its extension ("Báo cáo giám sát…docx" stays a .docx)."""
    name = _SPACE.sub(" ", printable(text)).strip()
    if len(name) <= limit:
        return name
    extension = _EXTENSION.search(name)
    tail = extension.group(0) if extension else ""
    return name[:max(1, limit - len(tail) - 1)].rstrip() + "…" + tail
