"""How long one IMAP poll takes: a full pass over N new messages, then a pass with nothing new.

    python bench/imap_poll.py [--messages 1000] [--batch 200] [--corpus-every 10]

Starts a real Dovecot the way the tests do (tests/dovecot.py; needs dovecot-imapd and root),
appends N messages (every k-th one a sample mail of tests/fixtures/corpus/emails, the others
small generated mails), then times `fetch_new` over all of them with `mark_processed` after each,
as the worker does, and a second pass that finds nothing. One figure per line.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.dovecot, when run as a script

from intake_bot.config import load_campaign  # noqa: E402
from intake_bot.mailbox.url import open_source  # noqa: E402
from tests.dovecot import DovecotServer, dovecot_missing, make_message  # noqa: E402


def sample_messages(count: int, corpus_every: int) -> list[bytes]:
    corpus = itertools.cycle(sorted((REPO / "tests/fixtures/corpus/emails").glob("*.eml")))
    return [next(corpus).read_bytes() if corpus_every and n % corpus_every == 0
            else make_message(n) for n in range(count)]


def timed_pass(source) -> tuple[int, int, float]:
    """(messages, bytes, seconds) of one pass: fetch everything new and mark each."""
    started = time.perf_counter()
    count = size = 0
    for message in source.fetch_new():
        source.mark_processed(message.key)
        count += 1
        size += len(message.raw)
    return count, size, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=None, help="fetch_batch (campaign's if not given)")
    parser.add_argument("--corpus-every", type=int, default=10,
                        help="every k-th message is a corpus sample (0: none)")
    args = parser.parse_args(argv)
    reason = dovecot_missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    campaign = load_campaign(REPO / "config" / "hung-yen-2024.toml")
    if args.batch:
        campaign = dataclasses.replace(campaign, fetch_batch=args.batch)
    messages = sample_messages(args.messages, args.corpus_every)

    with DovecotServer() as server, tempfile.TemporaryDirectory() as data_dir:
        account = server.new_account()
        started = time.perf_counter()
        with account.client() as client:
            for raw in messages:
                client.append("INBOX", raw)
        appended = time.perf_counter() - started
        print(f"appended: {len(messages)} messages, "
              f"{sum(map(len, messages)) / 1e6:.1f} MB in {appended:.2f} s")

        source = open_source(account.url, Path(data_dir), campaign, password=account.password)
        try:
            for name in ("full pass", "pass with nothing new"):
                count, size, seconds = timed_pass(source)
                print(f"{name} messages: {count}")
                print(f"{name} seconds: {seconds:.4f}")
                if count:
                    print(f"{name} messages/s: {count / seconds:.0f}")
                    print(f"{name} MB: {size / 1e6:.1f}")
        finally:
            source.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
