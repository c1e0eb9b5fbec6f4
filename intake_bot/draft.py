"""An outgoing mail before it is queued: what the composer gives the outbox."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Draft:
    """`kind` names the purpose (acknowledge, ask_for_missing, ask_for_docx, ask_for_resend,
    reminder_before, reminder_due, reminder_overdue, digest, alert...); `unit` the unit it concerns."""

    kind: str
    to: list[str]
    subject: str
    text: str
    html: str | None = None
    cc: list[str] = field(default_factory=list)
    unit: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (filename, mime type, data)
