"""classify(): each rule on messages built for it. The real reader reads the DOCX files built
here; where a rule depends on what the reader finds (outline, scans, the issuing unit), the
reader's answer is given through classify's `extract` argument."""
from __future__ import annotations

import datetime as dt
import json
import random
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from intake_bot.classify import classify, own_words
from intake_bot.message import parse_message
from intake_bot.reader.model import Extraction, empty_metadata
from tests.mime_builder import (
    DOCX_TYPE,
    PDF_BYTES,
    attachment,
    build,
    docx_bytes,
    encrypted_zip,
    forwarded,
    simple,
    text_part,
    zip_bytes,
)

VAN_LAM = "ubnd.vanlam@hungyen.gov.vn"
GMAIL = "nguoigui.baocao@gmail.com"
CORPUS_EMAILS = Path(__file__).resolve().parent / "fixtures" / "corpus" / "emails"
HUYEN_KEYS = ["I", "II", "II.1", "II.2", "II.2.1", "II.2.2", "II.3", "III", "IV", "PL"]
VIETNAMESE_LETTERS = frozenset("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


@pytest.fixture(scope="module")
def docx():
    return docx_bytes("BÁO CÁO", "I. KHÁI QUÁT CHUNG", "Nội dung báo cáo.")


def run(campaign, raw, extract=None):
    message = parse_message(raw, campaign.limits)
    decision = classify(message, campaign, extract) if extract else classify(message, campaign)
    assert_vietnamese_twins(decision.reasons, decision.reasons_vi, campaign)
    return message, decision


def assert_vietnamese_twins(reasons: list[str], reasons_vi: list[str], campaign) -> None:
    """Every English reason has its Vietnamese one at the same place: a sentence in NFC with
    Vietnamese letters, naming units by their short names, never by their ids. (Every test
    here classifies through `run`, so every rule's reasons are checked.)"""
    assert len(reasons_vi) == len(reasons), (reasons, reasons_vi)
    for reason in reasons_vi:
        assert unicodedata.is_normalized("NFC", reason), reason
        assert VIETNAMESE_LETTERS & set(reason.lower()), reason
        assert reason[:1] == reason[:1].upper(), reason
        assert not any(unit_id in reason for unit_id in campaign.units), reason


def reader(**answers: Extraction):
    """A stand-in for the reader: the Extraction given for each file name (its `file` set)."""

    def extract(data, filename, campaign, unit_id=None):
        return replace(answers[filename.replace(".", "_").replace(" ", "_")], file=filename)

    return extract


def outline(present, unit="ubnd-van-lam", rows=0, issuer="UBND HUYỆN"):
    """What the reader finds in a district's report: `issuer` printed in its header (None when
    the unit was told from its title or text only)."""
    return Extraction(file="", format="docx", unit=unit, metadata=dict(empty_metadata(), issuer=issuer),
                      outline={"id": "huyen", "present": present,
                               "missing": [k for k in HUYEN_KEYS if k not in present]},
                      tables=[{"kind": "CCN", "group": "I", "stt": str(n)} for n in range(rows)])


# ------------------------------------------------------------------ loops: own mail, bounces, auto-replies, lists


@pytest.mark.parametrize("headers,subject", [
    ([("Auto-Submitted", "auto-replied")], "Re: V/v gửi báo cáo"),
    ([("Auto-Submitted", "auto-generated")], "Thông báo"),
    ([("X-Autoreply", "yes")], "Re: báo cáo"),
    ([("X-Autorespond", "Vacation")], "Re: báo cáo"),
    ([("Precedence", "auto_reply")], "Re: báo cáo"),
    ([("X-Precedence", "auto_reply")], "Re: báo cáo"),
    ([], "Automatic reply: V/v đôn đốc gửi báo cáo"),
    ([], "Trả lời tự động: V/v đôn đốc gửi báo cáo"),
    ([], "Out of Office: V/v đôn đốc gửi báo cáo"),
    ([("X-Auto-Response-Suppress", "All")], "Vắng mặt từ 6/5 đến 10/5"),
    ([("X-Auto-Response-Suppress", "OOF")], "Re: V/v báo cáo - vắng mặt"),
])
def test_auto_replies(campaign, headers, subject):
    decision = run(campaign, simple(sender=VAN_LAM, subject=subject, headers=headers))[1]
    assert (decision.category, decision.action, decision.unit) == ("auto_reply", "ignore", "ubnd-van-lam")
    assert decision.reasons[0].startswith("automatic reply:")


def test_outlook_suppress_header_on_human_mail_is_not_an_auto_reply(campaign, docx):
    raw = simple(sender=VAN_LAM, headers=[("X-Auto-Response-Suppress", "All")],
                 files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    assert run(campaign, raw)[1].category == "report"


def test_absence_subject_written_by_a_person_is_not_an_auto_reply(campaign):
    raw = simple(sender=VAN_LAM, subject="Thông báo vắng mặt tại buổi làm việc với Đoàn giám sát",
                 headers=[("Auto-Submitted", "no")])
    assert run(campaign, raw)[1].category == "no_attachment"


def test_auto_generated_mail_with_a_document_is_read_but_not_answered(campaign, docx):
    raw = simple(sender=VAN_LAM, headers=[("Auto-Submitted", "auto-generated")],
                 files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.unit, decision.action) == ("report", "ubnd-van-lam", "review")


def dsn(recipient: str, headers=()) -> bytes:
    report = text_part("Delivery to the following recipient failed permanently.")
    status = ("Reporting-MTA: dns; googlemail.com\r\n\r\n"
              f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n")
    original = simple(sender="ktns.hdndhy@gmail.com", subject="V/v đôn đốc gửi báo cáo")
    parts = [report, type(report)("message/delivery-status", status.encode(), encoding="7bit"),
             forwarded(original)]
    return build([("From", "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"),
                  ("Subject", "Delivery Status Notification (Failure)"), *headers],
                 parts, subtype="report", extra_content_type="; report-type=delivery-status")


def test_bounce_of_a_unit_address_tells_the_secretary(campaign):
    decision = run(campaign, dsn("UBND.VanLam@hungyen.gov.vn", [("Auto-Submitted", "auto-replied")]))[1]
    assert (decision.category, decision.action) == ("bounce", "notify_secretary")
    assert decision.bounced_addresses == [VAN_LAM]
    assert any("registered for ubnd-van-lam" in r for r in decision.reasons)
    assert (f"Không chuyển được thư tới {VAN_LAM} (địa chỉ đã đăng ký của UBND huyện Văn Lâm)"
            in decision.reasons_vi)


def test_bounce_of_an_unknown_address_is_ignored(campaign):
    decision = run(campaign, dsn("nobody@example.vn"))[1]
    assert (decision.category, decision.action, decision.bounced_addresses) == ("bounce", "ignore", ["nobody@example.vn"])


def test_bounce_by_x_failed_recipients_and_by_null_sender(campaign):
    by_header = simple(sender="mail@relay.vn", subject="Undelivered Mail",
                       headers=[("X-Failed-Recipients", "ubnd.yenmy@hungyen.gov.vn")])
    decision = run(campaign, by_header)[1]
    assert decision.category == "bounce" and decision.bounced_addresses == ["ubnd.yenmy@hungyen.gov.vn"]
    qmail = simple(sender="mail@relay.vn", subject="failure notice", headers=[("Return-Path", "<>")],
                   text="Sorry.\n<ubnd.anthi@hungyen.gov.vn>:\nmailbox full")
    decision = run(campaign, qmail)[1]
    assert decision.category == "bounce" and decision.action == "notify_secretary"
    assert decision.bounced_addresses == ["ubnd.anthi@hungyen.gov.vn"]


def test_null_sender_with_auto_reply_signs_is_an_auto_reply(campaign):
    raw = simple(sender=VAN_LAM, subject="Automatic reply: báo cáo", headers=[("Return-Path", "<>")])
    assert run(campaign, raw)[1].category == "auto_reply"


@pytest.mark.parametrize("header", [("List-Id", "<tin.example.vn>"), ("List-Unsubscribe", "<mailto:u@x>"),
                                    ("Precedence", "bulk"), ("Precedence", "list")])
def test_lists_and_newsletters_are_other(campaign, docx, header):
    raw = simple(sender="bantin@example.vn", subject="Bản tin báo cáo kinh tế", headers=[header],
                 files=[attachment(docx, "Ban tin.docx", DOCX_TYPE)])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.action, decision.documents) == ("other", "ignore", [])


@pytest.mark.parametrize("sender,headers", [("ktns.hdndhy@gmail.com", [("X-Intake-Bot", "digest")]),
                                            (VAN_LAM, [("X-Intake-Bot", "ack")])])
def test_own_mail_is_never_answered(campaign, docx, sender, headers):
    raw = simple(sender=sender, headers=headers, files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.action) == ("other", "ignore")


def test_the_secretary_writing_from_the_committee_address_commands(campaign, docx):
    """The bundled campaign's secretary is the committee mailbox: her own mail (no X-Intake-Bot)
    is a command mail, never a report to acknowledge (test_command_mail_e2e.py carries it out)."""
    raw = simple(sender="ktns.hdndhy@gmail.com", files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.action, decision.commander) == (
        "other", "execute_commands", "ktns.hdndhy@gmail.com")
    assert len(decision.documents) == 1  # kept for NỘP THAY


# ------------------------------------------------------------------ the unit


def test_registered_address_wins_over_a_name_in_the_subject(campaign, docx):
    raw = simple(sender=VAN_LAM, subject="Gửi báo cáo của UBND huyện Yên Mỹ",
                 files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.unit) == ("report", "ubnd-van-lam")
    assert decision.reasons[0] == f"sender address {VAN_LAM} registered for ubnd-van-lam"


def test_reply_to_address_counts(campaign):
    raw = simple(sender=GMAIL, headers=[("Reply-To", "ubnd.anthi@hungyen.gov.vn")], text="Sẽ gửi báo cáo sau.")
    assert run(campaign, raw)[1].unit == "ubnd-an-thi"


def test_two_units_named_at_once_is_unmatched_with_both(campaign, docx):
    raw = simple(sender=GMAIL, subject="Bao cao giam sat huyen Van Lam va huyen Yen My",
                 files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.unit, decision.action) == ("unmatched", None, "review")
    assert decision.candidates == ["ubnd-van-lam", "ubnd-yen-my"]
    assert any("ubnd-van-lam" in r and "ubnd-yen-my" in r for r in decision.reasons)
    assert any(r.startswith("Thư nêu tên nhiều đơn vị: UBND huyện Văn Lâm (") and "UBND huyện Yên Mỹ (" in r
               for r in decision.reasons_vi)


def test_ambiguous_names_settled_by_the_document(campaign, docx):
    raw = simple(sender=GMAIL, subject="Bao cao Van Lam, Yen My", files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    decision = run(campaign, raw, reader(BC_docx=outline(HUYEN_KEYS, unit="ubnd-yen-my", rows=3)))[1]
    assert (decision.category, decision.unit, decision.action) == ("report", "ubnd-yen-my", "acknowledge")


def test_unit_from_a_file_name(campaign, docx):
    raw = simple(sender=GMAIL, subject="Re: V/v gui bao cao", text="Gui Ban bao cao.",
                 files=[attachment(docx, "BC huyen An Thi - CN TTCN.docx", DOCX_TYPE, style="plain")])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.unit) == ("report", "ubnd-an-thi")


def test_unit_from_the_document_itself(campaign, docx):
    raw = simple(sender=GMAIL, subject="Gui bao cao", text="Gui Ban.", files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    decision = run(campaign, raw, reader(BC_docx=outline(HUYEN_KEYS, unit="ubnd-kim-dong", rows=1)))[1]
    assert (decision.category, decision.unit) == ("report", "ubnd-kim-dong")
    assert "document 'BC.docx' is issued by ubnd-kim-dong" in decision.reasons


def test_a_zone_name_in_a_file_name_is_not_the_district(campaign, docx):
    raw = simple(sender=GMAIL, subject="Gui bao cao", text="Gui Ban.",
                 files=[attachment(docx, "BC tinh hinh KCN Yen My.docx", DOCX_TYPE, style="plain")])
    zones_board = outline(HUYEN_KEYS, unit="bql-kcn", issuer="BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP")
    decision = run(campaign, raw, reader(BC_tinh_hinh_KCN_Yen_My_docx=zones_board))[1]
    assert decision.unit == "bql-kcn"
    assert not any("ubnd-yen-my" in r for r in decision.reasons)  # "KCN Yen My" is a zone, not the district


def test_document_header_outranks_a_name_in_a_file_name(campaign, docx):
    raw = simple(sender=GMAIL, subject="Gui bao cao", text="Gui Ban.",
                 files=[attachment(docx, "BC huyen Yen My.docx", DOCX_TYPE, style="plain")])
    zones_board = outline(HUYEN_KEYS, unit="bql-kcn", issuer="BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP")
    decision = run(campaign, raw, reader(BC_huyen_Yen_My_docx=zones_board))[1]
    assert decision.unit == "bql-kcn"
    assert decision.reasons[0].startswith("document 'BC huyen Yen My.docx' is issued by bql-kcn, which outranks")
    assert decision.reasons_vi[0].startswith("Văn bản “BC huyen Yen My.docx” do Ban Quản lý các KCN tỉnh ban hành; "
                                             "căn cứ này được ưu tiên hơn việc UBND huyện Yên Mỹ được nêu tên")


def test_name_stands_against_a_document_without_a_header(campaign, docx):
    raw = simple(sender=GMAIL, subject="Bao cao huyen Yen My", files=[attachment(docx, "PL.docx", DOCX_TYPE)])
    decision = run(campaign, raw, reader(PL_docx=outline(HUYEN_KEYS, unit="bql-kcn", issuer=None)))[1]
    assert decision.unit == "ubnd-yen-my" and "note: document 'PL.docx' names bql-kcn" in decision.reasons


def test_registered_address_stands_against_the_document_header(campaign, docx):
    raw = simple(sender=VAN_LAM, files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    decision = run(campaign, raw, reader(BC_docx=outline(HUYEN_KEYS, unit="ubnd-yen-my", rows=1)))[1]
    assert decision.unit == "ubnd-van-lam" and "note: document 'BC.docx' is issued by ubnd-yen-my" in decision.reasons


def test_names_in_quoted_text_of_the_committee_do_not_count(campaign, docx):
    text = ("Gui Ban bao cao.\n\n"
            "Vào Th 2, 6 thg 5, 2024 lúc 07:02 Ban KTNS <ktns.hdndhy@gmail.com> đã viết:\n"
            "> Kính gửi: UBND huyện Văn Lâm; UBND huyện Yên Mỹ; UBND huyện Ân Thi\n\n"
            "From: Ban Kinh tế - Ngân sách HĐND tỉnh Hưng Yên\nSent: Monday\nTo: UBND huyện Kim Động\n"
            "Subject: V/v đôn đốc\n\nKính gửi UBND huyện Kim Động, UBND thị xã Mỹ Hào ...")
    raw = simple(sender=GMAIL, subject="Re: V/v gui bao cao", text=text,
                 files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.candidates) == ("unmatched", [])
    assert own_words(text, campaign) == "Gui Ban bao cao."


def test_forwarded_cover_note_counts_but_not_its_headers(campaign):
    text = ("Chuyển Ban.\n\n---------- Forwarded message ---------\n"
            "From: Phòng Kinh tế <pkt@gmail.com>\nSubject: UBND huyện Văn Lâm\nTo: <x@y>\n\n"
            "UBND huyện Ân Thi gửi báo cáo.")
    assert own_words(text, campaign) == "Chuyển Ban.\n\n\nUBND huyện Ân Thi gửi báo cáo."
    assert run(campaign, simple(sender=GMAIL, subject="Fwd: báo cáo", text=text))[1].unit == "ubnd-an-thi"


# ------------------------------------------------------------------ documents and actions


def test_report_complete_when_docx_and_workbook_cover_the_outline_together(campaign, docx):
    files = [attachment(docx, "BC.docx", DOCX_TYPE), attachment(docx_bytes("Phụ lục"), "PL.xlsx")]
    answers = reader(BC_docx=outline([k for k in HUYEN_KEYS if k != "PL"]),
                     PL_xlsx=replace(outline([], rows=5), outline=None, format="xlsx"))
    decision = run(campaign, simple(sender=VAN_LAM, files=files), answers)[1]
    assert (decision.category, decision.action, decision.missing) == ("report", "acknowledge", [])
    assert len(decision.documents) == 2


def test_missing_items_over_all_documents(campaign, docx):
    files = [attachment(docx, "BC.docx", DOCX_TYPE), attachment(docx_bytes("Phụ lục"), "PL.xlsx")]
    answers = reader(BC_docx=outline(["I", "II", "II.1", "II.2", "II.2.1", "II.2.2", "III"]),
                     PL_xlsx=replace(outline([], rows=0), outline=None, format="xlsx"))
    decision = run(campaign, simple(sender=VAN_LAM, files=files), answers)[1]
    assert (decision.action, decision.missing) == ("ask_for_missing", ["II.3", "IV", "PL"])


def test_only_scans_ask_for_the_word_file(campaign):
    scan = Extraction(file="", format="pdf", scanned=True)
    decision = run(campaign, simple(sender=VAN_LAM, files=[attachment(PDF_BYTES, "scan.pdf", "application/pdf")]),
                   reader(scan_pdf=scan))[1]
    assert (decision.category, decision.action) == ("report", "ask_for_docx")


def test_word_file_with_its_scan_is_judged_on_the_word_file(campaign, docx):
    files = [attachment(docx, "BC.docx", DOCX_TYPE), attachment(PDF_BYTES, "scan.pdf", "application/pdf")]
    answers = reader(BC_docx=outline([k for k in HUYEN_KEYS if k != "IV"], rows=2),
                     scan_pdf=Extraction(file="", format="pdf", scanned=True))
    decision = run(campaign, simple(sender=VAN_LAM, files=files), answers)[1]
    assert (decision.action, decision.missing, len(decision.documents)) == ("ask_for_missing", ["IV"], 2)


@pytest.mark.parametrize("file,reason", [
    (attachment(b"Rar!\x1a\x07\x00" + b"\x00" * 50, "Bao cao.rar"), "RAR archive is not supported"),
    (attachment(b"PK\x03\x04" + b"\x00" * 30, "Bao cao.docx", DOCX_TYPE), "damaged file"),
    (attachment(encrypted_zip("BC.docx", b"PK\x03\x04 inner"), "BC.zip"), "password-protected"),
    (attachment(b"MZ" + b"\x00" * 30, "BC.exe"), "an executable program"),
])
def test_unreadable_attachments_are_unsupported(campaign, file, reason):
    message, decision = run(campaign, simple(sender=VAN_LAM, files=[file]))
    assert (decision.category, decision.action, decision.unit) == ("unsupported", "ask_for_resend", "ubnd-van-lam")
    assert any(reason in r for r in decision.reasons)
    (attached, refused), = decision.unreadable
    # The secretary reads the file's reason in the words the sender is given.
    where = f" (trong {attached.origin})" if attached.origin else ""
    assert decision.reasons_vi[1] == f"“{attached.filename}”{where}: {refused.error_vi}"
    assert refused.error_vi and refused.error.startswith(reason.split(" (")[0][:10])
    assert decision.to_json(message)["unreadable"][0]["reason_vi"] == refused.error_vi


def test_oversized_document_is_unsupported(campaign, docx):
    raw = simple(sender=VAN_LAM, files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    message = parse_message(raw, replace(campaign.limits, max_attachment_mb=0.01))
    decision = classify(message, campaign)
    assert decision.category == "unsupported" and "over the 0.01 MB limit" in decision.reasons[1]


def test_docx_inside_a_zip_and_a_forward_is_read(campaign, docx):
    inner = simple(sender="phong@gmail.com", subject="BC", files=[attachment(zip_bytes({"BC.docx": docx}), "BC.zip")])
    decision = run(campaign, simple(sender=VAN_LAM, files=[forwarded(inner)]))[1]
    assert decision.category == "report" and len(decision.documents) == 1
    assert decision.documents[0][0].origin == "Fwd: BC / BC.zip"


def test_byte_identical_files_are_read_once(campaign, docx):
    files = [attachment(docx, "BC.docx", DOCX_TYPE), attachment(docx, "BC (1).docx", DOCX_TYPE)]
    decision = run(campaign, simple(sender=VAN_LAM, files=files))[1]
    assert len(decision.documents) == 1 and "'BC (1).docx' attached twice: read once" in decision.reasons
    assert "Tệp “BC (1).docx” được đính kèm hai lần: chỉ đọc một lần" in decision.reasons_vi


def test_reader_failure_is_a_reason_not_a_crash(campaign, docx):
    def broken(data, filename, campaign, unit_id=None):
        raise RuntimeError("boom")

    decision = run(campaign, simple(sender=VAN_LAM, files=[attachment(docx, "BC.docx", DOCX_TYPE)]), broken)[1]
    assert decision.category == "unsupported" and "the reader failed: RuntimeError: boom" in decision.reasons[1]
    assert decision.reasons_vi[1] == ("“BC.docx”: Tệp đính kèm bị lỗi, không đọc được nội dung; đề nghị quý cơ quan "
                                      "gửi lại tệp báo cáo.")


# ------------------------------------------------------------------ no document


def test_drive_link_is_link_only(campaign):
    text = "Do dung lượng lớn, đơn vị gửi link báo cáo:\nhttps://drive.google.com/file/d/1Qm7/view?usp=sharing"
    decision = run(campaign, simple(sender=VAN_LAM, text=text))[1]
    assert (decision.category, decision.action, decision.unit) == ("link_only", "ask_for_file", "ubnd-van-lam")
    assert decision.links == ["https://drive.google.com/file/d/1Qm7/view?usp=sharing"]


def test_onedrive_link_only_in_the_html(campaign):
    html = '<p>Gửi Ban <a href="https://1drv.ms/w/s!AbCd">báo cáo giám sát</a></p>'
    raw = build([("From", GMAIL), ("Subject", "Bao cao huyen Yen My")], [text_part(html, "html")])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.unit) == ("link_only", "ubnd-yen-my")


def test_link_in_the_committee_quoted_letter_does_not_count(campaign):
    text = ("Đơn vị sẽ gửi báo cáo sau.\n\nOn Mon, 6 May 2024, Ban KTNS <ktns.hdndhy@gmail.com> wrote:\n"
            "> Đề cương tại https://drive.google.com/file/d/abc/view")
    assert run(campaign, simple(sender=VAN_LAM, text=text))[1].category == "no_attachment"


def test_logo_only_is_no_attachment(campaign):
    logo = attachment(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image001.png", "image/png", disposition="inline",
                      content_id="image001")
    decision = run(campaign, simple(sender=VAN_LAM, text="Sẽ gửi báo cáo trong ngày 13/5.", files=[logo]))[1]
    assert (decision.category, decision.action, decision.unit) == ("no_attachment", "acknowledge_note", "ubnd-van-lam")
    assert decision.promised == dt.date(2024, 5, 13)  # the year of the mail's Date (8/5/2024)


@pytest.mark.parametrize("text, promised", [
    ("Thực hiện Kế hoạch số 35/KH-ĐGS ngày 26/4/2024, đơn vị sẽ gửi báo cáo ngày 13 tháng 5 năm 2024.", "2024-05-13"),
    ("Đơn vị xin gửi báo cáo chậm, dự kiến 15-05-2024.", "2024-05-15"),
    ("Theo Công văn số 12/5 ngày 2/5, đơn vị đang tổng hợp.", None),  # a number and a past day
    ("Đơn vị sẽ gửi báo cáo sau.", None),
    ("Hẹn ngày 31/2 hoặc 9/5.", "2024-05-09"),  # no 31 February
])
def test_the_promised_day_is_read_from_the_note(campaign, text, promised):
    decision = run(campaign, simple(sender=VAN_LAM, text=text))[1]
    assert decision.category == "no_attachment"
    assert (decision.promised.isoformat() if decision.promised else None) == promised
    assert decision.to_json(run(campaign, simple(sender=VAN_LAM, text=text))[0])["promised_date"] == promised


def test_a_note_of_no_unit_waits_for_the_secretary_without_an_answer(campaign):
    decision = run(campaign, simple(sender=GMAIL, subject="Báo cáo giám sát", text="Sẽ gửi báo cáo ngày 13/5."))[1]
    assert (decision.category, decision.unit, decision.action) == ("no_attachment", None, "review")


def test_stranger_not_writing_about_a_report_is_other(campaign):
    spam = simple(sender="sale@shop.example", subject="Khuyến mãi lớn", text="Mua ngay",
                  files=[attachment(zip_bytes({"invoice.exe": b"MZ" + b"\x00" * 100}), "Invoice.zip")])
    decision = run(campaign, spam)[1]
    assert (decision.category, decision.action) == ("other", "ignore")


def test_stranger_sending_a_rar_report_is_asked_to_resend(campaign):
    raw = simple(sender=GMAIL, subject="Gui bao cao giam sat", text="Gui Ban.",
                 files=[attachment(b"Rar!\x1a\x07\x00" + b"\x00" * 50, "bc.rar")])
    decision = run(campaign, raw)[1]
    assert (decision.category, decision.unit, decision.action) == ("unsupported", None, "ask_for_resend")


# ------------------------------------------------------------------ the JSON


def test_to_json_has_the_contract_shape(campaign, docx):
    raw = simple(sender=VAN_LAM, subject="V/v gửi báo cáo giám sát", files=[attachment(docx, "BC.docx", DOCX_TYPE)])
    message, decision = run(campaign, raw)
    out = decision.to_json(message)
    assert list(out)[:8] == ["message_id", "from", "subject", "category", "unit", "documents", "action", "reasons"]
    assert out["from"] == VAN_LAM and out["subject"] == "V/v gửi báo cáo giám sát"
    assert out["message_id"] == message.message_id and out["message_id"].startswith("<")
    assert (out["category"], out["unit"]) == ("report", "ubnd-van-lam")
    document, = out["documents"]
    assert {"file", "format", "scanned", "unit", "metadata", "outline", "sections", "tables",
            "warnings"} <= set(document)
    assert document["file"] == "BC.docx" and document["format"] == "docx"
    assert all(isinstance(r, str) for r in out["reasons"])
    json.dumps(out)


def test_message_without_from_or_headers_still_gets_a_category(campaign):
    for raw in (b"", b"\x00\x01", b"Subject: x\r\n\r\nhello", b"From: <<<\r\n\r\n\xff\xfe"):
        message, decision = run(campaign, raw)
        assert decision.category in ("other", "no_attachment") and decision.to_json(message)["from"] == ""


def test_mutilated_corpus_messages_never_raise(campaign):
    """Truncated, byte-flipped and boundary-less variants of the corpus messages."""
    rng = random.Random(20240510)
    originals = [p.read_bytes() for p in sorted(CORPUS_EMAILS.glob("*.eml"))]
    for n in range(120):
        raw = bytearray(rng.choice(originals))
        cut = rng.randrange(len(raw))
        if n % 3 == 0:
            raw = raw[:cut]
        elif n % 3 == 1:
            for _ in range(20):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        else:
            raw = raw.replace(b"--", b"-", rng.randrange(1, 6))
        message, decision = run(campaign, bytes(raw))
        assert decision.category in ("report", "unmatched", "no_attachment", "link_only", "unsupported",
                                     "auto_reply", "bounce", "other")
        json.dumps(decision.to_json(message))


# ------------------------------------------------------------------ the reasons in Vietnamese


@pytest.mark.parametrize("eml", sorted(CORPUS_EMAILS.glob("*.eml")), ids=lambda p: p.stem)
def test_every_corpus_reason_has_its_vietnamese_twin(campaign, eml):
    message, decision = run(campaign, eml.read_bytes())
    out = decision.to_json(message)
    assert out["reasons"] == decision.reasons and out["reasons_vi"] == decision.reasons_vi


@pytest.mark.parametrize("eml, expected", [
    ("e07", ["Đã đọc tệp “Bao cao tinh hinh du an.docx” (docx)",
             "Không xác định được đơn vị gửi từ địa chỉ, tên gọi hay văn bản đính kèm"]),
    ("e08", ["Địa chỉ ubnd.myhao@hungyen.gov.vn đã đăng ký cho UBND thị xã Mỹ Hào", "Thư không có tệp đính kèm",
             "Người gửi báo sẽ gửi báo cáo ngày 13 tháng 5 năm 2024"]),
    ("e09", ["Địa chỉ vanphong.myhao@hungyen.gov.vn đã đăng ký cho UBND thị xã Mỹ Hào",
             "Báo cáo chỉ gửi dưới dạng đường liên kết: "
             "https://drive.google.com/file/d/1Qm71e62056a3c32b54d4d8af08d/view?usp=sharing"]),
])
def test_the_secretary_reads_the_review_reasons_in_vietnamese(campaign, eml, expected):
    assert run(campaign, (CORPUS_EMAILS / f"{eml}.eml").read_bytes())[1].reasons_vi == expected


def test_a_forged_unit_address_is_told_in_vietnamese(campaign, docx):
    raw = simple(sender=VAN_LAM, files=[attachment(docx, "BC.docx", DOCX_TYPE)], headers=[
        ("Authentication-Results", "mx.google.com; dmarc=fail header.from=hungyen.gov.vn")])
    decision = run(campaign, raw)[1]
    assert decision.reasons_vi[0] == ("Kiểm tra DMARC của hungyen.gov.vn không đạt: địa chỉ gửi có thể bị giả mạo "
                                      f"(địa chỉ {VAN_LAM} đã đăng ký cho UBND huyện Văn Lâm, nhưng không được tin cậy)")
    assert decision.reasons[0] == ("DMARC failed for hungyen.gov.vn: the sender address may be forged "
                                   f"(sender address {VAN_LAM} registered for ubnd-van-lam, not trusted)")


def test_reasons_of_a_scan_only_report_and_of_missing_items(campaign, docx):
    scan = Extraction(file="", format="pdf", scanned=True)
    decision = run(campaign, simple(sender=VAN_LAM, files=[attachment(PDF_BYTES, "scan.pdf", "application/pdf")]),
                   reader(scan_pdf=scan))[1]
    assert decision.reasons_vi[1:] == ["Đã đọc tệp “scan.pdf” (pdf, bản scan)",
                                       "Chỉ có bản scan: hệ thống đề nghị đơn vị gửi tệp Word"]
    answers = reader(BC_docx=outline(["I", "II", "II.1", "II.2", "II.2.1", "II.2.2", "III"]))
    decision = run(campaign, simple(sender=VAN_LAM, files=[attachment(docx, "BC.docx", DOCX_TYPE)]), answers)[1]
    assert decision.reasons_vi[-1] == "Còn thiếu các mục của đề cương: II.3, IV, PL"


def test_the_chain_table_and_the_handlers_cover_every_category_and_action():
    """Each hit of classify's rules has its outcome, each outcome is a known category and action,
    and each action has its handler in the pass: a message can never fall between them."""
    from intake_bot import categories, pipeline
    from intake_bot.classify import OUTCOMES

    actions = {*categories.REPLY_ACTIONS, *categories.REVIEW_ACTIONS, categories.EXECUTE_COMMANDS,
               categories.IGNORE}
    assert {category for category, _ in OUTCOMES.values()} <= set(categories.CATEGORIES)
    assert {action for _, action in OUTCOMES.values()} == actions
    assert set(pipeline.HANDLERS) == actions
