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

An edited campaign file is taken without a restart: the `reload` job looks at the file every
RELOAD_CHECK_SECONDS (its modification time and size), and SIGHUP (`systemctl reload`) makes it
read the file at once. A valid file replaces the campaign for the next jobs and moves the poll,
reminder and digest times if they changed; an invalid one is refused, its errors logged, and the
worker goes on with the campaign it had (runtime.reload_campaign).
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
RELOAD_SIGNAL = signal.SIGHUP
# How often the campaign file's modification time is looked at (one stat call).
RELOAD_CHECK_SECONDS = 5

# reload(force) -> the new campaign when the file was read again and taken, else None.
Reload = Callable[[bool], "Campaign | None"]


def _logged(name: str, job: Callable[..., object], quiet: bool = False) -> Callable[..., None]:
    """Run a job, log its outcome; an exception is logged and the worker goes on. A `quiet` job
    (the reload check, every few seconds) is logged only when it did something."""

    def run(*args, **kwargs) -> None:
        if not quiet:
            log.info("job %s: start", name)
        try:
            outcome = job(*args, **kwargs)
        except Exception:
            log.exception("job %s failed; the next run will try again", name)
            return
        if not quiet or outcome is not None:
            log.info("job %s: done %s", name, outcome if outcome is not None else "")

    return run


def build_scheduler(campaign: Campaign, poll: Callable, remind: Callable | None = None,
                    digest: Callable | None = None, startup: Callable | None = None,
                    poll_every: dt.timedelta | None = None, reload: Reload | None = None) -> BackgroundScheduler:
    """The worker's jobs, not started. `startup` runs once as soon as the scheduler starts;
    `poll_every` replaces the campaign's interval (tests use a fraction of a second); `reload`
    reads the campaign file again (see the module docstring)."""
    scheduler = BackgroundScheduler(timezone=campaign.tz, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS})
    triggers = _triggers(campaign, poll_every)
    scheduler.add_job(_logged("poll", poll), triggers["poll"], id="poll")
    if startup is not None:
        scheduler.add_job(_logged("startup", startup), id="startup")  # no trigger: once, now
    if remind is not None:
        scheduler.add_job(_logged("remind", remind), triggers["remind"], id="remind")
    if digest is not None:
        scheduler.add_job(_logged("digest", digest), triggers["digest"], id="digest")
    if reload is not None:
        scheduler.add_job(_logged("reload", _reloader(scheduler, campaign, reload, poll_every), quiet=True),
                          IntervalTrigger(seconds=RELOAD_CHECK_SECONDS), id="reload", kwargs={"force": False})
    return scheduler


def _triggers(campaign: Campaign, poll_every: dt.timedelta | None) -> dict:
    every = poll_every or dt.timedelta(minutes=max(1, campaign.poll_minutes))
    return {"poll": IntervalTrigger(seconds=every.total_seconds(), timezone=campaign.tz),
            "remind": CronTrigger(hour=campaign.reminder_time.hour, minute=campaign.reminder_time.minute,
                                  timezone=campaign.tz),
            "digest": CronTrigger(hour=campaign.digest_time.hour, minute=campaign.digest_time.minute,
                                  timezone=campaign.tz)}


def _reloader(scheduler: BackgroundScheduler, campaign: Campaign, reload: Reload,
              poll_every: dt.timedelta | None) -> Callable[..., object]:
    """The reload job: the campaign read again, and the jobs whose times changed moved."""
    current = {"campaign": campaign}

    def check(force: bool = False):
        new = reload(force)
        if new is None:
            return None
        old, current["campaign"] = current["campaign"], new
        timing = (lambda c: (c.poll_minutes, c.timezone), lambda c: (c.reminder_time, c.timezone),
                  lambda c: (c.digest_time, c.timezone))
        triggers = _triggers(new, poll_every)
        moved = []
        for job_id, when in zip(("poll", "remind", "digest"), timing):
            if when(old) != when(new) and scheduler.get_job(job_id) is not None:
                scheduler.reschedule_job(job_id, trigger=triggers[job_id])
                moved.append(job_id)
        return {"reloaded": new.source, "moved": moved}

    return check


def reload_now(scheduler: BackgroundScheduler) -> None:
    """Read the campaign file at once (SIGHUP), in the scheduler's threads like every job."""
    job = scheduler.get_job("reload")
    if job is None:
        log.info("signal SIGHUP: this worker does not reload its campaign file")
        return
    scheduler.add_job(job.func, id="reload-now", kwargs={"force": True}, replace_existing=True)


def run_forever(scheduler: BackgroundScheduler, ready: Callable[[], None] | None = None) -> None:
    """Run the scheduler until SIGTERM or SIGINT, then shut it down after the running jobs.

    The signals are caught before the scheduler starts and before `ready` is called (it tells
    the operator the worker runs), so a stop asked for at any moment from then on is a clean
    one. The main thread only waits: jobs run in the scheduler's threads."""
    stop, hup = threading.Event(), threading.Event()

    def on_signal(signum, _frame):
        log.info("signal %s: stopping after the running job", signum)
        stop.set()

    def on_hup(_signum, _frame):
        hup.set()  # the main thread passes it on: a signal handler must not take the scheduler's lock

    previous = {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}
    previous[RELOAD_SIGNAL] = signal.signal(RELOAD_SIGNAL, on_hup)
    try:
        scheduler.start()
        try:
            if ready is not None:
                ready()
            while not stop.wait(timeout=1):
                if hup.is_set():
                    hup.clear()
                    log.info("signal SIGHUP: reading the campaign file again")
                    reload_now(scheduler)
        finally:
            scheduler.shutdown(wait=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
