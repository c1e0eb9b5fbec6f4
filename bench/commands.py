"""How fast the secretary's commands are read and applied.

    python bench/commands.py [--commands 1000] [--database URL]

1. parse_line over a mix of command lines (with and without diacritics, bullets, English) and
   ordinary prose, as a confirmation reply holds them;
2. `execute` of one line at a time as the command line does it (its own transaction, its
   `#N`, its event), alternating TẠM DỪNG NHẮC / TIẾP TỤC NHẮC / GIA HẠN on the bundled units;
3. `status --json`'s report once that many commands are recorded.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intake_bot.commands import Context, SourceRef, execute, parse_line  # noqa: E402
from intake_bot.config import load_campaign  # noqa: E402
from intake_bot.outbox import Outbox  # noqa: E402
from intake_bot.status import status_report  # noqa: E402
from intake_bot.store.db import Store  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "config" / "hung-yen-2024.toml"
LINES = ["GÁN #12 Văn Lâm", "- 1. gan # 12 ubnd huyen van lam", "ASSIGN #3 Yen My", "GIA HẠN Kim Động 24/5",
         "KHÔNG ÁP DỤNG Văn Lâm kết quả thực hiện các văn bản", "Kính gửi đồng chí,", "Gần đây đơn vị đã gửi",
         "> GÁN #1 Văn Lâm", "YÊU CẦU BỔ SUNG Ân Thi 24/5: số liệu", "Trân trọng cảm ơn."]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--database", default=None, help="a database URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    campaign = load_campaign(CONFIG)

    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        for line in LINES:
            parse_line(line, campaign)
    parsed = rounds * len(LINES)
    elapsed = time.perf_counter() - started
    print(f"commands: parse_line {parsed} lines in {elapsed:.2f} s ({parsed / elapsed:,.0f} lines/s)")

    units = [u.short_name for u in campaign.units.values()]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data", url=args.database)
        now = dt.datetime(2024, 5, 14, 17, 0, tzinfo=campaign.tz)
        ctx = Context(campaign, store, Outbox(store, campaign), now)
        started = time.perf_counter()
        for n in range(args.commands):
            unit = units[n % len(units)]
            line = (f"TẠM DỪNG NHẮC {unit}", f"TIẾP TỤC NHẮC {unit}", f"GIA HẠN {unit} {20 + n % 9}/5")[n // len(units) % 3]
            execute(ctx, [line], "ktns.hdndhy@gmail.com", now + dt.timedelta(seconds=n), SourceRef(via="cli"))
        elapsed = time.perf_counter() - started
        print(f"commands: execute {args.commands} lines in {elapsed:.2f} s "
              f"({elapsed / args.commands * 1000:.1f} ms per command) on {store.display_url.split(':')[0]}")
        started = time.perf_counter()
        report = status_report(campaign, store, now + dt.timedelta(days=1))
        print(f"commands: status report with {len(report['commands'])} commands in "
              f"{time.perf_counter() - started:.2f} s")
        store.close()


if __name__ == "__main__":
    main()
