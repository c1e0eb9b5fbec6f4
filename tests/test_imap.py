"""The IMAP source against a real Dovecot (tests/dovecot.py), plus its pure quirk functions."""
from __future__ import annotations

import dataclasses
import datetime as dt
import email
import json
import logging
import re
import ssl
import threading
import time

import pytest
from imapclient import imap_utf7

from intake_bot.mailbox.base import DOCUMENT_TOO_LARGE, MESSAGE_TOO_LARGE, MailboxError
from intake_bot.mailbox.imap import (
    ImapSource, has_document_part, is_loopback, keywords_allowed, parse_key, unprocessed_criteria,
)
from intake_bot.mailbox.url import (
    PASSWORD_ENV, STATE_FILE, TOKEN_ENV, describe, open_source, parse_url,
)
from tests.conftest import CORPUS
from tests.dovecot import DovecotServer, dovecot, dovecot_missing, make_message  # noqa: F401

pytestmark = pytest.mark.imap  # most tests here need Dovecot; the pure ones are quick anyway

KEYWORD = b"IntakeBotProcessed"
SEEN = b"\\Seen"


def source(account, campaign, tmp_path, *, sleeps=None, **options) -> ImapSource:
    """An ImapSource on the test account whose pauses are recorded instead of slept."""
    recorded = [] if sleeps is None else sleeps
    return ImapSource(account.host, options.pop("port", account.port), account.user,
                      options.pop("folder", "INBOX"),
                      options.pop("tls", "plain-if-no-starttls"), campaign=campaign,
                      password=options.pop("password", account.password),
                      state_path=tmp_path / STATE_FILE, sleep=recorded.append, **options)


def with_mailbox(campaign, **changes):
    return dataclasses.replace(campaign, **changes)


def uid_of(key: str) -> int:
    return parse_key(key)[2]


# -------------------------------------------------------------------- one pass, the next pass


def test_each_message_is_given_once_across_passes(dovecot, campaign, tmp_path):
    sent = [make_message(n) for n in range(5)]
    uids = [dovecot.append(raw) for raw in sent]
    imap = source(dovecot, with_mailbox(campaign, fetch_batch=2), tmp_path)

    first = list(imap.fetch_new())
    assert [uid_of(m.key) for m in first] == uids  # oldest first, over three batches
    assert [m.raw for m in first] == sent  # exactly the bytes stored
    assert all(m.key == f"imap:INBOX:{imap.uidvalidity}:{u}" for m, u in zip(first, uids))
    for message in first:
        imap.mark_processed(message.key)

    assert list(imap.fetch_new()) == []
    imap.close()
    again = source(dovecot, campaign, tmp_path)  # as after a restart of the worker
    assert list(again.fetch_new()) == []
    again.close()
    for uid in uids:
        flags = dovecot.flags(uid)
        assert KEYWORD in flags and SEEN not in flags  # BODY.PEEK[] left \Seen alone


def test_a_message_not_marked_is_given_again(dovecot, campaign, tmp_path):
    uids = [dovecot.append(make_message(n)) for n in range(3)]
    imap = source(dovecot, campaign, tmp_path)
    first = list(imap.fetch_new())
    imap.mark_processed(first[1].key)
    assert [uid_of(m.key) for m in imap.fetch_new()] == [uids[0], uids[2]]
    imap.close()


def test_mail_from_before_the_campaign_start_is_not_given(dovecot, campaign, tmp_path):
    vietnam = dt.timezone(dt.timedelta(hours=7))
    dates = {  # campaign.start is 2024-04-26, days counted in Asia/Ho_Chi_Minh
        "day before, Vietnam": dt.datetime(2024, 4, 25, 10, 0, tzinfo=vietnam),
        "day before, late evening": dt.datetime(2024, 4, 25, 23, 59, tzinfo=vietnam),
        "start day, still the 25th in UTC": dt.datetime(2024, 4, 25, 20, 0, tzinfo=dt.timezone.utc),
        "start day": dt.datetime(2024, 4, 26, 8, 0, tzinfo=vietnam),
        "a week before": dt.datetime(2024, 4, 19, 8, 0, tzinfo=vietnam),
    }
    uids = {name: dovecot.append(make_message(n), date=when)
            for n, (name, when) in enumerate(dates.items())}
    imap = source(dovecot, with_mailbox(campaign, fetch_batch=2), tmp_path)  # a batch of skips
    given = list(imap.fetch_new())
    assert sorted(uid_of(m.key) for m in given) == sorted(
        [uids["start day, still the 25th in UTC"], uids["start day"]])
    assert all(m.internal_date.tzinfo is not None for m in given)
    imap.close()
    assert sorted(dovecot.uids()) == sorted(uids.values())  # skipped, never deleted


# -------------------------------------------------------------------- large messages


def test_a_huge_message_is_given_as_its_headers_with_the_reason(dovecot, campaign, tmp_path):
    small = make_message(1)
    text_only = make_message(2, body="Nội dung dài. " * 2000)
    with_document = make_message(3, attachment=b"PK\x03\x04" + bytes(range(256)) * 80)
    # Under the limit, but too many to download at once: fetched in groups under the limit.
    medium = [make_message(n, body="Báo cáo. " * 400) for n in range(4, 8)]
    uids = [dovecot.append(raw) for raw in (small, text_only, with_document)]
    medium_uids = [dovecot.append(raw) for raw in medium]
    tiny = dataclasses.replace(campaign.limits, max_message_mb=0.01)  # about 10 KB
    imap = source(dovecot, with_mailbox(campaign, limits=tiny), tmp_path)

    given = {uid_of(m.key): m for m in imap.fetch_new()}
    assert given[uids[0]].raw == small and given[uids[0]].truncated_reason is None
    assert [given[u].raw for u in medium_uids] == medium
    for uid, raw, reason in ((uids[1], text_only, MESSAGE_TOO_LARGE),
                             (uids[2], with_document, DOCUMENT_TOO_LARGE)):
        header = raw[: raw.index(b"\r\n\r\n") + 4]
        assert given[uid].truncated_reason == reason
        assert given[uid].raw == header  # the header block only
    for message in given.values():
        imap.mark_processed(message.key)
    imap.close()
    assert all(SEEN not in dovecot.flags(u) for u in uids)
    assert all(KEYWORD in dovecot.flags(u) for u in uids)


def _declares_document(raw: bytes) -> bool:
    """The oracle: Python's own MIME parser."""
    message = email.message_from_bytes(raw)
    return any(part.get_content_maintype() == "application"
               or part.get_content_disposition() == "attachment" for part in message.walk())


def test_bodystructure_tells_documents_for_every_corpus_mail(dovecot):
    emails = sorted((CORPUS / "emails").glob("*.eml"))
    raws = {path.name: path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            for path in emails}
    uids = {name: dovecot.append(raw) for name, raw in raws.items()}
    with dovecot.client() as imap:
        structures = imap.fetch(list(uids.values()), ["BODYSTRUCTURE"])
    verdicts = {name: has_document_part(structures[uid][b"BODYSTRUCTURE"])
                for name, uid in uids.items()}
    assert verdicts == {name: _declares_document(raw) for name, raw in raws.items()}
    assert sum(verdicts.values()) >= 5 and not all(verdicts.values())  # both kinds are there


# -------------------------------------------------------------------- marking


def test_move_processed_to_moves_marked_mail(dovecot, campaign, tmp_path):
    uids = [dovecot.append(make_message(n)) for n in range(2)]
    imap = source(dovecot, with_mailbox(campaign, move_processed_to="Đã xử lý"), tmp_path)
    first = list(imap.fetch_new())
    imap.mark_processed(first[0].key)
    assert list(imap.fetch_new())[0].key == first[1].key
    imap.close()
    assert dovecot.uids() == [uids[1]]
    moved = dovecot.uids("Đã xử lý")
    assert len(moved) == 1 and KEYWORD in dovecot.flags(moved[0], "Đã xử lý")


@pytest.fixture(scope="module")
def limited_server():
    """A server that keeps no custom keyword and announces neither MOVE nor IDLE."""
    reason = dovecot_missing()
    if reason:
        pytest.skip(reason)
    with DovecotServer(keywords=False, extensions=False) as server:
        yield server


def test_a_server_without_keywords_gets_processed_uids_remembered_in_the_state_file(
        limited_server, campaign, tmp_path, caplog):
    account = limited_server.new_account()
    uids = [account.append(make_message(n)) for n in range(3)]
    imap = source(account, campaign, tmp_path)
    with caplog.at_level(logging.WARNING, "intake_bot.mailbox.imap"):
        first = list(imap.fetch_new())
    assert "does not keep the keyword" in caplog.text
    imap.mark_processed(first[0].key)
    imap.mark_processed(first[2].key)
    imap.close()

    again = source(account, campaign, tmp_path)
    assert [uid_of(m.key) for m in again.fetch_new()] == [uids[1]]
    again.close()
    assert KEYWORD not in account.flags(uids[0])
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state[f"{account.user}@{account.host}:{account.port}/INBOX"]["processed_uids"] == \
        [uids[0], uids[2]]


def test_a_read_only_folder_is_read_and_processed_uids_remembered(limited_server, campaign,
                                                                  tmp_path):
    account = limited_server.new_account()
    for n in range(2):
        account.deliver(make_message(n), folder="Shared")
    imap = source(account, campaign, tmp_path, folder="Shared")
    first = list(imap.fetch_new())
    assert len(first) == 2
    imap.mark_processed(first[0].key)
    assert [m.key for m in imap.fetch_new()] == [first[1].key]
    imap.close()
    assert all(SEEN not in account.flags(uid_of(m.key), "Shared") for m in first)


def test_without_move_marked_mail_is_copied_and_stays(limited_server, campaign, tmp_path):
    account = limited_server.new_account()
    uid = account.append(make_message(1))
    imap = source(account, with_mailbox(campaign, move_processed_to="Processed"), tmp_path)
    [message] = imap.fetch_new()
    imap.mark_processed(message.key)
    assert list(imap.fetch_new()) == []
    imap.close()
    assert account.uids() == [uid] and len(account.uids("Processed")) == 1


def test_without_idle_waiting_is_a_plain_pause(limited_server, campaign, tmp_path):
    account = limited_server.new_account()
    sleeps: list[float] = []
    imap = source(account, campaign, tmp_path, sleeps=sleeps)
    assert imap.wait_for_new(30) is False and sleeps == [30]
    imap.close()


# -------------------------------------------------------------------- the server's surprises


def test_a_changed_uidvalidity_gives_the_unmarked_messages_again(dovecot, campaign, tmp_path,
                                                                 caplog):
    uids = [dovecot.append(make_message(n)) for n in range(3)]
    imap = source(dovecot, campaign, tmp_path)
    first = list(imap.fetch_new())
    imap.mark_processed(first[0].key)
    old = imap.uidvalidity

    new = dovecot.change_uidvalidity()
    with caplog.at_level(logging.WARNING, "intake_bot.mailbox.imap"):
        second = list(imap.fetch_new())  # Dovecot cuts the session: the source reconnects
        imap.mark_processed(first[1].key)  # an old key: refused quietly, not applied
    assert "UIDVALIDITY" in caplog.text and str(old) in caplog.text
    assert [m.key for m in second] == [f"imap:INBOX:{new}:{u}" for u in uids[1:]]
    assert KEYWORD not in dovecot.flags(uids[1])
    imap.mark_processed(second[0].key)
    imap.close()

    restarted = source(dovecot, campaign, tmp_path)
    assert [m.key for m in restarted.fetch_new()] == [f"imap:INBOX:{new}:{uids[2]}"]
    restarted.close()
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state[f"{dovecot.user}@{dovecot.host}:{dovecot.port}/INBOX"]["uidvalidity"] == new


def test_the_pass_resumes_after_the_server_goes_away(dovecot, campaign, tmp_path):
    uids = [dovecot.append(make_message(n)) for n in range(7)]
    sleeps: list[float] = []
    down_for = 2  # reconnects refused before the server comes back

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == down_for:
            dovecot.start()

    imap = ImapSource(dovecot.host, dovecot.port, dovecot.user, tls="plain-if-no-starttls",
                      campaign=with_mailbox(campaign, fetch_batch=3), password=dovecot.password,
                      state_path=tmp_path / STATE_FILE, sleep=sleep, first_delay=1, max_delay=3)
    given = []
    for message in imap.fetch_new():
        given.append(uid_of(message.key))
        if len(given) == 3:
            dovecot.stop()  # after the first batch; marking this one meets the dead server
        imap.mark_processed(message.key)
    imap.close()
    assert given == uids
    assert sleeps == [1, 2]
    assert all(KEYWORD in dovecot.flags(u) for u in uids)


def test_a_server_that_stays_away_gives_a_clear_error(dovecot, campaign, tmp_path):
    dovecot.append(make_message(1))
    sleeps: list[float] = []
    imap = source(dovecot, campaign, tmp_path, sleeps=sleeps, max_attempts=4, first_delay=2,
                  max_delay=5)
    dovecot.stop()
    with pytest.raises(MailboxError, match="4 attempts"):
        list(imap.fetch_new())
    assert sleeps == [2, 4, 5]
    imap.close()


def test_idle_tells_when_new_mail_arrives(dovecot, campaign, tmp_path):
    imap = source(dovecot, campaign, tmp_path)
    assert imap.wait_for_new(0.2) is False
    timer = threading.Timer(0.3, dovecot.append, [make_message(1)])
    timer.start()
    started = time.monotonic()
    assert imap.wait_for_new(10) is True
    assert time.monotonic() - started < 5
    timer.join()
    assert len(list(imap.fetch_new())) == 1
    imap.close()


# -------------------------------------------------------------------- opening and logging in


def test_open_source_takes_the_password_from_the_environment(dovecot, campaign, tmp_path,
                                                             monkeypatch):
    dovecot.append(make_message(1))
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    imap = open_source(dovecot.url, tmp_path, campaign)
    assert len(list(imap.fetch_new())) == 1
    imap.close()
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(MailboxError, match=PASSWORD_ENV):
        open_source(dovecot.url, tmp_path, campaign)


def test_a_wrong_password_is_a_clear_error_without_the_password(dovecot, campaign, tmp_path,
                                                               caplog):
    wrong = "Sai-Mat-Khau-12345"
    with caplog.at_level(logging.DEBUG), pytest.raises(MailboxError) as failure:
        open_source(dovecot.url, tmp_path, campaign, password=wrong)
    assert "login failed" in str(failure.value) and dovecot.user in str(failure.value)
    assert wrong not in str(failure.value) and wrong not in caplog.text


def test_a_non_ascii_password_logs_in(dovecot, campaign, tmp_path):
    account = dovecot.server.new_account(password="Mật-khẩu-Hưng-Yên-2024")
    account.append(make_message(1))
    imap = open_source(account.url, tmp_path, campaign, password=account.password)
    assert len(list(imap.fetch_new())) == 1
    imap.close()


def test_connection_problems_are_clear_errors(dovecot, campaign, tmp_path):
    with pytest.raises(MailboxError, match="cannot open the folder 'Báo cáo'"):
        source(dovecot, campaign, tmp_path, folder="Báo cáo")
    with pytest.raises(MailboxError, match="does not offer STARTTLS"):
        source(dovecot, campaign, tmp_path, tls="starttls")
    with pytest.raises(MailboxError, match="cannot connect"):
        open_source(f"imap://someone@127.0.0.1:{_closed_port()}/INBOX", tmp_path, campaign,
                    password="x")


@pytest.fixture(scope="module")
def tls_server():
    reason = dovecot_missing()
    if reason:
        pytest.skip(reason)
    with DovecotServer(tls=True) as server:
        yield server


def test_tls_and_starttls_are_used_and_the_certificate_checked(tls_server, campaign, tmp_path):
    account = tls_server.new_account()
    account.append(make_message(1))
    trusted = ssl.create_default_context(cafile=str(tls_server.certificate))
    for port, mode in ((tls_server.tls_port, "ssl"), (tls_server.port, "starttls"),
                       (tls_server.port, "plain-if-no-starttls")):
        imap = source(account, campaign, tmp_path, tls=mode, port=port, ssl_context=trusted)
        assert len(list(imap.fetch_new())) == 1
        imap.close()
    # Not trusted: refused, whether TLS comes first, by STARTTLS required, or by STARTTLS offered.
    for port, mode in ((tls_server.tls_port, "ssl"), (tls_server.port, "starttls"),
                       (tls_server.port, "plain-if-no-starttls")):
        with pytest.raises(MailboxError, match="certificate of 127.0.0.1 does not verify"):
            source(account, campaign, tmp_path, tls=mode, port=port)
    with pytest.raises(MailboxError, match="does not verify"):
        open_source(f"imaps://{account.user}@{account.host}:{tls_server.tls_port}/INBOX",
                    tmp_path, campaign, password=account.password)


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_close_is_quiet_even_when_the_server_is_gone(dovecot, campaign, tmp_path):
    imap = source(dovecot, campaign, tmp_path)
    dovecot.stop()
    imap.close()
    imap.close()


# -------------------------------------------------------------------- quirks, without a server


def test_search_criteria_are_ascii_and_ask_one_day_early():
    start = dt.date(2024, 4, 26)
    plain = unprocessed_criteria(start, "IntakeBotProcessed", None, keywords_ok=True)
    assert plain == ["SINCE", dt.date(2024, 4, 25), "NOT", "KEYWORD", "IntakeBotProcessed"]
    gmail = unprocessed_criteria(start, "IntakeBotProcessed", "Báo cáo/đã xử lý", keywords_ok=True)
    assert gmail[2:4] == ["NOT", "X-GM-LABELS"]
    assert gmail[4].isascii() and imap_utf7.decode(gmail[4]) == "Báo cáo/đã xử lý"
    assert unprocessed_criteria(start, "IntakeBotProcessed", None, keywords_ok=False) == \
        ["SINCE", dt.date(2024, 4, 25)]


def test_keywords_allowed_reads_permanentflags():
    assert keywords_allowed((b"\\Seen", b"\\*"), "IntakeBotProcessed")
    assert keywords_allowed((b"\\Seen", b"intakebotprocessed"), "IntakeBotProcessed")
    assert not keywords_allowed((b"\\Deleted", b"\\Seen"), "IntakeBotProcessed")


def test_keys_keep_folders_with_colons():
    assert parse_key("imap:Reports: 2024:17:42") == ("Reports: 2024", 17, 42)
    with pytest.raises(ValueError):
        parse_key("maildir:123.abc")


def test_only_loopback_may_go_without_tls():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("imap.gmail.com") and not is_loopback("10.0.0.5")


def test_an_oauth2_token_from_the_environment_is_used_and_never_shown(dovecot, campaign,
                                                                     tmp_path, monkeypatch):
    token = "ya29.a0AfB_secret-token"
    monkeypatch.setenv(TOKEN_ENV, token)
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)  # the token wins
    with pytest.raises(MailboxError, match="login failed") as failure:
        open_source(dovecot.url, tmp_path, campaign)  # this Dovecot has no XOAUTH2
    assert token not in str(failure.value)


# -------------------------------------------------------------------- URLs


def test_imap_urls_are_read_with_their_defaults():
    gmail = parse_url("imaps://ktns.hdndhy%40gmail.com@imap.gmail.com/%5BGmail%5D/All%20Mail")
    assert (gmail.scheme, gmail.user, gmail.host, gmail.port, gmail.folder) == \
        ("imaps", "ktns.hdndhy@gmail.com", "imap.gmail.com", 993, "[Gmail]/All Mail")
    plain = parse_url("imap://bot@127.0.0.1")
    assert (plain.port, plain.folder) == (143, "INBOX")
    assert parse_url("imaps://a@gmail.com@imap.gmail.com:994/").user == "a@gmail.com"
    assert parse_url("maildir:/srv/mail").path == "/srv/mail"


@pytest.mark.parametrize("url, complaint", [
    ("imaps://bot:S3cret-pw@imap.gmail.com/INBOX", PASSWORD_ENV),
    ("pop3://bot@mail.example.vn/", "is not one of"),
    ("imap:/bot@mail.example.vn/", "is not one of"),
    ("imaps://imap.gmail.com/INBOX", "names no user"),
    ("imaps://bot@:993/INBOX", "names no host"),
    ("imaps://bot@imap.gmail.com:99999/INBOX", "port"),
    ("imaps://bot@imap.gmail.com/INBOX?tls=no", "query"),
    ("maildir:", "no Maildir path"),
    ("", "is not one of"),
])
def test_bad_urls_are_clear_errors_that_show_no_password(url, complaint):
    with pytest.raises(MailboxError, match=re.escape(complaint)) as failure:
        parse_url(url)
    assert "S3cret-pw" not in str(failure.value)
    assert "S3cret-pw" not in describe(url)


def test_describe_shows_a_normalised_url():
    assert describe("imaps://ktns.hdndhy%40gmail.com@imap.gmail.com/INBOX") == \
        "imaps://ktns.hdndhy%40gmail.com@imap.gmail.com:993/INBOX"
    assert describe("imaps://bot:S3cret-pw@imap.gmail.com/") == \
        "invalid (mailbox URL 'imaps://bot:***@imap.gmail.com/' carries a password: take it " \
        f"out of the URL and put it in the environment variable {PASSWORD_ENV})"
    assert describe("maildir:Maildir") == "maildir:Maildir"
