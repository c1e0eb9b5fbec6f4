"""How long the whole worker pass takes: `intake-bot poll --once` end to end.

    python bench/poll.py [--messages 1000] [--corpus-every 10]

Two figures: the pass over the 15 sample messages in a Maildir (the demo's mailbox), and the
pass over N messages appended to a real Dovecot (tests/dovecot.py; needs dovecot-imapd and root),
every k-th one a sample mail with its documents, the others small generated mails. Each pass
runs the real command in a subprocess (parse, classify, read, record, acknowledge into a file
outbox, mark), then a second pass that finds nothing new. One figure per line.
"""
from __future__ import annotations

import argparse
import mailbox
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from imap_poll import sample_messages  # noqa: E402
from tests.dovecot import DovecotServer, dovecot_missing  # noqa: E402

NOW = "2024-05-09T17:00:00+07:00"


def timed_poll(data_dir: Path, mailbox_url: str, env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "intake_bot.cli", "--data-dir", str(data_dir),
                           "--mailbox", mailbox_url, "--smtp", "file:outbox", "--now", NOW, "poll", "--once"],
                          capture_output=True, text=True, env=env, cwd=REPO)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"poll failed: {done.stderr}")
    return seconds, done.stdout.splitlines()[0] if done.stdout else ""


def report(name: str, data_dir: Path, url: str, env: dict, count: int) -> None:
    for label in ("pass", "pass with nothing new"):
        seconds, summary = timed_poll(data_dir, url, env)
        print(f"{name} {label}: {seconds:.2f} s ({summary})")
        if label == "pass":
            print(f"{name} messages/s: {count / seconds:.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--corpus-every", type=int, default=10)
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    with tempfile.TemporaryDirectory() as tmp:
        samples = sorted((REPO / "samples").glob("*.eml"))
        box = mailbox.Maildir(Path(tmp) / "Maildir", create=True)
        for sample in samples:
            box.add(sample.read_bytes())
        report("sample Maildir", Path(tmp) / "data", f"maildir:{Path(tmp) / 'Maildir'}", env, len(samples))

    reason = dovecot_missing()
    if reason:
        print(f"Dovecot pass skipped: {reason}")
        return 0
    messages = sample_messages(args.messages, args.corpus_every)
    with DovecotServer() as server, tempfile.TemporaryDirectory() as tmp:
        account = server.new_account()
        with account.client() as client:
            for raw in messages:
                client.append("INBOX", raw)
        print(f"Dovecot: {len(messages)} messages, {sum(map(len, messages)) / 1e6:.1f} MB appended")
        report("Dovecot", Path(tmp) / "data", account.url, {**env, **account.env}, len(messages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
