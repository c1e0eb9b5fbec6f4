"""Whether the bot may answer a message: the reply rules, in one place.

classify's first rules (classify.FIRST_RULES) already make the bot's own mail, bounces,
automatic replies and lists `ignore`, an action that never answers. The rules here are asked
again for every message whose action would answer its sender, like Mailman's can_acknowledge:
each rule is a small function, the first that objects decides. They reuse classify's signs
(`auto_submitted`, `bot_header`, `null_return_path`, `list_headers`, `mass_precedence`,
`authentication_failure`): each check is written once, and a message can never be answered
because one copy of a check drifted from the other.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Protocol

from .classify import (auto_submitted, authentication_failure, bot_header, list_headers, mass_precedence,
                       null_return_path)
from .config import Campaign
from .message import ParsedMessage
from .reason import Reason
from .store.db import Store

# Local parts of addresses that are robots or lists, never people (RFC 2142, RFC 3834 5).
_ROBOT = re.compile(r"^(mailer-?daemon|postmaster|no-?reply|do-?not-?reply|bounces?|listserv|majordomo)"
                    r"([+._-].*)?$|^owner-|-(request|bounces?|owner)$", re.I)


class Asking(Protocol):
    """What the rules look at besides the message (pipeline.Pass is one)."""

    campaign: Campaign
    store: Store
    now: dt.datetime


def not_automatic(p: Asking, message: ParsedMessage) -> Reason | None:
    """RFC 3834: no reply to mail that is itself automatic (Auto-Submitted other than "no"),
    to our own mail (X-Intake-Bot), or to mail with a null return path (bounces use it)."""
    return auto_submitted(message) or bot_header(message) or null_return_path(message)


def not_list_or_bulk(p: Asking, message: ParsedMessage) -> Reason | None:
    """No reply to lists (List-* headers) or to Precedence: bulk, junk or list (Mailman's rule):
    those go to many people, and an answer would go to the list or nowhere."""
    listed = list_headers(message)
    if listed:
        return Reason(f"mailing-list mail: {listed.en}", listed.vi)
    return mass_precedence(message)


def not_a_robot_address(p: Asking, message: ParsedMessage) -> Reason | None:
    """No reply to no address, to our own addresses, or to robots (mailer-daemon, postmaster,
    no-reply, list owners): nobody reads them, and some answer back."""
    address = message.from_address.strip().lower()
    if not address:
        return Reason("no sender address", "thư không có địa chỉ gửi")
    if address in p.campaign.own_addresses:
        return Reason(f"{address} is the bot's own address", f"{address} là địa chỉ của chính hệ thống")
    if _ROBOT.search(address.partition("@")[0]):
        return Reason(f"{address} is a robot's address", f"{address} là địa chỉ gửi thư tự động")
    return None


def authentication_passed(p: Asking, message: ParsedMessage) -> Reason | None:
    """No reply to mail whose sender failed our receiving server's authentication (DMARC, or
    SPF without a DKIM signature of the domain; classify.authentication_failure, the same test
    that keeps a forged unit address out of the unit's reports): its From is likely forged, and
    the reply would go to the person it imitates. Only the topmost header of our own server
    counts, so a header the sender wrote can neither block nor allow a reply."""
    return authentication_failure(message, p.campaign)


def under_rate_limit(p: Asking, message: ParsedMessage) -> Reason | None:
    """At most ack_max_per_sender_per_day replies to one address per day (the campaign's day):
    a loop with a robot we did not recognise ends there."""
    local = p.now.astimezone(p.campaign.tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    sent = p.store.acks_sent_to(message.from_address, midnight)
    if sent >= p.campaign.ack_max_per_sender_per_day:
        return Reason(f"already {sent} replies to {message.from_address} today (limit)",
                      f"hôm nay đã gửi {sent} thư trả lời tới {message.from_address}, "
                      "bằng giới hạn mỗi ngày")
    return None


REPLY_RULES = (not_automatic, not_list_or_bulk, not_a_robot_address, authentication_passed, under_rate_limit)
# Refusals the secretary hears of: the others are routine (robots, lists), these are not.
REPORTED_REFUSALS: set[Callable] = {authentication_passed, under_rate_limit}


@dataclass
class Refusal:
    """Why no reply goes: `reason` in English for the operator and the events, `reason_vi` for
    the secretary."""

    rule: Callable
    reason: str
    reason_vi: str


def reply_refusal(p: Asking, message: ParsedMessage) -> Refusal | None:
    """Why no reply may go to this message, or None: the first rule that objects."""
    for rule in REPLY_RULES:
        reason = rule(p, message)
        if reason:
            return Refusal(rule, reason.en, reason.vi)
    return None
