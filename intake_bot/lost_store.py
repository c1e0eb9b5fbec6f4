"""A store that does not match the mailbox: found before any reminder or digest goes out, and
rebuilt by `intake-bot poll --rescan`.

Why: every message the bot has handled carries the processed mark at the source (an IMAP keyword,
a Gmail label, a Dovecot Maildir keyword letter), and a pass only looks at unmarked mail. A bot
started over a database that lost its records — a deleted or replaced intake.db, a mistyped
`--data-dir`, another INTAKE_BOT_DATABASE_URL — therefore sees nothing, believes no unit has
reported, and would remind every unit, those that reported included, and tell the secretary that
nothing came.

The check (`find_lost_records`): the campaign's messages marked processed at the source that the
store knows neither by their source key nor by their Message-ID. One is enough: reminders and the
digest are refused with the reason (`LostRecords.reason`), in the log and on stderr.

The rebuild (`rescan`): one pass over every message of the campaign, the processed ones included
(`MailSource.fetch_all`), then over the raw messages kept in DATA/archive that the mailbox no
longer holds (`archived_messages`: deleted or moved there since). Each is recorded as a new one
would be — classified, read, given its version — but a message processed before (marked at the
source, or known only from the archive) gets no reply again (`SourceMessage.already_processed`;
the pipeline drops the reply and records why). Mail never processed is answered as in any pass;
messages the store already holds are skipped as in any pass, so a rescan may be run again.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import Iterator

from .config import Campaign
from .mailbox.base import MailSource, SourceMessage, before_campaign
from .message import parse_message
from .store.archive import Archive
from .store.db import Store

log = logging.getLogger(__name__)

ARCHIVE_KEY_PREFIX = "archive:"
# A raw message starts with a header field ("Name: value"); a document blob does not.
_FIRST_HEADER = re.compile(rb"^[!-9;-~]+:")
_HEADER_BYTES = 64 * 1024


@dataclass
class LostRecords:
    """Processed messages at the source (`marked`) of which the store knows none of `unknown`."""

    marked: int
    unknown: list[str]
    database: str

    def reason(self) -> str:
        return (f"refusing to send reminders and the digest: the mailbox holds {len(self.unknown)} message(s), "
                f"of {self.marked} marked processed, that the database {self.database} does not know. "
                "It was lost or replaced, or --data-dir (or INTAKE_BOT_DATABASE_URL) names the wrong one; "
                "every unit would be reminded, those that reported too. Check --data-dir; to rebuild the "
                "database from the mailbox (and DATA/archive) without answering anyone again, run "
                "`intake-bot --data-dir DIR poll --rescan`.")


def find_lost_records(store: Store, source: MailSource, campaign: Campaign) -> LostRecords | None:
    """The source's processed messages unknown to the store, or None when it knows them all."""
    marked = source.processed_messages()
    known_keys = store.known_source_keys([key for key, _ in marked])
    # The same message may sit under another key (a renumbered IMAP folder): its Message-ID.
    by_id = {key: parse_message(header, campaign.limits).message_id for key, header in marked if key not in known_keys}
    known_ids = store.known_message_ids([i for i in by_id.values() if i])
    unknown = [key for key, message_id in by_id.items() if not (message_id and message_id in known_ids)]
    if not unknown:
        return None
    return LostRecords(len(marked), unknown, store.display_url)


def check_before_sending(store: Store, mailbox_url: str, data_dir, campaign: Campaign) -> str | None:
    """Why no reminder or digest may go now (the store lost records), or None. A mailbox that
    cannot be opened cannot be compared: that is logged and is no reason (health.py tells people
    of a failing mailbox)."""
    from .mailbox.base import MailboxError
    from .mailbox.url import open_source

    try:
        source = open_source(mailbox_url, data_dir, campaign)
        try:
            lost = find_lost_records(store, source, campaign)
        finally:
            source.close()
    except MailboxError as exc:
        log.warning("cannot compare the database with the mailbox before sending (%s)", exc)
        return None
    return lost.reason() if lost else None


class MailboxAndArchive:
    """`poll --rescan`'s source: all the campaign's mail of `source`, then the archive's raw
    messages that the store does not hold (keys `archive:<sha256>`)."""

    def __init__(self, source: MailSource, store: Store, campaign: Campaign):
        self.source = source
        self.store = store
        self.campaign = campaign

    def fetch_all(self) -> Iterator[SourceMessage]:
        yield from self.source.fetch_all()
        for message in archived_messages(self.store.archive, self.campaign):
            if not self.store.raw_recorded(message.key[len(ARCHIVE_KEY_PREFIX):]):
                yield message

    def mark_processed(self, key: str) -> None:
        if not key.startswith(ARCHIVE_KEY_PREFIX):
            self.source.mark_processed(key)

    def close(self) -> None:
        self.source.close()


def archived_messages(archive: Archive, campaign: Campaign) -> Iterator[SourceMessage]:
    """The raw messages of the campaign in the archive, in the order they were archived. The
    archive also holds attachments: a blob is a message when it starts with header fields that
    name a sender and a date or Message-ID. Blobs over the message size limit are documents (the
    sources archive only the header block of a larger message)."""
    blobs = sorted((path for path in archive.root.glob("??/??/*") if path.is_file()),
                   key=lambda path: (path.stat().st_mtime, path.name))
    for path in blobs:
        if path.stat().st_size > campaign.limits.max_message_bytes:
            continue
        with open(path, "rb") as handle:
            head = handle.read(_HEADER_BYTES)
        if not _FIRST_HEADER.match(head):
            continue
        headers = BytesHeaderParser().parsebytes(head)
        if not headers.get("From") or not (headers.get("Date") or headers.get("Message-ID")):
            continue
        when = _date(headers.get("Date"))
        if before_campaign(when, campaign):
            continue
        yield SourceMessage(key=ARCHIVE_KEY_PREFIX + path.name, raw=path.read_bytes(), internal_date=when,
                            already_processed=True)


def _date(value) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None
