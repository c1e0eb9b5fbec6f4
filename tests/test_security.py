"""Security: a forged unit address is neither that unit's report nor answered; secrets come
from the environment or an owner-only file and never show in output, logs, the database or the
data dir; sender text is escaped in every HTML mail; operator templates are sandboxed; the data
dir, the archive and the database are readable by their owner only."""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import email
import mailbox
import os
import sqlite3
import stat
import subprocess
import sys
from email import policy
from pathlib import Path

import jinja2
import pytest

from intake_bot.classify import classify, parse_authentication_results
from intake_bot.digest import build_digest
from intake_bot.mailbox.maildir import MaildirSource
from intake_bot.message import parse_message
from intake_bot.outbox import FileTransport
from intake_bot.pipeline import run_pass
from intake_bot.reader.extract import extract_bytes
from intake_bot.secrets import SecretError, read_secret
from intake_bot.store.db import Store
from intake_bot.templating import environment, render
from tests.conftest import REPO
from tests.dovecot import dovecot  # noqa: F401  (fixture)
from tests.mime_builder import attachment, build, docx_bytes, simple
from tests.smtp_sink import start_sink

VAN_LAM = "ubnd.vanlam@hungyen.gov.vn"
NOW = dt.datetime(2024, 5, 9, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
FORGED_REASON = "DMARC failed for hungyen.gov.vn: the sender address may be forged"


def _report(*auth_results: str, sender: str = VAN_LAM, subject: str = "Báo cáo giám sát huyện Văn Lâm") -> bytes:
    headers = [("Authentication-Results", value) for value in auth_results]
    return build([*headers, ("From", sender), ("Subject", subject)],
                 [attachment(docx_bytes("UBND HUYỆN VĂN LÂM", "BÁO CÁO"), "BC Van Lam.docx")])


def _decide(campaign, raw: bytes):
    return classify(parse_message(raw, campaign.limits), campaign, extract=extract_bytes)


# ------------------------------------------------------------------ spoofing


@pytest.mark.parametrize("results", [
    ["mx.google.com; dkim=none; spf=softfail smtp.mailfrom=hungyen.gov.vn; dmarc=fail (p=REJECT sp=REJECT "
     "dis=QUARANTINE) header.from=hungyen.gov.vn"],
    ["mx.google.com;\r\n       DMARC=FAIL (p=NONE) header.from=HungYen.gov.vn"],
    ["mx.google.com; spf=fail (google.com: domain of x does not designate 1.2.3.4) smtp.mailfrom=hungyen.gov.vn"],
    ["mx.google.com; spf=fail smtp.mailfrom=hungyen.gov.vn; dkim=none"],
    ["mx.google.com; spf=fail smtp.mailfrom=hungyen.gov.vn; dkim=pass header.i=@evil.example header.s=s1"],
    ["mx.google.com; dmarc=fail header.from=hungyen.gov.vn", "mx.google.com; dmarc=pass header.from=hungyen.gov.vn"],
    ["evil.example; dmarc=pass header.from=hungyen.gov.vn", "mx.google.com; dmarc=fail header.from=hungyen.gov.vn"],
], ids=["dmarc fail", "upper case and folding", "spf fail, no dkim", "spf fail, dkim none",
        "spf fail, dkim of another domain", "a forged pass below ours", "another server's pass above ours"])
def test_a_registered_address_failing_our_servers_check_is_not_the_units_report(campaign, results):
    decision = _decide(campaign, _report(*results))
    assert (decision.category, decision.unit, decision.action) == ("unmatched", None, "review")
    assert decision.candidates == ["ubnd-van-lam"] and not decision.may_reply
    assert any(r.startswith("DMARC failed for hungyen.gov.vn") and "may be forged" in r for r in decision.reasons)
    # The documents, which name Văn Lâm, do not make it Văn Lâm's either.
    assert decision.documents and decision.documents[0][1].unit == "ubnd-van-lam"


@pytest.mark.parametrize("results", [
    [],
    ["mx.google.com; spf=pass smtp.mailfrom=ubnd.vanlam@hungyen.gov.vn"],
    ["mx.google.com; dkim=pass header.i=@hungyen.gov.vn; spf=pass; dmarc=pass header.from=hungyen.gov.vn"],
    ["mx.google.com; spf=fail smtp.mailfrom=relay.example; dkim=pass header.d=hungyen.gov.vn"],
    ["mx.google.com; dmarc=pass header.from=hungyen.gov.vn", "mx.google.com; dmarc=fail header.from=hungyen.gov.vn"],
    ["evil.example; dmarc=fail header.from=hungyen.gov.vn"],
    ["mx.google.com; dmarc=none header.from=hungyen.gov.vn"],
], ids=["no header", "spf pass", "all pass", "spf fail, dkim of the domain", "a forged fail below ours",
        "only another server's fail", "no policy published"])
def test_a_registered_address_that_passes_or_is_not_checked_is_the_unit(campaign, results):
    decision = _decide(campaign, _report(*results))
    assert (decision.category, decision.unit) == ("report", "ubnd-van-lam")
    assert decision.may_reply


def test_a_subdomain_sender_is_checked_against_its_own_domain(campaign):
    decision = _decide(campaign, _report("mx.google.com; dmarc=fail header.from=vanlam.hungyen.gov.vn",
                                         sender="vanphong@vanlam.hungyen.gov.vn"))
    assert decision.unit is None and "DMARC failed for vanlam.hungyen.gov.vn" in " ".join(decision.reasons)


def test_a_forged_message_without_documents_still_goes_to_review(campaign):
    raw = simple(sender=VAN_LAM, subject="Xin chào", text="Thư thường.",
                 headers=[("Authentication-Results", "mx.google.com; dmarc=fail header.from=hungyen.gov.vn")])
    decision = _decide(campaign, raw)
    assert decision.unit is None and decision.action == "review"


def test_the_trusted_receiving_server_is_configurable(campaign, monkeypatch):
    raw = _report("mail.hdnd.hungyen.gov.vn; dmarc=fail header.from=hungyen.gov.vn")
    assert _decide(campaign, raw).unit == "ubnd-van-lam"
    ours = dataclasses.replace(campaign, trusted_receivers=frozenset({"mail.hdnd.hungyen.gov.vn", "mx.google.com"}))
    assert _decide(ours, raw).unit is None


def test_authentication_results_are_parsed_with_comments_and_versions():
    authserv_id, results = parse_authentication_results(
        'MX.Google.com 1; dkim/1=pass (good (nested) comment) header.i=@HungYen.gov.vn header.s="s;1"; '
        "spf=fail (x) smtp.mailfrom=a@b.vn; garbage; dmarc=fail (p=REJECT) header.from=hungyen.gov.vn")
    assert authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in results] == [("dkim", "pass"), ("spf", "fail"), ("dmarc", "fail")]
    assert results[0].properties == {"header.i": "@hungyen.gov.vn", "header.s": "s;1"}


def _maildir(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.Maildir(path, create=True)
    for raw in messages:
        box.add(raw)
    return path


def test_a_pass_never_answers_a_forged_address(campaign, tmp_path):
    """Backscatter: neither the forged unit address nor a stranger failing DMARC gets any mail,
    and the secretary sees both."""
    forged = _report("mx.google.com; dmarc=fail (p=REJECT) header.from=hungyen.gov.vn")
    stranger = simple(sender="victim@gmail.com", subject="Báo cáo giám sát",
                      files=[attachment(b"Rar!\x1a\x07\x00 junk", "bao cao.rar")],
                      headers=[("Authentication-Results", "mx.google.com; spf=fail smtp.mailfrom=gmail.com; "
                                                          "dkim=none; dmarc=fail header.from=gmail.com")])
    genuine = _report("mx.google.com; dmarc=pass header.from=hungyen.gov.vn")
    source = MaildirSource(_maildir(tmp_path / "Maildir", [forged, stranger, genuine]), campaign)
    store = Store(tmp_path / "data")
    try:
        summary = run_pass(campaign, store, source, FileTransport(tmp_path / "out"), NOW, extract=extract_bytes)
        review = store.review_queue()
        held = store.events(NOW - dt.timedelta(days=1))
    finally:
        store.close()
    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "out").glob("*.eml")]
    assert [m["To"] for m in sent] == [VAN_LAM] and summary.replies_queued == 1
    assert any(FORGED_REASON in " ".join(item.reasons) for item in review)
    assert any(e.kind == "reply_held" and "DMARC failed for gmail.com" in e.detail["reason"] for e in held)


# ------------------------------------------------------------------ secrets


def test_a_secret_comes_from_the_environment_first(monkeypatch, tmp_path):
    secret_file = tmp_path / "pw"
    secret_file.write_text("from the file\n")
    secret_file.chmod(0o600)
    monkeypatch.setenv("INTAKE_BOT_IMAP_PASSWORD_FILE", str(secret_file))
    assert read_secret("INTAKE_BOT_IMAP_PASSWORD") == "from the file"
    monkeypatch.setenv("INTAKE_BOT_IMAP_PASSWORD", "from the environment")
    assert read_secret("INTAKE_BOT_IMAP_PASSWORD") == "from the environment"
    monkeypatch.delenv("INTAKE_BOT_IMAP_PASSWORD")
    monkeypatch.delenv("INTAKE_BOT_IMAP_PASSWORD_FILE")
    assert read_secret("INTAKE_BOT_IMAP_PASSWORD") is None


@pytest.mark.parametrize("prepare, says", [
    (lambda p: p.chmod(0o644), "other users may read it (mode 0644); run `chmod 600"),
    (lambda p: p.chmod(0o640), "mode 0640"),
    (lambda p: os.chown(p, 65534, 65534), "belongs to another user"),
    (lambda p: (p.unlink(), p.mkdir()), "not a regular file"),
    (lambda p: p.unlink(), "cannot open it"),
    (lambda p: p.write_bytes(b""), "the file is empty"),
])
def test_a_secret_file_others_may_read_is_refused_without_showing_it(monkeypatch, tmp_path, prepare, says):
    secret_file = tmp_path / "pw"
    secret_file.write_text("s3cret-value")
    secret_file.chmod(0o600)
    prepare(secret_file)
    monkeypatch.setenv("INTAKE_BOT_SMTP_PASSWORD_FILE", str(secret_file))
    with pytest.raises(SecretError) as refused:
        read_secret("INTAKE_BOT_SMTP_PASSWORD")
    assert says in str(refused.value) and "INTAKE_BOT_SMTP_PASSWORD_FILE" in str(refused.value)
    assert "s3cret" not in str(refused.value)


def _cli(env: dict, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "intake_bot.cli", *argv], cwd=REPO, env=env,
                          capture_output=True, timeout=120)


def _every_byte_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _forms(secret: str) -> list[bytes]:
    """The secret as it could leak: as is, and base64 as SMTP AUTH and IMAP AUTHENTICATE send it."""
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.b64encode(b"\0user\0" + raw)[8:]]


def test_passwords_never_show_in_output_logs_database_or_data_dir(dovecot, tmp_path):
    """demo, poll (a wrong IMAP password against Dovecot, a wrong SMTP password against aiosmtpd),
    status, check and digest with test passwords in the environment: none of their output, the
    log, the database (file and SQL dump), the archive, the outbox or the digest holds them."""
    imap_secret, smtp_secret = "imap-Pw-5e1f7a", "smtp-Pw-9c2b4d"
    sink, controller = start_sink(users={"bot": "the-right-one"})
    data, digest_dir = tmp_path / "data", tmp_path / "digest"
    env = {**os.environ, "INTAKE_BOT_IMAP_PASSWORD": imap_secret, "INTAKE_BOT_SMTP_PASSWORD": smtp_secret}
    env.pop("INTAKE_BOT_UNITS", None)
    mailbox_url = f"imap://{dovecot.user}@{dovecot.host}:{dovecot.port}/INBOX"
    smtp_url = f"smtp://bot@{sink.host}:{sink.port}"
    dovecot.append(_report())
    common = ["--data-dir", str(data), "--now", NOW.isoformat()]
    try:
        runs = [_cli(env, "--data-dir", str(data), "demo"),
                _cli(env, *common, "-v", "--mailbox", mailbox_url, "--smtp", smtp_url, "poll", "--once"),
                _cli(env, *common, "status"),
                _cli(env, *common, "status", "--json"),
                _cli(env, *common, "--mailbox", mailbox_url, "--smtp", smtp_url, "check"),
                _cli(env, *common, "-v", "--smtp", smtp_url, "digest", "--out", str(digest_dir), "--send")]
    finally:
        controller.stop()
    assert runs[0].returncode == 0, runs[0].stderr
    assert b"Authentication failed" in runs[4].stderr or b"AUTHENTICATIONFAILED" in runs[4].stderr, runs[4].stderr
    assert b"refused the login" in runs[4].stderr
    dump = "\n".join(sqlite3.connect(data / "intake.db").iterdump()).encode()
    everything = b"".join(r.stdout + r.stderr for r in runs) + dump + _every_byte_under(data) + \
        _every_byte_under(digest_dir)
    for secret in (imap_secret, smtp_secret):
        for form in _forms(secret):
            assert form not in everything, f"{form!r} leaked"


def test_a_password_file_works_and_a_readable_one_is_refused(dovecot, tmp_path):
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_BOT_")}
    secret_file = tmp_path / "imap-password"
    secret_file.write_text(dovecot.password + "\n")
    secret_file.chmod(0o644)
    env["INTAKE_BOT_IMAP_PASSWORD_FILE"] = str(secret_file)
    dovecot.append(_report())
    argv = ["--data-dir", str(data), "--now", NOW.isoformat(), "--mailbox", dovecot.url,
            "--smtp", f"file:{tmp_path / 'out'}", "poll", "--once"]
    refused = _cli(env, *argv)
    assert refused.returncode == 1
    assert f"INTAKE_BOT_IMAP_PASSWORD_FILE={secret_file}: other users may read it (mode 0644)".encode() in refused.stderr
    assert dovecot.password.encode() not in refused.stdout + refused.stderr
    secret_file.chmod(0o600)
    accepted = _cli(env, *argv)
    assert accepted.returncode == 0, accepted.stderr
    assert b"new messages: 1" in accepted.stdout
    assert dovecot.password.encode() not in accepted.stdout + accepted.stderr + _every_byte_under(data)


# ------------------------------------------------------------------ sender text is data

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def test_sender_text_is_escaped_in_the_acknowledgement_and_the_digest(campaign, tmp_path):
    raw = build([("From", f'"{SCRIPT}" <{VAN_LAM}>'), ("Subject", f"Báo cáo {SCRIPT} {IMG}")],
                [attachment(docx_bytes("UBND HUYỆN VĂN LÂM"), f"BC {SCRIPT}.docx"),
                 attachment(b"Rar!\x1a\x07\x00", f"{IMG}.rar")])
    source = MaildirSource(_maildir(tmp_path / "Maildir", [raw]), campaign)
    store = Store(tmp_path / "data")
    try:
        run_pass(campaign, store, source, FileTransport(tmp_path / "out"), NOW, extract=extract_bytes)
        digest = build_digest(campaign, store, NOW + dt.timedelta(hours=1))
    finally:
        store.close()
    (sent,) = (tmp_path / "out").glob("*.eml")
    message = email.message_from_bytes(sent.read_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    for page in (html, digest.html):
        assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page
        assert "&lt;script&gt;" in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page or "&#34;&gt;&lt;img" in page


@pytest.fixture
def hostile_templates(tmp_path, campaign):
    folder = tmp_path / "templates"
    folder.mkdir()
    for path in campaign.templates_dir.glob("*.j2"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ campaign.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.system('id') }}",
    "{{ unit.__class__.__base__.__subclasses__() }}",
    "{% for x in range(100000000) %}{% endfor %}",
    "{{ campaign.templates_dir.joinpath('../config/hung-yen-2024.toml').read_text() }}",
    "{{ campaign.outline_of('ubnd-van-lam') }}",
    "{{ 'x' * 1000000000 }}",
    "{{ 10 ** 100000000 }}",
])
def test_an_operator_template_cannot_reach_python(hostile_templates, campaign, source):
    (hostile_templates / "acknowledge.html.j2").write_text(source, encoding="utf-8")
    env = environment(hostile_templates)
    with pytest.raises((jinja2.exceptions.SecurityError, jinja2.exceptions.UndefinedError, OverflowError)):
        render(env, "acknowledge.html.j2", {"campaign": campaign, "unit": campaign.units["ubnd-van-lam"]})


def test_templates_autoescape_html_and_not_text(campaign):
    env = environment(campaign.templates_dir)
    assert env.from_string("{{ x }}").render(x="<b>") == "<b>"  # strings: plain text templates
    assert env.get_template("acknowledge.html.j2").environment.autoescape("acknowledge.html.j2") is True
    assert env.autoescape("acknowledge.txt.j2") is False


# ------------------------------------------------------------------ file modes


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_archive_and_database_are_the_owners_only(tmp_path):
    data = tmp_path / "fresh" / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_BOT_")}
    run = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0o022); from intake_bot.cli import main; "
                          f"sys.exit(main(['--data-dir', {str(data)!r}, 'demo']))"],
                         cwd=REPO, env=env, capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert _mode(data) == 0o700
    archive = data / "archive"
    assert _mode(archive) == 0o700
    assert all(_mode(p) == 0o700 for p in archive.rglob("*") if p.is_dir())
    blobs = [p for p in archive.rglob("*") if p.is_file()]
    assert blobs and all(_mode(p) == 0o600 for p in blobs)
    assert _mode(data / "intake.db") == 0o600
    assert all(_mode(p) == 0o600 for p in (data / "outbox").glob("*.eml"))
