"""`intake-bot init`: a campaign file written from a plan's facts (plan.py), for a person to check.

Every value the plan gave is written with the plan's own line above it; every fact it does not
give (the units' addresses, the operator, a blank plan number) is written empty or commented out
with a `# TODO:` mark saying what to fill in, which `intake-bot check` lists until the mark goes.
Settings the plan has no say in (schedule, reminders, limits) take the defaults of config.py.
"""
from __future__ import annotations

import datetime as dt
import json

from .config import TODO_MARK
from .plan import CampaignPlan, Fact
from .reader.schema import AppendixSchema
from .text import fold


def _s(value) -> str:
    """A TOML value: strings JSON-escaped (valid TOML basic strings), dates bare, lists inline."""
    if isinstance(value, (dt.date,)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_s(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _quoted(line: str | None) -> str:
    return f"# The plan: «{line if len(line) <= 160 else line[:157] + '…'}»\n" if line else ""


class _Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.todos: list[str] = []

    def section(self, title: str) -> None:
        self.lines.append(f"\n[{title}]")

    def fact(self, key: str, fact: Fact | None, todo: str, default=None) -> None:
        """`key = value` under the plan's line; a TODO (commented out when there is no default)."""
        if fact is not None and fact.value not in (None, ""):
            self.lines.append(_quoted(fact.line) + f"{key} = {_s(fact.value)}")
        elif default is not None:
            self.lines.append(f"{key} = {_s(default)}  {TODO_MARK} {todo}")
            self.todos.append(todo)
        else:
            self.lines.append(f"# {key} = \"\"  {TODO_MARK} {todo}")
            self.todos.append(todo)

    def value(self, key: str, value, comment: str | None = None) -> None:
        self.lines.append((f"# {comment}\n" if comment else "") + f"{key} = {_s(value)}")

    def text(self) -> str:
        return "\n".join(self.lines).lstrip("\n") + "\n"


def campaign_text(plan: CampaignPlan, source_name: str) -> tuple[str, list[str]]:
    """(the campaign file's text, the TODOs it carries)."""
    w = _Writer()
    w.lines.append(f"# Campaign file written by `intake-bot init` from {source_name}.\n"
                   "# Check every value against the plan (its own line is quoted above each), fill in every\n"
                   "# value marked TODO and delete its mark, then run `intake-bot check` (README, \"A new campaign\").")
    date = plan.value("date")
    deadline = plan.value("deadline")
    year = (date or deadline or dt.date.today()).year
    w.section("campaign")
    w.value("id", f"{_initials(plan.value('committee_short') or '') or 'giam-sat'}-{year}",
            "The committee's initials and the year; any short name of letters, digits and dashes.")
    w.fact("subject", plan.facts.get("subject"), "the subject of the supervision, as the plan words it after «KẾ HOẠCH»")
    w.fact("plan_number", plan.facts.get("number"), "the plan's number as printed, e.g. \"35/KH-ĐGS\" (blank in the plan)")
    w.fact("plan_date", plan.facts.get("date"), "the plan's date (YYYY-MM-DD; blank in the plan)")
    w.fact("plan_issuer", plan.facts.get("plan_issuer"), "who issues the plan, as the mails cite it")
    w.fact("committee", plan.facts.get("committee"), "the committee, e.g. \"Ban Kinh tế - Ngân sách HĐND tỉnh …\"")
    w.fact("committee_short", plan.facts.get("committee_short"), "the committee's short name")
    w.value("timezone", "Asia/Ho_Chi_Minh")
    w.fact("start", Fact(date, plan.facts["date"].line) if date else None,
           "the first day mail is looked at: the plan's date (YYYY-MM-DD)")
    w.fact("deadline", plan.facts.get("deadline"), "the day the reports are due (YYYY-MM-DD)")
    if plan.facts.get("period"):
        w.fact("period", plan.facts["period"], "")
    w.value("templates", "templates", "Mail wording: a copy of the project's templates/ folder beside this file "
                                      "(the bundled ones when it is absent).")

    w.section("mailbox")
    w.value("url", "maildir:Maildir", "maildir:PATH or imaps://USER@HOST:993/INBOX (README: the committee's Gmail).")
    w.fact("address", plan.facts.get("mailbox"), "the committee's address the units write to")

    w.section("secretary")
    w.fact("name", plan.facts.get("secretary_name"), "the secretary's name")
    w.fact("title", plan.facts.get("secretary_title"), "the secretary's title")
    w.fact("email", plan.facts.get("secretary_email") or plan.facts.get("mailbox"), "the secretary's e-mail address")
    w.fact("phone", plan.facts.get("secretary_phone"), "the secretary's phone number")

    w.section("operator")
    w.value("email", "", "Told when the mailbox cannot be reached (not in the plan); empty: the secretary only.")

    if plan.appendix is not None:
        _appendix(w, plan.appendix, plan.appendix_line)
    for outline in plan.outlines:
        w.lines.append("")
        w.lines.append(_quoted(outline.line).rstrip("\n"))
        w.lines.append(f"[outlines.{outline.id}]")
        w.value("title", outline.title)
        w.value("appendix", outline.kinds)
        w.lines.append("items = [")
        w.lines.extend(f"  {{ key = {_s(key)}, title = {_s(title)} }}," for key, title in outline.items)
        w.lines.append("]")
    for unit in plan.units:
        w.lines.append("")
        w.lines.append(_quoted(unit.line).rstrip("\n"))
        if unit.flag:
            w.lines.append(f"# Check: {unit.flag}.")
        w.lines.append("[[units]]")
        w.value("id", unit.id)
        w.value("name", unit.name)
        w.value("short_name", unit.short_name)
        if unit.outline:
            w.value("outline", unit.outline)
        w.value("issuer", unit.issuer, "As the unit's header prints it.")
        w.value("aliases", unit.aliases)
        todo = f"the e-mail addresses of {unit.short_name}"
        w.lines.append(f"addresses = []  {TODO_MARK} {todo}")
        w.todos.append(todo)
        w.value("leadership", [], "Copied on escalated reminders.")
    for group in plan.vague:
        w.lines.append("")
        w.lines.append(f"# The plan also names «{group}»: no unit can be registered by those words.\n"
                       "# For each such body, copy this block without the leading \"# \" and fill it in:\n"
                       "# [[units]]\n# id = \"\"\n# name = \"\"\n# short_name = \"\"\n# issuer = \"\"\n"
                       "# aliases = []\n# addresses = []")
    return w.text(), w.todos


def _initials(committee: str) -> str:
    """"Ban Kinh tế - Ngân sách" -> "ktns", as the committee's own addresses abbreviate it."""
    return "".join(w[0] for w in fold(committee).split()[1:])


def _appendix(w: _Writer, schema: AppendixSchema, line: str | None) -> None:
    w.lines.append("")
    w.lines.append("# The annex tables, by meaning (README, \"The appendix schema\").")
    if line:
        w.lines.append(f"# The plan's header: «{line}»")
    w.section("appendix")
    w.value("item", schema.item)
    w.value("row_name", schema.row_name)
    w.value("match_order", list(schema.match_order))
    w.value("total_words", list(schema.total_words))
    for kind in schema.kinds:
        w.section(f"appendix.kinds.{kind.key}")
        w.value("title", kind.title)
        w.value("words", list(kind.words))
    for group in schema.groups:
        w.lines.append("\n[[appendix.groups]]")
        w.value("key", group.key)
        w.value("words", list(group.words))
    for column in schema.columns:
        w.lines.append("\n[[appendix.columns]]")
        w.value("key", column.key)
        w.value("title", column.title)
        w.value("type", column.type)
        w.value("label", column.label)
        w.value("label_en", column.label_en)
        for name in ("words", "starts", "exact"):
            if getattr(column, name):
                w.value(name, list(getattr(column, name)))
        if not column.read:
            w.value("read", False)
        if column.at_most:
            w.value("at_most", column.at_most)


def summary(plan: CampaignPlan, todos: list[str], out: str) -> str:
    """What `init` prints: each fact found with the plan's line, then what needs a person."""
    lines = [f"Wrote {out}.", "", "Found in the plan:"]
    names = {"number": "plan number", "date": "plan date", "subject": "subject", "committee": "committee",
             "deadline": "deadline", "period": "period", "mailbox": "mailbox", "secretary_name": "secretary",
             "secretary_phone": "secretary's phone"}
    for key, label in names.items():
        fact = plan.facts.get(key)
        if fact and fact.value:
            lines.append(f"  {label}: {fact.value}  ← «{_short(fact.line)}»")
    for unit in plan.units:
        lines.append(f"  unit {unit.id}: {unit.name} (outline {unit.outline or '-'})  ← «{_short(unit.line)}»")
    for outline in plan.outlines:
        lines.append(f"  outline {outline.id}: {len(outline.items)} items, for {', '.join(outline.units) or 'no unit'}"
                     f"  ← «{_short(outline.line)}»")
    if plan.appendix is not None:
        lines.append(f"  appendix: kinds {', '.join(plan.appendix.kind_keys())}; columns "
                     f"{', '.join(c.key for c in plan.appendix.read_columns)}  ← «{_short(plan.appendix_line)}»")
    lines += ["", "Needs a person:"]
    needs = [f"TODO {t}" for t in todos] + [f"check: {u.flag}" for u in plan.units if u.flag]
    needs += [f"a template block for «{g}»" for g in plan.vague] + plan.notes
    needs.append("optional: [operator] email, told when the mailbox cannot be reached")
    lines += [f"  - {n}" for n in needs] or ["  nothing"]
    return "\n".join(lines)


def _short(line: str | None) -> str:
    line = line or ""
    return line if len(line) <= 90 else line[:87] + "…"
