"""Kill harness: the worker's pass is killed at random moments and restarted until all the mail
is processed; then nothing may be lost, recorded twice or sent twice (docs/design.md, invariants 1, 2).

    python bench/faults.py [--kills 100] [--messages 300] [--seed 1]

What runs, all real and on loopback: Dovecot (tests/dovecot.py) holding the messages, aiosmtpd
(tests/smtp_sink.py) keeping every mail it receives, and the command itself,
`intake-bot --data-dir D --mailbox imap://... --smtp smtp://... poll --once -v`, as a
subprocess with INTAKE_BOT_IMAP_PASSWORD in its environment, on SQLite in the data directory (or
the empty database `--database` names). The messages are the sample mail of
tests/fixtures/corpus/emails and generated mail with a small DOCX report made with python-docx,
most of it from the units' registered addresses, so that it is acknowledged.

Why the real command in a subprocess, not a forked child of the harness: it is what the
operator runs, with its own interpreter start, imports, SQLite connection and sockets, so a kill
lands on exactly what production has; a fork would share the harness's state. It costs the
interpreter's start-up (one to two seconds here) per run, which 20 kills can afford.

Where the kills land. With `-v` the pass logs a progress line at each step (pipeline.py,
outbox.py): fetching, reading a message, recording it, marking it, sending a mail, sent. Each
run (but one in ten, killed at a random moment of the start-up) picks a phase at random (fetch,
reading, recording, marking, sending), one of the occurrences of that phase the backlog should
give, and a random point within the phase's length as measured in the earlier runs; the SIGKILL
goes at that point, timed from the child's own line, so that short phases (a STORE takes a
millisecond) can be hit too. The last line the child wrote before it died names the phase that
was cut: that is what the figures count. New mail is appended in waves whenever the backlog runs
low, sized so that every run until the last kill has work to be cut in. The mail server answers
each message a little late (`--smtp-delay`), which widens the moment where the server has a mail
and the bot does not know it yet: a kill there leaves the outbox row `unknown`, never resent
(the outbox is at-most-once over SMTP; see outbox.py).

After the last kill, passes run uncut until one finds nothing new and nothing is queued. Then:
every appended message is recorded exactly once (by Message-ID) and marked at the source; every
mail the outbox calls `sent` reached aiosmtpd exactly once, none arrived twice; the mail left
`unknown` is counted apart (delivered or not); every archived blob hashes to its name and the
database passes `Store.consistency_check`. The last line printed is

    faults: kills K · messages M · lost L · recorded twice D · mail sent twice S

and the exit status is 0 when every check holds, 1 otherwise, 2 when Dovecot cannot run here.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.dovecot and tests.smtp_sink, when run as a script

import docx  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from intake_bot.config import load_campaign  # noqa: E402
from intake_bot.store.db import DATABASE_URL_ENV, OUTGOING_STATES, Store  # noqa: E402
from tests.dovecot import DovecotAccount, DovecotServer, dovecot_missing  # noqa: E402
from tests.smtp_sink import Sink, free_port  # noqa: E402

CONFIG = REPO / "config" / "hung-yen-2024.toml"
CORPUS = REPO / "tests" / "fixtures" / "corpus" / "emails"
FIRST_NOW = dt.datetime(2024, 5, 9, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
RUN_STEP = dt.timedelta(minutes=5)  # each run is the next poll of a worker
ARRIVED = dt.datetime(2024, 5, 8, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
RUN_TIMEOUT = 120.0
STARTUP_SHARE = 0.1  # of the kills, the share aimed at the interpreter's start-up
DRAIN_LIMIT = 10  # uncut passes allowed to finish the work after the last kill

# The progress lines of `poll -v` (pipeline.py, outbox.py) and the phase each one begins; the
# kills aim at the lines marked True (the start of a fetch, of one message's reading ...).
PHASES = ((re.compile(r"pass: fetching new mail$"), "fetch", True),
          (re.compile(r": reading$"), "reading", True),
          (re.compile(r": recording$"), "recording", True),
          (re.compile(r": marking$"), "marking", True),
          (re.compile(r": marked$"), "fetch", True),  # the next message, or the next batch
          (re.compile(r"pass: flushing the outbox$"), "sending", False),
          (re.compile(r"^outbox .*: sending$"), "sending", True),
          (re.compile(r"^outbox .*: sent$"), "sending", False),
          (re.compile(r"pass: done$"), "exit", False))
AIMED = ("fetch", "reading", "recording", "marking", "sending")
PHASE_ORDER = ("start-up", *AIMED, "exit")
_LOG_LINE = re.compile(r"^INFO intake_bot\.[\w.]+: (.*)$")


def phase_of(line: str) -> tuple[str, bool] | None:
    """The phase a progress line begins, and whether kills aim at it."""
    return next(((name, aimed) for pattern, name, aimed in PHASES if pattern.search(line)), None)


# ------------------------------------------------------------------ the mail


def report_docx(n: int, rng: random.Random) -> bytes:
    """A short report in the outline's words; some sections left out, so that some replies
    ask for the missing parts. Each file differs (its number), so each is a new version."""
    document = docx.Document()
    document.add_paragraph("BÁO CÁO")
    document.add_paragraph(f"Kết quả triển khai thực hiện Chương trình phát triển công nghiệp (số {n})")
    for heading in ("I. KHÁI QUÁT CHUNG", "II. KẾT QUẢ THỰC HIỆN", "III. TỒN TẠI, HẠN CHẾ",
                    "IV. ĐỀ XUẤT, KIẾN NGHỊ"):
        if rng.random() < 0.8:
            document.add_paragraph(heading)
            document.add_paragraph(f"Nội dung mục {heading.split('.')[0]} của báo cáo số {n}.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def generated_mail(n: int, sender: str, seed: int, rng: random.Random) -> tuple[str, bytes]:
    message_id = f"<fault-{seed}-{n}@harness.test>"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "ktns.hdndhy@gmail.com"
    message["Subject"] = f"V/v gửi báo cáo giám sát (lần {n})"
    message["Date"] = "Wed, 08 May 2024 09:00:00 +0700"
    message["Message-ID"] = message_id
    message.set_content("Kính gửi Ban Kinh tế - Ngân sách, đơn vị gửi kèm báo cáo giám sát.")
    message.add_attachment(report_docx(n, rng), maintype="application", filename=f"Bao cao {n}.docx",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document")
    return message_id, message.as_bytes(policy=SMTP)


def mail_set(count: int, seed: int, campaign) -> list[tuple[str, bytes]]:
    """(Message-ID, raw) for `count` messages in a shuffled order: the sample mail first in the
    count, then generated mail, four in five from a registered address."""
    rng = random.Random(seed)
    mail = []
    for path in sorted(CORPUS.glob("*.eml"))[:count]:
        raw = path.read_bytes()
        found = re.search(rb"^Message-ID:\s*(<[^>\r\n]+>)", raw, re.M | re.I)
        mail.append((found.group(1).decode(), raw))
    registered = [a for unit in campaign.units.values() for a in unit.addresses]
    for n in range(len(mail), count):
        sender = rng.choice(registered) if rng.random() < 0.8 else f"nguoigui{n}@example.vn"
        mail.append(generated_mail(n, sender, seed, rng))
    rng.shuffle(mail)
    return mail


# ------------------------------------------------------------------ one run of the command


@dataclass
class Run:
    killed: bool
    phase: str  # the phase the last progress line began (the one cut, when killed)
    lines: list[tuple[float, str]]  # (monotonic time, progress line)
    returncode: int
    stdout: str


class Child:
    """`intake-bot poll --once -v` as a subprocess; its progress lines collected as they come."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, encoding="utf-8", errors="replace")
        self.lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._stderr = threading.Thread(target=self._read_progress, daemon=True)
        self._stderr.start()
        self._stdout: list[str] = []
        self._out = threading.Thread(target=lambda: self._stdout.append(self.process.stdout.read()),
                                     daemon=True)
        self._out.start()

    def _read_progress(self) -> None:
        for line in self.process.stderr:
            found = _LOG_LINE.match(line.rstrip("\n"))
            with self._changed:
                if found:
                    self.lines.append((time.monotonic(), found.group(1)))
                self._changed.notify_all()
        self.process.wait()  # its output ended: so does it, and waiters must hear of that
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, phase: str, occurrence: int) -> float:
        """Until the `occurrence`-th line that begins `phase` (an aimed one) has come, or the
        child has ended; when that line came (now, if it never did)."""
        def arrived() -> float | None:
            begun = [at for at, line in self.lines if phase_of(line) == (phase, True)]
            if len(begun) >= occurrence:
                return begun[occurrence - 1]
            return time.monotonic() if self.process.poll() is not None else None

        with self._changed:
            return self._changed.wait_for(arrived, timeout=RUN_TIMEOUT) or time.monotonic()

    def kill(self) -> bool:
        """SIGKILL; True when it was still running (it may end on its own a moment before)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        return self.finish() == -signal.SIGKILL

    def finish(self) -> int:
        try:
            code = self.process.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise RuntimeError(f"a pass did not end within {RUN_TIMEOUT:.0f} s") from None
        self._stderr.join()
        self._out.join()
        return code

    def result(self, killed: bool) -> Run:
        phase = "start-up"
        for _, line in self.lines:
            phase = (phase_of(line) or (phase,))[0]
        return Run(killed, phase, list(self.lines), self.process.returncode, "".join(self._stdout))


# ------------------------------------------------------------------ the harness


@dataclass
class Options:
    kills: int = 100
    messages: int = 300
    seed: int = 1
    fetch_batch: int = 3
    smtp_delay: float = 0.02
    database: str | None = None  # a URL; None: SQLite in the data directory
    keep: Path | None = None


@dataclass
class Report:
    kills: int = 0
    runs: int = 0
    drain_passes: int = 0
    seconds: float = 0.0
    phases: Counter = field(default_factory=Counter)
    messages: int = 0
    recorded: int = 0
    lost: list[str] = field(default_factory=list)
    recorded_twice: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    unmarked: int = 0
    outbox: Counter = field(default_factory=Counter)
    delivered: int = 0
    sent_twice: list[str] = field(default_factory=list)
    sent_not_delivered: list[str] = field(default_factory=list)
    unknown_delivered: int = 0
    unknown_not_delivered: int = 0
    delivered_unrecorded: list[str] = field(default_factory=list)
    consistency: list[str] = field(default_factory=list)
    finished: bool = True

    @property
    def ok(self) -> bool:
        return self.finished and not (self.lost or self.recorded_twice or self.unexpected or self.unmarked
                                      or self.sent_twice or self.sent_not_delivered
                                      or self.delivered_unrecorded or self.consistency)

    def lines(self) -> list[str]:
        phases = " · ".join(f"{name} {self.phases[name]}" for name in PHASE_ORDER if self.phases[name])
        outbox = " · ".join(f"{state} {self.outbox[state]}" for state in OUTGOING_STATES)
        lines = [
            f"faults: runs {self.runs} ({self.kills} killed) and {self.drain_passes} uncut passes to "
            f"finish, {self.seconds:.1f} s",
            f"faults: kills by phase cut: {phases or 'none'}",
            f"faults: messages appended {self.messages} · recorded {self.recorded} · left unmarked at "
            f"the source {self.unmarked} · recorded but not appended {len(self.unexpected)}",
            f"faults: outbox {sum(self.outbox.values())} ({outbox}) · received by aiosmtpd {self.delivered}",
            f"faults: unknown after a kill mid-SMTP: {self.unknown_delivered} delivered, "
            f"{self.unknown_not_delivered} not delivered (at-most-once: neither is resent)",
            f"faults: sent but not received {len(self.sent_not_delivered)} · received but not in the outbox "
            f"{len(self.delivered_unrecorded)}",
            f"faults: consistency check: {'ok' if not self.consistency else '; '.join(self.consistency[:5])}",
        ]
        if not self.finished:
            lines.append(f"faults: the work did not finish within {DRAIN_LIMIT} uncut passes")
        lines.append(f"faults: kills {self.kills} · messages {self.messages} · lost {len(self.lost)} · "
                     f"recorded twice {len(self.recorded_twice)} · mail sent twice {len(self.sent_twice)}")
        return lines


class Harness:
    def __init__(self, options: Options, account: DovecotAccount, sink: Sink, data_dir: Path):
        self.options = options
        self.rng = random.Random(options.seed)
        self.account = account
        self.sink = sink
        self.data_dir = data_dir
        self.config = write_campaign_file(data_dir.parent / "campaign.toml", options.fetch_batch)
        self.campaign = load_campaign(self.config)
        self.mail = mail_set(options.messages, options.seed, self.campaign)
        self.appended = 0
        self.startup = 0.7  # seconds to the first progress line; measured as runs go
        self.lengths: dict[str, list[float]] = {phase: [] for phase in AIMED}  # measured, seconds
        self.begun = Counter()  # aimed lines seen, per phase
        self.database = options.database or f"sqlite:///{data_dir / 'intake.db'}"
        self.env = {**os.environ, **account.env, DATABASE_URL_ENV: self.database}
        self.report = Report(messages=len(self.mail))

    def argv(self, now: dt.datetime, json_output: bool) -> list[str]:
        return [sys.executable, "-m", "intake_bot.cli", "--config", str(self.config),
                "--data-dir", str(self.data_dir), "--mailbox", self.account.url, "--smtp", self.sink.url,
                "--now", now.isoformat(), "-v", "poll", "--once", *(["--json"] if json_output else [])]

    def append(self, count: int) -> None:
        wave = self.mail[self.appended:self.appended + count]
        with self.account.client() as client:
            for _, raw in wave:
                client.append("INBOX", raw, msg_time=ARRIVED)
        self.appended += len(wave)

    def backlog(self) -> int:
        """Messages not yet marked processed at the server."""
        with self.account.client() as client:
            return len(client.search(["NOT", "KEYWORD", self.campaign.processed_keyword]))

    def append_wave(self) -> int:
        """More mail when the backlog runs low, so that the next run has work to be cut in; the
        waves are sized so that the mail lasts until the last kill. The backlog after it."""
        left = self.options.kills - self.report.kills
        wave = math.ceil((len(self.mail) - self.appended) / max(1, left))
        backlog = self.backlog()
        if backlog < max(1, wave):
            self.append(wave)
            backlog += wave
        return backlog

    def killed_run(self, now: dt.datetime, backlog: int) -> Run:
        """One run killed at a random moment: in one of the phases, picked at random, of one of
        the messages (or mails) it should get to, at a random point of that phase's measured
        length; or, one time in ten, during the start-up."""
        child = Child(self.argv(now, json_output=False), self.env)
        if self.rng.random() < STARTUP_SHARE:
            time.sleep(self.rng.uniform(0, self.startup))
        else:
            phase = self.rng.choice(AIMED)
            began = child.wait_for(phase, self.rng.randint(1, self.expected(phase, backlog)))
            # Timed from the line itself, so that the harness's own delay in noticing it does
            # not push the kills of short phases (a STORE takes a millisecond) past their end.
            time.sleep(max(0.0, began + self.rng.uniform(0, self.length(phase)) - time.monotonic()))
        killed = child.kill()
        return self.noted(child, child.result(killed))

    def expected(self, phase: str, backlog: int) -> int:
        """How many lines beginning `phase` the backlog should give, from the runs so far."""
        per_message = self.begun[phase] / self.begun["reading"] if self.begun["reading"] else 1.0
        return max(1, round(max(1, backlog) * min(per_message, 1.0)))

    def length(self, phase: str) -> float:
        """How long `phase` lasts (the 90th percentile measured, 20 ms before any measure)."""
        seen = sorted(self.lengths[phase])
        return seen[int(0.9 * (len(seen) - 1))] if seen else 0.02

    def noted(self, child: Child, run: Run) -> Run:
        """Count the run and learn from its lines: what is marked, how long each phase took."""
        self.report.runs += 1
        if run.lines:
            self.startup = 0.8 * self.startup + 0.2 * (run.lines[0][0] - child.started)
        for (at, line), (then, _) in zip(run.lines, run.lines[1:]):
            phase = phase_of(line)
            if phase and phase[1]:
                self.begun[phase[0]] += 1
                self.lengths[phase[0]].append(then - at)
        if run.killed:
            self.report.kills += 1
            self.report.phases[run.phase] += 1
        return run

    def run(self) -> Report:
        sys.setswitchinterval(0.0005)  # the threads reading the children's lines wake sooner
        started = time.monotonic()
        now = FIRST_NOW
        while self.report.kills < self.options.kills:
            self.killed_run(now, self.append_wave())
            now += RUN_STEP
        self.report.finished = self.drain(now)
        self.report.seconds = time.monotonic() - started
        self.check()
        return self.report

    def drain(self, now: dt.datetime) -> bool:
        """The rest of the mail appended, then uncut passes until one finds nothing new and the
        outbox has nothing left to send; False when that takes more than DRAIN_LIMIT passes."""
        self.append(len(self.mail) - self.appended)
        for _ in range(DRAIN_LIMIT):
            child = Child(self.argv(now, json_output=True), self.env)
            child.finish()
            run = self.noted(child, child.result(killed=False))
            self.report.drain_passes += 1
            now += RUN_STEP
            if run.returncode not in (0, 1):
                raise RuntimeError(f"poll --once failed ({run.returncode}): {run.stdout[-2000:]}")
            summary = json.loads(run.stdout)
            store = Store(self.data_dir, self.database)
            try:
                pending = store.outbox_counts()
            finally:
                store.close()
            if summary["new"] == 0 and not summary["already_recorded"] \
                    and pending["queued"] == 0 and pending["sending"] == 0:
                return True
        return False

    def check(self) -> None:
        r = self.report
        expected = {_bare(mid) for mid, _ in self.mail}
        store = Store(self.data_dir, self.database)
        try:
            messages = store.messages()
            outgoing = store.outgoing_in_states(*OUTGOING_STATES)
            r.consistency = store.consistency_check()
        finally:
            store.close()
        recorded = Counter(_bare(m.message_id) for m in messages)
        r.recorded = len(messages)
        r.lost = sorted(expected - set(recorded))
        r.recorded_twice = sorted(mid for mid, n in recorded.items() if n > 1)
        r.unexpected = sorted(set(recorded) - expected)
        keyword = self.campaign.processed_keyword.encode()
        with self.account.client() as client:
            flags = client.get_flags(client.search(["ALL"]))
        r.unmarked = sum(keyword not in f for f in flags.values())
        delivered = Counter(_bare(got.message["Message-ID"]) for got in self.sink.received)
        r.delivered = sum(delivered.values())
        r.sent_twice = sorted(mid for mid, n in delivered.items() if n > 1)
        r.outbox = Counter(o.state for o in outgoing)
        r.sent_not_delivered = sorted(o.key for o in outgoing if o.state == "sent"
                                      and delivered[_bare(o.message_id)] != 1)
        unknown = [o for o in outgoing if o.state == "unknown"]
        r.unknown_delivered = sum(delivered[_bare(o.message_id)] > 0 for o in unknown)
        r.unknown_not_delivered = len(unknown) - r.unknown_delivered
        in_outbox = {_bare(o.message_id) for o in outgoing}
        r.delivered_unrecorded = sorted(set(delivered) - in_outbox)


def _bare(message_id: str | None) -> str:
    return (message_id or "").strip().strip("<>")


def write_campaign_file(path: Path, fetch_batch: int) -> Path:
    """The seed campaign with small fetch batches (so that kills land between fetches too) and
    its templates found from anywhere."""
    text = CONFIG.read_text(encoding="utf-8")
    text = text.replace('templates = "../templates"', f'templates = "{REPO / "templates"}"')
    text = re.sub(r"(?m)^fetch_batch = \d+$", f"fetch_batch = {fetch_batch}", text)
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class SlowSink(Sink):
    """tests/smtp_sink.py's server, answering each message `delay` seconds after keeping it."""

    delay: float = 0.0

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return answer


def run_faults(options: Options) -> Report:
    """Start Dovecot and aiosmtpd, run the harness, stop them; the report."""
    sink = SlowSink(port=free_port(), delay=options.smtp_delay)
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    work = Path(tempfile.mkdtemp(prefix="intake-faults-")) if options.keep is None else options.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        with DovecotServer() as server:
            harness = Harness(options, server.new_account(), sink, work / "data")
            return harness.run()
    finally:
        controller.stop()
        if options.keep is None:
            import shutil

            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=Options.kills, help="SIGKILLs to deliver")
    parser.add_argument("--messages", type=int, default=Options.messages, help="messages in the mailbox")
    parser.add_argument("--seed", type=int, default=Options.seed, help="the random seed (mail and kill moments)")
    parser.add_argument("--fetch-batch", type=int, default=Options.fetch_batch,
                        help="[mailbox] fetch_batch for the passes (small: kills land between fetches)")
    parser.add_argument("--smtp-delay", type=float, default=Options.smtp_delay,
                        help="seconds aiosmtpd waits before answering a message")
    parser.add_argument("--database", default=None,
                        help="an empty database's URL (postgresql+psycopg://...); default SQLite in the data dir")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and leave it there")
    args = parser.parse_args(argv)
    reason = dovecot_missing()
    if reason:
        print(f"faults: cannot run: {reason}", file=sys.stderr)
        return 2
    report = run_faults(Options(args.kills, args.messages, args.seed, args.fetch_batch, args.smtp_delay,
                                args.database, args.keep))
    for line in report.lines():
        print(line, flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
