"""Bounces, automatic replies and list mail as real servers write them: one small message per
rule of classify's BOUNCE_SIGNS and auto-reply signs, each built here the way a known server
writes it (DragonFly, sendmail, McAfee, MDaemon, Lotus Notes, vacation(1) ...), with the human
mail each rule must leave alone next to it. Then the whole real-world set in
../shared/external/realmail, when it is there."""
from __future__ import annotations

import json
import uuid
from dataclasses import replace

import pytest

from intake_bot.classify import classify
from intake_bot.message import parse_message
from tests.conftest import SHARED
from tests.mime_builder import DOCX_TYPE, attachment, build, docx_bytes, forwarded, simple, text_part
from tests.test_classify import VAN_LAM, assert_vietnamese_twins

REALMAIL = SHARED / "external" / "realmail"
UNKNOWN = "nobody@example.vn"


def plain(headers: list[tuple[str, str]], text: str, content_type: str = "text/plain; charset=utf-8") -> bytes:
    """A single-part message with exactly these headers (Message-ID and Date added)."""
    head = [*headers, ("Message-ID", f"<{uuid.uuid4().hex}@test.example>"),
            ("Date", "Thu, 09 May 2024 08:00:00 +0700"), ("MIME-Version", "1.0"), ("Content-Type", content_type)]
    return "\r\n".join(f"{n}: {v}" for n, v in head).encode() + b"\r\n\r\n" + text.replace("\n", "\r\n").encode()


def run(campaign, raw: bytes):
    decision = classify(parse_message(raw, campaign.limits), campaign)
    assert_vietnamese_twins(decision.reasons, decision.reasons_vi, campaign)
    return decision


def failure_text(address: str) -> str:
    return (f"This is the mail system at mx.example.vn.\n\nThere was an error delivering your mail to "
            f"<{address}>.\n\n550 mailbox unavailable\n")


# ------------------------------------------------------------------ the committee's own addresses


def test_mail_from_an_own_address_that_no_commander_uses_is_no_unit_s_nor_the_bot_s(campaign):
    """A sending address of the bot that is no commander's: a person there wrote it (no
    X-Intake-Bot): ignored, but not the bot's own mail, so the digest lists it."""
    sending = "guithu.hdnd@hungyen.gov.vn"
    with_sender = replace(campaign, own_addresses=campaign.own_addresses | {sending})
    decision = run(with_sender, simple(sender=sending, subject="Báo cáo giám sát", text="Gửi thử."))
    assert (decision.category, decision.action, decision.own_mail) == ("other", "ignore", False)
    assert decision.reasons == [f"sent from the committee's own address {sending}"]


# ------------------------------------------------------------------ bounces


@pytest.mark.parametrize("sender", ["MAILER-DAEMON <>", "<>", '"Jetmail System" <>', "mailer-daemon",
                                    "Mail Delivery Subsystem <MAILER-DAEMON>", "post_master@vtext.example.com",
                                    "<Postmaster\\@mx.example.vn@mx.example.vn>", "MDaemon@mail.example.vn"])
def test_a_mail_system_sender_is_a_bounce(campaign, sender):
    decision = run(campaign, plain([("From", sender), ("Subject", "Mail delivery failed")], failure_text(VAN_LAM)))
    assert (decision.category, decision.action, decision.bounced_addresses) == (
        "bounce", "notify_secretary", [VAN_LAM])


def test_a_null_sender_outranks_auto_reply_headers(campaign):
    raw = plain([("From", "mailer-daemon"), ("Return-Path", "<>"), ("Auto-Submitted", "auto-replied"),
                 ("Precedence", "list"), ("Subject", "There was an error sending your mail")], failure_text(UNKNOWN))
    assert run(campaign, raw).category == "bounce"


def test_a_mailer_daemon_return_path_is_a_bounce(campaign):
    raw = simple(sender="Mail Delivery System <Mail.Delivery.System@mx.example.vn>", subject="Notification",
                 headers=[("Return-Path", "<MAILER-DAEMON@mx.example.vn>")], text=failure_text(UNKNOWN))
    decision = run(campaign, raw)
    assert decision.category == "bounce"
    assert decision.reasons[0] == "bounce: Return-Path MAILER-DAEMON@mx.example.vn"


def delivery_status(recipient: str) -> bytes:
    return f"Reporting-MTA: dns; mx.example.vn\n\nFinal-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.1.1\n".encode()


def status_part(recipient: str):
    return type(text_part(""))("message/delivery-status", delivery_status(recipient), encoding="7bit")


@pytest.mark.parametrize("report_type", ["", "; report-type=delivery-status"])
def test_multipart_report_with_or_without_report_type(campaign, report_type):
    raw = build([("From", "Mail Delivery System <relay@mx.example.vn>"), ("Subject", "Notification")],
                [text_part("Your message could not be delivered."), status_part(VAN_LAM)],
                subtype="report", extra_content_type=report_type)
    decision = run(campaign, raw)
    assert (decision.category, decision.bounced_addresses) == ("bounce", [VAN_LAM])


def test_a_feedback_report_is_no_bounce(campaign):
    arf = type(text_part(""))("message/feedback-report", b"Feedback-Type: abuse\nUser-Agent: x/1\nVersion: 1\n",
                              encoding="7bit")
    raw = build([("From", "fbl@isp.example"), ("Subject", "Abuse report")], [text_part("A complaint."), arf],
                subtype="report", extra_content_type="; report-type=feedback-report")
    assert run(campaign, raw).category == "other"


def test_a_bare_delivery_status_entity_is_a_bounce(campaign):
    raw = plain([("From", "relay@mx.example.vn"), ("Subject", "")], delivery_status(VAN_LAM).decode(),
                content_type="message/delivery-status")
    decision = run(campaign, raw)
    assert (decision.category, decision.bounced_addresses) == ("bounce", [VAN_LAM])


def test_a_delivery_status_part_in_a_mixed_message_is_a_bounce(campaign):
    raw = build([("From", "gateway@mx.example.vn"), ("Subject", "Delivery Status")],
                [text_part("The following addresses had delivery problems"), status_part(VAN_LAM)])
    assert run(campaign, raw).category == "bounce"


def test_a_bounce_forwarded_by_a_unit_is_the_unit_writing(campaign):
    """The delivery-status inside an attached message is someone else's bounce, forwarded."""
    inner = build([("From", "relay@mx.example.vn"), ("Subject", "Undeliverable")],
                  [text_part("Could not be delivered."), status_part("ubnd.yenmy@hungyen.gov.vn")],
                  subtype="report", extra_content_type="; report-type=delivery-status")
    raw = build([("From", VAN_LAM), ("Subject", "Fwd: Undeliverable: V/v báo cáo giám sát")],
                [text_part("Kính gửi Ban, thư của Ban gửi huyện Yên Mỹ bị trả lại."), forwarded(inner)])
    decision = run(campaign, raw)
    assert (decision.category, decision.unit) == ("no_attachment", "ubnd-van-lam")


def test_auto_submitted_failure_is_a_bounce_not_an_auto_reply(campaign):
    raw = plain([("From", "root@mx.example.vn"), ("Auto-Submitted", "auto-generated (failure)"),
                 ("Subject", "Returned mail: see transcript for details")], failure_text(VAN_LAM))
    assert run(campaign, raw).category == "bounce"


def test_a_bounce_relayed_by_a_list_manager_is_a_bounce(campaign):
    lists = [("List-Id", "<campaign.lists.example.vn>"), ("List-Post", "<mailto:campaign@lists.example.vn>"),
             ("Precedence", "bulk"), ("Sender", "campaign-owner@lists.example.vn")]
    raw = build([("From", "inetgw@example.vn"), ("Subject", "Mail could not be delivered"), *lists],
                [text_part("The following mail could not be delivered.\nReason: mailbox full"),
                 forwarded(simple(sender="ktns.hdndhy@gmail.com"))])
    assert run(campaign, raw).category == "bounce"


@pytest.mark.parametrize("subject,text", [
    ("Delivery Failure", "Could not deliver message to the following recipient(s):\nFailed Recipient: x@y.vn"),
    ("Returned Mail - Error During Delivery", "------ Failed Recipients ------\n<x@y.vn>: mailbox unavailable"),
    ("RE: V/v báo cáo (delivery failed)", "Votre message n'a pas pu etre delivre a x@y.vn"),
])
def test_a_failure_notice_said_in_words(campaign, subject, text):
    assert run(campaign, simple(sender="gateway@example.vn", subject=subject, text=text)).category == "bounce"


def test_failure_words_do_not_turn_a_report_or_a_forward_into_a_bounce(campaign):
    words = "Thư trước của đơn vị could not be delivered (undeliverable), nay gửi lại."
    report = simple(sender=VAN_LAM, subject="Re: Undeliverable: báo cáo giám sát", text=words,
                    files=[attachment(docx_bytes("BÁO CÁO"), "BC.docx", DOCX_TYPE)])
    assert run(campaign, report).category == "report"
    forward = simple(sender=VAN_LAM, subject="Fwd: Delivery failure", text=words)
    assert run(campaign, forward).category == "no_attachment"


def test_the_failed_unit_address_is_found_in_the_words_of_the_notice(campaign):
    """A notice with no machine-readable part still names the address: the registered unit
    addresses it names are the failed ones."""
    decision = run(campaign, plain([("From", "MAILER-DAEMON <>"), ("Subject", "Mail delivery failed")],
                                   failure_text("UBND.VanLam@hungyen.gov.vn")))
    assert decision.bounced_addresses == [VAN_LAM]
    assert (f"Không chuyển được thư tới {VAN_LAM} (địa chỉ đã đăng ký của UBND huyện Văn Lâm)"
            in decision.reasons_vi)


# ------------------------------------------------------------------ automatic replies


@pytest.mark.parametrize("headers,subject,text", [
    ([], "AUTO: Nguyen Van A is out of the office (returning 15/05/2024)", "I am out of the office until 15/05."),
    ([("Precedence", "junk")], "[Automatyczna odpowiedź] V/v báo cáo", "Dziękuję za wiadomość."),
    ([], "Ārpus biroja atrašanās automātiskā atbilde: V/v báo cáo", "I am out of office and will be back on Tuesday."),
    ([("Precedence", "junk")], "Réponse automatique: V/v báo cáo", "Je suis absent."),
    ([("Return-Path", "<>"), ("Precedence", "bulk")], "Thank you for your e-mail",
     "Thank you for your e-mail. I will endeavour to reply as soon as possible."),
    ([("Precedence", "bulk")], "Re: V/v gửi báo cáo", "Đây là thư trả lời tự động. Tôi sẽ trả lời sau."),
])
def test_automatic_replies_in_other_words_and_languages(campaign, headers, subject, text):
    decision = run(campaign, simple(sender=VAN_LAM, subject=subject, text=text, headers=headers))
    assert (decision.category, decision.action, decision.unit) == ("auto_reply", "ignore", "ubnd-van-lam")


def test_an_absence_written_by_a_person_is_not_an_auto_reply(campaign):
    """One weak sign (Outlook's suppress header) and a person's words about being away: the
    secretary sees it."""
    raw = simple(sender=VAN_LAM, subject="V/v báo cáo giám sát", headers=[("X-Auto-Response-Suppress", "All")],
                 text="Tôi đang đi công tác đến 15/5, báo cáo sẽ gửi sau.")
    assert run(campaign, raw).category == "no_attachment"


@pytest.mark.parametrize("headers,subject,text", [
    ([("Auto-Submitted", "auto-replied")], "Re: V/v gửi báo cáo", "Tôi sẽ trả lời sau."),
    ([("Auto-Submitted", "auto-generated")], "Re: V/v gửi báo cáo", "I am out of the office until 15 May."),
    ([], "Trả lời tự động: V/v gửi báo cáo", "Tôi đang nghỉ phép."),
])
def test_a_units_out_of_office_with_files_is_never_its_report(campaign, headers, subject, text):
    """An out-of-office that carries a signature picture and an old file is neither read as the
    unit's report nor answered."""
    files = [attachment(b"\x89PNG\r\n\x1a\n" + b"0" * 64, "chu-ky.png", "image/png"),
             attachment(docx_bytes("BÁO CÁO", "I. KHÁI QUÁT CHUNG"), "BC cu.docx", DOCX_TYPE)]
    decision = run(campaign, simple(sender=VAN_LAM, subject=subject, text=text, headers=headers, files=files))
    assert (decision.category, decision.action, decision.unit) == ("auto_reply", "ignore", "ubnd-van-lam")
    assert decision.documents == [] and decision.may_reply


# ------------------------------------------------------------------ the real-world set


@pytest.mark.skipif(not (REALMAIL / "truth.json").is_file(), reason=f"{REALMAIL} is absent (shared real-world mail)")
def test_real_world_bounces_auto_replies_and_lists(campaign):
    """Every labelled message of ../shared/external/realmail: at least 99 % of the bounces,
    every automatic reply and every list or bulk mail, and nothing answered."""
    truth = json.loads((REALMAIL / "truth.json").read_text())
    also_ok = json.loads((REALMAIL / "also_ok.json").read_text())
    right = {category: [] for category in ("bounce", "auto_reply", "other")}
    answered = []
    for rel, expected in sorted(truth.items()):
        decision = classify(parse_message((REALMAIL / rel).read_bytes(), campaign.limits), campaign)
        right[expected].append(decision.category == expected or decision.category in also_ok.get(rel, []))
        if decision.action.startswith(("acknowledge", "ask")):
            answered.append(rel)
    assert sum(right["bounce"]) >= 0.99 * len(right["bounce"]), f"{sum(right['bounce'])}/{len(right['bounce'])}"
    assert all(right["auto_reply"]) and all(right["other"])
    assert answered == []
