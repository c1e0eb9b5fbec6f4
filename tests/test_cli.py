"""The command line end to end: the commands a user types, with real Dovecot and aiosmtpd."""
import json
import os
import subprocess
import sys

import pytest

from intake_bot.cli import main
from intake_bot.lock import worker_lock

from .conftest import CORPUS, REPO
from .dovecot import dovecot  # noqa: F401  (fixture)
from .smtp_sink import smtp_sink  # noqa: F401  (fixture)

EMAILS = CORPUS / "emails"
DOCS = CORPUS / "documents"
NOW = "2024-05-09T17:00:00+07:00"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_extract_prints_the_contract_json(capsys):
    code, out, _ = run(capsys, "extract", str(DOCS / "d01.docx"), "--json")
    assert code == 0
    result = json.loads(out)
    assert {"file", "format", "scanned", "unit", "metadata", "outline", "sections", "tables", "warnings",
            "warnings_vi"} <= set(result)
    assert len(result["warnings"]) == len(result["warnings_vi"])
    assert result["unit"] == "so-cong-thuong"
    assert result["metadata"]["number"] == "125/BC-SCT"


def test_extract_of_a_corrupt_file_says_why_and_exits_non_zero(tmp_path, capsys):
    bad = tmp_path / "bao cao.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    code, out, err = run(capsys, "extract", str(bad), "--json")
    assert code == 3
    assert json.loads(out)["error"]
    assert "Traceback" not in err and err.startswith("intake-bot:")


def test_classify_prints_the_contract_json(capsys):
    code, out, _ = run(capsys, "classify", str(EMAILS / "e03.eml"), "--json")
    assert code == 0
    result = json.loads(out)
    assert {"message_id", "from", "subject", "category", "unit", "documents", "action", "reasons"} <= set(result)
    assert (result["category"], result["unit"]) == ("report", "ubnd-van-lam")
    assert len(result["documents"]) == 2


def test_demo_then_status_shows_the_same_state(tmp_path, capsys):
    data = tmp_path / "demo"
    code, demo_out, _ = run(capsys, "--data-dir", str(data), "demo")
    assert code == 0
    assert "15 new messages" in demo_out and "UBND huyện Văn Lâm" in demo_out
    assert len(list((data / "outbox").glob("*.eml"))) >= 8
    assert (data / "digest" / "digest.html").exists()
    code, out, _ = run(capsys, "--data-dir", str(data), "--now", "2024-05-10T17:00:00+07:00", "status", "--json")
    status = json.loads(out)
    # the 15 samples, and the secretary's reply to the digest: the unmatched report is Mỹ Hào's,
    # which had sent nothing, and the next unit that still owed its report delivered it on paper
    assert status["messages"]["total"] == 16 and status["messages"]["by_category"]["other"] == 2
    assert [(c["line"].split(" #")[0], c["result"]) for c in status["commands"]] == [
        ("GÁN", "done"), ("ĐÃ NHẬN BẢN GIẤY UBND huyện Văn Lâm", "done")]
    units = {u["unit"]: u for u in status["units"]}
    assert units["ubnd-my-hao"]["version"] == 1 and units["ubnd-van-lam"]["status"] == "received_offline"
    assert "GÁN #1 UBND thị xã Mỹ Hào: done" in demo_out and "not_received -> incomplete" in demo_out
    assert status["outbox"]["sent"] >= 8
    # a second demo empties the directory it made itself ...
    assert run(capsys, "--data-dir", str(data), "demo")[0] == 0
    # ... but never one it did not make
    other = tmp_path / "precious"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    code, _, err = run(capsys, "--data-dir", str(other), "demo")
    assert code == 1 and "not made by `demo`" in err and (other / "keep.txt").exists()


def test_poll_once_over_imap_acknowledges_through_smtp(tmp_path, capsys, dovecot, smtp_sink, monkeypatch):
    for name in ("e01", "e03", "e12", "e15"):
        dovecot.append((EMAILS / f"{name}.eml").read_bytes())
    monkeypatch.setenv("INTAKE_BOT_IMAP_PASSWORD", dovecot.password)
    argv = ["--data-dir", str(tmp_path / "d"), "--mailbox", dovecot.url, "--smtp", smtp_sink.url, "--now", NOW]
    code, out, _ = run(capsys, *argv, "poll", "--once")
    assert code == 0, out
    assert "new messages: 4" in out
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == ["vanphong@vanlam.hungyen.gov.vn",
                                                                  "vanthu.sct@hungyen.gov.vn"]
    for received in smtp_sink.received:
        assert received.message["Auto-Submitted"] == "auto-replied"
        assert "Kính gửi" in received.message.get_body(("plain",)).get_content()
    code, out, _ = run(capsys, *argv, "poll", "--once")
    assert "new messages: 0" in out and len(smtp_sink.received) == 2


def test_wrong_imap_password_is_one_clear_line(tmp_path, capsys, dovecot, monkeypatch):
    monkeypatch.setenv("INTAKE_BOT_IMAP_PASSWORD", "not-the-password-42")
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "--mailbox", dovecot.url, "poll", "--once")
    assert code == 1
    assert "Traceback" not in err and "not-the-password-42" not in err + out


def test_a_second_worker_refuses_to_start(tmp_path, capsys):
    with worker_lock(tmp_path):
        code, _, err = run(capsys, "--data-dir", str(tmp_path), "run")
    assert code == 1 and "another intake-bot worker is running" in err


def test_remind_dry_run_lists_the_slot(tmp_path, capsys):
    data = tmp_path / "demo"
    run(capsys, "--data-dir", str(data), "--now", "2024-05-09T07:00:00+07:00", "demo")
    code, out, _ = run(capsys, "--data-dir", str(data), "--now", "2024-05-14T08:30:00+07:00",
                       "remind", "--dry-run", "--json")
    assert code == 0
    reminders = json.loads(out)
    assert reminders and {"unit", "kind", "to", "cc", "subject", "slot"} <= set(reminders[0])
    assert "ubnd-my-hao" in {r["unit"] for r in reminders}


def test_digest_writes_files(tmp_path, capsys):
    data = tmp_path / "demo"
    run(capsys, "--data-dir", str(data), "demo")
    out_dir = tmp_path / "digest"
    code, out, _ = run(capsys, "--data-dir", str(data), "--now", "2024-05-10T17:30:00+07:00", "digest", "--out", str(out_dir))
    assert code == 0
    assert {p.name for p in out_dir.iterdir()} >= {"digest.html", "digest.txt"}
    assert any(p.suffix == ".xlsx" for p in out_dir.iterdir())


def test_check_passes_on_the_seed_campaign(tmp_path, capsys):
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "check")
    assert code == 0, err
    assert "is ready" in out


def test_check_catches_a_broken_template(tmp_path, capsys):
    templates = tmp_path / "templates"
    templates.mkdir()
    for f in (REPO / "templates").iterdir():
        (templates / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (templates / "acknowledge.txt.j2").write_text("Kính gửi {{ unit.nonexistent_field }", encoding="utf-8")
    config = (REPO / "config" / "hung-yen-2024.toml").read_text(encoding="utf-8")
    config = config.replace('templates = "../templates"', f'templates = "{templates}"')
    (tmp_path / "c.toml").write_text(config, encoding="utf-8")
    code, _, err = run(capsys, "--config", str(tmp_path / "c.toml"), "--data-dir", str(tmp_path / "d"), "check")
    assert code == 1 and "acknowledgement templates" in err


def test_no_traceback_reaches_the_user(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for argv in (["--config", "/nonexistent.toml", "status"], ["--now", "yesterday", "status"],
                 ["extract", "/nonexistent.docx", "--json"], ["classify", str(tmp_path), "--json"]):
        p = subprocess.run([sys.executable, "-m", "intake_bot.cli", "--data-dir", str(tmp_path / "d"), *argv],
                           capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode != 0, argv
        assert "Traceback" not in p.stderr and p.stderr.strip(), argv


def test_check_fails_on_a_typo_in_the_campaign_file(tmp_path, capsys):
    config = (REPO / "config" / "hung-yen-2024.toml").read_text(encoding="utf-8")
    (tmp_path / "c.toml").write_text(config.replace("\n[reminders]\n", "\n[remiders]\n"), encoding="utf-8")
    code, _, err = run(capsys, "--config", str(tmp_path / "c.toml"), "--data-dir", str(tmp_path / "d"), "check")
    assert code == 2
    assert f"{tmp_path / 'c.toml'}: unknown section [remiders] (did you mean 'reminders'?)" in err


def test_the_wiring_is_one_module_that_neither_cli_nor_demo_loops_through():
    """cli and demo both build on runtime.py; neither imports the other (the loop of issue 9)."""
    import ast

    def imported(module: str) -> set[str]:
        tree = ast.parse((REPO / "intake_bot" / f"{module}.py").read_text(encoding="utf-8"))
        return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}

    assert "cli" not in imported("demo") and "demo" not in imported("runtime")
    assert "runtime" in imported("cli") and "runtime" in imported("demo")


def test_after_the_end_status_says_so_and_no_digest_goes(tmp_path, capsys):
    data = tmp_path / "demo"
    run(capsys, "--data-dir", str(data), "demo")
    code, out, _ = run(capsys, "--data-dir", str(data), "--now", "2024-05-30T17:30:00+07:00", "status", "--json")
    assert code == 0 and json.loads(out)["end"] == "2024-05-29" and json.loads(out)["ended"] is True
    code, out, _ = run(capsys, "--data-dir", str(data), "--now", "2024-05-30T17:30:00+07:00", "status")
    assert "the campaign ended on 2024-05-29: no more reminders nor digests are sent" in out
    code, out, _ = run(capsys, "--data-dir", str(data), "--now", "2024-05-30T17:30:00+07:00", "digest", "--send")
    assert code == 0 and "the campaign ended on 2024-05-29: no digest is sent" in out
    code, out, _ = run(capsys, "--data-dir", str(data), "--now", "2024-05-29T17:30:00+07:00", "digest", "--send")
    assert code == 0 and "digest queued" in out
