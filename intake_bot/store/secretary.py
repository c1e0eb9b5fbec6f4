"""The secretary's part of the database: short references, commands, unit overrides, requests.

Kept apart from db.py (the mail's part) so that each file has one job; both work on the same
`Store` and its sessions. Writes take the caller's session when they belong to a command's
transaction (commands/__init__.py), so a command and its effect are committed together.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config import Campaign
from .db import Store
from .models import CommandRow, MessageRow, OutgoingRow, RequestRow, ShortRef, UnitOverride

REF_KINDS = ("message", "outgoing", "request", "command")
CAMPAIGN_WIDE = "*"  # the unit of an override that applies to every unit (reminders paused)
# Override names and what their value is.
STATUS, DEADLINE, PAUSED, NOT_APPLICABLE, ADDRESSES = (
    "status", "deadline", "reminders_paused", "not_applicable", "addresses")


# ------------------------------------------------------------------ short references


def new_ref(session: Session, kind: str, target_id: int, now: dt.datetime) -> int:
    """The next number of the campaign's one sequence, for this target (its own if it has one)."""
    existing = session.scalar(select(ShortRef.id).where(ShortRef.kind == kind, ShortRef.target_id == target_id))
    if existing is not None:
        return existing
    row = ShortRef(kind=kind, target_id=target_id, created_at=now)
    session.add(row)
    session.flush()
    return row.id


def ensure_refs(store: Store, now: dt.datetime) -> None:
    """Give every open review item and every failed or unknown outgoing mail its `#N`, oldest
    first. Numbers are given once and kept. Two processes numbering at once: the unique
    (kind, target) constraint refuses the second, which finds them numbered on its next try."""
    for _attempt in range(3):
        try:
            with store.transaction() as s:
                numbered = {(k, t) for k, t in s.execute(select(ShortRef.kind, ShortRef.target_id))}
                messages = s.scalars(select(MessageRow.id).where(MessageRow.review_state == "open")
                                     .order_by(MessageRow.received_at, MessageRow.id)).all()
                outgoing = s.scalars(select(OutgoingRow.id).where(OutgoingRow.state.in_(("failed", "unknown")))
                                     .order_by(OutgoingRow.id)).all()
                for kind, ids in (("message", messages), ("outgoing", outgoing)):
                    for target in ids:
                        if (kind, target) not in numbered:
                            s.add(ShortRef(kind=kind, target_id=target, created_at=now))
                            s.flush()
            return
        except IntegrityError:
            continue


def command_ref(session: Session, now: dt.datetime) -> int:
    """A `#N` for a command about to be recorded; `bind_command_ref` ties it to the row. (The
    command needs its number before its row exists: its effects name it.)"""
    row = ShortRef(kind="command", target_id=0, created_at=now)
    session.add(row)
    session.flush()
    return row.id


def bind_command_ref(session: Session, ref: int, command_id: int) -> None:
    session.get_one(ShortRef, ref).target_id = command_id
    session.flush()


def refs_in(session: Session, kind: str) -> dict[int, int]:
    """target id -> its `#N`, for one kind."""
    return dict(session.execute(select(ShortRef.target_id, ShortRef.id).where(ShortRef.kind == kind)).all())


def refs_of(store: Store, kind: str) -> dict[int, int]:
    with store.transaction() as s:
        return refs_in(s, kind)


def target_of(session: Session, ref: int) -> tuple[str, int] | None:
    row = session.get(ShortRef, ref)
    return (row.kind, row.target_id) if row else None


# ------------------------------------------------------------------ overrides


@dataclass
class Overrides:
    """What the secretary's commands changed about the units, as every view needs it."""

    status: dict[str, str] = field(default_factory=dict)          # unit -> exempt | received_offline
    deadline: dict[str, dt.date] = field(default_factory=dict)     # unit -> its own deadline
    paused: set[str] = field(default_factory=set)                  # units, or CAMPAIGN_WIDE
    not_applicable: dict[str, list[str]] = field(default_factory=dict)  # unit -> outline keys
    addresses: dict[str, list[str]] = field(default_factory=dict)  # unit -> added addresses

    def reminders_paused(self, unit: str) -> bool:
        return CAMPAIGN_WIDE in self.paused or unit in self.paused


def overrides(store: Store) -> Overrides:
    with store.transaction() as s:
        rows = s.scalars(select(UnitOverride)).all()
    found = Overrides()
    for row in rows:
        value = (row.value or {}).get("value")
        if row.name == STATUS:
            found.status[row.unit] = value
        elif row.name == DEADLINE:
            found.deadline[row.unit] = dt.date.fromisoformat(value)
        elif row.name == PAUSED and value:
            found.paused.add(row.unit)
        elif row.name == NOT_APPLICABLE:
            found.not_applicable[row.unit] = list(value or [])
        elif row.name == ADDRESSES:
            found.addresses[row.unit] = list(value or [])
    return found


def get_override(session: Session, unit: str, name: str):
    row = session.scalar(select(UnitOverride).where(UnitOverride.unit == unit, UnitOverride.name == name))
    return (row.value or {}).get("value") if row else None


def set_override(session: Session, unit: str, name: str, value, now: dt.datetime):
    """Set (or, with None, remove) one override; return the value it had (None when unset)."""
    row = session.scalar(select(UnitOverride).where(UnitOverride.unit == unit, UnitOverride.name == name))
    before = (row.value or {}).get("value") if row else None
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(UnitOverride(unit=unit, name=name, value={"value": value}, set_at=now))
    else:
        row.value, row.set_at = {"value": value}, now
    session.flush()
    return before


def with_overrides(campaign: Campaign, store: Store) -> Campaign:
    """The campaign as the secretary's commands left it: each unit with the addresses she added
    (used for matching, reminders, `status`) and the outline items she excused. Idempotent."""
    found = overrides(store)
    if not (found.addresses or found.not_applicable or any(u.not_applicable for u in campaign.units.values())):
        return campaign
    units = {uid: dataclasses.replace(
        unit, addresses=tuple(dict.fromkeys([*unit.addresses, *found.addresses.get(uid, [])])),
        not_applicable=tuple(found.not_applicable.get(uid, [])))
        for uid, unit in campaign.units.items()}
    return dataclasses.replace(campaign, units=units)


# ------------------------------------------------------------------ commands


def commands(store: Store, since: dt.datetime | None = None) -> list[CommandRow]:
    """Every command line recorded (since `since`), in the order given."""
    with store.transaction() as s:
        query = select(CommandRow).order_by(CommandRow.at, CommandRow.id)
        if since is not None:
            query = query.where(CommandRow.at >= since)
        return list(s.scalars(query))


def commands_of_source(session: Session, commander: str, message_row_id: int | None,
                       message_id: str | None) -> list[CommandRow]:
    """The lines already recorded for one command mail (by its row, or its Message-ID from the
    same commander): a mail seen again acts once."""
    if message_row_id is None and not message_id:
        return []
    query = select(CommandRow).order_by(CommandRow.line_no, CommandRow.id)
    if message_row_id is not None and message_id:
        query = query.where((CommandRow.source_message_row_id == message_row_id)
                            | ((CommandRow.source_message_id == message_id) & (CommandRow.commander == commander)))
    elif message_row_id is not None:
        query = query.where(CommandRow.source_message_row_id == message_row_id)
    else:
        query = query.where(CommandRow.source_message_id == message_id, CommandRow.commander == commander)
    return list(session.scalars(query))


def command_by_ref(session: Session, ref: int) -> CommandRow | None:
    return session.scalar(select(CommandRow).where(CommandRow.ref == ref))


def last_undoable(session: Session, commander: str) -> CommandRow | None:
    """The commander's latest command that is done, not undone, and can be undone."""
    rows = session.scalars(select(CommandRow).where(CommandRow.commander == commander,
                                                    CommandRow.result == "done",
                                                    CommandRow.undone_by.is_(None),
                                                    CommandRow.undo.is_not(None))
                           .order_by(CommandRow.at.desc(), CommandRow.id.desc()))
    return next((row for row in rows if row.undo), None)


# ------------------------------------------------------------------ additional requests


def requests(store: Store, unit: str | None = None) -> list[RequestRow]:
    with store.transaction() as s:
        query = select(RequestRow).where(RequestRow.status != "withdrawn").order_by(RequestRow.id)
        if unit is not None:
            query = query.where(RequestRow.unit == unit)
        return list(s.scalars(query))


def open_requests(store: Store) -> list[RequestRow]:
    return [r for r in requests(store) if r.status == "open"]
