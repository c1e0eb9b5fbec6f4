"""The wiring: the global options resolved (`Runtime`), the store, outbox and transport of one
command (`Services`), one poll pass under the lock (`one_pass`) and the worker's jobs
(`worker_jobs`). The command line (cli.py) and the demo (demo.py) both build on this module, and
neither imports the other.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .config import Campaign, ConfigError, load_campaign
from .mailbox.base import MailboxError

log = logging.getLogger(__name__)


class UserError(Exception):
    """A problem the user can fix; its text is shown as is."""


class Runtime:
    """The global options resolved against the campaign file."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        # As the campaign file says; `campaign` is it as the secretary's commands left it
        # (addresses added, items excused), refreshed each time Services opens the store.
        self.base_campaign: Campaign = load_campaign(args.config)
        self.campaign: Campaign = self.base_campaign
        self.data_dir = Path(args.data_dir)
        self.now = parse_now(args.now, self.campaign)
        self.mailbox_url = args.mailbox or self.campaign.mailbox_url
        self.smtp_url = args.smtp or self.campaign.smtp_url
        self.config_stamp = file_stamp(self.base_campaign.source)

    def prepare_data_dir(self, create: bool = True) -> Path:
        """Create the data dir readable by its owner only (or, without `create`, require it), and
        log into it (once per process: the worker calls this for every job). A path that is a
        file, or cannot be made, is a UserError, one line."""
        where = f"--data-dir {self.data_dir}"
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise UserError(f"{where} is a file, not a directory")
        if not create and not self.data_dir.is_dir():
            raise UserError(f"{where} does not exist: nothing was recorded there. Check --data-dir "
                            "(`poll`, `run` and `demo` create it)")
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{where}: cannot create it ({exc.strerror or exc})") from None
        path = str((self.data_dir / "intake-bot.log").resolve())
        root = logging.getLogger()
        if not any(getattr(h, "baseFilename", None) == path for h in root.handlers):
            handler = logging.FileHandler(path, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            root.addHandler(handler)
        return self.data_dir


def file_stamp(path: str) -> tuple[int, int] | None:
    """What tells an edited file: its modification time and size (None when it cannot be read)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def reload_campaign(rt: Runtime, force: bool = False) -> Campaign | None:
    """The worker's campaign file read again when it changed on disk, or always with `force`
    (SIGHUP), between passes (under the pass lock). A valid file replaces the campaign, and the
    mailbox and SMTP URLs not given on the command line; the new campaign is returned. An invalid
    one is refused with its errors logged, and the worker keeps the campaign it had (None); the
    same broken file is not reported again until it changes."""
    from .lock import pass_lock

    source = rt.base_campaign.source
    stamp = file_stamp(source)
    if not force and stamp == rt.config_stamp:
        return None
    with pass_lock(rt.data_dir, wait=600):
        rt.config_stamp = stamp
        try:
            campaign = load_campaign(source)
        except ConfigError as exc:
            log.error("the edited campaign file is refused; the worker goes on with the campaign it had:\n%s",
                      exc.explain())
            return None
        rt.base_campaign = rt.campaign = campaign
        rt.mailbox_url = rt.args.mailbox or campaign.mailbox_url
        rt.smtp_url = rt.args.smtp or campaign.smtp_url
    log.info("campaign file %s read again%s: campaign %s, %d units, deadline %s; poll every %d min, reminders "
             "at %s, digest at %s", source, " (SIGHUP)" if force else "", campaign.id, len(campaign.units),
             campaign.deadline, campaign.poll_minutes, f"{campaign.reminder_time:%H:%M}",
             f"{campaign.digest_time:%H:%M}")
    return campaign


def parse_now(text: str | None, campaign: Campaign) -> dt.datetime:
    """--now as an aware datetime; a naive one is in the campaign's time zone."""
    if not text:
        return dt.datetime.now(campaign.tz)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--now: {text!r} is not an ISO-8601 time such as 2024-05-13T08:00:00+07:00") from None
    return value if value.tzinfo else value.replace(tzinfo=campaign.tz)


class Services:
    """The store, outbox and transport of one command."""

    def __init__(self, rt: Runtime, create: bool = True):
        """`create`: make the data directory when missing (`status` only reads: it does not)."""
        from .outbox import Outbox, open_transport
        from .secrets import SecretError
        from .store.db import Store

        from .store.secretary import with_overrides

        rt.prepare_data_dir(create)
        self.store = Store(rt.data_dir)
        rt.campaign = with_overrides(rt.base_campaign, self.store)
        self.outbox = Outbox(self.store, rt.campaign)
        try:
            self.transport = open_transport(rt.smtp_url, rt.data_dir)
        except (ValueError, SecretError) as exc:
            self.store.close()
            raise UserError(f"--smtp: {exc}") from None
        except OSError as exc:
            self.store.close()
            raise UserError(f"--smtp {rt.smtp_url}: cannot use it ({exc.strerror or exc})") from None

    def close(self) -> None:
        self.store.close()


def one_pass(rt: Runtime, scheduled: bool = False, rescan: bool = False) -> dict:
    """fetch → classify → read → record → acknowledge → mark, then the outbox flushed, under the
    pass lock. A mailbox that cannot be opened makes a pass like one lost mid-way: a failed poll
    for health.py (which tells the operator and the secretary), and the outbox still flushed.
    `scheduled` (the worker's poll job) leaves a failing mailbox alone until health.py's next try,
    and only flushes the outbox meanwhile; a pass asked for by hand always tries. `rescan`
    (`poll --rescan`) takes the processed mail and DATA/archive too, without answering again
    what was answered before (lost_store.py); a mailbox that cannot be opened then stops it."""
    from .health import MailboxHealth, UnreachableMailbox
    from .lock import pass_lock
    from .lost_store import MailboxAndArchive
    from .mailbox.url import open_source
    from .pipeline import PassSummary, run_pass

    rt.prepare_data_dir()  # before the lock file goes in it: a bad --data-dir is one clear line
    with pass_lock(rt.data_dir, wait=rt.args.wait if "wait" in rt.args else 0.0):
        services = Services(rt)
        try:
            health = MailboxHealth(services.store, rt.campaign)
            if scheduled and not health.due(rt.now):
                summary = PassSummary(skipped=f"the mailbox has failed {health.incident.failures} times; "
                                              f"next try at {health.incident.next_try.isoformat()}")
                summary.outbox = services.outbox.flush(services.transport, rt.now)
                return summary.to_json()
            try:
                source = open_source(rt.mailbox_url, rt.data_dir, rt.campaign)
            except MailboxError as exc:
                if rescan:
                    raise
                source = UnreachableMailbox(exc)
            if rescan:
                source = MailboxAndArchive(source, services.store, rt.campaign)
            try:
                return run_pass(rt.campaign, services.store, source, services.transport, rt.now,
                                health=health, rescan=rescan).to_json()
            finally:
                source.close()
        finally:
            services.close()


@dataclass
class WorkerJobs:
    """The worker's jobs over one Runtime (worker.build_scheduler takes them)."""

    poll: Callable[[], object]
    remind: Callable[[], object]
    digest: Callable[[], object]
    startup: Callable[[], object]
    reload: Callable[[bool], Campaign | None]


def worker_jobs(rt: Runtime) -> WorkerJobs:
    """poll, remind, digest and the start-up run (a poll, then the digest missed meanwhile),
    each on the real time (a --now given to `run` only shifts the first pass)."""
    from .digest import queue_digest
    from .dossier import queue_scheduled_dossier
    from .followup import run_reminders
    from .lock import pass_lock

    def remind():
        services = Services(rt)
        try:
            with pass_lock(rt.data_dir, wait=600):
                refusal = sending_refused(rt, services)
                if refusal:
                    log.error("job remind: %s", refusal)
                    return {"refused": refusal}
                return run_reminders(rt.campaign, services.store, services.outbox, services.transport,
                                     clock(rt), caller_holds_lock=True)
        finally:
            services.close()

    def digest():
        services = Services(rt)
        try:
            with pass_lock(rt.data_dir, wait=600):
                refusal = sending_refused(rt, services)
                if refusal:
                    log.error("job digest: %s", refusal)
                    return {"refused": refusal}
                queued = queue_digest(rt.campaign, services.store, services.outbox, clock(rt))
                dossier = queue_scheduled_dossier(rt.campaign, services.store, services.outbox, clock(rt))
                return {"queued": bool(queued), "dossier": dossier.number if dossier else None,
                        **services.outbox.flush(services.transport, clock(rt))}
        finally:
            services.close()

    def poll():
        rt.now = clock(rt)
        return one_pass(rt, scheduled=True)

    def startup():
        return poll(), digest()

    return WorkerJobs(poll=poll, remind=remind, digest=digest, startup=startup,
                      reload=lambda force: reload_campaign(rt, force))


def sending_refused(rt: Runtime, services: Services) -> str | None:
    """Why no reminder or digest may go now: the database does not know mail the mailbox marks
    processed (lost_store.py); None when it may."""
    from .lost_store import check_before_sending

    return check_before_sending(services.store, rt.mailbox_url, rt.data_dir, rt.campaign)


def clock(rt: Runtime) -> dt.datetime:
    """The worker's jobs use the real time."""
    return dt.datetime.now(rt.campaign.tz)
