import datetime as dt
import unicodedata
from types import SimpleNamespace

from intake_bot.compose import ReceivedFile, acknowledgement, missing_items
from intake_bot.reader.model import Extraction

NOW = dt.datetime(2024, 5, 8, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _message(**kw):
    base = dict(from_address="ubnd.vanlam@hungyen.gov.vn", subject="V/v gửi báo cáo giám sát",
                message_id="<m1@vanlam>", references=["<m0@vanlam>"], date=NOW)
    return SimpleNamespace(**{**base, **kw})


def _docx(present, rows=0):
    return Extraction(file="BC.docx", format="docx", unit="ubnd-van-lam",
                      outline={"id": "huyen", "present": present, "missing": []},
                      tables=[{"name": f"CCN {i}"} for i in range(rows)])


def test_docx_and_workbook_together_cover_the_appendix(campaign):
    keys = campaign.outline_of("ubnd-van-lam").keys()
    docx = _docx([k for k in keys if k != "PL"])
    workbook = Extraction(file="PL.xlsx", format="xlsx", tables=[{"name": "KCN A"}])
    assert missing_items(campaign, "ubnd-van-lam", [docx]) == ["PL"]
    assert missing_items(campaign, "ubnd-van-lam", [docx, workbook]) == []


def test_ask_for_missing_names_items_by_outline_titles(campaign):
    keys = campaign.outline_of("ubnd-van-lam").keys()
    present = [k for k in keys if k not in ("IV", "PL")]
    decision = SimpleNamespace(action="ask_for_missing", unit="ubnd-van-lam")
    draft = acknowledgement(campaign, _message(), decision,
                            [ReceivedFile("BC giám sát.docx", 2, None, _docx(present))], now=NOW)
    assert draft.to == ["ubnd.vanlam@hungyen.gov.vn"]
    assert draft.in_reply_to == "<m1@vanlam>" and draft.references == ["<m0@vanlam>", "<m1@vanlam>"]
    assert "đề nghị bổ sung" in draft.subject and "UBND huyện Văn Lâm" in draft.subject
    assert "Kính gửi: Ủy ban nhân dân huyện Văn Lâm" in draft.text
    assert "Mục IV. Đề xuất, kiến nghị" in draft.text
    assert "Phụ lục" in draft.text
    assert "phiên bản 2" in draft.text
    assert "trước ngày 10 tháng 5 năm 2024" in draft.text
    assert "0968.257.786" in draft.text
    assert unicodedata.is_normalized("NFC", draft.text) and unicodedata.is_normalized("NFC", draft.html)


def test_sender_text_is_escaped_in_html(campaign):
    decision = SimpleNamespace(action="acknowledge", unit="ubnd-van-lam")
    evil = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    draft = acknowledgement(campaign, _message(subject=evil), decision,
                            [ReceivedFile(evil + ".docx", 1, None, _docx([]))], now=NOW)
    assert "<script>" not in draft.html and "<img src=x" not in draft.html
    assert "&lt;script&gt;" in draft.html


def test_no_reply_for_actions_that_need_none(campaign):
    for action in ("review", "ignore", "notify_secretary"):
        decision = SimpleNamespace(action=action, unit=None)
        assert acknowledgement(campaign, _message(), decision, [], now=NOW) is None


def test_after_the_deadline_asks_for_the_earliest_time(campaign):
    decision = SimpleNamespace(action="ask_for_docx", unit="ubnd-kim-dong")
    scan = Extraction(file="scan.pdf", format="pdf", scanned=True)
    late = NOW + dt.timedelta(days=5)
    draft = acknowledgement(campaign, _message(), decision, [ReceivedFile("scan.pdf", 1, None, scan)], now=late)
    assert "bản Word (.docx)" in draft.text and "trong thời gian sớm nhất" in draft.text
    assert "bản chụp (scan)" in draft.text
