"""One poll pass end to end: a real Maildir of the sample mail, the real parser, classifier,
readers and composer, a real SQLite store, real files and a real SMTP server."""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import email
import email.utils
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from intake_bot import pipeline
from intake_bot.classify import REPLY_ACTIONS
from intake_bot.lock import PassLocked, pass_lock
from intake_bot.mailbox.base import DOCUMENT_TOO_LARGE, SourceMessage
from intake_bot.mailbox.maildir import MaildirSource
from intake_bot.message import parse_message
from intake_bot.outbox import FileTransport, Outbox, SmtpTransport
from intake_bot.digest import build_digest
from intake_bot.pipeline import Pass, PassSummary, run_pass
from intake_bot.replies import reply_refusal
from intake_bot.progress import unit_progress
from intake_bot.reader.extract import extract_bytes
from tests.conftest import CORPUS
from tests.mime_builder import DOCX_TYPE, attachment, docx_bytes, simple
from tests.dovecot import dovecot  # noqa: F401  (a fixture)
from tests.smtp_sink import free_port, smtp_sink  # noqa: F401  (a fixture)
from tests.test_classify import VIETNAMESE_LETTERS, assert_vietnamese_twins

EMAILS = CORPUS / "emails"
VAN_LAM = "ubnd.vanlam@hungyen.gov.vn"
_READ: dict = {}


def extract(data, filename, campaign, unit_id=None):
    """The real reader, each file read once per test run (the corpus is read in several tests)."""
    key = (hashlib.sha256(data).hexdigest(), filename, unit_id)
    if key not in _READ:
        _READ[key] = extract_bytes(data, filename, campaign, unit_id)
    return copy.deepcopy(_READ[key])


@pytest.fixture
def now(campaign):
    return dt.datetime(2024, 5, 9, 10, 0, tzinfo=campaign.tz)


def maildir_with(tmp_path: Path, campaign, names: list[str] | None = None) -> MaildirSource:
    """The sample mail, each file delivered when its Date header says (its arrival time)."""
    source = MaildirSource(tmp_path / "Maildir", campaign)
    for eml in sorted(EMAILS.glob("*.eml")):
        if names is None or eml.stem in names:
            delivered = tmp_path / "Maildir" / "new" / eml.stem
            shutil.copy(eml, delivered)
            sent = email.utils.parsedate_to_datetime(email.message_from_bytes(eml.read_bytes())["Date"])
            os.utime(delivered, (sent.timestamp(), sent.timestamp()))
    return source


class ListSource:
    """A mail source over given messages; `failing_marks` mark_processed calls raise first."""

    def __init__(self, items: list[SourceMessage], failing_marks: int = 0):
        self.items, self.failing_marks, self.marked = list(items), failing_marks, []

    def fetch_new(self):
        yield from [i for i in self.items if i.key not in self.marked]

    def mark_processed(self, key: str) -> None:
        if self.failing_marks:
            self.failing_marks -= 1
            raise OSError("the mailbox went away")
        self.marked.append(key)

    def close(self) -> None:
        """Nothing held."""


def report_mail(message_id: str, data: bytes, sender: str = VAN_LAM, name: str = "BC giam sat.docx") -> bytes:
    return simple(sender=sender, files=[attachment(data, name, DOCX_TYPE)],
                  headers=[("Message-ID", message_id)])


def test_the_sample_mailbox_once_and_only_once(campaign, store, tmp_path, now):
    source = maildir_with(tmp_path, campaign)
    transport = FileTransport(tmp_path / "outbox")
    first = run_pass(campaign, store, source, transport, now, extract=extract)
    truth = {p.stem.removesuffix(".truth"): json.loads(p.read_text()) for p in EMAILS.glob("*.truth.json")}
    assert (first.new, first.errors) == (len(truth), [])
    messages = {m.source_key.removeprefix("maildir:"): m for m in store.messages()}
    assert len(messages) == len(store.messages()) == len(truth)
    assert {k: m.category for k, m in messages.items()} == {k: t["category"] for k, t in truth.items()}

    # Replies go exactly to the messages whose action answers the sender, and never to
    # automatic mail, bounces, newsletters or messages the secretary alone can settle; a unit's
    # link or note is answered and still waits for her.
    replied = {row.message_row_id for row in store.outgoing_in_states("sent")}
    assert replied == {m.id for m in messages.values() if m.action in REPLY_ACTIONS}
    assert {m.category for m in messages.values() if m.id in replied} <= {
        "report", "unsupported", "link_only", "no_attachment"}
    assert {m.category for m in messages.values() if m.id in replied and m.review_state == "open"} == {
        "link_only", "no_attachment"}
    assert first.replies_queued == first.outbox["sent"] == len(replied) == len(list((tmp_path / "outbox").iterdir()))
    assert {m.category for m in messages.values() if m.review_state == "open"} == {"unmatched", "no_attachment", "link_only"}
    assert [e.kind for e in store.events(now - dt.timedelta(days=30))] == ["bounce"]
    assert store.consistency_check() == []
    # Every message keeps its reasons in both languages, those the pass added included.
    for m in messages.values():
        assert_vietnamese_twins(m.reasons, m.decision["reasons_vi"], campaign)
    assert {item.message_id: item.reasons_vi for item in store.review_queue()}[messages["e08"].message_id] == [
        "Địa chỉ ubnd.myhao@hungyen.gov.vn đã đăng ký cho UBND thị xã Mỹ Hào", "Thư không có tệp đính kèm",
        "Người gửi báo sẽ gửi báo cáo ngày 13 tháng 5 năm 2024"]
    # Văn Lâm's report and appendix, sent in one mail (e03), are its version 1 in two parts; its
    # .rar (e10, which arrived first) has none. The reply, the status and the digest name that one version.
    van_lam = [d for d in store.documents() if d.unit == "ubnd-van-lam"]
    assert sorted((d.message_row_id, d.version or 0, d.part or 0, d.error is None) for d in van_lam) == sorted([
        (messages["e03"].id, 1, 1, True), (messages["e03"].id, 1, 2, True), (messages["e10"].id, 0, 0, False)])
    ack = next(r for r in store.outgoing_in_states("sent") if r.message_row_id == messages["e03"].id)
    assert "phiên bản 1 của báo cáo" in ack.text and "phiên bản 2" not in ack.text
    progress = {p.unit: p for p in unit_progress(store, campaign, now)}["ubnd-van-lam"]
    assert progress.to_json()["version"] == 1 and {f["version"] for f in progress.to_json()["files"]} == {1}
    digest = build_digest(campaign, store, now).text
    assert "UBND huyện Văn Lâm: Còn thiếu nội dung; nhận lần đầu 9/5/2024; phiên bản 1;" in digest

    second = run_pass(campaign, store, source, transport, now + dt.timedelta(minutes=5), extract=extract)
    assert (second.new, second.already_recorded, second.outbox["sent"]) == (0, 0, 0)
    assert list(source.fetch_new()) == []
    assert len(store.messages()) == len(truth)


def test_a_resend_is_a_duplicate_and_a_corrected_file_the_next_version(campaign, store, tmp_path, now):
    report = docx_bytes("ỦY BAN NHÂN DÂN", "HUYỆN VĂN LÂM", "BÁO CÁO", "I. KHÁI QUÁT CHUNG", "Nội dung.")
    corrected = docx_bytes("ỦY BAN NHÂN DÂN", "HUYỆN VĂN LÂM", "BÁO CÁO", "I. KHÁI QUÁT CHUNG",
                           "II. KẾT QUẢ THỰC HIỆN", "Nội dung đã sửa.")
    raws = [report_mail("<v1@vanlam>", report), report_mail("<v1-again@vanlam>", report, name="BC (1).docx"),
            report_mail("<v2@vanlam>", corrected)]
    seen = []

    def compose(campaign, message, decision, files, **when):
        seen.append([(f.filename, f.version, f.duplicate_of) for f in files])
        return pipeline.acknowledgement(campaign, message, decision, files, **when)

    source = ListSource([SourceMessage(f"test:{n}", raw, now) for n, raw in enumerate(raws)])
    summary = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, compose=compose, extract=extract)
    assert summary.duplicate_documents == 1 and summary.errors == []
    assert seen == [[("BC giam sat.docx", 1, None)], [("BC (1).docx", None, "BC giam sat.docx")],
                    [("BC giam sat.docx", 2, None)]]
    first, again, fixed = store.documents()
    assert (again.version, again.duplicate_of, fixed.version) == (None, first.id, 2)
    assert [d.sha256 for d in store.latest_documents_by_unit()["ubnd-van-lam"]] == [fixed.sha256]


def test_crash_between_recording_and_marking(campaign, store, tmp_path, now):
    names = ["e01", "e08", "e12"]
    source = maildir_with(tmp_path, campaign, names)
    real_mark = source.mark_processed
    calls = Counter()

    def mark_failing_once(key):
        calls["mark"] += 1
        if calls["mark"] == 1:
            raise OSError("connection to the mailbox lost")
        real_mark(key)

    source.mark_processed = mark_failing_once
    transport = FileTransport(tmp_path / "outbox")
    first = run_pass(campaign, store, source, transport, now, extract=extract)
    assert first.new == 3 and len(first.errors) == 1 and "not marked" in first.errors[0]
    assert len(list(source.fetch_new())) == 1  # recorded, still new at the source

    second = run_pass(campaign, store, source, transport, now + dt.timedelta(minutes=5), extract=extract)
    assert (second.new, second.already_recorded, second.errors) == (0, 1, [])
    assert list(source.fetch_new()) == []
    assert Counter(m.source_key for m in store.messages()) == Counter(f"maildir:{n}" for n in names)
    assert store.outbox_counts()["sent"] == 2  # e01's acknowledgement and e08's note, each once


def test_a_store_failure_leaves_the_message_new(campaign, store, tmp_path, now, monkeypatch):
    source = ListSource([SourceMessage("test:1", (EMAILS / "e01.eml").read_bytes(), now)])
    real_record = store.record
    monkeypatch.setattr(store, "record", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    first = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract)
    assert first.new == 0 and "not recorded, will be tried again: disk full" in first.errors[0]
    assert source.marked == [] and store.messages() == []
    monkeypatch.setattr(store, "record", real_record)
    second = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract)
    assert (second.new, source.marked) == (1, ["test:1"])


def test_crash_between_queueing_and_sending(campaign, store, tmp_path, now, smtp_sink, monkeypatch):
    source = maildir_with(tmp_path, campaign, ["e01", "e03", "e10", "e12"])

    class Crash(BaseException):
        """The process dies (power cut, kill -9) right after the commits."""

    def crash(self, transport, now):
        raise Crash()

    monkeypatch.setattr(Outbox, "flush", crash)
    with pytest.raises(Crash):
        run_pass(campaign, store, source, SmtpTransport(smtp_sink.url), now, extract=extract)
    monkeypatch.undo()
    queued = store.outgoing_in_states("queued")
    assert len(queued) == 3 and smtp_sink.received == []

    # The server is down at the next pass: nothing is lost, nothing is sent.
    down = run_pass(campaign, store, source, SmtpTransport(f"smtp://127.0.0.1:{free_port()}", timeout=2),
                    now + dt.timedelta(minutes=5), extract=extract)
    assert (down.new, down.outbox["retry"], down.outbox["sent"]) == (0, 1, 0)

    later = now + dt.timedelta(hours=1)
    assert run_pass(campaign, store, source, SmtpTransport(smtp_sink.url), later, extract=extract).outbox["sent"] == 3
    assert run_pass(campaign, store, source, SmtpTransport(smtp_sink.url), later + dt.timedelta(hours=1),
                    extract=extract).outbox["sent"] == 0
    ids = [r.message["Message-ID"] for r in smtp_sink.received]
    assert len(ids) == len(set(ids)) == 3
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == sorted(
        ["vanthu.sct@hungyen.gov.vn", "vanphong@vanlam.hungyen.gov.vn", VAN_LAM])
    assert {r.message["X-Intake-Bot"] for r in smtp_sink.received} <= {
        f"{campaign.id}; kind={action}" for action in REPLY_ACTIONS}
    assert all(r.message["In-Reply-To"] for r in smtp_sink.received)


def test_rate_limit_per_sender_per_day(campaign, store, tmp_path, now):
    limited = dataclasses.replace(campaign, ack_max_per_sender_per_day=2)
    report = docx_bytes("BÁO CÁO", "I. KHÁI QUÁT CHUNG")
    items = [SourceMessage(f"test:{n}", report_mail(f"<{n}@vanlam>", report), now) for n in range(3)]
    source = ListSource(items)
    first = run_pass(limited, store, source, FileTransport(tmp_path / "out"), now, extract=extract)
    assert (first.new, first.replies_queued) == (3, 2)
    held = store.messages()[2]
    assert held.reasons[-1] == f"no reply: already 2 replies to {VAN_LAM} today (limit)"
    assert held.decision["reasons_vi"][-1] == (f"Không gửi thư trả lời: hôm nay đã gửi 2 thư trả lời tới {VAN_LAM}, "
                                               "bằng giới hạn mỗi ngày")
    assert_vietnamese_twins(held.reasons, held.decision["reasons_vi"], campaign)
    [event] = store.events(now, kinds=("reply_held",))
    assert event.unit == "ubnd-van-lam" and event.detail["address"] == VAN_LAM

    # The campaign's next day (midnight in Hanoi, not UTC) opens a new allowance.
    tomorrow = now.replace(hour=0, minute=5) + dt.timedelta(days=1)
    source.items.append(SourceMessage("test:3", report_mail("<3@vanlam>", report), tomorrow))
    assert run_pass(limited, store, source, FileTransport(tmp_path / "out"), tomorrow, extract=extract).replies_queued == 1


@pytest.mark.parametrize("headers, sender, why", [
    ([("Auto-Submitted", "auto-generated")], VAN_LAM, "Auto-Submitted: auto-generated"),
    ([("X-Intake-Bot", "hung-yen-2024; kind=acknowledge")], VAN_LAM, "sent by this bot"),
    ([("Return-Path", "<>")], VAN_LAM, "null Return-Path"),
    ([("List-Id", "<baocao.lists.hungyen.gov.vn>")], VAN_LAM, "mailing-list"),
    ([("Precedence", "bulk")], VAN_LAM, "Precedence: bulk"),
    ([], "noreply@hungyen.gov.vn", "robot"),
    ([], "MAILER-DAEMON@hungyen.gov.vn", "robot"),
    ([], "baocao-request@lists.hungyen.gov.vn", "robot"),
    ([], "ktns.hdndhy@gmail.com", "the bot's own address"),
    ([("Authentication-Results", "mx.google.com; spf=pass; dmarc=fail (p=REJECT) header.from=hungyen.gov.vn")],
     VAN_LAM, "DMARC"),
])
def test_reply_rules_refuse(campaign, store, now, headers, sender, why):
    message = parse_message(simple(sender=sender, headers=headers), campaign.limits)
    p = Pass(campaign, store, ListSource([]), Outbox(store, campaign), now, pipeline.acknowledgement, extract)
    refusal = reply_refusal(p, message)
    assert refusal is not None and why in refusal.reason
    assert VIETNAMESE_LETTERS & set(refusal.reason_vi) and unicodedata.is_normalized("NFC", refusal.reason_vi)


def test_reply_rules_let_a_person_through(campaign, store, now):
    message = parse_message(simple(sender=VAN_LAM, headers=[
        ("Auto-Submitted", "no"), ("Authentication-Results", "mx.google.com; dmarc=pass")]), campaign.limits)
    p = Pass(campaign, store, ListSource([]), Outbox(store, campaign), now, pipeline.acknowledgement, extract)
    assert reply_refusal(p, message) is None


def test_same_message_under_a_new_key_is_not_recorded_twice(campaign, store, tmp_path, now):
    raw = (EMAILS / "e08.eml").read_bytes()
    source = ListSource([SourceMessage("imap:INBOX:1714000000:7", raw, now)])
    run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract)
    # The folder was rebuilt: same bytes, new UIDVALIDITY. An edited copy is a new message.
    source.items = [SourceMessage("imap:INBOX:1715000000:7", raw, now),
                    SourceMessage("imap:INBOX:1715000000:8", raw.replace(b"Subject:", b"X-Edited: 1\r\nSubject:", 1), now)]
    summary = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract)
    assert (summary.seen_again, summary.new) == (1, 1)
    assert [m.source_key for m in store.messages()] == ["imap:INBOX:1714000000:7", "imap:INBOX:1715000000:8"]
    assert store.is_recorded("imap:INBOX:1715000000:7") and "imap:INBOX:1715000000:7" in source.marked


def test_bad_input_is_recorded_with_its_reason(campaign, store, tmp_path, now, monkeypatch):
    big = SourceMessage("test:big", simple(sender=VAN_LAM).split(b"\r\n\r\n")[0] + b"\r\n\r\n", now,
                        truncated_reason=DOCUMENT_TOO_LARGE)
    garbage = SourceMessage("test:garbage", b"\x00\xff\xfe not a message at all \x89PNG", None)
    source = ListSource([big, garbage])
    summary = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract)
    assert summary.errors == [] and summary.new == 2 and source.marked == ["test:big", "test:garbage"]
    big_row, garbage_row = store.messages()
    for row in (big_row, garbage_row):
        assert_vietnamese_twins(row.reasons, row.decision["reasons_vi"], campaign)
    assert (big_row.category, big_row.unit, big_row.action) == ("unsupported", "ubnd-van-lam", "ask_for_resend")
    assert "only the headers were downloaded" in big_row.problems[-1]
    assert [e.detail["reason"] for e in store.events(now, kinds=("limit",))] == [DOCUMENT_TOO_LARGE]
    assert garbage_row.received_at == now  # no date anywhere: the pass's clock
    assert store.outgoing(f"ack:{big_row.message_id}").state == "sent"

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr(pipeline, "classify", broken)
    source.items.append(SourceMessage("test:e01", (EMAILS / "e01.eml").read_bytes(), now))
    summary = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract)
    assert summary.new == 1 and "test:e01" in source.marked
    row = store.messages()[-1]
    assert (row.category, row.unit, row.action, row.review_state) == ("unsupported", "so-cong-thuong", "review", "open")
    assert row.reasons == ["the message could not be classified: RuntimeError: a bug in a rule"]
    assert row.decision == {"error": row.reasons[0], "reasons_vi": [
        "Hệ thống gặp lỗi khi phân loại thư; đề nghị đồng chí xem thư gốc trong hộp thư"]}
    assert [e.kind for e in store.events(now, kinds=("error",))] == ["error"]


def test_a_failing_source_still_lets_the_replies_go(campaign, store, tmp_path, now):
    class BrokenSource(ListSource):
        def fetch_new(self):
            yield SourceMessage("test:1", (EMAILS / "e01.eml").read_bytes(), now)
            raise OSError("IMAP connection reset")

    summary = run_pass(campaign, store, BrokenSource([]), FileTransport(tmp_path / "out"), now, extract=extract)
    assert (summary.new, summary.outbox["sent"]) == (1, 1)
    assert summary.errors == ["mail source: IMAP connection reset"]


def test_a_bounce_names_the_unit_whose_address_failed(campaign, store, tmp_path, now):
    bounce = (EMAILS / "e14.eml").read_bytes()
    # e06 came from a personal address of Ân Thi, so Ân Thi's acknowledgement went there.
    source = ListSource([SourceMessage("test:e06", (EMAILS / "e06.eml").read_bytes(), now),
                         SourceMessage("test:registered", bounce.replace(b"ubnd.anthii@", b"ubnd.anthi@"), now),
                         SourceMessage("test:personal", bounce.replace(b"ubnd.anthii@hungyen.gov.vn",
                                                                       b"tranvanlong1985@gmail.com"), now),
                         SourceMessage("test:unknown", bounce, now)])
    summary = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract)
    assert summary.by_category == Counter(report=1, bounce=3)
    events = store.events(now, kinds=("bounce",))
    assert [(e.unit, e.detail["addresses"]) for e in events] == [
        ("ubnd-an-thi", ["ubnd.anthi@hungyen.gov.vn"]), ("ubnd-an-thi", ["tranvanlong1985@gmail.com"]),
        (None, ["ubnd.anthii@hungyen.gov.vn"])]
    assert store.outbox_counts()["sent"] == 1  # a bounce is never answered


def test_reply_keys_fit_the_outbox():
    assert pipeline.reply_key("<abc@vanlam>", "maildir:1") == "ack:<abc@vanlam>"
    assert pipeline.reply_key(None, "maildir:1") == "ack:maildir:1"
    long_key = pipeline.reply_key("<" + "x" * 5000 + ">", "maildir:1")
    assert long_key.startswith("ack:sha256:") and len(long_key) < 100


def test_summary_is_json(campaign):
    summary = PassSummary(new=2, by_category=Counter(report=2), outbox={"sent": 2})
    assert json.loads(json.dumps(summary.to_json()))["by_category"] == {"report": 2}


def test_the_lock_refuses_a_second_pass(tmp_path):
    with pass_lock(tmp_path):
        with pytest.raises(PassLocked, match=r"another intake-bot pass is running .*process \d+"):
            with pass_lock(tmp_path):
                pass
    with pass_lock(tmp_path):  # released at the end of the block
        pass

    # Another process holds it for a moment: a pass that may wait gets it when it is released.
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from intake_bot.lock import pass_lock
        with pass_lock({str(tmp_path)!r}):
            print("held", flush=True)
            time.sleep(1.0)
        print("released", flush=True)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(PassLocked, match="after waiting 0.2 s"):
            with pass_lock(tmp_path, wait=0.2):
                pass
        with pass_lock(tmp_path, wait=10):
            assert holder.stdout.readline().strip() == "released"
    finally:
        holder.wait(timeout=10)


def test_a_reply_that_cannot_be_written_does_not_keep_the_message_out(campaign, store, tmp_path, now):
    def broken_template(*args, **kwargs):
        raise ValueError("template acknowledge.txt.j2: unexpected '}'")

    source = maildir_with(tmp_path, campaign, ["e01"])
    summary = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, compose=broken_template)
    assert summary.new == 1 and summary.replies_queued == 0
    assert [m.category for m in store.messages()] == ["report"]
    assert any("could not be written" in r for r in store.messages()[0].reasons)
    assert store.messages()[0].decision["reasons_vi"][-1] == (
        "Không gửi thư trả lời: không soạn được thư trả lời do lỗi mẫu thư; đề nghị cán bộ kỹ thuật kiểm tra "
        "(lệnh intake-bot check)")
    assert run_pass(campaign, store, maildir_with(tmp_path, campaign, []), FileTransport(tmp_path / "out"), now).new == 0


def test_a_message_that_cannot_be_parsed_is_recorded_with_both_reasons(campaign, store, tmp_path, now, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug in the parser")

    monkeypatch.setattr(pipeline, "parse_message", broken)
    source = ListSource([SourceMessage("test:1", (EMAILS / "e01.eml").read_bytes(), now)])
    assert run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract).new == 1
    row, = store.messages()
    assert (row.category, row.review_state) == ("unsupported", "open")
    assert row.reasons == ["the message could not be parsed: ValueError: a bug in the parser"]
    assert row.decision["reasons_vi"] == [
        "Hệ thống không đọc được cấu trúc thư; đề nghị đồng chí xem thư gốc trong hộp thư"]


@pytest.mark.imap
def test_received_time_is_the_arrival_at_the_server(campaign, tmp_path, dovecot, monkeypatch):
    """After an outage the bot reads on 14/5 a mail that reached the server on 8/5 at 09:14 and
    whose sender's clock wrote 13/5 in its Date header: the acknowledgement, `status`, the
    lateness and the digest all say 8/5 09:14, over IMAP (INTERNALDATE, set by APPEND) and over
    the Maildir Dovecot wrote for that APPEND (the file's delivery time)."""
    from intake_bot.digest import build_digest
    from intake_bot.mailbox.url import open_source
    from intake_bot.progress import unit_progress
    from intake_bot.store.db import DATABASE_URL_ENV, Store

    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    arrived = dt.datetime(2024, 5, 8, 9, 14, tzinfo=campaign.tz)
    after_outage = dt.datetime(2024, 5, 14, 17, 0, tzinfo=campaign.tz)
    report = docx_bytes("ỦY BAN NHÂN DÂN", "HUYỆN VĂN LÂM", "BÁO CÁO", "I. KHÁI QUÁT CHUNG", "Nội dung.")
    raw = simple(files=[attachment(report, "BC giam sat.docx", DOCX_TYPE)],
                 headers=[("Message-ID", "<late-clock@vanlam>"), ("Date", "Mon, 13 May 2024 08:00:00 +0700")])
    dovecot.append(raw, date=arrived)
    maildir_campaign = dataclasses.replace(campaign, processed_keyword="ReadFromMaildir")
    sources = [("maildir", maildir_campaign, MaildirSource(dovecot.maildir, maildir_campaign)),
               ("imap", campaign, open_source(dovecot.url, tmp_path / "imap", campaign, password=dovecot.password))]
    for name, used, source in sources:
        store = Store(tmp_path / name)
        try:
            summary = run_pass(used, store, source, FileTransport(tmp_path / name / "out"), after_outage,
                               extract=extract)
            assert (summary.new, summary.replies_queued) == (1, 1), name
            [message] = store.messages()
            assert message.received_at == arrived, name
            [ack] = store.outgoing_in_states("sent")
            assert "lúc 09 giờ 14, ngày 8 tháng 5 năm 2024" in ack.text, name
            van_lam = {p.unit: p for p in unit_progress(store, used, after_outage)}["ubnd-van-lam"]
            assert (van_lam.received_at, van_lam.days_late) == (arrived, 0), name
            # Recorded after the previous digest though it arrived before: it is news tonight.
            digest = build_digest(used, store, after_outage, since=after_outage - dt.timedelta(hours=1))
            assert "09 giờ 14, ngày 8 tháng 5 năm 2024" in digest.text, name
        finally:
            source.close()
            store.close()


def test_a_link_and_a_promise_are_answered_once_then_named_by_the_reminder(campaign, store, tmp_path):
    """Mỹ Hào wrote on 10/5 that it will send on 13/5 (e08), then sent only a Drive link on 13/5
    (e09): each gets one polite answer (the promised day noted; the file asked for, the link
    named), both wait in the review queue, and the overdue reminder of 14/5 says what came."""
    from intake_bot.followup import due_reminders

    evening = dt.datetime(2024, 5, 13, 17, 0, tzinfo=campaign.tz)
    source = maildir_with(tmp_path, campaign, ["e08", "e09"])
    transport = FileTransport(tmp_path / "outbox")
    summary = run_pass(campaign, store, source, transport, evening, extract=extract)
    assert (summary.new, summary.replies_queued, summary.outbox["sent"]) == (2, 2, 2)
    by_kind = {row.kind: row for row in store.outgoing_in_states("sent")}
    note, link = by_kind["acknowledge_note"], by_kind["ask_for_file"]
    assert note.to == ["ubnd.myhao@hungyen.gov.vn"] and link.to == ["vanphong.myhao@hungyen.gov.vn"]
    assert "Ban ghi nhận Quý cơ quan sẽ gửi báo cáo vào ngày 13 tháng 5 năm 2024" in note.text
    assert "https://drive.google.com/file/d/1Qm71e62056a3c32b54d4d8af08d/view?usp=sharing" in link.text
    assert "đề nghị Quý cơ quan gửi kèm trực tiếp tệp báo cáo" in link.text and "Ghi nhận" in note.subject
    for row in (note, link):
        assert unicodedata.is_normalized("NFC", row.text) and campaign.plan_citation in row.text
        assert row.key.startswith("ack:<")
    assert {item.category for item in store.review_queue()} == {"no_attachment", "link_only"}
    # Once only: a second pass over the same mailbox, or the same message under a new key, sends nothing.
    again = run_pass(campaign, store, maildir_with(tmp_path / "copy", campaign, ["e08", "e09"]), transport,
                     evening + dt.timedelta(minutes=5), extract=extract)
    assert (again.new, again.replies_queued, again.outbox["sent"]) == (0, 0, 0)

    overdue = dt.datetime(2024, 5, 14, 8, 0, tzinfo=campaign.tz)
    [reminder] = [r for r in due_reminders(campaign, unit_progress(store, campaign, overdue), overdue)
                  if r.unit == "ubnd-my-hao"]
    assert reminder.kind == "reminder_overdue"
    text = " ".join(reminder.draft.text.split())
    assert ("Ngày 13 tháng 5 năm 2024, Quý cơ quan đã gửi đường liên kết "
            "https://drive.google.com/file/d/1Qm71e62056a3c32b54d4d8af08d/view?usp=sharing") in text
    assert "Ngày 10 tháng 5 năm 2024, Quý cơ quan đã báo sẽ gửi báo cáo ngày 13 tháng 5 năm 2024." in text
    assert "drive.google.com" in reminder.draft.html


def test_a_link_from_a_robot_address_gets_no_answer(campaign, store, tmp_path, now):
    """The reply rules hold for the new answers: a link-only mail of the unit sent from a
    no-reply address is not answered (the unit is still told from its name in the subject)."""
    raw = (EMAILS / "e09.eml").read_bytes().replace(b"vanphong.myhao@hungyen.gov.vn", b"no-reply@hungyen.gov.vn")
    source = ListSource([SourceMessage("test:robot", raw, now)])
    summary = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract)
    assert summary.new == 1 and summary.replies_queued == 0
    [message] = store.messages()
    assert (message.category, message.unit, message.action) == ("link_only", "ubnd-my-hao", "ask_for_file")
    assert message.review_state == "open" and any("robot" in r for r in message.reasons)
