"""The administrative header and signature of a report (Nghị định 30/2020/NĐ-CP layout) ->
metadata: issuer, number, date, doc_type, title, signer.

The layout the decree fixes, and that this module reads:

    UBND TỈNH HƯNG YÊN             CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM     <- parent agency | motto
    SỞ CÔNG THƯƠNG                 Độc lập - Tự do - Hạnh phúc            <- issuing agency
    Số: 125/BC-SCT                 Hưng Yên, ngày 08 tháng 5 năm 2024     <- number | place, date
                              BÁO CÁO                                     <- document type
          Kết quả triển khai thực hiện Chương trình ...                   <- trích yếu (title)
    ... body ...
    Nơi nhận:                                   KT. GIÁM ĐỐC              <- signature block
    - ...;                                      PHÓ GIÁM ĐỐC
                                                Nguyễn Văn An             <- signer

The two columns are usually a borderless table, but may be plain paragraphs (separated by tabs),
a table with the number and date in a second row, or - from a PDF - lines where both columns
run together. So the header is read as lines, each tagged with the column it came from, and the
motto, the number and the place-and-date are recognised by their wording wherever they are.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from ..text import collapse, fold, nfc
from .model import Content, Table, empty_metadata

# Where to look for the header: it is at the top, before any long run of body text.
_HEADER_BLOCKS = 40
_TITLE_MAX_LINES = 6
_TITLE_MAX_CHARS = 600
_MAX_AGENCY_LINE = 100
# How many lines under the last role line may stand between it and the signer's name.
_SIGNATURE_WINDOW = 12

# Document types of Nghị định 30/2020 (Phụ lục III), folded.
DOCUMENT_TYPES = frozenset(fold(t) for t in (
    "BÁO CÁO", "TỜ TRÌNH", "CÔNG VĂN", "KẾ HOẠCH", "QUYẾT ĐỊNH", "NGHỊ QUYẾT", "CHỈ THỊ",
    "THÔNG BÁO", "THÔNG CÁO", "HƯỚNG DẪN", "CHƯƠNG TRÌNH", "PHƯƠNG ÁN", "ĐỀ ÁN", "DỰ ÁN",
    "BIÊN BẢN", "CÔNG ĐIỆN", "GIẤY MỜI", "GIẤY GIỚI THIỆU", "QUY CHẾ", "QUY ĐỊNH",
    "BẢN GHI NHỚ", "BẢN THỎA THUẬN", "HỢP ĐỒNG", "PHIẾU GỬI", "PHIẾU CHUYỂN", "THƯ CÔNG",
))
_MOTTO = re.compile(r"cong\s+hoa\s+xa\s+hoi\s+chu\s+nghia\s+viet\s+nam|doc\s+lap\s+tu\s+do\s+hanh\s+phuc")
_MOTTO_TEXTS = ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc")
# The motto's first line cut where the right column wraps it ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT").
_MOTTO_START = re.compile(r"\bcong\s+hoa(\s+xa(\s+hoi(\s+chu(\s+nghia(\s+viet)?)?)?)?)?\s*$")
_NUMBER_LINE = re.compile(r"^\s*so\s*(?::|\s(?=\s*\d)|(?=\s*/))")
_DATE_WORDS = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_DATE_SLASHES = re.compile(r"ngay\s+(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_RULE_ONLY = re.compile(r"^[\s\-_=*.…·~]*$")
_TRAILING_RULE = re.compile(r"\s+[_\-=*]{4,}$")
# In a PDF, a line that ended on a hyphen or slash inside a word ("2021-" / "2025") comes joined
# to the next one by a space.
_WRAPPED_AT_HYPHEN = re.compile(r"(?<=\w[-/–]) (?=\w)")
# Lines that start the body, ending the title: "Kính gửi:", "Thực hiện Kế hoạch ...", ...
_BODY_STARTS = tuple(fold(w) + " " for w in (
    "Kính gửi", "Thực hiện", "Căn cứ", "Theo", "Triển khai", "Để", "Qua", "Trên cơ sở", "Phúc đáp",
    "Sau khi", "Nhằm", "Ngày", "Tiếp theo", "Xét", "Được sự", "Trong", "Nhận được", "Thừa lệnh",
))
# Words that open an agency's name: a header line that begins with one is a new agency (the
# issuer under its parent); any other line continues the name above it.
_AGENCY_OPENERS = tuple(fold(w) + " " for w in (
    "Ủy ban nhân dân", "UBND", "Hội đồng nhân dân", "HĐND", "Sở", "Ban", "Bộ",
    "Phòng", "Cục", "Chi cục", "Tổng cục", "Công ty", "Tổng công ty", "Tập đoàn", "Trung tâm",
    "Văn phòng", "Viện", "Trường", "Bệnh viện", "Thanh tra", "Kho bạc", "Ngân hàng", "Chi nhánh",
    "Hợp tác xã", "Tỉnh ủy", "Huyện ủy", "Thị ủy", "Thành ủy", "Đảng ủy", "Đoàn", "Hội", "Quỹ",
    "Công an", "Bộ chỉ huy", "Liên đoàn", "Liên minh", "Đài", "Báo", "Doanh nghiệp",
))
# A name that cannot stand alone: the next line finishes it ("CÔNG TY CỔ PHẦN" / "ĐẦU TƯ ...").
_UNFINISHED_NAMES = frozenset(fold(w) for w in (
    "Ủy ban nhân dân", "Hội đồng nhân dân", "Công ty", "Công ty cổ phần", "Công ty TNHH",
    "Công ty TNHH MTV", "Công ty trách nhiệm hữu hạn", "Tổng công ty", "Ban quản lý", "Ban",
    "Ban quản lý các", "Sở", "Trung tâm", "Văn phòng",
))
# "ỦY BAN NHÂN DÂN" over "HUYỆN VĂN LÂM" is one agency, written "UBND HUYỆN VĂN LÂM".
_PEOPLES_BODIES = {fold("Ủy ban nhân dân"): "UBND", fold("Hội đồng nhân dân"): "HĐND"}
_LEVELS = tuple(fold(w) + " " for w in (
    "Tỉnh", "Thành phố", "Huyện", "Thị xã", "Quận", "Xã", "Phường", "Thị trấn"))
# Signature blocks: "KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN", "GIÁM ĐỐC", "TRƯỞNG BAN", ...
_SIGNING_PREFIXES = re.compile(r"^(kt|tm|tl|tuq|q|ktl)\s")
_ROLE_WORDS = tuple(fold(w) for w in (
    "Chủ tịch", "Giám đốc", "Trưởng ban", "Trưởng phòng", "Chánh văn phòng", "Bí thư", "Thủ trưởng",
    "Tổng giám đốc", "Cục trưởng", "Chi cục trưởng", "Viện trưởng", "Hiệu trưởng", "Chủ nhiệm",
    "Trưởng đoàn", "Người ký", "Người lập biểu", "Thủ trưởng đơn vị",
))
_MAX_ROLE_WORDS = 5
_NUMBERED = re.compile(r"^([IVXLC]+|\d+(\.\d+)*|[A-HĐa-hđ])\s*[.)/:\-]")
_SIGNED_MARKS = re.compile(r"^\(?\s*(da ky|ky ghi ro ho ten|ky ten|ky dong dau|ky va dong dau)\b")


def fold_aligned(text: str, keep: str = "") -> str:
    """`nfc(text)` folded character by character (no diacritics, đ→d, lower case, anything but a
    letter, a digit or a character of `keep` as a space), so that a match in it has the same
    offsets in `nfc(text)`."""
    out = []
    for ch in nfc(text):
        base = unicodedata.normalize("NFD", ch.replace("đ", "d").replace("Đ", "D"))[0].casefold()
        out.append(base if (base.isalnum() and len(base) == 1 and base.isascii()) or ch in keep else " ")
    return "".join(out)


def is_upper(text: str) -> bool:
    """Whether the letters of `text` are all capitals (and there is at least one)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def is_signature_line(text: str) -> bool:
    """A line of a signature block: "Nơi nhận:", "KT. CHỦ TỊCH", "PHÓ GIÁM ĐỐC", "(Đã ký)"."""
    folded = fold(text)
    if folded.startswith("noi nhan") or _SIGNED_MARKS.match(folded):
        return True
    return is_upper(text) and _is_role(folded) and not _NUMBERED.match(text.strip())


def _is_role(folded: str) -> bool:
    """"KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN", "PHÓ GIÁM ĐỐC": a signing prefix, or a short line
    naming a role (a heading "KIẾN NGHỊ VỚI CHỦ TỊCH UBND TỈNH" is longer)."""
    if _SIGNING_PREFIXES.match(folded):
        return True
    return len(folded.split()) <= _MAX_ROLE_WORDS and any(f" {role} " in f" {folded} " for role in _ROLE_WORDS)


@dataclass
class _Line:
    text: str
    column: str          # "left", "right" or "any" (a paragraph that is not split in columns)
    block: int
    in_table: bool
    bold: bool = False
    centered: bool = False


@dataclass
class HeaderScan:
    """Where the parts of the header are: `body_start` is the index of the first block after the
    title, so that the outline reader does not take "BÁO CÁO" or the title for a section."""

    lines: list[_Line]
    type_index: int | None
    header_lines: list[_Line]
    title_lines: list[_Line]
    body_start: int


def _top_lines(content: Content) -> list[_Line]:
    lines: list[_Line] = []
    for index, block in enumerate(content.blocks[:_HEADER_BLOCKS]):
        if isinstance(block, Table):
            for row in block.rows:
                cells = [c for c in row if c is not None]
                filled = [c for c in cells if c.strip()]
                for position, cell in enumerate(cells):
                    if not cell.strip():
                        continue
                    column = "any" if len(filled) == 1 else ("left" if position == 0 else "right")
                    for part in cell.split("\n"):
                        lines.append(_Line(part, column, index, True))
            continue
        for part in (block.text or "").split("\n"):
            pieces = [p for p in re.split(r"\t+| {3,}", part) if p.strip()]
            if len(pieces) > 1:
                lines.append(_Line(pieces[0], "left", index, False, block.bold, block.centered))
                lines.append(_Line(" ".join(pieces[1:]), "right", index, False, block.bold, block.centered))
            else:
                lines.append(_Line(part, "any", index, False, block.bold, block.centered))
    return lines


def _is_type_line(line: _Line, after_markers: bool) -> bool:
    """The document-type line: a full-width line in capitals, a type of the decree's list, or any
    short line in capitals once the number or the date has been read."""
    text = collapse(line.text)
    folded = fold(text)
    if not folded or not is_upper(text):
        return False
    if folded in DOCUMENT_TYPES:
        return True
    return (not line.in_table and line.column == "any" and after_markers and len(folded.split()) <= 5
            and not any(c.isdigit() for c in text) and not _MOTTO.search(folded)
            and not (folded + " ").startswith(_AGENCY_OPENERS))


def _is_marker(line: _Line) -> bool:
    """A line that only the header has: the motto, the number, the place and date."""
    return bool(_MOTTO.search(" ".join(fold_aligned(line.text).split())) or _is_number_or_date(line))


def _is_number_or_date(line: _Line) -> bool:
    dated = " ".join(fold_aligned(line.text, keep="/.-").split())
    return bool(_number_start(line.text) or _DATE_WORDS.search(dated) or _DATE_SLASHES.search(dated))


def _number_start(text: str) -> re.Match | None:
    """"Số:" at the start of a number line - "Số: 125/BC-SCT", "Số 125/BC-SCT", and "Số:   /BC-UBND"
    with the number left blank for the clerk - matched on the text folded with ":" and "/" kept,
    so that the match's offsets hold in `nfc(text)`."""
    return _NUMBER_LINE.match(fold_aligned(text, keep=":/"))


def _starts_body(text: str) -> bool:
    """Whether a line opens the body: "Kính gửi", "Căn cứ", ..., or a numbered heading "I. ..."."""
    return (fold(text) + " ").startswith(_BODY_STARTS) or bool(_NUMBERED.match(collapse(text)))


def scan_header(content: Content) -> HeaderScan:
    """Split the top of the document into header lines, the document-type line and the title."""
    lines = _top_lines(content)
    seen_marker = False
    type_index = None
    for n, line in enumerate(lines):
        if _is_type_line(line, seen_marker):
            type_index = n
            break
        if _is_number_or_date(line):
            seen_marker = True
        if not line.in_table and len(collapse(line.text)) > 200:
            break
    if type_index is None:
        zone = []
        for line in lines:
            if not line.in_table and (len(collapse(line.text)) > 200 or _starts_body(line.text)):
                break
            zone.append(line)
        last = max((l.block for l in zone if _is_marker(l)), default=-1)
        return HeaderScan(lines, None, [l for l in zone if l.block <= last], [], last + 1)
    header_lines = lines[:type_index] if any(_is_marker(l) for l in lines[:type_index]) else []
    title_lines = _title_lines(lines, type_index)
    end_block = (title_lines[-1] if title_lines else lines[type_index]).block
    return HeaderScan(lines, type_index, header_lines, title_lines, end_block + 1)


def _title_lines(lines: list[_Line], type_index: int) -> list[_Line]:
    """The trích yếu: the lines under the type line, up to an empty line, a rule, the start of the
    body ("Kính gửi", "Căn cứ", a numbered heading) or a change of bold face - a line in brackets,
    "(phục vụ Đoàn giám sát ...)", still belongs to the title, also when a PDF wraps it over lines.
    A rule that a PDF line runs into the last title line ("(phục vụ ...) _______") ends the title.
    A type line that a PDF reader left at the bottom of the header table is followed by the title
    paragraphs."""
    out: list[_Line] = []
    type_block = lines[type_index].block
    bracket_open = False
    for line in lines[type_index + 1:]:
        text = collapse(line.text)
        if line.in_table and line.block == type_block:
            continue
        if line.in_table:
            break
        if not text:
            if out or line.block != type_block:
                break
            continue
        if _RULE_ONLY.match(text) or _starts_body(text):
            break
        if out and line.bold != out[0].bold and not (text.startswith("(") or bracket_open):
            break
        bracket_open = (text.startswith("(") or bracket_open) and not text.endswith(")")
        rule = _TRAILING_RULE.search(text)
        if rule:
            out.append(dataclasses.replace(line, text=text[:rule.start()]))
            break
        out.append(line)
        if len(out) >= _TITLE_MAX_LINES or sum(len(l.text) for l in out) > _TITLE_MAX_CHARS:
            break
    return out


def body_start(content: Content) -> int:
    """Index of the first block after the header and the title."""
    return scan_header(content).body_start


def read_header(content: Content) -> dict:
    """issuer, number, date (ISO), doc_type, title, signer; each None when it is not there."""
    meta = empty_metadata()
    scan = scan_header(content)
    meta["issuer"] = _issuer(scan.header_lines)
    meta["number"] = _number(scan.header_lines)
    meta["date"] = _date(scan.header_lines)
    if scan.type_index is not None:
        meta["doc_type"] = collapse(scan.lines[scan.type_index].text)
    title = _joined(collapse(l.text) for l in scan.title_lines)
    if content.format == "pdf":
        title = _WRAPPED_AT_HYPHEN.sub("", title)
    meta["title"] = collapse(title) or _subject_line(scan.header_lines)
    meta["signer"] = signer(content, scan.body_start)
    return meta


def _joined(lines) -> str:
    """Lines of one text joined by spaces, except after a hyphen or slash that ends a word: a PDF
    line wrapped "2021-" / "2025" or "07-NQ/" / "TU" is one word ("công nghiệp -" / "tiểu thủ"
    keeps its spaces)."""
    out = ""
    for line in lines:
        if not line:
            continue
        glue = "" if re.search(r"\w[-/–]$", out) else " "
        out = f"{out}{glue}{line}" if out else line
    return out


def _strip_right_column(text: str, motto_rest: str = "") -> tuple[str, str]:
    """A header line with the motto and the place-and-date taken out: what is left belongs to
    the agency column (a PDF line may hold both columns). The place before ", ngày" is written in
    lower case letters ("Hưng Yên"), the agency in capitals, which tells where one ends.

    The motto's first line may wrap in its column ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT" / "NAM"): the
    cut start is taken off this line, and what it leaves (`motto_rest` in, folded) off the end of
    the next one. Returns the agency text and the motto words still to come."""
    text = nfc(text)
    words = text.split()
    size = len(motto_rest.split())
    if motto_rest and len(words) > size and fold(" ".join(words[-size:])) == motto_rest:
        text = " ".join(words[:-size])
    motto_rest = ""
    match = _MOTTO.search(fold_aligned(text))
    while match:
        text = text[:match.start()] + " " + text[match.end():]
        match = _MOTTO.search(fold_aligned(text))
    cut = _MOTTO_START.search(fold_aligned(text))
    if cut:
        said = " ".join(fold_aligned(text)[cut.start():].split())
        motto_rest = _MOTTO_TEXTS[0][len(said):].strip()
        text = text[:cut.start()]
    date = re.search(r"\bngay\s+\d", fold_aligned(text))
    if date:
        words = text[:date.start()].rstrip().rstrip(",").split()
        while words and not is_upper(words[-1]):
            words.pop()
        text = " ".join(words)
    return collapse(text), motto_rest


def _agency_lines(header_lines: list[_Line]) -> list[str]:
    """The agency column of the header: parent agency and issuing agency lines, in order, down
    to the number line (under it stands the "V/v ..." subject, which a PDF may wrap over lines)."""
    out = []
    motto_rest = ""
    for line in header_lines:
        if line.column == "right":
            continue
        text = collapse(line.text)
        if line.column == "any":
            text, motto_rest = _strip_right_column(text, motto_rest)
        if _number_start(text):
            break
        folded = fold(text)
        if (not folded or _RULE_ONLY.match(text)
                or text.lower().startswith("v/v") or _MOTTO.search(folded) or _motto_fragment(folded)):
            continue
        if _is_type_line(line, False) or len(text) > _MAX_AGENCY_LINE:
            continue
        out.append(text.strip(" -_"))
    return [t for t in out if t]


def _motto_fragment(folded: str) -> bool:
    """The start or end of the motto wrapped into the agency column ("NAM" of "... VIỆT NAM")."""
    return any(motto.startswith(folded + " ") or motto.endswith(" " + folded) for motto in _MOTTO_TEXTS)


def _issuer(header_lines: list[_Line]) -> str | None:
    """The issuing agency: the last agency named in the left column. A line that does not open an
    agency name continues the one above ("CÔNG TY CỔ PHẦN ĐẦU TƯ" / "PHÁT TRIỂN HẠ TẦNG ...");
    "ỦY BAN NHÂN DÂN" over "HUYỆN VĂN LÂM" is "UBND HUYỆN VĂN LÂM"."""
    agencies: list[str] = []
    for text in _agency_lines(header_lines):
        folded = fold(text) + " "
        opens = folded.startswith(_AGENCY_OPENERS) and not (agencies and fold(agencies[-1]) in _UNFINISHED_NAMES)
        if opens or not agencies:
            agencies.append(text)
        else:
            agencies[-1] = f"{agencies[-1]} {text}"
    if not agencies:
        return None
    return _abbreviate(agencies[-1])


def _abbreviate(issuer: str) -> str:
    folded = fold(issuer)
    for long_form, short in _PEOPLES_BODIES.items():
        rest = folded[len(long_form):].lstrip() + " "
        if folded.startswith(long_form + " ") and rest.startswith(_LEVELS):
            words = issuer.split()
            return " ".join([short] + words[len(long_form.split()):])
    return issuer


def _number(header_lines: list[_Line]) -> str | None:
    """What follows "Số:" ("125/BC-SCT"), spaces around "/" and "-" closed up."""
    for line in header_lines:
        text = nfc(line.text).strip()
        match = _number_start(text)
        if not match:
            continue
        rest = text[match.end():].lstrip(" :.")
        rest = re.sub(r"\s*([/\-–])\s*", r"\1", rest)
        token = rest.split()[0].strip(" .,;_…") if rest.split() else ""
        if token and len(rest.split()) > 1:
            token = _unglued(token)
        if token and (any(c.isdigit() for c in token) or "/" in token):
            return token
    return None


def _unglued(token: str) -> str:
    """A number that a PDF line runs into the right column beside it ("45/BC-UBNDVăn" of
    "45/BC-UBND" and "Văn Lâm, ngày ...", or of "Độc lập - Tự do - Hạnh phúc"): the capitalised
    word at its end is cut off. Document codes are written in capitals, those words are not."""
    for at in range(len(token) - 2, 0, -1):
        if token[at].isupper() and token[at + 1:].isalpha() and token[at + 1:].islower() \
                and (token[at - 1].isupper() or token[at - 1].isdigit()):
            return token[:at]
    return token


def _date(header_lines: list[_Line]) -> str | None:
    """The ISO date of the place-and-date line ("ngày 08 tháng 5 năm 2024", "ngày 8/5/2024")."""
    ordered = [l for l in header_lines if l.column == "right"] + [l for l in header_lines if l.column != "right"]
    for line in ordered:
        folded = " ".join(fold_aligned(line.text, keep="/.-").split())
        for pattern in (_DATE_WORDS, _DATE_SLASHES):
            match = pattern.search(folded)
            if match:
                day, month, year = (int(g) for g in match.groups())
                try:
                    return dt.date(year, month, day).isoformat()
                except ValueError:
                    continue
    return None


def _subject_line(header_lines: list[_Line]) -> str | None:
    """A letter (công văn) has no title under a type line; its subject is the "V/v ..." line."""
    for line in header_lines:
        text = collapse(line.text)
        if text.lower().startswith("v/v"):
            return text[3:].lstrip(" :") or None
    return None


def _name_like(text: str) -> bool:
    """A person's name as signatures print it: two to six words in Title case ("Phan Quang Dũng")."""
    words = text.split()
    if not 2 <= len(words) <= 6 or any(c.isdigit() for c in text) or re.search(r"[;:,()\[\]/]", text):
        return False
    if text[0] in "-+*•" or is_upper(text) or _SIGNED_MARKS.match(fold(text)) or _is_role(fold(text)):
        return False
    return all(w[0].isupper() for w in words if w[0].isalpha())


def signer(content: Content, start: int = 0) -> str | None:
    """The name at the bottom of the signature block: the first name-like line after the last role
    line ("KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH", "GIÁM ĐỐC"), whether both stand in the right cell of a
    table, in paragraphs (the signing column after tabs), the name in a paragraph under a table,
    or a PDF line that runs the recipients' column and the signing column together."""
    lines: list[str] = []
    for block in content.blocks[start:]:
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    lines.extend(collapse(t) for t in (cell or "").split("\n"))
            continue
        for part in (block.text or "").split("\n"):
            pieces = [collapse(p) for p in re.split(r"\t+| {3,}", part) if p.strip()]
            lines.extend(pieces[-1:] if pieces else [""])
    last_role = None
    for n, text in enumerate(lines):
        if any(is_upper(part) and _is_role(fold(part)) for part in _signing_parts(text)):
            last_role = n
    if last_role is None:
        return None
    for text in lines[last_role + 1:last_role + 1 + _SIGNATURE_WINDOW]:
        name = next((part for part in _signing_parts(text) if _name_like(part)), None)
        if name:
            return name
    return None


def _signing_parts(text: str) -> list[str]:
    """The line, then what follows its last ":", ";" or "." - the signing column when a PDF line
    holds both columns of the signature block ("Nơi nhận: TRƯỞNG BAN", "- Lưu: VT. Lê Văn An")."""
    if not text:
        return []
    tail = re.split(r"[:;.]\s+", text)[-1].strip()
    return [text, tail] if tail and tail != text else [text]
