"""The members' dossier over a real SMTP server (aiosmtpd): one mail per member with the draft,
the workbook and the latest reports; split under the size cap; once per member per dossier,
across restarts; a later dossier says what changed; the DOSSIER command; the campaign file."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import unicodedata

import pytest

from intake_bot.cli import main
from intake_bot.config import ConfigError, Member, load_campaign
from intake_bot.dossier import build_dossier, queue_dossier, sample_dossier_mails
from intake_bot.outbox import Outbox, SmtpTransport
from intake_bot.progress import unit_progress
from intake_bot.store.db import Store

from .conftest import REPO
from .delegation_campaign import at, planted_campaign, report, row, sample_data  # noqa: F401
from .smtp_sink import smtp_sink  # noqa: F401  (the fixture)

NOW = at(14, 17)
MEMBERS = ("truongban.ktns@hungyen.gov.vn", "photruongban.ktns@hungyen.gov.vn", "uyvien.ktns@hungyen.gov.vn")


@pytest.fixture
def sample_copy(sample_data, tmp_path):  # noqa: F811
    """The sample campaign's data dir, copied: sending changes it."""
    return shutil.copytree(sample_data, tmp_path / "data")


def run(data, smtp, *args, now="2024-05-14T17:00+07:00") -> int:
    return main(["--data-dir", str(data), "--smtp", smtp, "--now", now, *args])


def test_each_member_gets_one_mail_once_across_restarts(sample_copy, smtp_sink, capsys, campaign):  # noqa: F811
    assert run(sample_copy, smtp_sink.url, "dossier", "--send", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["number"], sorted(result["sent_to"]), result["mails"]) == (1, sorted(MEMBERS), 3)
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == sorted(MEMBERS)
    mail = smtp_sink.received[0].message
    assert mail["Subject"] == "Tài liệu phục vụ Đoàn giám sát – bộ số 1 – Ban Kinh tế - Ngân sách"
    names = [part.get_filename() for part in mail.iter_attachments()]
    assert names[0].startswith("hung-yen-2024-du-thao-tong-hop-") and names[0].endswith(".docx")
    assert names[1].endswith(".xlsx")
    # The latest report of each unit that sent one, and the note names those that sent nothing.
    store = Store(sample_copy)
    try:
        progress = unit_progress(store, campaign, NOW)
    finally:
        store.close()
    assert {n.split(" - ")[0] for n in names[2:]} == {campaign.units[p.unit].short_name for p in progress
                                                       if p.latest_files}
    note = mail.get_body(("plain",)).get_content()
    assert unicodedata.is_normalized("NFC", note)
    assert note.startswith("Kính gửi: đồng chí ") and "(bộ tài liệu số 1, tổng hợp đến 17 giờ 00, ngày 14 tháng 5 năm 2024)" in note
    silent = [campaign.units[p.unit].short_name for p in progress if not p.latest_files]
    assert ("Các đơn vị chưa gửi báo cáo: " + ", ".join(silent) + ".") in note if silent else "chưa gửi báo cáo" not in note
    assert "Những thay đổi" not in note
    # Again, in a new process and later: the same dossier, sent to nobody.
    assert run(sample_copy, smtp_sink.url, "dossier", "--send", now="2024-05-15T09:00+07:00") == 0
    assert "queued 0 mail(s) for 0 member(s); 3 already had it" in capsys.readouterr().out
    assert len(smtp_sink.received) == 3


def test_attachments_split_under_the_cap(store, campaign, smtp_sink):  # noqa: F811
    room = planted_campaign(store, 1)["room"]
    big = "x" * 120_000   # each unit's report is a JSON blob of about this size
    for unit in ("ubnd-van-lam", "ubnd-yen-my", "ubnd-an-thi"):
        room.receive(at(13), f"ubnd@{unit}.vn", unit, [report(unit, f"BC {unit} mới.docx", [row("CCN", big[:10], 1.0)],
                                                              sections=[("I", "I. Khái quát", big)])])
    room.receive(at(13), "x@x.vn", "ubnd-my-hao", [report("ubnd-my-hao", "huge.docx", [], sections=[("I", "I", big * 4)])])
    cap_mb = 0.3
    small = dataclasses.replace(campaign, dossier_max_mb=cap_mb, delegation=campaign.delegation[:1])
    dossier = build_dossier(small, store, NOW)
    assert len(dossier.parts) >= 3
    assert [a.filename for a in dossier.too_large] == ["UBND thị xã Mỹ Hào - huge.docx"]
    result = queue_dossier(small, store, Outbox(store, small), NOW)
    assert Outbox(store, small).flush(SmtpTransport(smtp_sink.url), NOW)["sent"] == result.mails == len(dossier.parts)
    total = len(dossier.parts)
    for index, got in enumerate(smtp_sink.received, start=1):
        assert len(got.raw) <= cap_mb * 1024 * 1024
        assert got.message["Subject"].startswith(f"Tài liệu phục vụ Đoàn giám sát – bộ số 1 ({index}/{total})")
        note = got.message.get_body(("plain",)).get_content()
        assert f"đây là thư thứ {index}/{total}." in note and "huge.docx" in note
    sent = [p.get_filename() for got in smtp_sink.received for p in got.message.iter_attachments()]
    assert sent == [a.filename for part in dossier.parts for a in part]
    assert "UBND thị xã Mỹ Hào - huge.docx" not in sent


def test_a_later_dossier_says_what_changed_and_a_new_member_gets_the_current_one(store, campaign, smtp_sink):  # noqa: F811
    room = planted_campaign(store, 2)["room"]
    outbox, transport = Outbox(store, campaign), SmtpTransport(smtp_sink.url)
    assert queue_dossier(campaign, store, outbox, NOW).number == 1
    outbox.flush(transport, NOW)
    assert len(smtp_sink.received) == 3
    room.receive(at(15), "ubnd@ubnd-van-lam.vn", "ubnd-van-lam",
                            [report("ubnd-van-lam", "BC Văn Lâm bổ sung.docx", [row("CCN", "CCN Tân Quang", 9.0)])])
    later = at(15, 17)
    second = queue_dossier(campaign, store, outbox, later)
    outbox.flush(transport, later)
    assert (second.number, len(second.sent_to)) == (2, 3)
    note = smtp_sink.received[-1].message.get_body(("plain",)).get_content()
    assert "Những thay đổi so với bộ tài liệu số 1 (tổng hợp lúc 17 giờ 00, ngày 14 tháng 5 năm 2024):" in note
    assert "UBND huyện Văn Lâm đã gửi bản mới: BC Văn Lâm bổ sung.docx (phiên bản 2)." in note
    joined = dataclasses.replace(campaign, delegation=(*campaign.delegation, Member("Phạm Văn Nam", "Đại biểu mời",
                                                                                     "nam.pv@hungyen.gov.vn")))
    third = queue_dossier(joined, store, Outbox(store, joined), later)
    assert (third.number, third.sent_to, len(third.already_had)) == (2, ["nam.pv@hungyen.gov.vn"], 3)


def test_the_dossier_command(sample_copy, smtp_sink, capsys):  # noqa: F811
    assert run(sample_copy, smtp_sink.url, "command", "GỬI TÀI LIỆU ĐOÀN", "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert first["effect"] == "đã gửi bộ tài liệu số 1 tới 3 thành viên Đoàn (3 thư)"
    assert len(smtp_sink.received) == 3
    assert run(sample_copy, smtp_sink.url, "command", "dossier", "--json") == 1
    again = json.loads(capsys.readouterr().out)
    assert again["effect"].startswith("bộ tài liệu số 1 đã gửi tới tất cả thành viên Đoàn từ trước")
    assert len(smtp_sink.received) == 3


def test_without_send_nothing_goes(sample_copy, smtp_sink, capsys):  # noqa: F811
    assert run(sample_copy, smtp_sink.url, "dossier") == 0
    out = capsys.readouterr().out
    assert out.startswith("dossier 1 (") and "(1/1)" in out and "to Lê Văn Hùng <uyvien.ktns@hungyen.gov.vn>" in out
    assert smtp_sink.received == []


@pytest.mark.parametrize("member, problem", [
    ('name = "A"\nemail = "not-an-address"\n', "[[delegation]][3] (A): email:"),
    ('name = "A"\nrole = "x"\n', "[[delegation]][3]: a member needs a name and an email"),
    ('name = "A"\nemail = "a@hungyen.gov.vn"\nphone = "1"\n', "[[delegation]][3]: unknown key 'phone'"),
    ('name = "A"\nemail = "UYVIEN.KTNS@hungyen.gov.vn"\n', "uyvien.ktns@hungyen.gov.vn is listed twice"),
])
def test_bad_members_are_reported(tmp_path, member, problem):
    text = (REPO / "config" / "hung-yen-2024.toml").read_text(encoding="utf-8")
    text = re.sub(r'templates = "\.\./templates"', f'templates = "{REPO / "templates"}"', text)
    path = tmp_path / "c.toml"
    path.write_text(text.replace("# ---------------------------------------------------------------- outlines",
                                 f"[[delegation]]\n{member}\n", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_campaign(path)
    assert any(problem in p for p in err.value.problems), err.value.problems


def test_the_sample_cover_notes_fill_every_paragraph(campaign):
    first, second = sample_dossier_mails(campaign)
    assert first.subject.startswith("Tài liệu phục vụ Đoàn giám sát – bộ số 2 (1/2)")
    for text in ("đây là thư thứ 1/2.", "Các thư khác của bộ tài liệu gồm:", "lon.pdf",
                 "Các đơn vị chưa gửi báo cáo:", "Những thay đổi so với bộ tài liệu số 1"):
        assert text in first.text, text
    assert [a[0] for a in second.attachments] == ["so-lieu.xlsx"]


def test_a_scheduled_day_sends_it_once_at_the_digest_time(store, campaign, smtp_sink):  # noqa: F811
    from intake_bot.dossier import queue_scheduled_dossier

    room = planted_campaign(store, 6)["room"]
    scheduled = dataclasses.replace(campaign, dossier_send_on=(at(16).date(), at(20).date()))
    outbox = Outbox(store, scheduled)
    assert queue_scheduled_dossier(scheduled, store, outbox, at(15, 18)) is None      # no day due yet
    assert queue_scheduled_dossier(scheduled, store, outbox, at(16, 16)) is None      # before 17:00
    first = queue_scheduled_dossier(scheduled, store, outbox, at(16, 17))
    assert (first.number, len(first.sent_to)) == (1, 3)
    room.receive(at(17), "ubnd@ubnd-yen-my.vn", "ubnd-yen-my", [report("ubnd-yen-my", "BC mới.docx", [])])
    # The same scheduled day again (a restart), and the next days: nothing until the 20th.
    for moment in (at(16, 18), at(17, 17), at(18, 9)):
        assert queue_scheduled_dossier(scheduled, store, outbox, moment) is None
    second = queue_scheduled_dossier(scheduled, store, outbox, at(21, 8))    # the 20th was missed: now
    assert second.number == 2
    assert queue_scheduled_dossier(scheduled, store, outbox, at(21, 17)) is None
    assert outbox.flush(SmtpTransport(smtp_sink.url), at(21, 9))["sent"] == 6


def test_the_workers_digest_job_sends_a_scheduled_dossier(sample_copy, smtp_sink, tmp_path):  # noqa: F811
    from intake_bot.cli import build_parser
    from intake_bot.runtime import Runtime, worker_jobs

    text = (REPO / "config" / "hung-yen-2024.toml").read_text(encoding="utf-8")
    config = tmp_path / "campaign.toml"
    config.write_text(text.replace("send_on = []", "send_on = [2024-05-20]")
                      .replace('templates = "../templates"', f'templates = "{REPO / "templates"}"'), encoding="utf-8")
    args = build_parser().parse_args(["--config", str(config), "--data-dir", str(sample_copy),
                                      "--smtp", smtp_sink.url, "run"])
    jobs = worker_jobs(Runtime(args))
    assert jobs.digest()["dossier"] == 1          # the real clock is long past 20 May 2024
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == sorted(MEMBERS)
    assert jobs.digest()["dossier"] is None
    assert len(smtp_sink.received) == 3
