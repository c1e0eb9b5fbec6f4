"""End to end through real passes, a real SQLite store and the real digest: the bot's own
digest coming back into the committee mailbox (the secretary's address is the mailbox itself)
is recognised as the bot's, while a person writing from the committee address is not; a bounce
is shown under the unit and the address that failed, and stays in the review queue."""
from __future__ import annotations

import datetime as dt

import pytest

from intake_bot.digest import build_digest, digest_key, queue_digest
from intake_bot.mailbox.base import SourceMessage
from intake_bot.outbox import FileTransport, Outbox
from intake_bot.pipeline import run_pass
from intake_bot.status import format_status, status_report
from tests.conftest import CORPUS
from tests.mime_builder import COMMITTEE, simple
from tests.test_classify import VAN_LAM, dsn
from tests.test_pipeline import ListSource, extract

EMAILS = CORPUS / "emails"


def day(campaign, n: int, hour: int = 18) -> dt.datetime:
    return dt.datetime(2024, 5, n, hour, 0, tzinfo=campaign.tz)


def arrivals(text: str) -> str:
    """The digest's section of the mail received since the previous digest."""
    return text.split("2. THƯ NHẬN ĐƯỢC", 1)[1].split("3. CẦN ĐỒNG CHÍ XEM XÉT", 1)[0]


def review(text: str) -> str:
    return text.split("3. CẦN ĐỒNG CHÍ XEM XÉT", 1)[1].split("4. THƯ NHẮC", 1)[0]


def pass_over(campaign, store, tmp_path, now, *raws: bytes, tag: str = "m"):
    source = ListSource([SourceMessage(f"test:{tag}{n}", raw, now) for n, raw in enumerate(raws)])
    return run_pass(campaign, store, source, FileTransport(tmp_path / "out"), now, extract=extract)


@pytest.fixture
def digest_back(campaign, store, tmp_path):
    """The digest of 9 May as the committee mailbox receives it (the secretary is the mailbox)."""
    assert campaign.secretary_email in campaign.own_addresses
    queue_digest(campaign, store, Outbox(store, campaign), day(campaign, 9))
    Outbox(store, campaign).flush(FileTransport(tmp_path / "out"), day(campaign, 9))
    return (FileTransport(tmp_path / "out").path_for(digest_key(day(campaign, 9).date()))).read_bytes()


@pytest.mark.parametrize("strip_header", [False, True], ids=["with its header", "by its Message-ID alone"])
def test_the_bots_own_digest_is_no_arrival_of_the_next_digest(campaign, store, tmp_path, digest_back, strip_header):
    raw = digest_back.replace(b"X-Intake-Bot:", b"X-Other:") if strip_header else digest_back
    summary = pass_over(campaign, store, tmp_path, day(campaign, 9, 19), raw)
    assert summary.replies_queued == 0
    message, = store.messages()
    assert (message.category, message.action, message.decision["own_mail"]) == ("other", "ignore", True)
    assert message.reasons[0].startswith("sent by this bot")
    text = build_digest(campaign, store, day(campaign, 10)).text
    assert "Thư khác" not in text
    assert "Không có thư mới." in arrivals(text)


def test_the_secretary_writing_from_the_committee_address_is_not_the_bot(campaign, store, tmp_path, digest_back):
    """Her mail comes from the same address as the digest, but the bot did not write it: it is
    hers (a command mail), not the bot's own."""
    person = simple(sender=COMMITTEE, subject="Trợ giúp", text="TRỢ GIÚP")
    pass_over(campaign, store, tmp_path, day(campaign, 9, 19), person)
    message, = store.messages()
    assert (message.action, message.decision["own_mail"]) == ("execute_commands", False)
    assert not any(reason.startswith("sent by this bot") for reason in message.reasons)


def test_a_bounce_shows_the_unit_and_the_failed_address_until_handled(campaign, store, tmp_path):
    pass_over(campaign, store, tmp_path, day(campaign, 9, 9), dsn(VAN_LAM))
    item, = store.review_queue()
    assert (item.category, item.unit, item.bounced_addresses) == ("bounce", "ubnd-van-lam", [VAN_LAM])
    report = status_report(campaign, store, day(campaign, 9))
    entry, = report["review"]
    assert (entry["unit"], entry["bounced_addresses"]) == ("ubnd-van-lam", [VAN_LAM])
    assert f"[bounce] UBND huyện Văn Lâm · {VAN_LAM} · " in format_status(campaign, report)
    for when in (day(campaign, 9), day(campaign, 10)):  # still there the next day: nothing handled it
        shown = review(build_digest(campaign, store, when).text)
        assert f"Thư báo không chuyển được: UBND huyện Văn Lâm ({VAN_LAM})" in shown
        assert "Thư báo không chuyển được: mailer-daemon" not in shown
        assert "Địa chỉ thư bị trả lại" not in shown  # the same address is not listed twice


def test_a_bounce_of_an_address_the_bot_wrote_to_for_a_unit(campaign, store, tmp_path):
    """Ân Thi sent its report from a personal address; the acknowledgement to it bounced: the
    review shows Ân Thi and that address, although the address is registered for no unit."""
    personal = "tranvanlong1985@gmail.com"
    bounce = (EMAILS / "e14.eml").read_bytes().replace(b"ubnd.anthii@hungyen.gov.vn", personal.encode())
    pass_over(campaign, store, tmp_path, day(campaign, 9, 9), (EMAILS / "e06.eml").read_bytes())
    pass_over(campaign, store, tmp_path, day(campaign, 9, 10), bounce, tag="b")
    item, = store.review_queue()
    assert (item.category, item.unit, item.bounced_addresses) == ("bounce", "ubnd-an-thi", [personal])
    assert f"UBND huyện Ân Thi ({personal})" in review(build_digest(campaign, store, day(campaign, 9)).text)
