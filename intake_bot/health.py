"""The mailbox's health: a mailbox the worker cannot reach is tried again after growing pauses,
and people are told.

A silent stop is the worst failure this bot can have: units keep e-mailing their reports, none is
acknowledged, and nobody knows. A wrong or revoked password (a Gmail app password revoked with a
change of the account's password), a server that is gone, a connection lost for good in the
middle of a pass: each is a failed poll. The rules:

- Each failed poll is an event `mailbox_failed` in the store, part of an incident named by the
  time of its first failure (`20240509T031500Z`). The events are the memory: a worker restarted
  in the middle of an incident goes on with its count, its pauses, and does not alert again.
- The worker's poll job leaves the mailbox alone until the next try (`due`): the pauses double
  from the poll interval up to BACKOFF_LONGEST, so that a revoked password is not tried hundreds
  of times a day (providers lock out an account that keeps failing its login). A pass run by
  hand (`poll --once`) always tries.
- At the ALERT_AFTER_FAILURES-th failure in a row, one alert mail goes to the operator and the
  secretary (key `alert:mailbox:<incident>`, so a restart or a second failure cannot send it
  twice). One failure alone does not alert: the IMAP source already rides out short drops by
  reconnecting, and a server restarting at the moment of a poll is back by the next one.
- The first poll that works ends the incident (event `mailbox_recovered`) and, if the alert went,
  queues the all-clear (`recovered:mailbox:<incident>`).
- The digest says so (`digest_entries`): an incident still open, and those that ended since the
  previous digest.

The mails are in Vietnamese for both readers: the secretary must understand them, and the
operator reads the technical reason quoted in them.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Iterator

from .config import Campaign
from .draft import Draft
from .mailbox.base import SourceMessage
from .outbox import Outbox
from .store.db import Store
from .vnformat import vn_datetime

log = logging.getLogger(__name__)

FAILED = "mailbox_failed"
RECOVERED = "mailbox_recovered"
ALERT_AFTER_FAILURES = 2
BACKOFF_LONGEST = dt.timedelta(hours=1)
# A job fires on its schedule and reads the clock a moment later: a try due within this margin
# is due now, or every pause would be one poll interval longer than meant.
DUE_MARGIN = dt.timedelta(seconds=30)


@dataclass
class Incident:
    """A mailbox that has failed since `since`, `failures` polls in a row."""

    id: str
    since: dt.datetime
    failures: int
    reason: str
    next_try: dt.datetime
    alerted: bool


def incident_id(first_failure: dt.datetime) -> str:
    return first_failure.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def alert_key(incident: str) -> str:
    return f"alert:mailbox:{incident}"


def recovered_key(incident: str) -> str:
    return f"recovered:mailbox:{incident}"


def pause_after(failures: int, poll_every: dt.timedelta) -> dt.timedelta:
    """One poll interval after the first failure, then 2, 4, 8 ... intervals, at most an hour
    (never less than the poll interval itself)."""
    return max(poll_every, min(poll_every * 2 ** max(0, failures - 1), BACKOFF_LONGEST))


class MailboxHealth:
    """The open incident of one data directory, if any, read from the store's events."""

    def __init__(self, store: Store, campaign: Campaign, log: logging.Logger = log):
        self.store = store
        self.campaign = campaign
        self.incident = _open_incident(store)
        self.log = log  # the digest's sample data (`check`) passes a silent one

    def due(self, now: dt.datetime) -> bool:
        """Whether the worker's poll job may try the mailbox now."""
        return self.incident is None or now + DUE_MARGIN >= self.incident.next_try

    def after_fetch(self, error: str | None, now: dt.datetime, outbox: Outbox) -> None:
        """Record how the pass's fetch went: `error` is why it failed, None when it worked."""
        if error is None:
            self.recovered(now, outbox)
        else:
            self.failed(error, now, outbox)

    def failed(self, reason: str, now: dt.datetime, outbox: Outbox) -> None:
        """One more failed poll: the event, the next try, and the alert at the threshold."""
        previous = self.incident
        failures = previous.failures + 1 if previous else 1
        since = previous.since if previous else now
        ident = previous.id if previous else incident_id(now)
        next_try = now + pause_after(failures, dt.timedelta(minutes=max(1, self.campaign.poll_minutes)))
        recipients = self.recipients()
        alerted = bool(previous and previous.alerted)
        alert_now = failures >= ALERT_AFTER_FAILURES and not alerted and bool(recipients)
        with self.store.transaction() as s:
            if alert_now:
                outbox.queue(alert_key(ident), self._alert(ident, since, failures, reason, next_try, now),
                             now, session=s)
            self.store.add_event(FAILED, {"incident": ident, "since": since.isoformat(), "failures": failures,
                                          "reason": reason, "next_try": next_try.isoformat(),
                                          "alerted": alerted or alert_now}, now, session=s)
        # INFO: the pass has logged the failure itself as an error.
        self.log.info("mailbox failure %d of incident %s; next try at %s", failures, ident, next_try.isoformat())
        if failures >= ALERT_AFTER_FAILURES and not recipients:
            self.log.error("the campaign file names no operator or secretary address to tell of the failed mailbox")
        self.incident = Incident(ident, since, failures, reason, next_try, alerted or alert_now)

    def recovered(self, now: dt.datetime, outbox: Outbox) -> None:
        """A poll worked: the open incident, if any, ends, with the all-clear if it was alerted."""
        incident = self.incident
        if incident is None:
            return
        with self.store.transaction() as s:
            if incident.alerted and self.recipients():
                outbox.queue(recovered_key(incident.id), self._all_clear(incident, now), now, session=s)
            self.store.add_event(RECOVERED, {"incident": incident.id, "since": incident.since.isoformat(),
                                             "failures": incident.failures, "reason": incident.reason},
                                 now, session=s)
        self.log.info("the mailbox works again after %d failed polls (incident %s)", incident.failures, incident.id)
        self.incident = None

    def recipients(self) -> list[str]:
        """The operator and the secretary, each once; an empty address is left out."""
        addresses = [self.campaign.operator_email, self.campaign.secretary_email]
        return list(dict.fromkeys(a.strip() for a in addresses if a and a.strip()))

    # -------------------------------------------------------------- the two mails

    def _local(self, moment: dt.datetime) -> str:
        return vn_datetime(moment.astimezone(self.campaign.tz))

    def _alert(self, ident: str, since: dt.datetime, failures: int, reason: str, next_try: dt.datetime,
               now: dt.datetime) -> Draft:
        c = self.campaign
        text = (
            f"Kính gửi: cán bộ quản trị hệ thống và đồng chí {c.secretary_name or 'thư ký Đoàn giám sát'}\n\n"
            f"Hệ thống tiếp nhận báo cáo không truy cập được hộp thư {c.mailbox_address} "
            f"từ {self._local(since)} ({failures} lần thử không thành công, lần gần nhất lúc {self._local(now)}).\n\n"
            "Trong thời gian này, thư báo cáo của các đơn vị vẫn nằm trong hộp thư nhưng chưa được "
            "tiếp nhận và chưa được trả lời. Hệ thống tự động thử lại, thưa dần "
            f"(lần tới lúc {self._local(next_try)}), và sẽ báo khi truy cập lại được.\n\n"
            "Nếu lỗi là đăng nhập bị từ chối, đề nghị cán bộ quản trị kiểm tra mật khẩu ứng dụng "
            "của hộp thư (mật khẩu bị thu hồi khi đổi mật khẩu tài khoản) và đặt lại biến môi "
            "trường INTAKE_BOT_IMAP_PASSWORD cho hệ thống.\n\n"
            f"Chi tiết kỹ thuật: {reason}\n"
            f"Mã sự cố: {ident}\n\n"
            "Thư này do hệ thống tiếp nhận báo cáo gửi tự động.\n")
        return Draft(kind="alert", to=self.recipients(),
                     subject="[Hệ thống tiếp nhận báo cáo] Không truy cập được hộp thư", text=text)

    def _all_clear(self, incident: Incident, now: dt.datetime) -> Draft:
        c = self.campaign
        text = (
            f"Kính gửi: cán bộ quản trị hệ thống và đồng chí {c.secretary_name or 'thư ký Đoàn giám sát'}\n\n"
            f"Hệ thống tiếp nhận báo cáo đã truy cập lại được hộp thư {c.mailbox_address} "
            f"lúc {self._local(now)}, sau thời gian gián đoạn từ {self._local(incident.since)} "
            f"({incident.failures} lần thử không thành công).\n\n"
            "Các thư đến trong thời gian gián đoạn được tiếp nhận và trả lời như thường lệ.\n\n"
            f"Mã sự cố: {incident.id}\n\n"
            "Thư này do hệ thống tiếp nhận báo cáo gửi tự động.\n")
        return Draft(kind="alert", to=self.recipients(),
                     subject="[Hệ thống tiếp nhận báo cáo] Đã truy cập lại được hộp thư", text=text)


class UnreachableMailbox:
    """A mailbox that could not be opened, as a MailSource whose fetch raises why: the pass then
    goes on as for a mailbox lost in the middle (the failure recorded, the outbox flushed)."""

    def __init__(self, error: Exception):
        self.error = error

    def fetch_new(self) -> Iterator[SourceMessage]:
        raise self.error

    def fetch_all(self) -> Iterator[SourceMessage]:
        raise self.error

    def processed_messages(self) -> list[tuple[str, bytes]]:
        raise self.error

    def mark_processed(self, key: str) -> None:
        raise self.error

    def close(self) -> None:
        """Nothing was opened."""


def digest_entries(store: Store, since: dt.datetime, now: dt.datetime) -> list[dict]:
    """For the digest: the incident still open at `now`, and those that ended since `since`;
    each {state: "down" | "recovered", since, until, failures, reason}."""
    entries = [{"state": "recovered", "since": dt.datetime.fromisoformat(e.detail["since"]), "until": e.at,
                "failures": e.detail["failures"], "reason": e.detail["reason"]}
               for e in store.events(since, now, kinds=(RECOVERED,))]
    incident = _open_incident(store)
    if incident is not None:
        entries.append({"state": "down", "since": incident.since, "until": None,
                        "failures": incident.failures, "reason": incident.reason})
    return entries


def _open_incident(store: Store) -> Incident | None:
    last = store.last_event((FAILED, RECOVERED))
    if last is None or last.kind != FAILED:
        return None
    d = last.detail
    return Incident(d["incident"], dt.datetime.fromisoformat(d["since"]), int(d["failures"]), d["reason"],
                    dt.datetime.fromisoformat(d["next_try"]), bool(d.get("alerted")))
