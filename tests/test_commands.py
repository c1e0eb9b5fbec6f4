"""The secretary's commands (../shared/spec/commands.md) on the command line and through
`commands.execute`: each command, its refusals and its undo, and what follows in `status` and
the reminders. The state is the demo's (the sample mail through a real pass), on SQLite; the
storage-heavy sequence runs on PostgreSQL too."""
from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from intake_bot.cli import main
from intake_bot.commands import Context, SourceRef, execute, help_text, parse_line
from intake_bot.config import load_campaign
from intake_bot.outbox import Outbox
from intake_bot.store import db as dbmodule
from intake_bot.store.db import Store

from .conftest import DEMO_EVENING, REPO, demo_first_step

EVENING = DEMO_EVENING
CONFIG = str(REPO / "config" / "hung-yen-2024.toml")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo's first step (SQLite), without the secretary's own commands that the demo then
    gives; tests work on copies of it."""
    data = tmp_path_factory.mktemp("demo") / "data"
    mp = pytest.MonkeyPatch()
    mp.delenv(dbmodule.DATABASE_URL_ENV, raising=False)
    try:
        demo_first_step(data)
    finally:
        mp.undo()
    return data


@pytest.fixture
def data(demo_template, tmp_path, monkeypatch):
    monkeypatch.delenv(dbmodule.DATABASE_URL_ENV, raising=False)
    copy = tmp_path / "data"
    shutil.copytree(demo_template, copy)
    return copy


def cli(capsys, data, *argv, now=EVENING):
    code = main(["--config", CONFIG, "--data-dir", str(data), "--now", now, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def command(capsys, data, line, now=EVENING):
    code, out, err = cli(capsys, data, "command", line, "--json", now=now)
    result = json.loads(out)
    assert (code == 0) == (result["result"] == "done"), (code, result, err)
    return result


def status(capsys, data, now=EVENING) -> dict:
    code, out, _ = cli(capsys, data, "status", "--json", now=now)
    assert code == 0
    return json.loads(out)


def unit(report: dict, unit_id: str) -> dict:
    return next(u for u in report["units"] if u["unit"] == unit_id)


def review(capsys, data) -> list[dict]:
    code, out, _ = cli(capsys, data, "review", "--json")
    assert code == 0
    return json.loads(out)


def reminders(capsys, data, now) -> dict[str, dict]:
    code, out, _ = cli(capsys, data, "remind", "--dry-run", "--json", now=now)
    assert code == 0
    return {r["unit"]: r for r in json.loads(out)}


# ------------------------------------------------------------------ reading a line


@pytest.fixture(scope="module")
def campaign():
    return load_campaign(CONFIG)


@pytest.mark.parametrize("line", [
    "GÁN #12 Văn Lâm", "gan #12 van lam", "ASSIGN #12 ubnd-van-lam", "  - 1.  Gán   # 12  UBND huyện Văn Lâm",
    "* gán 12 ubnd huyen van lam", "2) GAN #12 Van-Lam", "GÁN #12 Ủy ban nhân dân huyện Văn Lâm",
    "gan #12 UY BAN NHAN DAN HUYEN VAN LAM", "GÁN #12 UBND HUYỆN VĂN LÂM", "GÁN #12 cho Văn Lâm",
    "GÁN #12 cho đơn vị Văn Lâm", "assign #12 to van lam",
])
def test_one_command_many_spellings(campaign, line):
    parsed = parse_line(line, campaign)
    assert parsed is not None and parsed.error_vi is None
    assert (parsed.command.name, parsed.args) == ("assign", {"ref": 12, "unit": "ubnd-van-lam"})


@pytest.mark.parametrize("line", ["Gần đây đơn vị đã gửi báo cáo", "Kính gửi đồng chí", "> GÁN #1 Văn Lâm",
                                  "Miền Bắc", "Đông", ""])
def test_prose_is_not_a_command(campaign, line):
    assert parse_line(line, campaign) is None


def test_two_units_are_refused_never_guessed(campaign):
    parsed = parse_line("GÁN #3 Văn Lâm Mỹ Hào", campaign)
    assert parsed.command.name == "assign" and "nhiều đơn vị" in parsed.error_vi and parsed.suggestion_vi is None


def test_an_unknown_unit_gets_the_closest_valid_form(campaign):
    parsed = parse_line("GIA HAN Vam Lâm 20/5", campaign)
    assert "không tìm thấy đơn vị" in parsed.error_vi
    assert parsed.suggestion_vi == "GIA HẠN Văn Lâm 20/5"


@pytest.mark.parametrize("written, day", [("20/5/2024", "2024-05-20"), ("20/5", "2024-05-20"),
                                          ("2024-05-20", "2024-05-20"), ("3/6", "2024-06-03"),
                                          ("đến 20/5", "2024-05-20"), ("đến ngày 20/5/2024", "2024-05-20"),
                                          ("den ngay 20/5", "2024-05-20"), ("until 2024-05-20", "2024-05-20")])
def test_dates(campaign, written, day):
    assert parse_line(f"GIA HẠN Kim Động {written}", campaign).args["date"] == day
    assert parse_line(f"YÊU CẦU BỔ SUNG cho Kim Động {written}: số liệu", campaign).args["date"] == day


def test_a_bad_date_is_refused(campaign):
    assert "ngày không hợp lệ" in parse_line("GIA HẠN Kim Động 31/2/2024", campaign).error_vi


def test_help_lists_every_command_with_an_example(campaign):
    text = help_text(campaign)
    for word in ("GÁN #12 Văn Lâm", "BỎ QUA", "NỘP THAY", "ĐÃ NHẬN BẢN GIẤY", "MIỄN", "HỦY MIỄN", "GIA HẠN",
                 "TẠM DỪNG NHẮC", "TIẾP TỤC NHẮC", "KHÔNG ÁP DỤNG", "ÁP DỤNG", "THÊM ĐỊA CHỈ", "HOÀN TÁC", "TRỢ GIÚP"):
        assert word in text


# ------------------------------------------------------------------ the review queue


def test_assign_makes_the_unmatched_report_the_units_next_version(capsys, data):
    queue = review(capsys, data)
    unmatched = next(item for item in queue if item["category"] == "unmatched")
    before = unit(status(capsys, data), "ubnd-van-lam")
    result = command(capsys, data, f"GÁN #{unmatched['ref']} Văn Lâm")
    assert result["ref"] and result["undo"] == f"HOÀN TÁC #{result['ref']}"
    after = status(capsys, data)
    assert unmatched["ref"] not in {item["ref"] for item in after["review"]}
    assert unit(after, "ubnd-van-lam")["version"] == before["version"] + 1
    # The original sender gets the usual acknowledgement, in the outbox under its own key.
    store = Store(data)
    try:
        acks = [row for row in store.outgoing_in_states("sent", "queued") if ":assign:" in row.key]
    finally:
        store.close()
    assert [row.to for row in acks] == [[unmatched["from"]]]
    assert after["commands"][-1] == {"ref": result["ref"], "from": "ktns.hdndhy@gmail.com",
                                     "line": f"GÁN #{unmatched['ref']} Văn Lâm", "result": "done",
                                     "at": "2024-05-14T17:00:00+07:00"}
    # Assigning it again is refused; undoing puts it back in the queue.
    again = command(capsys, data, f"GÁN #{unmatched['ref']} Yên Mỹ")
    assert again["result"] == "refused" and "đã được gán" in again["effect"]
    undone = command(capsys, data, f"HOÀN TÁC #{result['ref']}")
    assert undone["result"] == "done"
    restored = status(capsys, data)
    assert unmatched["ref"] in {item["ref"] for item in restored["review"]}
    assert unit(restored, "ubnd-van-lam")["version"] == before["version"]


def test_assign_refusals_change_nothing(capsys, data):
    before = status(capsys, data)
    unknown = command(capsys, data, "GÁN #999 Văn Lâm")
    assert unknown["result"] == "refused" and "#999" in unknown["effect"]
    # A command's own number is not a review item.
    not_an_item = command(capsys, data, f"GÁN #{unknown['ref']} Văn Lâm")
    assert "một lệnh" in not_an_item["effect"]
    no_attachment = next(item for item in before["review"] if item["category"] == "no_attachment")
    nothing = command(capsys, data, f"GÁN #{no_attachment['ref']} Mỹ Hào")
    assert nothing["result"] == "refused" and "không có tệp" in nothing["effect"]
    after = status(capsys, data)
    assert after["units"] == before["units"] and after["review"] == before["review"]
    assert [c["result"] for c in after["commands"]] == ["refused"] * 3


def test_dismiss_with_a_reason_and_undo(capsys, data):
    item = review(capsys, data)[0]
    result = command(capsys, data, f"BỎ QUA #{item['ref']} đơn vị sẽ gửi lại")
    assert "đơn vị sẽ gửi lại" in result["effect"]
    assert item["ref"] not in {i["ref"] for i in review(capsys, data)}
    command(capsys, data, "HOÀN TÁC")
    assert item["ref"] in {i["ref"] for i in review(capsys, data)}


def test_refs_are_stable_and_shown(capsys, data):
    first = review(capsys, data)
    code, text, _ = cli(capsys, data, "review")
    assert code == 0 and all(f"#{item['ref']}" in text for item in first)
    command(capsys, data, f"BỎ QUA #{first[0]['ref']}")
    assert [i["ref"] for i in review(capsys, data)] == [i["ref"] for i in first[1:]]


# ------------------------------------------------------------------ units


def test_paper_copy_ends_reminders_and_undo_brings_them_back(capsys, data):
    slot_morning = "2024-05-16T08:30:00+07:00"  # the second overdue slot
    assert "ubnd-my-hao" in reminders(capsys, data, slot_morning)
    result = command(capsys, data, "ĐÃ NHẬN BẢN GIẤY Mỹ Hào")
    assert unit(status(capsys, data), "ubnd-my-hao")["status"] == "received_offline"
    assert "ubnd-my-hao" not in reminders(capsys, data, slot_morning)
    again = command(capsys, data, "paper my hao")
    assert again["result"] == "refused"
    command(capsys, data, f"UNDO #{result['ref']}")
    assert unit(status(capsys, data), "ubnd-my-hao")["status"] == "not_received"
    assert "ubnd-my-hao" in reminders(capsys, data, slot_morning)


def test_exempt_and_unexempt(capsys, data):
    command(capsys, data, "MIỄN ubnd-my-hao")
    report = status(capsys, data)
    assert unit(report, "ubnd-my-hao")["status"] == "exempt" and unit(report, "ubnd-my-hao")["days_late"] == 0
    assert "ubnd-my-hao" not in reminders(capsys, data, "2024-05-16T08:30:00+07:00")
    refused = command(capsys, data, "MIEN My Hao")
    assert refused["result"] == "refused" and "đã được miễn" in refused["effect"]
    command(capsys, data, "HỦY MIỄN Mỹ Hào")
    assert unit(status(capsys, data), "ubnd-my-hao")["status"] == "not_received"
    assert command(capsys, data, "UNEXEMPT Mỹ Hào")["result"] == "refused"


def test_extend_plans_the_units_reminders_from_its_own_deadline(capsys, data):
    assert unit(status(capsys, data), "ubnd-my-hao")["deadline"] == "2024-05-10"
    result = command(capsys, data, "GIA HẠN Mỹ Hào 22/5")
    assert "ngày 22 tháng 5 năm 2024" in result["effect"]
    report = status(capsys, data)
    assert unit(report, "ubnd-my-hao")["deadline"] == "2024-05-22"
    assert unit(report, "ubnd-my-hao")["days_late"] == 0
    # No overdue reminder on the 16th; the one-working-day-before reminder on the 21st.
    assert "ubnd-my-hao" not in reminders(capsys, data, "2024-05-16T08:30:00+07:00")
    before = reminders(capsys, data, "2024-05-21T08:30:00+07:00")["ubnd-my-hao"]
    assert before["kind"] == "reminder_before"
    past = command(capsys, data, "GIA HẠN Mỹ Hào 13/5/2024")
    assert past["result"] == "refused" and "đã qua" in past["effect"]
    assert unit(status(capsys, data), "ubnd-my-hao")["deadline"] == "2024-05-22"


def test_pause_and_resume_for_a_unit_and_for_all(capsys, data):
    morning = "2024-05-16T08:30:00+07:00"
    command(capsys, data, "TẠM DỪNG NHẮC Mỹ Hào")
    assert unit(status(capsys, data), "ubnd-my-hao")["reminders_paused"] is True
    assert "ubnd-my-hao" not in reminders(capsys, data, morning)
    assert command(capsys, data, "TIẾP TỤC NHẮC Mỹ Hào")["result"] == "done"
    assert "ubnd-my-hao" in reminders(capsys, data, morning)
    command(capsys, data, "PAUSE")
    report = status(capsys, data)
    assert all(u["reminders_paused"] for u in report["units"])
    assert reminders(capsys, data, morning) == {}
    assert command(capsys, data, "TẠM DỪNG NHẮC")["result"] == "refused"
    command(capsys, data, "RESUME")
    assert "ubnd-my-hao" in reminders(capsys, data, morning)


def test_not_applicable_item_is_no_longer_missing(capsys, data):
    van_lam = unit(status(capsys, data), "ubnd-van-lam")
    assert van_lam["status"] == "incomplete" and van_lam["missing"] == ["II.3"]
    morning = "2024-05-16T08:30:00+07:00"
    assert reminders(capsys, data, morning)["ubnd-van-lam"]["kind"] == "reminder_missing"
    result = command(capsys, data, "KHÔNG ÁP DỤNG Văn Lâm II.3")
    after = unit(status(capsys, data), "ubnd-van-lam")
    assert after["missing"] == [] and after["status"] == "complete"
    assert "ubnd-van-lam" not in reminders(capsys, data, morning)
    assert command(capsys, data, "not applicable van lam ii.3")["result"] == "refused"
    command(capsys, data, f"HOÀN TÁC #{result['ref']}")
    assert unit(status(capsys, data), "ubnd-van-lam")["missing"] == ["II.3"]


def test_an_item_by_its_title_words(capsys, data):
    result = command(capsys, data, "KHÔNG ÁP DỤNG Kim Động đề xuất, kiến nghị")
    assert result["result"] == "done" and "mục IV" in result["effect"]
    assert command(capsys, data, "ÁP DỤNG Kim Động IV")["result"] == "done"
    assert command(capsys, data, "ÁP DỤNG Kim Động IV")["result"] == "refused"


def test_address_is_kept_shown_and_used_for_reminders(capsys, data):
    result = command(capsys, data, "THÊM ĐỊA CHỈ Mỹ Hào vanthu.myhao@gmail.com")
    assert result["result"] == "done"
    assert "vanthu.myhao@gmail.com" in unit(status(capsys, data), "ubnd-my-hao")["addresses"]
    assert "vanthu.myhao@gmail.com" in reminders(capsys, data, "2024-05-16T08:30:00+07:00")["ubnd-my-hao"]["to"]
    taken = command(capsys, data, "THÊM ĐỊA CHỈ Văn Lâm vanthu.myhao@gmail.com")
    assert taken["result"] == "refused" and "Mỹ Hào" in taken["effect"]
    assert command(capsys, data, "THÊM ĐỊA CHỈ Văn Lâm không-phải-địa-chỉ")["result"] == "refused"


# ------------------------------------------------------------------ undo, help, not a command


def test_undo_defaults_to_the_senders_last_and_never_twice(capsys, data):
    first = command(capsys, data, "MIỄN Mỹ Hào")
    second = command(capsys, data, "TẠM DỪNG NHẮC Văn Lâm")
    undo = command(capsys, data, "HOÀN TÁC")
    assert f"#{second['ref']}" in undo["effect"]
    assert unit(status(capsys, data), "ubnd-van-lam")["reminders_paused"] is False
    assert unit(status(capsys, data), "ubnd-my-hao")["status"] == "exempt"
    twice = command(capsys, data, f"HOÀN TÁC #{second['ref']}")
    assert twice["result"] == "refused" and "đã được hoàn tác" in twice["effect"]
    assert command(capsys, data, "HOÀN TÁC #4242")["result"] == "refused"
    command(capsys, data, "HOÀN TÁC")
    assert unit(status(capsys, data), "ubnd-my-hao")["status"] == "not_received"
    assert f"#{first['ref']}" in status(capsys, data)["commands"][-1]["line"] or True


def test_help_and_not_a_command(capsys, data):
    result = command(capsys, data, "TRỢ GIÚP")
    assert "GÁN #12 Văn Lâm" in result["effect"]
    code, out, _ = cli(capsys, data, "command", "xin chào", "--json")
    assert code == 1 and json.loads(out)["result"] == "not_a_command"


# ------------------------------------------------------------------ once per mail


def test_the_same_mail_acts_once(data):
    campaign = load_campaign(CONFIG)
    store = Store(data)
    try:
        ctx = Context(campaign, store, Outbox(store, campaign), dt.datetime.fromisoformat(EVENING))
        source = SourceRef(message_row_id=None, message_id="<cmd-1@gmail.com>")
        lines = ["Kính gửi Ban,", "MIỄN Mỹ Hào", "> GÁN #1 Văn Lâm", "GIA HẠN Kim Động 25/5"]
        first = execute(ctx, lines, "KTNS.HDNDHY@gmail.com", ctx.now, source)
        assert [r.ok for r in first] == [True, True] and not any(r.repeated for r in first)
        again = execute(ctx, lines, "ktns.hdndhy@gmail.com", ctx.now, source)
        assert [(r.ref, r.ok, r.repeated) for r in again] == [(r.ref, True, True) for r in first]
        from intake_bot.store import secretary
        assert len(secretary.commands(store)) == 2
        assert execute(ctx, ["Cảm ơn đồng chí"], "ktns.hdndhy@gmail.com", ctx.now) == []
        # A mail that may not command: listed as refused, nothing applied, once.
        from intake_bot.commands import record_refused
        forged = SourceRef(message_row_id=None, message_id="<forged@gmail.com>")
        for _ in range(2):
            refused = record_refused(ctx, ["GIA HẠN Văn Lâm 30/5"], "ktns.hdndhy@gmail.com", ctx.now, forged,
                                     "DMARC failed", "thư giả mạo địa chỉ của thư ký (DMARC không đạt)")
            assert [(r.ok, r.effect_vi) for r in refused] == [(False, "thư giả mạo địa chỉ của thư ký (DMARC không đạt)")]
        assert [row.result for row in secretary.commands(store)] == ["done", "done", "refused"]
        assert secretary.overrides(store).deadline == {"ubnd-kim-dong": dt.date(2024, 5, 25)}
    finally:
        store.close()


# ------------------------------------------------------------------ PostgreSQL


@pytest.mark.postgres
def test_the_commands_on_postgresql(capsys, tmp_path, monkeypatch):
    from .test_store import _postgres_schema_url

    url, drop = _postgres_schema_url()
    monkeypatch.setenv(dbmodule.DATABASE_URL_ENV, url)
    try:
        data = tmp_path / "pg"
        demo_first_step(data)
        capsys.readouterr()
        unmatched = next(item for item in review(capsys, data) if item["category"] == "unmatched")
        assigned = command(capsys, data, f"GÁN #{unmatched['ref']} Văn Lâm")
        for line in ("ĐÃ NHẬN BẢN GIẤY Mỹ Hào", "GIA HẠN Kim Động 24/5", "KHÔNG ÁP DỤNG Văn Lâm II.3",
                     "THÊM ĐỊA CHỈ Yên Mỹ vanthu.yenmy@gmail.com", "TẠM DỪNG NHẮC Ân Thi"):
            assert command(capsys, data, line)["result"] == "done", line
        assert command(capsys, data, "MIỄN Văn Lâm Mỹ Hào")["result"] == "refused"
        report = status(capsys, data)
        assert unit(report, "ubnd-my-hao")["status"] == "received_offline"
        assert unit(report, "ubnd-kim-dong")["deadline"] == "2024-05-24"
        assert unit(report, "ubnd-van-lam")["missing"] == []
        assert "vanthu.yenmy@gmail.com" in unit(report, "ubnd-yen-my")["addresses"]
        assert unit(report, "ubnd-an-thi")["reminders_paused"] is True
        assert unmatched["ref"] not in {item["ref"] for item in report["review"]}
        assert [c["result"] for c in report["commands"]] == ["done"] * 6 + ["refused"]
        assert command(capsys, data, f"HOÀN TÁC #{assigned['ref']}")["result"] == "done"
        assert unmatched["ref"] in {item["ref"] for item in review(capsys, data)}
    finally:
        drop()


# ------------------------------------------------------------------ mail the commands send


def outgoing(data, prefix: str):
    store = Store(data)
    try:
        return [row for row in store.outgoing_in_states("queued", "sent", "failed", "unknown", "closed")
                if row.key.startswith(prefix)]
    finally:
        store.close()


def test_an_additional_request_is_mailed_tracked_reminded_and_answered(capsys, data):
    result = command(capsys, data, "YÊU CẦU BỔ SUNG Văn Lâm 24/5: Số liệu diện tích đất đã cho thuê tại các CCN")
    assert result["result"] == "done" and "hạn ngày 24 tháng 5 năm 2024" in result["effect"]
    requests = unit(status(capsys, data), "ubnd-van-lam")["requests"]
    assert requests == [{"ref": requests[0]["ref"], "text": "Số liệu diện tích đất đã cho thuê tại các CCN",
                         "deadline": "2024-05-24", "status": "open"}]
    ref = requests[0]["ref"]
    [mail] = outgoing(data, f"request:{ref}")
    assert mail.state == "sent" and mail.to == ["ubnd.vanlam@hungyen.gov.vn", "vanphong@vanlam.hungyen.gov.vn"]
    assert f"yêu cầu số {ref}" in mail.subject and "Số liệu diện tích đất" in mail.text
    # Reminded from its own deadline: one working day before it, then on it.
    code, out, _ = cli(capsys, data, "remind", "--dry-run", "--json", now="2024-05-23T08:30:00+07:00")
    [reminder] = [r for r in json.loads(out) if r["kind"] == "reminder_request"]
    assert (reminder["unit"], reminder["request"]) == ("ubnd-van-lam", ref)
    assert reminder["key"] == f"remind:ubnd-van-lam:request-{ref}:2024-05-23"
    # The unit's reply to the request mail answers it; no more reminders.
    campaign = load_campaign(CONFIG)
    store = Store(data)
    try:
        ctx = Context(campaign, store, Outbox(store, campaign), dt.datetime.fromisoformat("2024-05-20T09:00:00+07:00"))
        from intake_bot.commands import answer_requests
        assert answer_requests(ctx, "ubnd-my-hao", 1, [mail.message_id], "") == []  # another unit's mail
        assert answer_requests(ctx, "ubnd-van-lam", 1, ["<other@x>"], "Báo cáo bổ sung") == []
        assert answer_requests(ctx, "ubnd-van-lam", 1, ["<other@x>", mail.message_id], "") == [ref]
    finally:
        store.close()
    assert unit(status(capsys, data), "ubnd-van-lam")["requests"][0]["status"] == "answered"
    code, out, _ = cli(capsys, data, "remind", "--dry-run", "--json", now="2024-05-23T08:30:00+07:00")
    assert not [r for r in json.loads(out) if r["kind"] == "reminder_request"]


def test_a_request_named_by_its_number_is_answered_and_undo_withdraws(capsys, data):
    first = command(capsys, data, "REQUEST Kim Dong 2024-05-24: danh sách dự án")
    second = command(capsys, data, "YÊU CẦU BỔ SUNG Kim Động 27/5: số lao động")
    refs = [r["ref"] for r in unit(status(capsys, data), "ubnd-kim-dong")["requests"]]
    campaign = load_campaign(CONFIG)
    store = Store(data)
    try:
        ctx = Context(campaign, store, Outbox(store, campaign), dt.datetime.fromisoformat("2024-05-20T09:00:00+07:00"))
        from intake_bot.commands import answer_requests
        assert answer_requests(ctx, "ubnd-kim-dong", 1, [], f"Trả lời yêu cầu số #{refs[1]}") == [refs[1]]
    finally:
        store.close()
    command(capsys, data, f"HOÀN TÁC #{first['ref']}")
    requests = unit(status(capsys, data), "ubnd-kim-dong")["requests"]
    assert [(r["ref"], r["status"]) for r in requests] == [(refs[1], "answered")]
    assert command(capsys, data, f"HOÀN TÁC #{second['ref']}")["result"] == "refused"  # answered already
    past = command(capsys, data, "YÊU CẦU BỔ SUNG Kim Động 13/5: số lao động")
    no_text = command(capsys, data, "YÊU CẦU BỔ SUNG Kim Động 27/5")
    assert past["result"] == no_text["result"] == "refused" and "đã qua" in past["effect"]


def _undelivered(data, key: str, state: str) -> None:
    campaign = load_campaign(CONFIG)
    store = Store(data)
    try:
        from intake_bot.draft import Draft
        now = dt.datetime.fromisoformat(EVENING)
        Outbox(store, campaign).queue(key, Draft(kind="reminder_overdue", to=["sai.dia.chi@hungyen.gov.vn"],
                                                 subject="Đôn đốc", text="Kính gửi"), now)
        store.set_outgoing_state(store.outgoing(key).id, state, error="550 no such user")
    finally:
        store.close()


def test_resend_and_close_undelivered_mail(capsys, data):
    _undelivered(data, "remind:ubnd-my-hao:2024-05-01", "failed")
    _undelivered(data, "remind:ubnd-my-hao:2024-05-02", "unknown")
    failed = {item["key"]: item["ref"] for item in status(capsys, data)["outbox_failed"]}
    assert all(failed.values()) and len(failed) == 2
    resent = command(capsys, data, f"GỬI LẠI #{failed['remind:ubnd-my-hao:2024-05-01']}")
    assert resent["result"] == "done" and resent["undo"] is None
    copies = outgoing(data, "remind:ubnd-my-hao:2024-05-01#resend")
    assert [(row.state, row.to) for row in copies] == [("sent", ["sai.dia.chi@hungyen.gov.vn"])]
    closed = command(capsys, data, f"ĐÓNG #{failed['remind:ubnd-my-hao:2024-05-02']}")
    report = status(capsys, data)
    assert report["outbox_failed"] == [] and report["outbox"]["closed"] == 2
    assert command(capsys, data, f"CLOSE #{failed['remind:ubnd-my-hao:2024-05-02']}")["result"] == "refused"
    assert command(capsys, data, f"GỬI LẠI #{review(capsys, data)[0]['ref']}")["result"] == "refused"
    command(capsys, data, f"HOÀN TÁC #{closed['ref']}")
    assert [item["state"] for item in status(capsys, data)["outbox_failed"]] == ["unknown"]


def test_remind_now_once_a_minute(capsys, data):
    before = unit(status(capsys, data), "ubnd-my-hao")["reminders_sent"]
    result = command(capsys, data, "NHẮC NGAY Mỹ Hào")
    assert result["result"] == "done" and "ubnd.myhao@hungyen.gov.vn" in result["effect"]
    [mail] = outgoing(data, "remind:ubnd-my-hao:now:")
    assert mail.state == "sent" and mail.kind == "reminder_overdue"
    assert unit(status(capsys, data), "ubnd-my-hao")["reminders_sent"] == before + 1
    assert command(capsys, data, "REMIND my hao")["result"] == "refused"
    assert command(capsys, data, "NHẮC NGAY Mỹ Hào", now="2024-05-14T17:01:00+07:00")["result"] == "done"
    complete = command(capsys, data, "NHẮC NGAY Sở Công Thương")
    assert complete["result"] == "refused" and "đã gửi đủ" in complete["effect"]


def test_digest_now_goes_to_the_sender(capsys, data):
    assert command(capsys, data, "GỬI TỔNG HỢP")["result"] == "done"
    [mail] = outgoing(data, "digest-now:")
    assert mail.to == ["ktns.hdndhy@gmail.com"] and mail.state == "sent" and mail.attachments
    assert command(capsys, data, "DIGEST")["result"] == "refused"


def test_the_workbook_status_sheet_follows(capsys, data):
    import io

    from openpyxl import load_workbook

    from intake_bot.digest import build_digest

    command(capsys, data, "ĐÃ NHẬN BẢN GIẤY Mỹ Hào")
    command(capsys, data, "GIA HẠN Kim Động 24/5")
    store = Store(data)
    try:
        book = load_workbook(io.BytesIO(build_digest(load_campaign(CONFIG), store,
                                                     dt.datetime.fromisoformat(EVENING)).workbook_bytes))
    finally:
        store.close()
    rows = {row[0]: row for row in book["Tình hình"].iter_rows(min_row=2, values_only=True)}
    assert rows["UBND thị xã Mỹ Hào"][1] == "Đã nhận bản giấy"
    assert rows["UBND huyện Kim Động"][9] == dt.datetime(2024, 5, 24)


def test_the_request_templates_render_for_check(campaign):
    from intake_bot.additional import sample_request

    mail, reminder = sample_request(campaign)
    assert "yêu cầu số 12" in mail.subject and "Nhắc thực hiện" in reminder.subject
    assert "quá hạn" in reminder.text and "Kính gửi" in mail.text


# ------------------------------------------------------------------ the next pass follows


def test_the_next_pass_matches_an_added_address_and_acknowledges_without_excused_items(capsys, data):
    import mailbox
    import re

    command(capsys, data, "THÊM ĐỊA CHỈ Văn Lâm vanthu.vanlam@gmail.com")
    command(capsys, data, "KHÔNG ÁP DỤNG Văn Lâm II.3")
    raw = (REPO / "samples" / "e03.eml").read_bytes()  # Văn Lâm's report, without item II.3
    raw = re.sub(rb"Message-ID: <[^>]+>", b"Message-ID: <again-e03@gmail.com>", raw, count=1)
    raw = raw.replace(b"<vanphong@vanlam.hungyen.gov.vn>", b"<vanthu.vanlam@gmail.com>")
    mailbox.Maildir(data / "Maildir").add(raw)
    code, out, err = cli(capsys, data, "poll", "--once", "--json", now="2024-05-15T09:00:00+07:00")
    assert code == 0 and json.loads(out)["new"] == 1, err
    store = Store(data)
    try:
        [message] = [m for m in store.messages() if m.message_id == "<again-e03@gmail.com>"]
        [ack] = [row for row in store.outgoing_in_states("sent") if row.message_row_id == message.id]
    finally:
        store.close()
    assert message.unit == "ubnd-van-lam"
    assert "sender address vanthu.vanlam@gmail.com registered for ubnd-van-lam" in message.reasons
    assert ack.kind == "acknowledge" and ack.to == ["vanthu.vanlam@gmail.com"]
    assert "Văn bản của Thủ tướng Chính phủ" not in ack.text  # item II.3's title


def test_undo_never_overwrites_a_later_command(capsys, data):
    exempt = command(capsys, data, "MIỄN Mỹ Hào")
    command(capsys, data, "HỦY MIỄN Mỹ Hào")
    command(capsys, data, "ĐÃ NHẬN BẢN GIẤY Mỹ Hào")
    refused = command(capsys, data, f"HOÀN TÁC #{exempt['ref']}")
    assert refused["result"] == "refused" and "lệnh sau" in refused["effect"]
    assert unit(status(capsys, data), "ubnd-my-hao")["status"] == "received_offline"
    first = command(capsys, data, "THÊM ĐỊA CHỈ Mỹ Hào a.myhao@gmail.com")
    command(capsys, data, "THÊM ĐỊA CHỈ Mỹ Hào b.myhao@gmail.com")
    na = command(capsys, data, "KHÔNG ÁP DỤNG Văn Lâm II.3")
    command(capsys, data, "KHÔNG ÁP DỤNG Văn Lâm IV")
    command(capsys, data, f"HOÀN TÁC #{first['ref']}")
    command(capsys, data, f"HOÀN TÁC #{na['ref']}")
    report = status(capsys, data)
    addresses = unit(report, "ubnd-my-hao")["addresses"]
    assert "b.myhao@gmail.com" in addresses and "a.myhao@gmail.com" not in addresses
    assert unit(report, "ubnd-van-lam")["missing"] == ["II.3"]


def test_a_fault_in_a_command_changes_nothing_and_is_said(capsys, data, monkeypatch):
    from intake_bot.commands import base

    def broken(self, inv):
        from intake_bot.store import secretary
        secretary.set_override(inv.session, "ubnd-my-hao", secretary.STATUS, "exempt", inv.at)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(base.registry()["exempt"].__class__, "apply", broken)
    result = command(capsys, data, "MIỄN Mỹ Hào")
    assert result["result"] == "refused" and "lỗi" in result["effect"]
    assert unit(status(capsys, data), "ubnd-my-hao")["status"] == "not_received"


@pytest.mark.postgres
def test_requests_undelivered_mail_and_once_per_mail_on_postgresql(capsys, tmp_path, monkeypatch):
    from intake_bot.commands import answer_requests, record_refused
    from intake_bot.store import secretary

    from .test_store import _postgres_schema_url

    url, drop = _postgres_schema_url()
    monkeypatch.setenv(dbmodule.DATABASE_URL_ENV, url)
    try:
        data = tmp_path / "pg"
        demo_first_step(data)
        capsys.readouterr()
        assert command(capsys, data, "YÊU CẦU BỔ SUNG Ân Thi 24/5: danh sách dự án")["result"] == "done"
        assert command(capsys, data, "NHẮC NGAY Mỹ Hào")["result"] == "done"
        assert command(capsys, data, "NHẮC NGAY Mỹ Hào")["result"] == "refused"
        _undelivered(data, "remind:ubnd-my-hao:2024-05-01", "failed")
        [failed] = status(capsys, data)["outbox_failed"]
        assert command(capsys, data, f"ĐÓNG #{failed['ref']}")["result"] == "done"
        campaign = load_campaign(CONFIG)
        store = Store(data)
        try:
            ctx = Context(campaign, store, Outbox(store, campaign), dt.datetime.fromisoformat(EVENING))
            [request] = secretary.open_requests(store)
            ref = secretary.refs_of(store, "request")[request.id]
            assert answer_requests(ctx, "ubnd-an-thi", 1, [], f"V/v trả lời yêu cầu #{ref}") == [ref]
            source = SourceRef(message_row_id=1, message_id="<cmd@x>")
            lines = ["MIỄN Kim Động", "TRỢ GIÚP"]
            first = execute(ctx, lines, "ktns.hdndhy@gmail.com", ctx.now, source)
            again = execute(ctx, lines, "ktns.hdndhy@gmail.com", ctx.now, source)
            assert [r.ref for r in again] == [r.ref for r in first] and all(r.repeated for r in again)
            stranger = record_refused(ctx, ["MIỄN Văn Lâm"], "ke.gia.mao@gmail.com", ctx.now,
                                      SourceRef(message_row_id=2, message_id="<forged@x>"),
                                      "not a commander", "người gửi không có quyền ra lệnh")
            assert [r.ok for r in stranger] == [False]
        finally:
            store.close()
        report = status(capsys, data)
        assert unit(report, "ubnd-an-thi")["requests"][0]["status"] == "answered"
        assert report["outbox_failed"] == [] and unit(report, "ubnd-kim-dong")["status"] == "exempt"
        assert unit(report, "ubnd-van-lam")["status"] != "exempt"
        assert report["commands"][-1]["from"] == "ke.gia.mao@gmail.com"
        assert report["commands"][-1]["result"] == "refused"
    finally:
        drop()


def test_the_units_reply_to_a_request_answers_it_in_the_next_pass(capsys, data):
    import mailbox
    import re

    command(capsys, data, "YÊU CẦU BỔ SUNG Văn Lâm 24/5: danh sách dự án")
    [request] = unit(status(capsys, data), "ubnd-van-lam")["requests"]
    [mail] = outgoing(data, f"request:{request['ref']}")
    raw = (REPO / "samples" / "e03.eml").read_bytes()
    raw = re.sub(rb"Message-ID: <[^>]+>", b"Message-ID: <answer@vanlam.hungyen.gov.vn>\r\nIn-Reply-To: "
                 + mail.message_id.encode(), raw, count=1)
    mailbox.Maildir(data / "Maildir").add(raw)
    assert cli(capsys, data, "poll", "--once", now="2024-05-20T09:00:00+07:00")[0] == 0
    assert unit(status(capsys, data), "ubnd-van-lam")["requests"][0]["status"] == "answered"


def _record_command_mail(store, raw: bytes, message_id: str) -> int:
    from intake_bot.store.db import NewMessage

    now = dt.datetime.fromisoformat(EVENING)
    return store.record(NewMessage(source_key=f"cmd:{message_id}", raw_sha256=store.archive.put(raw),
                                   message_id=message_id, sender="ktns.hdndhy@gmail.com", subject="NỘP THAY",
                                   received_at=now, category="other", action="ignore"), [], [], [], now)


@pytest.mark.parametrize("tell_the_unit", [False, True])
def test_on_behalf_takes_the_forwarded_report_of_a_command_mail(capsys, data, tell_the_unit):
    from .mime_builder import forwarded, simple

    raw = simple(sender="ktns.hdndhy@gmail.com", subject="Fwd: báo cáo",
                 text="NỘP THAY Mỹ Hào" + ("\nBÁO ĐƠN VỊ" if tell_the_unit else ""),
                 files=[forwarded((REPO / "samples" / "e03.eml").read_bytes())])
    campaign = load_campaign(CONFIG)
    store = Store(data)
    try:
        row_id = _record_command_mail(store, raw, "<fwd@gmail.com>")
        ctx = Context(campaign, store, Outbox(store, campaign), dt.datetime.fromisoformat(EVENING))
        lines = ["NỘP THAY Mỹ Hào"] + (["BÁO ĐƠN VỊ"] if tell_the_unit else [])
        results = execute(ctx, lines, "ktns.hdndhy@gmail.com", ctx.now, SourceRef(row_id, "<fwd@gmail.com>"))
        assert all(r.ok for r in results), [r.effect_vi for r in results]
        acks = [row for row in store.outgoing_in_states("queued") if row.key.startswith("ack-on-behalf:")]
    finally:
        store.close()
    my_hao = unit(status(capsys, data), "ubnd-my-hao")
    assert my_hao["version"] == 1 and my_hao["status"] in ("complete", "incomplete")
    assert {f["file"] for f in my_hao["files"]} == {"Báo cáo CN-TTCN Văn Lâm.docx", "Phụ lục KCN, CCN huyện Văn Lâm.xlsx"}
    assert [row.to for row in acks] == ([["ubnd.myhao@hungyen.gov.vn", "vanphong.myhao@hungyen.gov.vn"]]
                                        if tell_the_unit else [])
    undo = command(capsys, data, f"HOÀN TÁC #{results[0].ref}")
    assert undo["result"] == "done" and unit(status(capsys, data), "ubnd-my-hao")["status"] == "not_received"


def test_on_behalf_needs_a_mail_and_notify_needs_on_behalf(capsys, data):
    assert "chỉ dùng trong thư" in command(capsys, data, "NỘP THAY Mỹ Hào")["effect"]
    assert "chỉ dùng cùng thư" in command(capsys, data, "BÁO ĐƠN VỊ")["effect"]


def test_a_request_is_not_reminded_on_the_day_it_went_out(capsys, data):
    command(capsys, data, "YÊU CẦU BỔ SUNG Yên Mỹ 17/5: số lao động")  # 14/5 is 3 working days before

    def request_reminders(now):
        code, out, _ = cli(capsys, data, "remind", "--dry-run", "--json", now=now)
        return [r["unit"] for r in json.loads(out) if r["kind"] == "reminder_request"]

    assert request_reminders("2024-05-14T17:30:00+07:00") == []
    assert request_reminders("2024-05-16T08:30:00+07:00") == ["ubnd-yen-my"]
