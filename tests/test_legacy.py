"""Legacy Vietnamese encodings: the TCVN3 and VNI tables, font names, and the statistical test
that must find TCVN3/VNI text without a font and leave French, Spanish and Unicode alone."""
from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from intake_bot.reader.docx import read_docx
from intake_bot.reader.legacy import (
    decode_as, decode_legacy, detect_legacy_font, detect_legacy_text, is_capitals_font,
    is_vietnamese_syllable,
)
from intake_bot.reader.model import Paragraph

CORPUS_DOCUMENTS = Path(__file__).resolve().parent / "fixtures" / "corpus" / "documents"

# The Vietnamese alphabet's letters with diacritics, small and capital.
VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
SMALL_LETTERS = sorted({unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES} | {"đ"})
ALL_LETTERS = SMALL_LETTERS + [letter.upper() for letter in SMALL_LETTERS]


def to_tcvn3(text: str) -> str:
    """Unicode -> TCVN3 as Word keeps it (latin-1 characters), for small letters and the seven
    capitals the encoding has: the inverse of the decoder, built from decoding every byte."""
    inverse = {decode_as(chr(byte), "tcvn3"): chr(byte) for byte in range(0xA1, 0x100)
               if decode_as(chr(byte), "tcvn3") != chr(byte)}
    return "".join(inverse.get(ch, ch) for ch in text)


def to_vni(text: str) -> str:
    """Unicode -> VNI, written from the VNI rules (base letter, then one mark character)."""
    whole = {"ơ": "ô", "ư": "ö", "đ": "ñ", "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ỵ": "î"}
    tone_mark = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
    hat_mark = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
    breve_mark = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
    out = []
    for ch in text:
        small = ch.lower()
        upper = ch != small
        decomposed = unicodedata.normalize("NFD", small)
        tone = next((m for m in decomposed if m in tone_mark), "")
        plain = unicodedata.normalize("NFC", decomposed.replace(tone, "")) if tone else small
        if small in whole:
            code = whole[small]
        elif plain in whole:  # ơ, ư with a tone
            code = whole[plain] + tone_mark[tone]
        elif plain in ("â", "ê", "ô"):
            code = unicodedata.normalize("NFD", plain)[0] + hat_mark[tone]
        elif plain == "ă":
            code = "a" + breve_mark[tone]
        elif tone:
            code = plain + tone_mark[tone]
        else:
            code = small
        out.append(code.upper() if upper else code)
    return "".join(out)


def corpus_text(name: str) -> str:
    content = read_docx((CORPUS_DOCUMENTS / name).read_bytes())
    parts = []
    for block in content.blocks:
        if isinstance(block, Paragraph):
            parts.append(block.text)
        else:
            parts.extend(cell for row in block.rows for cell in row)
    return "\n".join(parts)


# ------------------------------------------------------------------------------------ fonts

@pytest.mark.parametrize("font, expected", [
    (".VnTime", "tcvn3"), (".VnTimeH", "tcvn3"), (".VnArial", "tcvn3"), (".VnArialH", "tcvn3"),
    (".VnCentury Schoolbook", "tcvn3"), (".vntime", "tcvn3"),
    ("VNI-Times", "vni"), ("VNI-Helve", "vni"), ("vni-aptima", "vni"),
    ("Times New Roman", None), ("Arial", None), ("", None), (None, None), ("VNIcons", None),
])
def test_detect_legacy_font(font, expected):
    assert detect_legacy_font(font) == expected


def test_capitals_fonts_are_the_h_fonts_of_tcvn3():
    assert is_capitals_font(".VnTimeH") and is_capitals_font(".VnArialH")
    assert not is_capitals_font(".VnTime") and not is_capitals_font("VNI-Times")
    assert not is_capitals_font("Times New Roman")


# ------------------------------------------------------------------------------------ TCVN3

def test_tcvn3_text_decodes():
    assert decode_legacy("Céng hoµ x· héi chñ nghÜa ViÖt Nam", ".VnTime") == "Cộng hoà xã hội chủ nghĩa Việt Nam"
    assert decode_legacy("§éc lËp - Tù do - H¹nh phóc", ".VnTime") == "Độc lập - Tự do - Hạnh phúc"


def test_tcvn3_soft_hyphen_is_u_horn():
    assert decode_legacy("H\u00adng Y\u00aan", ".VnTime") == "Hưng Yên"


def test_tcvn3_private_use_spelling_decodes_like_the_byte():
    assert decode_legacy("Vi\uf0d6t", ".VnTime") == "Việt"


def test_tcvn3_h_font_gives_capitals():
    assert decode_legacy("céng hoµ x· héi chñ nghÜa viÖt nam", ".VnTimeH") == "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"


def test_tcvn3_covers_every_small_letter_and_the_seven_capitals():
    encoded = to_tcvn3("".join(SMALL_LETTERS) + "ĂÂÊÔƠƯĐ")
    assert all(ch.isascii() or "\xa0" < ch <= "\xff" for ch in encoded)
    assert len(encoded) == len(SMALL_LETTERS) + 7  # one byte per letter
    assert decode_as(encoded, "tcvn3") == "".join(SMALL_LETTERS) + "ĂÂÊÔƠƯĐ"


@pytest.mark.skipif(shutil.which("iconv") is None, reason="iconv (glibc) not installed")
def test_tcvn3_table_agrees_with_glibc_tcvn5712():
    """TCVN 5712 (glibc's TCVN5712-1) holds TCVN3's letters at the same codes."""
    codes = bytes(byte for byte in range(0xA1, 0x100) if decode_as(chr(byte), "tcvn3") != chr(byte))
    result = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=codes,
                            capture_output=True, check=True)
    expected = unicodedata.normalize("NFC", result.stdout.decode("utf-8"))
    assert decode_as(codes.decode("latin-1"), "tcvn3") == expected


# ------------------------------------------------------------------------------------ VNI

def test_vni_text_decodes():
    assert decode_legacy("Vieät Nam", "VNI-Times") == "Việt Nam"
    assert decode_legacy("Xin chaøo caùc baïn", "VNI-Times") == "Xin chào các bạn"
    assert decode_legacy("ÑOÄC LAÄP - TÖÏ DO - HAÏNH PHUÙC", "VNI-Times") == "ĐỘC LẬP - TỰ DO - HẠNH PHÚC"
    assert decode_legacy("Tænh Höng Yeân, Sôû Coâng Thöông", "VNI-Times") == "Tỉnh Hưng Yên, Sở Công Thương"


@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_vni_round_trips_every_letter(letter):
    assert decode_as(to_vni(letter), "vni") == letter


def test_vni_mark_without_a_letter_before_it_stays():
    assert decode_as("ù", "vni") == "ù"


# ------------------------------------------------------------------------------------ statistics

def test_syllable_check():
    for word in ("nghiêng", "người", "khuyến", "quốc", "gì", "Việt", "oai", "xoong"):
        assert is_vietnamese_syllable(word), word
    for word in ("estỏ", "cafộ", "aủo", "fábrica", "hóà", "street"):
        assert not is_vietnamese_syllable(word), word


def test_tcvn3_text_without_font_is_recognised():
    text = "B¸o c¸o kÕt qu¶ triÓn khai thùc hiÖn Ch\u00ad¬ng tr×nh ph¸t triÓn c«ng nghiÖp tØnh H\u00adng Yªn"
    assert detect_legacy_text(text) == "tcvn3"
    assert decode_legacy(text) == ("Báo cáo kết quả triển khai thực hiện Chương trình phát triển "
                                   "công nghiệp tỉnh Hưng Yên")


def test_vni_text_without_font_is_recognised():
    text = "Baùo caùo keát quaû trieån khai thöïc hieän Chöông trình phaùt trieån coâng nghieäp"
    assert detect_legacy_text(text) == "vni"


@pytest.mark.parametrize("text", [
    "El año pasado, la compañía invirtió más de un millón de euros en la región; también está "
    "previsto construir una nueva fábrica cerca de León. ¿Qué más? Sí, así es.",
    "L'été dernier, nous avons visité la forêt près de Besançon où nous étions très heureux; ça "
    "coûte cher à Noël, déjà élevé. Où est le château? Là-bas, derrière l'église.",
    "Der Bürgermeister hat die Straße gesperrt, während die Schüler über den Platz gingen.",
    "A informação está disponível na página; não há mais nada além disso, então ótimo.",
    "Công tác và các hoạt động của các cơ quan là rất tốt",  # Unicode Vietnamese
    "Công tác tham mưu; Khái quát chung; các bộ phận khác; ngoài ra",
])
def test_foreign_and_unicode_text_is_not_mistaken(text):
    assert detect_legacy_text(text * 3) is None
    assert decode_legacy(text * 3) is None


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS_DOCUMENTS.glob("*.docx")))
def test_corpus_unicode_text_is_left_alone_and_its_tcvn3_and_vni_forms_are_found(name):
    text = corpus_text(name)
    assert detect_legacy_text(text) is None
    # Lines that Unicode keeps in latin-1 only ("Công tác"): still not legacy.
    latin1_lines = "\n".join(line for line in text.splitlines() if all(ch <= "\xff" for ch in line))
    assert detect_legacy_text(latin1_lines) is None
    small = text.lower()
    assert detect_legacy_text(to_tcvn3(small)) == "tcvn3"
    assert decode_as(to_tcvn3(small), "tcvn3") == small
    assert detect_legacy_text(to_vni(text)) == "vni"
    assert decode_as(to_vni(text), "vni") == text


def test_font_decides_even_when_statistics_would_not():
    assert decode_legacy("ViÖt", ".VnTime") == "Việt"
    assert detect_legacy_text("ViÖt") is None
    assert decode_legacy("ViÖt") is None
    assert decode_legacy("plain text", "Times New Roman") is None

