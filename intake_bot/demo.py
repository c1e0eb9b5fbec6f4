"""`intake-bot demo`: the whole job on the embedded default, with the sample mail.

A fresh data directory gets a Maildir holding the sample messages (bundled in the package), then
one poll pass, the reminder pass and the digest, all mail going to the file outbox. The clock is
--now, or else the evening of the first overdue-reminder day after the last sample message, so
that every sample has arrived and the reminder pass has a slot to show. The status table follows, with where each mail was
written. `intake-bot --data-dir DIR status` shows the same state afterwards.
"""
from __future__ import annotations

import datetime as dt
import mailbox
import os
import shutil
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from .config import bundled

MARKER = ".intake-bot-demo"


def sample_messages() -> list[Path]:
    return sorted(bundled("samples").glob("*.eml"))


def fresh_data_dir(data_dir: Path) -> None:
    """Empty the directory if an earlier demo made it; refuse to touch anything else."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise FileExistsError(f"{data_dir} is not empty and was not made by `demo`: "
                                  "give the demo an empty or new --data-dir")
        shutil.rmtree(data_dir)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by intake-bot demo; the next demo empties this directory\n")


def fill_maildir(path: Path) -> int:
    """Deliver each sample as if it had arrived when its Date header says: the unique name starts
    with that time and the file's mtime is set to it, as a mail server delivering it then would
    (the bot takes a message's arrival, not the present, as its received time)."""
    box = mailbox.Maildir(path, create=True)
    samples = sample_messages()
    for n, sample in enumerate(samples):
        when = _sent_at(sample).timestamp()
        key = box.add(sample.read_bytes())
        delivered = path / "new" / f"{int(when)}.M{n}P{os.getpid()}.intake-bot-demo"
        os.rename(path / "new" / key, delivered)
        os.utime(delivered, (when, when))
    return len(samples)


def demo_clock(campaign) -> dt.datetime:
    """The digest time on the first reminder slot after the newest sample message."""
    from .followup import schedule

    newest = max(_sent_at(p) for p in sample_messages())
    day = next((slot.day for slot in schedule(campaign) if slot.day > newest.astimezone(campaign.tz).date()),
               campaign.deadline)
    return dt.datetime.combine(day, campaign.digest_time, campaign.tz)


def _sent_at(path: Path) -> dt.datetime:
    """A sample's Date header."""
    return parsedate_to_datetime(str(BytesHeaderParser().parsebytes(path.read_bytes())["Date"]))


def run_demo(rt) -> int:
    from .digest import build_digest, write_digest
    from .followup import run_reminders
    from .outbox import FileTransport
    from .runtime import Services, UserError, one_pass
    from .status import format_status, status_report

    data_dir = rt.data_dir.resolve()
    try:
        fresh_data_dir(data_dir)
    except FileExistsError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:  # a file in the way, no right to write there
        raise UserError(f"--data-dir {rt.data_dir}: cannot make it ({exc.strerror or exc})") from None
    if not rt.args.now:
        rt.now = demo_clock(rt.campaign)
    rt.mailbox_url = f"maildir:{data_dir / 'Maildir'}"
    rt.smtp_url = "file:outbox"
    count = fill_maildir(data_dir / "Maildir")
    print(f"demo: {count} sample messages in {data_dir / 'Maildir'}; clock {rt.now.isoformat()}\n")

    summary = one_pass(rt)
    per = ", ".join(f"{k} {v}" for k, v in sorted(summary["by_category"].items()))
    print(f"poll: {summary['new']} new messages ({per}); {summary['replies_queued']} replies queued")

    services = Services(rt)
    try:
        reminders = run_reminders(rt.campaign, services.store, services.outbox, services.transport, rt.now)
        print(f"remind: {len(reminders)} reminders for the slot of {rt.now.date()}")
        digest_dir = data_dir / "digest"
        write_digest(build_digest(rt.campaign, services.store, rt.now), digest_dir)
        print(f"digest: {digest_dir / 'digest.html'} (open it in a browser), digest.txt and the workbook\n")
        report = status_report(rt.campaign, services.store, rt.now)
        print(format_status(rt.campaign, report))
        outbox = FileTransport(data_dir / "outbox")
        print(f"\nmail written to {data_dir / 'outbox'} (one .eml per mail):")
        for row in services.store.outgoing_in_states("sent", "queued", "failed", "unknown"):
            print(f"  {row.kind:<18} to {', '.join(row.to):<32} {outbox.path_for(row.key).name}  {row.subject}")
    finally:
        services.close()
    print(f"\nnext: intake-bot --data-dir {rt.args.data_dir} status")
    return 0
