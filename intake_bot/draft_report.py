"""The compiled draft (`intake-bot compile`): a Word document the secretary edits into the
delegation's report, laid out as a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP:
header block of issuer and national motto, place and date, A4 with 20/20/30/15 mm margins, Times
New Roman 13-14, page numbers centred in the header from page 2).

Extractive only: every sentence under a unit's name is that unit's own text, quoted and
attributed (unit, file, version); the only other words are headings, the outline's own titles,
facts from the store (dates, versions, figures) and fixed phrases ("chưa báo cáo").

Parts: I. what each unit wrote under each item of its outline, in the outline's order; II. the
consolidated appendix tables with a total row; III. the disagreements of reconcile.py as the
questions for the direct supervision sessions; annex: who reported when.
"""
from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .config import Campaign, Outline
from .progress import EXEMPT, RECEIVED_OFFLINE, STATUS_LABELS, ReceivedDocument, UnitProgress, unit_progress
from .reader.outline import is_appendix_item
from .reconcile import Reconciliation, Zone, ZoneReport, problem_lines_vi, reconcile
from .vnformat import vn_date, vn_datetime, vn_number, vn_short_date

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "Times New Roman"
BODY_PT = 13
TITLE_PT = 14
NOT_REPORTED = "chưa báo cáo."
# What stands for a unit with no text to quote, when the secretary's commands say why.
_NO_TEXT_BECAUSE = {EXEMPT: "được miễn gửi báo cáo.",
                    RECEIVED_OFFLINE: "đã nộp bản giấy, không có bản điện tử để trích dẫn."}
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_KIND_TITLES = {"KCN": "Các khu công nghiệp", "CCN": "Các cụm công nghiệp"}
# Column titles and widths (mm; the text is 165 mm wide between the margins).
_TABLE_COLUMNS = ("STT", "Tên", "Chủ đầu tư hạ tầng", "Diện tích (ha)", "Diện tích đất cho thuê (ha)",
                  "Tỷ lệ lấp đầy (%)", "Đơn vị báo cáo")
_TABLE_WIDTHS = (12, 30, 41, 19, 19, 16, 28)
_STATUS_COLUMNS = ("STT", "Đơn vị", "Tình trạng", "Nhận lần đầu", "Nhận gần nhất", "Phiên bản",
                   "Số ngày làm việc chậm", "Số lần đã nhắc")
_STATUS_WIDTHS = (12, 33, 28, 22, 22, 14, 17, 17)


def unit_texts(campaign: Campaign, store,
               progress: list[UnitProgress]) -> dict[str, dict[str | None, list[tuple[str, str]]]]:
    """Per unit, per outline key, the (heading, text) parts of its latest text report: a keyed
    section, then the unkeyed sections after it (sub-headings the outline does not name) until
    the next keyed one. Unkeyed sections before any keyed one stand under key None."""
    documents = {p.unit: _text_report(p) for p in progress}
    ids = [doc.document_id for doc in documents.values() if doc is not None and doc.document_id is not None]
    stored = store.section_texts(ids)
    unread = [(unit, doc) for unit, doc in documents.items() if doc is not None and doc.document_id in stored
              and not stored[doc.document_id] and doc.extraction and doc.extraction.sections]
    if unread:
        _read_texts_again(campaign, store, unread)
        stored = store.section_texts(ids)
    out: dict[str, dict[str | None, list[tuple[str, str]]]] = {}
    for unit, doc in documents.items():
        by_key: dict[str | None, list[tuple[str, str]]] = {}
        current: str | None = None
        for row in stored.get(doc.document_id, []) if doc is not None else []:
            if row.key is not None:
                current = row.key
                by_key.setdefault(current, []).append(("", row.text))
            else:
                by_key.setdefault(current, []).append((row.heading, row.text))
        out[unit] = by_key
    return out


def _read_texts_again(campaign: Campaign, store, documents: list[tuple[str, ReceivedDocument]]) -> None:
    """Documents recorded before the store kept section texts (schema version 2) have headings
    but no text: read each again from the archive, once, and keep its texts."""
    from .reader.isolated import extract_isolated

    shas = {row.id: row.sha256 for row in store.documents()}
    for unit, doc in documents:
        sha = shas.get(doc.document_id)
        if not sha or not store.archive.contains(sha):
            continue
        again = extract_isolated(store.archive.get(sha), doc.filename, campaign, unit)
        if again.readable and any(section.get("text") for section in again.sections):
            store.keep_section_texts(doc.document_id, again.sections)


def _text_report(p: UnitProgress) -> ReceivedDocument | None:
    """The unit's latest report that has text (not a workbook, not a scan)."""
    return next((d for d in p.latest_files if not d.is_workbook and not d.scanned), None)


def build_draft(campaign: Campaign, store, now: dt.datetime) -> bytes:
    """The .docx bytes of the compiled draft as of `now`."""
    progress = unit_progress(store, campaign, now)
    texts = unit_texts(campaign, store, progress)
    result = reconcile(campaign, progress)
    document = Document()
    _page_setup(document)
    _styles(document)
    _header_block(document, campaign, now)
    _title(document, campaign)
    received = [p for p in progress if p.latest_files]
    _body(document, f"Thực hiện {campaign.plan_citation}, tính đến {vn_datetime(now.astimezone(campaign.tz))}, "
                    f"Đoàn giám sát đã nhận báo cáo của {len(received)}/{len(progress)} cơ quan, đơn vị. "
                    "Dưới đây là nội dung báo cáo của từng đơn vị theo đề cương, trích nguyên văn bản mới nhất "
                    "của mỗi đơn vị; số liệu các khu, cụm công nghiệp; những vấn đề cần làm rõ và tình hình gửi "
                    "báo cáo.")
    _part(document, "PHẦN I", "NỘI DUNG BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ")
    by_unit = {p.unit: p for p in progress}
    for n, (outline, units) in enumerate(_outlines_in_use(campaign)):
        _outline_section(document, campaign, _ROMAN[n % len(_ROMAN)], outline, units, by_unit, texts)
    _part(document, "PHẦN II", "SỐ LIỆU CÁC KHU CÔNG NGHIỆP, CỤM CÔNG NGHIỆP")
    _appendix_tables(document, campaign, result)
    _part(document, "PHẦN III", "NHỮNG VẤN ĐỀ CẦN LÀM RÕ")
    _questions(document, campaign, result)
    _status_annex(document, campaign, progress)
    document.core_properties.author = campaign.committee
    document.core_properties.title = f"Dự thảo tổng hợp báo cáo giám sát {campaign.id}"
    stamp = now.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    document.core_properties.created = document.core_properties.modified = stamp
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def draft_filename(campaign: Campaign, now: dt.datetime) -> str:
    return f"{campaign.id}-du-thao-tong-hop-{now.astimezone(campaign.tz):%Y-%m-%d}.docx"


# ------------------------------------------------------------------ layout


def _page_setup(document) -> None:
    """A4 portrait; margins top and bottom 20 mm, left 30 mm, right 15 mm; the page number in
    the header, centred, not on the first page."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(paragraph.add_run())


def _page_field(run) -> None:
    """A PAGE field: Word and LibreOffice fill in the page number."""
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "2"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = " PAGE "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)
    _font(run, BODY_PT)


def _styles(document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15


def _font(run, size: float, bold: bool = False, italic: bool = False):
    run.font.name = FONT
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    return run


def _paragraph(container, text: str = "", size: float = BODY_PT, bold: bool = False, italic: bool = False,
               align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent_mm: float = 0, first_line_mm: float = 0,
               after_pt: float = 6):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_after = Pt(after_pt)
    if indent_mm:
        fmt.left_indent = Mm(indent_mm)
    if first_line_mm:
        fmt.first_line_indent = Mm(first_line_mm)
    if text:
        _font(paragraph.add_run(text), size, bold, italic)
    return paragraph


def _body(document, text: str) -> None:
    _paragraph(document, text, first_line_mm=10)


def _header_block(document, campaign: Campaign, now: dt.datetime) -> None:
    """Issuer on the left, the national motto on the right, the place and date under the motto."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, (65, 100))
    left, right = table.rows[0].cells
    left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if campaign.draft_issuer_parent:
        _font(left.paragraphs[0].add_run(campaign.draft_issuer_parent.upper()), BODY_PT)
        issuer = _paragraph(left, align=WD_ALIGN_PARAGRAPH.CENTER, after_pt=0)
    else:
        issuer = left.paragraphs[0]
    _font(issuer.add_run((campaign.draft_issuer or campaign.committee).upper()), BODY_PT, bold=True)
    _paragraph(left, "DỰ THẢO", BODY_PT, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after_pt=0)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), 12, bold=True)
    motto = _paragraph(right, align=WD_ALIGN_PARAGRAPH.CENTER, after_pt=6)
    _font(motto.add_run("Độc lập - Tự do - Hạnh phúc"), BODY_PT, bold=True).font.underline = True
    place = f"{campaign.draft_place}, " if campaign.draft_place else ""
    _paragraph(right, f"{place}{vn_date(now.astimezone(campaign.tz))}", BODY_PT, italic=True,
               align=WD_ALIGN_PARAGRAPH.CENTER, after_pt=0)
    _paragraph(document, after_pt=6)


def _title(document, campaign: Campaign) -> None:
    _paragraph(document, "BÁO CÁO", TITLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after_pt=0)
    _paragraph(document, f"Tổng hợp báo cáo của các cơ quan, đơn vị về {campaign.subject}", TITLE_PT,
               bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after_pt=0)
    _paragraph(document, "(Bản tổng hợp tự động, trích nguyên văn báo cáo của các đơn vị, chưa biên tập)",
               BODY_PT, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after_pt=12)


def _part(document, number: str, title: str) -> None:
    paragraph = _paragraph(document, f"{number}. {title}", TITLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.paragraph_format.keep_with_next = True


def _heading(document, text: str, level: int) -> None:
    """Level 1 bold upper case, level 2 bold, deeper bold italic; kept with what follows."""
    shown = text.upper() if level == 1 else text
    paragraph = _paragraph(document, shown, BODY_PT, bold=True, italic=level > 2, first_line_mm=10,
                           align=WD_ALIGN_PARAGRAPH.LEFT)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.keep_with_next = True


# ------------------------------------------------------------------ part I: the units' text


def _outlines_in_use(campaign: Campaign) -> list[tuple[Outline | None, list[str]]]:
    """Each outline with the units that report on it, in the campaign file's order of units;
    units without an outline last, together."""
    groups: dict[str | None, list[str]] = {}
    for unit in campaign.units.values():
        groups.setdefault(unit.outline if unit.outline in campaign.outlines else None, []).append(unit.id)
    ordered = sorted(groups.items(), key=lambda item: item[0] is None)
    return [(campaign.outlines[oid] if oid else None, units) for oid, units in ordered]


def _outline_section(document, campaign: Campaign, number: str, outline: Outline | None, units: list[str],
                     by_unit: dict[str, UnitProgress], texts: dict) -> None:
    names = ", ".join(campaign.units[u].short_name for u in units)
    if outline is None:
        _heading(document, f"{number}. Báo cáo của các đơn vị khác", 1)
        _paragraph(document, f"(Đơn vị: {names})", italic=True, first_line_mm=10)
        for unit in units:
            parts = [part for key_parts in texts.get(unit, {}).values() for part in key_parts]
            _unit_block(document, campaign, unit, by_unit[unit], parts)
        return
    _heading(document, f"{number}. {outline.title}", 1)
    _paragraph(document, f"(Đơn vị: {names})", italic=True, first_line_mm=10)
    keys = outline.keys()
    for item in outline.items:
        if is_appendix_item(item):
            continue
        level = item.key.count(".") + 2
        _heading(document, f"{item.key}. {item.title}", level)
        has_children = any(k.startswith(item.key + ".") for k in keys)
        for unit in units:
            parts = texts.get(unit, {}).get(item.key)
            if has_children and parts and not any(text for _heading_text, text in parts):
                continue    # a heading over its sub-items: its text is theirs
            _unit_block(document, campaign, unit, by_unit[unit], parts or [])


def _unit_block(document, campaign: Campaign, unit: str, progress: UnitProgress,
                parts: list[tuple[str, str]]) -> None:
    """"<unit> (tệp …, phiên bản N, nhận ngày …):" then its text quoted, or "chưa báo cáo"."""
    name = campaign.units[unit].short_name
    lines = [line for heading, text in parts for line in ([heading] if heading else []) + text.splitlines()
             if line.strip()]
    source = _text_report(progress)
    lead = _paragraph(document, first_line_mm=10, after_pt=3)
    _font(lead.add_run(f"- {name}"), BODY_PT, bold=True)
    if not lines or source is None:
        _font(lead.add_run(f": {_NO_TEXT_BECAUSE.get(progress.status, NOT_REPORTED)}"), BODY_PT)
        return
    received = vn_short_date(source.received_at.astimezone(campaign.tz))
    _font(lead.add_run(f" (tệp «{source.filename}», phiên bản {source.version}, nhận ngày {received}):"),
          BODY_PT, italic=True)
    for n, line in enumerate(lines):
        opening = "“" if n == 0 else ""
        closing = "”" if n == len(lines) - 1 else ""
        _paragraph(document, f"{opening}{line}{closing}", BODY_PT, italic=True, indent_mm=10, after_pt=3)


# ------------------------------------------------------------------ part II: the appendix tables


def _appendix_tables(document, campaign: Campaign, result: Reconciliation) -> None:
    kinds = list(dict.fromkeys(zone.kind for zone in result.zones))
    if not kinds:
        _body(document, "Chưa có đơn vị nào gửi số liệu phụ lục.")
        return
    _body(document, "Mỗi khu, cụm công nghiệp ghi một dòng, theo số liệu của đơn vị báo cáo toàn tỉnh về loại đó "
                    "(nếu có), nếu không theo đơn vị báo cáo đầu tiên; dấu (*) đánh dấu số liệu chưa thống nhất "
                    "giữa các đơn vị (xem Phần III).")
    for n, kind in enumerate(kinds, start=1):
        zones = [z for z in result.zones if z.kind == kind]
        _heading(document, f"{n}. {_KIND_TITLES.get(kind, kind)}", 2)
        table = document.add_table(rows=1, cols=len(_TABLE_COLUMNS))
        table.style = "Table Grid"
        _table_row(table.rows[0], _TABLE_COLUMNS, bold=True)
        table.rows[0].repeat_header = True
        totals = {"area_ha": 0.0, "leasable_ha": 0.0}
        for number, zone in enumerate(zones, start=1):
            chosen = _shown_report(campaign, zone)
            disputed = {d["field"] for d in zone.differences}
            for field in totals:
                totals[field] += getattr(chosen, field) or 0.0
            cells = [str(number), zone.name, (chosen.investor or "") + (" (*)" if "investor" in disputed else ""),
                     _figure(chosen.area_ha, "area_ha" in disputed),
                     _figure(chosen.leasable_ha, "leasable_ha" in disputed),
                     _figure(chosen.occupancy_pct, "occupancy_pct" in disputed),
                     ", ".join(campaign.units[r.unit].short_name if r.unit in campaign.units else r.unit
                               for r in zone.reports)]
            _table_row(table.add_row(), cells)
        _table_row(table.add_row(), ["", f"Tổng cộng ({len(zones)})", "", vn_number(totals["area_ha"]),
                                     vn_number(totals["leasable_ha"]), "", ""], bold=True)
        _widths(table, _TABLE_WIDTHS)
        _paragraph(document, after_pt=6)


def _shown_report(campaign: Campaign, zone: Zone) -> ZoneReport:
    """The figures a consolidated row shows: those of a unit that lists the kind province-wide."""
    wide = [u for u, kinds in campaign.reconcile.province_wide.items() if zone.kind in kinds]
    return next((r for r in zone.reports if r.unit in wide), zone.reports[0])


def _figure(value: float | None, disputed: bool) -> str:
    return vn_number(value) + (" (*)" if disputed else "")


def _widths(table, millimetres: tuple[int, ...]) -> None:
    """Fixed column widths, in the grid (LibreOffice reads it) and on every cell (Word does)."""
    table.autofit = False
    for column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), millimetres):
        column.set(qn("w:w"), str(int(Mm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres):
            cell.width = Mm(width)


def _table_row(row, values, bold: bool = False) -> None:
    for cell, value in zip(row.cells, values):
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.space_after = Pt(0)
        _font(paragraph.add_run(str(value)), 11, bold=bold)


# ------------------------------------------------------------------ part III and the annex


def _questions(document, campaign: Campaign, result: Reconciliation) -> None:
    problems = result.problems
    if not problems:
        _body(document, "Số liệu về các khu, cụm công nghiệp do các đơn vị báo cáo khớp nhau.")
        return
    _body(document, "Những số liệu sau chưa thống nhất giữa báo cáo của các đơn vị, đề nghị làm rõ tại các buổi "
                    "giám sát trực tiếp:")
    for n, zone in enumerate(problems, start=1):
        paragraph = _paragraph(document, first_line_mm=10, after_pt=3)
        _font(paragraph.add_run(f"{n}. {zone.name}: "), BODY_PT, bold=True)
        _font(paragraph.add_run("; ".join(problem_lines_vi(campaign, zone)) + "."), BODY_PT)


def _status_annex(document, campaign: Campaign, progress: list[UnitProgress]) -> None:
    document.add_page_break()
    _paragraph(document, "PHỤ LỤC", TITLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after_pt=0)
    _paragraph(document, "Tình hình gửi báo cáo của các cơ quan, đơn vị", BODY_PT, bold=True,
               align=WD_ALIGN_PARAGRAPH.CENTER, after_pt=0)
    _paragraph(document, f"(Thời hạn gửi báo cáo: {vn_date(campaign.deadline)})", BODY_PT, italic=True,
               align=WD_ALIGN_PARAGRAPH.CENTER)
    table = document.add_table(rows=1, cols=len(_STATUS_COLUMNS))
    table.style = "Table Grid"
    _table_row(table.rows[0], _STATUS_COLUMNS, bold=True)
    table.rows[0].repeat_header = True
    for n, p in enumerate(progress, start=1):
        _table_row(table.add_row(), [
            str(n), campaign.units[p.unit].short_name, STATUS_LABELS.get(p.status, p.status),
            _when(campaign, p.received_at), _when(campaign, p.last_received_at),
            str(p.version) if p.version else "", str(p.days_late), str(p.reminders_sent)])
    _widths(table, _STATUS_WIDTHS)


def _when(campaign: Campaign, moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(campaign.tz)
    return f"{local:%H:%M} {vn_short_date(local)}"
