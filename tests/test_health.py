"""A mailbox that cannot be reached: the worker keeps going, backs off, tells people once, and
tells them again when it works (health.py); a job that raises never stops the scheduler.

The worker's poll job is `one_pass(rt, scheduled=True)` with the clock set; the tests call it
with a clock they move, against real Dovecot and aiosmtpd, instead of waiting for minutes."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from intake_bot.cli import Runtime, build_parser, one_pass
from intake_bot.digest import build_digest
from intake_bot.health import (ALERT_AFTER_FAILURES, BACKOFF_LONGEST, FAILED, RECOVERED, MailboxHealth,
                               alert_key, pause_after, recovered_key)
from intake_bot.mailbox.base import MailboxError
from intake_bot.mailbox.url import PASSWORD_ENV
from intake_bot.outbox import Outbox
from intake_bot.store.db import DATABASE_URL_ENV, Store
from intake_bot.worker import build_scheduler

from .conftest import CORPUS, REPO
from .dovecot import dovecot, make_message  # noqa: F401  (dovecot is a fixture)
from .smtp_sink import smtp_sink  # noqa: F401  (a fixture)

VN = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2024, 5, 9, 8, 0, tzinfo=VN)
OPERATOR = "quantri@hungyen.gov.vn"
POLL = dt.timedelta(minutes=5)


def campaign_file(tmp_path, operator: str = OPERATOR):
    """The seed campaign with an operator address (the seed leaves it empty)."""
    text = (REPO / "config" / "hung-yen-2024.toml").read_text(encoding="utf-8")
    text = text.replace('templates = "../templates"', f'templates = "{REPO / "templates"}"')
    text = re.sub(r'(?m)^(\[operator\](?:\n#.*)*\nemail = )""', rf'\g<1>"{operator}"', text)
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def worker_runtime(tmp_path, mailbox_url: str, smtp_url: str) -> Runtime:
    args = build_parser().parse_args(["--config", str(campaign_file(tmp_path)), "--data-dir",
                                      str(tmp_path / "data"), "--mailbox", mailbox_url, "--smtp", smtp_url, "run"])
    return Runtime(args)


def poll_job(rt: Runtime, now: dt.datetime) -> dict:
    """What the worker's poll job does (runtime.worker_jobs), at `now`."""
    rt.now = now
    return one_pass(rt, scheduled=True)


@pytest.fixture(autouse=True)
def sqlite_only(monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)


def test_a_revoked_password_is_retried_ever_less_often_and_told_once_then_recovery(
        tmp_path, dovecot, smtp_sink, monkeypatch):
    dovecot.append((CORPUS / "emails" / "e03.eml").read_bytes())
    rt = worker_runtime(tmp_path, dovecot.url, smtp_sink.url)
    assert rt.campaign.operator_email == OPERATOR
    monkeypatch.setenv(PASSWORD_ENV, "revoked-app-password")

    tries, now = [], START
    while now < START + dt.timedelta(hours=4):  # the job every 5 minutes for four hours
        summary = poll_job(rt, now)
        if summary["skipped"] is None:
            tries.append(now)
            assert "login failed" in summary["source_error"] and summary["new"] == 0
        now += POLL
    gaps = [b - a for a, b in zip(tries, tries[1:])]
    assert gaps[:4] == [POLL, 2 * POLL, 4 * POLL, 8 * POLL]
    assert all(gap == BACKOFF_LONGEST for gap in gaps[4:]) and len(tries) == 7

    # Told once, both of them, in Vietnamese, with the reason but never the password.
    [alert] = smtp_sink.received
    assert sorted(alert.rcpt_tos) == sorted([OPERATOR, rt.campaign.secretary_email])
    text = alert.message.get_body(("plain",)).get_content()
    assert "Không truy cập được hộp thư" in alert.message["Subject"]
    assert "login failed" in text and "revoked-app-password" not in alert.raw.decode("ascii", "replace")
    assert alert.message["Auto-Submitted"] == "auto-generated"
    store = Store(rt.data_dir)
    try:
        digest = build_digest(rt.campaign, store, now)
        assert "CẢNH BÁO: hệ thống không truy cập được hộp thư" in digest.text
        assert "không truy cập được hộp thư" in digest.html
        assert store.messages() == []
    finally:
        store.close()

    # The operator sets the new app password; the next try works, the waiting mail comes in.
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    while poll_job(rt, now)["skipped"] is not None:
        now += POLL
    assert len(smtp_sink.received) == 3  # the all-clear and the acknowledgement of e03
    all_clear = next(r for r in smtp_sink.received if "truy cập lại" in r.message["Subject"])
    assert sorted(all_clear.rcpt_tos) == sorted([OPERATOR, rt.campaign.secretary_email])
    store = Store(rt.data_dir)
    try:
        [message] = store.messages()
        assert message.unit == "ubnd-van-lam"
        incident = store.events(START, kinds=(RECOVERED,))[0].detail["incident"]
        assert store.outgoing(alert_key(incident)).state == "sent"
        assert store.outgoing(recovered_key(incident)).state == "sent"
        assert "Hộp thư bị gián đoạn từ 08 giờ 00, ngày 9 tháng 5 năm 2024" in build_digest(
            rt.campaign, store, now + dt.timedelta(minutes=1), since=START).text
    finally:
        store.close()
    # Healthy again: every job polls, nothing more is said.
    for _ in range(3):
        now += POLL
        assert poll_job(rt, now)["skipped"] is None
    assert len(smtp_sink.received) == 3


def test_one_failure_alone_tells_nobody(tmp_path, dovecot, smtp_sink, monkeypatch):
    rt = worker_runtime(tmp_path, dovecot.url, smtp_sink.url)
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    dovecot.stop()
    try:
        summary = poll_job(rt, START)
    finally:
        dovecot.start()
    assert "cannot connect" in summary["source_error"]
    assert poll_job(rt, START + POLL)["skipped"] is None
    assert smtp_sink.received == []
    store = Store(rt.data_dir)
    try:
        assert [e.kind for e in store.events(START, kinds=(FAILED, RECOVERED))] == [FAILED, RECOVERED]
    finally:
        store.close()


def test_the_alert_goes_out_through_smtp_while_the_imap_server_is_down(tmp_path, dovecot, smtp_sink, monkeypatch):
    """The mailbox's server gone, the SMTP server up: the alert reaches the operator (issue 8.10)."""
    rt = worker_runtime(tmp_path, dovecot.url, smtp_sink.url)
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    dovecot.stop()
    try:
        for n in range(ALERT_AFTER_FAILURES):
            poll_job(rt, START + n * POLL)
    finally:
        dovecot.start()
    [alert] = smtp_sink.received
    assert OPERATOR in alert.rcpt_tos and "Không truy cập được hộp thư" in alert.message["Subject"]
    assert "cannot connect" in alert.message.get_body(("plain",)).get_content()


def test_the_health_survives_a_restart_and_a_second_incident_is_new(store, campaign):
    """Each job reads the state again from the store, as a restarted worker does."""
    outbox = Outbox(store, dataclasses.replace(campaign, operator_email=OPERATOR))
    campaign = outbox.campaign
    now = START
    for failure in range(1, 6):
        health = MailboxHealth(store, campaign)  # a new worker each time
        assert health.due(now)
        health.failed("connection refused", now, outbox)
        assert not MailboxHealth(store, campaign).due(now + pause_after(failure, POLL) - dt.timedelta(minutes=1))
        now += pause_after(failure, POLL)
    alerts = [o for o in store.outgoing_in_states("queued") if o.key.startswith("alert:")]
    assert len(alerts) == 1 and alerts[0].kind == "alert"
    MailboxHealth(store, campaign).recovered(now, outbox)
    MailboxHealth(store, campaign).recovered(now + POLL, outbox)  # nothing open: nothing happens
    assert len(store.events(START, kinds=(RECOVERED,))) == 1
    later = now + dt.timedelta(days=1)
    for n in range(ALERT_AFTER_FAILURES):
        MailboxHealth(store, campaign).failed("login failed", later + n * POLL, outbox)
    keys = sorted(o.key for o in store.outgoing_in_states("queued"))
    assert len([k for k in keys if k.startswith("alert:mailbox:")]) == 2 and len(keys) == 3


def test_no_address_to_tell_queues_nothing(store, campaign):
    campaign = dataclasses.replace(campaign, operator_email="", secretary_email="")
    outbox = Outbox(store, campaign)
    for n in range(3):
        MailboxHealth(store, campaign).failed("login failed", START + n * POLL, outbox)
    MailboxHealth(store, campaign).recovered(START + dt.timedelta(hours=1), outbox)
    assert store.outbox_counts()["queued"] == 0


def test_backoff_doubles_from_the_poll_interval_up_to_an_hour():
    assert [pause_after(n, POLL) for n in (1, 2, 3, 4, 5, 6, 30)] == [
        POLL, 2 * POLL, 4 * POLL, 8 * POLL, BACKOFF_LONGEST, BACKOFF_LONGEST, BACKOFF_LONGEST]
    assert pause_after(1, dt.timedelta(hours=2)) == dt.timedelta(hours=2)  # never under the interval


def test_the_imap_server_gone_mid_pass_comes_back_nothing_lost_or_doubled(tmp_path, dovecot, smtp_sink):
    """`poll --once` as the operator runs it: Dovecot is killed after the third message is
    marked and started again half a second later; the source backs off, reconnects, resumes."""
    count = 8
    for n in range(count):
        dovecot.append(make_message(n),
                       date=dt.datetime(2024, 5, 8, 9, 0, tzinfo=VN))
    argv = [sys.executable, "-m", "intake_bot.cli", "--config", str(campaign_file(tmp_path)),
            "--data-dir", str(tmp_path / "data"), "--mailbox", dovecot.url, "--smtp", smtp_sink.url,
            "--now", START.isoformat(), "-v", "poll", "--once", "--json"]
    env = {**os.environ, **dovecot.env}
    env.pop(DATABASE_URL_ENV, None)
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log: list[str] = []
    third_marked = threading.Event()

    def watch() -> None:
        for line in child.stderr:
            log.append(line)
            if sum(x.rstrip().endswith(": marked") for x in log) == 3:
                third_marked.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    # From this thread: the server dies with the thread that started it (tests/dovecot.py).
    assert third_marked.wait(timeout=60), "".join(log)
    dovecot.stop()
    time.sleep(0.5)
    dovecot.start()
    out = child.stdout.read()
    assert child.wait(timeout=60) == 0, "".join(log)
    watcher.join()
    summary = json.loads(out)
    assert summary["new"] == count and summary["source_error"] is None
    assert any("lost while" in line and "trying again in 2 s" in line for line in log), "".join(log)
    store = Store(tmp_path / "data")
    try:
        ids = sorted(m.message_id for m in store.messages())
        assert ids == sorted(f"<{n}.intake@test>" for n in range(count))
        assert store.consistency_check() == []
    finally:
        store.close()
    keyword = b"IntakeBotProcessed"
    assert all(keyword in dovecot.flags(uid) for uid in dovecot.uids())


def test_a_job_that_raises_never_stops_the_scheduler(campaign):
    calls: list[float] = []
    failures = [RuntimeError("a bug"), MailboxError("login failed"), SystemExit(3), KeyboardInterrupt()]
    started = threading.Event()

    def poll():
        calls.append(time.monotonic())
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]

    scheduler = build_scheduler(campaign, poll, startup=started.set, poll_every=dt.timedelta(seconds=0.05))
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while len(calls) < len(failures) + 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.is_set() and scheduler.running
        assert len(calls) >= len(failures) + 3
    finally:
        scheduler.shutdown(wait=True)
