"""The embedded mail source: a Maildir on this machine (the default, and what `demo` fills).

Rules, and why:

- Messages are read from new/ and cur/; tmp/ holds deliveries still being written.
- The key is `maildir:<unique part of the file name>` (the part before ":2,"). It stays the same
  when a mail reader moves the file from new/ to cur/ or changes its flags.
- "Processed" is a keyword, not the S (seen) flag, which a person reading the mail sets too.
  Maildir itself has no keywords; Dovecot keeps them as lower-case letters in the flags part of
  the file name, named by the file `dovecot-keywords` in the Maildir ("0 IntakeBotProcessed"
  makes letter a). We follow that convention: a Dovecot serving the same Maildir shows our
  keyword, and a letter Dovecot already gave the keyword is reused.
- Marking renames the file into cur/ with the letter added. The bytes never change and nothing
  is ever deleted.
- A message's time is when it arrived (`internal_date`), not the Date its sender's machine
  wrote: the file's mtime, as Dovecot keeps it (an IMAP APPEND with a past INTERNALDATE sets
  it), or the delivery time at the start of its unique name when that is earlier (a copied
  Maildir gets new mtimes, its names stay). A message that arrived before the campaign start is
  skipped (never deleted).
- Oldest first: by file mtime (delivery time), then by name.
- A file larger than [limits] max_message_mb is not read whole: the source yields its header
  block with a `truncated_reason`, DOCUMENT_TOO_LARGE when a line of the file declares an
  application/* part or an attachment (a streamed scan, so that memory stays bounded; a text
  body quoting such a header line counts as a document too, which only makes the answer to the
  sender more careful), MESSAGE_TOO_LARGE otherwise.
"""
from __future__ import annotations

import datetime as dt
import itertools
import logging
import mailbox
import os
from pathlib import Path
from typing import BinaryIO, Iterator, NamedTuple

from intake_bot.config import Campaign
from intake_bot.mailbox.base import (
    MailboxError, SourceMessage, before_campaign, check_keyword, is_document_part,
    truncation_reason,
)

log = logging.getLogger(__name__)

KEY_PREFIX = "maildir:"
KEYWORDS_FILE = "dovecot-keywords"
_INFO = ":2,"  # the Maildir "info" separator and version: flags follow
_LETTERS = "abcdefghijklmnopqrstuvwxyz"  # Dovecot's 26 keyword slots
_MAX_LINE = 64 * 1024


class _Entry(NamedTuple):
    unique: str
    path: Path
    flags: str
    mtime: float


class MaildirSource:
    """A Maildir as a MailSource. Created, with its parents, new/, cur/ and tmp/, when missing."""

    def __init__(self, path: str | os.PathLike, campaign: Campaign):
        self.path = Path(path)
        self.campaign = campaign
        self.keyword = check_keyword(campaign.processed_keyword)
        self._seen_at: dict[str, Path] = {}  # unique -> where fetch_new last found the file
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            mailbox.Maildir(self.path, create=True)
        except OSError as exc:
            raise MailboxError(f"cannot open the Maildir {self.path}: {exc.strerror or exc}") from None

    def fetch_new(self) -> Iterator[SourceMessage]:
        return self._fetch(include_processed=False)

    def fetch_all(self) -> Iterator[SourceMessage]:
        return self._fetch(include_processed=True)

    def _fetch(self, include_processed: bool) -> Iterator[SourceMessage]:
        letter = self._keyword_letter(create=False)
        for entry in sorted(self._entries(), key=lambda e: (e.mtime, e.path.name)):
            processed = letter is not None and letter in entry.flags
            if processed and not include_processed:
                continue
            message = self._read(entry.unique, entry.path)
            if message is None or before_campaign(message.internal_date, self.campaign):
                continue
            message.already_processed = processed
            yield message

    def processed_messages(self) -> list[tuple[str, bytes]]:
        letter = self._keyword_letter(create=False)
        if letter is None:
            return []
        found = []
        for entry in self._entries():
            if letter not in entry.flags:
                continue
            try:
                with open(entry.path, "rb") as handle:
                    header = b"".join(itertools.takewhile(lambda line: line.strip(),
                                                          iter(lambda: handle.readline(_MAX_LINE), b"")))
            except FileNotFoundError:  # moved by a mail reader: still marked, seen next time
                continue
            if not before_campaign(arrival(entry.unique, entry.mtime), self.campaign):
                found.append((KEY_PREFIX + entry.unique, header))
        return found

    def mark_processed(self, key: str) -> None:
        if not key.startswith(KEY_PREFIX):
            raise ValueError(f"not a Maildir key: {key!r}")
        unique = key[len(KEY_PREFIX):]
        letter = self._keyword_letter(create=True)
        # A mail reader may move the file between our look and our rename: look once more.
        for _ in range(2):
            path = self._locate(unique)
            if path is None:
                break
            flags = "".join(sorted(set(_flags_of(path.name)) | {letter}))
            target = self.path / "cur" / f"{unique}{_INFO}{flags}"
            try:
                if target != path:
                    os.rename(path, target)
                self._seen_at[unique] = target
                return
            except FileNotFoundError:
                self._seen_at.pop(unique, None)
        log.warning("%s is no longer in %s; nothing to mark", key, self.path)

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own files."""

    # ---------------------------------------------------------------- files

    def _entries(self) -> Iterator[_Entry]:
        for path in self._files():
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:  # moved since the listing
                continue
            yield _Entry(path.name.partition(":")[0], path, _flags_of(path.name), mtime)

    def _files(self) -> Iterator[Path]:
        for sub in ("new", "cur"):
            try:
                names = os.listdir(self.path / sub)
            except FileNotFoundError:
                continue
            yield from (self.path / sub / name for name in names if not name.startswith("."))

    def _locate(self, unique: str) -> Path | None:
        """Where the message is now: where we last saw it, else wherever a reader moved it."""
        known = self._seen_at.get(unique)
        if known is not None and known.exists():
            return known
        return next((p for p in self._files() if p.name.partition(":")[0] == unique), None)

    def _read(self, unique: str, path: Path) -> SourceMessage | None:
        reason = None
        try:
            with open(path, "rb") as handle:
                status = os.fstat(handle.fileno())
                if status.st_size > self.campaign.limits.max_message_bytes:
                    raw, has_document = _headers_and_document_scan(handle)
                    reason = truncation_reason(has_document)
                else:
                    raw = handle.read()
        except (FileNotFoundError, IsADirectoryError):
            # Moved from new/ to cur/ by a mail reader since the listing: read it where it is now.
            moved = self._locate(unique)
            return self._read(unique, moved) if moved is not None and moved != path else None
        self._seen_at[unique] = path
        return SourceMessage(key=KEY_PREFIX + unique, raw=raw, internal_date=arrival(unique, status.st_mtime),
                             truncated_reason=reason)

    # ---------------------------------------------------------------- keyword letter

    def _keyword_letter(self, create: bool) -> str | None:
        """Our keyword's letter from dovecot-keywords; with `create`, given the first free slot
        (the file is rewritten whole and renamed into place, as Dovecot does)."""
        table = self._keyword_table()
        for index, name in table.items():
            if name == self.keyword:
                return _LETTERS[index]
        if not create:
            return None
        free = next((i for i in range(len(_LETTERS)) if i not in table), None)
        if free is None:
            raise MailboxError(
                f"{self.path / KEYWORDS_FILE} already names 26 keywords, Dovecot's limit: "
                f"there is no letter left for {self.keyword}")
        table[free] = self.keyword
        text = "".join(f"{i} {name}\n" for i, name in sorted(table.items()))
        temporary = self.path / f".{KEYWORDS_FILE}.intake-bot"
        temporary.write_text(text, encoding="ascii")
        os.replace(temporary, self.path / KEYWORDS_FILE)
        return _LETTERS[free]

    def _keyword_table(self) -> dict[int, str]:
        try:
            lines = (self.path / KEYWORDS_FILE).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return {}
        table = {}
        for line in lines.splitlines():
            number, _, name = line.strip().partition(" ")
            if number.isdigit() and int(number) < len(_LETTERS) and name:
                table[int(number)] = name
        return table


def _flags_of(name: str) -> str:
    """The flags of a Maildir file name ("unique:2,FLAGS"); none without the "2," info."""
    info = name.partition(":")[2]
    return info[2:] if info.startswith("2,") else ""


def arrival(unique: str, mtime: float) -> dt.datetime:
    """When the message arrived: the earlier of the file's mtime and the delivery time that
    starts its unique name ("1715135640.M…P….host", the Maildir convention), if it has one."""
    seconds, _, _ = unique.partition(".")
    when = min(mtime, int(seconds)) if seconds.isdigit() and int(seconds) > 0 else mtime
    return dt.datetime.fromtimestamp(when, dt.timezone.utc)


def _headers_and_document_scan(handle: BinaryIO) -> tuple[bytes, bool]:
    """The header block of a large file (with its closing blank line), and whether any line
    declares a document part."""
    header: list[bytes] = []
    in_header = True
    has_document = False
    for line in iter(lambda: handle.readline(_MAX_LINE), b""):
        if in_header:
            header.append(line)  # up to and with the blank line, as IMAP's BODY[HEADER]
            in_header = line not in (b"\n", b"\r\n")
        if not has_document:
            has_document = _declares_document(line)
        if has_document and not in_header:
            break
    return b"".join(header), has_document


def _declares_document(line: bytes) -> bool:
    name, _, value = line.partition(b":")
    name = name.strip().lower()
    text = value.decode("ascii", "replace").partition(";")[0]
    if name == b"content-type":
        return is_document_part(text, None)
    if name == b"content-disposition":
        return is_document_part("", text)
    return False
