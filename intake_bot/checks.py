"""`intake-bot check`: everything that can be found wrong before the worker starts.

The campaign file is already loaded and checked when this runs. Here: every template renders
with sample data (a broken template fails now, not at send time), the addresses that alerts go
to make sense, the mailbox can be opened and the SMTP server accepts a login. Each thing tried is
one line, `ok`, `warn` (works, but probably not as meant) or `fail`; secrets never appear in
them. Nothing is created or recorded: no data directory, no Maildir, no log, no state file.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from .categories import REPLY_ACTIONS
from .compose import ReceivedFile, acknowledgement
from .config import todo_marks
from .reader.model import Extraction


def _sample_acknowledgements(campaign) -> None:
    unit_id = next(iter(campaign.units))
    outline = campaign.outline_of(unit_id)
    keys = outline.keys() if outline else []
    extraction = Extraction(file="Báo cáo.docx", format="docx", unit=unit_id,
                            outline={"id": outline.id, "present": keys[:1], "missing": keys[1:]} if outline else None)
    message = SimpleNamespace(from_address="vanthu@example.vn", subject="V/v gửi báo cáo giám sát",
                              message_id="<sample@example.vn>", references=[], date=None)
    now = dt.datetime.combine(campaign.deadline, dt.time(9), campaign.tz)
    for action in REPLY_ACTIONS:
        decision = SimpleNamespace(action=action, unit=unit_id)
        acknowledgement(campaign, message, decision, [ReceivedFile("Báo cáo.docx", 1, None, extraction)], now=now)


@dataclass(frozen=True)
class Outcome:
    """One line of `check`: `state` is "ok", "warn" or "fail"."""

    state: str
    what: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.state:<5} {self.what}" + (f": {self.detail}" if self.detail else "")


TEMPLATE_SETS = (("acknowledgement", "every kind of reply"), ("reminder", "every kind of reminder"),
                 ("additional request", "a request and its reminder"), ("digest", "a digest with every section"),
                 ("dossier", "the members' cover notes"), ("command confirmation", "a confirmation and the help reply"))


def check_templates(campaign) -> list[Outcome]:
    from .additional import sample_request
    from .command_mail import sample_confirmations
    from .digest import sample_digest
    from .dossier import sample_dossier_mails
    from .followup import sample_reminders

    renderers = {"acknowledgement": _sample_acknowledgements, "reminder": sample_reminders,
                 "additional request": sample_request, "digest": sample_digest, "dossier": sample_dossier_mails,
                 "command confirmation": sample_confirmations}
    outcomes = []
    for name, what in TEMPLATE_SETS:
        try:
            renderers[name](campaign)
        except Exception as exc:  # any template error, reported with the template's own words
            outcomes.append(Outcome("fail", f"{name} templates in {campaign.templates_dir}",
                                    f"{type(exc).__name__}: {exc}"))
        else:
            outcomes.append(Outcome("ok", f"{name} templates rendered ({what}, sample data)"))
    return outcomes + _templates_not_reached(campaign)


def _templates_not_reached(campaign) -> list[Outcome]:
    """The template files of the folder that no sample mail read: a mistake in one of them would
    only show when such a mail is sent."""
    from .templating import environment

    read = environment(campaign.templates_dir).loader.read
    files = sorted(p.name for p in Path(campaign.templates_dir).glob("*.j2"))
    left = [name for name in files if name not in read]
    if not left:
        return [Outcome("ok", f"every template file in {campaign.templates_dir} rendered ({len(files)} files)")]
    return [Outcome("warn", f"templates {campaign.templates_dir}: {len(left)} of {len(files)} files not rendered "
                            "by check (no sample mail uses them)", ", ".join(left))]


def check_recipients(campaign) -> list[Outcome]:
    """The digest needs the secretary; a mailbox alert needs someone outside the mailbox that
    fails (its own account may be the one whose password was revoked)."""
    outcomes = []
    if not campaign.secretary_email:
        outcomes.append(Outcome("fail", "[secretary] email is empty", "the digest and alerts have nowhere to go"))
    mailbox = campaign.mailbox_address
    operator = campaign.operator_email.strip().lower()
    if not operator:
        alone = (" and the secretary's address is the committee mailbox itself"
                 if campaign.secretary_email.strip().lower() == mailbox else "")
        outcomes.append(Outcome("warn", "[operator] email is empty",
                                f"an outage of the mailbox is told only to the secretary{alone}: the alert "
                                "goes to the account that just failed; set an address outside it"))
    elif operator in campaign.own_addresses:
        outcomes.append(Outcome("warn", f"[operator] email {operator} is the committee mailbox itself",
                                "the alert of a failing mailbox would go to the account whose password "
                                "just failed; set an address outside it"))
    else:
        outcomes.append(Outcome("ok", f"mailbox alerts go to the operator {operator}"))
    return outcomes


def check_mailbox(rt) -> list[Outcome]:
    from .mailbox.base import MailboxError
    from .mailbox.url import describe, open_source, parse_url

    try:
        where = parse_url(rt.mailbox_url)
    except MailboxError as exc:
        return [Outcome("fail", "mailbox URL", str(exc))]
    if where.scheme == "maildir":
        path = Path(where.path).expanduser()
        path = path if path.is_absolute() else rt.data_dir / path
        if not path.exists():
            return [Outcome("warn", f"Maildir {path}", "does not exist yet; the first poll creates it")]
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            return [Outcome("fail", f"Maildir {path}", "is not a Maildir (no cur/ and new/ folders)")]
        return [Outcome("ok", f"Maildir {path}")]
    try:
        open_source(rt.mailbox_url, rt.data_dir, rt.campaign, keep_state=False).close()
    except MailboxError as exc:
        return [Outcome("fail", f"IMAP login {describe(rt.mailbox_url)}", str(exc))]
    return [Outcome("ok", f"IMAP login {describe(rt.mailbox_url)}")]


def check_smtp(rt) -> list[Outcome]:
    from .outbox import DeliveryError, SmtpTransport
    from .secrets import SecretError

    if rt.smtp_url.startswith("file:"):
        folder = rt.data_dir / rt.smtp_url[len("file:"):]
        return [Outcome("warn", f"outgoing mail is written to {folder}", "file outbox: nothing is sent by e-mail")]
    try:
        transport = SmtpTransport(rt.smtp_url)
        transport.check()
    except (ValueError, SecretError, DeliveryError) as exc:
        return [Outcome("fail", f"SMTP login {rt.smtp_url}", str(exc))]
    return [Outcome("ok", f"SMTP login {rt.smtp_url}")]


def check_data_dir(rt) -> list[Outcome]:
    if not rt.data_dir.exists():
        return [Outcome("ok", f"data directory {rt.data_dir}", "does not exist yet; the first poll creates it")]
    if not rt.data_dir.is_dir():
        return [Outcome("fail", f"data directory {rt.data_dir}", "is a file, not a directory")]
    return [Outcome("ok", f"data directory {rt.data_dir}")]


def run_checks(rt) -> list[Outcome]:
    from .followup import campaign_end

    c = rt.campaign
    return [Outcome("ok", f"campaign file {c.source}",
                    f"campaign {c.id}, {len(c.units)} units, deadline {c.deadline}, end {campaign_end(c)}"),
            *(Outcome("fail", f"{c.source} {todo}") for todo in todo_marks(c.source)),
            *check_templates(c), *check_recipients(c), *check_data_dir(rt), *check_mailbox(rt), *check_smtp(rt)]
