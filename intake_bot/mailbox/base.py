"""What every mail source gives the worker, and the rules every source applies the same way."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Protocol

if TYPE_CHECKING:
    from intake_bot.config import Campaign

# Why a SourceMessage carries only its headers (`truncated_reason`). Both are messages larger than
# [limits] max_message_mb: the source does not download them whole.
MESSAGE_TOO_LARGE = "message_too_large"
"""No document part: recorded as too large, nothing to ask the sender."""
DOCUMENT_TOO_LARGE = "document_too_large"
"""It carries a document: the sender is told the file is too big to receive this way."""


class MailboxError(Exception):
    """The mail source cannot be used. The message says why in plain English, for the operator,
    and never contains a password or token."""


@dataclass
class SourceMessage:
    """One message as the source holds it.

    `key` identifies the message at its source for good: `maildir:<unique name>`, or
    `imap:<folder>:<uidvalidity>:<uid>` (plus `gm_msgid` where Gmail offers X-GM-MSGID).
    `raw` is the message exactly as stored, or only its header block when `truncated_reason`
    is set (one of MESSAGE_TOO_LARGE, DOCUMENT_TOO_LARGE). `already_processed`: the message
    carries our processed mark (only `fetch_all` gives such messages): it was answered before.
    """

    key: str
    raw: bytes
    internal_date: dt.datetime | None = None
    gm_msgid: int | None = None
    truncated_reason: str | None = None
    already_processed: bool = False


class MailSource(Protocol):
    def fetch_new(self) -> Iterator[SourceMessage]:
        """Messages not yet marked processed, oldest first."""

    def fetch_all(self) -> Iterator[SourceMessage]:
        """Every message of the campaign, the processed ones too (`poll --rescan`), oldest first."""

    def processed_messages(self) -> list[tuple[str, bytes]]:
        """(key, header block) of the campaign's messages marked processed: what a store that
        has lost its records would not know (lost_store.py)."""

    def mark_processed(self, key: str) -> None:
        """Mark at the source, after the message is recorded; never deletes."""

    def close(self) -> None: ...


def before_campaign(when: dt.datetime | None, campaign: Campaign) -> bool:
    """Whether a message dated `when` arrived on a day before the campaign started.

    Days are the campaign's (its time zone), as the supervision plan counts them. A time without
    a zone is taken as UTC (RFC 5322 "-0000" means exactly that). An unknown date is not "before":
    a message we cannot date is looked at rather than silently skipped.
    """
    if when is None:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(campaign.tz).date() < campaign.start


def is_document_part(content_type: str, disposition: str | None) -> bool:
    """Whether a MIME part is (or may be) a report document: any application/* part, or any part
    sent as an attachment. Decides, for a message too large to download, whether the sender
    should hear that the file was too big (DOCUMENT_TOO_LARGE)."""
    main = content_type.strip().lower().partition("/")[0]
    return main == "application" or (disposition or "").strip().lower() == "attachment"


def truncation_reason(has_document: bool) -> str:
    return DOCUMENT_TOO_LARGE if has_document else MESSAGE_TOO_LARGE


_KEYWORD = re.compile(r"[A-Za-z0-9_.\-]+")


def check_keyword(keyword: str) -> str:
    """The processed keyword, if it is a safe one: ASCII letters, digits, "-", "_" and ".".

    That is stricter than an IMAP atom (RFC 3501), on purpose: such a keyword needs no quoting in
    SEARCH, is no system flag (no backslash), and fits a line of Dovecot's Maildir keyword file.
    """
    if not _KEYWORD.fullmatch(keyword or ""):
        raise MailboxError(
            f"[mailbox] processed_keyword {keyword!r} cannot be an IMAP keyword: use ASCII letters, "
            "digits and - _ . only, with no spaces (for example IntakeBotProcessed)")
    return keyword
