"""DOCX -> Content: the body's paragraphs and tables in document order, as Word prints them.

python-docx loads the package (its XML parser does not resolve entities); the body is then read
by walking its lxml tree, because python-docx's own paragraph and table objects drop what Word
prints from content controls (`w:sdt`), tracked insertions (`w:ins`) and text boxes
(`w:txbxContent`), and know nothing of list numbers, which Word renders from numbering.xml.

What is read, and why:

- Tracked insertions are printed, tracked deletions (`w:del`, `w:delText`) and hidden text
  (`w:vanish`) are not; field instructions (`w:instrText`) are not, field results are.
- A text box is printed where it is anchored: its paragraphs follow the anchoring paragraph (in
  a table cell, they join the cell's text). Word stores each text box twice, as the DrawingML
  `mc:Choice` and a VML `mc:Fallback`; only the Choice is read, or it would appear twice.
- List numbers ("I.", "1.", "2.1.", "a)") are rendered from the numbering definitions and put in
  front of the paragraph's text, since a heading such as "I. KHÁI QUÁT CHUNG" often has only
  "KHÁI QUÁT CHUNG" in its runs. Bullets print as "-".
- Runs set in a legacy TCVN3 or VNI font are converted to Unicode (`legacy.py`), with a warning;
  when no font names a legacy encoding, the characters themselves may show one.
- Header and footer parts, comments and footnotes are not the report's content: not read.
- All text comes out NFC with runs of spaces made one; a table is a grid (see `Table`).
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Iterator, NamedTuple

import docx
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import PartFactory
from docx.package import Package
from docx.parts.document import DocumentPart
from lxml import etree

from ..config import Limits
from ..reason import Reason
from ..text import nfc
from . import legacy
from .model import Block, Content, Paragraph, Table, UnreadableFile

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
MATH = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
W_VAL = W + "val"

REASON_VI_DAMAGED = "Tệp Word bị lỗi hoặc không mở được; đề nghị quý cơ quan gửi lại tệp .docx."
REASON_VI_PASSWORD = ("Tệp Word được đặt mật khẩu nên không mở được; đề nghị quý cơ quan gửi lại "
                      "tệp .docx không đặt mật khẩu.")
REASON_VI_TOO_LARGE = ("Tệp Word quá lớn nên không xử lý được; đề nghị quý cơ quan gửi lại tệp .docx "
                       "có dung lượng nhỏ hơn (ví dụ bỏ bớt hình ảnh).")

# Main parts of Word's macro-enabled documents (.docm) and of templates (.dotx, .dotm): the same
# WordprocessingML body as a .docx, which python-docx refuses only by content type. They are read
# like a .docx; their macros (word/vbaProject.bin) are data that nothing here ever runs.
_OTHER_MAIN_PARTS = frozenset({
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
})
for _content_type in _OTHER_MAIN_PARTS:
    PartFactory.part_type_for.setdefault(_content_type, DocumentPart)
_MACROS = "word/vbaProject.bin"

# Elements whose children are read as if they stood in their place.
_TRANSPARENT = frozenset(W + tag for tag in (
    "hyperlink", "ins", "moveTo", "smartTag", "customXml", "fldSimple", "bdo", "dir", "sdtContent",
))
_SDT, _SDT_CONTENT, _ALTERNATE = W + "sdt", W + "sdtContent", MC + "AlternateContent"
_OBJECTS = frozenset((W + "drawing", W + "pict", W + "object", _ALTERNATE))
_TXBX = W + "txbxContent"
_HEADING_NAME = re.compile(
    r"(?:heading|tiêu đề|đầu đề|titre|überschrift|título|titolo|kop|rubrik|nagłówek|заголовок)"
    r"\s*([1-9])", re.IGNORECASE)
_OTHER_SPACE = re.compile(r"[^\S\t\n]+")
_TAB_RUN = re.compile(r" *\t[\t ]*")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))
# Counters written as letters or Roman numerals beyond this print as numbers (a hostile
# start value must not build a huge string).
_MAX_SPELLED_COUNTER = 3999
_MAX_GRID_SPAN = 1000


def read_docx(data: bytes, max_unpacked_bytes: int = Limits().max_unpacked_bytes) -> Content:
    """The body of a .docx as `Content`; `UnreadableFile` when the file cannot be read at all.

    `max_unpacked_bytes` bounds the parts' total unpacked size (a zip bomb would otherwise be
    unpacked into memory by python-docx).
    """
    document, macros = _open(data, max_unpacked_bytes)
    if document.element.find(W + "body") is None:
        raise UnreadableFile("the Word file has no document body in the WordprocessingML namespace "
                             "(Strict Open XML or not a Word document)", REASON_VI_DAMAGED)
    try:
        content = _DocumentReader(document).read()
    except (ValueError, KeyError, IndexError, etree.LxmlError, RecursionError) as exc:
        raise UnreadableFile(f"the Word file's content is malformed ({type(exc).__name__}: {exc})",
                             REASON_VI_DAMAGED) from exc
    if macros:
        content.warnings.append(Reason("the Word file carries macros (vbaProject.bin): read as data, never run",
                                       "Tệp Word có chứa macro; hệ thống chỉ đọc nội dung, không chạy macro."))
    return content


def _open(data: bytes, max_unpacked_bytes: int) -> tuple[docx.document.Document, bool]:
    """The python-docx Document (of a .docx, .docm, .dotx or .dotm) and whether it carries
    macros."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" and b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in data[:65536]:
        raise UnreadableFile("the Word file is password-protected", REASON_VI_PASSWORD)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise UnreadableFile(f"not a .docx file (not a readable zip package: {exc})", REASON_VI_DAMAGED) from exc
    unpacked = sum(info.file_size for info in infos)
    if unpacked > max_unpacked_bytes:
        raise UnreadableFile(
            f"the Word file unpacks to {unpacked / 2**20:.1f} MB, more than the limit of "
            f"{max_unpacked_bytes / 2**20:.1f} MB", REASON_VI_TOO_LARGE)
    try:
        part = Package.open(io.BytesIO(data)).main_document_part
        content_type = part.content_type
        if content_type != CT.WML_DOCUMENT_MAIN and content_type not in _OTHER_MAIN_PARTS:
            raise UnreadableFile(f"not a Word document (its main part is {content_type})", REASON_VI_DAMAGED)
        return part.document, any(info.filename == _MACROS for info in infos)
    except UnreadableFile:
        raise
    except Exception as exc:  # python-docx raises a dozen kinds (KeyError, lxml, zip, its own)
        raise UnreadableFile(f"the Word file cannot be opened ({type(exc).__name__}: {exc})",
                             REASON_VI_DAMAGED) from exc


def _xml_part(document, reltype) -> etree._Element | None:
    """The root element of a part related to the main document, or None when absent."""
    try:
        part = document.part.part_related_by(reltype)
    except KeyError:
        return None
    return getattr(part, "element", None)


def _val(element: etree._Element | None, child: str) -> str | None:
    """The w:val of a child element, None when the child is absent."""
    if element is None:
        return None
    found = element.find(W + child)
    return None if found is None else found.get(W_VAL)


def _int_val(element: etree._Element | None, child: str) -> int | None:
    try:
        return int(_val(element, child))
    except (TypeError, ValueError):
        return None


def _on(element: etree._Element) -> bool:
    """An OOXML on/off property: present means on unless its w:val says otherwise."""
    return element.get(W_VAL, "true").lower() not in ("0", "false", "off", "none")


def _chosen(alternate: etree._Element) -> etree._Element | None:
    """The branch of an mc:AlternateContent that is read: the first Choice, else the Fallback."""
    choice = alternate.find(MC + "Choice")
    return choice if choice is not None else alternate.find(MC + "Fallback")


def _unwrapped(parent: etree._Element, tags: frozenset[str]) -> Iterator[etree._Element]:
    """Children of `parent` with one of `tags`, looking through content controls, custom XML
    and alternate content, which may wrap blocks, rows and cells alike."""
    for child in parent:
        tag = child.tag
        if tag in tags:
            yield child
        elif tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _unwrapped(content, tags)
        elif tag == W + "customXml":
            yield from _unwrapped(child, tags)
        elif tag == _ALTERNATE:
            branch = _chosen(child)
            if branch is not None:
                yield from _unwrapped(branch, tags)


def _text_boxes(element: etree._Element) -> Iterator[etree._Element]:
    """The outermost w:txbxContent inside a drawing or picture, taking only the chosen branch of
    alternate content (a nested text box is read with its outer one)."""
    if element.tag == _ALTERNATE:
        branch = _chosen(element)
        if branch is not None:
            yield from _text_boxes(branch)
        return
    for child in element:
        if child.tag == _TXBX:
            yield child
        elif isinstance(child.tag, str):
            yield from _text_boxes(child)


class _RunFormat(NamedTuple):
    bold: bool = False
    caps: bool = False
    hidden: bool = False
    font: str | None = None


_TOGGLES = {W + "b": "bold", W + "caps": "caps", W + "vanish": "hidden"}


def _font(rpr: etree._Element | None) -> str | None:
    """The font drawing a run's non-ASCII letters (hAnsi, else ascii) as set in one rPr: "" for
    a theme font (never legacy), None when this rPr leaves it to its parent."""
    fonts = None if rpr is None else rpr.find(W + "rFonts")
    if fonts is None:
        return None
    if fonts.get(W + "hAnsiTheme") or (fonts.get(W + "hAnsi") is None and fonts.get(W + "asciiTheme")):
        return ""
    return fonts.get(W + "hAnsi") or fonts.get(W + "ascii")


def _apply(rpr: etree._Element | None, base: _RunFormat) -> _RunFormat:
    """`base` with what one rPr sets (a later, more specific rPr wins)."""
    if rpr is None:
        return base
    changes = {_TOGGLES[child.tag]: _on(child) for child in rpr if child.tag in _TOGGLES}
    font = _font(rpr)
    if font is not None:
        changes["font"] = font
    return base._replace(**changes) if changes else base


class _Styles:
    """styles.xml: paragraph and character styles with their basedOn chains, and docDefaults.
    Answers are cached per style: a report has a few dozen styles and thousands of runs."""

    def __init__(self, root: etree._Element | None):
        self._by_id: dict[str, etree._Element] = {}
        self.default_paragraph: str | None = None
        self._defaults = _RunFormat()
        self._chains: dict[str | None, tuple[etree._Element, ...]] = {}
        self._formats: dict[tuple[str | None, str | None], _RunFormat] = {}
        self._paragraphs: dict[str | None, tuple[int | None, str | None, etree._Element | None]] = {}
        if root is None:
            return
        for style in root.iter(W + "style"):
            style_id = style.get(W + "styleId")
            if style_id is not None:
                self._by_id.setdefault(style_id, style)
                if style.get(W + "type") == "paragraph" and _on_attr(style.get(W + "default")):
                    self.default_paragraph = style_id
        self._defaults = _apply(root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr"), _RunFormat())

    def chain(self, style_id: str | None) -> tuple[etree._Element, ...]:
        """The style and its basedOn ancestors, nearest first (a cycle ends the chain)."""
        if style_id not in self._chains:
            found: list[etree._Element] = []
            current = style_id
            while current is not None and current in self._by_id:
                style = self._by_id[current]
                if any(style is seen for seen in found):
                    break
                found.append(style)
                current = _val(style, "basedOn")
            self._chains[style_id] = tuple(found)
        return self._chains[style_id]

    def inherited(self, paragraph_style: str | None, character_style: str | None) -> _RunFormat:
        """A run's format before its own rPr: docDefaults, then the paragraph style chain, then
        the character style chain, each overriding the one before. (Word XORs bold set by both
        a paragraph and a character style; reports do not rely on that, the later one wins.)"""
        key = (paragraph_style, character_style)
        if key not in self._formats:
            result = self._defaults
            for style in (*reversed(self.chain(paragraph_style)), *reversed(self.chain(character_style))):
                result = _apply(style.find(W + "rPr"), result)
            self._formats[key] = result
        return self._formats[key]

    def paragraph_properties(self, style_id: str | None) -> tuple[int | None, str | None, etree._Element | None]:
        """(heading level, justification, numPr) a paragraph gets from its style chain.

        The heading level comes from the nearest style in the chain that has a "Heading N" name
        (also localized names) or an outline level (w:outlineLvl 0-8 → 1-9; 9 is body text).
        """
        if style_id in self._paragraphs:
            return self._paragraphs[style_id]
        level = justification = numbering = None
        level_known = False
        for style in self.chain(style_id):
            ppr = style.find(W + "pPr")
            if not level_known:
                name = _HEADING_NAME.fullmatch((_val(style, "name") or "").strip())
                outline = _int_val(ppr, "outlineLvl")
                if name:
                    level, level_known = int(name.group(1)), True
                elif outline is not None:
                    level, level_known = _outline_level(outline), True
            if justification is None:
                justification = _val(ppr, "jc")
            if numbering is None and ppr is not None:
                numbering = ppr.find(W + "numPr")
        self._paragraphs[style_id] = (level, justification, numbering)
        return self._paragraphs[style_id]

    def numbering_of_style(self, style_id: str) -> etree._Element | None:
        return self.paragraph_properties(style_id)[2]


def _outline_level(outline: int) -> int | None:
    return outline + 1 if 0 <= outline <= 8 else None


def _on_attr(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true", "on")


class _Level(NamedTuple):
    format: str
    start: int
    text: str | None
    restart_below: int | None  # restarts when a level above this one (0-based) advances
    legal: bool
    style: str | None
    font: str | None


def _level(element: etree._Element, ilvl: int, start_override: int | None) -> _Level:
    start = start_override if start_override is not None else _int_val(element, "start")
    restart = _int_val(element, "lvlRestart")
    legal = element.find(W + "isLgl")
    text = element.find(W + "lvlText")
    return _Level(
        format="bullet" if element.find(W + "lvlPicBulletId") is not None else (_val(element, "numFmt") or "decimal"),
        start=1 if start is None else start,
        text=None if text is None else text.get(W_VAL),
        restart_below=ilvl if restart is None else (None if restart == 0 else min(restart, ilvl)),
        legal=legal is not None and _on(legal),
        style=_val(element, "pStyle"),
        font=_font(element.find(W + "rPr")),
    )


def _roman(number: int) -> str:
    out = []
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def format_counter(number: int, number_format: str) -> str:
    """A list counter as Word prints it in the given w:numFmt; formats not written out here
    (ordinal words, East Asian counting) print as numbers."""
    spelled = 0 < number <= _MAX_SPELLED_COUNTER
    if number_format in ("upperRoman", "lowerRoman") and spelled:
        roman = _roman(number)
        return roman if number_format == "upperRoman" else roman.lower()
    if number_format in ("upperLetter", "lowerLetter") and spelled:
        # Word's letters run A..Z, AA..ZZ, AAA..: the letter repeats.
        letter = chr(ord("A") + (number - 1) % 26) * ((number - 1) // 26 + 1)
        return letter if number_format == "upperLetter" else letter.lower()
    if number_format == "decimalZero":
        return f"{number:02d}"
    if number_format == "none":
        return ""
    return str(number)


class _Numbering:
    """numbering.xml and the running list counters.

    A paragraph's w:numId names a w:num, which points to a w:abstractNum holding the levels
    (format, start, text pattern such as "%1." or "%1.%2."); the w:num may override a level's
    start (w:lvlOverride/w:startOverride: the list restarts there) or the whole level. Counters
    belong to the abstract list, so two w:num of one abstract list continue each other unless
    one restarts; a level restarts when a level above it advances (unless w:lvlRestart says
    otherwise).
    """

    def __init__(self, root: etree._Element | None, styles: _Styles):
        self._styles = styles
        self._abstract: dict[str, etree._Element] = {}
        self._nums: dict[str, etree._Element] = {}
        self._levels: dict[str, tuple[str, dict[int, _Level]] | None] = {}
        self._counters: dict[str, dict[int, int]] = {}
        if root is None:
            return
        for abstract in root.iterchildren(W + "abstractNum"):
            self._abstract.setdefault(abstract.get(W + "abstractNumId"), abstract)
        for num in root.iterchildren(W + "num"):
            self._nums.setdefault(num.get(W + "numId"), num)

    def _abstract_of(self, num_id: str) -> tuple[str, etree._Element] | None:
        """The abstract list of a w:num, following one w:numStyleLink to the numbering style's
        own list."""
        num = self._nums.get(num_id)
        abstract_id = _val(num, "abstractNumId")
        abstract = self._abstract.get(abstract_id)
        link = _val(abstract, "numStyleLink")
        if link is not None:
            linked = self._styles.numbering_of_style(link)
            target = self._nums.get(_val(linked, "numId"))
            linked_id = _val(target, "abstractNumId")
            if linked_id in self._abstract:
                abstract_id, abstract = linked_id, self._abstract[linked_id]
        return None if abstract is None else (abstract_id, abstract)

    def _levels_of(self, num_id: str) -> tuple[str, dict[int, _Level]] | None:
        """(abstract list id, levels) for a w:num, with its overrides applied. Meeting a num
        with start overrides for the first time restarts those levels."""
        if num_id in self._levels:
            return self._levels[num_id]
        found = self._abstract_of(num_id)
        if found is None:
            self._levels[num_id] = None
            return None
        abstract_id, abstract = found
        overrides = {}
        for override in self._nums[num_id].iterchildren(W + "lvlOverride"):
            try:
                overrides[int(override.get(W + "ilvl"))] = override
            except (TypeError, ValueError):
                continue
        levels: dict[int, _Level] = {}
        for element in abstract.iterchildren(W + "lvl"):
            try:
                ilvl = int(element.get(W + "ilvl"))
            except (TypeError, ValueError):
                continue
            override = overrides.get(ilvl)
            replacement = None if override is None else override.find(W + "lvl")
            start = None if override is None else _int_val(override, "startOverride")
            levels[ilvl] = _level(element if replacement is None else replacement, ilvl, start)
            if start is not None:
                self._counters.setdefault(abstract_id, {}).pop(ilvl, None)
        self._levels[num_id] = (abstract_id, levels)
        return self._levels[num_id]

    def level_for_style(self, num_id: str, style_id: str | None) -> int | None:
        """The level whose w:pStyle is the paragraph's style (numbering given by a style)."""
        found = self._levels_of(num_id)
        if found is None or style_id is None:
            return None
        return next((ilvl for ilvl, level in found[1].items() if level.style == style_id), None)

    def label(self, num_id: str, ilvl: int) -> tuple[str, str | None] | None:
        """Advance the list and return (label as printed, font of the label), e.g. ("2.1.", None);
        None for a paragraph that is not numbered."""
        found = self._levels_of(num_id)
        if found is None:
            return None
        abstract_id, levels = found
        level = levels.get(ilvl)
        if level is None:
            return None
        counters = self._counters.setdefault(abstract_id, {})
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else level.start
        for deeper, deeper_level in levels.items():
            if deeper > ilvl and deeper_level.restart_below is not None and ilvl < deeper_level.restart_below:
                counters.pop(deeper, None)
        if level.format == "bullet":
            return "-", None
        if level.text is None:
            return None

        def counter(match: re.Match) -> str:
            index = int(match.group(1)) - 1
            shown = levels.get(index)
            if shown is None:
                return ""
            number = counters.get(index, shown.start)
            return format_counter(number, "decimal" if level.legal else shown.format)

        return re.sub(r"%([1-9])", counter, level.text), level.font


class _Piece(NamedTuple):
    text: str
    format: _RunFormat


class _DocumentReader:
    """One pass over the body; list counters advance in document order."""

    def __init__(self, document):
        self.styles = _Styles(_xml_part(document, RT.STYLES))
        self.numbering = _Numbering(_xml_part(document, RT.NUMBERING), self.styles)
        self.body = document.element.find(W + "body")
        self.warnings: list[Reason] = []
        self.legacy_fonts: dict[str, str] = {}
        self.cell_depth = 0

    def read(self) -> Content:
        blocks = list(self.blocks(self.body))
        if not self.legacy_fonts:
            self._decode_unmarked_legacy(blocks)
        content = Content(format="docx", warnings=self.warnings)
        for block in blocks:
            if isinstance(block, Paragraph):
                block.text = _clean_line(block.text)
                if block.text:
                    content.blocks.append(block)
            else:
                block.rows = [[_clean_cell(cell) for cell in row] for row in block.rows]
                content.blocks.append(block)
        return content

    def _decode_unmarked_legacy(self, blocks: list[Block]) -> None:
        """No font named a legacy encoding: test the text that could be legacy (cp1252 only) as
        a whole, and convert it all when it is (the strict test in `legacy.detect_legacy_text`)."""
        targets: list[tuple[object, int | None, int | None]] = []
        for block in blocks:
            if isinstance(block, Paragraph):
                if legacy.could_be_legacy(block.text):
                    targets.append((block, None, None))
            else:
                for r, row in enumerate(block.rows):
                    targets.extend((block, r, c) for c, cell in enumerate(row) if legacy.could_be_legacy(cell))
        if not targets:
            return
        texts = [block.text if r is None else block.rows[r][c] for block, r, c in targets]
        encoding = legacy.detect_legacy_text("\n".join(texts))
        if encoding is None:
            return
        for (block, r, c), text in zip(targets, texts):
            if r is None:
                block.text = legacy.decode_as(text, encoding)
            else:
                block.rows[r][c] = legacy.decode_as(text, encoding)
        self.warnings.append(Reason(
            f"text in legacy {legacy.ENCODING_NAMES[encoding]} encoding (recognised from its characters; "
            "no font named it) converted to Unicode",
            f"Văn bản gõ bằng bảng mã cũ {legacy.ENCODING_NAMES[encoding]} (nhận ra từ các ký tự) đã được "
            "chuyển sang Unicode; đề nghị kiểm tra lại dấu tiếng Việt."))

    # ----------------------------------------------------------------------- blocks

    def blocks(self, container: etree._Element) -> Iterator[Block]:
        for element in _unwrapped(container, frozenset((W + "p", W + "tbl", W + "altChunk"))):
            if element.tag == W + "p":
                yield from self.paragraph(element)
            elif element.tag == W + "tbl":
                yield self.table(element)
            else:
                self._warn(Reason("an embedded document part (altChunk) was not read",
                                  "Một phần văn bản nhúng (altChunk) trong tệp Word không được đọc."))

    def paragraph(self, p: etree._Element) -> Iterator[Block]:
        """The paragraph, then the blocks of the text boxes anchored in it."""
        ppr = p.find(W + "pPr")
        style_id = _val(ppr, "pStyle") or self.styles.default_paragraph
        style_level, style_jc, style_numbering = self.styles.paragraph_properties(style_id)
        pieces: list[_Piece] = []
        boxes: list[etree._Element] = []
        self._inline(p, style_id, pieces, boxes)
        text, bold = self._join(pieces)
        label = self._label(ppr, style_id, style_numbering)
        if label and (text.strip() or label != "-"):
            text = f"{label} {text}"
        outline = _int_val(ppr, "outlineLvl")
        if outline is not None:
            style_level = _outline_level(outline)
        yield Paragraph(text=text, bold=bold, style_level=style_level,
                        centered=(_val(ppr, "jc") or style_jc) == "center")
        for box in boxes:
            yield from self.blocks(box)

    def _label(self, ppr: etree._Element | None, style_id: str | None,
               style_numbering: etree._Element | None) -> str | None:
        direct = None if ppr is None else ppr.find(W + "numPr")
        num_id = _val(direct, "numId") or _val(style_numbering, "numId")
        if num_id is None or num_id == "0":
            return None
        ilvl = _int_val(direct, "ilvl")
        if ilvl is None:
            ilvl = _int_val(style_numbering, "ilvl")
        if ilvl is None:
            ilvl = self.numbering.level_for_style(num_id, style_id) or 0
        found = self.numbering.label(num_id, ilvl)
        if found is None:
            return None
        label, font = found
        return self._decoded(label, _RunFormat(font=font))

    def table(self, tbl: etree._Element) -> Table:
        """The table as a grid: a cell spanning columns (w:gridSpan) gives its text to the first
        and "" to the others; a cell continuing a vertical merge (w:vMerge) holds ""; rows
        deleted in tracked changes are left out; short rows are padded."""
        width = len(tbl.findall(f"{W}tblGrid/{W}gridCol"))
        rows: list[list[str]] = []
        for tr in _unwrapped(tbl, frozenset((W + "tr",))):
            trpr = tr.find(W + "trPr")
            if trpr is not None and trpr.find(W + "del") is not None:
                continue
            row = [""] * _span(_int_val(trpr, "gridBefore"), 0)
            for tc in _unwrapped(tr, frozenset((W + "tc",))):
                tcpr = tc.find(W + "tcPr")
                merge = None if tcpr is None else tcpr.find(W + "vMerge")
                continuing = merge is not None and merge.get(W_VAL) != "restart"
                row.append("" if continuing else self.cell_text(tc))
                row.extend([""] * (_span(_int_val(tcpr, "gridSpan"), 1) - 1))
            row.extend([""] * _span(_int_val(trpr, "gridAfter"), 0))
            rows.append(row)
        width = max([width, *map(len, rows)])
        return Table(rows=[row + [""] * (width - len(row)) for row in rows])

    def cell_text(self, container: etree._Element) -> str:
        """A cell's paragraphs joined by newlines; a nested table gives one line per row, its
        cells separated by tabs."""
        self.cell_depth += 1
        try:
            lines = []
            for block in self.blocks(container):
                if isinstance(block, Paragraph):
                    lines.append(block.text)
                else:
                    lines.extend("\t".join(cell.replace("\n", " ") for cell in row) for row in block.rows)
            return "\n".join(lines)
        finally:
            self.cell_depth -= 1

    # ----------------------------------------------------------------------- runs

    def _inline(self, element: etree._Element, style_id: str | None,
                pieces: list[_Piece], boxes: list[etree._Element]) -> None:
        for child in element:
            tag = child.tag
            if tag == W + "r":
                self._run(child, style_id, pieces, boxes)
            elif tag in _TRANSPARENT:
                self._inline(child, style_id, pieces, boxes)
            elif tag == _SDT:
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    self._inline(content, style_id, pieces, boxes)
            elif tag == _ALTERNATE:
                branch = _chosen(child)
                if branch is not None:
                    self._inline(branch, style_id, pieces, boxes)
            elif tag in (MATH + "oMath", MATH + "oMathPara"):
                math = "".join(t.text or "" for t in child.iter(MATH + "t"))
                pieces.append(_Piece(math, self.styles.inherited(style_id, None)))

    def _run(self, r: etree._Element, style_id: str | None,
             pieces: list[_Piece], boxes: list[etree._Element]) -> None:
        rpr = r.find(W + "rPr")
        run_format = _apply(rpr, self.styles.inherited(style_id, _val(rpr, "rStyle")))
        if run_format.hidden:
            return
        text: list[str] = []
        for child in r:
            tag = child.tag
            if tag == W + "t":
                text.append(child.text or "")
            elif tag in (W + "tab", W + "ptab"):
                text.append("\t")
            elif tag in (W + "br", W + "cr"):
                text.append("\n" if self.cell_depth else " ")
            elif tag == W + "softHyphen":
                text.append("\u00ad")  # "ư" in a TCVN3 run, invisible elsewhere
            elif tag == W + "noBreakHyphen":
                text.append("-")
            elif tag == W + "sym":
                symbol = self._symbol(child)
                if symbol:
                    pieces.append(_Piece("".join(text), run_format))
                    pieces.append(_Piece(symbol, run_format._replace(font=child.get(W + "font"))))
                    text = []
            elif tag in _OBJECTS:
                boxes.extend(_text_boxes(child))
        if text:
            pieces.append(_Piece("".join(text), run_format))

    @staticmethod
    def _symbol(sym: etree._Element) -> str | None:
        """A w:sym character, only when its font is a legacy Vietnamese one (other symbol fonts
        draw pictures: ticks, arrows, bullets)."""
        if legacy.detect_legacy_font(sym.get(W + "font")) is None:
            return None
        try:
            return chr(int(sym.get(W + "char", ""), 16))
        except (ValueError, OverflowError):
            return None

    def _join(self, pieces: list[_Piece]) -> tuple[str, bool]:
        """The paragraph's text (legacy runs decoded, caps applied) and whether all of its
        visible text is bold. Neighbouring runs in one legacy font are decoded together, since
        a VNI mark may sit in the run after its letter."""
        out: list[str] = []
        visible = bold = False
        all_bold = True
        index = 0
        while index < len(pieces):
            run_format = pieces[index].format
            end = index + 1
            while end < len(pieces) and pieces[end].format == run_format:
                end += 1
            text = self._decoded("".join(piece.text for piece in pieces[index:end]), run_format)
            if run_format.caps:
                text = text.upper()
            if text.translate(_INVISIBLE).strip():
                visible = True
                all_bold = all_bold and run_format.bold
            out.append(text)
            index = end
        bold = visible and all_bold
        return "".join(out), bold

    def _decoded(self, text: str, run_format: _RunFormat) -> str:
        encoding = legacy.detect_legacy_font(run_format.font)
        if encoding is None:
            return text
        if run_format.font not in self.legacy_fonts:
            self.legacy_fonts[run_format.font] = encoding
            self._warn(Reason(f"legacy {legacy.ENCODING_NAMES[encoding]} font {run_format.font} converted to Unicode",
                              f"Phông chữ cũ {run_format.font} (bảng mã {legacy.ENCODING_NAMES[encoding]}) đã được "
                              "chuyển sang Unicode; đề nghị kiểm tra lại dấu tiếng Việt."))
        return legacy.decode_as(text, encoding, capitals=legacy.is_capitals_font(run_format.font))

    def _warn(self, message: Reason) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def _span(value: int | None, default: int) -> int:
    """A column count from the file, kept within sane bounds."""
    if value is None:
        return default
    return max(default, min(value, _MAX_GRID_SPAN))


def _clean_line(text: str) -> str:
    """NFC, soft hyphens and zero-width characters dropped, every run of spaces one space, a
    run of tabs one tab, no space at the ends."""
    text = _OTHER_SPACE.sub(" ", nfc(text).translate(_INVISIBLE).replace("\n", " "))
    return _TAB_RUN.sub("\t", text).strip(" \t")


def _clean_cell(text: str) -> str:
    return "\n".join(line for line in map(_clean_line, text.split("\n")) if line)
