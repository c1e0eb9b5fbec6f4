"""Headers we write with non-ASCII text (Subject, display names), encoded so every reader shows
every space.

RFC 2047 §6.2: whitespace between two adjacent encoded words is not shown. The standard
library's folder (CPython 3.11) splits a long Vietnamese subject into encoded words at the
spaces, so Gmail shows "đềnghị" and "huyệnVăn Lâm". Here the whole value is one run of encoded
words cut at character boundaries, never at a space: each space travels inside an encoded word,
and the folding whitespace between words is the only thing a reader drops.
"""
from __future__ import annotations

import base64
from email.headerregistry import Address

_LINE = 76  # RFC 2047 §2: a line holding encoded words is at most 76 characters
_OPEN, _CLOSE = "=?utf-8?b?", "?="


def encoded_words(text: str, first_line_used: int) -> list[str]:
    """`text` as base64 encoded words, each fitting the line it goes on (the first line already
    holds `first_line_used` characters; later lines start with one space)."""
    words, chunk, used = [], "", first_line_used
    for char in text:
        if len(_word(chunk + char)) > _LINE - used and chunk:
            words.append(_word(chunk))
            chunk, used = "", 1
        chunk += char
    words.append(_word(chunk))
    return words


def _word(chunk: str) -> str:
    return _OPEN + base64.b64encode(chunk.encode("utf-8")).decode("ascii") + _CLOSE


class EncodedHeader(str):
    """A header value folded here; EmailMessage keeps it as it is (an object with `name` and
    `fold` is taken as an already parsed header) and reads it back as the decoded text."""

    name: str

    def __new__(cls, name: str, decoded: str, pieces: list[str]) -> EncodedHeader:
        header = super().__new__(cls, decoded)
        header.name = name
        header.pieces = pieces
        return header

    def fold(self, *, policy) -> str:
        return f"{self.name}: " + f"{policy.linesep} ".join(self.pieces) + policy.linesep


def unstructured(name: str, value: str) -> str | EncodedHeader:
    """A Subject-like header: ASCII stays as it is for the library to fold; other text becomes
    encoded words with its spaces inside them."""
    if value.isascii():
        return value
    return EncodedHeader(name, value, encoded_words(value, len(name) + 2))


def mailbox(name: str, display_name: str, address: str) -> str | Address | EncodedHeader:
    """An address header with a display name (From): an ASCII name is the library's to quote;
    another is encoded words followed by the address, on a line of its own when it does not fit."""
    if display_name.isascii():
        return Address(display_name, addr_spec=address)
    pieces = encoded_words(display_name, len(name) + 2)
    angle = f"<{address}>"
    used = (len(name) + 2 if len(pieces) == 1 else 1) + len(pieces[-1])
    if used + 1 + len(angle) <= _LINE:
        pieces[-1] += " " + angle
    else:
        pieces.append(angle)
    return EncodedHeader(name, f"{display_name} <{address}>", pieces)
