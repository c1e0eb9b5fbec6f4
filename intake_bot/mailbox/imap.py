"""The IMAP mail source, over imapclient.

Rules, and why:

- Only the campaign's mail, not yet processed: `SEARCH SINCE <date> NOT KEYWORD <keyword>`, ASCII
  criteria only (many servers reject anything else). See `unprocessed_criteria` for the quirks.
  `poll --rescan` takes the processed mail too (`fetch_all`), and the check for a lost store
  lists it (`processed_messages`: Message-ID and Date only).
- A message is keyed `imap:<folder>:<UIDVALIDITY>:<UID>`, which names it for good (RFC 3501);
  Gmail's X-GM-MSGID is kept too where the server offers it.
- Bodies are fetched with BODY.PEEK[], which leaves \\Seen alone: the secretary still sees the
  mail as unread in her own client.
- Work goes in batches of [mailbox] fetch_batch UIDs. RFC822.SIZE and INTERNALDATE come first;
  a message larger than [limits] max_message_mb is not downloaded: its BODYSTRUCTURE says
  whether it carries a document and only its header block is fetched (SourceMessage
  `truncated_reason`). The other bodies come in groups whose total size stays under that same
  limit, so that memory stays bounded. BODYSTRUCTURE is asked for the large messages only:
  parsing it is most of the cost of a pass (notes/dovecot-on-these-machines.md).
- Marking processed adds the keyword, or the Gmail label on Gmail. Mail is never deleted. When
  [mailbox] move_processed_to names a folder, the marked message is also moved there (MOVE, or
  COPY where the server has no MOVE: the original then stays, marked).
- A dropped connection is retried with growing pauses; the pass resumes where it was, without
  offering again a message it already gave in this pass. Login refused, a missing folder, a
  certificate that does not verify: those are not retried, they raise MailboxError.

Server quirks, each in one named place:

- `unprocessed_criteria`, `processed_criteria`: SINCE compares dates in the server's time zone;
  Gmail's labels.
- `keywords_allowed`: a server that does not keep custom keywords (PERMANENTFLAGS without
  `\\*`, as with a read-only folder or an ACL without the "w" right). Then the UIDs marked
  processed are remembered in the state file instead, with a warning: the bot keeps working and
  the database still recognises every recorded message.
- `ImapSource._login`: imaplib sends LOGIN arguments as ASCII; a non-ASCII password goes with
  AUTHENTICATE PLAIN, which carries UTF-8.
- `ImapSource._note_uidvalidity`: a folder renumbered by the server (UIDVALIDITY changed).
- `has_document_part`: where the disposition sits in a BODYSTRUCTURE depends on the part type.
- `ImapSource._select`: imaplib raises (an "abort", like a dropped connection) when the server
  opens a folder READ-ONLY, as for a shared folder we may only read: such a folder is opened
  with EXAMINE, and what was processed is remembered in the state file as above.
"""
from __future__ import annotations

import datetime as dt
import imaplib
import ipaddress
import itertools
import json
import logging
import os
import re
import ssl
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from imapclient import IMAPClient, imap_utf7
from imapclient.exceptions import LoginError

from intake_bot.config import Campaign
from intake_bot.mailbox.base import (
    MailboxError, SourceMessage, before_campaign, check_keyword, is_document_part,
    truncation_reason,
)

log = logging.getLogger(__name__)

KEY_PREFIX = "imap:"
TLS_MODES = ("ssl", "starttls", "plain-if-no-starttls")
# What a dropped or refused connection raises: socket errors (OSError, which includes ssl and
# timeout errors) and imaplib's abort (IMAPClientAbortError is the same class).
CONNECTION_ERRORS = (OSError, imaplib.IMAP4.abort)

T = TypeVar("T")
_BYTES_REPR = re.compile(r"b(['\"])(.*)\1", re.S)


class ImapSource:
    """One IMAP folder as a MailSource.

    `tls` is "ssl" (imaps://, TLS from the first byte), "starttls" (STARTTLS required) or
    "plain-if-no-starttls" (imap://: STARTTLS when offered, else plain, which is refused for
    any host but this machine's loopback so that a password never crosses a network in clear).
    Give `password` or `oauth2_token` (XOAUTH2, as Gmail and Microsoft 365 take).

    `state_path` is a small JSON file (shared by sources, one entry per account and folder) that
    remembers the folder's UIDVALIDITY between passes, and the processed UIDs on a server that
    cannot keep our keyword. Without it the memory lasts as long as the object.

    Connects at once, so that a wrong URL or password is reported by `open_source`; `sleep`,
    `max_attempts` and the delays govern reconnecting after a dropped connection.
    """

    def __init__(self, host: str, port: int, user: str, folder: str = "INBOX",
                 tls: str = "ssl", *, campaign: Campaign, password: str | None = None,
                 oauth2_token: str | None = None, state_path: Path | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_attempts: int = 6,
                 first_delay: float = 2.0, max_delay: float = 60.0, timeout: float = 60.0,
                 ssl_context: ssl.SSLContext | None = None):
        if tls not in TLS_MODES:
            raise ValueError(f"tls must be one of {TLS_MODES}, not {tls!r}")
        if not (password or oauth2_token):
            raise MailboxError(f"no password or OAuth2 token for {user}@{host}")
        self.host, self.port, self.user, self.folder, self.tls = host, port, user, folder, tls
        self.campaign = campaign
        self.keyword = check_keyword(campaign.processed_keyword)
        self.state_path = state_path
        self.uidvalidity: int | None = None
        self._password = password
        self._token = oauth2_token
        self._sleep = sleep
        self._max_attempts = max(1, max_attempts)
        self._first_delay, self._max_delay = first_delay, max_delay
        self._timeout = timeout
        self._ssl_context = ssl_context
        self._client: IMAPClient | None = None
        self._gmail = False
        self._keywords_ok = True
        self._warned_no_keywords = False
        self._state = self._load_state()
        try:
            self._connect()
        except ssl.SSLError as exc:
            hint = (": imaps:// needs a port that speaks TLS from the first byte (993); a plain or STARTTLS "
                    "port (143) is imap://" if self.tls == "ssl" else "")
            raise MailboxError(f"TLS handshake with {self.host}:{self.port} failed ({self._scrub(exc)}){hint}") from None
        except CONNECTION_ERRORS as exc:
            raise MailboxError(f"cannot connect to {self.where}: {self._scrub(exc)}") from None
        except imaplib.IMAP4.error as exc:
            raise MailboxError(f"{self.where} refused the session: {self._scrub(exc)}") from None

    @property
    def where(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    # ---------------------------------------------------------------- the MailSource protocol

    def fetch_new(self) -> Iterator[SourceMessage]:
        return self._fetch(include_processed=False)

    def fetch_all(self) -> Iterator[SourceMessage]:
        return self._fetch(include_processed=True)

    def processed_messages(self) -> list[tuple[str, bytes]]:
        return self._with_retry("listing the processed mail", self._processed_headers)

    def _fetch(self, include_processed: bool) -> Iterator[SourceMessage]:
        given: set[str] = set()  # keys offered (or skipped) in this pass, across reconnects
        while True:
            batch = self._with_retry("fetching mail", lambda: self._next_batch(given, include_processed))
            if batch is None:
                return
            for message in batch:
                given.add(message.key)
                yield message

    def mark_processed(self, key: str) -> None:
        folder, uidvalidity, uid = parse_key(key)
        self._with_retry(f"marking {key} processed", lambda: self._mark(folder, uidvalidity, uid))

    def close(self) -> None:
        """Log out; a connection already gone is no error."""
        if self._client is not None:
            _close_quietly(self._client)
            self._client = None

    def wait_for_new(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the server to speak (IMAP IDLE, RFC 2177); True when
        it announced new mail, False when time ran out or it spoke of something else (the next
        poll finds out). A server without IDLE: just wait, and say False."""
        return self._with_retry("waiting for new mail", lambda: self._idle(timeout))

    # ---------------------------------------------------------------- connection

    def _with_retry(self, what: str, operation: Callable[[], T]) -> T:
        """Run `operation`, reconnecting after a dropped connection with pauses that double from
        `first_delay` up to `max_delay`, at most `max_attempts` tries in all."""
        attempt = 0
        while True:
            attempt += 1
            try:
                if self._client is None:
                    self._connect()
                return operation()
            except CONNECTION_ERRORS as exc:
                self._drop()
                reason = self._scrub(exc)
                if attempt >= self._max_attempts:
                    raise MailboxError(
                        f"lost the connection to {self.where} while {what}, and {attempt} "
                        f"attempts to get it back failed: {reason}") from None
                delay = min(self._first_delay * 2 ** (attempt - 1), self._max_delay)
                log.warning("connection to %s lost while %s (%s); trying again in %.0f s",
                            self.where, what, reason, delay)
                self._sleep(delay)
            except imaplib.IMAP4.error as exc:
                raise MailboxError(f"{self.where} refused {what}: {self._scrub(exc)}") from None

    def _drop(self) -> None:
        """Forget a broken connection without talking to the server any more."""
        if self._client is not None:
            try:
                self._client.shutdown()
            except OSError:
                pass
            self._client = None

    def _connect(self) -> None:
        """Connect, secure, log in and select the folder. Raises MailboxError for what trying
        again cannot fix; connection errors pass through for `_with_retry`."""
        try:
            client = IMAPClient(self.host, port=self.port, ssl=self.tls == "ssl",
                                ssl_context=self._ssl_context, timeout=self._timeout)
        except ssl.SSLCertVerificationError as exc:
            raise MailboxError(f"the certificate of {self.host} does not verify: "
                               f"{exc.verify_message}") from None
        client.normalise_times = False  # INTERNALDATE with its zone, for before_campaign
        try:
            self._secure(client)
            self._login(client)
            self._select(client)
        except BaseException:
            _close_quietly(client)
            raise
        self._client = client

    def _secure(self, client: IMAPClient) -> None:
        if self.tls == "ssl":
            return
        if client.has_capability("STARTTLS"):
            try:
                client.starttls(self._ssl_context)
            except ssl.SSLCertVerificationError as exc:
                raise MailboxError(f"the certificate of {self.host} does not verify: "
                                   f"{exc.verify_message}") from None
        elif self.tls == "starttls":
            raise MailboxError(f"{self.host}:{self.port} does not offer STARTTLS")
        elif not is_loopback(self.host):
            raise MailboxError(
                f"{self.host}:{self.port} offers no STARTTLS: the password would travel "
                "unencrypted. Use imaps://HOST:993/ (TLS) instead; plain imap:// is only for "
                "a server on this machine")

    def _login(self, client: IMAPClient) -> None:
        try:
            if self._token:
                client.oauth2_login(self.user, self._token)
            elif (self.user + self._password).isascii():
                client.login(self.user, self._password)
            else:
                client.plain_login(self.user, self._password)
        except LoginError as exc:
            raise MailboxError(f"login failed for {self.where}: {self._scrub(exc)}") from None

    def _select(self, client: IMAPClient) -> None:
        try:
            info = client.select_folder(self.folder)
        except imaplib.IMAP4.readonly:
            info = client.select_folder(self.folder, readonly=True)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            raise MailboxError(
                f"cannot open the folder {self.folder!r} at {self.where}: {self._scrub(exc)}") from None
        self._gmail = bool(self.campaign.gmail_label) and client.has_capability("X-GM-EXT-1")
        self._keywords_ok = self._gmail or (
            b"READ-ONLY" not in info and keywords_allowed(info.get(b"PERMANENTFLAGS", ()), self.keyword))
        if not self._keywords_ok and not self._warned_no_keywords:
            self._warned_no_keywords = True
            log.warning("%s/%s does not keep the keyword %s; processed messages are remembered "
                        "in %s instead", self.where, self.folder, self.keyword,
                        self.state_path or "memory")
        self._note_uidvalidity(info[b"UIDVALIDITY"])
        target = self.campaign.move_processed_to
        if target and not client.folder_exists(target):
            client.create_folder(target)

    # ---------------------------------------------------------------- one batch

    def _next_batch(self, given: set[str], include_processed: bool = False) -> list[SourceMessage] | None:
        """The next `fetch_batch` messages not yet processed (or all, with `include_processed`)
        nor given in this pass (fewer, even none, when some turn out to be from before the
        campaign); None when there are no more. Searching again for each batch lets a pass
        resume after a reconnect, even into a renumbered folder."""
        processed = self._processed_uids() if include_processed else set()
        candidates = self._unprocessed(given) if not include_processed else [
            uid for uid in sorted(self._client.search(["SINCE", self.campaign.start - dt.timedelta(days=1)]))
            if self._key(uid) not in given]
        uids = candidates[: max(1, self.campaign.fetch_batch)]
        if not uids:
            return None
        items = ["RFC822.SIZE", "INTERNALDATE"] + (["X-GM-MSGID"] if self._gmail else [])
        meta = self._client.fetch(uids, items)
        for uid in uids:
            if uid not in meta or before_campaign(meta[uid].get(b"INTERNALDATE"), self.campaign):
                given.add(self._key(uid))  # expunged meanwhile, or from before the campaign
        raw, reasons = self._download([u for u in uids if self._key(u) not in given], meta)
        batch = []
        for uid in uids:
            if uid not in raw:
                given.add(self._key(uid))
                continue
            batch.append(SourceMessage(
                key=self._key(uid), raw=raw[uid], internal_date=meta[uid].get(b"INTERNALDATE"),
                gm_msgid=meta[uid].get(b"X-GM-MSGID"), truncated_reason=reasons.get(uid),
                already_processed=uid in processed))
        return batch

    def _processed_uids(self) -> set[int]:
        """The UIDs carrying our mark (label, keyword, or the state file's list)."""
        if not (self._gmail or self._keywords_ok):
            return set(self._state.get("processed_uids", ()))
        return set(self._client.search(processed_criteria(self.campaign.start, self.keyword, self._gmail_label())))

    def _processed_headers(self) -> list[tuple[str, bytes]]:
        uids = sorted(self._processed_uids())
        found = []
        for start in range(0, len(uids), max(1, self.campaign.fetch_batch)):
            group = uids[start:start + max(1, self.campaign.fetch_batch)]
            fetched = self._client.fetch(group, ["INTERNALDATE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE)]"])
            for uid, data in sorted(fetched.items()):
                if before_campaign(data.get(b"INTERNALDATE"), self.campaign):
                    continue
                header = next((v for k, v in data.items() if bytes(k).startswith(b"BODY[")), b"")
                found.append((self._key(uid), header or b""))
        return found

    def _unprocessed(self, given: set[str]) -> list[int]:
        processed = set(self._state.get("processed_uids", ()))
        found = self._client.search(unprocessed_criteria(
            self.campaign.start, self.keyword, self._gmail_label(), self._keywords_ok))
        return [uid for uid in sorted(found)
                if uid not in processed and self._key(uid) not in given]

    def _download(self, uids: list[int], meta: dict) -> tuple[dict[int, bytes], dict[int, str]]:
        """Whole messages under the size limit, in groups that stay under it; the header block
        and the truncation reason of the larger ones."""
        limit = self.campaign.limits.max_message_bytes
        sizes = {uid: meta[uid].get(b"RFC822.SIZE", 0) for uid in uids}
        small = [uid for uid in uids if sizes[uid] <= limit]
        large = [uid for uid in uids if sizes[uid] > limit]
        raw: dict[int, bytes] = {}
        reasons: dict[int, str] = {}
        for group in _groups_within(small, sizes, limit):
            for uid, data in self._client.fetch(group, ["BODY.PEEK[]"]).items():
                raw[uid] = data[b"BODY[]"]
        if large:
            for uid, data in self._client.fetch(large, ["BODYSTRUCTURE", "BODY.PEEK[HEADER]"]).items():
                raw[uid] = data[b"BODY[HEADER]"]
                reasons[uid] = truncation_reason(has_document_part(data[b"BODYSTRUCTURE"]))
        return raw, reasons

    def _key(self, uid: int) -> str:
        return f"{KEY_PREFIX}{self.folder}:{self.uidvalidity}:{uid}"

    def _gmail_label(self) -> str | None:
        return self.campaign.gmail_label if self._gmail else None

    # ---------------------------------------------------------------- marking, waiting

    def _mark(self, folder: str, uidvalidity: int, uid: int) -> None:
        if folder != self.folder:
            raise ValueError(f"a key of the folder {folder!r}; this source reads {self.folder!r}")
        if uidvalidity != self.uidvalidity:
            log.warning("not marking UID %s of %s/%s: the folder was renumbered since "
                        "(UIDVALIDITY %s, now %s); the message comes again under its new key",
                        uid, self.where, folder, uidvalidity, self.uidvalidity)
            return
        client = self._client
        if self._gmail:
            client.add_gmail_labels([uid], [self.campaign.gmail_label], silent=True)
        elif self._keywords_ok:
            client.add_flags([uid], [self.keyword], silent=True)
        else:
            self._state["processed_uids"] = sorted({*self._state.get("processed_uids", ()), uid})
            self._save_state()
        target = self.campaign.move_processed_to
        if target:
            if client.has_capability("MOVE"):
                client.move([uid], target)
            else:
                client.copy([uid], target)

    def _idle(self, timeout: float) -> bool:
        client = self._client
        if not client.has_capability("IDLE"):
            self._sleep(timeout)
            return False
        client.idle()
        try:
            responses = client.idle_check(timeout=timeout)
        finally:
            client.idle_done()
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)

    # ---------------------------------------------------------------- state file

    @property
    def _account(self) -> str:
        return f"{self.where}/{self.folder}"

    def _load_state(self) -> dict:
        if self.state_path is None:
            return {}
        try:
            data = json.loads(Path(self.state_path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring the unreadable state file %s (%s)", self.state_path, exc)
            return {}
        entry = data.get(self._account) if isinstance(data, dict) else None
        return entry if isinstance(entry, dict) else {}

    def _save_state(self) -> None:
        if self.state_path is None:
            return
        path = Path(self.state_path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            data = {}
        data[self._account] = self._state
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # worker and CLI may overlap
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)

    def _note_uidvalidity(self, uidvalidity: int) -> None:
        """A new UIDVALIDITY means the server renumbered the folder (rebuilt its index, or the
        folder was deleted and made again): every UID we knew names another message now. The
        keyword travels with the messages, so only the unmarked ones are offered again, under
        new keys; the database recognises any already recorded by Message-ID and content."""
        before = self._state.get("uidvalidity")
        self.uidvalidity = uidvalidity
        if before == uidvalidity:
            return
        if before is not None:
            log.warning("UIDVALIDITY of %s/%s changed from %s to %s: the server renumbered the "
                        "folder; unmarked messages will be looked at again", self.where,
                        self.folder, before, uidvalidity)
        self._state = {"uidvalidity": uidvalidity}
        self._save_state()

    def _scrub(self, error: BaseException | str) -> str:
        """An error's text without any secret in it, whatever the server or library echoed."""
        text = str(error) or type(error).__name__
        quoted = _BYTES_REPR.fullmatch(text)  # imapclient words some errors as "b'...'"
        if quoted:
            text = quoted.group(2)
        for secret in (self._password, self._token):
            if secret:
                text = text.replace(secret, "***")
        return text


# -------------------------------------------------------------------- quirks, as functions


def unprocessed_criteria(start: dt.date, keyword: str, gmail_label: str | None,
                         keywords_ok: bool) -> list:
    """SEARCH criteria for the campaign's messages not yet marked processed, all ASCII.

    SINCE compares the server's own date of arrival, in the server's time zone: ask for one day
    more, and let `before_campaign` decide on our side with the campaign's time zone. On Gmail
    the mark is a label (X-GM-LABELS, in IMAP's modified UTF-7); elsewhere our keyword; on a
    server that keeps no keyword, the date alone (the state file knows the rest).
    """
    criteria: list = ["SINCE", start - dt.timedelta(days=1)]
    if gmail_label:
        criteria += ["NOT", "X-GM-LABELS", imap_utf7.encode(gmail_label)]
    elif keywords_ok:
        criteria += ["NOT", "KEYWORD", keyword]
    return criteria


def processed_criteria(start: dt.date, keyword: str, gmail_label: str | None) -> list:
    """SEARCH criteria for the campaign's messages marked processed (the converse of
    `unprocessed_criteria`, on a server that keeps the mark)."""
    criteria: list = ["SINCE", start - dt.timedelta(days=1)]
    if gmail_label:
        return criteria + ["X-GM-LABELS", imap_utf7.encode(gmail_label)]
    return criteria + ["KEYWORD", keyword]


def keywords_allowed(permanent_flags: tuple[bytes, ...], keyword: str) -> bool:
    """Whether the server keeps our keyword: PERMANENTFLAGS has `\\*` (any new keyword) or
    names the keyword itself (RFC 3501, 7.1). Keywords compare without regard to case."""
    names = {bytes(flag).lower() for flag in permanent_flags}
    return b"\\*" in names or keyword.lower().encode("ascii") in names


def has_document_part(structure) -> bool:
    """Whether a BODYSTRUCTURE (imapclient's parsed form) has a part that `is_document_part`.

    A multipart starts with its parts (a list in imapclient's BodyData, nested tuples below a
    message/rfc822). In a single part the disposition follows the extension data, whose place
    depends on the type (RFC 3501, 7.4.2): index 9 for text/* (after the line count), 11 for
    message/rfc822 (after envelope, body and line count), 8 for every other type. An attached
    message counts by its own disposition, or by what it carries.
    """
    first = structure[0]
    if isinstance(first, list):
        return any(has_document_part(part) for part in first)
    if isinstance(first, tuple):
        return any(has_document_part(part)
                   for part in itertools.takewhile(lambda p: isinstance(p, tuple), structure))
    main, sub = _text(first).lower(), _text(structure[1]).lower()
    place = {"text": 9, "message": 11 if sub == "rfc822" else 8}.get(main, 8)
    disposition = structure[place] if len(structure) > place else None
    kind = _text(disposition[0]) if isinstance(disposition, tuple) and disposition else None
    if is_document_part(f"{main}/{sub}", kind):
        return True
    return main == "message" and sub == "rfc822" and len(structure) > 8 \
        and isinstance(structure[8], tuple) and has_document_part(structure[8])


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_key(key: str) -> tuple[str, int, int]:
    """`imap:<folder>:<uidvalidity>:<uid>` -> (folder, uidvalidity, uid); a folder may hold ':'."""
    if not key.startswith(KEY_PREFIX):
        raise ValueError(f"not an IMAP key: {key!r}")
    folder, uidvalidity, uid = key[len(KEY_PREFIX):].rsplit(":", 2)
    return folder, int(uidvalidity), int(uid)


def _groups_within(uids: list[int], sizes: dict[int, int], budget: int) -> Iterator[list[int]]:
    """Consecutive groups of UIDs whose sizes add up to at most `budget` (a message alone may
    reach it)."""
    group, total = [], 0
    for uid in uids:
        if group and total + sizes[uid] > budget:
            yield group
            group, total = [], 0
        group.append(uid)
        total += sizes[uid]
    if group:
        yield group


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return "" if value is None else str(value)


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection may be gone already; closing must not raise
        try:
            client.shutdown()
        except Exception:
            pass
