"""PDF -> Content: paragraphs, the side-by-side header and signature blocks, and ruled tables, in
reading order, shaped like what the DOCX reader gives for the same document.

How a document is read, and why:

* pypdfium2 gives every character of the text layer with its box and font, and every path and
  image the page draws. It reads text ~50x faster than pdfplumber (pdfminer), so every page is
  read with it alone; it also tells scanned pages (an image, next to no text) from text pages.
* Ruled tables come from pdfplumber's table finder (snap and join rules, intersections, cells,
  tables), run only on pages that draw at least two horizontal and two vertical rules. The rules are read
  from the page's paths with pypdfium2 and handed over as explicit lines, so pdfplumber never
  parses the page again (that parse would cost as much as reading the whole page's text with
  pdfplumber); a cell's text is the page's words whose centre lies in the cell. Words inside a
  table never also become paragraphs.
* Tables drawn without lines (a Word table whose borders were removed, a workbook printed without
  grid lines) are found among the lines left over, by the white gutters between their columns
  (`lineless.py`): only where no ruled table is, and never in prose.
* Characters become words, words become lines (by vertical overlap), in a frame where the text
  runs left to right (a landscape table drawn sideways on a portrait page reads upright). Running
  headers and footers (the same text at the same place on many pages, digits ignored) and lone
  page numbers at the top or bottom of a page are not content.
* Two clusters of lines side by side, separated by a wide gap (the administrative header "UBND ... /
  CỘNG HÒA ...", the signature block "Nơi nhận: ... / GIÁM ĐỐC ..."), become a Table of one row
  with two cells, each cell its lines joined by "\\n": the DOCX has them as borderless 2-column
  tables. They are found from word positions, never from their wording: a line split by one
  wide gap, or two lines that overlap in height yet lie apart, starts a region; aligned lines on
  either side go on with it.
* Lines are joined back into paragraphs when the next line continues the previous one: same
  boldness and size, normal line pitch, the previous line ran to the right margin (the next
  line's first word would not have fitted on it), and the next line is not indented further and
  does not start with a list mark ("-", "1.", "a)", "II."). So a heading wrapped over two lines
  is one Paragraph, and a heading never swallows the body text after it (boldness differs).
* A table continued at the top of the next page, with the same columns (same column edges, the
  same header rows repeated, or more edges below a merged cell that hid one: a two-row header
  parted by the break), is one Table: repeated header rows are dropped, and a row split by the
  page break (its first cell empty on the new page, and no number on both sides: a total row
  alone on the new page stays a row) is joined back to its start. Covered cells of merged cells
  are "".

Bad input raises UnreadableFile with an English reason and a Vietnamese one for the sender
(password, damaged or truncated file, HTML saved as .pdf, no pages). Work is bounded: at most
`max_pages` pages (a warning says so), _MAX_CHARS_PER_PAGE characters a page, and no table
search on a page drawing more than _MAX_OBJECTS_PER_PAGE objects, _MAX_SEGMENTS_PER_PAGE path
segments or _MAX_GRID_CELLS ruled cells (its text is still read). A scanned document (most pages
an image, next to no text) gives Content(scanned=True) and no blocks; scanned pages in a text
document are named in a warning. There is no OCR.
"""
from __future__ import annotations

import ctypes
import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.table import TableFinder

from ..reason import Reason
from ..text import collapse, fold
from ..vnformat import vn_number
from .lineless import LinelessTable, find_lineless_tables
from .model import Content, Paragraph, Table, UnreadableFile
from .numbers import is_number_text

_MAX_CHARS_PER_PAGE = 60_000
_MAX_OBJECTS_PER_PAGE = 20_000
_MAX_SEGMENTS_PER_PAGE = 20_000
# pdfplumber's cell grouping grows faster than the number of cells: 50 x 50 rules take ~0.4 s.
_MAX_GRID_CELLS = 3000

# A page is "image only" with fewer visible characters than this, and an image over this share of
# its area (or this many drawn paths: text turned into outlines reads no better than a scan).
_SCAN_TEXT_CHARS = 40
_SCAN_IMAGE_SHARE = 0.3
_SCAN_PATHS = 200
# A document is scanned when at least half its pages are image only and its whole text layer is
# tiny (a digital-signature stamp on a scan must not make it a text document).
_SCAN_DOC_CHARS_PER_PAGE = 100

# Column edges of two table parts within this many points are the same edge: pdfplumber snaps
# rules within 3 pt; the gutters of a table without lines move with the words on each page.
_EDGE_SLACK = 3
_LINELESS_EDGE_SLACK = 10
# A gap between two words wider than this many font sizes separates side-by-side columns.
_WIDE_GAP = 2.5
# Side-by-side cells may hold a signature space: lines further apart than this many sizes end it.
_REGION_MAX_GAP = 10.0

_BOLD_FONT = re.compile(r"bold|black|heavy", re.IGNORECASE)
# A line starting with one of these starts a new paragraph (the private-use code points are the
# Symbol and Wingdings bullets Word writes).
_LIST_MARK = re.compile(r"^(?:[-–—+•*·▪●○■□◦\uf0b7\uf0a7\uf0d8\uf076\uf0fc]"
                        r"|\(?\d{1,2}(?:\.\d{1,2})*[.)]|\(?[a-zđ]\)|[IVXL]{1,6}\.)\s", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^(?:trang\s*)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(?:\s*/\s*\d{1,4})?$",
                          re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
# Code points that end a word (besides controls and the space), and those dropped without a trace
# (soft hyphen, zero-width no-break space, non-characters).
_SPACE_CODES = frozenset({0xA0, 0x1680, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200C)})
_DROPPED_CODES = frozenset({0xAD, 0xFEFF, 0xFFFE, 0xFFFF})
_LIGATURES = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)}

_REASON_EMPTY = ("the PDF file is empty",
                 "Tệp PDF gửi kèm không có nội dung; đề nghị quý cơ quan gửi lại tệp báo cáo, "
                 "kèm bản Word (.docx).")
_REASON_HTML = ("the file is an HTML web page saved with a .pdf name, not a PDF",
                "Tệp gửi kèm là một trang web (HTML) được đặt tên .pdf, không phải tệp PDF; đề nghị "
                "quý cơ quan gửi lại đúng tệp báo cáo (bản PDF hoặc bản Word .docx).")
_REASON_NOT_PDF = ("the file is not a PDF (no %PDF- signature)",
                   "Tệp gửi kèm không phải tệp PDF hợp lệ; đề nghị quý cơ quan gửi lại tệp báo cáo, "
                   "kèm bản Word (.docx).")
_REASON_PASSWORD = ("the PDF is protected by a password",
                    "Tệp PDF được đặt mật khẩu nên không mở được; đề nghị quý cơ quan gửi lại tệp "
                    "không đặt mật khẩu, kèm bản Word (.docx).")
_REASON_SECURITY = ("the PDF is encrypted with a security scheme that cannot be opened",
                    "Tệp PDF được mã hóa bảo mật nên không mở được; đề nghị quý cơ quan gửi lại tệp "
                    "không mã hóa, kèm bản Word (.docx).")
_REASON_DAMAGED = ("the PDF is damaged or truncated and cannot be opened",
                   "Tệp PDF bị lỗi hoặc không đầy đủ nên không mở được; đề nghị quý cơ quan gửi lại "
                   "tệp, kèm bản Word (.docx).")
_REASON_NO_PAGES = ("the PDF has no pages",
                    "Tệp PDF không có trang nào; đề nghị quý cơ quan gửi lại tệp báo cáo, kèm bản Word "
                    "(.docx).")


@dataclass(slots=True)
class _Word:
    """A run of characters without a space, in the text frame (points, origin top left): its box
    and the height of its baseline."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    bold: bool
    size: float
    baseline: float


@dataclass
class _Line:
    words: list[_Word]
    page: int

    def __post_init__(self) -> None:
        self.words.sort(key=lambda w: w.x0)
        self.x0 = min(w.x0 for w in self.words)
        self.x1 = max(w.x1 for w in self.words)
        self.top = min(w.top for w in self.words)
        self.bottom = max(w.bottom for w in self.words)
        self.size = max(w.size for w in self.words)
        self.baseline = max(w.baseline for w in self.words)  # a raised superscript does not count
        self.bold = all(w.bold for w in self.words)
        self.text = collapse(" ".join(w.text for w in self.words))

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2

    def segments(self) -> list[list[_Word]]:
        """The words split at gaps wider than _WIDE_GAP font sizes."""
        parts = [[self.words[0]]]
        for word in self.words[1:]:
            if word.x0 - parts[-1][-1].x1 > _WIDE_GAP * self.size:
                parts.append([word])
            else:
                parts[-1].append(word)
        return parts


@dataclass
class _TablePart:
    """One table (ruled, or drawn without lines) as found on one page."""

    rows: list[list[str]]
    page: int
    top: float
    column_edges: list[float]
    last_page: int = 0
    lineless: bool = False      # found by its gutters, not drawn

    @property
    def edge_slack(self) -> float:
        return _LINELESS_EDGE_SLACK if self.lineless else _EDGE_SLACK

    def __post_init__(self) -> None:
        self.last_page = self.last_page or self.page


@dataclass
class _Region:
    """Side-by-side columns of lines (header or signature block)."""

    left: list[str]
    right: list[str]
    page: int
    top: float


@dataclass
class _Page:
    number: int
    width: float
    words: list[_Word] = field(default_factory=list)
    chars: int = 0
    image_only: bool = False
    tables: list[_TablePart] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)


def read_pdf(data: bytes, max_pages: int = 300) -> Content:
    """Read a PDF report into Content (format "pdf"), or raise UnreadableFile.

    A scanned PDF gives Content(scanned=True) with no blocks, never an empty report."""
    document = _open(data)
    content = Content(format="pdf")
    try:
        total = len(document)
        if total == 0:
            raise UnreadableFile(*_REASON_NO_PAGES)
        content.pages = total
        if total > max_pages:
            content.warnings.append(Reason(f"read only the first {max_pages} of {total} pages",
                                           f"Chỉ đọc {max_pages} trang đầu trong tổng số {total} trang của tệp PDF."))
        pages = [_scan_page(document, index, content.warnings) for index in range(min(total, max_pages))]
    finally:
        document.close()
    pages = [page for page in pages if page is not None]

    image_only = [page.number for page in pages if page.image_only]
    text_chars = sum(page.chars for page in pages)
    count = max(len(pages), 1)
    if len(image_only) * 2 >= count and text_chars < _SCAN_DOC_CHARS_PER_PAGE * count:
        content.scanned = True
        return content
    if not text_chars:
        content.warnings.append(Reason("the PDF holds no text", "Tệp PDF không có nội dung chữ để đọc."))
        return content
    if image_only:
        numbers = ", ".join(map(str, image_only))
        content.warnings.append(Reason(f"pages without a text layer (scanned), not read: {numbers}",
                                       f"Các trang {numbers} là ảnh scan, không có lớp chữ nên chưa đọc được."))

    for page in pages:
        page.lines = _group_lines(page.words, page.number)
    _drop_page_furniture(pages)
    carried = None
    for page in pages:
        carried = _lineless_tables(page, carried)
    content.blocks = _Assembler(pages).blocks()
    return content


def _open(data: bytes) -> pdfium.PdfDocument:
    if not data:
        raise UnreadableFile(*_REASON_EMPTY)
    head = data[:1024]
    if b"%PDF-" not in head:
        if re.search(rb"<(?:!doctype\s+html|html|head|body)\b", head.lower()):
            raise UnreadableFile(*_REASON_HTML)
        raise UnreadableFile(*_REASON_NOT_PDF)
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise UnreadableFile(*_REASON_PASSWORD) from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise UnreadableFile(*_REASON_SECURITY) from None
        raise UnreadableFile(*_REASON_DAMAGED) from None


# --- pypdfium2: characters, words, page graphics -------------------------------------------------

def _scan_page(document: pdfium.PdfDocument, index: int, warnings: list[Reason]) -> _Page | None:
    number = index + 1
    try:
        page = document[index]
    except pdfium.PdfiumError:
        warnings.append(_unreadable_page(number))
        return None
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            display, text_width = _text_frame(page, _text_direction(textpage))
            result = _Page(number=number, width=round(text_width))
            result.words = _page_words(textpage, display, number, warnings)
        finally:
            textpage.close()
        result.chars = sum(len(word.text) for word in result.words)
        graphics = _Graphics(display)
        if graphics.read(page):
            _find_tables(result, graphics, warnings)
        else:
            warnings.append(Reason(f"page {number}: too many drawing objects, tables not searched",
                                   f"Trang {number} có quá nhiều hình vẽ nên không tìm bảng trên trang này."))
        result.image_only = result.chars < _SCAN_TEXT_CHARS and (
            graphics.image_area >= _SCAN_IMAGE_SHARE * width * height or graphics.paths >= _SCAN_PATHS)
        return result
    except pdfium.PdfiumError:
        warnings.append(_unreadable_page(number))
        return None
    finally:
        page.close()


def _unreadable_page(number: int) -> Reason:
    return Reason(f"page {number} cannot be read", f"Trang {number} của tệp PDF bị lỗi, không đọc được.")


def _text_direction(textpage: pdfium.PdfTextPage) -> int:
    """The most common direction of the characters, in clockwise quarter turns from upright
    (pdfium measures angles clockwise: 1 is text running down the page), from a sample."""
    raw = textpage.raw
    count = min(pdfium_c.FPDFText_CountChars(raw), _MAX_CHARS_PER_PAGE)
    votes: Counter = Counter()
    for index in range(0, count, max(1, count // 64)):
        if pdfium_c.FPDFText_GetUnicode(raw, index) > 0x20:
            angle = pdfium_c.FPDFText_GetCharAngle(raw, index)
            if angle >= 0:
                votes[round(math.degrees(angle) / 90) % 4] += 1
    return votes.most_common(1)[0][0] if votes else 0


def _text_frame(page: pdfium.PdfPage, quarter_turns: int) -> tuple[Callable, float]:
    """A function (left, bottom, right, top) in PDF user space -> (x0, top, x1, bottom) in a frame
    where the text runs left to right, origin at the top left; and the width of that frame.

    The frame follows the direction of the text, not the page's /Rotate: a landscape table may be
    drawn sideways on a portrait page and turned for display, or an upright page may be marked as
    rotated; either way the text reads along it."""
    left, bottom, right, top = page.get_mediabox()
    if quarter_turns == 1:
        return (lambda l, b, r, t: (top - t, right - r, top - b, right - l)), top - bottom
    if quarter_turns == 2:
        return (lambda l, b, r, t: (right - r, b - bottom, right - l, t - bottom)), right - left
    if quarter_turns == 3:
        return (lambda l, b, r, t: (b - bottom, l - left, t - bottom, r - left)), top - bottom
    return (lambda l, b, r, t: (l - left, top - t, r - left, top - b)), right - left


def _page_words(textpage: pdfium.PdfTextPage, display: Callable, number: int,
                warnings: list[Reason]) -> list[_Word]:
    """Words from the text layer in stream order: a word ends at a space (pdfium inserts one where
    glyphs are far apart) or where the next glyph does not follow on the same line.

    This loop runs once per character of the document: the word being built lives in locals."""
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    if count > _MAX_CHARS_PER_PAGE:
        warnings.append(Reason(f"page {number}: only the first {_MAX_CHARS_PER_PAGE} characters read",
                               f"Trang {number} quá dài: chỉ đọc {vn_number(_MAX_CHARS_PER_PAGE)} ký tự đầu."))
        count = _MAX_CHARS_PER_PAGE
    get_unicode = pdfium_c.FPDFText_GetUnicode
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    get_origin = pdfium_c.FPDFText_GetCharOrigin
    box = pdfium_c.FS_RECTF()
    box_ref = ctypes.byref(box)
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    origin_refs = ctypes.byref(origin_x), ctypes.byref(origin_y)
    font_of = _FontCache(raw)
    combining = unicodedata.combining

    words: list[_Word] = []
    chars: list[str] = []
    x0 = x1 = top = bottom = size = baseline = 0.0
    bold = False
    last = ("", 0.0, 0.0)
    for index in range(count + 1):
        code = get_unicode(raw, index) if index < count else 0x20
        if code in _DROPPED_CODES:
            continue
        if code <= 0x20 or code in _SPACE_CODES:
            if chars:
                words.append(_Word("".join(chars), x0, x1, top, bottom, bold, size, baseline))
                chars = []
            continue
        char = _LIGATURES.get(code) or chr(code)
        if chars and code >= 0x300 and combining(char):
            chars.append(char)
            continue
        if not get_box(raw, index, box_ref):
            continue
        left, upper, right, lower = display(box.left, box.bottom, box.right, box.top)
        if char == last[0] and abs(left - last[1]) < 1 and abs(upper - last[2]) < 1:
            continue  # the same glyph printed twice over itself (fake bold)
        last = (char, left, upper)
        if chars:
            # Glyph boxes are tight: a comma hangs below the letters, an accent rises above them.
            middle, slack = (upper + lower) / 2, 0.3 * size
            if top - slack <= middle <= bottom + slack and x1 - 0.5 * size <= left <= x1 + slack:
                chars.append(char)
                if right > x1:
                    x1 = right
                if upper < top:
                    top = upper
                if lower > bottom:
                    bottom = lower
                continue
            words.append(_Word("".join(chars), x0, x1, top, bottom, bold, size, baseline))
        bold, size = font_of(index)
        # Some writers set a font size of 1 and scale the text matrix: trust the box then.
        if size < 0.6 * (lower - upper):
            size = lower - upper
        x0, x1, top, bottom = left, right, upper, lower
        baseline = lower
        if get_origin(raw, index, *origin_refs):
            baseline = display(origin_x.value, origin_y.value, origin_x.value, origin_y.value)[1]
        chars = [char]
    return words


_STROKED_FILL = (pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE, pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE_CLIP)


class _FontCache:
    """(bold, size) of the character at an index; boldness looked up once per font name."""

    def __init__(self, raw_textpage) -> None:
        self.raw = raw_textpage
        self.buffer = ctypes.create_string_buffer(512)
        self.flags = ctypes.c_int()
        self.bold: dict[tuple[bytes, int], bool] = {}

    def __call__(self, index: int) -> tuple[bool, float]:
        size = pdfium_c.FPDFText_GetFontSize(self.raw, index)
        # Word fakes bold for a font without a bold face by stroking the glyphs' outlines too.
        text_object = pdfium_c.FPDFText_GetTextObject(self.raw, index)
        if text_object and pdfium_c.FPDFTextObj_GetTextRenderMode(text_object) in _STROKED_FILL:
            return True, size
        weight = pdfium_c.FPDFText_GetFontWeight(self.raw, index)
        # The name is copied only when it fits the buffer; its length is returned either way.
        needed = pdfium_c.FPDFText_GetFontInfo(self.raw, index, self.buffer, len(self.buffer),
                                               ctypes.byref(self.flags))
        key = (self.buffer.value if 0 < needed <= len(self.buffer) else b"", weight)
        bold = self.bold.get(key)
        if bold is None:
            bold = self.bold[key] = weight >= 600 or bool(_BOLD_FONT.search(key[0].decode("latin-1")))
        return bold, size


_DRAWN_KINDS = (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)


class _Graphics:
    """What a page draws, besides text: rules (axis-parallel stroked or filled path segments, as
    pdfplumber edge dicts in the text frame), image area, and the number of paths."""

    def __init__(self, display: Callable) -> None:
        self.display = display
        self.edges: list[dict] = []
        self.image_area = 0.0
        self.paths = 0
        self.segments = 0
        self._matrix = pdfium_c.FS_MATRIX()
        self._x, self._y = ctypes.c_float(), ctypes.c_float()
        self._fill, self._stroke = ctypes.c_int(), ctypes.c_int()

    def read(self, page: pdfium.PdfPage) -> bool:
        """Walk the page's objects (into Form XObjects); False when the page holds too many to
        search for tables."""
        count = pdfium_c.FPDFPage_CountObjects(page)
        if count > _MAX_OBJECTS_PER_PAGE:
            return False
        objects = (pdfium_c.FPDFPage_GetObject(page, index) for index in range(count))
        return self._walk(objects, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), depth=0)

    def _walk(self, objects, outer: tuple, depth: int) -> bool:
        for obj in objects:
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind not in _DRAWN_KINDS:
                continue
            if not pdfium_c.FPDFPageObj_GetMatrix(obj, self._matrix):
                continue
            m = self._matrix
            matrix = _compose((m.a, m.b, m.c, m.d, m.e, m.f), outer)
            if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                self.image_area += abs(matrix[0] * matrix[3] - matrix[1] * matrix[2])
            elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                self.paths += 1
                self._path(obj, matrix)
                if self.segments > _MAX_SEGMENTS_PER_PAGE:
                    return False
            elif depth < 4:
                inner = pdfium_c.FPDFFormObj_CountObjects(obj)
                if inner > _MAX_OBJECTS_PER_PAGE:
                    return False
                if not self._walk((pdfium_c.FPDFFormObj_GetObject(obj, index) for index in range(inner)),
                                  matrix, depth + 1):
                    return False
        return True

    def _path(self, obj, matrix: tuple) -> None:
        """Edges from the straight segments of a visible path (a clip path draws nothing)."""
        if not pdfium_c.FPDFPath_GetDrawMode(obj, self._fill, self._stroke) or not (
                self._fill.value or self._stroke.value):
            return
        count = pdfium_c.FPDFPath_CountSegments(obj)
        self.segments += count
        start = previous = None
        for index in range(count):
            segment = pdfium_c.FPDFPath_GetPathSegment(obj, index)
            if not pdfium_c.FPDFPathSegment_GetPoint(segment, self._x, self._y):
                continue
            point = _apply(matrix, self._x.value, self._y.value)
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = point
            elif kind == pdfium_c.FPDF_SEGMENT_LINETO and previous is not None:
                self._edge(previous, point)
            previous = point
            if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
                self._edge(point, start)
                previous = start

    def _edge(self, one: tuple[float, float], two: tuple[float, float]) -> None:
        x0, top, x1, bottom = self.display(min(one[0], two[0]), min(one[1], two[1]),
                                           max(one[0], two[0]), max(one[1], two[1]))
        if bottom - top < 0.5 and x1 - x0 >= 1:
            middle = (top + bottom) / 2
            self.edges.append({"object_type": "line", "orientation": "h", "x0": x0, "x1": x1,
                               "top": middle, "bottom": middle, "width": x1 - x0, "height": 0})
        elif x1 - x0 < 0.5 and bottom - top >= 1:
            middle = (x0 + x1) / 2
            self.edges.append({"object_type": "line", "orientation": "v", "x0": middle, "x1": middle,
                               "top": top, "bottom": bottom, "width": 0, "height": bottom - top})

    def rules(self) -> tuple[list[dict], list[dict]]:
        horizontal = [edge for edge in self.edges if edge["orientation"] == "h"]
        vertical = [edge for edge in self.edges if edge["orientation"] == "v"]
        return horizontal, vertical


def _compose(inner: tuple, outer: tuple) -> tuple:
    """The matrix applying `inner` then `outer` (PDF matrices a b c d e f)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(matrix: tuple, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


# --- tables: pdfplumber's table finder on the rules, cells filled with the page's words ----------

_MIN_CELLS_OF_ONE_ROW = 3


def _find_tables(page: _Page, graphics: _Graphics, warnings: list[Reason]) -> None:
    """Fill page.tables and keep in page.words only the words outside them.

    The rules are handed to pdfplumber's TableFinder as explicit lines, so it builds the cells
    exactly as it does from its own parse (snap, join, intersections, cells, tables), without
    parsing the page a second time; a cell's text is the words whose centre lies in it. A page
    ruled like graph paper (more than _MAX_GRID_CELLS cells) is not searched."""
    horizontal, vertical = graphics.rules()
    if len(horizontal) < 2 or len(vertical) < 2:
        return
    rows_at = {round(edge["top"] / 3) for edge in horizontal}  # pdfplumber snaps within 3 pt
    columns_at = {round(edge["x0"] / 3) for edge in vertical}
    if len(rows_at) * len(columns_at) > _MAX_GRID_CELLS:
        warnings.append(Reason(f"page {page.number}: too many ruled cells, tables not searched",
                               f"Trang {page.number} có quá nhiều ô kẻ nên không tìm bảng trên trang này."))
        return
    finder = TableFinder(None, {"vertical_strategy": "explicit", "horizontal_strategy": "explicit",
                                "explicit_vertical_lines": vertical, "explicit_horizontal_lines": horizontal})
    # One ruled row counts when it has several cells: the last row of a table that ran onto
    # this page; a single framed box (a bordered note) does not.
    tables = [table for table in finder.tables
              if len(table.columns) >= 2 and (len(table.rows) >= 2 or len(table.columns) >= _MIN_CELLS_OF_ONE_ROW)]
    if not tables:
        return
    boxes = [table.bbox for table in tables]  # a computed property in pdfplumber
    inside: list[list[_Word]] = [[] for _ in tables]
    outside = []
    for word in page.words:
        x, y = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
        for number, (x0, top, x1, bottom) in enumerate(boxes):
            if x0 <= x < x1 and top <= y < bottom:
                inside[number].append(word)
                break
        else:
            outside.append(word)
    for table, box, words in zip(tables, boxes, inside):
        rows = []
        for row in table.rows:
            _, row_top, _, row_bottom = row.bbox
            row_words = [word for word in words if row_top <= (word.top + word.bottom) / 2 < row_bottom]
            rows.append([_cell_text(cell, row_words, page.number) for cell in row.cells])
        edges = sorted({round(cell[0], 1) for cell in table.cells}) + [round(box[2], 1)]
        page.tables.append(_TablePart(rows=rows, page=page.number, top=box[1], column_edges=edges))
    page.words = outside


def _lineless_tables(page: _Page, carried: LinelessTable | None) -> LinelessTable | None:
    """Tables drawn without lines among the page's lines (those of ruled tables are gone
    already) become table parts; their lines are no longer paragraphs. `carried` is the table
    without lines that ended the page before (its lines at the top of this page go on with it);
    the one that ends this page is returned."""
    tables = find_lineless_tables(page.lines, carried)
    last = tables[-1] if tables and tables[-1].last == len(page.lines) - 1 else None
    for table in reversed(tables):
        page.tables.append(_TablePart(rows=table.rows, page=page.number, top=table.top,
                                      column_edges=table.column_edges, lineless=True))
        del page.lines[table.first:table.last + 1]
    return last


def _cell_text(cell: tuple | None, words: list[_Word], number: int) -> str:
    """The text of a cell: its lines joined by a space (one paragraph wrapped by the cell width),
    except that a line starting with a list mark starts a new line. A covered cell is ""."""
    if cell is None:
        return ""
    x0, top, x1, bottom = cell
    mine = [word for word in words
            if x0 <= (word.x0 + word.x1) / 2 < x1 and top <= (word.top + word.bottom) / 2 < bottom]
    out = ""
    for line in _group_lines(mine, number):
        if out:
            out += "\n" if _LIST_MARK.match(line.text) else " "
        out += line.text
    return out


# --- lines ---------------------------------------------------------------------------------------

def _group_lines(words: list[_Word], number: int) -> list[_Line]:
    """Words whose boxes overlap vertically by half the smaller height form a line; lines are
    returned top to bottom."""
    lines: list[list[_Word]] = []
    bands: list[list[float]] = []
    for word in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        if lines:
            band = bands[-1]
            overlap = min(band[1], word.bottom) - max(band[0], word.top)
            if overlap >= 0.5 * min(band[1] - band[0], word.bottom - word.top):
                lines[-1].append(word)
                band[0], band[1] = min(band[0], word.top), max(band[1], word.bottom)
                continue
        lines.append([word])
        bands.append([word.top, word.bottom])
    return [line for line in (_Line(_without_overprint(group), number) for group in lines) if line.text]


def _without_overprint(words: list[_Word]) -> list[_Word]:
    """Drop a word printed again a hair's breadth from itself (fake bold)."""
    kept: list[_Word] = []
    for word in sorted(words, key=lambda w: w.x0):
        if not any(other.text == word.text and abs(other.x0 - word.x0) <= 0.2 * word.size
                   and abs(other.top - word.top) <= 0.2 * word.size for other in kept[-3:]):
            kept.append(word)
    return kept


def _drop_page_furniture(pages: list[_Page]) -> None:
    """Drop running headers/footers and page numbers from the first and last lines of each page.

    A running line is the same text (digits ignored) within 6 pt of the same height on at least a
    third of the pages, and on three at least (two appendices "PHỤ LỤC 01" and "PHỤ LỤC 02" heading
    their pages are content); a lone number ("3", "- 3 -", "Trang 3", "3/12") as the first or
    last line of a page is a page number."""
    def edge_lines(page: _Page) -> list[_Line]:
        return list({id(line): line for line in page.lines[:3] + page.lines[-3:]}.values())

    seen: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for page in pages:
        for line in edge_lines(page):
            seen[_DIGITS.sub("#", fold(line.text))].append((page.number, line.top))
    needed = max(3, len(pages) // 3)
    for page in pages:
        furniture = set()
        for line in edge_lines(page):
            places = seen[_DIGITS.sub("#", fold(line.text))]
            if len({n for n, top in places if abs(top - line.top) <= 6}) >= needed:
                furniture.add(id(line))
        for line in page.lines[:1] + page.lines[-1:]:
            if _PAGE_NUMBER.match(line.text):
                furniture.add(id(line))
        page.lines = [line for line in page.lines if id(line) not in furniture]


# --- blocks --------------------------------------------------------------------------------------

class _Assembler:
    """Pages of lines and table parts -> blocks: side-by-side regions, joined tables, paragraphs."""

    def __init__(self, pages: list[_Page]) -> None:
        self.pages = pages
        self.width_of = {page.number: page.width for page in pages}
        self.columns = self._text_columns()
        self.pitch = self._line_pitches()

    def blocks(self) -> list[Paragraph | Table]:
        items: list[_Line | _Region | _TablePart] = []
        for page in self.pages:
            page_items = sorted([*page.lines, *page.tables], key=lambda item: item.top)
            index = 0
            while index < len(page_items):
                item = page_items[index]
                found = _side_by_side(page_items, index) if isinstance(item, _Line) else None
                if found is not None:
                    region, begin, end = found
                    del items[len(items) - (index - begin):]  # the lines above it that it took
                    items.append(region)
                    index = end
                    continue
                if isinstance(item, _TablePart):
                    _take_title_above_the_break(items, item)
                if isinstance(item, _TablePart) and items and _continues(items[-1], item):
                    _append_part(items[-1], item)
                else:
                    items.append(item)
                index += 1
        return self._paragraphs(items)

    # paragraphs

    def _paragraphs(self, items: list) -> list[Paragraph | Table]:
        blocks: list[Paragraph | Table] = []
        run: list[_Line] = []

        def flush() -> None:
            if run:
                blocks.append(self._paragraph(run))
                run.clear()

        for item in items:
            if isinstance(item, _Line):
                if run and not self._continues(run[-1], item):
                    flush()
                run.append(item)
                continue
            flush()
            if isinstance(item, _Region):
                blocks.append(Table(rows=[["\n".join(item.left), "\n".join(item.right)]], page=item.page))
            else:
                blocks.append(Table(rows=item.rows, page=item.page))
        flush()
        return blocks

    def _continues(self, above: _Line, below: _Line) -> bool:
        """Whether `below` goes on with the paragraph whose last line is `above` (the rules are
        in the module docstring). Line pitch is measured between baselines: glyph boxes rise and
        fall with accents and descenders."""
        if above.bold != below.bold or abs(above.size - below.size) > 1 or _LIST_MARK.match(below.text):
            return False
        if below.page == above.page:
            pitch = below.baseline - above.baseline
            normal = self.pitch.get(round(above.size), 1.5 * above.size)
            if not 0 < pitch <= 1.2 * normal + 0.5:
                return False
        elif below.page != above.page + 1:
            return False
        _, right = self.columns[self.width_of[above.page]]
        first_word = below.words[0]
        wrapped = above.x1 + 0.3 * above.size + (first_word.x1 - first_word.x0) > right - 1
        tolerance = 0.5 * above.size
        aligned = below.x0 <= above.x0 + tolerance or abs(below.center - above.center) <= tolerance
        return wrapped and aligned

    def _paragraph(self, lines: list[_Line]) -> Paragraph:
        left, right = self.columns[self.width_of[lines[0].page]]
        middle, tolerance = (left + right) / 2, 0.5 * lines[0].size
        centered = (all(abs(line.center - middle) <= tolerance for line in lines)
                    and any(line.x0 - left > tolerance for line in lines))
        return Paragraph(text=collapse(" ".join(line.text for line in lines)),
                         bold=all(line.bold for line in lines), centered=centered, page=lines[0].page)

    # page geometry

    def _text_columns(self) -> dict[float, tuple[float, float]]:
        """(left, right) margins of the text, per page width (portrait and landscape pages differ):
        the 10th percentile of where lines start and the 90th of where they end, so that a header
        table wider than the text, or a long URL, does not move them."""
        starts: dict[float, list[float]] = defaultdict(list)
        ends: dict[float, list[float]] = defaultdict(list)
        for page in self.pages:
            for line in page.lines:
                starts[page.width].append(line.x0)
                ends[page.width].append(line.x1)
        columns = {}
        for width, left in starts.items():
            left, right = sorted(left), sorted(ends[width])
            columns[width] = (left[len(left) // 10], right[len(right) * 9 // 10])
        return columns

    def _line_pitches(self) -> dict[int, float]:
        """The most common distance between consecutive lines of the same font size, per size:
        the document's line spacing, against which paragraph spacing stands out."""
        counts: dict[int, Counter] = defaultdict(Counter)
        for page in self.pages:
            for above, below in zip(page.lines, page.lines[1:]):
                if abs(above.size - below.size) <= 1:
                    counts[round(above.size)][round((below.baseline - above.baseline) * 2) / 2] += 1
        return {size: counter.most_common(1)[0][0] for size, counter in counts.items()}


def _side_by_side(items: list, start: int) -> tuple[_Region, int, int] | None:
    """The side-by-side region starting at items[start], as (region, first index, end index).

    A region starts at a line split by one wide gap into two segments, or at two lines that
    overlap in height yet lie apart, with a wide gap between them (the two cells' lines fall on
    different baselines). It goes on while the next lines are split at the same gap or lie on one
    side, aligned (left edge, centre or right edge) with a line of that side. At the top of a page
    it also takes the lines above it that fit (a header whose right cell starts a line higher).
    Fewer than two lines is no region."""
    region = _RegionBuilder.seed(items, start)
    if region is None:
        return None
    end = start + region.lines
    bottom = items[end - 1].bottom
    while end < len(items):
        line = items[end]
        if not isinstance(line, _Line) or line.top - bottom > _REGION_MAX_GAP * line.size:
            break
        if not region.take(line):
            break
        bottom, end = line.bottom, end + 1
    begin = start
    if start <= 2 and all(isinstance(item, _Line) for item in items[:start]):
        grown = region.copy()
        if all(grown.take(line, on_top=True) for line in reversed(items[:start])):
            region, begin = grown, 0
    if end - begin < 2:
        return None
    return _Region(left=[span.text for span in region.left], right=[span.text for span in region.right],
                   page=items[start].page, top=items[begin].top), begin, end


class _RegionBuilder:
    """The two columns of a side-by-side region and the free gap between them."""

    def __init__(self, left: _Span, right: _Span, lines: int) -> None:
        self.left, self.right = [left], [right]
        self.gap = [left.x1, right.x0]
        self.lines = lines  # how many lines the seed took

    @classmethod
    def seed(cls, items: list, start: int) -> _RegionBuilder | None:
        first = items[start]
        if not isinstance(first, _Line):
            return None
        segments = first.segments()
        if len(segments) == 2:
            return cls(_Span(segments[0]), _Span(segments[1]), 1)
        second = items[start + 1] if start + 1 < len(items) else None
        if len(segments) != 1 or not isinstance(second, _Line) or second.top >= first.bottom:
            return None
        if len(second.segments()) != 1:
            return None
        left, right = sorted((first, second), key=lambda line: line.x0)
        if right.x0 - left.x1 <= _WIDE_GAP * max(left.size, right.size):
            return None
        return cls(_Span(left.words), _Span(right.words), 2)

    def take(self, line: _Line, on_top: bool = False) -> bool:
        """Add the line (below the region, or above it when `on_top`) if it fits."""
        segments = line.segments()
        at = 0 if on_top else None
        if len(segments) == 2:
            one, two = _Span(segments[0]), _Span(segments[1])
            if not (one.x1 < self.gap[1] and two.x0 > self.gap[0]):
                return False
            self._put(self.left, one, at)
            self._put(self.right, two, at)
            self.gap = [max(self.gap[0], one.x1), min(self.gap[1], two.x0)]
            return True
        if len(segments) != 1:
            return False
        span = _Span(segments[0])
        if span.x1 <= self.gap[1] and any(span.aligned(other) for other in self.left):
            self._put(self.left, span, at)
            self.gap[0] = max(self.gap[0], span.x1)
            return True
        if span.x0 >= self.gap[0] and any(span.aligned(other) for other in self.right):
            self._put(self.right, span, at)
            self.gap[1] = min(self.gap[1], span.x0)
            return True
        return False

    def copy(self) -> _RegionBuilder:
        other = _RegionBuilder(self.left[0], self.right[0], self.lines)
        other.left, other.right, other.gap = list(self.left), list(self.right), list(self.gap)
        return other

    @staticmethod
    def _put(column: list[_Span], span: _Span, at: int | None) -> None:
        if at is None:
            column.append(span)
        else:
            column.insert(at, span)


class _Span:
    """A segment of a line inside a side-by-side region."""

    def __init__(self, words: list[_Word]) -> None:
        self.x0, self.x1 = words[0].x0, words[-1].x1
        self.size = max(word.size for word in words)
        self.text = collapse(" ".join(word.text for word in words))

    def aligned(self, other: _Span) -> bool:
        tolerance = 0.6 * max(self.size, other.size)
        return (abs(self.x0 - other.x0) <= tolerance or abs(self.x1 - other.x1) <= tolerance
                or abs((self.x0 + self.x1) - (other.x0 + other.x1)) / 2 <= tolerance)


def _take_title_above_the_break(items: list, part: _TablePart) -> None:
    """A group title that ends a page between two parts of a table without lines (a line or
    two after the part, the part going on at the top of the next page) is a row of the table:
    the lines join it as one row, in the column where they start."""
    tail = 0
    while tail < min(2, len(items)) and isinstance(items[-1 - tail], _Line):
        tail += 1
    if not tail or len(items) <= tail:
        return
    previous, lines = items[-1 - tail], items[len(items) - tail:]
    if (not isinstance(previous, _TablePart) or not previous.lineless or not part.lineless
            or any(line.page != previous.last_page for line in lines) or not _continues(previous, part)):
        return
    edges = previous.column_edges
    if any(line.x0 < edges[0] - 3 * line.size or line.x1 > edges[-1] + 3 * line.size for line in lines):
        return
    row = [""] * (len(edges) - 1)
    row[sum(1 for edge in edges[1:-1] if edge <= lines[0].x0)] = collapse(" ".join(line.text for line in lines))
    previous.rows.append(row)
    del items[len(items) - tail:]


def _continues(previous: object, part: _TablePart) -> bool:
    """Whether a table part at the top of a page continues the table ending the page before:
    the same column edges (or the page before has fewer, hidden by a merged cell: a two-row
    header parted by the break), or a repeated header row."""
    if not isinstance(previous, _TablePart) or part.page != previous.last_page + 1:
        return False
    slack = max(previous.edge_slack, part.edge_slack)
    if len(part.rows[0]) == len(previous.rows[0]) and _same_edges(previous.column_edges, part.column_edges, slack):
        return True
    if len(previous.column_edges) < len(part.column_edges) and _coarser(previous.column_edges, part.column_edges):
        return True
    return len(part.rows[0]) == len(previous.rows[0]) and _repeated_header_rows(previous, part) > 0


def _same_edges(one: list[float], two: list[float], slack: float) -> bool:
    return len(one) == len(two) and all(abs(a - b) <= slack for a, b in zip(one, two))


def _coarser(edges: list[float], finer: list[float]) -> bool:
    """Whether every edge of `edges` is one of `finer`, the outer ones included."""
    return (abs(edges[0] - finer[0]) <= _EDGE_SLACK and abs(edges[-1] - finer[-1]) <= _EDGE_SLACK
            and all(any(abs(edge - other) <= _EDGE_SLACK for other in finer) for edge in edges))


def _regrid(part: _TablePart, edges: list[float]) -> None:
    """The part's rows on the finer column edges: a cell that spans several of them keeps its
    text in the first, and the cells it covers hold ""."""
    starts = [min(range(len(edges) - 1), key=lambda n: abs(edges[n] - edge)) for edge in part.column_edges[:-1]]
    rows = []
    for row in part.rows:
        wide = [""] * (len(edges) - 1)
        for start, text in zip(starts, row):
            wide[start] = text
        rows.append(wide)
    part.rows, part.column_edges = rows, list(edges)


def _repeated_header_rows(previous: _TablePart, part: _TablePart) -> int:
    count = 0
    while (count < min(3, len(part.rows) - 1, len(previous.rows))
           and [fold(c) for c in part.rows[count]] == [fold(c) for c in previous.rows[count]]):
        count += 1
    return count


def _append_part(previous: _TablePart, part: _TablePart) -> None:
    if len(previous.column_edges) < len(part.column_edges):
        _regrid(previous, part.column_edges)
    rows = part.rows[_repeated_header_rows(previous, part):]
    if rows and _split_row(previous.rows[-1], rows[0]):
        previous.rows[-1] = [collapse(f"{above} {below}") for above, below in zip(previous.rows[-1], rows[0])]
        rows = rows[1:]
    previous.rows.extend(rows)
    previous.last_page = part.page


def _split_row(above: list[str], below: list[str]) -> bool:
    """Whether `below`, first on its page, is the rest of the row `above` that the page break
    split: its first cell (STT) empty and the row above's not, and no column with a number on
    both sides (a number is never split over two pages; a total row under the last data row
    has numbers where the row above has them)."""
    if below[0] or not any(below) or not above[0]:
        return False
    return not any(is_number_text(one) and is_number_text(two) for one, two in zip(above, below))
