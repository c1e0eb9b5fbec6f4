"""The outbox: every outgoing mail is a database row first, then a delivery with retries.

Once-only (docs/design.md, invariant 2). Each mail has a key (`ack:<message-id>`, `remind:<unit>:<slot>`,
...), unique in the outbox, so queuing it twice does nothing, and a Message-ID derived from that
key, so any copy that does go out twice carries the same id and threads as one.

Delivery is at-most-once over SMTP and exactly-once to files. A row is committed as `sending`
just before the message itself goes (SMTP DATA, once the server has accepted the sender and the
recipients) and as `sent` after the server accepted it. If the worker dies in between, nobody
knows whether the server got the mail, so on the next flush that row becomes `unknown` and is
shown to the secretary instead of being resent. A connection lost once DATA has begun is
`unknown` for the same reason. A worker that dies earlier in the exchange (connecting, logging
in, MAIL, RCPT) leaves the row `queued`: the server discards a transaction without its DATA, so
the mail is sent again, once. The file transport names each .eml after the key's hash and writes
it atomically, so a `sending` row is simply written again.

Failures: a 4xx answer or an unreachable server keeps the mail queued with exponential back-off,
up to campaign.smtp_max_attempts; a 5xx answer fails it at once with the server's words.

Our mail marks itself (RFC 3834 `Auto-Submitted`, `X-Auto-Response-Suppress: All` for Exchange,
and `X-Intake-Bot`, which classify recognises), so that out-of-office robots do not answer it and
the bot never answers itself. There is no `Precedence: bulk`: it hurts delivery to real inboxes.

flush() must run under lock.pass_lock: a `sending` row is taken for a dead worker's.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import smtplib
import ssl
from collections import Counter
from email import policy
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Callable, Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

from . import headers
from .config import Campaign
from .draft import Draft
from .secrets import read_secret
from .store.archive import atomic_write, private_dir
from .store.db import NewOutgoing, Store
from .store.models import OutgoingRow

log = logging.getLogger(__name__)

BOT_HEADER = "X-Intake-Bot"
SMTP_PASSWORD_ENV = "INTAKE_BOT_SMTP_PASSWORD"
RETRY_FIRST = dt.timedelta(minutes=2)
RETRY_LONGEST = dt.timedelta(hours=4)
FLUSH_OUTCOMES = ("sent", "retry", "failed", "unknown")


class DeliveryError(Exception):
    """A transport could not deliver a mail; the subclass says what the outbox does next."""


class TemporaryFailure(DeliveryError):
    """Nothing was delivered and trying later may work (4xx, connection refused)."""


class TransportDown(TemporaryFailure):
    """The server cannot be reached or refuses our login: no point trying the next mail now."""


class PermanentFailure(DeliveryError):
    """The server refused the mail for good (5xx), or the mail cannot be built."""


class DeliveryUnknown(DeliveryError):
    """The connection was lost after the message went out: it may have been delivered."""


class Transport(Protocol):
    at_most_once: bool  # True when a mail caught in `sending` may already be delivered

    def send(self, data: bytes, sender: str, recipients: list[str], key: str,
             committing: Callable[[], None]) -> str | None:
        """Deliver the message `data`, or raise a DeliveryError; return a note worth keeping
        (refused recipients). Call `committing()` at the last moment before which nothing can
        have been delivered."""

    def close(self) -> None: ...


def message_id_for(campaign_id: str, key: str, domain: str) -> str:
    """The same key always gives the same Message-ID."""
    digest = hashlib.sha256(f"{campaign_id}\0{key}".encode()).hexdigest()[:32]
    return f"<intake-bot.{digest}@{domain or 'localhost'}>"


def key_ident(message_id: str | None, source_key: str) -> str:
    """The part of an outbox key that names the received message it answers: its Message-ID, or
    the source key when it has none; an id too long for the key column, as only hostile mail has,
    is replaced by its hash."""
    ident = message_id or source_key
    if len(ident) > 400:
        ident = "sha256:" + hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest()
    return ident


def retry_delay(attempts: int) -> dt.timedelta:
    """2, 4, 8 ... minutes after the 1st, 2nd, 3rd ... failed attempt, at most 4 hours."""
    return min(RETRY_FIRST * 2 ** max(0, attempts - 1), RETRY_LONGEST)


class Outbox:
    def __init__(self, store: Store, campaign: Campaign):
        self.store = store
        self.campaign = campaign

    def prepare(self, key: str, draft: Draft) -> NewOutgoing:
        """The outbox row for a draft; its attachments go into the archive, the row keeps
        references (sha256) only."""
        attachments = [{"filename": name, "content_type": ctype, "sha256": self.store.archive.put(data)}
                       for name, ctype, data in draft.attachments]
        domain = self.campaign.from_address.rpartition("@")[2]
        return NewOutgoing(
            key=key, kind=draft.kind, to=list(draft.to), cc=list(draft.cc), subject=draft.subject,
            text=draft.text, html=draft.html, unit=draft.unit,
            headers={"in_reply_to": draft.in_reply_to, "references": list(draft.references)},
            attachments=attachments, message_id=message_id_for(self.campaign.id, key, domain))

    def queue(self, key: str, draft: Draft, now: dt.datetime, session: Session | None = None) -> bool:
        """Queue a draft under `key`; a key already in the outbox is left as it is (False).
        With `session`, the row joins that transaction (a reminder and its bookkeeping)."""
        item = self.prepare(key, draft)
        if session is not None:
            return self.store.queue_outgoing(session, item, now)
        with self.store.transaction() as s:
            return self.store.queue_outgoing(s, item, now)

    def build(self, row: OutgoingRow) -> EmailMessage:
        """The MIME message of an outbox row: text with an HTML alternative, attachments,
        UTF-8 bodies and RFC 2047 headers (headers.py: the spaces inside the encoded words). Deterministic: the same row gives the same bytes."""
        c = self.campaign
        if not row.to:
            raise ValueError("the mail has no recipient")
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"] = headers.mailbox("From", c.from_name, c.from_address)
        msg["To"] = [Address(addr_spec=a) for a in row.to]
        if row.cc:
            msg["Cc"] = [Address(addr_spec=a) for a in row.cc]
        msg["Subject"] = headers.unstructured("Subject", row.subject)
        msg["Date"] = format_datetime(row.created_at.astimezone(c.tz))
        msg["Message-ID"] = row.message_id
        thread = row.headers or {}
        if thread.get("in_reply_to"):
            msg["In-Reply-To"] = thread["in_reply_to"]
        if thread.get("references"):
            msg["References"] = " ".join(thread["references"])
        # RFC 3834: a reply to a received message is auto-replied, anything else auto-generated.
        msg["Auto-Submitted"] = "auto-replied" if row.message_row_id is not None else "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
        msg[BOT_HEADER] = f"{c.id}; kind={row.kind}"
        msg.set_content(row.text, cte="quoted-printable")
        if row.html:
            msg.add_alternative(row.html, subtype="html", cte="quoted-printable")
        for a in row.attachments or []:
            maintype, _, subtype = (a.get("content_type") or "application/octet-stream").partition("/")
            msg.add_attachment(self.store.archive.get(a["sha256"]), maintype=maintype,
                               subtype=subtype or "octet-stream", filename=a["filename"])
        for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
            part.set_boundary(f"=_intake_{row.message_id.strip('<>').split('@')[0][-16:]}_{n}")
        return msg

    def flush(self, transport: Transport, now: dt.datetime) -> dict[str, int]:
        """Send the queued mail that is due; return how many were sent, put back for a retry,
        failed, or left unknown. The transport is closed at the end (the next flush is minutes
        away: an SMTP session would not live that long)."""
        counts: Counter = Counter()
        try:
            counts["unknown"] += self._settle_interrupted(transport)
            for row in self.store.due_outgoing(now):
                outcome = self._deliver(row, transport, now)
                counts[outcome] += 1
                if outcome == "down":
                    break
        finally:
            transport.close()
        counts["retry"] += counts.pop("down", 0)
        return {outcome: counts.get(outcome, 0) for outcome in FLUSH_OUTCOMES}

    def _settle_interrupted(self, transport: Transport) -> int:
        """Rows a dead worker left in `sending`: written again to files, `unknown` over SMTP."""
        unknown = 0
        for row in self.store.outgoing_in_states("sending"):
            if transport.at_most_once:
                self.store.set_outgoing_state(
                    row.id, "unknown", error="the worker stopped while this mail was being sent; it may "
                                             "or may not have been delivered, so it is not resent")
                unknown += 1
            else:
                self.store.set_outgoing_state(row.id, "queued", error=row.last_error,
                                              next_attempt_at=row.next_attempt_at)
        return unknown

    def _deliver(self, row: OutgoingRow, transport: Transport, now: dt.datetime) -> str:
        try:
            data = self.build(row).as_bytes(policy=policy.SMTP)
        except (ValueError, MessageError, OSError) as exc:
            self.store.set_outgoing_state(row.id, "failed", error=f"cannot build the mail: {exc}")
            return "failed"
        recipients = list(dict.fromkeys(a.lower() for a in [*row.to, *row.cc]))
        log.info("outbox %s: sending", row.key)
        attempts = row.attempts + 1
        try:
            note = transport.send(data, self.campaign.from_address, recipients, row.key,
                                  committing=lambda: self.store.begin_sending(row.id))
        except PermanentFailure as exc:
            self.store.set_outgoing_state(row.id, "failed", error=str(exc), attempts=attempts)
            return "failed"
        except DeliveryUnknown as exc:
            self.store.set_outgoing_state(row.id, "unknown", error=str(exc), attempts=attempts)
            return "unknown"
        except TemporaryFailure as exc:
            if attempts >= self.campaign.smtp_max_attempts:
                self.store.set_outgoing_state(row.id, "failed", attempts=attempts,
                                              error=f"gave up after {attempts} attempts: {exc}")
                return "failed"
            self.store.set_outgoing_state(row.id, "queued", error=str(exc), attempts=attempts,
                                          next_attempt_at=now + retry_delay(attempts))
            return "down" if isinstance(exc, TransportDown) else "retry"
        self.store.set_outgoing_state(row.id, "sent", error=note, sent_at=now, attempts=attempts)
        log.info("outbox %s: sent", row.key)
        return "sent"


class FileTransport:
    """Writes each mail as DIR/<hash of key>.eml: the embedded default, and the demo's outbox.
    'Sent' means written; writing the same key again replaces the file with the same bytes."""

    at_most_once = False

    def __init__(self, directory: str | os.PathLike):
        self.directory = private_dir(Path(directory))

    def path_for(self, key: str) -> Path:
        return self.directory / (hashlib.sha256(key.encode()).hexdigest()[:40] + ".eml")

    def send(self, data: bytes, sender: str, recipients: list[str], key: str,
             committing: Callable[[], None]) -> None:
        committing()
        try:
            atomic_write(self.path_for(key), data)
        except OSError as exc:
            raise TransportDown(f"cannot write to {self.directory}: {exc.strerror or exc}") from None

    def close(self) -> None:
        """Nothing to close: each mail is its own file."""


class SmtpTransport:
    """smtp://[USER@]HOST:PORT (STARTTLS when the server offers it) or smtps://[USER@]HOST:PORT
    (TLS from the start). The password comes from INTAKE_BOT_SMTP_PASSWORD, never the URL.
    One connection serves a whole flush."""

    at_most_once = True

    def __init__(self, url: str, password: str | None = None, timeout: float = 30.0,
                 tls_context: ssl.SSLContext | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"{url!r} is not smtp://[USER@]HOST:PORT or smtps://[USER@]HOST:PORT")
        if parts.password:
            raise ValueError(f"the SMTP URL must not carry a password: set {SMTP_PASSWORD_ENV} instead")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = password if password is not None else read_secret(SMTP_PASSWORD_ENV)
        self.timeout = timeout
        self.tls_context = tls_context or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None

    def check(self) -> None:
        """Connect and log in once, for `intake-bot check`; raises TransportDown."""
        self._connect().quit()

    def _connect(self) -> smtplib.SMTP:
        where = f"{self.host}:{self.port}"
        if self.user and not self.password:
            raise TransportDown(f"no password for {self.user} at {where}: set {SMTP_PASSWORD_ENV}")
        if self.user and not (self.user + self.password).isascii():
            # smtplib sends credentials as ASCII; say so without echoing any of the password.
            raise TransportDown(f"the SMTP user name or password for {where} has non-ASCII characters, "
                                "which the SMTP login cannot send")
        try:
            if self.tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls_context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=self.tls_context)
                    smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportDown(f"{where} refused the login of {self.user}: {_said(exc)}") from None
        except ssl.SSLError as exc:
            hint = (": smtps:// needs a port that speaks TLS from the first byte (465); a plain or STARTTLS "
                    "port (587, 25) is smtp://" if self.tls else "")
            raise TransportDown(f"TLS handshake with the SMTP server {where} failed ({exc}){hint}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportDown(f"cannot reach the SMTP server {where}: {exc}") from None
        return smtp

    def send(self, data: bytes, sender: str, recipients: list[str], key: str,
             committing: Callable[[], None]) -> str | None:
        if not all(a.isascii() for a in [sender, *recipients]):
            # Such an address needs SMTPUTF8, which few servers of the units offer.
            raise PermanentFailure(f"an address is not plain ASCII: {', '.join([sender, *recipients])}")
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        try:
            code, reply = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                raise _failure(code, f"sender {sender} refused: {code} {_text(reply)}")
            refused = {}
            for rcpt in recipients:
                code, reply = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    refused[rcpt] = (code, _text(reply))
            if len(refused) == len(recipients):
                smtp.rset()
                temporary = any(400 <= code < 500 for code, _ in refused.values())
                raise _failure(450 if temporary else 550, _refusals(refused))
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._forget()
            raise TemporaryFailure(f"connection lost before the message was sent: {exc}") from None
        committing()
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPDataError as exc:  # the DATA command itself refused: nothing sent
            smtp.rset()
            raise _failure(exc.smtp_code, f"DATA refused: {_said(exc)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            # Possibly before the server's 354, most likely after the body: assume it may be delivered.
            self._forget()
            raise DeliveryUnknown(f"connection lost during DATA, delivery unknown: {exc}") from None
        if code != 250:
            raise _failure(code, f"message refused: {code} {_text(reply)}")
        return f"refused by the server: {_refusals(refused)}" if refused else None

    def _forget(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass  # the mail is already accepted or already failed; a rude goodbye changes nothing
        finally:
            self._forget()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _said(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _refusals(refused: dict[str, tuple[int, str]]) -> str:
    return "; ".join(f"{rcpt}: {code} {reply}" for rcpt, (code, reply) in refused.items())


def _failure(code: int, reason: str) -> DeliveryError:
    """4xx: try again later. 5xx (and anything unexpected): the server said no for good."""
    return TemporaryFailure(reason) if 400 <= code < 500 else PermanentFailure(reason)


def open_transport(url: str, data_dir: str | os.PathLike) -> Transport:
    """`file:DIR` (relative to the data directory), `smtp://...` or `smtps://...`."""
    if url.startswith("file:"):
        return FileTransport(Path(data_dir) / url[len("file:"):])
    if url.startswith(("smtp://", "smtps://")):
        return SmtpTransport(url)
    raise ValueError(f"{url!r}: expected file:DIR, smtp://[USER@]HOST:PORT or smtps://[USER@]HOST:PORT")
