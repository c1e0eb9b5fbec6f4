"""The long-running worker: APScheduler jobs for poll, reminders and the digest.

    startup   once, at once: a poll, then the digest missed while the machine was off
    poll      every campaign.schedule.poll_minutes
    remind    every day at reminder_time (the job itself skips days off)
    digest    every day at digest_time (likewise)

Jobs coalesce (a backlog of missed runs becomes one run) and have a misfire grace, so a digest
missed while the machine was off is sent once when it comes back; the outbox keys make every
mail once-only anyway.

The worker must not stop by itself: a silent stop is the worst failure it can have. Every job
runs in the scheduler's threads, where whatever it raises is logged and the next run comes as
planned (`_logged`, and APScheduler itself for what is not an Exception); a mailbox that keeps
failing is health.py's business, not a reason to stop. Only SIGTERM or SIGINT stop it: the
scheduler then lets the running job finish, and the process exits with status 0.
"""
from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .config import Campaign

log = logging.getLogger(__name__)

# A job missed by less than this still runs (once) when the worker gets to it.
MISFIRE_GRACE_SECONDS = 12 * 3600
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _logged(name: str, job: Callable[[], object]) -> Callable[[], None]:
    """Run a job, log its outcome; an exception is logged and the worker goes on."""

    def run() -> None:
        log.info("job %s: start", name)
        try:
            outcome = job()
        except Exception:
            log.exception("job %s failed; the next run will try again", name)
            return
        log.info("job %s: done %s", name, outcome if outcome is not None else "")

    return run


def build_scheduler(campaign: Campaign, poll: Callable, remind: Callable | None = None,
                    digest: Callable | None = None, startup: Callable | None = None,
                    poll_every: dt.timedelta | None = None) -> BackgroundScheduler:
    """The worker's jobs, not started. `startup` runs once as soon as the scheduler starts;
    `poll_every` replaces the campaign's interval (tests use a fraction of a second)."""
    scheduler = BackgroundScheduler(timezone=campaign.tz, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS})
    every = poll_every or dt.timedelta(minutes=max(1, campaign.poll_minutes))
    scheduler.add_job(_logged("poll", poll), IntervalTrigger(seconds=every.total_seconds()), id="poll")
    if startup is not None:
        scheduler.add_job(_logged("startup", startup), id="startup")  # no trigger: once, now
    if remind is not None:
        t = campaign.reminder_time
        scheduler.add_job(_logged("remind", remind), CronTrigger(hour=t.hour, minute=t.minute), id="remind")
    if digest is not None:
        t = campaign.digest_time
        scheduler.add_job(_logged("digest", digest), CronTrigger(hour=t.hour, minute=t.minute), id="digest")
    return scheduler


def run_forever(scheduler: BackgroundScheduler, ready: Callable[[], None] | None = None) -> None:
    """Run the scheduler until SIGTERM or SIGINT, then shut it down after the running jobs.

    The signals are caught before the scheduler starts and before `ready` is called (it tells
    the operator the worker runs), so a stop asked for at any moment from then on is a clean
    one. The main thread only waits: jobs run in the scheduler's threads."""
    stop = threading.Event()

    def on_signal(signum, _frame):
        log.info("signal %s: stopping after the running job", signum)
        stop.set()

    previous = {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}
    try:
        scheduler.start()
        try:
            if ready is not None:
                ready()
            while not stop.wait(timeout=60):
                pass
        finally:
            scheduler.shutdown(wait=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
