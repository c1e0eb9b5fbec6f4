"""The Maildir source on real files, and read by a real Dovecot for the keyword convention."""
from __future__ import annotations

import dataclasses
import datetime as dt
import email
import hashlib
import mailbox
import os
import pwd
import time
from pathlib import Path

import pytest

from intake_bot.mailbox.base import DOCUMENT_TOO_LARGE, MESSAGE_TOO_LARGE, MailboxError
from intake_bot.mailbox.maildir import KEYWORDS_FILE, MaildirSource
from intake_bot.mailbox.url import open_source
from tests.conftest import CORPUS
from tests.dovecot import dovecot, make_message  # noqa: F401


def deliver(path: Path, raw: bytes, age_seconds: float = 0) -> str:
    """Deliver into new/ as an MTA does; the unique part of the file name."""
    key = mailbox.Maildir(path, create=True).add(raw)
    if age_seconds:
        when = time.time() - age_seconds
        os.utime(path / "new" / key, (when, when))
    return key


def files(path: Path) -> dict[str, str]:
    """Every message file: name -> SHA-256 of its bytes."""
    return {f"{sub}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
            for sub in ("new", "cur", "tmp") for p in (path / sub).iterdir()}


def test_each_message_is_given_once_and_nothing_is_deleted(tmp_path, campaign):
    box = tmp_path / "Maildir"
    sent = [make_message(n) for n in range(4)]
    uniques = [deliver(box, raw, age_seconds=100 - n) for n, raw in enumerate(sent)]
    source = MaildirSource(box, campaign)

    first = list(source.fetch_new())
    assert [m.key for m in first] == [f"maildir:{u}" for u in uniques]  # oldest first
    assert [m.raw for m in first] == sent
    before = sorted(files(box).values())
    for message in first:
        source.mark_processed(message.key)

    assert list(source.fetch_new()) == []
    assert list(MaildirSource(box, campaign).fetch_new()) == []
    assert sorted(files(box).values()) == before  # the same bytes, none lost
    assert sorted(os.listdir(box / "cur")) == sorted(f"{u}:2,a" for u in uniques)
    assert (box / KEYWORDS_FILE).read_text() == "0 IntakeBotProcessed\n"


def test_keys_stay_when_a_mail_reader_moves_and_flags_the_file(tmp_path, campaign):
    box = tmp_path / "Maildir"
    unique = deliver(box, make_message(1))
    source = MaildirSource(box, campaign)
    [before] = source.fetch_new()
    os.rename(box / "new" / unique, box / "cur" / f"{unique}:2,S")  # read by a person: seen
    [after] = source.fetch_new()  # S is not our mark
    assert after.key == before.key == f"maildir:{unique}"

    source.mark_processed(after.key)
    assert os.listdir(box / "cur") == [f"{unique}:2,Sa"]
    assert list(source.fetch_new()) == []
    source.mark_processed(after.key)  # twice is harmless
    assert os.listdir(box / "cur") == [f"{unique}:2,Sa"]


def test_a_message_not_marked_is_given_again(tmp_path, campaign):
    box = tmp_path / "Maildir"
    uniques = [deliver(box, make_message(n), age_seconds=10 - n) for n in range(3)]
    source = MaildirSource(box, campaign)
    source.mark_processed(f"maildir:{uniques[1]}")
    assert [m.key for m in source.fetch_new()] == [f"maildir:{uniques[0]}", f"maildir:{uniques[2]}"]


def test_the_keyword_letter_follows_dovecot_keywords(tmp_path, campaign):
    box = tmp_path / "Maildir"
    mailbox.Maildir(box, create=True)
    (box / KEYWORDS_FILE).write_text("0 $Forwarded\n1 Junk\n3 NonJunk\n")
    unique = deliver(box, make_message(1))
    source = MaildirSource(box, campaign)
    source.mark_processed(f"maildir:{unique}")
    assert os.listdir(box / "cur") == [f"{unique}:2,c"]  # the first free slot
    assert (box / KEYWORDS_FILE).read_text() == \
        "0 $Forwarded\n1 Junk\n2 IntakeBotProcessed\n3 NonJunk\n"

    other = deliver(box, make_message(2))
    os.rename(box / "new" / other, box / "cur" / f"{other}:2,Sbc")  # Junk + ours, set elsewhere
    assert list(source.fetch_new()) == []


def delivered_at(path: Path, raw: bytes, when: dt.datetime, name_time: dt.datetime | None = None) -> str:
    """Deliver as a server did at `when`: the file's mtime (Dovecot's received date); the unique
    name starts with `name_time` (default: now, as after an IMAP APPEND or a copy)."""
    key = deliver(path, raw)
    stamp = int((name_time or dt.datetime.now(dt.timezone.utc)).timestamp())
    unique = f"{stamp}.{key.partition('.')[2]}"
    os.rename(path / "new" / key, path / "new" / unique)
    os.utime(path / "new" / unique, (when.timestamp(), when.timestamp()))
    return unique


def test_mail_that_arrived_before_the_campaign_start_is_not_given(tmp_path, campaign):
    box = tmp_path / "Maildir"
    ict = dt.timezone(dt.timedelta(hours=7))
    # Dated in the campaign, arrived before it (the Date header is the sender's clock): skipped.
    old = delivered_at(box, make_message(1), dt.datetime(2024, 4, 25, 23, 59, tzinfo=ict))
    late_utc = delivered_at(box, make_message(2), dt.datetime(2024, 4, 25, 20, 0, tzinfo=dt.timezone.utc))
    # A copied Maildir: new mtimes, but the names keep the delivery time.
    copied = delivered_at(box, make_message(3), dt.datetime.now(dt.timezone.utc),
                          name_time=dt.datetime(2024, 4, 20, 8, 0, tzinfo=ict))
    given = {m.key: m.internal_date for m in MaildirSource(box, campaign).fetch_new()}
    assert list(given) == [f"maildir:{late_utc}"]
    assert given[f"maildir:{late_utc}"] == dt.datetime(2024, 4, 25, 20, 0, tzinfo=dt.timezone.utc)
    assert f"maildir:{old}" not in given and f"maildir:{copied}" not in given
    assert len(os.listdir(box / "new")) == 3  # skipped, never deleted


def test_a_huge_file_is_given_as_its_headers_with_the_reason(tmp_path, campaign):
    box = tmp_path / "Maildir"
    text_only = make_message(1, body="Nội dung dài. " * 2000)
    with_document = make_message(2, attachment=bytes(range(256)) * 80)
    keys = {deliver(box, raw, age_seconds=10 - n): raw
            for n, raw in enumerate((make_message(0), text_only, with_document))}
    tiny = dataclasses.replace(campaign.limits, max_message_mb=0.01)
    given = list(MaildirSource(box, dataclasses.replace(campaign, limits=tiny)).fetch_new())
    assert [m.truncated_reason for m in given] == [None, MESSAGE_TOO_LARGE, DOCUMENT_TOO_LARGE]
    for message, raw in zip(given[1:], (text_only, with_document)):
        assert message.raw == raw[: raw.index(b"\r\n\r\n") + 4]


def test_large_corpus_mails_are_told_apart_by_their_parts(tmp_path, campaign):
    box = tmp_path / "Maildir"
    expected = {}
    for path in sorted((CORPUS / "emails").glob("*.eml")):
        raw = path.read_bytes()
        parsed = email.message_from_bytes(raw)
        document = any(part.get_content_maintype() == "application"
                       or part.get_content_disposition() == "attachment" for part in parsed.walk())
        expected[f"maildir:{deliver(box, raw)}"] = DOCUMENT_TOO_LARGE if document else MESSAGE_TOO_LARGE
    tiny = dataclasses.replace(campaign.limits, max_message_mb=0.0001)  # every mail is "huge"
    given = MaildirSource(box, dataclasses.replace(campaign, limits=tiny)).fetch_new()
    assert {m.key: m.truncated_reason for m in given} == expected
    assert set(expected.values()) == {DOCUMENT_TOO_LARGE, MESSAGE_TOO_LARGE}


def test_tmp_and_hidden_files_are_not_messages(tmp_path, campaign):
    box = tmp_path / "Maildir"
    mailbox.Maildir(box, create=True)
    (box / "tmp" / "123.inprogress").write_bytes(make_message(1))
    (box / "cur" / ".hidden").write_bytes(make_message(2))
    assert list(MaildirSource(box, campaign).fetch_new()) == []


def test_open_source_puts_a_relative_maildir_under_the_data_dir(tmp_path, campaign):
    source = open_source("maildir:Thư/Maildir", tmp_path, campaign)
    assert isinstance(source, MaildirSource) and source.path == tmp_path / "Thư" / "Maildir"
    assert all((source.path / sub).is_dir() for sub in ("new", "cur", "tmp"))


def test_a_maildir_that_cannot_be_made_is_a_clear_error(tmp_path, campaign):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(MailboxError, match="cannot open the Maildir"):
        MaildirSource(tmp_path / "a-file" / "Maildir", campaign)


@pytest.mark.imap
def test_dovecot_reads_our_keyword_and_we_read_dovecots(dovecot, campaign):
    """The same Maildir, served by Dovecot: the keyword convention is Dovecot's own."""
    box = dovecot.maildir
    source = MaildirSource(box, campaign)
    ours, theirs = deliver(box, make_message(1)), deliver(box, make_message(2))
    source.mark_processed(f"maildir:{ours}")
    nobody = pwd.getpwnam("nobody")
    for path in [dovecot.maildir.parent, *dovecot.maildir.parent.rglob("*")]:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)

    with dovecot.client() as imap:
        fetched = imap.fetch(imap.search(["ALL"]), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        by_id = {data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].strip(): (uid, data[b"FLAGS"])
                 for uid, data in fetched.items()}
        assert b"IntakeBotProcessed" in by_id[b"Message-ID: <1.intake@test>"][1]
        assert b"IntakeBotProcessed" not in by_id[b"Message-ID: <2.intake@test>"][1]
        imap.add_flags([by_id[b"Message-ID: <2.intake@test>"][0]], ["IntakeBotProcessed"])

    assert list(source.fetch_new()) == []
    assert {p.name.split(":")[0] for p in (box / "cur").iterdir()} == {ours, theirs}
