"""Vietnamese text typed in the 8-bit font encodings that predate Unicode: TCVN3 (ABC) and VNI.

Such text sits in a Word file as ordinary cp1252/latin-1 characters ("Céng hoµ x· héi",
"Vieät Nam") and only reads as Vietnamese through the legacy font it is set in. The font tells
the encoding: `.VnTime`, `.VnArial` and every font whose name starts with ".Vn" are TCVN3;
`VNI-Times` and every "VNI-" font are VNI. When no font says so, the characters themselves may
(`detect_legacy_text`), but only under a strict test, since French or Spanish text is made of
the same characters.
"""
from __future__ import annotations

import re
import unicodedata

ENCODING_NAMES = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI"}

# TCVN3 (ABC, TCVN 5712:1993 VN3): one byte per letter; the font holds lower-case accented
# letters and the seven capitals Ă Â Ê Ô Ơ Ư Đ. Byte 0xAD ("ư") is the soft hyphen of cp1252.
_TCVN3_LETTERS = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
# Word keeps a symbol-font character either as the byte's latin-1 character or in the private
# use area at U+F000 + byte; both spellings are decoded.
_TCVN3_TABLE = {**_TCVN3_LETTERS, **{0xF000 + byte: letter for byte, letter in _TCVN3_LETTERS.items()}}

# VNI: a base letter followed by a mark character from the font's upper half. Each mark stands
# for one or two combining marks; NFC then composes the letter.
_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE = "\u0302", "\u0306"
_VNI_MARKS = {
    "ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT,
    "â": _CIRCUMFLEX, "á": _CIRCUMFLEX + _ACUTE, "à": _CIRCUMFLEX + _GRAVE,
    "å": _CIRCUMFLEX + _HOOK, "ã": _CIRCUMFLEX + _TILDE, "ä": _CIRCUMFLEX + _DOT,
    "ê": _BREVE, "é": _BREVE + _ACUTE, "è": _BREVE + _GRAVE,
    "ú": _BREVE + _HOOK, "ü": _BREVE + _TILDE, "ë": _BREVE + _DOT,
}
_VNI_MARKS.update({mark.upper(): combining for mark, combining in _VNI_MARKS.items()})
# Letters VNI stores whole: ơ ư đ and the accented i and y.
_VNI_LETTERS = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}
_VNI_LETTERS.update({code.upper(): letter.upper() for code, letter in _VNI_LETTERS.items()})

# Vietnamese syllables, for the statistical test: onset, vowel nucleus (with its glides), coda.
_TONE_MARKS = frozenset((_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT))
_NUCLEI = sorted("""a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi oo ôi
    ơi ua uâ uê ui uô uơ uy ưa ưi ươ ưu yê iêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu yêu
    """.split(), key=len, reverse=True)
_SYLLABLE = re.compile(
    "(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?"
    f"(?:{'|'.join(_NUCLEI)})"
    "(?:ch|ng|nh|[cmnpt])?"
)
_VIETNAMESE_VOWELS = frozenset("aeiouyAEIOUY")
# Characters of cp1252 that Word may hold in a legacy-font run besides latin-1.
_CP1252_EXTRA = frozenset(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore"))
# Accented letters that Unicode Vietnamese takes from latin-1; a TCVN3 signature must lie outside.
_UNICODE_VIETNAMESE_LATIN1 = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_TCVN3_SIGNATURE = frozenset(chr(byte) for byte in _TCVN3_LETTERS) - _UNICODE_VIETNAMESE_LATIN1
_TCVN3_TOKEN = re.compile("[A-Za-z" + re.escape("".join(chr(b) for b in _TCVN3_LETTERS)) + "]+")
_VNI_TOKEN = re.compile("[A-Za-z" + re.escape("".join(_VNI_MARKS) + "".join(_VNI_LETTERS)) + "]+")

# The statistical test must see this many words that decode into Vietnamese syllables and carry
# the encoding's signature, and most of the candidate words must decode cleanly.
MIN_SIGNED_WORDS = 5
MIN_VALID_SHARE = 0.8
MIN_SIGNED_SHARE = 0.5


def detect_legacy_font(font_name: str | None) -> str | None:
    """"tcvn3" for a ".Vn…" font, "vni" for a "VNI-…" font, else None."""
    name = (font_name or "").strip()
    if name[:3].lower() == ".vn":
        return "tcvn3"
    if re.match(r"vni[-_ ]", name, re.IGNORECASE):
        return "vni"
    return None


def is_capitals_font(font_name: str | None) -> bool:
    """Whether a TCVN3 font is an "H" font (.VnTimeH, .VnArialH): it draws capitals for the
    small-letter codes, so the decoded text is upper-cased."""
    name = (font_name or "").strip()
    return detect_legacy_font(name) == "tcvn3" and name.endswith("H")


def decode_as(text: str, encoding: str, capitals: bool = False) -> str:
    """`text` read in the given legacy encoding ("tcvn3" or "vni"), as Unicode NFC."""
    decoded = text.translate(_TCVN3_TABLE) if encoding == "tcvn3" else _decode_vni(text)
    decoded = unicodedata.normalize("NFC", decoded)
    return decoded.upper() if capitals else decoded


def _decode_vni(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if ch in _VNI_LETTERS:
            out.append(_VNI_LETTERS[ch])
        elif ch in _VNI_MARKS and out and out[-1][-1:].isalpha():
            out.append(_VNI_MARKS[ch])
        else:
            out.append(ch)
    return "".join(out)


def could_be_legacy(text: str) -> bool:
    """Whether `text` has upper-half characters and nothing a legacy font cannot hold: text with
    any character beyond cp1252 (ạ, ư, Cyrillic, a combining mark) is already Unicode."""
    has_high = False
    for ch in text:
        if ch > "\x7f":
            if ch > "\xff" and ch not in _CP1252_EXTRA:
                return False
            has_high = True
    return has_high


def is_vietnamese_syllable(word: str) -> bool:
    """Whether `word` is spelled like one Vietnamese syllable: onset, vowel nucleus, coda, at
    most one tone mark."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(ch in _TONE_MARKS for ch in decomposed)
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return tones <= 1 and _SYLLABLE.fullmatch(base) is not None


def detect_legacy_text(text: str) -> str | None:
    """The legacy encoding `text` is written in, told from its characters alone, or None.

    A word counts when it holds characters the encoding maps; it is signed when it also holds
    a character that ordinary text would not have there (TCVN3: a letter code outside the
    accented letters Unicode Vietnamese shares with latin-1; VNI: a mark character right after
    a vowel), and it is valid when it decodes into a Vietnamese syllable. French or Spanish words
    ("été", "año", "información") do not decode into syllables, so the shares stay low.
    """
    if not could_be_legacy(text):
        return None
    scores = {}
    for encoding, tokens, signed in (
        ("tcvn3", _TCVN3_TOKEN.findall(text), _tcvn3_signed),
        ("vni", _VNI_TOKEN.findall(text), _vni_signed),
    ):
        counted = valid = valid_signed = 0
        for token in tokens:
            if token.isascii():
                continue
            counted += 1
            if is_vietnamese_syllable(decode_as(token, encoding)):
                valid += 1
                valid_signed += signed(token)
        if (valid_signed >= MIN_SIGNED_WORDS and valid >= MIN_VALID_SHARE * counted
                and valid_signed >= MIN_SIGNED_SHARE * counted):
            scores[encoding] = valid_signed / counted
    return max(scores, key=scores.get) if scores else None


def _tcvn3_signed(token: str) -> bool:
    return any(ch in _TCVN3_SIGNATURE for ch in token)


def _vni_signed(token: str) -> bool:
    return any(ch in _VNI_MARKS and prev in _VIETNAMESE_VOWELS for prev, ch in zip(token, token[1:]))


def decode_legacy(text: str, font: str | None = None) -> str | None:
    """`text` converted to Unicode when it is legacy-encoded, else None.

    The font decides when it names a legacy encoding; otherwise the characters may
    (`detect_legacy_text`). An "H" font's text comes out in capitals.
    """
    encoding = detect_legacy_font(font) or detect_legacy_text(text)
    if encoding is None:
        return None
    return decode_as(text, encoding, capitals=is_capitals_font(font))
