"""What the lost-database check and `poll --rescan` cost (lost_store.py).

    python bench/lost_store.py [--messages 1000]

Starts a real Dovecot the way the tests do (tests/dovecot.py; needs dovecot-imapd and root),
appends N small generated messages, records them with one real pass (run_pass) into a SQLite
store, then times: the check run before each reminder pass and digest with that store (every
processed message known: the ordinary case), the same check with an empty store (the lost
database), and the rescan that rebuilds the empty store. One figure per line.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.dovecot, when run as a script

from intake_bot.config import load_campaign  # noqa: E402
from intake_bot.lost_store import MailboxAndArchive, find_lost_records  # noqa: E402
from intake_bot.mailbox.url import open_source  # noqa: E402
from intake_bot.outbox import FileTransport  # noqa: E402
from intake_bot.pipeline import run_pass  # noqa: E402
from intake_bot.store.db import Store  # noqa: E402
from tests.dovecot import DovecotServer, dovecot_missing, make_message  # noqa: E402


def timed(what: str, action):
    started = time.perf_counter()
    outcome = action()
    print(f"{what} seconds: {time.perf_counter() - started:.3f}")
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args(argv)
    reason = dovecot_missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    campaign = load_campaign(REPO / "config" / "hung-yen-2024.toml")
    now = dt.datetime.combine(campaign.deadline, dt.time(17), campaign.tz)
    with DovecotServer() as server, tempfile.TemporaryDirectory() as folder:
        account = server.new_account()
        with account.client() as client:
            for n in range(args.messages):
                client.append("INBOX", make_message(n))
        kept, lost = Store(Path(folder) / "kept"), Store(Path(folder) / "lost")
        source = open_source(account.url, Path(folder) / "kept", campaign, password=account.password)
        try:
            summary = timed("first pass (recording)", lambda: run_pass(
                campaign, kept, source, FileTransport(Path(folder) / "kept" / "outbox"), now))
            print(f"messages recorded: {summary.new}")
            found = timed("check, database that knows every message", lambda: find_lost_records(kept, source, campaign))
            print(f"unknown to that database: {0 if found is None else len(found.unknown)}")
            found = timed("check, empty database", lambda: find_lost_records(lost, source, campaign))
            print(f"unknown to the empty database: {len(found.unknown)} of {found.marked}")
            rescan = MailboxAndArchive(source, lost, campaign)
            summary = timed("rescan into the empty database", lambda: run_pass(
                campaign, lost, rescan, FileTransport(Path(folder) / "lost" / "outbox"), now, rescan=True))
            print(f"rescan: recorded {summary.new}, replies queued {summary.replies_queued}, "
                  f"suppressed {summary.replies_suppressed}")
        finally:
            source.close()
            kept.close()
            lost.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
