"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

It can be told to answer a recipient with a 4xx or 5xx code (a number of times, or always), to
drop the connection once a message's DATA has arrived (the message counts as received: that is
exactly the case where the client cannot know), to offer STARTTLS with a throw-away
certificate, and to require a login.

    from tests.smtp_sink import smtp_sink  # noqa: F401  (the fixture)
"""
from __future__ import annotations

import email
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    tls: bool
    login: str | None


@dataclass
class _Rule:
    reply: str
    times: int | None  # None: always


@dataclass
class Sink:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    dropped: list[Received] = field(default_factory=list)
    rcpt_rules: dict[str, _Rule] = field(default_factory=dict)
    drop_after_data: int = 0
    users: dict[str, str] = field(default_factory=dict)
    cafile: Path | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def refuse(self, address: str, reply: str, times: int | None = None) -> None:
        """Answer RCPT TO:<address> with `reply` ("451 4.3.0 Try later", "550 5.1.1 No such user")
        the next `times` times, or always."""
        self.rcpt_rules[address.lower()] = _Rule(reply, times)

    def drop_next(self, count: int = 1) -> None:
        """Close the connection after receiving the next `count` messages, without answering."""
        self.drop_after_data = count

    # aiosmtpd handler hooks

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        rule = self.rcpt_rules.get(address.lower())
        if rule is not None and rule.times != 0:
            if rule.times is not None:
                rule.times -= 1
            return rule.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        got = Received(envelope.mail_from, list(envelope.rcpt_tos),
                       email.message_from_bytes(envelope.content, policy=policy.default),
                       envelope.content, session.ssl is not None,
                       session.auth_data.login.decode() if session.authenticated else None)
        if self.drop_after_data:
            self.drop_after_data -= 1
            self.dropped.append(got)
            server.transport.abort()
            return "250 OK"  # never reaches the client
        self.received.append(got)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and self.users.get(auth_data.login.decode()) == auth_data.password.decode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)  # handled=False: aiosmtpd answers 535


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made by the openssl command, valid for a day."""
    cert, key = folder / "sink-cert.pem", folder / "sink-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def start_sink(starttls_dir: Path | None = None, users: dict[str, str] | None = None) -> tuple[Sink, Controller]:
    sink = Sink(port=free_port(), users=dict(users or {}))
    options: dict = {}
    if starttls_dir is not None:
        cert, key = self_signed(starttls_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        options.update(tls_context=context)
        sink.cafile = cert
    if users:
        options.update(authenticator=sink.authenticate, auth_require_tls=starttls_dir is not None)
    controller = Controller(sink, hostname=sink.host, port=sink.port, **options)
    controller.start()
    return sink, controller


@pytest.fixture
def smtp_sink():
    sink, controller = start_sink()
    yield sink
    controller.stop()
