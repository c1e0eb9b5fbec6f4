"""The outbox against a real SMTP server (aiosmtpd on loopback) and real files."""
from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.header
import email.utils
import stat
from email import policy

import pytest

from intake_bot.draft import Draft
from intake_bot.outbox import (FileTransport, Outbox, SmtpTransport, message_id_for, open_transport,
                               retry_delay)
from intake_bot.store.db import NewMessage, Store
from tests.smtp_sink import free_port, smtp_sink, start_sink  # noqa: F401  (smtp_sink is a fixture)

ICT = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 5, 9, 10, 0, tzinfo=ICT)
UNIT_ADDRESS = "vanphong@vanlam.hungyen.gov.vn"
SUBJECT = "Xác nhận đã nhận báo cáo giám sát của UBND huyện Văn Lâm"
BODY = "Kính gửi UBND huyện Văn Lâm,\nBan Kinh tế - Ngân sách đã nhận được báo cáo số 125/BC-UBND.\n"


def draft(**fields) -> Draft:
    values = dict(kind="acknowledge", to=[UNIT_ADDRESS], subject=SUBJECT, text=BODY,
                  html="<p>Kính gửi <b>UBND huyện Văn Lâm</b>,</p>", unit="ubnd-van-lam",
                  in_reply_to="<abc@vanlam.hungyen.gov.vn>",
                  references=["<req@gmail.com>", "<abc@vanlam.hungyen.gov.vn>"])
    values.update(fields)
    return Draft(**values)


def display_name(raw: bytes) -> str:
    """The From display name decoded as RFC 2047 says (whitespace between adjacent encoded-words
    dropped), as mail clients do. The stdlib's newer address parser keeps that whitespace
    (CPython 3.11) and would show "Hưn g" where a long name is folded inside a word."""
    header = email.message_from_bytes(raw, policy=policy.compat32)["From"]
    decoded = str(email.header.make_header(email.header.decode_header(header)))
    return email.utils.parseaddr(decoded)[0]


def body(msg, subtype: str) -> str:
    """A decoded body part, line ends as in Python (the wire has CRLF)."""
    return msg.get_body((subtype,)).get_content().replace("\r\n", "\n")


def queue_reply(store: Store, outbox: Outbox, key: str, reply: Draft, at: dt.datetime = NOW) -> None:
    """Record a received message with `reply` queued to it, as a pass does."""
    store.record(NewMessage(source_key=f"src-{key}", raw_sha256="0" * 64, message_id=reply.in_reply_to,
                            sender=reply.to[0], subject="Báo cáo", received_at=at, category="report",
                            action="acknowledge"), [], [outbox.prepare(key, reply)], [], at)


def test_file_transport_writes_each_mail_once(store, campaign, tmp_path):
    outbox = Outbox(store, campaign)
    workbook = b"PK\x03\x04 not really a workbook"
    queue_reply(store, outbox, "ack:<abc@vanlam.hungyen.gov.vn>",
                draft(attachments=[("Tổng hợp phụ lục.xlsx", "application/vnd.ms-excel", workbook)]))
    transport = FileTransport(tmp_path / "outbox")
    assert outbox.flush(transport, NOW) == {"sent": 1, "retry": 0, "failed": 0, "unknown": 0}
    path = transport.path_for("ack:<abc@vanlam.hungyen.gov.vn>")
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == [path.name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = path.read_bytes()
    msg = email.message_from_bytes(written, policy=policy.default)
    assert msg["Subject"] == SUBJECT and msg["To"] == UNIT_ADDRESS
    assert display_name(written) == campaign.from_name
    assert body(msg, "plain") == BODY
    [attachment] = list(msg.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("Tổng hợp phụ lục.xlsx", workbook)
    assert b"\r\n" in written and "Văn Lâm".encode() not in written  # 7-bit, CRLF, as on the wire

    # Queued again under the same key: nothing new; flushed again: nothing to send.
    assert not outbox.queue("ack:<abc@vanlam.hungyen.gov.vn>", draft(subject="khác"), NOW)
    assert outbox.flush(transport, NOW + dt.timedelta(hours=1))["sent"] == 0

    # A worker that died while writing left the row in `sending`: the file is simply written again,
    # byte for byte the same.
    row = store.outgoing("ack:<abc@vanlam.hungyen.gov.vn>")
    store.set_outgoing_state(row.id, "sending")
    path.unlink()
    assert outbox.flush(transport, NOW + dt.timedelta(hours=2))["sent"] == 1
    assert path.read_bytes() == written
    assert store.outbox_counts()["sent"] == 1


def test_smtp_delivery_headers_and_vietnamese(store, campaign, smtp_sink):
    outbox = Outbox(store, campaign)
    key = "ack:<abc@vanlam.hungyen.gov.vn>"
    queue_reply(store, outbox, key, draft(cc=["lanhdao@vanlam.hungyen.gov.vn"]))
    outbox.queue("remind:ubnd-van-lam:before-1", draft(kind="reminder_before", in_reply_to=None, references=[]), NOW)
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW)["sent"] == 2
    ack, reminder = smtp_sink.received
    assert ack.mail_from == campaign.from_address
    assert sorted(ack.rcpt_tos) == ["lanhdao@vanlam.hungyen.gov.vn", UNIT_ADDRESS]
    msg = ack.message
    assert msg["Subject"] == SUBJECT
    assert display_name(ack.raw) == "Ban Kinh tế - Ngân sách HĐND tỉnh Hưng Yên"
    assert "=?utf-8?" in ack.raw.decode("ascii").split("\r\n\r\n")[0]  # RFC 2047 on the wire
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-Intake-Bot"] == f"{campaign.id}; kind=acknowledge"
    assert msg["In-Reply-To"] == "<abc@vanlam.hungyen.gov.vn>"
    assert msg["References"] == "<req@gmail.com> <abc@vanlam.hungyen.gov.vn>"
    assert msg["Message-ID"] == message_id_for(campaign.id, key, "gmail.com")
    assert msg["Precedence"] is None
    assert body(msg, "plain") == BODY
    assert "UBND huyện Văn Lâm" in body(msg, "html")
    assert reminder.message["Auto-Submitted"] == "auto-generated"
    assert reminder.message["X-Intake-Bot"] == f"{campaign.id}; kind=reminder_before"
    assert store.outgoing(key).state == "sent" and store.outgoing(key).sent_at == NOW


def test_temporary_refusal_is_retried_and_sent_once(store, campaign, smtp_sink):
    outbox = Outbox(store, campaign)
    queue_reply(store, outbox, "ack:1", draft())
    smtp_sink.refuse(UNIT_ADDRESS, "451 4.3.0 Mailbox busy, try later", times=1)
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW)["retry"] == 1
    row = store.outgoing("ack:1")
    assert (row.state, row.attempts, row.next_attempt_at) == ("queued", 1, NOW + dt.timedelta(minutes=2))
    assert "451" in row.last_error
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW + dt.timedelta(minutes=1))["sent"] == 0  # not due yet
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW + dt.timedelta(minutes=3))["sent"] == 1
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW + dt.timedelta(hours=3))["sent"] == 0
    assert len(smtp_sink.received) == 1
    assert (store.outgoing("ack:1").state, store.outgoing("ack:1").attempts) == ("sent", 2)


def test_permanent_refusal_fails_with_the_servers_reason(store, campaign, smtp_sink):
    outbox = Outbox(store, campaign)
    queue_reply(store, outbox, "ack:1", draft())
    smtp_sink.refuse(UNIT_ADDRESS, "550 5.1.1 No such user here")
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW)["failed"] == 1
    row = store.outgoing("ack:1")
    assert row.state == "failed" and "550 5.1.1 No such user here" in row.last_error
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW + dt.timedelta(days=1)) == {
        "sent": 0, "retry": 0, "failed": 0, "unknown": 0}
    assert smtp_sink.received == []


def test_one_refused_recipient_of_two_is_noted(store, campaign, smtp_sink):
    outbox = Outbox(store, campaign)
    queue_reply(store, outbox, "ack:1", draft(cc=["cu@vanlam.hungyen.gov.vn"]))
    smtp_sink.refuse("cu@vanlam.hungyen.gov.vn", "550 5.1.1 No such user")
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW)["sent"] == 1
    assert smtp_sink.received[0].rcpt_tos == [UNIT_ADDRESS]
    assert "cu@vanlam.hungyen.gov.vn: 550" in store.outgoing("ack:1").last_error


def test_a_mail_that_cannot_go_fails_alone(store, campaign, smtp_sink):
    outbox = Outbox(store, campaign)
    queue_reply(store, outbox, "ack:1", draft(to=["nguyễn@hungyen.gov.vn"]))
    queue_reply(store, outbox, "ack:2", draft(to=["vanthu@hưngyên.vn"], in_reply_to="<x@y>"))
    queue_reply(store, outbox, "ack:3", draft(in_reply_to="<z@y>"))
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW) == {"sent": 1, "retry": 0, "failed": 2, "unknown": 0}
    assert store.outgoing("ack:1").last_error.startswith("cannot build the mail")
    assert "not plain ASCII" in store.outgoing("ack:2").last_error
    assert [r.rcpt_tos for r in smtp_sink.received] == [[UNIT_ADDRESS]]


def test_connection_lost_after_data_is_unknown_and_not_resent(store, campaign, smtp_sink):
    outbox = Outbox(store, campaign)
    queue_reply(store, outbox, "ack:1", draft())
    queue_reply(store, outbox, "ack:2", draft(in_reply_to="<def@x>"))
    smtp_sink.drop_next()
    counts = outbox.flush(SmtpTransport(smtp_sink.url), NOW)
    assert (counts["unknown"], counts["sent"]) == (1, 1)  # a new connection serves the next mail
    assert store.outgoing("ack:1").state == "unknown" and "DATA" in store.outgoing("ack:1").last_error
    outbox.flush(SmtpTransport(smtp_sink.url), NOW + dt.timedelta(days=1))
    assert [len(smtp_sink.dropped), len(smtp_sink.received)] == [1, 1]
    assert store.outgoing("ack:1").state == "unknown"


def test_a_mail_caught_in_sending_is_never_resent_over_smtp(store, campaign, smtp_sink):
    outbox = Outbox(store, campaign)
    queue_reply(store, outbox, "ack:1", draft())
    store.begin_sending(store.outgoing("ack:1").id)  # then the worker died
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW)["unknown"] == 1
    assert store.outgoing("ack:1").state == "unknown" and smtp_sink.received == []


def test_unreachable_server_keeps_mail_queued_then_gives_up(store, campaign):
    outbox = Outbox(store, dataclasses.replace(campaign, smtp_max_attempts=2))
    queue_reply(store, outbox, "ack:1", draft())
    queue_reply(store, outbox, "ack:2", draft(in_reply_to="<def@x>"))
    closed = f"smtp://127.0.0.1:{free_port()}"
    assert outbox.flush(SmtpTransport(closed, timeout=2), NOW)["retry"] == 1
    # The server is down: the second mail was not even tried.
    assert [store.outgoing(k).attempts for k in ("ack:1", "ack:2")] == [1, 0]
    assert "cannot reach the SMTP server" in store.outgoing("ack:1").last_error
    outbox.flush(SmtpTransport(closed, timeout=2), NOW + retry_delay(1))
    row = store.outgoing("ack:1")
    assert row.state == "failed" and row.last_error.startswith("gave up after 2 attempts")


def test_starttls_and_login(store, campaign, tmp_path, monkeypatch):
    import ssl

    sink, controller = start_sink(starttls_dir=tmp_path, users={"bot": "s3cret-pass"})
    try:
        outbox = Outbox(store, campaign)
        queue_reply(store, outbox, "ack:1", draft())
        trusted = ssl.create_default_context(cafile=str(sink.cafile))
        monkeypatch.delenv("INTAKE_BOT_SMTP_PASSWORD", raising=False)
        url = f"smtp://bot@{sink.host}:{sink.port}"
        assert outbox.flush(SmtpTransport(url, tls_context=trusted), NOW)["retry"] == 1
        assert "set INTAKE_BOT_SMTP_PASSWORD" in store.outgoing("ack:1").last_error
        monkeypatch.setenv("INTAKE_BOT_SMTP_PASSWORD", "mật-khẩu")
        assert outbox.flush(SmtpTransport(url, tls_context=trusted), NOW + dt.timedelta(hours=1))["retry"] == 1
        assert "non-ASCII" in store.outgoing("ack:1").last_error and "ậ" not in store.outgoing("ack:1").last_error
        monkeypatch.setenv("INTAKE_BOT_SMTP_PASSWORD", "wrong")
        assert outbox.flush(SmtpTransport(url, tls_context=trusted), NOW + dt.timedelta(hours=2))["retry"] == 1
        assert "refused the login of bot" in store.outgoing("ack:1").last_error
        monkeypatch.setenv("INTAKE_BOT_SMTP_PASSWORD", "s3cret-pass")
        assert outbox.flush(SmtpTransport(url, tls_context=trusted), NOW + dt.timedelta(hours=3))["sent"] == 1
        assert (sink.received[0].tls, sink.received[0].login) == (True, "bot")
    finally:
        controller.stop()


def test_open_transport(tmp_path):
    assert open_transport("file:outbox", tmp_path).directory == tmp_path / "outbox"
    assert open_transport(f"file:{tmp_path / 'abs'}", "/elsewhere").directory == tmp_path / "abs"
    smtp = open_transport("smtps://bot%40gmail.com@smtp.gmail.com:465", tmp_path)
    assert (smtp.tls, smtp.host, smtp.port, smtp.user) == (True, "smtp.gmail.com", 465, "bot@gmail.com")
    with pytest.raises(ValueError, match="INTAKE_BOT_SMTP_PASSWORD"):
        open_transport("smtp://bot:secret@localhost:25", tmp_path)
    with pytest.raises(ValueError, match="expected file:DIR"):
        open_transport("ftp://x", tmp_path)


def test_retry_delay_doubles_up_to_a_cap():
    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert retry_delay(30) == dt.timedelta(hours=4)
