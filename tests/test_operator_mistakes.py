"""An operator's mistakes get one clear line, never a traceback nor exit 70, and `check` says
what it tried (issue 8, points 8 and 10): real Dovecot and aiosmtpd."""
import os
import re
import subprocess
import sys

import pytest

from intake_bot.cli import main

from .conftest import REPO
from .dovecot import dovecot  # noqa: F401  (fixture)
from .smtp_sink import smtp_sink  # noqa: F401  (fixture)

SEED = REPO / "config" / "hung-yen-2024.toml"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def with_operator(tmp_path, operator: str):
    text = SEED.read_text(encoding="utf-8")
    text = text.replace('templates = "../templates"', f'templates = "{REPO / "templates"}"')
    text = re.sub(r'(?m)^(\[operator\](?:\n#.*)*\nemail = )""', rf'\g<1>"{operator}"', text)
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_check_says_what_it_tried_and_creates_nothing(tmp_path, capsys, dovecot, smtp_sink, monkeypatch):  # noqa: F811
    monkeypatch.setenv("INTAKE_BOT_IMAP_PASSWORD", dovecot.password)
    data = tmp_path / "var"
    code, out, err = run(capsys, "--config", with_operator(tmp_path, "quantri@hungyen.gov.vn"),
                         "--data-dir", str(data), "--mailbox", dovecot.url, "--smtp", smtp_sink.url, "check")
    assert code == 0, err
    lines = out.splitlines()
    for expected in ("ok    campaign file", "ok    acknowledgement templates rendered",
                     "ok    reminder templates rendered", "ok    digest templates rendered",
                     f"ok    IMAP login imap://{dovecot.user}@", f"ok    SMTP login {smtp_sink.url}",
                     "ok    mailbox alerts go to the operator quantri@hungyen.gov.vn"):
        assert any(line.startswith(expected) for line in lines), (expected, out)
    assert not data.exists()


def test_check_fails_line_by_line(tmp_path, capsys, dovecot, monkeypatch):  # noqa: F811
    monkeypatch.setenv("INTAKE_BOT_IMAP_PASSWORD", "wrong-password-17")
    data = tmp_path / "var"
    code, out, err = run(capsys, "--data-dir", str(data), "--mailbox", dovecot.url,
                         "--smtp", "smtp://127.0.0.1:9", "check")
    assert code == 1
    assert re.search(r"(?m)^fail  IMAP login imap://.*login failed", err)
    assert re.search(r"(?m)^fail  SMTP login smtp://127.0.0.1:9: ", err)
    assert "wrong-password-17" not in out + err
    assert not data.exists()


def test_check_warns_when_the_mailbox_alert_would_go_to_the_failing_account(tmp_path, capsys):
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "d"), "check")
    assert code == 0
    assert "warn  [operator] email is empty" in out and "the committee mailbox itself" in out
    code, out, _ = run(capsys, "--config", with_operator(tmp_path, "ktns.hdndhy@gmail.com"),
                       "--data-dir", str(tmp_path / "d"), "check")
    assert "warn  [operator] email ktns.hdndhy@gmail.com is the committee mailbox itself" in out


def test_check_puts_no_sample_mailbox_failure_in_any_log(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.run([sys.executable, "-m", "intake_bot.cli", "-v", "--data-dir", str(tmp_path / "d"), "check"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "mailbox failure" not in p.stderr and "sample:" not in p.stderr


def test_status_never_creates_the_data_dir(tmp_path, capsys):
    data = tmp_path / "typo"
    code, _, err = run(capsys, "--data-dir", str(data), "status")
    assert code == 1 and not data.exists()
    assert err.strip() == f"intake-bot: --data-dir {data} does not exist: nothing was recorded there. " \
                          "Check --data-dir (`poll`, `run` and `demo` create it)"


@pytest.mark.parametrize("command", [["status"], ["poll", "--once"], ["remind"], ["digest", "--send"], ["run"],
                                     ["demo"]])
def test_a_data_dir_that_is_a_file_is_one_line(tmp_path, command):
    afile = tmp_path / "var"
    afile.write_text("not a directory")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.run([sys.executable, "-m", "intake_bot.cli", "--data-dir", str(afile), *command],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 1, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and str(afile) in p.stderr and "Traceback" not in p.stderr


def test_check_of_a_data_dir_that_is_a_file_fails(tmp_path, capsys):
    (tmp_path / "var").write_text("x")
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "var"), "check")
    assert code == 1 and f"fail  data directory {tmp_path / 'var'}: is a file, not a directory" in err


def test_imaps_on_a_plain_port_is_one_clear_line(tmp_path, capsys, dovecot, smtp_sink, monkeypatch):  # noqa: F811
    monkeypatch.setenv("INTAKE_BOT_IMAP_PASSWORD", dovecot.password)
    tls_on_plain = dovecot.url.replace("imap://", "imaps://")
    code, out, err = run(capsys, "--data-dir", str(tmp_path / "d"), "--mailbox", tls_on_plain, "poll", "--once")
    assert code == 1 and "Traceback" not in err
    assert "TLS handshake with" in out + err and "a plain or STARTTLS port (143) is imap://" in out + err
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "d"), "--mailbox", tls_on_plain,
                       "--smtp", smtp_sink.url.replace("smtp://", "smtps://"), "check")
    assert code == 1
    assert re.search(r"(?m)^fail  IMAP login imaps://.*TLS handshake", err)
    assert re.search(r"(?m)^fail  SMTP login smtps://.*TLS handshake.*is smtp://", err)


def test_check_names_the_template_files_no_sample_reaches(tmp_path, capsys):
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "d"), "check")
    assert code == 0 and re.search(r"(?m)^ok    every template file in .* rendered \(\d+ files\)$", out)
    templates = tmp_path / "templates"
    templates.mkdir()
    for f in (REPO / "templates").iterdir():
        (templates / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (templates / "acknowledge_old.txt.j2").write_text("{{ unit.name }", encoding="utf-8")
    config = SEED.read_text(encoding="utf-8").replace('templates = "../templates"', f'templates = "{templates}"')
    (tmp_path / "c.toml").write_text(config, encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(tmp_path / "c.toml"), "--data-dir", str(tmp_path / "d"), "check")
    assert code == 0
    assert re.search(r"(?m)^warn  templates .*: 1 of \d+ files not rendered by check .*: acknowledge_old\.txt\.j2$", out)
