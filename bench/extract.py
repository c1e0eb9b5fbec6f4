"""How fast and how lean the report readers are, on a generated ~30-page report.

    python bench/extract.py [--pages 30] [--repeat 3]

Builds a report DOCX with python-docx (administrative header and signature blocks as borderless
two-column tables, bold headings, justified body text, small ruled tables, page numbers in the
footer, and a landscape appendix table over several pages whose header row repeats), converts it
to PDF with LibreOffice, then prints one line per figure:

* our DOCX read (intake_bot.reader.docx.read_docx) — target <= 0.3 s;
* our PDF read (intake_bot.reader.pdf.read_pdf);
* the bare pdfplumber pass (extract_text() and extract_tables() on every page) and the ratio of
  our PDF read to it — target <= 0.3;
* the full extraction (intake_bot.reader.extract.extract_bytes) of the DOCX and of the PDF;
* the peak memory (VmHWM) of a fresh process reading each file — target <= 300 MB.

Times are the best of --repeat runs. The document builders are also used by the PDF reader's
tests (tests/test_reader_pdf.py).
"""
from __future__ import annotations

import argparse
import io
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt

HEADER_LEFT = ["UBND TỈNH HƯNG YÊN", "SỞ CÔNG THƯƠNG", "Số: 125/BC-SCT"]
HEADER_RIGHT = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                "Hưng Yên, ngày 08 tháng 5 năm 2024"]
SIGNATURE_LEFT = ["Nơi nhận:", "- Ban KT-NS HĐND tỉnh;", "- UBND tỉnh;", "- Lưu: VT, QLCN."]
SIGNATURE_RIGHT = ["GIÁM ĐỐC", "", "", "", "Nguyễn Văn Bình"]
APPENDIX_HEADER = ["STT", "Tên KCN/CCN", "Chủ đầu tư hạ tầng", "Diện tích (ha)",
                   "Diện tích đất cho thuê (ha)", "Tỷ lệ lấp đầy (%)"]

_WORDS = ("công nghiệp", "cụm", "khu", "hạ tầng", "đầu tư", "giải phóng mặt bằng", "doanh nghiệp",
          "triển khai", "kế hoạch", "nghị quyết", "thực hiện", "tỉnh", "huyện", "dự án", "kết quả",
          "môi trường", "lao động", "quy hoạch", "tiến độ", "chủ đầu tư", "lấp đầy", "thu hút",
          "hoàn thành", "đất trồng lúa", "chỉ tiêu", "năm 2023", "tăng 10,7%", "đạt 97,9%",
          "1.234,5 ha", "các sở, ngành", "Ủy ban nhân dân", "làng nghề", "xử lý nước thải")
_PLACES = ("Tân Quang", "Như Quỳnh", "Minh Đức", "Lạc Hồng", "Phố Nối", "Kim Động", "Ân Thi",
           "Bãi Sậy", "Đặng Lễ", "Quán Đỏ", "Vân Du", "Thăng Long", "Yên Mỹ", "Liêu Xá")


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _borderless_two_columns(document, left: list[str], right: list[str]) -> None:
    """The header and signature blocks: a 1-row, 2-column table without borders."""
    table = document.add_table(rows=1, cols=2)
    for cell, lines, bold in ((table.rows[0].cells[0], left, False), (table.rows[0].cells[1], right, True)):
        cell.paragraphs[0].text = ""
        for number, line in enumerate(lines):
            paragraph = cell.paragraphs[0] if number == 0 else cell.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(line).bold = bold or number < 2


def _ruled_table(document, header: list[str], rows: list[list[str]], repeat_header: bool,
                 widths_cm: list[float]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
    for cell, text in zip(table.rows[0].cells, header):
        cell.paragraphs[0].add_run(text).bold = True
    if repeat_header:
        table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
    for values in rows:
        cells = table.add_row().cells
        if len(values) == 2 and len(header) > 2:  # a group row: its title spans the other columns
            cells[0].text = values[0]
            merged = cells[1].merge(cells[-1])
            merged.text = values[1]
            merged.paragraphs[0].runs[0].bold = True
            continue
        for cell, text in zip(cells, values):
            cell.text = text
    for row in table.rows:  # Word and LibreOffice take the widths from the cells
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)


def _page_furniture(section, running_header: str | None) -> None:
    """A page number centred in the footer, and a running header line when given."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph._p.append(parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    if running_header:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        header.add_run(running_header).italic = True


def appendix_rows(count: int, seed: int = 7) -> list[list[str]]:
    """Appendix rows: group rows ("I", title) every ten rows, data rows numbered within groups;
    names are unique ("CCN <place> <n>")."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    for index in range(count):
        if index % 10 == 0:
            group = ("I", "II", "III")[index // 10 % 3]
            rows.append([group, f"Các CCN nhóm {group} - phần {index // 30 + 1}"])
        area = rng.uniform(20, 500)
        rows.append([str(index % 10 + 1), f"CCN {rng.choice(_PLACES)} {index + 1}",
                     f"Công ty CP Đầu tư hạ tầng {rng.choice(_PLACES)}",
                     f"{area:.2f}".replace(".", ","), f"{area * 0.7:.2f}".replace(".", ","),
                     f"{rng.uniform(0, 100):.1f}".replace(".", ",")])
    return rows


def build_report_docx(sections: int = 15, appendix: int = 120, seed: int = 1,
                      running_header: str | None = None) -> bytes:
    """A report in the shape of the campaign's reports. About 2 pages per section and 25 appendix
    rows per landscape page; sections=15, appendix=120 give ~30 pages."""
    rng = random.Random(seed)
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Times New Roman", Pt(14)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    _page_furniture(section, running_header)

    _borderless_two_columns(document, HEADER_LEFT, HEADER_RIGHT)
    for text in ("BÁO CÁO", "Kết quả thực hiện Chương trình phát triển công nghiệp - tiểu thủ công nghiệp "
                 "giai đoạn 2021-2025, tầm nhìn đến năm 2030 trên địa bàn tỉnh Hưng Yên"):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).bold = True
    roman = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV")
    for number in range(sections):
        heading = document.add_paragraph()
        heading.paragraph_format.first_line_indent = Cm(1)
        heading.add_run(f"{roman[number % len(roman)]}. {_sentence(rng, 3)[:-1].upper()}").bold = True
        for sub in range(1, 3):
            title = document.add_paragraph()
            title.paragraph_format.first_line_indent = Cm(1)
            title.add_run(f"{sub}. {_sentence(rng, 9 if sub == 1 else 4)[:-1]}").bold = True
            for _ in range(3):
                body = document.add_paragraph(" ".join(_sentence(rng, 12) for _ in range(4)))
                body.paragraph_format.first_line_indent = Cm(1)
                body.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if number % 3 == 1:
            _ruled_table(document, ["TT", "Chỉ tiêu", "Kế hoạch", "Thực hiện"],
                         [[str(k), _sentence(rng, 4), "9,1", "8,3"] for k in range(1, 5)], False,
                         [1.2, 9.0, 2.8, 2.8])
    _borderless_two_columns(document, SIGNATURE_LEFT, SIGNATURE_RIGHT)

    landscape = document.add_section()
    landscape.orientation = WD_ORIENT.LANDSCAPE
    landscape.page_width, landscape.page_height = Cm(29.7), Cm(21)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("PHỤ LỤC").bold = True
    _ruled_table(document, APPENDIX_HEADER, appendix_rows(appendix), True, [1.6, 5.0, 7.7, 2.8, 3.2, 3.2])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_to_pdf(data: bytes, workdir: Path) -> bytes:
    """Convert with LibreOffice headless, with its own profile under `workdir` (a running
    LibreOffice of the user must not be disturbed)."""
    source = workdir / "report.docx"
    source.write_bytes(data)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{workdir / 'profile'}",
                    "--convert-to", "pdf", "--outdir", str(workdir), str(source)],
                   check=True, capture_output=True, timeout=180)
    return (workdir / "report.pdf").read_bytes()


def _target(value: float, limit: float, label: str) -> str:
    return f"{label:<20} {'ok' if value <= limit else 'OVER'}"


def _best(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _bare_pdfplumber(data: bytes) -> None:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
            page.close()


_PEAK = """
import resource, sys
from pathlib import Path
data = Path(sys.argv[1]).read_bytes()
if sys.argv[1].endswith(".pdf"):
    from intake_bot.reader.pdf import read_pdf as read
else:
    from intake_bot.reader.docx import read_docx as read
read(data)
# VmHWM is this process's own peak; ru_maxrss would carry the parent's peak over fork and exec.
status = Path("/proc/self/status")
if status.exists():
    print(next(line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmHWM:")))
else:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_megabytes(path: Path) -> float:
    """Peak resident memory (KiB on Linux) of a fresh Python process that reads the file."""
    result = subprocess.run([sys.executable, "-c", _PEAK, str(path)], check=True, capture_output=True,
                            text=True, timeout=120)
    return int(result.stdout.split()[-1]) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", type=int, default=15, help="body sections (~2 pages each)")
    parser.add_argument("--appendix", type=int, default=120, help="appendix rows (~25 a page)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if shutil.which("soffice") is None:
        print("LibreOffice (soffice) is needed to make the PDF", file=sys.stderr)
        return 2

    from intake_bot.config import load_campaign
    from intake_bot.reader.docx import read_docx
    from intake_bot.reader.extract import extract_bytes
    from intake_bot.reader.pdf import read_pdf

    campaign = load_campaign()
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp:
        workdir = Path(tmp)
        docx_data = build_report_docx(args.sections, args.appendix)
        pdf_data = docx_to_pdf(docx_data, workdir)
        pages = read_pdf(pdf_data).pages
        print(f"document: {pages} pages, DOCX {len(docx_data) // 1024} KB, PDF {len(pdf_data) // 1024} KB")

        docx_time = _best(lambda: read_docx(docx_data), args.repeat)
        pdf_time = _best(lambda: read_pdf(pdf_data), args.repeat)
        bare_time = _best(lambda: _bare_pdfplumber(pdf_data), args.repeat)
        full_docx = _best(lambda: extract_bytes(docx_data, "report.docx", campaign), args.repeat)
        full_pdf = _best(lambda: extract_bytes(pdf_data, "report.pdf", campaign), args.repeat)
        (workdir / "peak.pdf").write_bytes(pdf_data)
        (workdir / "peak.docx").write_bytes(docx_data)
        peak_pdf = _peak_megabytes(workdir / "peak.pdf")
        peak_docx = _peak_megabytes(workdir / "peak.docx")

    ratio = pdf_time / bare_time
    print(f"DOCX read (read_docx):          {docx_time:7.3f} s   {_target(docx_time, 0.3, 'target <= 0.300 s')}")
    print(f"PDF read (read_pdf):            {pdf_time:7.3f} s   {pages / pdf_time:6.0f} pages/s")
    print(f"bare pdfplumber text + tables:  {bare_time:7.3f} s   {pages / bare_time:6.0f} pages/s")
    print(f"PDF read / bare pdfplumber:     {ratio:7.3f}     {_target(ratio, 0.3, 'target <= 0.300')}")
    print(f"full extract, DOCX:             {full_docx:7.3f} s")
    print(f"full extract, PDF:              {full_pdf:7.3f} s")
    print(f"peak memory, PDF read:          {peak_pdf:7.1f} MB  {_target(peak_pdf, 300, 'target <= 300 MB')}")
    print(f"peak memory, DOCX read:         {peak_docx:7.1f} MB  {_target(peak_docx, 300, 'target <= 300 MB')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
