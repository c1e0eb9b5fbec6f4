"""A lost database or a mistyped --data-dir (issue 8, point 6): reminders and the digest are
refused while the mailbox holds processed mail the database does not know, and `poll --rescan`
rebuilds the database from the mailbox and DATA/archive without answering anyone again. On a real
Dovecot over IMAP, and on a Maildir."""
import json
import mailbox
import shutil

import pytest

from intake_bot.cli import main

from .conftest import CORPUS
from .dovecot import dovecot  # noqa: F401  (fixture)
from .smtp_sink import smtp_sink  # noqa: F401  (fixture)

EMAILS = CORPUS / "emails"
SAMPLES = ("e01", "e02", "e03", "e04", "e12")  # four reports of four units, and a newsletter
POLLED = "2024-05-13T17:00:00+07:00"
REMINDER_DAY = "2024-05-14T08:30:00+07:00"  # the first overdue reminder
DIGEST_TIME = "2024-05-14T17:30:00+07:00"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def reminded(capsys, data, mailbox_url, *extra):
    code, out, err = run(capsys, "--data-dir", str(data), "--mailbox", mailbox_url, *extra,
                         "--now", REMINDER_DAY, "remind", "--dry-run", "--json")
    assert code == 0, err
    return sorted(r["unit"] for r in json.loads(out)), err


def outbox_files(data):
    return sorted(p.name for p in (data / "outbox").glob("*.eml")) if (data / "outbox").exists() else []


def lost_store_scenario(capsys, tmp_path, mailbox_url, *extra):
    """A first data dir polls the mailbox; a second one (the mistyped --data-dir) must refuse,
    then rebuild without a reply, and end up with the first one's reminders."""
    first, second = tmp_path / "var", tmp_path / "vra"
    code, out, err = run(capsys, "--data-dir", str(first), "--mailbox", mailbox_url, *extra,
                         "--now", POLLED, "poll", "--once")
    assert code == 0, out + err
    expected, _ = reminded(capsys, first, mailbox_url, *extra)
    assert expected and "so-cong-thuong" not in expected and "bql-kcn" not in expected

    # The mistyped data dir: every unit would be reminded; the bot refuses, and says why.
    code, _, err = run(capsys, "--data-dir", str(second), "--mailbox", mailbox_url, *extra,
                       "--now", REMINDER_DAY, "remind")
    assert code == 1
    assert "refusing to send reminders and the digest" in err and "poll --rescan" in err
    assert "does not know" in (second / "intake-bot.log").read_text(encoding="utf-8")
    code, _, err = run(capsys, "--data-dir", str(second), "--mailbox", mailbox_url, *extra,
                       "--now", DIGEST_TIME, "digest", "--send")
    assert code == 1 and "poll --rescan" in err
    _, err = reminded(capsys, second, mailbox_url, *extra)
    assert "warning: refusing" in err

    # The rebuild answers nobody again and gives back the same state.
    code, out, err = run(capsys, "--data-dir", str(second), "--mailbox", mailbox_url, *extra,
                         "--now", REMINDER_DAY, "poll", "--rescan", "--json")
    summary = json.loads(out)
    assert code == 0, err
    assert summary["new"] == len(SAMPLES) and summary["replies_queued"] == 0 and summary["replies_suppressed"] >= 2
    again, err = reminded(capsys, second, mailbox_url, *extra)
    assert again == expected and "refusing" not in err
    code, _, err = run(capsys, "--data-dir", str(second), "--mailbox", mailbox_url, *extra,
                       "--now", REMINDER_DAY, "remind")
    assert code == 0, err
    return first, second


def test_maildir_lost_store_is_refused_then_rescanned(tmp_path, capsys):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in SAMPLES:
        box.add((EMAILS / f"{name}.eml").read_bytes())
    url = f"maildir:{tmp_path / 'Maildir'}"
    first, second = lost_store_scenario(capsys, tmp_path, url)
    # Only the reminders of the slot went out from the rebuilt data dir: no acknowledgement again.
    names = outbox_files(second)
    assert names and len(names) == len(reminded(capsys, first, url)[0])


def test_imap_lost_store_is_refused_then_rescanned(tmp_path, capsys, dovecot, smtp_sink, monkeypatch):  # noqa: F811
    for name in SAMPLES:
        dovecot.append((EMAILS / f"{name}.eml").read_bytes())
    monkeypatch.setenv("INTAKE_BOT_IMAP_PASSWORD", dovecot.password)
    lost_store_scenario(capsys, tmp_path, dovecot.url, "--smtp", smtp_sink.url)
    answers = [r.message["In-Reply-To"] for r in smtp_sink.received if "kind=reminder" not in r.message["X-Intake-Bot"]]
    # The first pass answered the four reports; the rescan answered none of them again.
    assert len(answers) == len(set(answers)) == 4


def test_a_new_message_met_by_the_rescan_is_answered(tmp_path, capsys):
    """Mail never processed is answered as in any pass; only the processed mail is not."""
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add((EMAILS / "e01.eml").read_bytes())
    url = f"maildir:{tmp_path / 'Maildir'}"
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "a"), "--mailbox", url, "--now", POLLED, "poll", "--once")
    box.add((EMAILS / "e03.eml").read_bytes())
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "b"), "--mailbox", url, "--now", POLLED,
                       "poll", "--rescan", "--json")
    summary = json.loads(out)
    assert summary["new"] == 2 and summary["replies_queued"] == 1 and summary["replies_suppressed"] == 1


def test_rescan_takes_back_from_the_archive_what_the_mailbox_no_longer_holds(tmp_path, capsys):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    keys = {name: box.add((EMAILS / f"{name}.eml").read_bytes()) for name in SAMPLES}
    url = f"maildir:{tmp_path / 'Maildir'}"
    data = tmp_path / "var"
    run(capsys, "--data-dir", str(data), "--mailbox", url, "--now", POLLED, "poll", "--once")
    before, _ = reminded(capsys, data, url)
    # The database is lost; the secretary deleted Văn Lâm's mail from the mailbox meanwhile.
    (data / "intake.db").unlink()
    for leftover in data.glob("intake.db-*"):
        leftover.unlink()
    box.remove(keys["e03"])
    code, out, err = run(capsys, "--data-dir", str(data), "--mailbox", url, "--now", REMINDER_DAY,
                         "poll", "--rescan", "--json")
    summary = json.loads(out)
    assert code == 0, err
    assert summary["new"] == len(SAMPLES) and summary["replies_queued"] == 0
    assert reminded(capsys, data, url)[0] == before
    code, out, _ = run(capsys, "--data-dir", str(data), "--now", REMINDER_DAY, "status", "--json")
    van_lam = next(u for u in json.loads(out)["units"] if u["unit"] == "ubnd-van-lam")
    assert van_lam["status"] != "not_received"


def test_a_store_that_knows_the_mail_sends_as_usual(tmp_path, capsys):
    """No false alarm: the same data dir, or a copy of it, reminds as before."""
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in SAMPLES:
        box.add((EMAILS / f"{name}.eml").read_bytes())
    url = f"maildir:{tmp_path / 'Maildir'}"
    data = tmp_path / "var"
    run(capsys, "--data-dir", str(data), "--mailbox", url, "--now", POLLED, "poll", "--once")
    shutil.copytree(data, tmp_path / "copy")
    for folder in (data, tmp_path / "copy"):
        code, _, err = run(capsys, "--data-dir", str(folder), "--mailbox", url, "--now", REMINDER_DAY, "remind")
        assert code == 0 and "refusing" not in err


def test_the_workers_reminder_and_digest_jobs_refuse_too(tmp_path, capsys):
    from intake_bot.cli import build_parser
    from intake_bot.runtime import Runtime, worker_jobs

    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add((EMAILS / "e01.eml").read_bytes())
    url = f"maildir:{tmp_path / 'Maildir'}"
    run(capsys, "--data-dir", str(tmp_path / "var"), "--mailbox", url, "--now", POLLED, "poll", "--once")
    jobs = worker_jobs(Runtime(build_parser().parse_args(["--data-dir", str(tmp_path / "vra"), "--mailbox", url, "run"])))
    assert "poll --rescan" in jobs.remind()["refused"]
    assert "poll --rescan" in jobs.digest()["refused"]
    assert outbox_files(tmp_path / "vra") == []


def test_a_renumbered_imap_folder_is_no_lost_store(tmp_path, capsys, dovecot, monkeypatch):  # noqa: F811
    """After a UIDVALIDITY change every processed message has a new key: the database still knows
    them by Message-ID, so reminders go as usual."""
    for name in SAMPLES:
        dovecot.append((EMAILS / f"{name}.eml").read_bytes())
    monkeypatch.setenv("INTAKE_BOT_IMAP_PASSWORD", dovecot.password)
    data = tmp_path / "var"
    run(capsys, "--data-dir", str(data), "--mailbox", dovecot.url, "--now", POLLED, "poll", "--once")
    dovecot.change_uidvalidity()
    units, err = reminded(capsys, data, dovecot.url)
    assert "refusing" not in err and "so-cong-thuong" not in units
