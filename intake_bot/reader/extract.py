"""File bytes -> Extraction: read the file with its format's reader, then run the analysers
(header, appendix, outline) on the `Content`, and tell which unit of the campaign sent it.

Every step is bounded and guarded: a file that cannot be read at all gives an Extraction with
`error` / `error_vi` (English for the operator, Vietnamese for the sender); an analyser that fails
on an odd document adds a warning and leaves its part empty - one bad table never costs the rest
of the report. Workbooks (an appendix sent as .xlsx) and scans carry no header metadata and no
outline.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from ..config import Campaign, Limits
from ..filetype import sniff
from ..reason import Reason
from ..text import collapse, fold
from ..units import unit_phrases, without_zone_names
from .appendix import read_appendix
from .header import read_header
from .model import Content, Extraction, Paragraph, Table, UnreadableFile, empty_metadata
from .outline import find_sections, match_outline, unmatched_sections

# Format -> (module, reader function). Imported when needed, so that a reader that is missing or
# broken in this installation makes its own files unreadable, not every file.
_READERS = {"docx": ("docx", "read_docx"), "pdf": ("pdf", "read_pdf"),
            "xlsx": ("xlsx", "read_xlsx"), "doc": ("doc", "read_doc")}
_NOT_A_REPORT_VI = ("Tệp không phải định dạng báo cáo đọc được (Word, PDF hoặc Excel); đề nghị quý cơ "
                    "quan gửi lại tệp báo cáo.")
_REFUSALS = {
    "empty": ("the file is empty", "Tệp đính kèm rỗng (0 byte); đề nghị quý cơ quan gửi lại tệp báo cáo."),
    "corrupt": ("the file is damaged (its format cannot be opened)",
                "Tệp đính kèm bị hỏng, không mở được; đề nghị quý cơ quan gửi lại tệp báo cáo."),
    "encrypted": ("the file is password-protected",
                  "Tệp đính kèm được đặt mật khẩu nên không mở được; đề nghị quý cơ quan gửi lại tệp "
                  "không đặt mật khẩu."),
    "xls": ("Excel 97-2003 workbooks (.xls) are not read",
            "Tệp Excel 97-2003 (.xls) chưa đọc được; đề nghị quý cơ quan gửi lại dưới dạng tệp .xlsx."),
    "image": ("the file is a picture, not a document",
              "Tệp đính kèm là ảnh chụp; đề nghị quý cơ quan gửi bản Word (.docx) của báo cáo."),
    "rtf": ("the file is in Rich Text Format (RTF), which is not read",
            "Tệp gửi kèm ở định dạng RTF nên hệ thống chưa đọc được; đề nghị quý cơ quan lưu lại tệp dưới "
            "định dạng Word (.docx) và gửi lại."),
    "html": ("the file is a web page (HTML), not a document",
             "Tệp gửi kèm là một trang web (HTML), không phải tệp báo cáo; đề nghị quý cơ quan gửi lại "
             "đúng tệp báo cáo (bản Word .docx hoặc PDF)."),
}
_READER_FAILED_VI = "Tệp đính kèm bị lỗi, không đọc được nội dung; đề nghị quý cơ quan gửi lại tệp báo cáo."
_READER_MISSING_VI = "Hệ thống chưa đọc được loại tệp này; đề nghị quý cơ quan gửi báo cáo dưới dạng tệp Word (.docx)."
# What the secretary is told when the analyser of a part fails (`_guarded`).
_PART_FAILED_VI = {
    "header": "Không đọc được phần đầu văn bản (cơ quan ban hành, số, ngày, người ký) do lỗi khi đọc.",
    "unit": "Không xác định được đơn vị gửi từ nội dung văn bản do lỗi khi đọc.",
    "appendix": "Không đọc được bảng phụ lục của văn bản do lỗi khi đọc.",
    "sections": "Không đọc được các đề mục của văn bản do lỗi khi đọc.",
    "outline": "Không đối chiếu được các đề mục với đề cương do lỗi khi đọc.",
}
# How much of the text, when the header names no one, may tell the unit.
_UNIT_TEXT_CHARS = 3000
# An issuer that opens with one of these is an enterprise, not a state agency.
_COMPANY_WORDS = ("cong ty", "tong cong ty", "tap doan", "doanh nghiep", "hop tac xa", "chi nhanh")


def extract_bytes(data: bytes, filename: str, campaign: Campaign, unit_id: str | None = None) -> Extraction:
    """Read one report file: metadata, sections and outline check, appendix rows, unit.

    With `unit_id`, that unit's outline is checked; without, the unit is told from the document."""
    result = Extraction(file=filename, format=sniff(data, filename))
    try:
        content = read_content(result.format, data, campaign.limits)
    except UnreadableFile as exc:
        result.error, result.error_vi = exc.reason, exc.reason_vi
        result.unit = unit_id
        return result
    result.scanned = content.scanned
    if content.scanned and campaign.ocr:
        _ocr(content, data, campaign)
    result.warn(*content.warnings)
    unread_scan = content.scanned and not content.blocks
    has_header = not unread_scan and content.format != "xlsx"
    if has_header:
        result.metadata = _guarded(result, "header", lambda: read_header(content), empty_metadata())
    if unread_scan:
        result.unit = unit_id
        return result
    result.unit = unit_id or _guarded(result, "unit", lambda: infer_unit(content, result.metadata, campaign), None)
    outline = campaign.outline_of(result.unit)
    if unit_id and unit_id not in campaign.units:
        result.warn(Reason(f"unit {unit_id!r} is not a unit of the campaign: no outline is checked",
                           f"Mã đơn vị «{unit_id}» không thuộc đợt giám sát nên không đối chiếu đề cương."))
    rows, warnings = _guarded(result, "appendix",
                              lambda: read_appendix(content, campaign.appendix, outline.appendix if outline else ()),
                              ([], []))
    result.tables = rows
    result.warn(*warnings)
    if not has_header:
        return result
    sections = _guarded(result, "sections", lambda: find_sections(content), [])
    if outline is None:
        result.sections, warnings = unmatched_sections(sections)
        result.warn(*warnings)
        return result
    matched = _guarded(result, "outline",
                       lambda: match_outline(sections, outline, bool(rows), campaign.appendix.item), None)
    if matched is not None:
        result.sections, present, missing, warnings = matched
        result.outline = {"id": outline.id, "present": present, "missing": missing}
        result.warn(*warnings)
    return result


def _ocr(content: Content, data: bytes, campaign: Campaign) -> None:
    """Fill a scan's blocks with OCR text when the campaign asks for it and Tesseract is here;
    within part of the file's time budget, so the isolated reader is not killed for it."""
    from .ocr import ocr_available, ocr_pdf

    if content.format != "pdf" or not ocr_available(campaign.ocr_language):
        return
    content.blocks = ocr_pdf(data, campaign.limits.max_pdf_pages, campaign.limits.seconds_per_file * 0.6,
                             campaign.ocr_language)
    if content.blocks:
        content.warnings.append(Reason(
            "scanned pages read by OCR (Tesseract): check names and figures by eye",
            "Các trang scan được đọc bằng nhận dạng ký tự (OCR); đề nghị kiểm tra lại tên và số liệu."))


def extract_path(path: str | Path, campaign: Campaign, unit_id: str | None = None) -> Extraction:
    path = Path(path)
    return extract_bytes(path.read_bytes(), path.name, campaign, unit_id)


def read_content(fmt: str, data: bytes, limits: Limits) -> Content:
    """The file's Content from its format's reader, within `limits`; UnreadableFile with a reason
    otherwise."""
    if fmt not in _READERS:
        reason, reason_vi = _REFUSALS.get(fmt, (f"not a report document ({fmt})", _NOT_A_REPORT_VI))
        raise UnreadableFile(reason, reason_vi)
    module_name, function_name = _READERS[fmt]
    try:
        reader = getattr(importlib.import_module(f".{module_name}", __package__), function_name)
    except (ImportError, AttributeError) as exc:
        raise UnreadableFile(f"no reader for .{fmt} files in this installation ({exc})", _READER_MISSING_VI) from None
    try:
        if fmt == "docx":
            return reader(data, max_unpacked_bytes=limits.max_unpacked_bytes)
        if fmt == "pdf":
            return reader(data, max_pages=limits.max_pdf_pages)
        if fmt == "doc":
            return reader(data, timeout=limits.seconds_per_file)
        return reader(data)
    except UnreadableFile:
        raise
    except Exception as exc:  # a reader's unexpected failure on a hostile file is still an answer
        raise UnreadableFile(f"the .{fmt} file cannot be read ({type(exc).__name__}: {exc})",
                             _READER_FAILED_VI) from None


def _guarded(result: Extraction, part: str, step, default):
    """Run one analyser; a failure becomes a warning and `default`."""
    try:
        return step()
    except Exception as exc:  # an analyser bug on one odd document must not lose the others
        result.warn(Reason(f"could not read the {part} of the document ({type(exc).__name__}: {exc})",
                           _PART_FAILED_VI[part]))
        return default


# ------------------------------------------------------------------ which unit sent it

def infer_unit(content: Content, metadata: dict, campaign: Campaign) -> str | None:
    """The campaign unit the document comes from, told from the document itself.

    The issuing agency decides when the header names one: a unit's issuer, name or alias in it
    gives the unit; an issuer that is no unit of the campaign (a company reporting on its project,
    a department outside the supervision) gives None, whatever its text mentions. A company is a
    unit only by the unit's own issuer or name: "CÔNG TY ... KCN YÊN MỸ" is not the district of
    Yên Mỹ. With no issuer (a workbook, a header that could not be read), the title and then the
    first part of the text are searched, the earliest mention winning; names of industrial zones
    and clusters ("KCN Yên Mỹ", "CCN Như Quỳnh"), the appendix's kinds, are not mentions of a
    district.
    """
    issuer = metadata.get("issuer") if metadata else None
    if issuer:
        company = fold(issuer).startswith(_COMPANY_WORDS)
        return _first_unit(without_zone_names(issuer, campaign), campaign, official_only=company)
    title = metadata.get("title") if metadata else None
    if title:
        unit = _first_unit(without_zone_names(title, campaign), campaign)
        if unit:
            return unit
    return _first_unit(without_zone_names(_opening_text(content), campaign), campaign)


def _first_unit(text: str, campaign: Campaign, official_only: bool = False) -> str | None:
    """The unit named earliest in `text` (the longer phrase when two start at the same place);
    `official_only`: by its issuer, name or short name, not by an alias such as a bare place."""
    folded = f" {fold(text)} "
    best: tuple[int, int, str] | None = None
    for unit in campaign.units.values():
        phrases = [unit.issuer, unit.name, unit.short_name] if official_only else unit_phrases(unit)
        for phrase in filter(None, phrases):
            at = folded.find(f" {fold(phrase)} ")
            if at >= 0:
                candidate = (at, -len(fold(phrase)), unit.id)
                best = candidate if best is None or candidate < best else best
    return best[2] if best else None


def _opening_text(content: Content) -> str:
    """Paragraphs and the one-text rows of tables (titles above a workbook's header), up to
    _UNIT_TEXT_CHARS characters: data rows of tables name zones and companies, not the sender."""
    parts: list[str] = []
    size = 0
    for block in content.blocks:
        if isinstance(block, Paragraph):
            texts = [block.text or ""]
        elif isinstance(block, Table):
            texts = [t for row in block.rows for t in _single_text(row)]
        else:
            continue
        for text in texts:
            text = collapse(text)
            if text:
                parts.append(text)
                size += len(text)
        if size >= _UNIT_TEXT_CHARS:
            break
    return " / ".join(parts)[:_UNIT_TEXT_CHARS]


def _single_text(row: list[str]) -> list[str]:
    texts = {collapse(c or "") for c in row} - {""}
    return list(texts) if len(texts) == 1 else []


