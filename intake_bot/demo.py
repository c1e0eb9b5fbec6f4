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
        digest = build_digest(rt.campaign, services.store, rt.now)
        write_digest(digest, digest_dir)
        print(f"digest: {digest_dir / 'digest.html'} (open it in a browser), digest.txt and the workbook\n")
        report = status_report(rt.campaign, services.store, rt.now)
        print(format_status(rt.campaign, report))
        outbox = FileTransport(data_dir / "outbox")
        print(f"\nmail written to {data_dir / 'outbox'} (one .eml per mail):")
        for row in services.store.outgoing_in_states("sent", "queued", "failed", "unknown"):
            print(f"  {row.kind:<18} to {', '.join(row.to):<32} {outbox.path_for(row.key).name}  {row.subject}")
    finally:
        services.close()
    secretary_replies(rt, data_dir, report, digest.subject)
    print(f"\nnext: intake-bot --data-dir {rt.args.data_dir} status")
    return 0


def demo_commands(campaign, report: dict) -> list[str]:
    """What the secretary answers to the demo's digest: the unmatched report is the first
    silent unit's (its staff sent it from a personal address), and the next unit that still owes
    its report delivered it on paper."""
    owing = sorted((u for u in report["units"] if u["status"] not in ("complete", "exempt", "received_offline")),
                   key=lambda u: u["status"] != "not_received")
    unmatched = [item["ref"] for item in report["review"] if item["category"] == "unmatched" and item["ref"]]
    lines = []
    if unmatched and owing:
        lines.append(f"GÁN #{unmatched[0]} {campaign.units[owing.pop(0)['unit']].short_name}")
    if owing:
        lines.append(f"ĐÃ NHẬN BẢN GIẤY {campaign.units[owing[0]['unit']].short_name}")
    return lines


def command_mail(campaign, lines: list[str], subject: str, now: dt.datetime) -> bytes:
    """The secretary's reply to the digest, as her mail client would write it: her lines on top,
    the digest quoted below them (never read as commands)."""
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    message = EmailMessage()
    message["From"] = campaign.secretary_email
    message["To"] = campaign.mailbox_address or campaign.from_address
    message["Subject"] = f"Re: {subject}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=campaign.secretary_email.rpartition("@")[2] or "localhost")
    message.set_content("\n".join(lines) + "\n\nVào lúc 17:00, hệ thống tiếp nhận báo cáo đã viết:\n"
                        "> 3. CẦN ĐỒNG CHÍ XEM XÉT\n> TẠM DỪNG NHẮC\n")
    return message.as_bytes()


def secretary_replies(rt, data_dir: Path, before: dict, digest_subject: str) -> None:
    """The second step: the secretary answers the digest with a few commands, a pass carries
    them out, and the changed status follows (issue 9)."""
    from .runtime import Services, one_pass
    from .status import format_status, status_report

    lines = demo_commands(rt.campaign, before)
    if not lines or not rt.campaign.secretary_email:
        return
    rt.now += dt.timedelta(minutes=30)
    mailbox.Maildir(data_dir / "Maildir").add(command_mail(rt.campaign, lines, digest_subject, rt.now))
    print(f"\nthe secretary replies to the digest ({rt.campaign.secretary_email}):")
    for line in lines:
        print(f"  {line}")
    summary = one_pass(rt)
    print(f"poll: {summary['new']} new message; {summary['outbox'].get('sent', 0)} mails written\n")
    services = Services(rt)
    try:
        after = status_report(rt.campaign, services.store, rt.now)
    finally:
        services.close()
    for command in after["commands"]:
        print(f"  #{command['ref']} {command['line']}: {command['result']}")
    earlier = {u["unit"]: u for u in before["units"]}
    for unit in after["units"]:
        was = earlier.get(unit["unit"], {})
        if (was.get("status"), was.get("version")) != (unit["status"], unit["version"]):
            version = f", version {unit['version']}" if unit["version"] else ""
            print(f"  {rt.campaign.units[unit['unit']].short_name}: {was.get('status')} -> {unit['status']}{version}")
    print("\n" + format_status(rt.campaign, after))
