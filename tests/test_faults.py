"""Faults: the kill harness's short form, SMTP trouble end to end, two workers on one data
directory, and readers (`status`, `digest`) while a pass writes."""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import signal
import smtplib
import subprocess
import sys
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from bench.faults import Options, run_faults
from intake_bot.cli import Runtime, build_parser, one_pass
from intake_bot.digest import build_digest
from intake_bot.draft import Draft
from intake_bot.mailbox.maildir import MaildirSource
from intake_bot.outbox import Outbox, SmtpTransport
from intake_bot.pipeline import run_pass
from intake_bot.reader.extract import extract_bytes
from intake_bot.status import status_report
from intake_bot.store.db import DATABASE_URL_ENV, NewMessage, Store

from .conftest import CORPUS, REPO
from .dovecot import dovecot_missing
from .mime_builder import DOCX_TYPE, attachment, docx_bytes, simple
from .smtp_sink import Sink, free_port, smtp_sink  # noqa: F401  (smtp_sink is a fixture)

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 5, 9, 10, 0, tzinfo=VN)
UNIT_ADDRESS = "vanphong@vanlam.hungyen.gov.vn"


@pytest.fixture(autouse=True)
def sqlite_by_default(monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)


# ------------------------------------------------------------------ the kill harness


@pytest.mark.skipif(dovecot_missing() is not None, reason=str(dovecot_missing()))
def test_kill_harness_short_form():
    """20 SIGKILLs of the real `intake-bot poll --once` over real Dovecot and aiosmtpd
    (bench/faults.py; RELIABILITY.md has the long form): nothing lost, nothing twice."""
    report = run_faults(Options(kills=20, messages=40, seed=7))
    lines = report.lines()
    print("\n".join(lines))
    assert report.kills == 20 and report.messages == 40
    assert report.finished, lines
    assert (report.lost, report.recorded_twice, report.sent_twice) == ([], [], []), lines
    assert report.sent_not_delivered == [] and report.delivered_unrecorded == [], lines
    assert report.unmarked == 0 and report.consistency == [], lines
    assert report.recorded == 40 and report.delivered >= report.outbox["sent"] > 0
    assert len([phase for phase in report.phases if phase != "start-up"]) >= 2, lines
    assert re.fullmatch(r"faults: kills 20 · messages 40 · lost 0 · recorded twice 0 · mail sent twice 0",
                        lines[-1])


# ------------------------------------------------------------------ SMTP trouble


def sink_on(port: int) -> tuple[Sink, Controller]:
    """tests/smtp_sink.py's server on a port chosen before it starts (the server comes back)."""
    sink = Sink(port=port)
    controller = Controller(sink, hostname=sink.host, port=port)
    controller.start()
    return sink, controller


def maildir_of(tmp_path, campaign, names: list[str]) -> MaildirSource:
    source = MaildirSource(tmp_path / "Maildir", campaign)
    for name in names:
        (tmp_path / "Maildir" / "new" / name).write_bytes((CORPUS / "emails" / f"{name}.eml").read_bytes())
    return source


def test_smtp_down_during_a_pass_then_back_sends_each_reply_once(campaign, store, tmp_path):
    port = free_port()
    down = SmtpTransport(f"smtp://127.0.0.1:{port}", timeout=2)
    source = maildir_of(tmp_path, campaign, ["e01", "e03"])
    summary = run_pass(campaign, store, source, down, NOW, extract=extract_bytes)
    assert summary.new == 2 and summary.replies_queued == 2
    assert summary.outbox == {"sent": 0, "retry": 1, "failed": 0, "unknown": 0}  # one try: it is down
    outbox = Outbox(store, campaign)
    assert outbox.flush(SmtpTransport(f"smtp://127.0.0.1:{port}", timeout=2), NOW + dt.timedelta(minutes=1))["retry"] == 1
    assert store.outbox_counts()["queued"] == 2
    sink, controller = sink_on(port)
    try:
        later = NOW + dt.timedelta(minutes=10)
        assert outbox.flush(SmtpTransport(sink.url), later)["sent"] == 2
        assert outbox.flush(SmtpTransport(sink.url), later + dt.timedelta(days=1))["sent"] == 0
        assert run_pass(campaign, store, source, SmtpTransport(sink.url), later, extract=extract_bytes).new == 0
    finally:
        controller.stop()
    assert sorted(r.rcpt_tos[0] for r in sink.received) == sorted(
        ["vanthu.sct@hungyen.gov.vn", "vanphong@vanlam.hungyen.gov.vn"])
    assert store.outbox_counts() == {"queued": 0, "sending": 0, "sent": 2, "failed": 0, "unknown": 0, "closed": 0}


def queue_ack(store: Store, outbox: Outbox, key: str, to: str = UNIT_ADDRESS) -> None:
    draft = Draft(kind="acknowledge", to=[to], subject="Xác nhận đã nhận báo cáo", text="Kính gửi đơn vị.",
                  in_reply_to=f"<{key}@vanlam.hungyen.gov.vn>")
    store.record(NewMessage(source_key=f"src-{key}", raw_sha256="0" * 64, message_id=draft.in_reply_to,
                            sender=to, subject="Báo cáo", received_at=NOW, category="report",
                            action="acknowledge"), [], [outbox.prepare(key, draft)], [], NOW)


def test_a_4xx_is_retried_with_growing_pauses_until_it_goes_through(campaign, store, smtp_sink):
    outbox = Outbox(store, campaign)
    queue_ack(store, outbox, "ack:busy")
    smtp_sink.refuse(UNIT_ADDRESS, "452 4.2.2 Mailbox full, try later", times=3)
    tried = []
    for minute in range(0, 40):
        counts = outbox.flush(SmtpTransport(smtp_sink.url), NOW + dt.timedelta(minutes=minute))
        if counts["retry"] or counts["sent"]:
            tried.append(minute)
    assert tried == [0, 2, 6, 14]  # pauses of 2, 4, 8 minutes
    row = store.outgoing("ack:busy")
    assert (row.state, row.attempts, len(smtp_sink.received)) == ("sent", 4, 1)


def test_a_5xx_fails_at_once_with_the_reason_shown_to_the_secretary(campaign, store, smtp_sink):
    outbox = Outbox(store, campaign)
    queue_ack(store, outbox, "ack:gone", to="vanthu.cu@hungyen.gov.vn")
    smtp_sink.refuse("vanthu.cu@hungyen.gov.vn", "550 5.1.1 <vanthu.cu@hungyen.gov.vn>: no such user")
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW)["failed"] == 1
    for days in (1, 2, 7):  # never again
        assert sum(outbox.flush(SmtpTransport(smtp_sink.url), NOW + dt.timedelta(days=days)).values()) == 0
    assert smtp_sink.received == [] and store.outgoing("ack:gone").attempts == 1
    assert status_report(campaign, store, NOW)["outbox"]["failed"] == 1
    review = build_digest(campaign, store, NOW + dt.timedelta(hours=8)).text.split("3. CẦN ĐỒNG CHÍ XEM XÉT")[1]
    assert "Thư gửi đi không thành công: vanthu.cu@hungyen.gov.vn" in review
    assert "550 5.1.1 <vanthu.cu@hungyen.gov.vn>: no such user" in review
    assert "máy chủ thư từ chối hẳn thư này" in review


def test_an_unknown_outcome_is_never_resent_and_left_to_the_secretary(campaign, store, smtp_sink):
    outbox = Outbox(store, campaign)
    queue_ack(store, outbox, "ack:maybe")
    smtp_sink.drop_next()
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW)["unknown"] == 1
    assert sum(outbox.flush(SmtpTransport(smtp_sink.url), NOW + dt.timedelta(days=3)).values()) == 0
    assert (len(smtp_sink.dropped), len(smtp_sink.received)) == (1, 0)
    review = build_digest(campaign, store, NOW + dt.timedelta(hours=8)).text.split("3. CẦN ĐỒNG CHÍ XEM XÉT")[1]
    assert "Thư gửi đi chưa rõ đã tới nơi hay chưa: " + UNIT_ADDRESS in review
    assert "để tránh gửi trùng, thư không được gửi lại" in review


def test_a_worker_dying_before_data_leaves_the_mail_to_be_sent_once(campaign, store, smtp_sink, monkeypatch):
    """Killed once the server has taken the recipient, before DATA: the server never had the
    message (outbox.py), so the row is still queued and the next flush sends it, once. Dying
    once `sending` is committed is the other case: `unknown` (test_outbox)."""
    outbox = Outbox(store, campaign)
    queue_ack(store, outbox, "ack:cut")
    real_rcpt = smtplib.SMTP.rcpt

    def rcpt_then_die(self, *args, **kwargs):
        real_rcpt(self, *args, **kwargs)
        raise SystemExit("SIGKILL")

    with monkeypatch.context() as m:
        m.setattr(smtplib.SMTP, "rcpt", rcpt_then_die)
        with pytest.raises(SystemExit):
            outbox.flush(SmtpTransport(smtp_sink.url), NOW)
    assert store.outgoing("ack:cut").state == "queued" and smtp_sink.received == []
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW) == {"sent": 1, "retry": 0, "failed": 0, "unknown": 0}
    assert outbox.flush(SmtpTransport(smtp_sink.url), NOW + dt.timedelta(days=1))["sent"] == 0
    assert len(smtp_sink.received) == 1 and store.outgoing("ack:cut").attempts == 1


# ------------------------------------------------------------------ concurrency


def cli(*argv: str) -> list[str]:
    return [sys.executable, "-m", "intake_bot.cli", *argv]


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment for a command, on SQLite unless `extra` names a database."""
    env = {name: value for name, value in os.environ.items() if name != DATABASE_URL_ENV}
    return {**env, "PYTHONPATH": str(REPO), **extra}


def test_a_second_worker_refuses_and_sigterm_stops_the_first_cleanly(tmp_path):
    data = tmp_path / "data"
    first = subprocess.Popen(cli("--data-dir", str(data), "run"), env=child_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().startswith("intake-bot worker: campaign hung-yen-2024")
        started = time.monotonic()
        second = subprocess.run(cli("--data-dir", str(data), "run"), env=child_env(), capture_output=True,
                                text=True, timeout=30)
        assert second.returncode == 1 and time.monotonic() - started < 10
        assert second.stderr.startswith("intake-bot: another intake-bot worker is running on this data "
                                        f"directory (process {first.pid})"), second.stderr
        assert "Traceback" not in second.stderr
        assert first.poll() is None  # the first one goes on
        first.send_signal(signal.SIGTERM)  # while its start-up pass may still run
        assert first.wait(timeout=60) == 0
        assert "Traceback" not in first.stderr.read()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


def mail_for_a_long_pass(maildir, count: int) -> None:
    """`count` messages from a unit, every tenth with a small report: a pass that records for a
    few seconds."""
    for n in range(count):
        files = [attachment(docx_bytes("BÁO CÁO", f"I. KHÁI QUÁT CHUNG {n}"), f"BC {n}.docx", DOCX_TYPE)] \
            if n % 10 == 0 else []
        raw = simple(sender=UNIT_ADDRESS, subject=f"Báo cáo giám sát số {n}", files=files,
                     headers=[("Message-ID", f"<long-{n}@vanlam.hungyen.gov.vn>")])
        (maildir / "new" / f"m{n:04d}").write_bytes(raw)


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_status_and_digest_read_while_a_pass_writes(tmp_path, campaign, database):
    from .test_store import _postgres_schema_url

    url, drop = _postgres_schema_url() if database == "postgresql" else (None, lambda: None)
    count = 150
    data = tmp_path / "data"
    for sub in ("new", "cur", "tmp"):
        (data / "Maildir" / sub).mkdir(parents=True)
    mail_for_a_long_pass(data / "Maildir", count)
    env = child_env(**({DATABASE_URL_ENV: url} if url else {}))
    try:
        writer = subprocess.Popen(cli("--data-dir", str(data), "--now", NOW.isoformat(), "poll", "--once"),
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen, readers, errors = [], [], []

        def read_in_a_loop():  # what `status` and `digest --out` do, as often as they can
            while writer.poll() is None:
                try:
                    store = Store(data, url)
                    try:
                        seen.append(status_report(campaign, store, NOW)["messages"]["total"])
                        build_digest(campaign, store, NOW)
                    finally:
                        store.close()
                except Exception as exc:  # noqa: BLE001  (the test reports any error)
                    errors.append(repr(exc))

        loop = threading.Thread(target=read_in_a_loop)
        loop.start()
        while writer.poll() is None and not any(0 < n for n in seen):
            time.sleep(0.05)
        for argv in (("status", "--json"), ("digest", "--out", str(tmp_path / "digest"))):  # the commands
            command = subprocess.run(cli("--data-dir", str(data), "--now", NOW.isoformat(), *argv), env=env,
                                     capture_output=True, text=True, timeout=60)
            readers.append((argv[0], command.returncode, command.stderr))
        out, err = writer.communicate(timeout=120)
        loop.join()
        assert writer.returncode == 0, err
        assert f"new messages: {count}" in out
        assert errors == []
        assert [code for _, code, _ in readers] == [0, 0], readers
        assert any(0 < n < count for n in seen), seen  # they really ran during the pass
        assert seen == sorted(seen)  # and each saw a whole, growing state
    finally:
        drop()


def test_worker_jobs_leave_no_file_open(tmp_path):
    args = build_parser().parse_args(["--data-dir", str(tmp_path / "data"), "--now", NOW.isoformat(), "run"])
    rt = Runtime(args)
    handlers = list(logging.getLogger().handlers)
    try:
        one_pass(rt, scheduled=True)
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(5):
            one_pass(rt, scheduled=True)
        assert len(os.listdir("/proc/self/fd")) == before
    finally:
        for handler in set(logging.getLogger().handlers) - set(handlers):
            logging.getLogger().removeHandler(handler)
            handler.close()
