"""A real Dovecot IMAP server on loopback, for tests and benchmarks.

In a test module:

    from tests.dovecot import dovecot  # noqa: F401   (the fixture)

    def test_something(dovecot):             # a fresh account, empty INBOX, server running
        uid = dovecot.append(raw_bytes)      # IMAP APPEND; flags=(), date=None, folder="INBOX"
        dovecot.deliver(raw_bytes)           # straight into the Maildir, as a delivery agent
        dovecot.url                          # "imap://user3@127.0.0.1:PORT/INBOX"
        dovecot.host, dovecot.port, dovecot.user, dovecot.password
        dovecot.env                          # {"INTAKE_BOT_IMAP_PASSWORD": ...} for a subprocess
        dovecot.flags(uid)                   # the flags the server holds for a message
        dovecot.uids()                       # every UID in the folder, ascending
        dovecot.stop(); dovecot.start()      # the server goes away, and comes back on the same port
        dovecot.change_uidvalidity()         # the server renumbers the folder; the new value
        dovecot.maildir                      # the account's Maildir on disk (owned by nobody)
        with dovecot.client() as imap: ...   # a logged-in imapclient.IMAPClient, INBOX selected

    make_message(3, date=..., attachment=b"...")   # a small RFC 5322 message (CRLF) to append

The fixture `dovecot` gives each test a new account on one server shared by the session (so
every test starts with an empty mailbox), and makes sure the server runs even if the previous
test stopped it; `dovecot.server.new_account(password=...)` makes more. It skips with the reason
when Dovecot is not installed or the tests do not run as root.

Outside pytest (bench/imap_poll.py does this):

    with DovecotServer() as server:
        account = server.new_account()

How it runs (see /work/shared/notes/dovecot-on-these-machines.md): `dovecot -c CONF -F` as root,
with its configuration, base_dir, state_dir, log and the users' homes under one temporary
directory; IMAP without TLS on a free loopback port; users in passwd-files with {PLAIN}
passwords; mail stored as uid nobody in ~/Maildir. `DovecotServer(keywords=False,
extensions=False)` starts a server like some locked-down or older ones: it keeps no custom
keyword (an ACL without the "w" right, so PERMANENTFLAGS has no `\\*`), opens a folder named
Shared read-only, and announces neither MOVE nor IDLE. `DovecotServer(tls=True)` serves TLS with
a self-signed certificate (`server.certificate`, a PEM file to trust): imaps on
`server.tls_port`, STARTTLS on `server.port`.
"""
from __future__ import annotations

import ctypes
import datetime as dt
import imaplib
import itertools
import mailbox
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Iterator

import pytest
from imapclient import IMAPClient, imap_utf7

from intake_bot.mailbox.url import PASSWORD_ENV

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
START_SECONDS = 10.0

_CONF = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {root}/passwd.d/%u
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
  # No auth penalty (Dovecot's documented switch): a wrong-password test would otherwise slow
  # every later login from 127.0.0.1 by seconds.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""
# A server that keeps no custom keyword: the owner lacks ACL right "w" (flags other than \Seen
# and \Deleted), so PERMANENTFLAGS is (\Deleted \Seen) and keyword STOREs are ignored. The
# folder Shared is read-only besides (no s, t, i, e: the server answers SELECT with READ-ONLY).
_NO_KEYWORDS_ACL = """\
* owner lrstipekxa
Shared -owner stie
"""
_NO_KEYWORDS = """\
mail_plugins = acl
plugin {{
  acl = vfile:{root}/global-acl
}}
"""
# TLS with a self-signed certificate for 127.0.0.1: imaps on its own port, STARTTLS on the other.
_TLS = """\
ssl = yes
ssl_cert = <{root}/certificate.pem
ssl_key = <{root}/key.pem"""
# The capabilities of an older server: no MOVE (RFC 6851), no IDLE (RFC 2177).
_BASIC_CAPABILITIES = "imap_capability = IMAP4rev1 SASL-IR LITERAL+ ID ENABLE UIDPLUS NAMESPACE\n"


def dovecot_missing() -> str | None:
    """Why the server cannot run here, or None."""
    if shutil.which("dovecot") is None or shutil.which("doveadm") is None:
        return "Dovecot is not installed (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "the Dovecot fixture starts dovecot as root"
    return None


class DovecotServer:
    """One Dovecot instance under a temporary directory. `start()` waits until the port answers."""

    def __init__(self, *, keywords: bool = True, extensions: bool = True, tls: bool = False):
        self.root = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
        self.root.chmod(0o755)  # the login and mail processes run as other users
        self.host = HOST
        self.port = _free_port()
        self.tls_port = _free_port() if tls else 0
        self.certificate = self.root / "certificate.pem" if tls else None
        self._process: subprocess.Popen | None = None
        self._accounts = itertools.count(1)
        nobody = pwd.getpwnam("nobody")
        for sub in ("run", "state", "home", "passwd.d"):
            (self.root / sub).mkdir()
        os.chown(self.root / "home", nobody.pw_uid, nobody.pw_gid)
        if tls:
            _make_certificate(self.root, self.host)
        conf = _CONF.format(root=self.root, host=self.host, port=self.port,
                            tls_port=self.tls_port,
                            ssl=_TLS.format(root=self.root) if tls else "ssl = no")
        if not keywords:
            conf += _NO_KEYWORDS.format(root=self.root)
            (self.root / "global-acl").write_text(_NO_KEYWORDS_ACL, encoding="ascii")
        if not extensions:
            conf += _BASIC_CAPABILITIES
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(conf, encoding="utf-8")
        try:
            self.start()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> DovecotServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        (self.root / "run" / "master.pid").unlink(missing_ok=True)  # left by a killed master
        # Errors before the log is open (a bad setting) go to stderr: into the same log file.
        with open(self.root / "dovecot.log", "ab") as early_output:
            self._process = subprocess.Popen(["dovecot", "-c", str(self.conf), "-F"],
                                             stdout=early_output, stderr=subprocess.STDOUT,
                                             start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self.log()[-2000:]}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"dovecot did not listen on {self.port} within "
                                       f"{START_SECONDS:.0f} s:\n{self.log()[-2000:]}") from None
                time.sleep(0.01)

    def stop(self) -> None:
        """The server goes away at once, as in a crash: every Dovecot process (master, login,
        imap sessions; one process group) is killed, so open connections are cut. A clean
        SIGTERM shutdown takes a second, and tests stop the server often."""
        if not self.running:
            return
        os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.root / "dovecot.log").read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def new_account(self, password: str | None = None) -> DovecotAccount:
        """A new user with an empty mailbox."""
        user = f"user{next(self._accounts)}"
        password = password or secrets.token_urlsafe(12)
        # One passwd-file per user: Dovecot looks a changed file up again at most once a second,
        # too slowly for tests that each add a user; a new file is read at once.
        (self.root / "passwd.d" / user).write_text(f"{user}:{{PLAIN}}{password}::::::\n",
                                                   encoding="utf-8")
        return DovecotAccount(self, user, password)


class DovecotAccount:
    """One user on a DovecotServer, with the helpers tests need."""

    def __init__(self, server: DovecotServer, user: str, password: str):
        self.server = server
        self.user = user
        self.password = password

    host = property(lambda self: self.server.host)
    port = property(lambda self: self.server.port)

    @property
    def url(self) -> str:
        return f"imap://{self.user}@{self.host}:{self.port}/INBOX"

    @property
    def env(self) -> dict[str, str]:
        return {PASSWORD_ENV: self.password}

    @property
    def maildir(self) -> Path:
        return self.server.root / "home" / self.user / "Maildir"

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    @contextmanager
    def client(self, folder: str = "INBOX") -> Iterator[IMAPClient]:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        try:
            if self.password.isascii():
                client.login(self.user, self.password)
            else:  # imaplib sends LOGIN as ASCII
                client.plain_login(self.user, self.password)
            if folder != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            try:
                client.select_folder(folder)
            except imaplib.IMAP4.readonly:  # Shared on a keywords=False server
                client.select_folder(folder, readonly=True)
            yield client
        finally:
            client.logout()

    def append(self, raw: bytes, flags=(), date: dt.datetime | None = None,
               folder: str = "INBOX") -> int:
        """APPEND a message; its UID (from the APPENDUID answer, RFC 4315)."""
        with self.client(folder) as client:
            answer = client.append(folder, raw, flags=flags, msg_time=date)
        return int(re.search(rb"APPENDUID \d+ (\d+)", answer).group(1))

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message straight into the folder's Maildir, as a local delivery agent does; for
        folders where APPEND is not allowed (Shared on a keywords=False server)."""
        with self.client(folder):
            pass  # makes the folder when it is missing
        on_disk = imap_utf7.encode(folder).decode()  # Maildir++: ".Folder", modified UTF-7
        path = self.maildir if folder == "INBOX" else self.maildir / f".{on_disk}"
        unique = mailbox.Maildir(path, create=False).add(raw)
        nobody = pwd.getpwnam("nobody")
        os.chown(path / "new" / unique, nobody.pw_uid, nobody.pw_gid)

    def flags(self, uid: int, folder: str = "INBOX") -> tuple[bytes, ...]:
        with self.client(folder) as client:
            return client.get_flags([uid]).get(uid, ())

    def uids(self, folder: str = "INBOX") -> list[int]:
        with self.client(folder) as client:
            return sorted(client.search(["ALL"]))

    def change_uidvalidity(self, folder: str = "INBOX") -> int:
        """Give the folder a new UIDVALIDITY, as a server does when it rebuilds its index."""
        with self.client(folder) as client:
            new = client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"] + 1
        subprocess.run(["doveadm", "-c", str(self.server.conf), "mailbox", "update",
                        "-u", self.user, "--uid-validity", str(new), folder],
                       check=True, capture_output=True)
        return new


def make_message(n: int, *, date: str = "Wed, 08 May 2024 09:00:00 +0700", body: str = "",
                 attachment: bytes | None = None, filename: str = "Bao cao.docx") -> bytes:
    """Message number `n`, as a unit might send it: Vietnamese subject and body, an optional
    DOCX attachment, CRLF line ends (as IMAP returns them), Message-ID <n.intake@test>."""
    message = EmailMessage()
    message["From"] = f"Văn phòng {n} <unit{n}@hungyen.gov.vn>"
    message["To"] = "ktns.hdndhy@gmail.com"
    message["Subject"] = f"V/v gửi báo cáo giám sát số {n}"
    message["Date"] = date
    message["Message-ID"] = f"<{n}.intake@test>"
    message.set_content(body or f"Kính gửi Ban Kinh tế - Ngân sách, đơn vị gửi báo cáo số {n}.")
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", filename=filename,
                               subtype="vnd.openxmlformats-officedocument.wordprocessingml.document")
    return message.as_bytes(policy=SMTP)


def _make_certificate(root: Path, host: str) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
                    "-keyout", str(root / "key.pem"), "-out", str(root / "certificate.pem")],
                   check=True, capture_output=True)


def _die_with_parent() -> None:
    """In the child before exec: Linux kills the master when the test process dies, however
    it dies (pytest killed by a timeout skips every cleanup); its children follow the master."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


_shared: DovecotServer | None = None


@pytest.fixture
def dovecot(request: pytest.FixtureRequest) -> DovecotAccount:
    """A new account on the session's server (started on first use, stopped at the end of the
    session), the server running. Only this name needs importing into a test module."""
    global _shared
    reason = dovecot_missing()
    if reason:
        pytest.skip(reason)
    if _shared is None:
        _shared = DovecotServer()
        request.config.add_cleanup(_shared.close)
    _shared.start()
    return _shared.new_account()
