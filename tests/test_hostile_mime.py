"""Hostile and broken mail: every message of tests/hostile.py, and every message hypothesis can
build from random MIME trees and file names, gets an answer - a category, an action and the
reasons - and a real pass over all of them records each one and goes on. File names are data:
never a path (the archive is content-addressed), shown without controls or bidirectional
overrides, cut to a bounded length."""
from __future__ import annotations

import base64
import datetime as dt
import json
import mailbox
import re
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake_bot.classify import classify
from intake_bot.message import parse_message
from intake_bot.mailbox.maildir import MaildirSource
from intake_bot.outbox import FileTransport
from intake_bot.pipeline import run_pass
from intake_bot.reader.extract import extract_bytes
from intake_bot.store.db import Store
from intake_bot.text import MAX_NAME_CHARS, shown_name
from tests import hostile
from tests.mime_builder import PDF_BYTES, attachment, docx_bytes, encoded_word, rfc2231, simple, zip_bytes

CATEGORIES = {"report", "unmatched", "no_attachment", "link_only", "unsupported", "auto_reply", "bounce", "other"}
ACTIONS = {"acknowledge", "ask_for_missing", "ask_for_docx", "ask_for_resend", "ask_for_file", "acknowledge_note",
           "review", "ignore", "notify_secretary", "execute_commands"}
# Characters that must never reach a name as shown: controls, bidirectional formatting, zero-width.
NOT_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
NOW = dt.datetime(2024, 5, 9, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _answered(decision, message, where: str) -> None:
    assert decision.category in CATEGORIES and decision.action in ACTIONS, where
    assert decision.reasons and all(isinstance(r, str) and r for r in decision.reasons), where
    json.dumps(decision.to_json(message), ensure_ascii=False, default=str)
    for a in message.attachments:
        assert not NOT_SHOWN.search(a.filename) and len(a.filename) <= MAX_NAME_CHARS, (where, a.filename)
        assert "/" not in a.filename and "\\" not in a.filename, (where, a.filename)


def test_every_hostile_message_gets_an_answer(campaign):
    for case in hostile.mime_cases():
        started = time.monotonic()
        message = parse_message(case.data, campaign.limits)
        decision = classify(message, campaign)
        _answered(decision, message, case.name)
        assert time.monotonic() - started < 5, case.name


@pytest.mark.parametrize("make, problem", [
    (lambda: hostile.deep_multipart(1000), "nested too deep"),
    (lambda: hostile.deep_rfc822(50), "nested more than 10 deep"),
    (lambda: hostile.missing_boundary(), "NoBoundaryInMultipartDefect"),
    (lambda: hostile.unclosed_boundary(), "CloseBoundaryNotFoundDefect"),
    (lambda: hostile.reused_boundary(), "parts recovered from the epilogue"),
    (lambda: hostile.invalid_base64(), "broken transfer encoding"),
    (lambda: hostile.many_parts(3000), "more than 2000 MIME parts"),
    (lambda: b"", "empty message"),
])
def test_what_was_broken_is_said(campaign, make, problem):
    message = parse_message(make(), campaign.limits)
    assert any(problem in p for p in message.problems), message.problems


def test_controls_and_overrides_never_reach_the_subject_or_names(campaign):
    message = parse_message(hostile.nul_and_8bit_headers(), campaign.limits)
    assert message.from_address == hostile.REGISTERED and message.from_name == "Văn phòng"
    assert message.subject == "Báo cáo [31m"
    forwarded = parse_message(hostile.deep_rfc822(2), campaign.limits)
    assert all(not NOT_SHOWN.search(a.origin) for a in forwarded.attachments)


def test_unknown_charsets_still_give_the_text_and_the_file(campaign):
    message = parse_message(hostile.unknown_charsets(), campaign.limits)
    assert message.from_address == hostile.REGISTERED
    assert "Báo cáo" in message.subject and message.text.startswith("Báo cáo")
    (report,) = message.attachments
    assert report.kind == "docx" and report.filename == "Báo cáo.docx"


# ------------------------------------------------------------------ archives inside mail


@pytest.mark.parametrize("name, problem", [
    ("ratio bomb 20 MB of zeros", "compression ratio over 100:1"),
    ("bomb of 64 MB of zeros", "skipped: 64 MB over the 25 MB limit"),
    ("nested bomb 4 levels x 10", "nested more than 3 levels"),
    ("nested zip 9 deep", "nested more than 3 levels"),
    ("20000 entries", "holds 20000 files, over the limit of 200"),
    ("zip-slip names", "unsafe path"),
    ("encrypted member", "password-protected"),
    ("truncated", "damaged zip archive"),
    ("sizes that lie", "cannot be unpacked"),
    ("empty archive", "empty zip archive"),
    ("zip signature only", "damaged zip archive"),
])
def test_hostile_archives_in_mail_are_refused_with_the_reason(campaign, archives, name, problem):
    case = archives[name]
    message = parse_message(simple(files=[attachment(case.data, case.filename)]), campaign.limits)
    problems = [a.problem or "" for a in message.attachments]
    assert any(problem in p for p in problems), problems
    assert all(not a.data for a in message.attachments if a.problem)


@pytest.mark.parametrize("name", ["ratio bomb 20 MB of zeros", "bomb of 64 MB of zeros", "nested bomb 4 levels x 10",
                                  "sizes that lie"])
def test_zip_bombs_in_mail_cost_memory_by_their_size_not_by_what_they_unpack_to(campaign, archives, name):
    raw = simple(files=[attachment(archives[name].data, "bomb.zip")])
    tracemalloc.start(1)
    try:
        parse_message(raw, campaign.limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The message's copies while it is decoded, a few chunks, one member at most.
    assert peak < 10 * len(raw) + 64 * 2**20, f"{peak / 2**20:.0f} MB"


@pytest.fixture(scope="module")
def archives():
    return {case.name: case for case in hostile.archive_cases()}


def test_zip_slip_members_are_never_read_by_their_path(campaign, archives):
    message = parse_message(simple(files=[attachment(archives["zip-slip names"].data, "slip.zip")]), campaign.limits)
    assert sorted(a.filename for a in message.attachments) == ["evil.docx", "evil.docx", "evil.docx", "evil2.docx"]
    assert all(a.problem and "unsafe path" in a.problem for a in message.attachments)


# ------------------------------------------------------------------ a real pass over all of it


def _maildir(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.Maildir(path, create=True)
    for raw in messages:
        box.add(raw)
    return path


def _named_files_message(names: list[str], style: str) -> bytes:
    report = docx_bytes("BÁO CÁO GIÁM SÁT")
    files = [attachment(report + n.to_bytes(2, "big"), name, style=style) for n, name in enumerate(names)]
    files.append(attachment(zip_bytes({name or "empty": PDF_BYTES for name in names if name}), "names.zip"))
    return simple(files=files)


def test_a_pass_over_every_hostile_message_records_each_and_goes_on(campaign, tmp_path, monkeypatch):
    """Hostile messages and hostile file names, with one good report last, in a real Maildir and
    a real store: all recorded, the good report acknowledged, and nothing on disk is named after
    anything a sender chose."""
    monkeypatch.chdir(tmp_path)
    names = [n for n in hostile.HOSTILE_FILENAMES if "\udcff" not in n]
    messages = [case.data for case in hostile.mime_cases()]
    messages += [_named_files_message(names, style) for style in ("rfc2231", "rfc2047")]
    good = simple(sender="vanthu.sct@hungyen.gov.vn", subject="Báo cáo giám sát",
                  files=[attachment(docx_bytes("SỞ CÔNG THƯƠNG"), "bc.docx")])
    messages.append(good)
    source = MaildirSource(_maildir(tmp_path / "Maildir", messages), campaign)
    store = Store(tmp_path / "data")
    try:
        summary = run_pass(campaign, store, source, FileTransport(tmp_path / "data" / "outbox"), NOW,
                           extract=extract_bytes)
        recorded = store.messages()
        reply = store.outgoing("ack:" + parse_message(good, campaign.limits).message_id)
    finally:
        store.close()
    assert summary.errors == []
    assert summary.new + summary.seen_again == len(messages)
    assert len(recorded) == summary.new
    assert recorded[-1].category == "report" and reply is not None and reply.state == "sent"
    _only_content_addressed(tmp_path / "data")
    assert not any("evil" in p.name or p.name == "passwd" for p in tmp_path.rglob("*")), "a name became a path"


_DATA_FILES = re.compile(r"^(archive/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}|outbox/[0-9a-f]{40}\.eml|"
                         r"intake\.db(-wal|-shm|-journal)?|[a-z-]+\.(lock|log|json))$")


def _only_content_addressed(data_dir: Path) -> None:
    """Every file under the data dir has a name the bot made (a hash, or a fixed name); each
    archived blob still hashes to its name."""
    import hashlib

    for path in data_dir.rglob("*"):
        if path.is_file():
            relative = path.relative_to(data_dir).as_posix()
            assert _DATA_FILES.match(relative), relative
            if relative.startswith("archive/"):
                assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name


def test_names_in_the_acknowledgement_are_shown_safely(campaign, tmp_path):
    names = ["báo cáo\u202excod.exe.docx", "line\nbreak\x1b[31m.docx", "x" * 1000 + ".docx"]
    raw = _named_files_message(names, "rfc2231")
    source = MaildirSource(_maildir(tmp_path / "Maildir", [raw]), campaign)
    store = Store(tmp_path / "data")
    try:
        run_pass(campaign, store, source, FileTransport(tmp_path / "out"), NOW, extract=extract_bytes)
    finally:
        store.close()
    (sent,) = (tmp_path / "out").glob("*.eml")
    text = _decoded_parts(sent.read_bytes())
    assert "báo cáoxcod.exe.docx" in text and "line break[31m.docx" in text
    assert "x" * 200 not in text and "x….docx" in text
    assert not NOT_SHOWN.search(text.replace("\n", "").replace("\r", "").replace("\t", ""))


def _decoded_parts(raw: bytes) -> str:
    import email
    from email import policy

    message = email.message_from_bytes(raw, policy=policy.default)
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


# ------------------------------------------------------------------ property-based

@settings(derandomize=True, max_examples=250, deadline=None)
@given(name=hostile.FILE_NAMES)
def test_shown_names_are_printable_bounded_and_stable(name):
    shown = shown_name(name)
    assert not NOT_SHOWN.search(shown) and len(shown) <= MAX_NAME_CHARS
    assert shown == shown.strip() and "  " not in shown
    assert shown_name(shown) == shown
    if len(name) > MAX_NAME_CHARS and re.search(r"\.[0-9A-Za-z]{1,8}$", name):
        assert shown.endswith(name[name.rindex("."):])


def _encoded_name_part(name: str, style: str, data: bytes) -> bytes:
    if style == "raw-utf8":
        header = b'Content-Disposition: attachment; filename="' + name.encode("utf-8", "surrogateescape") + b'"'
    elif style == "raw-cp1258":
        header = b'Content-Disposition: attachment; filename="' + name.encode("cp1258", "replace") + b'"'
    elif style == "rfc2047":
        header = f'Content-Disposition: attachment; filename="{encoded_word(name)}"'.encode()
    else:
        header = f"Content-Disposition: attachment;\r\n {rfc2231(name)}".encode()
    return (b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n" + header
            + b"\r\n\r\n" + base64.encodebytes(data))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(name=hostile.ENCODABLE_NAMES, style=st.sampled_from(["rfc2231", "rfc2047", "raw-utf8", "raw-cp1258"]))
def test_any_file_name_is_parsed_into_a_name_that_is_safe_to_show(campaign, name, style):
    part = _encoded_name_part(name, style, PDF_BYTES)
    raw = (b"From: ubnd.vanlam@hungyen.gov.vn\r\nSubject: bc\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + part + b"\r\n--b--\r\n")
    message = parse_message(raw, campaign.limits)
    for a in message.attachments:
        assert not NOT_SHOWN.search(a.filename) and len(a.filename) <= MAX_NAME_CHARS, repr(a.filename)
        assert "/" not in a.filename and "\\" not in a.filename


@settings(derandomize=True, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=hostile.mime_messages())
def test_any_mime_tree_gets_an_answer(campaign, raw):
    message = parse_message(raw, campaign.limits)
    decision = classify(message, campaign, extract=extract_bytes)
    _answered(decision, message, repr(raw[:200]))

