"""The secretary's commands (../shared/spec/commands.md): reading a line, applying it, recording it.

    parse_line(text, campaign)  -> ParsedCommand | None   (None: not a command line)
    execute(ctx, lines, commander, at, source) -> [LineResult]   (one per command line)

Each command line is applied in its own transaction together with its record (table `commands`,
its own `#N`) and its event (`command`): all or nothing. A line that cannot be applied changes
nothing and is recorded `refused` with the reason. Lines of one command mail are applied once: a
second `execute` for the same mail returns the first results. The commands themselves are the
small classes of this package's other modules (base.py says how to add one).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select

from ..config import Campaign
from ..store import secretary
from ..store.models import CommandRow, EventRow, RequestRow
from .base import Command, Context, Effect, Invocation, Refusal, SourceRef, registry
from ..text import fold
from .words import match_words, strip_bullet

__all__ = ["Context", "SourceRef", "ParsedCommand", "LineResult", "parse_line", "execute",
           "record_refused", "help_text", "answer_requests", "Refusal", "Effect"]

log = logging.getLogger(__name__)
DONE, REFUSED = "done", "refused"


@dataclass
class ParsedCommand:
    """A line that starts with a command's words. `error_vi` is set when its arguments do not
    fit (it will be refused); `suggestion_vi` is then the closest valid form, if any."""

    command: Command
    line: str
    args: dict
    error_vi: str | None = None
    error_en: str | None = None
    suggestion_vi: str | None = None

    @property
    def name_vi(self) -> str:
        return self.command.name_vi


@dataclass
class LineResult:
    """One command line's outcome, for the confirmation mail and `intake-bot command`."""

    line: str
    name_vi: str
    ok: bool
    ref: int | None
    effect_vi: str
    suggestion_vi: str | None = None
    undo_vi: str | None = None
    repeated: bool = False

    def to_json(self) -> dict:
        return {"line": self.line, "command": self.name_vi, "result": DONE if self.ok else REFUSED,
                "ref": self.ref, "effect": self.effect_vi, "suggestion": self.suggestion_vi,
                "undo": self.undo_vi, "repeated": self.repeated}


_PHRASES: dict[str, list[tuple[str, Command]]] = {}


def _phrases(first_word: str) -> list[tuple[str, Command]]:
    """The commands' words that start with this (folded) word, the longest first ("HỦY MIỄN"
    before "MIỄN", "NỘP THAY CHO" before "NỘP THAY")."""
    if not _PHRASES:
        pairs = sorted(((word, command) for command in registry().values() for word in command.words),
                       key=lambda pair: len(pair[0].split()), reverse=True)
        for word, command in pairs:
            _PHRASES.setdefault(fold(word.split()[0]), []).append((word, command))
    return _PHRASES.get(first_word, [])


def parse_line(text: str, campaign: Campaign) -> ParsedCommand | None:
    line = strip_bullet(text)
    for phrase, command in _phrases(fold(line.split(" ")[0].strip(":,.;"))):
        rest = match_words(line, phrase)
        if rest is None:
            continue
        try:
            return ParsedCommand(command, line, command.parse(rest, campaign))
        except Refusal as refusal:
            return ParsedCommand(command, line, {}, refusal.vi, refusal.en, refusal.suggestion_vi)
    return None


def help_text(campaign: Campaign) -> str:
    """The Vietnamese list of commands with an example each."""
    lines = ["Các lệnh đồng chí có thể gửi (mỗi lệnh một dòng, ở tiêu đề hoặc đầu nội dung thư; "
             "viết hoa hay thường, có dấu hay không dấu đều được):", ""]
    for command in sorted(registry().values(), key=lambda c: c.order):
        lines.append(f"- {command.usage_vi}: {command.summary_vi}")
        lines.append(f"    Ví dụ: {command.example}")
    lines += ["", "Số tham chiếu #N của thư cần xem xét và của thư gửi không thành công có trong thư tổng hợp "
              "hằng ngày và trong lệnh `intake-bot review`. Ngày viết dạng 20/5/2024, 20/5 hoặc 2024-05-20."]
    return "\n".join(lines)


def execute(ctx: Context, lines: list[str], commander: str, at: dt.datetime,
            source: SourceRef | None = None) -> list[LineResult]:
    """Apply the command lines among `lines` as `commander`; [] when none is a command line."""
    source = source or SourceRef(via="cli")
    commander = commander.strip().lower()
    parsed = [(n, p) for n, p in ((n, parse_line(text, ctx.campaign)) for n, text in enumerate(lines)) if p]
    if not parsed:
        return []
    secretary.ensure_refs(ctx.store, at)
    with ctx.store.transaction() as s:
        done_before = {row.line_no: row for row in
                       secretary.commands_of_source(s, commander, source.message_row_id, source.message_id)}
    results = []
    for line_no, command in parsed:
        if line_no in done_before:
            results.append(_result(done_before[line_no], command.name_vi, repeated=True))
            continue
        results.append(_apply(ctx, command, [p for _, p in parsed if p is not command], commander, at,
                              source, line_no))
    return results


def record_refused(ctx: Context, lines: list[str], sender: str, at: dt.datetime, source: SourceRef,
                   reason_en: str, reason_vi: str) -> list[LineResult]:
    """Record the command lines of a mail that may not command (not a commander, or forged):
    each `refused` with the reason, nothing applied; once per mail."""
    sender = sender.strip().lower()
    parsed = [(n, p) for n, p in ((n, parse_line(text, ctx.campaign)) for n, text in enumerate(lines)) if p]
    results = []
    with ctx.store.transaction() as s:
        done_before = {row.line_no: row for row in
                       secretary.commands_of_source(s, sender, source.message_row_id, source.message_id)}
        for line_no, command in parsed:
            if line_no in done_before:
                results.append(_result(done_before[line_no], command.name_vi, repeated=True))
                continue
            row = _record(s, ctx, command, sender, at, source, line_no, REFUSED, reason_vi, reason_en)
            results.append(_result(row, command.name_vi))
    return results


def _apply(ctx: Context, parsed: ParsedCommand, siblings: list[ParsedCommand], commander: str,
           at: dt.datetime, source: SourceRef, line_no: int) -> LineResult:
    if parsed.error_vi is None:
        try:
            with ctx.store.transaction() as s:
                ref = secretary.command_ref(s, at)
                inv = Invocation(ctx, s, commander, at, source, ref, parsed.args, siblings)
                effect = parsed.command.apply(inv)
                row = _record(s, ctx, parsed, commander, at, source, line_no, DONE, effect.vi, effect.en,
                              ref=ref, undo=effect.undo)
                return _result(row, parsed.name_vi)
        except Refusal as refusal:
            parsed = ParsedCommand(parsed.command, parsed.line, parsed.args, refusal.vi, refusal.en,
                                   refusal.suggestion_vi)
        except Exception as exc:  # a fault of ours: nothing applied (rolled back), said as such
            log.exception("command %r failed", parsed.line)
            parsed = ParsedCommand(parsed.command, parsed.line, parsed.args,
                                   "hệ thống gặp lỗi khi thực hiện lệnh nên chưa thay đổi gì; đề nghị báo cán bộ kỹ thuật",
                                   f"internal error: {type(exc).__name__}: {exc}")
    log.info("command refused: %s (%s)", parsed.line, parsed.error_en)
    with ctx.store.transaction() as s:
        row = _record(s, ctx, parsed, commander, at, source, line_no, REFUSED, parsed.error_vi,
                      parsed.error_en or "", suggestion=parsed.suggestion_vi)
        return _result(row, parsed.name_vi)


def _record(s, ctx: Context, parsed: ParsedCommand, commander: str, at: dt.datetime, source: SourceRef,
            line_no: int, result: str, effect_vi: str, effect_en: str, ref: int | None = None,
            undo: dict | None = None, suggestion: str | None = None) -> CommandRow:
    if ref is None:
        ref = secretary.command_ref(s, at)
    row = CommandRow(ref=ref, commander=commander, line=parsed.line[:2000], name=parsed.command.name,
                     result=result, at=at, effect=effect_vi, effect_en=effect_en, suggestion=suggestion,
                     undo=undo, via=source.via, source_message_row_id=source.message_row_id,
                     source_message_id=source.message_id, line_no=line_no)
    s.add(row)
    s.flush()
    secretary.bind_command_ref(s, ref, row.id)
    s.add(EventRow(at=at, kind="command", unit=(undo or {}).get("unit"), message_row_id=source.message_row_id,
                   detail={"ref": ref, "from": commander, "line": row.line, "result": result,
                           "effect": effect_en, "effect_vi": effect_vi, "via": source.via}))
    return row


def _result(row: CommandRow, name_vi: str, repeated: bool = False) -> LineResult:
    ok = row.result == DONE
    return LineResult(line=row.line, name_vi=name_vi, ok=ok, ref=row.ref, effect_vi=row.effect,
                      suggestion_vi=row.suggestion,
                      undo_vi=f"HOÀN TÁC #{row.ref}" if ok and row.undo else None, repeated=repeated)


# ------------------------------------------------------------------ answers to additional requests


def answer_requests(ctx: Context, unit_id: str, message_row_id: int, references: list[str],
                    text: str) -> list[int]:
    """Close the unit's open requests that this recorded mail answers: a reply to the request
    mail (its Message-ID in In-Reply-To / References) or a mail naming the request's `#N`."""
    named = {int(n) for n in re.findall(r"#\s?(\d{1,9})\b", text or "")}
    closed = []
    with ctx.store.transaction() as s:
        rows = s.scalars(select(RequestRow).where(RequestRow.unit == unit_id, RequestRow.status == "open")).all()
        refs = secretary.refs_in(s, "request")
        for row in rows:
            mail = ctx.store.outgoing(row.outgoing_key) if row.outgoing_key else None
            if (mail is not None and mail.message_id in references) or refs.get(row.id) in named:
                row.status, row.answered_at, row.answered_by = "answered", ctx.now, message_row_id
                closed.append(refs.get(row.id))
                s.add(EventRow(at=ctx.now, kind="request_answered", unit=unit_id, message_row_id=message_row_id,
                               detail={"ref": refs.get(row.id), "text": row.text}))
    return closed
