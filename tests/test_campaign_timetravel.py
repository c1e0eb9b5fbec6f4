"""The whole 2024 campaign, day by day from 27/4 to 31/5 (two days past its end): mail delivered
into a Maildir on its day, the real poll pass, the reminder pass and the digest, all sending
through a real SMTP server on loopback.

Units report early, before the deadline, late, incompletely, scanned-only, or never; one unit's
addresses bounce one after the other. Each day at the reminder time the reminder pass runs twice
(an overlapping run): the set of reminders per day must be exactly the expected schedule, and no
mail may reach the server twice, also after a crash between queueing and sending, and after a
crash in the middle of sending.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import mailbox
import os
import re
from collections import Counter
from email.utils import format_datetime

import pytest

from intake_bot.config import ReminderPolicy
from intake_bot.digest import digest_key, queue_digest
from intake_bot.followup import (BEFORE, DOCX, DUE, MISSING, OVERDUE, UNREACHABLE, due_reminders,
                                 run_reminders)
from intake_bot.mailbox.maildir import MaildirSource
from intake_bot.outbox import Outbox, SmtpTransport
from intake_bot.pipeline import run_pass
from intake_bot.progress import unit_progress

from .conftest import CORPUS
from .mime_builder import attachment, simple
from .smtp_sink import smtp_sink  # noqa: F401  (the fixture)
from .test_digest import at

D = dt.date
START, END = D(2024, 4, 27), D(2024, 5, 31)
KD_BOSS, MH_BOSS = "chutich.kimdong@hungyen.gov.vn", "chutich.myhao@hungyen.gov.vn"


@pytest.fixture
def campaign_2024(campaign):
    """The seed's campaign with a reminder 5 working days before the deadline too (it falls on
    the worked Saturday 4/5) and leadership addresses for two districts."""
    units = dict(campaign.units)
    units["ubnd-kim-dong"] = dataclasses.replace(units["ubnd-kim-dong"], leadership=(KD_BOSS,))
    units["ubnd-my-hao"] = dataclasses.replace(units["ubnd-my-hao"], leadership=(MH_BOSS,))
    policy = ReminderPolicy(before_days=(5, 3, 1), on_deadline=True, overdue_every=2, overdue_max=4,
                            escalate_from=2)
    return dataclasses.replace(campaign, units=units, reminders=policy)


def corpus_mail(name: str) -> bytes:
    return (CORPUS / "emails" / f"{name}.eml").read_bytes()


def bounce_of(address: str, n: int) -> bytes:
    """The corpus' delivery failure notice, for `address`."""
    raw = corpus_mail("e14").replace(b"ubnd.anthii@hungyen.gov.vn", address.encode())
    return raw.replace(b"<8f50e038488dda928590fae0@googlemail.com>", f"<bounce{n}@googlemail.com>".encode())


def scan_only() -> bytes:
    scan = (CORPUS / "documents" / "d08.pdf").read_bytes()
    return simple(sender="ubnd.kimdong@hungyen.gov.vn", subject="Báo cáo giám sát CN-TTCN",
                  files=[attachment(scan, "BC giam sat CN-TTCN (Kim Dong) - ban scan.pdf", "application/pdf")])


# What reaches the mailbox, and when. Mỹ Hào never reports; Ân Thi never reports either, and
# both of its addresses bounce (the first after the reminder of 9/5, the second on 14/5).
DELIVERIES = [
    (at(5, 3, 10), lambda: corpus_mail("e01")),       # Sở Công Thương: early, complete
    (at(5, 6, 10), lambda: corpus_mail("e03")),       # Văn Lâm: DOCX + workbook, II.3 missing
    (at(5, 8, 10), lambda: corpus_mail("e02")),       # BQL: complete, from a personal address
    (at(5, 9, 7, 30), scan_only),                      # Kim Động: only a scan, before 08:00
    (at(5, 9, 9), lambda: bounce_of("ubnd.anthi@hungyen.gov.vn", 1)),
    (at(5, 14, 9), lambda: bounce_of("vp.anthi@hungyen.gov.vn", 2)),
    (at(5, 15, 10), lambda: corpus_mail("e04")),      # Yên Mỹ: late, complete (DOCX + PDF)
]

B5, B3, B1 = (BEFORE, 5), (BEFORE, 3), (BEFORE, 1)
EXPECTED = {
    D(2024, 5, 4): {"bql-kcn": B5, "ubnd-my-hao": B5, "ubnd-van-lam": B5, "ubnd-yen-my": B5,
                    "ubnd-an-thi": B5, "ubnd-kim-dong": B5},
    D(2024, 5, 7): {"bql-kcn": B3, "ubnd-my-hao": B3, "ubnd-van-lam": (MISSING, 3), "ubnd-yen-my": B3,
                    "ubnd-an-thi": B3, "ubnd-kim-dong": B3},
    # Kim Động's scan came at 07:30 that day: its acknowledgement already asked for the Word file.
    D(2024, 5, 9): {"ubnd-my-hao": B1, "ubnd-van-lam": (MISSING, 1), "ubnd-yen-my": B1, "ubnd-an-thi": B1},
    D(2024, 5, 10): {"ubnd-my-hao": (DUE, 0), "ubnd-van-lam": (MISSING, 0), "ubnd-yen-my": (DUE, 0),
                     "ubnd-an-thi": (DUE, 0), "ubnd-kim-dong": (DOCX, 0)},
    D(2024, 5, 14): {"ubnd-my-hao": (OVERDUE, 1), "ubnd-van-lam": (MISSING, 1), "ubnd-yen-my": (OVERDUE, 1),
                     "ubnd-an-thi": (OVERDUE, 1), "ubnd-kim-dong": (DOCX, 1)},
    D(2024, 5, 16): {"ubnd-my-hao": (OVERDUE, 2), "ubnd-van-lam": (MISSING, 2),
                     "ubnd-an-thi": (UNREACHABLE, 2), "ubnd-kim-dong": (DOCX, 2)},
    D(2024, 5, 20): {"ubnd-my-hao": (OVERDUE, 3), "ubnd-van-lam": (MISSING, 3),
                     "ubnd-an-thi": (UNREACHABLE, 3), "ubnd-kim-dong": (DOCX, 3)},
    D(2024, 5, 22): {"ubnd-my-hao": (OVERDUE, 4), "ubnd-van-lam": (MISSING, 4),
                     "ubnd-an-thi": (UNREACHABLE, 4), "ubnd-kim-dong": (DOCX, 4)},
}


def deliver(maildir: mailbox.Maildir, raw: bytes, when: dt.datetime) -> None:
    """Put a message in the Maildir as delivered at `when` (Date header and file time)."""
    raw = re.sub(rb"^Date: .*$", f"Date: {format_datetime(when)}".encode(), raw, count=1, flags=re.M)
    key = maildir.add(raw)
    os.utime(os.path.join(maildir._path, "new", key), (when.timestamp(), when.timestamp()))


def body(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def test_the_whole_campaign(campaign_2024, store, smtp_sink, tmp_path):  # noqa: F811
    campaign = campaign_2024
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    source = MaildirSource(tmp_path / "Maildir", campaign)
    outbox = Outbox(store, campaign)
    smtp = SmtpTransport(smtp_sink.url)  # each flush opens and closes its own connection
    pending = list(DELIVERIES)
    seen: dict[dt.date, dict[str, tuple[str, int]]] = {}
    unknown_key = None

    def poll_until(moment: dt.datetime) -> None:
        while pending and pending[0][0] <= moment:
            when, make = pending.pop(0)
            deliver(maildir, make(), when)
            summary = run_pass(campaign, store, source, smtp, when + dt.timedelta(minutes=1))
            assert summary.new == 1 and not summary.errors

    day = START
    while day <= END:
        morning = at(day.month, day.day, 8, 0)
        poll_until(morning)
        if day == D(2024, 5, 16):
            # A pass crashed after queueing and before sending: the next pass sends each once.
            for reminder in due_reminders(campaign, unit_progress(store, campaign, morning), morning):
                outbox.queue(reminder.key, reminder.draft, morning)
        if day == D(2024, 5, 20):
            # A pass died while talking to the server: that mail may have gone, it is not resent.
            crashed = due_reminders(campaign, unit_progress(store, campaign, morning), morning)
            for reminder in crashed:
                outbox.queue(reminder.key, reminder.draft, morning)
            unknown_key = crashed[0].key
            store.begin_sending(store.outgoing(unknown_key).id)
        first = run_reminders(campaign, store, outbox, smtp, morning)
        again = run_reminders(campaign, store, outbox, smtp, at(day.month, day.day, 9, 30))
        assert [(e["unit"], e["kind"]) for e in again] == [(e["unit"], e["kind"]) for e in first]
        assert all(e["already_in_outbox"] for e in again)
        if first:
            seen[day] = {e["unit"]: (e["kind"], e["slot_number"]) for e in first}
        poll_until(at(day.month, day.day, 17))
        # The secretary's digest at 17:00 every day (a day off adds none); the machine was off
        # from Friday 17/5 16:00 to Monday 20/5 08:00, when its start-up catches up once.
        if day == D(2024, 5, 20):
            queue_digest(campaign, store, outbox, morning)
        if day not in (D(2024, 5, 17), D(2024, 5, 18), D(2024, 5, 19)):
            queue_digest(campaign, store, outbox, at(day.month, day.day, 17))
            outbox.flush(smtp, at(day.month, day.day, 17))
        day += dt.timedelta(days=1)
    assert not pending

    assert seen == EXPECTED

    # Nothing reached the server twice; the one caught mid-send was never resent.
    ids = Counter(r.message["Message-ID"] for r in smtp_sink.received)
    assert max(ids.values()) == 1
    kinds = Counter(r.message["X-Intake-Bot"].split("kind=")[1] for r in smtp_sink.received)
    reminder_kinds = (BEFORE, DUE, OVERDUE, MISSING, DOCX, UNREACHABLE)
    assert sum(kinds[k] for k in reminder_kinds) == sum(len(units) for units in EXPECTED.values()) - 1
    assert store.outgoing(unknown_key).state == "unknown"

    by_id = {r.message["Message-ID"]: r for r in smtp_sink.received}

    def mail(unit: str, day: dt.date):
        return by_id[store.outgoing(f"remind:{unit}:{day.isoformat()}").message_id]

    # Saturday 4/5, the worked day, carried the first reminder.
    saturday = mail("ubnd-my-hao", D(2024, 5, 4))
    assert saturday.message["Subject"] == ("Đề nghị gửi báo cáo phục vụ Đoàn giám sát trước hạn 10/5/2024"
                                           " – UBND thị xã Mỹ Hào")
    assert "Đến ngày 4 tháng 5 năm 2024 (còn 5 ngày làm việc đến hạn)" in body(saturday)
    assert saturday.rcpt_tos == ["ubnd.myhao@hungyen.gov.vn", "vanphong.myhao@hungyen.gov.vn"]
    # Văn Lâm is asked for the missing item by the outline's title.
    van_lam = body(mail("ubnd-van-lam", D(2024, 5, 10)))
    assert "Mục II.3. Kết quả thực hiện các Văn bản của Thủ tướng Chính phủ" in van_lam
    assert "chậm nhất trong ngày 10 tháng 5 năm 2024" in van_lam
    assert "trong thời gian sớm nhất" in body(mail("ubnd-van-lam", D(2024, 5, 14)))
    # Kim Động: the Word file, with its leadership copied from the second overdue slot on.
    kim_dong = mail("ubnd-kim-dong", D(2024, 5, 16))
    assert KD_BOSS in kim_dong.rcpt_tos and kim_dong.message["Cc"] == KD_BOSS
    assert "bản Word (.docx)" in body(kim_dong) and "đồng gửi lãnh đạo" in body(kim_dong)
    assert KD_BOSS not in mail("ubnd-kim-dong", D(2024, 5, 14)).rcpt_tos
    # Mỹ Hào's overdue reminders count the working days late.
    assert "đã quá hạn 8 ngày làm việc" in body(mail("ubnd-my-hao", D(2024, 5, 22)))
    # Ân Thi: after the first bounce the reminders go to the address left; after the second,
    # the secretary hears of it instead.
    assert mail("ubnd-an-thi", D(2024, 5, 10)).rcpt_tos == ["vp.anthi@hungyen.gov.vn"]
    an_thi = mail("ubnd-an-thi", D(2024, 5, 16))
    assert an_thi.rcpt_tos == [campaign.secretary_email]
    assert "ubnd.anthi@hungyen.gov.vn" in body(an_thi) and "vp.anthi@hungyen.gov.vn" in body(an_thi)
    assert "Ủy ban nhân dân huyện Ân Thi" in body(an_thi)

    # One digest per working day; Friday 17/5's, missed, went out once on Monday 20/5 morning.
    digests = {row.key: row for row in store.outgoing_in_states("sent") if row.key.startswith("digest:")}
    assert digest_key(D(2024, 5, 4)) in digests and digest_key(D(2024, 5, 5)) not in digests
    assert digest_key(D(2024, 4, 29)) not in digests and digest_key(D(2024, 5, 1)) not in digests
    assert digests[digest_key(D(2024, 5, 17))].created_at == at(5, 20, 8)
    assert digests[digest_key(D(2024, 5, 20))].created_at == at(5, 20, 17)
    # The 21 working days from 2/5 to 29/5, the campaign's end (a week after the last overdue
    # reminder of 22/5), and its first day, Friday 26/4, whose digest the first run (Saturday
    # 27/4) caught up; none after the end.
    assert kinds["digest"] == len(digests) == 22 and digest_key(D(2024, 4, 26)) in digests
    assert digest_key(D(2024, 5, 29)) in digests and digest_key(D(2024, 5, 30)) not in digests
