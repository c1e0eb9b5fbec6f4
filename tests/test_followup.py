"""The reminder schedule and who gets what, from hand-built progress (no database)."""
import dataclasses
import datetime as dt
import unicodedata

import pytest

from intake_bot.config import ReminderPolicy
from intake_bot.followup import (BEFORE, DOCX, DUE, MISSING, OVERDUE, UNREACHABLE, Slot, campaign_end,
                                 due_reminders, schedule, slot_due)
from intake_bot.progress import NOT_RECEIVED, ReceivedDocument, UnitProgress
from intake_bot.reader.model import Extraction

D = dt.date
VN = dt.timezone(dt.timedelta(hours=7))


def at(day: dt.date, hour=8, minute=0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def test_default_schedule_2024(campaign):
    assert schedule(campaign) == [
        Slot(D(2024, 5, 7), BEFORE, 3),
        Slot(D(2024, 5, 9), BEFORE, 1),
        Slot(D(2024, 5, 10), DUE, 0),
        Slot(D(2024, 5, 14), OVERDUE, 1, False),
        Slot(D(2024, 5, 16), OVERDUE, 2, True),
        Slot(D(2024, 5, 20), OVERDUE, 3, True),
        Slot(D(2024, 5, 22), OVERDUE, 4, True),
    ]


def test_working_days_back_cross_the_worked_saturday_and_the_break(campaign):
    policy = ReminderPolicy(before_days=(5, 7), on_deadline=False, overdue_max=0)
    days = [s.day for s in schedule(dataclasses.replace(campaign, reminders=policy))]
    assert days == [D(2024, 5, 2), D(2024, 5, 4)]


def test_a_deadline_on_a_day_off_moves_forward_and_merges(campaign):
    # Deadline Monday 29/4/2024 (swapped day off): the due reminder moves to Thursday 2/5, where
    # the first overdue reminder (1 working day after) also lands: one mail, the overdue one.
    policy = ReminderPolicy(before_days=(1,), on_deadline=True, overdue_every=1, overdue_max=2,
                            escalate_from=2)
    slots = schedule(dataclasses.replace(campaign, deadline=D(2024, 4, 29), reminders=policy))
    assert slots == [Slot(D(2024, 4, 26), BEFORE, 1), Slot(D(2024, 5, 2), OVERDUE, 1, False),
                     Slot(D(2024, 5, 3), OVERDUE, 2, True)]


def test_slot_is_due_from_the_reminder_time_to_the_end_of_its_day(campaign):
    assert slot_due(campaign, at(D(2024, 5, 7), 7, 59)) is None
    assert slot_due(campaign, at(D(2024, 5, 7), 8, 0)).kind == BEFORE
    assert slot_due(campaign, at(D(2024, 5, 7), 23, 30)).number == 3
    assert slot_due(campaign, at(D(2024, 5, 8), 9)) is None  # no slot that day
    # 01:30 UTC on 10/5 is 08:30 in Hanoi.
    assert slot_due(campaign, dt.datetime(2024, 5, 10, 1, 30, tzinfo=dt.timezone.utc)).kind == DUE
    # A missed slot is not sent later: 8/5 is between slots, 9/5 has its own.
    assert slot_due(campaign, at(D(2024, 5, 9))).number == 1


def _doc(name, version, scanned=False, received=at(D(2024, 5, 6), 10), sender="ubnd.vanlam@hungyen.gov.vn"):
    return ReceivedDocument(name, version, "pdf" if scanned else "docx", received, sender,
                            Extraction(file=name, format="pdf" if scanned else "docx", scanned=scanned))


def _progress():
    return [
        UnitProgress("so-cong-thuong", "not_received"),
        UnitProgress("bql-kcn", "complete", version=1, received_at=at(D(2024, 5, 3))),
        UnitProgress("ubnd-van-lam", "incomplete", version=2, missing=["IV", "PL"],
                     received_at=at(D(2024, 5, 6), 10), last_received_at=at(D(2024, 5, 6), 10),
                     last_sender="vanlam.personal@gmail.com",
                     latest_files=[_doc("BC Văn Lâm <v2>.docx", 2, sender="vanlam.personal@gmail.com")]),
        UnitProgress("ubnd-kim-dong", "scanned_only", version=1, received_at=at(D(2024, 5, 6), 11),
                     last_received_at=at(D(2024, 5, 6), 11), last_sender="ubnd.kimdong@hungyen.gov.vn",
                     latest_files=[_doc("BC scan.pdf", 1, scanned=True)]),
        UnitProgress("ubnd-an-thi", "not_received",
                     bounced=("ubnd.anthi@hungyen.gov.vn", "vp.anthi@hungyen.gov.vn")),
        UnitProgress("ubnd-yen-my", "not_received", bounced=("nobody@hungyen.gov.vn",)),
    ]


def test_who_gets_what_before_the_deadline(campaign):
    reminders = {r.unit: r for r in due_reminders(campaign, _progress(), at(D(2024, 5, 7)))}
    assert set(reminders) == {"so-cong-thuong", "ubnd-van-lam", "ubnd-kim-dong", "ubnd-an-thi", "ubnd-yen-my"}
    assert {u: r.kind for u, r in reminders.items()} == {
        "so-cong-thuong": BEFORE, "ubnd-van-lam": MISSING, "ubnd-kim-dong": DOCX,
        "ubnd-an-thi": UNREACHABLE, "ubnd-yen-my": BEFORE}
    assert {r.key for r in reminders.values()} == {f"remind:{u}:2024-05-07" for u in reminders}

    sct = reminders["so-cong-thuong"].draft
    assert sct.to == ["vanthu.sct@hungyen.gov.vn", "sct@hungyen.gov.vn"] and sct.cc == []
    assert sct.kind == BEFORE and sct.unit == "so-cong-thuong"
    assert "Kính gửi: Sở Công Thương tỉnh Hưng Yên" in sct.text
    assert "thời hạn gửi báo cáo là ngày 10 tháng 5 năm 2024" in sct.text
    assert "Đến ngày 7 tháng 5 năm 2024 (còn 3 ngày làm việc đến hạn)" in sct.text
    assert "ktns.hdndhy@gmail.com" in sct.text and "0968.257.786" in sct.text
    assert "Đinh Thị Miên" in sct.text and sct.text.rstrip().endswith("Ban Kinh tế - Ngân sách HĐND tỉnh Hưng Yên")
    assert "Trân trọng./." in sct.text
    assert sct.subject == "Đề nghị gửi báo cáo phục vụ Đoàn giám sát trước hạn 10/5/2024 – Sở Công Thương"

    van_lam = reminders["ubnd-van-lam"].draft
    # Registered addresses plus the one the last report came from.
    assert van_lam.to == ["ubnd.vanlam@hungyen.gov.vn", "vanphong@vanlam.hungyen.gov.vn",
                          "vanlam.personal@gmail.com"]
    assert "Mục IV. Đề xuất, kiến nghị" in van_lam.text
    assert "Phụ lục: kết quả đầu tư các khu công nghiệp (A) và cụm công nghiệp (B)" in van_lam.text
    assert "Mục PL" not in van_lam.text
    assert "chậm nhất trong ngày 10 tháng 5 năm 2024" in van_lam.text
    # The sender's file name is escaped in HTML.
    assert "BC Văn Lâm &lt;v2&gt;.docx" in van_lam.html and "<v2>" not in van_lam.html

    kim_dong = reminders["ubnd-kim-dong"].draft
    assert "bản chụp (scan)" in kim_dong.text and "bản Word (.docx)" in kim_dong.text
    assert "BC scan.pdf (phiên bản 1)" in kim_dong.text

    # Every address of Ân Thi bounced: the secretary is told instead, with the failed addresses.
    an_thi = reminders["ubnd-an-thi"].draft
    assert an_thi.to == [campaign.secretary_email] and an_thi.unit == "ubnd-an-thi"
    assert "Kính gửi: đồng chí Đinh Thị Miên" in an_thi.text
    assert "Ủy ban nhân dân huyện Ân Thi" in an_thi.text
    assert "ubnd.anthi@hungyen.gov.vn" in an_thi.text and "vp.anthi@hungyen.gov.vn" in an_thi.text
    assert "Tình trạng: đơn vị chưa gửi báo cáo." in an_thi.text
    assert an_thi.subject == "Không gửi được thư nhắc báo cáo – UBND huyện Ân Thi"
    # A bounce of an address that is not the unit's own changes nothing for it.
    assert reminders["ubnd-yen-my"].draft.to == ["ubnd.yenmy@hungyen.gov.vn"]

    for r in reminders.values():
        assert unicodedata.is_normalized("NFC", r.draft.text + r.draft.html + r.draft.subject)
        assert "<script" not in r.draft.html and "http" not in r.draft.html.replace("mailto:", "")


def test_each_kind_has_its_own_tone(campaign):
    progress = [UnitProgress("so-cong-thuong", "not_received")]
    due = due_reminders(campaign, progress, at(D(2024, 5, 10), 8, 5))[0].draft
    assert "thời hạn gửi báo cáo là hôm nay, ngày 10 tháng 5 năm 2024" in due.text
    assert "<strong>hôm nay, ngày 10 tháng 5 năm 2024</strong>" in due.html
    assert "08 giờ 05, ngày 10 tháng 5 năm 2024" in due.text
    assert due.subject.startswith("Hôm nay là hạn gửi báo cáo")
    overdue = due_reminders(campaign, progress, at(D(2024, 5, 16)))[0]
    assert overdue.kind == OVERDUE and overdue.slot.number == 2
    assert "đã quá hạn 4 ngày làm việc" in overdue.draft.text  # 13, 14, 15, 16 May
    assert "dù đã có thư nhắc trước đó" in overdue.draft.text
    assert "khẩn trương" in overdue.draft.text
    assert overdue.draft.subject == ("Đôn đốc gửi báo cáo phục vụ Đoàn giám sát – đã quá hạn (lần 2)"
                                     " – Sở Công Thương")


def test_escalation_copies_leadership_from_the_configured_overdue_reminder(campaign):
    units = dict(campaign.units)
    units["ubnd-yen-my"] = dataclasses.replace(units["ubnd-yen-my"],
                                               leadership=("chutich.yenmy@hungyen.gov.vn",))
    escalating = dataclasses.replace(campaign, units=units)
    progress = [UnitProgress("ubnd-yen-my", "not_received")]
    first = due_reminders(escalating, progress, at(D(2024, 5, 14)))[0].draft
    second = due_reminders(escalating, progress, at(D(2024, 5, 16)))[0].draft
    assert first.cc == [] and "đồng gửi lãnh đạo" not in first.text
    assert second.cc == ["chutich.yenmy@hungyen.gov.vn"]
    assert "Thư này được đồng gửi lãnh đạo Quý cơ quan" in second.text
    # A unit with no leadership address is not said to be escalated.
    plain = due_reminders(campaign, progress, at(D(2024, 5, 16)))[0].draft
    assert plain.cc == [] and "đồng gửi lãnh đạo" not in plain.text


def test_after_the_deadline_requests_say_as_soon_as_possible(campaign):
    progress = [p for p in _progress() if p.unit == "ubnd-van-lam"]
    draft = due_reminders(campaign, progress, at(D(2024, 5, 14)))[0].draft
    assert "trong thời gian sớm nhất" in draft.text and "chậm nhất" not in draft.text


def test_nothing_on_days_without_a_slot_or_before_the_time(campaign):
    for now in (at(D(2024, 5, 5)), at(D(2024, 5, 8)), at(D(2024, 5, 7), 7), at(D(2024, 4, 30)),
                at(D(2024, 5, 31))):
        assert due_reminders(campaign, _progress(), now) == []


def test_a_unit_that_wrote_today_is_not_reminded_today(campaign):
    today = at(D(2024, 5, 9), 7, 30)
    progress = [UnitProgress("ubnd-kim-dong", "scanned_only", version=1, received_at=today,
                             last_received_at=today, latest_files=[_doc("scan.pdf", 1, True, today)])]
    assert due_reminders(campaign, progress, at(D(2024, 5, 9))) == []
    assert [r.kind for r in due_reminders(campaign, progress, at(D(2024, 5, 10)))] == [DOCX]


def test_no_secretary_address_means_no_alert(campaign):
    progress = [UnitProgress("ubnd-an-thi", "not_received", bounced=("ubnd.anthi@hungyen.gov.vn",
                                                                     "vp.anthi@hungyen.gov.vn"))]
    assert due_reminders(dataclasses.replace(campaign, secretary_email=""), progress, at(D(2024, 5, 7))) == []


def test_unknown_units_are_ignored(campaign):
    assert due_reminders(campaign, [UnitProgress("gone", "not_received")], at(D(2024, 5, 7))) == []


@pytest.mark.parametrize("kind_status", ["not_received", "incomplete", "scanned_only"])
def test_json_shape(campaign, kind_status):
    progress = [UnitProgress("bql-kcn", kind_status, missing=["IV"])]
    [reminder] = due_reminders(campaign, progress, at(D(2024, 5, 9)))
    entry = reminder.to_json()
    assert {"unit", "kind", "to", "cc", "subject", "slot"} <= set(entry)
    assert entry["slot"] == "2024-05-09" and entry["unit"] == "bql-kcn"


# ------------------------------------------------------------------ progress from documents


def _received(name, version, fmt="docx", scanned=False, present=(), rows=0, when=at(D(2024, 5, 6), 10)):
    extraction = Extraction(file=name, format=fmt, scanned=scanned, unit="ubnd-van-lam",
                            outline={"id": "huyen", "present": list(present), "missing": []} if present else None,
                            tables=[{"name": f"CCN {i}"} for i in range(rows)])
    return ReceivedDocument(name, version, fmt, when, "ubnd.vanlam@hungyen.gov.vn", extraction)


def test_progress_statuses(campaign):
    from intake_bot.progress import summarize
    from intake_bot.workdays import WorkCalendar

    calendar = WorkCalendar(campaign)
    keys = campaign.outline_of("ubnd-van-lam").keys()
    text_keys = [k for k in keys if k != "PL"]
    now = at(D(2024, 5, 14), 9)

    def status(docs):
        return summarize(campaign, calendar, "ubnd-van-lam", docs, now)

    nothing = status([])
    assert nothing.status == "not_received" and nothing.days_late == 2  # 13 and 14 May
    # The Word file and the appendix workbook beside it make one complete report.
    both = status([_received("BC.docx", 1, present=text_keys),
                   _received("PL.xlsx", 2, fmt="xlsx", rows=9, when=at(D(2024, 5, 8), 10))])
    assert both.status == "complete" and both.missing == [] and both.appendix_rows == 9
    assert both.version == 2 and both.days_late == 0 and both.received_at == at(D(2024, 5, 6), 10)
    assert both.last_received_at == at(D(2024, 5, 8), 10)
    # A workbook alone misses every text item.
    alone = status([_received("PL.xlsx", 1, fmt="xlsx", rows=3)])
    assert alone.status == "incomplete" and alone.missing == text_keys
    # A scan alone asks for the Word file; a Word file sent with the scan makes the scan moot.
    scan = _received("scan.pdf", 1, fmt="pdf", scanned=True)
    assert status([scan]).status == "scanned_only"
    docx = _received("BC.docx", 2, present=text_keys[:-1], rows=4)
    assert status([scan, docx]).status == "incomplete" and status([scan, docx]).missing == ["IV"]
    # A signed scan sent after the Word file does not hide it.
    later_scan = _received("ký.pdf", 3, fmt="pdf", scanned=True, when=at(D(2024, 5, 9), 10))
    assert status([docx, later_scan]).status == "incomplete"
    # Of a DOCX and its PDF copy sent together, the DOCX counts (its rows once, not twice).
    pdf_copy = _received("BC.pdf", 3, fmt="pdf", present=text_keys[:-1], rows=4)
    together = status([docx, pdf_copy])
    assert [d.filename for d in together.latest_files] == ["BC.docx"] and together.appendix_rows == 4
    # The latest report replaces the earlier one: items present before but not now are missing.
    fixed = _received("BC bổ sung.docx", 4, present=keys, rows=5, when=at(D(2024, 5, 13), 10))
    assert status([docx, fixed]).status == "complete"
    late = status([_received("BC.docx", 1, present=keys, rows=1, when=at(D(2024, 5, 14), 8))])
    assert late.status == "complete" and late.days_late == 2


def test_samples_cover_every_kind(campaign):
    from intake_bot.followup import REMINDER_KINDS, sample_reminders

    samples = sample_reminders(campaign)
    assert sorted(r.kind for r in samples) == sorted(REMINDER_KINDS)
    assert all(r.draft.subject and r.draft.text and r.draft.html for r in samples)


def test_a_broken_template_fails_the_samples(campaign, tmp_path):
    import shutil

    from jinja2 import UndefinedError

    from intake_bot.followup import sample_reminders

    broken = tmp_path / "templates"
    shutil.copytree(campaign.templates_dir, broken)
    text = (broken / "reminder.txt.j2").read_text(encoding="utf-8")
    (broken / "reminder.txt.j2").write_text(text.replace("{{ m.title }}", "{{ m.tittle }}"), encoding="utf-8")
    with pytest.raises(UndefinedError):
        sample_reminders(dataclasses.replace(campaign, templates_dir=broken))


def test_the_campaign_ends_a_week_after_the_last_overdue_reminder(campaign):
    assert schedule(campaign)[-1].day == D(2024, 5, 22)
    assert campaign_end(campaign) == D(2024, 5, 29)
    assert campaign_end(dataclasses.replace(campaign, end=D(2024, 6, 30))) == D(2024, 6, 30)


def test_no_reminder_after_the_end(campaign):
    progress = [UnitProgress(uid, NOT_RECEIVED) for uid in campaign.units]
    ending_early = dataclasses.replace(campaign, end=D(2024, 5, 21))
    assert due_reminders(campaign, progress, at(D(2024, 5, 22)))
    assert due_reminders(ending_early, progress, at(D(2024, 5, 22))) == []
