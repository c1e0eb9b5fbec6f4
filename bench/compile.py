"""How long the compiled draft takes for the sample campaign.

    python bench/compile.py [--repeat 5]

Runs the demo into a temporary data directory (the fifteen sample messages read and recorded,
as `intake-bot demo` does), then times `build_draft` (draft_report.py: the units' progress, their
section texts from the store, the cross-check, and the .docx written) and the cross-check alone
(`reconcile`). Prints the best of --repeat runs and the draft's size.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intake_bot.cli import main  # noqa: E402
from intake_bot.config import load_campaign  # noqa: E402
from intake_bot.draft_report import build_draft  # noqa: E402
from intake_bot.progress import unit_progress  # noqa: E402
from intake_bot.reconcile import reconcile  # noqa: E402
from intake_bot.store.db import Store  # noqa: E402


def best(repeat: int, step) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return min(times), result


def run(repeat: int) -> None:
    campaign = load_campaign()
    now = dt.datetime(2024, 5, 14, 17, 0, tzinfo=campaign.tz)
    with tempfile.TemporaryDirectory(prefix="intake-bench-compile-") as folder:
        data = Path(folder) / "data"
        with redirect_stdout(io.StringIO()):
            assert main(["--data-dir", str(data), "demo"]) == 0
        store = Store(data)
        try:
            draft_time, draft = best(repeat, lambda: build_draft(campaign, store, now))
            check_time, result = best(repeat, lambda: reconcile(campaign, unit_progress(store, campaign, now)))
        finally:
            store.close()
    print(f"compile the draft (build_draft): {draft_time:.3f} s, {len(draft) / 1024:.0f} KB")
    print(f"cross-check alone (unit_progress + reconcile): {check_time:.3f} s, {len(result.zones)} zones")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    run(parser.parse_args().repeat)
