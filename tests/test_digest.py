"""The secretary's digest: its text and HTML, the workbook read back, and a real browser render."""
from __future__ import annotations

import copy
import datetime as dt
import html as htmllib
import io
import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import openpyxl
from openpyxl import load_workbook

from intake_bot.cli import main
from intake_bot.digest import build_digest, digest_day, queue_digest, sample_digest, write_digest
from intake_bot.outbox import FileTransport, Outbox
from intake_bot.reader.extract import extract_bytes
from intake_bot.store import db as dbmodule
from intake_bot.store.archive import sha256_of
from intake_bot.store.db import NewDocument, NewMessage, NewOutgoing, Store, SubmissionPlan

from .conftest import CORPUS

VN = dt.timezone(dt.timedelta(hours=7))


def at(month, day, hour=8, minute=0) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, tzinfo=VN)


def truth(name: str, **changes) -> dict:
    """A corpus document's truth file: the extraction the reader gives for it."""
    data = json.loads((CORPUS / "documents" / f"{name}.truth.json").read_text(encoding="utf-8"))
    data = {**copy.deepcopy(data), **changes}
    data["file"] = changes.get("file", data["attached_as"][0]["filename"])
    return data


class Mailroom:
    """Records received mail straight into a real store, as a poll pass would."""

    def __init__(self, store: Store):
        self.store = store
        self.count = 0

    def receive(self, when: dt.datetime, sender: str, unit: str | None, extractions: list[dict],
                category: str = "report", subject: str = "V/v gửi báo cáo giám sát",
                review: bool = False, reasons: tuple[str, ...] = (), reasons_vi: tuple[str, ...] = ()) -> int:
        """`reasons_vi` go into the decision JSON as the pass stores them; without them the
        message is as one recorded before they were kept."""
        self.count += 1
        key = f"test:{self.count}"
        blobs = [json.dumps(e, sort_keys=True).encode() for e in extractions]
        plan = (self.store.plan_submission(unit, [sha256_of(b) for b in blobs]) if unit
                else SubmissionPlan.unnumbered(len(blobs)))
        documents = [NewDocument(sha256=self.store.archive.put(blob), filename=e["file"], unit=unit,
                                 version=plan.version, part=file.part, duplicate_of=file.duplicate_of,
                                 extraction=e, format=e["format"], size=len(blob))
                     for e, blob, file in zip(extractions, blobs, plan.files)]
        message = NewMessage(source_key=key, raw_sha256=self.store.archive.put(key.encode()),
                             message_id=f"<{key}@test>", sender=sender, subject=subject, received_at=when,
                             category=category, action="review" if review else "acknowledge", unit=unit,
                             reasons=list(reasons), review_state="open" if review else None,
                             decision={"reasons_vi": list(reasons_vi)} if reasons_vi else None)
        return self.store.record(message, documents, [], [], when)


@pytest.fixture
def filled(store):
    return fill(store)


def fill(store: Store) -> Store:
    """A campaign on 13/5/2024 at 17:00: complete, incomplete, scanned-only, never, unmatched."""
    room = Mailroom(store)
    room.receive(at(5, 8, 9, 15), "vanthu.sct@hungyen.gov.vn", "so-cong-thuong", [truth("d01")])
    van_lam_docx = truth("d03")
    room.receive(at(5, 9, 10), "vanphong@vanlam.hungyen.gov.vn", "ubnd-van-lam", [van_lam_docx, truth("d04")])
    scan = truth("d08", unit="ubnd-kim-dong")
    room.receive(at(5, 13, 9), "ubnd.kimdong@hungyen.gov.vn", "ubnd-kim-dong", [scan])
    warned = truth("d09", warnings=["group I: the area (120.5 ha) differs from the sum of its rows (118.5 ha)"],
                   warnings_vi=["Tổng diện tích nhóm I (120,5 ha) khác tổng các dòng (118,5 ha)"])
    room.receive(at(5, 13, 10), "tranvanlong1985@gmail.com", "ubnd-an-thi", [warned])
    room.receive(at(5, 13, 11), "phongkehoach.ht@gmail.com", None, [truth("d10")], category="unmatched",
                 subject="Báo cáo <tình hình> dự án", review=True,
                 reasons=["the unit cannot be told from the address, the names or the documents"],
                 reasons_vi=["Không xác định được đơn vị gửi từ địa chỉ, tên gọi hay văn bản đính kèm"])
    store.add_event("bounce", {"addresses": ["ubnd.yenmy@hungyen.gov.vn"]}, at(5, 13, 12), unit="ubnd-yen-my")
    with store.transaction() as s:
        store.queue_outgoing(s, NewOutgoing(
            key="remind:ubnd-my-hao:2024-05-13", kind="reminder_overdue", to=["ubnd.myhao@hungyen.gov.vn"],
            subject="Đôn đốc", text="...", message_id="<r1@test>", unit="ubnd-my-hao"), at(5, 13, 8))
    return store


NOW = at(5, 13, 17)


def test_digest_text_and_html(campaign, filled):
    digest = build_digest(campaign, filled, NOW, since=at(5, 10, 17))
    text, html = digest.text, digest.html
    assert digest.day == dt.date(2024, 5, 13) and digest.key == "digest:2024-05-13"
    assert digest.subject == ("Tình hình tiếp nhận báo cáo giám sát ngày 13 tháng 5 năm 2024: "
                              "2/7 đơn vị đã đủ nội dung, 3 đơn vị chưa gửi")
    assert "Kính gửi: đồng chí Đinh Thị Miên" in text
    assert "tính đến 17 giờ 00, ngày 13 tháng 5 năm 2024" in text
    assert "(đã quá hạn 1 ngày làm việc)" in text
    for line in ("Đã đủ nội dung: 2", "Còn thiếu nội dung: 1", "Chỉ có bản chụp (scan): 1",
                 "Chưa gửi báo cáo: 3", "Quá hạn mà chưa đủ: 5"):
        assert line in text
    # Per unit: status, dates, version, missing items by title, rows, reminders, days late.
    assert "Sở Công Thương: Đã đủ nội dung; nhận lần đầu 8/5/2024; phiên bản 1; 30 dòng phụ lục." in text
    # Report and appendix came in one mail: version 1, not 2 (a version is a submission).
    assert "UBND huyện Văn Lâm: Còn thiếu nội dung; nhận lần đầu 9/5/2024; phiên bản 1; 9 dòng phụ lục." in text
    assert ("Còn thiếu: Mục II.3. Kết quả thực hiện các Văn bản của Thủ tướng Chính phủ về chuyển mục đích "
            "sử dụng đất trồng lúa thực hiện Cụm Công nghiệp.") in text
    assert "UBND huyện Kim Động: Chỉ có bản chụp (scan); nhận lần đầu 13/5/2024; phiên bản 1; 0 dòng phụ lục; chậm 1 ngày làm việc." in text
    assert "UBND thị xã Mỹ Hào: Chưa gửi báo cáo; chậm 1 ngày làm việc." in text
    # Arrivals since the given time: the three of 13/5, not those of 8/5 and 9/5.
    assert "2. THƯ NHẬN ĐƯỢC TỪ 17 GIỜ 00, NGÀY 10 THÁNG 5 NĂM 2024" in text
    assert "ubnd.kimdong@hungyen.gov.vn (UBND huyện Kim Động)" in text
    assert "phongkehoach.ht@gmail.com – \"Báo cáo <tình hình> dự án\" – Chưa xác định được đơn vị gửi" in text
    assert "vanthu.sct@hungyen.gov.vn" not in text.split("2. THƯ NHẬN")[1].split("3. CẦN")[0]
    # Review queue: the unmatched message with its reason, the scan, the bounced address.
    review = text.split("3. CẦN ĐỒNG CHÍ XEM XÉT")[1].split("4. THƯ NHẮC")[0]
    assert "Không xác định được đơn vị gửi từ địa chỉ, tên gọi hay văn bản đính kèm" in review
    assert "the unit cannot be told" not in text and "the unit cannot be told" not in html
    assert "Chỉ có bản chụp (scan): UBND huyện Kim Động" in review
    assert "Địa chỉ thư bị trả lại: UBND huyện Yên Mỹ" in review and "ubnd.yenmy@hungyen.gov.vn" in review
    # Reminders since the last digest, and the reader's warnings.
    assert "Đôn đốc quá hạn – UBND thị xã Mỹ Hào – tới ubnd.myhao@hungyen.gov.vn – đang chờ gửi" in text
    assert ("UBND huyện Ân Thi, tệp BC huyen An Thi - CN TTCN.pdf (phiên bản 1): "
            "Tổng diện tích nhóm I (120,5 ha) khác tổng các dòng (118,5 ha)") in text
    assert "differs from the sum" not in text and "differs from the sum" not in html
    assert digest.filename in text

    # The HTML says the same, escaped, with no script, no remote resource, inline styles only
    # but for the one phone rule a style attribute cannot say (a media query).
    assert "UBND huyện Văn Lâm" in html and "Còn thiếu nội dung" in html
    assert "Báo cáo &lt;tình hình&gt; dự án" in html and "<tình hình>" not in html
    lowered = html.lower()
    for banned in ("<script", "<img", "<link", "http://", "https://", "src=", "url(", "@import"):
        assert banned not in lowered
    [style] = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert style.strip().startswith("@media only screen and (max-width: 600px)")
    assert unicodedata.is_normalized("NFC", text + html + digest.subject)


def test_a_message_recorded_without_vietnamese_reasons_shows_its_english_ones(campaign, store):
    """Messages recorded before the Vietnamese reasons were kept still tell the secretary why."""
    Mailroom(store).receive(at(5, 13, 11), "nguoila@gmail.com", None, [truth("d10")], category="unmatched",
                            review=True, reasons=["no unit named"])
    review = build_digest(campaign, store, NOW).text.split("3. CẦN ĐỒNG CHÍ XEM XÉT")[1]
    assert "no unit named" in review


def test_the_reader_s_warnings_reach_the_digest_in_vietnamese(campaign, store):
    """Warnings as the reader makes them (a hidden sheet, numbers that do not add up): the digest
    shows each in Vietnamese and none in English; a document stored before the Vietnamese was
    kept still shows its warning."""
    book = openpyxl.Workbook()
    book.active.append(["STT", "Tên CCN", "Chủ đầu tư hạ tầng", "Diện tích (ha)", "Diện tích đất cho thuê (ha)",
                        "Tỷ lệ lấp đầy (%)"])
    book.active.append([1, "CCN Lạc Đạo", "Công ty CP Đông Á", 40.5, 47.18, 120])
    book.create_sheet("Tra cứu").sheet_state = "hidden"
    data = io.BytesIO()
    book.save(data)
    extraction = extract_bytes(data.getvalue(), "Phụ lục.xlsx", campaign, "ubnd-an-thi").to_json()
    assert len(extraction["warnings"]) == len(extraction["warnings_vi"]) == 3
    room = Mailroom(store)
    room.receive(at(5, 13, 10), "tranvanlong1985@gmail.com", "ubnd-an-thi", [extraction])
    old = truth("d09", warnings=["a warning from before"], file="Báo cáo cũ.pdf")
    old.pop("warnings_vi", None)
    room.receive(at(5, 13, 11), "ubnd.kimdong@hungyen.gov.vn", "ubnd-kim-dong", [old])
    digest = build_digest(campaign, store, NOW)
    for shown in (digest.text, htmllib.unescape(digest.html)):
        assert all(w in shown for w in extraction["warnings_vi"])
        assert [w for w in extraction["warnings"] if w in shown] == []
        assert "a warning from before" in shown
    assert "Trang tính ẩn «Tra cứu» không được đọc." in digest.text
    assert ("Phụ lục, CCN nhóm - STT 1 «CCN Lạc Đạo»: diện tích đất cho thuê (47,18 ha) lớn hơn diện tích "
            "(40,5 ha).") in digest.text


def test_the_demo_digest_shows_no_english_reason(campaign, tmp_path, capsys, monkeypatch):
    """The digest of the sample mail, as `intake-bot demo` writes it: every reason the secretary
    reads, in the review queue and beside an unreadable file, is Vietnamese, units by name."""
    monkeypatch.delenv(dbmodule.DATABASE_URL_ENV, raising=False)
    data = tmp_path / "demo"
    assert main(["--data-dir", str(data), "demo"]) == 0
    capsys.readouterr()
    text = (data / "digest" / "digest.txt").read_text(encoding="utf-8")
    html = htmllib.unescape((data / "digest" / "digest.html").read_text(encoding="utf-8"))
    store = Store(data)
    try:
        messages, documents = store.messages(), store.documents()
        review = store.review_queue()
    finally:
        store.close()
    english = [r for m in messages for r in m.reasons] + [d.error for d in documents if d.error] + [
        w for d in documents if d.extraction for w in d.extraction["warnings"]]
    assert review and any(d.error for d in documents)
    for shown in (text, html):
        assert [r for r in english if r in shown] == []
        assert not any(unit_id in shown for unit_id in campaign.units)
        for item in review:
            assert item.reasons_vi and all(r in shown for r in item.reasons_vi)
        for document in documents:
            assert document.error is None or document.extraction["error_vi"] in shown
    assert "Bao cao giam sat.rar: Tệp nén RAR chưa đọc được" in text
    assert "Địa chỉ ubnd.myhao@hungyen.gov.vn đã đăng ký cho UBND thị xã Mỹ Hào" in text


def test_digest_without_news(campaign, store):
    digest = build_digest(campaign, store, at(5, 6, 17))
    assert "Không có thư mới." in digest.text and "Không có việc cần xem xét." in digest.text
    assert "Không có thư nhắc." in digest.text and "Không có cảnh báo." in digest.text
    assert "Quá hạn mà chưa đủ: 0" in digest.text and "đã quá hạn" not in digest.text
    # Before any digest, "since" is the campaign start.
    assert "TỪ 00 GIỜ 00, NGÀY 26 THÁNG 4 NĂM 2024" in digest.text


def test_workbook_read_back(campaign, filled):
    digest = build_digest(campaign, filled, NOW)
    book = load_workbook(io.BytesIO(digest.workbook_bytes))
    assert book.sheetnames == ["Phụ lục", "Tình hình", "Đối chiếu số liệu"]
    rows = book["Phụ lục"]
    header = [c.value for c in rows[1]]
    assert header[:6] == ["Đơn vị", "Loại", "Nhóm", "STT", "Tên KCN/CCN", "Chủ đầu tư hạ tầng"]
    assert rows.freeze_panes == "A2" and rows.auto_filter.ref == f"A1:K{rows.max_row}"
    data = [[c.value for c in r] for r in rows.iter_rows(min_row=2)]
    # Sở Công Thương 30 + Văn Lâm's workbook 9 + Ân Thi 8; none from the scan.
    assert len(data) == 30 + 9 + 8
    expected = truth("d04")["tables"][0]
    van_lam = [r for r in data if r[0] == "UBND huyện Văn Lâm"]
    assert van_lam[0][1:6] == [expected["kind"], expected["group"], expected["stt"], expected["name"],
                               expected["investor"]]
    assert van_lam[0][6] == pytest.approx(expected["area_ha"]) and isinstance(van_lam[0][6], float)
    assert van_lam[0][9] == "Phụ lục KCN, CCN huyện Văn Lâm.xlsx" and van_lam[0][10] == 1  # sent with the report
    area_cell = rows.cell(row=2, column=7)
    assert area_cell.data_type == "n" and area_cell.number_format == "#,##0.00"
    assert rows.column_dimensions["E"].width > rows.column_dimensions["C"].width

    status = book["Tình hình"]
    assert status.freeze_panes == "A2" and status.auto_filter.ref == "A1:K8"
    lines = {r[0].value: [c.value for c in r] for r in status.iter_rows(min_row=2)}
    assert set(lines) == {u.short_name for u in campaign.units.values()}
    sct = lines["Sở Công Thương"]
    assert sct[1] == "Đã đủ nội dung" and sct[2] == dt.datetime(2024, 5, 8, 9, 15) and sct[4] == 1
    assert sct[6] == 30 and sct[8] == 0
    assert lines["UBND huyện Văn Lâm"][5].startswith("Kết quả thực hiện các Văn bản của Thủ tướng")
    assert lines["UBND thị xã Mỹ Hào"][1] == "Chưa gửi báo cáo" and lines["UBND thị xã Mỹ Hào"][8] == 1


def test_write_digest(campaign, filled, tmp_path):
    digest = build_digest(campaign, filled, NOW)
    paths = write_digest(digest, tmp_path / "out")
    assert [p.name for p in paths] == ["digest.html", "digest.txt", digest.filename]
    assert (tmp_path / "out" / "digest.txt").read_text(encoding="utf-8") == digest.text


def test_digest_day_and_once_per_day(campaign, filled, tmp_path):
    assert digest_day(campaign, at(5, 13, 17)) == dt.date(2024, 5, 13)
    assert digest_day(campaign, at(5, 13, 16, 59)) == dt.date(2024, 5, 10)  # Friday's is still due
    assert digest_day(campaign, at(5, 5, 18)) == dt.date(2024, 5, 4)        # the worked Saturday
    assert digest_day(campaign, at(5, 2, 9)) == dt.date(2024, 4, 26)        # before the break
    outbox = Outbox(filled, campaign)
    assert queue_digest(campaign, filled, outbox, at(4, 26, 9)) is None     # 25/4: before the start
    # The machine was off on Friday 10/5 at 17:00: Monday morning sends Friday's digest once.
    first = queue_digest(campaign, filled, outbox, at(5, 13, 8))
    assert first is not None and first.key == "digest:2024-05-10"
    assert queue_digest(campaign, filled, outbox, at(5, 13, 9)) is None
    evening = queue_digest(campaign, filled, outbox, at(5, 13, 17))
    assert evening.key == "digest:2024-05-13"
    # The evening digest covers what came since the morning one.
    assert "TỪ 08 GIỜ 00, NGÀY 13 THÁNG 5 NĂM 2024" in evening.text
    assert outbox.flush(FileTransport(tmp_path / "outbox"), at(5, 13, 17, 1))["sent"] == 3  # + 1 reminder
    row = filled.outgoing("digest:2024-05-13")
    assert row.to == [campaign.secretary_email] and row.kind == "digest"
    assert row.attachments[0]["filename"] == evening.filename


def test_sample_digest_fills_every_section(campaign, monkeypatch):
    # The sample never touches a configured database.
    monkeypatch.setenv(dbmodule.DATABASE_URL_ENV, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    digest = sample_digest(campaign)
    for empty in ("Không có thư mới.", "Không có việc cần xem xét.", "Không có thư nhắc.", "Không có cảnh báo.",
                  "do các đơn vị báo cáo khớp nhau."):
        assert empty not in digest.text
    assert "Còn thiếu nội dung" in digest.text and "Còn thiếu: Mục IV." in digest.text
    assert "Thư gửi đi không thành công" in digest.text and "Địa chỉ thư bị trả lại" in digest.text
    rows = load_workbook(io.BytesIO(digest.workbook_bytes))["Phụ lục"]
    assert rows.cell(row=2, column=7).value == 1234.5


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian package chromium)")
def test_html_renders_in_headless_chromium(campaign, filled, tmp_path):
    from PIL import Image

    digest = build_digest(campaign, filled, NOW)
    page = write_digest(digest, tmp_path)[0]
    png = tmp_path / "digest.png"
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              f"--user-data-dir={tmp_path / 'profile'}"]
    shot = subprocess.run([*common, f"--screenshot={png}", "--window-size=1200,2000", page.as_uri()],
                          capture_output=True, timeout=60)
    assert png.exists(), shot.stderr.decode(errors="replace")[-2000:]
    image = Image.open(png).convert("RGB")
    assert image.size == (1200, 2000)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, tables and status colours, not blank
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, timeout=60)
    rendered = dom.stdout.decode("utf-8")
    for unit in campaign.units.values():
        assert unit.short_name in rendered


@pytest.mark.postgres
def test_postgresql_gives_the_same_digest(campaign, filled, tmp_path, monkeypatch):
    from .test_store import _postgres_schema_url

    monkeypatch.delenv(dbmodule.DATABASE_URL_ENV, raising=False)
    url, drop = _postgres_schema_url()
    pg = Store(tmp_path / "pg", url=url)
    try:
        fill(pg)
        on_sqlite, on_postgres = build_digest(campaign, filled, NOW), build_digest(campaign, pg, NOW)
        assert on_postgres.text == on_sqlite.text and on_postgres.html == on_sqlite.html
    finally:
        pg.close()
        drop()


LONG_LINK = "https://drive.google.com/file/d/1Qm71e62056a3c32b54d4d8af08d1Qm71e62056a3c32b54d4d8af08d/view?usp=sharing"


def with_link_and_note(store: Store) -> Store:
    """`fill` plus what a unit sends without a report file, waiting for the secretary: a link
    (and a hostile javascript: one beside it), a note promising the report."""
    room = Mailroom(fill(store))
    for n, (category, decision) in enumerate([
            ("link_only", {"links": [LONG_LINK, "javascript:alert(1)"], "reasons_vi": ["Chỉ gửi đường liên kết"]}),
            ("no_attachment", {"promised_date": "2024-05-14", "reasons_vi": ["Thư không có tệp đính kèm"]})]):
        key = f"note:{n}"
        room.store.record(NewMessage(
            source_key=key, raw_sha256=room.store.archive.put(key.encode()), message_id=f"<{key}@test>",
            sender="ubnd.myhao@hungyen.gov.vn", subject="Gửi Ban link báo cáo", received_at=at(5, 13, 16),
            category=category, action="review", unit="ubnd-my-hao", reasons=["x"], review_state="open",
            decision=decision), [], [], [], at(5, 13, 16))
    return store


def test_review_links_are_clickable_and_unit_rows_say_what_waits(campaign, store):
    digest = build_digest(campaign, with_link_and_note(store), NOW)
    anchors = re.findall(r'<a href="([^"]*)"', digest.html)
    assert anchors == [LONG_LINK.replace("&", "&amp;")]  # only http(s); escaped
    assert "javascript:alert" not in " ".join(anchors)
    my_hao = next(line for line in digest.text.splitlines() if line.strip().startswith("- UBND thị xã Mỹ Hào"))
    rest = digest.text[digest.text.index(my_hao):].split("\n  - ")[0]
    assert "Đường liên kết gửi 13/5/2024 đang chờ đồng chí xem xét (mục 3)." in rest
    assert "Thư không kèm tệp báo cáo gửi 13/5/2024 đang chờ đồng chí xem xét (mục 3)." in rest
    assert "Đường liên kết gửi 13/5/2024 đang chờ đồng chí xem xét (mục 3)" in digest.html


def chromium_measure(page: Path, tmp_path: Path, width: int) -> dict:
    """Open `page` in headless Chromium in a frame `width` px wide (a headless window is at least
    500 px wide; a frame is as narrow as asked, as a phone's screen); the document's
    scrollWidth and the frame's viewport width, read by the probe page around it (the digest
    itself has no script)."""
    probe = tmp_path / "probe.html"
    probe.write_text(
        f'<!DOCTYPE html><html><body style="margin: 0"><iframe id="phone" style="width: {width}px; height: 1600px; '
        f'border: 0" srcdoc="{htmllib.escape(page.read_text(encoding="utf-8"))}"></iframe><script>'
        "window.addEventListener('load', () => { const f = document.getElementById('phone');"
        " const cells = f.contentDocument.querySelectorAll('table.stack tr:not(.head)')[0].cells;"
        " document.body.setAttribute('data-measure', JSON.stringify({scroll: "
        "f.contentDocument.documentElement.scrollWidth, viewport: f.contentWindow.innerWidth,"
        " stacked: cells[1].getBoundingClientRect().top > cells[0].getBoundingClientRect().top})); });"
        "</script></body></html>", encoding="utf-8")
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1800",
                          "--dump-dom", probe.as_uri()], capture_output=True, timeout=60)
    found = re.search(r"data-measure=\"([^\"]*)\"", dom.stdout.decode("utf-8"))
    assert found, dom.stderr.decode(errors="replace")[-2000:]
    return json.loads(htmllib.unescape(found.group(1)))


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian package chromium)")
def test_the_digest_reads_on_a_phone(campaign, store, tmp_path):
    """At 420 px nothing scrolls sideways: the summary wraps, the tables stack (one block per
    row, each cell named by its column), long links and addresses break."""
    digest = build_digest(campaign, with_link_and_note(store), NOW)
    page = write_digest(digest, tmp_path / "digest")[0]
    phone = chromium_measure(page, tmp_path, 420)
    assert phone["viewport"] == 420 and phone["scroll"] <= phone["viewport"] and phone["stacked"], phone
    desk = chromium_measure(page, tmp_path, 1200)
    assert desk["scroll"] <= desk["viewport"] == 1200 and not desk["stacked"], desk  # a table on a desk
