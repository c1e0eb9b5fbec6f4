"""The consolidated workbook attached to the digest: every appendix row, and the status table.

Numbers stay numbers (the secretary sums and filters them). Their display format is Excel's
`#,##0.00`, whose separators follow the reader's regional settings: on a machine set to
Vietnamese (as the committee's are) Excel and LibreOffice show "1.234,50". A format that forced
"." and "," whatever the locale would have to be text, which no one can add up.
"""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .config import Campaign
from .progress import STATUS_LABELS, UnitProgress
from .reconcile import FIELD_LABELS, Reconciliation, reconcile

AREA_FORMAT = "#,##0.00"
PERCENT_FORMAT = "#,##0.0"  # the value is already in percent: 92.5 means 92,5 %
DATE_FORMAT = "dd/mm/yyyy hh:mm"
# The display format of an appendix column by its type (schema.VALUE_TYPES); text has none.
TYPE_FORMATS = {"area": AREA_FORMAT, "percent": PERCENT_FORMAT, "number": "#,##0.##", "money": "#,##0",
                "count": "#,##0", "date": "dd/mm/yyyy"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_MAX_WIDTH = 60

# The appendix sheet: these, the campaign's appendix columns, then the source.
ROW_LEAD_COLUMNS = ("Đơn vị", "Loại", "Nhóm", "STT")
ROW_SOURCE_COLUMNS = ("Tệp nguồn", "Phiên bản")
CROSS_CHECK_COLUMNS = ("Loại", "Tên KCN/CCN", "Đơn vị báo cáo", "Diện tích (ha)", "Diện tích đất cho thuê (ha)",
                       "Tỷ lệ lấp đầy (%)", "Chủ đầu tư hạ tầng", "Tệp nguồn", "Phiên bản",
                       "Số liệu chưa thống nhất", "Không có trong danh mục của")
STATUS_COLUMNS = ("Đơn vị", "Tình trạng", "Nhận lần đầu", "Nhận gần nhất", "Phiên bản",
                  "Nội dung còn thiếu", "Số dòng phụ lục", "Số lần đã nhắc",
                  "Số ngày làm việc chậm", "Hạn nộp", "Tạm dừng nhắc")


def build_workbook(campaign: Campaign, progress: list[UnitProgress], now: dt.datetime) -> bytes:
    """The .xlsx bytes: sheet "Phụ lục" (appendix rows of each unit's latest report), sheet
    "Tình hình" (one line per unit) and sheet "Đối chiếu số liệu" (each zone as each unit reports
    it, with what disagrees: reconcile.py)."""
    book = Workbook()
    rows_sheet = book.active
    rows_sheet.title = "Phụ lục"
    columns = campaign.appendix.read_columns
    _fill(rows_sheet, (*ROW_LEAD_COLUMNS, *(c.title for c in columns), *ROW_SOURCE_COLUMNS),
          _appendix_rows(campaign, progress),
          {len(ROW_LEAD_COLUMNS) + n: TYPE_FORMATS[c.type] for n, c in enumerate(columns, start=1)
           if c.type in TYPE_FORMATS})
    status_sheet = book.create_sheet("Tình hình")
    _fill(status_sheet, STATUS_COLUMNS, _status_rows(campaign, progress),
          {3: DATE_FORMAT, 4: DATE_FORMAT, 10: "dd/mm/yyyy"})
    cross_sheet = book.create_sheet("Đối chiếu số liệu")
    _fill(cross_sheet, CROSS_CHECK_COLUMNS, _cross_check_rows(campaign, reconcile(campaign, progress)),
          {4: AREA_FORMAT, 5: AREA_FORMAT, 6: PERCENT_FORMAT})
    # Fixed document times, so that the same facts give the same file.
    stamp = _local_naive(campaign, now)
    book.properties.created = book.properties.modified = stamp
    book.properties.creator = campaign.committee
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _unit_name(campaign: Campaign, unit_id: str) -> str:
    unit = campaign.units.get(unit_id)
    return unit.short_name if unit else unit_id


def _appendix_rows(campaign: Campaign, progress: list[UnitProgress]) -> list[list]:
    columns = campaign.appendix.read_columns
    out = []
    for p in progress:
        for doc, row in p.rows:
            out.append([_unit_name(campaign, p.unit), row.get("kind"), row.get("group"), row.get("stt"),
                        *(_cell(column.type, row.get(column.key)) for column in columns),
                        doc.filename, doc.version])
    return out


def _cell(value_type: str, value):
    """A row's value as the workbook stores it: numbers as numbers, dates as dates, text as text."""
    if value_type == "text":
        return value if isinstance(value, str) else None
    if value_type == "date":
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None
    return _number(value)


def _status_rows(campaign: Campaign, progress: list[UnitProgress]) -> list[list]:
    out = []
    for p in progress:
        outline = campaign.outline_of(p.unit)
        missing = "; ".join(outline.title_of(k) if outline else k for k in p.missing)
        out.append([_unit_name(campaign, p.unit), STATUS_LABELS.get(p.status, p.status),
                    _local_naive(campaign, p.received_at), _local_naive(campaign, p.last_received_at),
                    p.version, missing or None, p.appendix_rows, p.reminders_sent, p.days_late,
                    p.deadline or campaign.deadline, "có" if p.reminders_paused else None])
    return out


def _cross_check_rows(campaign: Campaign, result: Reconciliation) -> list[list]:
    """One line per zone and reporting unit, the zones with a problem first; on each line the
    figures of that unit that disagree with another unit's, and the lists that lack the zone."""
    out = []
    for zone in sorted(result.zones, key=lambda z: not z.has_problem):
        lacking = ", ".join(_unit_name(campaign, u) for u in zone.missing_from) or None
        for report in zone.reports:
            disputed = ", ".join(FIELD_LABELS[d["field"]] for d in zone.differences if report.unit in d["values"])
            out.append([zone.kind, zone.name, _unit_name(campaign, report.unit), report.area_ha,
                        report.leasable_ha, report.occupancy_pct, report.investor, report.file, report.version,
                        disputed or None, lacking])
    return out


def _number(value) -> float | None:
    """A JSON number as a float; anything else (null, a stray string) as an empty cell."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _local_naive(campaign: Campaign, moment: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: the campaign's wall-clock time."""
    return moment.astimezone(campaign.tz).replace(tzinfo=None) if moment else None


def _fill(sheet: Worksheet, columns: tuple[str, ...], rows: list[list], formats: dict[int, str]) -> None:
    """Header row (bold, frozen, filtered), the rows, number formats by 1-based column, widths."""
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        sheet.append(row)
    for column, number_format in formats.items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(rows) + 1)}"
    for index, title in enumerate(columns, start=1):
        longest = max([len(title) // 2 + 1] + [len(_shown(r[index - 1])) for r in rows])
        sheet.column_dimensions[get_column_letter(index)].width = min(_MAX_WIDTH, max(8, longest + 2))


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return "00/00/0000 00:00"
    if isinstance(value, dt.date):
        return "00/00/0000"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
