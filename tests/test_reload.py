"""The worker takes an edited campaign file without a restart (issue 8, point 11): a change on disk
or SIGHUP; an invalid file is refused with its errors logged, and the worker goes on with the
campaign it had. The real `intake-bot run`, as a subprocess."""
import os
import signal
import subprocess
import sys
import time

from .conftest import REPO

SEED = REPO / "config" / "hung-yen-2024.toml"


def campaign_text(poll: str) -> str:
    text = SEED.read_text(encoding="utf-8").replace('templates = "../templates"', f'templates = "{REPO / "templates"}"')
    assert "poll_minutes = 5" in text
    return text.replace("poll_minutes = 5", poll)


def wait_for(log_path, text: str, after: int, worker) -> str:
    """The log from offset `after` once it holds `text` (the worker must stay up meanwhile)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert worker.poll() is None, worker.stderr.read()
        log = log_path.read_text(encoding="utf-8") if log_path.exists() else ""
        if text in log[after:]:
            return log[after:]
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never came in the log:\n{log[after:]}")


def test_the_worker_reloads_an_edited_campaign_file_and_refuses_a_broken_one(tmp_path):
    config, data = tmp_path / "campaign.toml", tmp_path / "data"
    config.write_text(campaign_text("poll_minutes = 5"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    worker = subprocess.Popen([sys.executable, "-m", "intake_bot.cli", "--config", str(config), "--data-dir", str(data),
                               "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert "intake-bot worker:" in worker.stdout.readline()
        log = data / "intake-bot.log"

        # Edited on disk: taken at the next check, no signal needed.
        mark = len(log.read_text(encoding="utf-8"))
        config.write_text(campaign_text("poll_minutes = 7"), encoding="utf-8")
        assert "poll every 7 min" in wait_for(log, f"campaign file {config} read again:", mark, worker)

        # A typo: refused with the file, the key and the closest name; the worker goes on.
        mark = len(log.read_text(encoding="utf-8"))
        config.write_text(campaign_text("poll_minuts = 9"), encoding="utf-8")
        worker.send_signal(signal.SIGHUP)
        refused = wait_for(log, "did you mean 'poll_minutes'", mark, worker)
        assert "the edited campaign file is refused" in refused and "read again" not in refused

        # Fixed, and SIGHUP (systemctl reload): taken at once.
        mark = len(log.read_text(encoding="utf-8"))
        config.write_text(campaign_text("poll_minutes = 9"), encoding="utf-8")
        worker.send_signal(signal.SIGHUP)
        assert "poll every 9 min" in wait_for(log, f"campaign file {config} read again (SIGHUP):", mark, worker)
        assert "moved" in wait_for(log, "'moved': ['poll']", mark, worker)
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
    assert code == 0


def test_the_systemd_unit_runs_the_worker_as_the_readme_says():
    """deploy/intake-bot.service: the settings the README promises, and an ExecStart that the
    command line accepts as it is."""
    import configparser
    import shlex

    from intake_bot.cli import build_parser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(REPO / "deploy" / "intake-bot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["Type"] == "simple" and service["Restart"] == "on-failure"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID" and service["UMask"] == "0077"
    assert service["User"] == "intake-bot" and service["EnvironmentFile"].startswith("/etc/")
    assert service["RestartPreventExitStatus"] == "2"
    executable, *argv = shlex.split(service["ExecStart"])
    assert executable.endswith("/intake-bot")
    args = build_parser().parse_args(argv)
    assert args.command == "run" and args.data_dir == service["WorkingDirectory"]
