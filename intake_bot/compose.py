"""Replies to a unit's message: what was received, what is missing, what to resend.

The wording lives in templates/acknowledge.*.j2 (operator-editable); this module only gathers
the facts the templates show.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .categories import REPLY_ACTIONS
from .config import Campaign
from .draft import Draft
from .reader.model import Extraction
from .templating import environment, render
from .text import shown_name

# How much of a sender's file name or subject a reply shows: enough to recognise it.
SHOWN_CHARS = 120


@dataclass
class ReceivedFile:
    """One attachment of the message as recorded: the unit's version it is a part of (the
    message's, one for all its files), and the earlier file with the same bytes, if any."""

    filename: str
    version: int | None
    duplicate_of: str | None
    extraction: Extraction | None


def missing_items(campaign: Campaign, unit_id: str | None, extractions: list[Extraction]) -> list[str]:
    """Outline keys that no readable, text-bearing document of the message covers. A DOCX and
    the appendix sent beside it as a workbook together make one report."""
    outline = campaign.outline_of(unit_id)
    readable = [e for e in extractions if e.readable and not e.scanned]
    if outline is None or not readable:
        return []
    present = {key for e in readable if e.outline for key in e.outline.get("present", [])}
    if any(e.tables for e in readable):
        present.add(campaign.appendix.item)
    return [key for key in outline.keys() if key not in present]


def _file_facts(campaign: Campaign, unit_id: str | None, received: ReceivedFile) -> dict:
    ex = received.extraction
    outline = campaign.outline_of(unit_id)
    facts = {
        "filename": shown_name(received.filename, SHOWN_CHARS),
        "version": received.version,
        "duplicate": received.duplicate_of is not None,
        "readable": ex is not None and ex.readable,
        "scanned": bool(ex and ex.scanned),
        "problem": ex.error_vi if ex is not None and not ex.readable else None,
        "sections": 0,
        "rows": len(ex.tables) if ex else 0,
    }
    if ex and ex.outline and outline:
        facts["sections"] = len(ex.outline.get("present", []))
    return facts


def acknowledgement(campaign: Campaign, message, decision, files: list[ReceivedFile],
                    now: dt.datetime | None = None, received_at: dt.datetime | None = None) -> Draft | None:
    """The reply to a unit's message, or None when the decision asks for no reply. It says the
    message was received at `received_at`, its arrival at our server (pipeline.arrival_time),
    which after an outage is well before `now`."""
    if decision.action not in REPLY_ACTIONS or not message.from_address:
        return None
    unit = campaign.units.get(decision.unit or "")
    outline = campaign.outline_of(decision.unit)
    extractions = [f.extraction for f in files if f.extraction is not None]
    missing = missing_items(campaign, decision.unit, extractions)
    now = now or dt.datetime.now(campaign.tz)
    context = {
        "campaign": campaign,
        "unit": unit,
        "kind": decision.action,
        "subject": shown_name(message.subject or "", SHOWN_CHARS),
        "sent_at": message.date,
        "received_at": (received_at or now).astimezone(campaign.tz),
        "files": [_file_facts(campaign, decision.unit, f) for f in files],
        # The message is one submission: one version for all its files, or a resend of earlier ones.
        "version": next((f.version for f in files if f.version is not None), None),
        "resend": any(f.duplicate_of is not None and f.version is None for f in files),
        "missing": [{"key": key, "title": outline.title_of(key)} for key in missing] if outline else [],
        "deadline_passed": now.astimezone(campaign.tz).date() > campaign.deadline,
        "links": list(getattr(decision, "links", [])),
        "promised": getattr(decision, "promised", None),
    }
    env = environment(campaign.templates_dir)
    subject = " ".join(render(env, "acknowledge.subject.j2", context).split())
    return Draft(
        kind=decision.action,
        to=[message.from_address],
        subject=subject,
        text=render(env, "acknowledge.txt.j2", context),
        html=render(env, "acknowledge.html.j2", context),
        unit=decision.unit,
        in_reply_to=message.message_id,
        references=_references(message),
    )


def _references(message) -> list[str]:
    """The thread's References plus the message itself (RFC 5322 3.6.4)."""
    earlier = message.references or []
    if isinstance(earlier, str):
        earlier = earlier.split()
    return [*earlier, *([message.message_id] if message.message_id else [])]
