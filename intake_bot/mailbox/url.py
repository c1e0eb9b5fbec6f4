"""Mailbox URLs: where the worker takes its mail from, and opening that source.

    maildir:PATH                        a Maildir; a relative PATH is under the data directory
    imaps://USER@HOST[:PORT]/FOLDER     IMAP over TLS (port 993 when not given)
    imap://USER@HOST[:PORT]/FOLDER      IMAP, STARTTLS when the server offers it, else plain,
                                        which only a server on this machine may use (port 143)

USER may be percent-encoded (`ktns.hdndhy%40gmail.com`), and so may FOLDER (`%5BGmail%5D/Sent`);
FOLDER defaults to INBOX. The secret never goes in the URL nor on the command line: the password
comes from INTAKE_BOT_IMAP_PASSWORD, or an OAuth2 access token (XOAUTH2, as Gmail takes) from
INTAKE_BOT_IMAP_TOKEN, which wins when both are set.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from intake_bot.config import Campaign
from intake_bot.mailbox.base import MailboxError, MailSource
from intake_bot.mailbox.imap import ImapSource
from intake_bot.mailbox.maildir import MaildirSource
from intake_bot.secrets import SecretError, read_secret

PASSWORD_ENV = "INTAKE_BOT_IMAP_PASSWORD"
TOKEN_ENV = "INTAKE_BOT_IMAP_TOKEN"
STATE_FILE = "imap-state.json"  # under the data directory: see ImapSource
DEFAULT_PORTS = {"imaps": 993, "imap": 143}
FORMS = "maildir:PATH, imaps://USER@HOST:PORT/FOLDER or imap://USER@HOST:PORT/FOLDER"


@dataclass(frozen=True)
class MailboxUrl:
    scheme: str  # "maildir", "imaps" or "imap"
    path: str = ""  # maildir only
    user: str = ""
    host: str = ""
    port: int = 0
    folder: str = "INBOX"

    def __str__(self) -> str:
        if self.scheme == "maildir":
            return f"maildir:{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (f"{self.scheme}://{quote(self.user, safe='')}@{host}:{self.port}/"
                f"{quote(self.folder, safe='/[]')}")


def parse_url(url: str) -> MailboxUrl:
    """The parts of a mailbox URL; MailboxError saying what is wrong and what is expected."""
    text = (url or "").strip()
    shown = _redacted(text)
    scheme, colon, rest = text.partition(":")
    scheme = scheme.lower()
    if scheme == "maildir" and colon:
        if not rest.strip():
            raise MailboxError(f"mailbox URL {shown!r} names no Maildir path: expected maildir:PATH")
        return MailboxUrl("maildir", path=rest.strip())
    if scheme not in DEFAULT_PORTS or not rest.startswith("//"):
        raise MailboxError(f"mailbox URL {shown!r} is not one of {FORMS}")
    parts = urlsplit(text)
    if parts.password is not None:
        raise MailboxError(
            f"mailbox URL {shown!r} carries a password: take it out of the URL and put it in "
            f"the environment variable {PASSWORD_ENV}")
    if parts.query or parts.fragment:
        raise MailboxError(f"mailbox URL {shown!r} has a ?query or #fragment, which means nothing here")
    if not parts.username:
        raise MailboxError(f"mailbox URL {shown!r} names no user: expected {scheme}://USER@HOST/FOLDER")
    if not parts.hostname:
        raise MailboxError(f"mailbox URL {shown!r} names no host: expected {scheme}://USER@HOST/FOLDER")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise MailboxError(
            f"mailbox URL {shown!r} has a port that is not a number from 1 to 65535") from None
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return MailboxUrl(scheme, user=unquote(parts.username), host=parts.hostname, port=port,
                      folder=folder)


def describe(url: str) -> str:
    """The URL as `status` and `check` show it: normalised, with no secret; an invalid URL is
    shown as such, with any password in it masked."""
    try:
        return str(parse_url(url))
    except MailboxError as exc:
        return f"invalid ({exc})"


def open_source(url: str, data_dir: Path, campaign: Campaign,
                password: str | None = None, keep_state: bool = True) -> MailSource:
    """The mail source a URL names. IMAP connects and logs in at once, so that a wrong URL, host
    or password is reported here, as a MailboxError. Without `keep_state` (`check`) the IMAP
    source writes no state file into the data directory."""
    where = parse_url(url)
    if where.scheme == "maildir":
        path = Path(where.path).expanduser()
        return MaildirSource(path if path.is_absolute() else Path(data_dir) / path, campaign)
    token = None
    if password is None:
        try:
            token = read_secret(TOKEN_ENV)
            password = None if token else read_secret(PASSWORD_ENV)
        except SecretError as exc:
            raise MailboxError(str(exc)) from None
    if not (password or token):
        raise MailboxError(
            f"no password for {where.user} at {where.host}: set the environment variable "
            f"{PASSWORD_ENV} (or {TOKEN_ENV} with an OAuth2 access token)")
    return ImapSource(where.host, where.port, where.user, where.folder,
                      tls="ssl" if where.scheme == "imaps" else "plain-if-no-starttls",
                      campaign=campaign, password=password, oauth2_token=token,
                      state_path=Path(data_dir) / STATE_FILE if keep_state else None)


def _redacted(text: str) -> str:
    """The URL with the password part of USER:PASSWORD@ masked, for error messages."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if at and ":" in userinfo:
        authority = f"{userinfo.partition(':')[0]}:***@{hostport}"
    return f"{scheme}{sep}{authority}{slash}{path}"
