"""What every command is, and the registry that finds them.

As Mailman's `commands/eml_*.py`: a command is one small class with its Vietnamese name, its
synonyms (the English form among them; written with or without diacritics), how it reads its
arguments, what it does (`apply`) and how that is undone (`undo`). A module of this package that
defines one and decorates it with `@register` is a command; nothing else to edit.
"""
from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session

from ..config import Campaign
from ..outbox import Outbox
from ..reader.isolated import extract_isolated
from ..store.db import Store


class Refusal(Exception):
    """The command cannot be applied: nothing changed. `vi` says why to the secretary, `en` to
    the operator's log; `suggestion_vi` is the closest valid form, when there is one."""

    def __init__(self, vi: str, en: str, suggestion_vi: str | None = None):
        super().__init__(en)
        self.vi, self.en, self.suggestion_vi = vi, en, suggestion_vi


@dataclass
class Effect:
    """What a command did: in Vietnamese (confirmed to the secretary) and English (the event),
    and what undoing it needs (None: it cannot be undone, e.g. a mail that went out)."""

    vi: str
    en: str
    undo: dict | None = None


@dataclass
class Context:
    """What the effects work with. Effects only queue mail: the caller flushes the outbox."""

    campaign: Campaign
    store: Store
    outbox: Outbox
    now: dt.datetime
    extract: Callable = extract_isolated


@dataclass
class SourceRef:
    """Where the lines came from: the recorded command mail, or the command line (`via="cli"`)."""

    message_row_id: int | None = None
    message_id: str | None = None
    via: str = "mail"


@dataclass
class Invocation:
    """One command line being applied, inside its transaction (`session`)."""

    ctx: Context
    session: Session
    commander: str
    at: dt.datetime
    source: SourceRef
    ref: int
    args: dict
    siblings: list = field(default_factory=list)  # the other ParsedCommands of the same mail


class Command:
    """One command. Subclasses set the class attributes and implement `parse` and `apply`;
    those that can be undone implement `undo` and return undo data from `apply`."""

    name: str = ""          # English id, e.g. "assign"
    name_vi: str = ""       # as shown: "GÁN"
    words: tuple[str, ...] = ()   # every form that starts the line: ("GÁN", "ASSIGN")
    usage_vi: str = ""      # "GÁN #<số> <đơn vị>"
    example: str = ""       # "GÁN #12 Văn Lâm"
    summary_vi: str = ""    # one line for the help text
    order: int = 100        # place in the help text

    def parse(self, rest: str, campaign: Campaign) -> dict:
        """The arguments in `rest` (the line after the command words); Refusal when they do
        not fit."""
        return {}

    def apply(self, inv: Invocation) -> Effect:
        raise NotImplementedError

    def undo(self, inv: Invocation, data: dict) -> Effect:
        raise Refusal(f"lệnh {self.name_vi} không hoàn tác được", f"{self.name} cannot be undone")


_REGISTRY: dict[str, Command] = {}


def register(cls: type[Command]) -> type[Command]:
    """Class decorator: make the command known by its name."""
    _REGISTRY[cls.name] = cls()
    return cls


def registry() -> dict[str, Command]:
    """Every command of the package, by name (the modules are imported on first use)."""
    if not _REGISTRY or not _loaded:
        _load_all()
    return _REGISTRY


_loaded: list[bool] = []


def _load_all() -> None:
    package = __name__.rpartition(".")[0]
    path = importlib.import_module(package).__path__
    for module in pkgutil.iter_modules(path):
        if module.name not in ("base", "words"):
            importlib.import_module(f"{package}.{module.name}")
    _loaded.append(True)


def restore_override(inv: Invocation, data: dict) -> Effect:
    """Undo of a command that set one override: the value it had before comes back, unless a
    later command changed it since (undo that one first: nothing is overwritten blindly)."""
    from ..store import secretary

    if secretary.get_override(inv.session, data["unit"], data["name"]) != data.get("after"):
        raise Refusal("một lệnh sau đã thay đổi lại nội dung này; đề nghị hoàn tác lệnh sau trước",
                      f"{data['name']} of {data['unit']} changed since")
    secretary.set_override(inv.session, data["unit"], data["name"], data.get("before"), inv.at)
    unit = inv.ctx.campaign.units.get(data["unit"])
    who = unit.short_name if unit else "toàn đợt giám sát"
    return Effect(f"đã trả lại như trước lệnh đó ({who})", f"override {data['name']} of {data['unit']} restored")
