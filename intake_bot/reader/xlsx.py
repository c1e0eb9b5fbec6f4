"""XLSX -> Content: every visible, non-empty worksheet as one Table, in workbook order.

A unit sometimes sends its appendix (PHỤ LỤC) as a workbook. The whole used range of a sheet
becomes the Table, title rows above the header included: the appendix analyser finds the header
row itself, as it does in a DOCX table. Rows and columns with no value at all are left out.

Cell text, as a Vietnamese reader sees it:

* a merged range's value stands once, in its top-left cell; the cells it covers are "";
* a text cell gives its text (NFC, spaces collapsed within each line, line breaks kept);
* a numeric cell gives the plain number with a decimal comma, as a Vietnamese reader sees it, never
  a thousands separator, at most 15 significant digits: 53.68 -> "53,68", 100.0 -> "100",
  1234.5 -> "1234,5", 1.234 -> "1,234". The comma, not ".", because the number parser reads a
  lone "." before three digits as a thousands separator ("1.234" is 1234 in a Vietnamese text
  cell), while a lone "," is always the decimal mark: so the value comes through unchanged;
* a cell formatted as a percentage holds the fraction: 0.925 -> "92,5%";
* a date gives "dd/mm/yyyy" (with " HH:MM" when it has a time of day); TRUE/FALSE stay words;
* a formula gives the value Excel or LibreOffice cached when saving the file (data_only). A file
  written by a program that does not compute formulas (openpyxl, some exporters) has no cached
  value: such a cell reads as "".

Hidden sheets are skipped (with a warning): what the sender sees is what the report is. Work is
bounded: a file that unpacks to more than _MAX_UNPACKED bytes is refused, and a sheet is read up
to _MAX_ROWS rows and _MAX_COLUMNS columns (with a warning).

Legacy .xls (Excel 97-2003), password-protected (OLE2-encrypted) and damaged workbooks raise
UnreadableFile with an English reason and a polite Vietnamese one for the sender.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import zipfile

import openpyxl

from ..reason import Reason
from ..text import collapse, nfc
from ..vnformat import vn_number
from .model import Content, Table, UnreadableFile

# openpyxl keeps every cell as an object: tens of times the XML's size in memory.
_MAX_UNPACKED = 20 * 1024 * 1024
_MAX_ROWS = 5000
_MAX_COLUMNS = 100

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")

_REASON_ENCRYPTED = ("the workbook is protected by a password",
                     "Tệp Excel được đặt mật khẩu nên không mở được; đề nghị quý cơ quan gửi lại tệp "
                     "không đặt mật khẩu.")
_REASON_XLS = ("the workbook is in the legacy Excel 97-2003 format (.xls)",
               "Tệp Excel ở định dạng cũ (.xls) nên không đọc được; đề nghị quý cơ quan lưu lại tệp "
               "dưới định dạng .xlsx (Excel Workbook) và gửi lại.")
_REASON_DAMAGED = ("the workbook is damaged or is not an .xlsx file",
                   "Tệp Excel bị lỗi hoặc không phải định dạng .xlsx nên không mở được; đề nghị quý "
                   "cơ quan gửi lại tệp.")
_REASON_TOO_LARGE = ("the workbook unpacks to more than 20 MB",
                     "Tệp Excel quá lớn nên không đọc được; đề nghị quý cơ quan gửi lại tệp chỉ gồm "
                     "bảng phụ lục của báo cáo.")


def read_xlsx(data: bytes) -> Content:
    """Read a workbook into Content (format "xlsx"), or raise UnreadableFile."""
    workbook = _open(data)
    content = Content(format="xlsx")
    try:
        for sheet in workbook.worksheets:
            if sheet.sheet_state != "visible":
                content.warnings.append(Reason(f"hidden sheet {sheet.title!r} not read",
                                               f"Trang tính ẩn «{sheet.title}» không được đọc."))
                continue
            rows = _sheet_rows(sheet, content.warnings)
            if rows:
                content.blocks.append(Table(rows=rows))
    finally:
        workbook.close()
    return content


def _open(data: bytes) -> openpyxl.Workbook:
    if data.startswith(_OLE2):
        # An OLE2 container is either a password-protected OOXML file or a legacy .xls workbook.
        raise UnreadableFile(*(_REASON_ENCRYPTED if _ENCRYPTED_STREAM in data else _REASON_XLS))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _MAX_UNPACKED:
                raise UnreadableFile(*_REASON_TOO_LARGE)
        return openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except UnreadableFile:
        raise
    except Exception:  # noqa: BLE001 - zipfile, XML and openpyxl errors of every kind on damaged files
        raise UnreadableFile(*_REASON_DAMAGED) from None


def _sheet_rows(sheet, warnings: list[Reason]) -> list[list[str]]:
    """The sheet's grid as text, without rows or columns that hold nothing."""
    last_row, last_column = sheet.max_row, sheet.max_column
    if last_row > _MAX_ROWS or last_column > _MAX_COLUMNS:
        warnings.append(Reason(f"sheet {sheet.title!r}: only the first {_MAX_ROWS} rows and "
                               f"{_MAX_COLUMNS} columns read",
                               f"Trang tính «{sheet.title}» quá lớn: chỉ đọc {vn_number(_MAX_ROWS)} dòng và "
                               f"{_MAX_COLUMNS} cột đầu."))
        last_row, last_column = min(last_row, _MAX_ROWS), min(last_column, _MAX_COLUMNS)
    # Cells covered by a merged range are MergedCell objects whose value is None, so they read "".
    grid = [[_cell_text(cell) for cell in row]
            for row in sheet.iter_rows(min_row=1, max_row=last_row, max_col=last_column)]
    grid = [row for row in grid if any(row)]
    used = [column for column in range(last_column) if any(row[column] for row in grid)]
    return [[row[column] for column in used] for row in grid]


def _cell_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if "%" in (cell.number_format or ""):
            return _plain_number(value * 100) + "%"
        return _plain_number(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    lines = (collapse(line) for line in nfc(str(value)).splitlines())
    return "\n".join(line for line in lines if line)


def _plain_number(value: int | float) -> str:
    """A number as plain digits: no thousands separator, "," before decimals, 15 significant
    digits at most (floating-point noise such as 0.30000000000000004 is Excel's 0.3)."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return ""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.15g}"
    if "e" in text:
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")
