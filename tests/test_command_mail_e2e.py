"""The secretary steers the campaign by mail, end to end on real parts: Dovecot holds the units'
mail and her command mails (Gmail, Outlook, HTML-only, no diacritics, a forward with NỘP THAY),
the pass executes them, aiosmtpd receives the confirmations; SQLite and PostgreSQL.

The campaign is the bundled one, where the secretary's address is the committee's mailbox."""
from __future__ import annotations

import datetime as dt
import email

import pytest

from intake_bot.digest import build_digest
from intake_bot.runtime import Runtime, one_pass
from intake_bot.status import status_report
from intake_bot.store.db import DATABASE_URL_ENV, Store

from . import command_mails as cm
from .conftest import CORPUS, REPO
from .dovecot import dovecot  # noqa: F401  (fixture)
from .mime_builder import simple
from .report_factory import build_report
from .smtp_sink import smtp_sink  # noqa: F401  (fixture)

VN = dt.timezone(dt.timedelta(hours=7))
FIRST = dt.datetime(2024, 5, 9, 9, 0, tzinfo=VN)
SECOND = FIRST + dt.timedelta(hours=2)
STRANGER = "phongkehoach.ht@gmail.com"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    if request.param == "sqlite":
        yield None
        return
    from .test_store import _postgres_schema_url

    url, drop = _postgres_schema_url()
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    yield url
    drop()


class Campaign:
    """The bundled campaign over one Dovecot account and one aiosmtpd sink."""

    def __init__(self, tmp_path, dovecot, smtp_sink):
        from intake_bot.cli import build_parser

        self.dovecot, self.sink = dovecot, smtp_sink
        args = build_parser().parse_args(["--config", str(REPO / "config" / "hung-yen-2024.toml"),
                                          "--data-dir", str(tmp_path / "data"), "--mailbox", dovecot.url,
                                          "--smtp", smtp_sink.url, "poll"])
        self.rt = Runtime(args)

    def poll(self, now: dt.datetime) -> dict:
        self.rt.now = now
        return one_pass(self.rt)

    def status(self, now: dt.datetime) -> dict:
        store = Store(self.rt.data_dir)
        try:
            return status_report(self.rt.campaign, store, now)
        finally:
            store.close()

    def digest_text(self, now: dt.datetime) -> str:
        store = Store(self.rt.data_dir)
        try:
            return build_digest(self.rt.campaign, store, now).text
        finally:
            store.close()

    def ref_of(self, now: dt.datetime, sender: str) -> int:
        return next(item["ref"] for item in self.status(now)["review"] if item["from"] == sender)

    def mail_to(self, address: str) -> list[email.message.EmailMessage]:
        return [r.message for r in self.sink.received if address in r.rcpt_tos]


@pytest.fixture
def committee(tmp_path, dovecot, smtp_sink, database, monkeypatch):
    for name, value in dovecot.env.items():
        monkeypatch.setenv(name, value)
    return Campaign(tmp_path, dovecot, smtp_sink)


def unit_of(report: dict, unit_id: str) -> dict:
    return next(u for u in report["units"] if u["unit"] == unit_id)


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def test_her_replies_from_every_client_are_obeyed_once_and_confirmed_threaded(committee):
    for name in ("e07", "e08", "e03"):  # unmatched, a unit's mail without a report, a report
        committee.dovecot.append((CORPUS / "emails" / f"{name}.eml").read_bytes())
    committee.poll(FIRST)
    unmatched, no_report = committee.ref_of(FIRST, STRANGER), committee.ref_of(FIRST, "ubnd.myhao@hungyen.gov.vn")
    assert f"GÁN #{unmatched} <tên đơn vị>" in committee.digest_text(FIRST)

    mails = {
        "gmail": cm.gmail_reply([f"GÁN #{unmatched} Ân Thi"], message_id="<gmail-1@mail.gmail.com>"),
        "outlook": cm.outlook_reply(["ĐÃ NHẬN BẢN GIẤY Yên Mỹ"], message_id="<outlook-1@hungyen.gov.vn>"),
        "no diacritics": cm.plain(["mien kim dong"], subject="lenh", message_id="<ascii-1@mail.gmail.com>"),
        "html only": cm.html_only_reply([f"BỎ QUA #{no_report} đơn vị hỏi thời hạn"],
                                        message_id="<html-1@mail.gmail.com>"),
    }
    for raw in mails.values():
        committee.dovecot.append(raw)
    committee.poll(SECOND)

    report = committee.status(SECOND)
    assert unit_of(report, "ubnd-an-thi")["version"] == 1  # GÁN: the stranger's document is Ân Thi's
    assert unit_of(report, "ubnd-yen-my")["status"] == "received_offline"
    assert unit_of(report, "ubnd-kim-dong")["status"] == "exempt"
    assert not any(item["ref"] in (unmatched, no_report) for item in report["review"])
    lines = [c["line"] for c in report["commands"]]
    assert sorted(lines) == sorted([f"GÁN #{unmatched} Ân Thi", "ĐÃ NHẬN BẢN GIẤY Yên Mỹ", "mien kim dong",
                                    f"BỎ QUA #{no_report} đơn vị hỏi thời hạn"])  # never a quoted digest line
    assert all(c["result"] == "done" and c["from"] == cm.SECRETARY for c in report["commands"])
    assert not any(u["reminders_paused"] for u in report["units"])  # "TẠM DỪNG NHẮC" was only quoted

    confirmations = committee.mail_to(cm.SECRETARY)
    assert sorted(m["In-Reply-To"] for m in confirmations) == sorted(
        ["<gmail-1@mail.gmail.com>", "<outlook-1@hungyen.gov.vn>", "<ascii-1@mail.gmail.com>", "<html-1@mail.gmail.com>"])
    for message in confirmations:
        assert message["To"].addresses[0].addr_spec == cm.SECRETARY and not message["Cc"]
        assert message["In-Reply-To"] in message["References"]
        body = text_of(message)
        assert "Đã thực hiện (lệnh #" in body and "HOÀN TÁC #" in body, body
    # GÁN: the stranger who sent the report gets the usual acknowledgement, as Ân Thi's.
    assert any("Ân Thi" in m["Subject"] for m in committee.mail_to(STRANGER))

    # Seen again: the same bytes, and the same Message-ID in other bytes (a client that resent it).
    committee.dovecot.append(mails["gmail"])
    committee.dovecot.append(mails["outlook"].replace(b"X-Mailer: Microsoft Outlook 16.0", b"X-Mailer: Outlook"))
    sent_before = len(committee.sink.received)
    committee.poll(SECOND + dt.timedelta(minutes=5))
    assert len(committee.sink.received) == sent_before
    assert len(committee.status(SECOND)["commands"]) == 4

    digest = committee.digest_text(SECOND + dt.timedelta(hours=8))
    assert f'"GÁN #{unmatched} Ân Thi" – đã thực hiện' in digest and "Đinh Thị Miên" in digest


def test_a_forward_on_behalf_of_a_unit_is_its_report_without_acknowledging_it(committee):
    report = build_report("ubnd-my-hao")
    forward = cm.gmail_forward(["NỘP THAY Mỹ Hào"], report.data, "Bao cao My Hao.docx", STRANGER,
                               message_id="<fwd-1@mail.gmail.com>")
    committee.dovecot.append(forward)
    committee.poll(FIRST)
    status = committee.status(FIRST)
    my_hao = unit_of(status, "ubnd-my-hao")
    assert my_hao["version"] == 1 and my_hao["status"] in ("complete", "incomplete")
    assert status["review"] == []
    assert committee.mail_to("ubnd.myhao@hungyen.gov.vn") == [] and committee.mail_to(STRANGER) == []
    (confirmation,) = committee.mail_to(cm.SECRETARY)
    assert confirmation["In-Reply-To"] == "<fwd-1@mail.gmail.com>"
    assert "NỘP THAY Mỹ Hào" in text_of(confirmation)


def test_a_forward_with_bao_don_vi_acknowledges_the_unit(committee):
    report = build_report("ubnd-my-hao")
    committee.dovecot.append(cm.gmail_forward(["NỘP THAY Mỹ Hào", "BÁO ĐƠN VỊ"], report.data, "BC.docx", STRANGER))
    committee.poll(FIRST)
    assert committee.mail_to("ubnd.myhao@hungyen.gov.vn")
    assert committee.mail_to(STRANGER) == []


def test_a_mail_without_any_command_gets_the_help_text(committee):
    committee.dovecot.append(cm.gmail_reply(["Cảm ơn, tôi đã xem."], message_id="<thanks@mail.gmail.com>"))
    committee.poll(FIRST)
    (reply,) = committee.mail_to(cm.SECRETARY)
    assert "TRỢ GIÚP" in text_of(reply) and "GÁN" in text_of(reply)
    assert committee.status(FIRST)["commands"] == []


def test_nobody_else_can_command_and_she_is_told(committee):
    forged = cm.with_authentication(cm.plain(["MIỄN Ân Thi"], message_id="<forged@evil.example>"), "fail")
    unit = simple(sender="ubnd.vanlam@hungyen.gov.vn", subject="Về báo cáo", text="MIỄN Văn Lâm\nTrân trọng.")
    stranger = simple(sender=STRANGER, subject="TẠM DỪNG NHẮC", text="Xin dừng nhắc.")
    for raw in (forged, unit, stranger):
        committee.dovecot.append(raw)
    committee.poll(FIRST)
    status = committee.status(FIRST)
    assert all(u["status"] != "exempt" for u in status["units"])
    assert not any(u["reminders_paused"] for u in status["units"])
    assert sorted((c["from"], c["result"]) for c in status["commands"]) == sorted(
        [(cm.SECRETARY, "refused"), ("ubnd.vanlam@hungyen.gov.vn", "refused"), (STRANGER, "refused")])
    assert committee.mail_to(cm.SECRETARY) == []  # no confirmation to a forger
    digest = committee.digest_text(FIRST + dt.timedelta(hours=8))
    section = digest[digest.index("Thư ra lệnh không được thực hiện"):]
    assert '"MIỄN Ân Thi"' in section and '"MIỄN Văn Lâm"' in section and '"TẠM DỪNG NHẮC"' in section


def test_a_genuine_commander_passes_the_trusted_receivers_check(committee):
    genuine = cm.with_authentication(cm.plain(["MIỄN Ân Thi"], message_id="<signed@mail.gmail.com>"), "pass")
    committee.dovecot.append(genuine)
    committee.poll(FIRST)
    assert unit_of(committee.status(FIRST), "ubnd-an-thi")["status"] == "exempt"


def test_a_command_mail_recorded_before_a_crash_is_carried_out_on_the_next_pass(committee, monkeypatch):
    from intake_bot import pipeline

    committee.dovecot.append(cm.plain(["MIỄN Ân Thi"], message_id="<crash@mail.gmail.com>"))

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies right after the commit, before the commands run

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(pipeline, "carry_out_commands", crash)
        committee.poll(FIRST)
    recorded = committee.status(FIRST)
    assert recorded["messages"]["total"] == 1 and recorded["commands"] == []  # recorded, not carried out
    committee.poll(SECOND)
    assert unit_of(committee.status(SECOND), "ubnd-an-thi")["status"] == "exempt"
    assert len(committee.mail_to(cm.SECRETARY)) == 1


def test_the_digest_and_the_confirmations_come_back_and_command_nothing(committee):
    from intake_bot.cli import main

    committee.dovecot.append(cm.plain(["MIỄN Ân Thi"], message_id="<exempt@mail.gmail.com>"))
    committee.poll(FIRST)
    evening = FIRST.replace(hour=17, minute=30)
    assert main(["--config", str(REPO / "config" / "hung-yen-2024.toml"), "--data-dir", str(committee.rt.data_dir),
                 "--smtp", committee.sink.url, "--now", evening.isoformat(), "digest", "--send"]) == 0
    assert len(committee.mail_to(cm.SECRETARY)) == 2  # the confirmation and the digest, with its copy lines
    for received in list(committee.sink.received):  # both come back into the committee's mailbox
        committee.dovecot.append(received.raw)
    committee.poll(evening + dt.timedelta(minutes=5))
    assert [c["line"] for c in committee.status(evening)["commands"]] == ["MIỄN Ân Thi"]
    assert len(committee.mail_to(cm.SECRETARY)) == 2


def test_a_unit_reply_to_an_additional_request_closes_it(committee):
    committee.dovecot.append(cm.plain(["YÊU CẦU BỔ SUNG Văn Lâm 20/5/2024: số liệu lao động năm 2023"],
                                      message_id="<req@mail.gmail.com>"))
    committee.poll(FIRST)
    (request,) = [m for m in committee.mail_to("ubnd.vanlam@hungyen.gov.vn")]
    (item,) = unit_of(committee.status(FIRST), "ubnd-van-lam")["requests"]
    assert item["status"] == "open"
    answer = simple(sender="ubnd.vanlam@hungyen.gov.vn", subject=f"Re: {request['Subject']}",
                    text="Kính gửi Ban, đơn vị gửi số liệu lao động.",
                    headers=[("In-Reply-To", request["Message-ID"]), ("References", request["Message-ID"])])
    committee.dovecot.append(answer)
    committee.poll(SECOND)
    (item,) = unit_of(committee.status(SECOND), "ubnd-van-lam")["requests"]
    assert item["status"] == "answered"




def test_a_request_named_by_its_reference_is_answered_too(committee):
    committee.dovecot.append(cm.plain(["YÊU CẦU BỔ SUNG Yên Mỹ 20/5/2024: danh sách dự án"],
                                      message_id="<req2@mail.gmail.com>"))
    committee.poll(FIRST)
    (item,) = unit_of(committee.status(FIRST), "ubnd-yen-my")["requests"]
    answer = simple(sender="ubnd.yenmy@hungyen.gov.vn", subject=f"Trả lời yêu cầu #{item['ref']}",
                    text="Gửi danh sách dự án.")
    committee.dovecot.append(answer)
    committee.poll(SECOND)
    (item,) = unit_of(committee.status(SECOND), "ubnd-yen-my")["requests"]
    assert item["status"] == "answered"
