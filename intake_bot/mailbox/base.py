"""What every mail source gives the worker."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator, Protocol


@dataclass
class SourceMessage:
    """One message as the source holds it.

    `key` identifies the message at its source for good: `maildir:<unique name>`, or
    `imap:<folder>:<uidvalidity>:<uid>` (plus `gm_msgid` where Gmail offers X-GM-MSGID).
    """

    key: str
    raw: bytes
    internal_date: dt.datetime | None = None
    gm_msgid: int | None = None


class MailSource(Protocol):
    def fetch_new(self) -> Iterator[SourceMessage]:
        """Messages not yet marked processed, oldest first."""

    def mark_processed(self, key: str) -> None:
        """Mark at the source, after the message is recorded; never deletes."""

    def close(self) -> None: ...
