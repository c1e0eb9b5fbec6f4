"""`intake-bot check`: everything that can be found wrong before the worker starts.

The campaign file is already loaded and checked when this runs. Here: every template renders
with sample data (a broken template fails now, not at send time), the mailbox can be opened and
the SMTP server accepts a login. Each problem is one line; secrets never appear in them.
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from .compose import REPLY_ACTIONS, ReceivedFile, acknowledgement
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


def check_templates(campaign) -> list[str]:
    from .digest import sample_digest
    from .followup import sample_reminders

    problems = []
    for name, render in (("acknowledgement", _sample_acknowledgements), ("reminder", sample_reminders),
                         ("digest", sample_digest)):
        try:
            render(campaign)
        except Exception as exc:  # any template error, reported with the template's own words
            problems.append(f"{name} templates in {campaign.templates_dir}: {type(exc).__name__}: {exc}")
    return problems


def check_mailbox(rt) -> list[str]:
    from .mailbox.base import MailboxError
    from .mailbox.url import open_source

    try:
        open_source(rt.mailbox_url, rt.data_dir, rt.campaign).close()
    except MailboxError as exc:
        return [f"mailbox: {exc}"]
    except OSError as exc:
        return [f"mailbox: {exc.strerror or exc}"]
    return []


def check_smtp(rt) -> list[str]:
    from .outbox import DeliveryError, SmtpTransport, open_transport

    try:
        transport = open_transport(rt.smtp_url, rt.data_dir)
    except ValueError as exc:
        return [f"smtp: {exc}"]
    if isinstance(transport, SmtpTransport):
        try:
            transport.check()
        except DeliveryError as exc:
            return [f"smtp: {exc}"]
    return []


def run_checks(rt) -> list[str]:
    problems = check_templates(rt.campaign)
    if not rt.campaign.secretary_email:
        problems.append("[secretary] email is empty: the digest and alerts have nowhere to go")
    return problems + check_mailbox(rt) + check_smtp(rt)
