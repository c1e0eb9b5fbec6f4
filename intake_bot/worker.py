"""The long-running worker: APScheduler jobs for poll, reminders and the digest.

    poll      every campaign.schedule.poll_minutes
    remind    every day at reminder_time (the job itself skips days off)
    digest    every day at digest_time (likewise)

Jobs coalesce (a backlog of missed runs becomes one run) and have a misfire grace, so a digest
missed while the machine was off is sent once when it comes back; the outbox keys make every
mail once-only anyway. SIGTERM and SIGINT stop the scheduler after the running job finishes.
"""
from __future__ import annotations

import logging
import signal
from typing import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .config import Campaign

log = logging.getLogger(__name__)

# A job missed by less than this still runs (once) when the worker gets to it.
MISFIRE_GRACE_SECONDS = 12 * 3600


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
                    digest: Callable | None = None) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=campaign.tz, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS})
    scheduler.add_job(_logged("poll", poll), IntervalTrigger(minutes=max(1, campaign.poll_minutes)),
                      id="poll")
    if remind is not None:
        t = campaign.reminder_time
        scheduler.add_job(_logged("remind", remind), CronTrigger(hour=t.hour, minute=t.minute), id="remind")
    if digest is not None:
        t = campaign.digest_time
        scheduler.add_job(_logged("digest", digest), CronTrigger(hour=t.hour, minute=t.minute), id="digest")
    return scheduler


def run_forever(scheduler: BlockingScheduler, first: Callable[[], object] | None = None) -> None:
    """Run until SIGTERM/SIGINT; `first` (a poll pass, and the catch-up of a digest missed while
    the machine was off) runs once at start-up."""

    def stop(signum, _frame):
        log.info("signal %s: stopping after the running job", signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if first is not None:
        _logged("startup", first)()
    scheduler.start()
