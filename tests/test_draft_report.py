"""The compiled draft: what each unit wrote, quoted and attributed in the outline's order, never a
sentence of its own; the consolidated tables; the questions; the status annex; and the document as
LibreOffice lays it out (PDF pages, text, page 1 not blank)."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from docx import Document

from intake_bot.cli import main
from intake_bot.draft_report import NOT_REPORTED, build_draft, unit_texts
from intake_bot.progress import unit_progress
from intake_bot.reader.doc import find_soffice
from intake_bot.reader.extract import extract_bytes
from intake_bot.store.db import NewMessage, Store
from intake_bot.store.models import DocumentRow

from .conftest import CORPUS
from .delegation_campaign import at, planted_campaign, sample_data  # noqa: F401

NOW = at(14, 17)
QUOTE_INDENT_MM = 10


def paragraphs(data: bytes) -> list:
    return Document(io.BytesIO(data)).paragraphs


def texts(data: bytes) -> list[str]:
    return [p.text for p in paragraphs(data)]


@pytest.fixture(scope="module")
def sample_draft(sample_data, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("draft")
    assert main(["--data-dir", str(sample_data), "--now", "2024-05-14T17:00+07:00", "compile", "--out", str(out)]) == 0
    (path,) = out.glob("*.docx")
    return path


def test_each_unit_quoted_and_attributed_in_the_outline_order(sample_draft, campaign):
    lines = texts(sample_draft.read_bytes())
    at_ = {text: n for n, text in reversed(list(enumerate(lines)))}
    sct = campaign.outlines["sct"]
    order = [at_[f"{item.key}. {item.title}"] for item in sct.items if item.key != "PL"]
    assert order == sorted(order)
    first = next(n for n, t in enumerate(lines) if t.startswith("- Sở Công Thương (tệp «"))
    assert "phiên bản 1, nhận ngày 8/5/2024" in lines[first] and lines[first + 1].startswith("“")
    assert f"- UBND thị xã Mỹ Hào: {NOT_REPORTED}" in lines           # has sent nothing
    assert lines.index("I. ĐỀ CƯƠNG BÁO CÁO ĐỐI VỚI SỞ CÔNG THƯƠNG") < lines.index(
        "II. ĐỀ CƯƠNG BÁO CÁO ĐỐI VỚI BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP TỈNH")


def test_a_missing_item_says_not_reported(sample_draft, sample_data, campaign):  # noqa: F811
    store = Store(sample_data)
    try:
        progress = {p.unit: p for p in unit_progress(store, campaign, NOW)}
    finally:
        store.close()
    kim_dong = progress["ubnd-kim-dong"]
    assert "IV" in kim_dong.missing
    lines = texts(sample_draft.read_bytes())
    start = lines.index("IV. Đề xuất, kiến nghị", lines.index("III. ĐỀ CƯƠNG BÁO CÁO ĐỐI VỚI UBND HUYỆN, THỊ XÃ"))
    block = lines[start:]
    assert f"- UBND huyện Kim Động: {NOT_REPORTED}" in block[:block.index("PHẦN II. SỐ LIỆU CÁC KHU CÔNG NGHIỆP, CỤM CÔNG NGHIỆP")]


def test_extractive_only_every_quoted_line_is_a_units_own(sample_draft, sample_data, campaign):  # noqa: F811
    store = Store(sample_data)
    try:
        by_unit = unit_texts(campaign, store, unit_progress(store, campaign, NOW))
    finally:
        store.close()
    written = {line.strip() for parts in by_unit.values() for key_parts in parts.values()
               for heading, text in key_parts for line in [heading, *text.splitlines()] if line.strip()}
    quoted = [p.text for p in paragraphs(sample_draft.read_bytes()) if p.paragraph_format.left_indent is not None
              and round(p.paragraph_format.left_indent.mm) == QUOTE_INDENT_MM]
    assert len(quoted) > 100
    for line in quoted:
        assert line.strip("“”") in written, line


def test_planted_disagreements_become_questions_and_marked_figures(store, campaign):
    planted = planted_campaign(store, 5)
    data = build_draft(campaign, store, NOW)
    lines = texts(data)
    questions = lines[lines.index("PHẦN III. NHỮNG VẤN ĐỀ CẦN LÀM RÕ"):lines.index("PHỤ LỤC")]
    assert any(q.startswith(f"1. CCN {planted['differing']}: Diện tích (ha) chưa thống nhất") for q in questions)
    assert any(f"CCN {planted['absent']}: Có trong báo cáo của" in q for q in questions)
    (table,) = [t for t in Document(io.BytesIO(data)).tables if t.rows[0].cells[0].text == "STT"
                and t.rows[0].cells[1].text == "Tên"]
    rows = [[c.text for c in row.cells] for row in table.rows]
    differing = next(r for r in rows if r[1] == f"CCN {planted['differing']}")
    assert differing[3].endswith(" (*)") and not differing[4].endswith("(*)")
    total = rows[-1]
    assert total[1] == f"Tổng cộng ({len(rows) - 2})"
    shown = sum(float(r[3].replace(" (*)", "").replace(".", "").replace(",", ".")) for r in rows[1:-1])
    assert total[3] == f"{shown:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def test_status_annex_and_page_setup(sample_draft, campaign):
    document = Document(io.BytesIO(sample_draft.read_bytes()))
    section = document.sections[0]
    assert [round(m.mm) for m in (section.left_margin, section.right_margin, section.top_margin,
                                  section.bottom_margin)] == [30, 15, 20, 20]
    assert "PAGE" in section.header._element.xml and section.different_first_page_header_footer
    annex = document.tables[-1]
    assert [c.text for c in annex.rows[0].cells][:3] == ["STT", "Đơn vị", "Tình trạng"]
    assert [r.cells[1].text for r in annex.rows[1:]] == [u.short_name for u in campaign.units.values()]
    assert document.styles["Normal"].font.name == "Times New Roman"


SOFFICE, PDFTOPPM = find_soffice(), shutil.which("pdftoppm")


@pytest.mark.skipif(SOFFICE is None or PDFTOPPM is None,
                    reason="needs LibreOffice (soffice) and poppler-utils (pdftoppm, pdftotext, pdfinfo)")
def test_libreoffice_lays_it_out(sample_draft, tmp_path):
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(sample_draft)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / sample_draft.with_suffix(".pdf").name
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 10 <= pages <= 60
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ngày 14 tháng 5 năm 2024",
                     "PHẦN I. NỘI DUNG BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ", "PHẦN III. NHỮNG VẤN ĐỀ CẦN LÀM RÕ",
                     "Tình hình gửi báo cáo của các cơ quan, đơn vị", "UBND thị xã Mỹ Hào: chưa báo cáo."):
        assert expected in flat, expected
    # Page numbers in the header from page 2: page 2's text starts with "2".
    assert text.split("\f")[1].strip().startswith("2")
    subprocess.run([PDFTOPPM, "-r", "40", "-gray", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    (image,) = tmp_path.glob("page*.pgm")
    width, height, pixels = read_pgm(image.read_bytes())
    dark = sum(1 for value in pixels if value < 128)
    assert width * height == len(pixels) and dark > 0.01 * len(pixels)


def read_pgm(data: bytes) -> tuple[int, int, bytes]:
    """A binary PGM (P5, 8 bits) as pdftoppm -gray writes it: width, height, the pixel bytes."""
    fields, rest = [], data
    while len(fields) < 4:
        rest = rest.lstrip()
        token, _, rest = rest.partition(b"\n") if rest.startswith(b"#") else (None, None, rest)
        if token is not None:
            continue
        end = min((rest.find(sep) for sep in (b" ", b"\n") if rest.find(sep) >= 0), default=len(rest))
        fields.append(rest[:end])
        rest = rest[end:]
    assert fields[0] == b"P5" and fields[3] == b"255"
    return int(fields[1]), int(fields[2]), rest[1:]


def test_exempt_and_paper_units_say_so_instead_of_not_reported(store, campaign):
    from intake_bot.commands import Context, execute
    from intake_bot.outbox import Outbox

    planted_campaign(store, 0)
    ctx = Context(campaign, store, Outbox(store, campaign), NOW)
    assert all(r.ok for r in execute(ctx, ["MIỄN Mỹ Hào", "ĐÃ NHẬN BẢN GIẤY Ban Quản lý các KCN"],
                                     campaign.secretary_email, NOW))
    data = build_draft(campaign, store, NOW)
    lines = texts(data)
    assert "- UBND thị xã Mỹ Hào: được miễn gửi báo cáo." in lines
    assert "- Ban Quản lý các KCN tỉnh: đã nộp bản giấy, không có bản điện tử để trích dẫn." in lines
    annex = {row.cells[1].text: row.cells[2].text for row in Document(io.BytesIO(data)).tables[-1].rows}
    assert (annex["UBND thị xã Mỹ Hào"], annex["Ban Quản lý các KCN tỉnh"]) == ("Được miễn gửi báo cáo", "Đã nhận bản giấy")


def test_a_report_recorded_before_texts_were_kept_is_read_again(store, campaign):
    """A database from before schema version 2: the extraction has headings, no text is kept."""
    data = (CORPUS / "documents" / "d05.docx").read_bytes()
    extraction = extract_bytes(data, "d05.docx", campaign, "ubnd-yen-my").to_json()
    texts_by_key = {s["key"]: s.pop("text") for s in extraction["sections"] if s["key"]}
    room = planted_campaign(store, 4)["room"]
    sha = store.archive.put(data)
    with store.transaction() as s:
        message_id = store.record(NewMessage(source_key="old", raw_sha256=sha, message_id="<old@x>",
                                             sender="ubnd.yenmy@hungyen.gov.vn", subject="BC", received_at=at(13),
                                             category="report", action="acknowledge", unit="ubnd-yen-my"),
                                  [], [], [], at(13))
        s.add(DocumentRow(message_row_id=message_id, sha256=sha, filename="d05.docx", unit="ubnd-yen-my",
                          version=9, extraction=extraction, format="docx", size=len(data)))
    assert room and "text" not in extraction["sections"][0]
    lines = texts(build_draft(campaign, store, NOW))
    first_line = texts_by_key["I"].splitlines()[0]
    assert f"“{first_line}" in lines
    (doc_id,) = [d.id for d in store.documents() if d.filename == "d05.docx"]
    assert store.section_texts([doc_id])[doc_id][0].text == texts_by_key["I"]


def test_the_signature_block_is_no_sections_text(sample_draft):
    lines = texts(sample_draft.read_bytes())
    assert not any(line.lstrip("“").startswith("Nơi nhận") for line in lines)
