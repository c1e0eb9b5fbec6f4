"""The campaign file: units, outlines, deadline, mailbox, schedule — loaded from TOML and checked.

Every problem is reported with the file, the key and the reason, all at once, so that an operator
fixes the file in one go; never a traceback.

A key is known because it is read: `_Reader.get` remembers every key it was asked for, and
`_Reader.records` / `_Reader.tables` take the keys allowed in each `[[array]]` element or `[x.ID]`
table. Whatever the file holds beyond that is a typo (`[remiders]`, `poll_minuts`, `adresses`)
and an error naming the closest known name. A new setting is therefore declared where it is read,
and nowhere else.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .vnformat import vn_short_date
from .reader.schema import AppendixSchema, schema_from

DEFAULT_CONFIG = Path("config/hung-yen-2024.toml")
UNITS_ENV = "INTAKE_BOT_UNITS"
# Where config/, templates/ and samples/ are found when not given: installed inside the package
# (see pyproject.toml), or at the top of a source checkout (editable install, tests).
_PACKAGE = Path(__file__).resolve().parent
BUNDLED_ROOTS = (_PACKAGE / "bundled", _PACKAGE.parent)


def bundled(name: str) -> Path:
    """The bundled config/, templates/ or samples/ directory."""
    for root in BUNDLED_ROOTS:
        if (root / name).is_dir():
            return root / name
    return BUNDLED_ROOTS[0] / name


class ConfigError(Exception):
    """The campaign file cannot be used; `problems` lists every reason."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))

    def explain(self) -> str:
        return "\n".join(f"{self.path}: {p}" for p in self.problems)


@dataclass(frozen=True)
class OutlineItem:
    key: str
    title: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outline:
    id: str
    title: str
    items: tuple[OutlineItem, ...]
    appendix: tuple[str, ...] = ()

    def keys(self) -> list[str]:
        return [i.key for i in self.items]

    def title_of(self, key: str) -> str:
        for item in self.items:
            if item.key == key:
                return item.title
        return key


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    short_name: str
    outline: str | None
    issuer: str
    aliases: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    leadership: tuple[str, ...] = ()
    # Outline keys the secretary said this unit need not report on (KHÔNG ÁP DỤNG, commands/).
    not_applicable: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    max_message_mb: float = 40.0
    max_attachment_mb: float = 25.0
    max_unpacked_mb: float = 100.0
    max_archive_entries: int = 200
    max_archive_depth: int = 3
    max_pdf_pages: int = 300
    seconds_per_file: float = 20.0
    max_reading_mb: float = 1024.0

    @property
    def max_message_bytes(self) -> int:
        return int(self.max_message_mb * 1024 * 1024)

    @property
    def max_attachment_bytes(self) -> int:
        return int(self.max_attachment_mb * 1024 * 1024)

    @property
    def max_unpacked_bytes(self) -> int:
        return int(self.max_unpacked_mb * 1024 * 1024)


@dataclass(frozen=True)
class ReminderPolicy:
    before_days: tuple[int, ...] = (3, 1)
    on_deadline: bool = True
    overdue_every: int = 2
    overdue_max: int = 4
    escalate_from: int = 2


@dataclass(frozen=True)
class ZoneEntry:
    """A zone named in `[[reconcile.zones]]`: its other names, and the units whose appendix must
    list it (the district it lies in)."""

    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReconcilePolicy:
    """How the appendix rows of different units are compared (reconcile.py). `province_wide`:
    unit id -> the kinds of zone it lists for the whole province (the Department every cluster,
    the zones board every zone), so a zone of that kind reported by anyone else must be in its list."""

    area_tolerance_ha: float = 0.01
    occupancy_tolerance_pct: float = 0.1
    province_wide: dict[str, tuple[str, ...]] = field(default_factory=dict)
    zones: tuple[ZoneEntry, ...] = ()


@dataclass(frozen=True)
class Member:
    """A member (or invited delegate) of the supervision delegation, who gets the dossier."""

    name: str
    role: str
    email: str


@dataclass(frozen=True)
class Campaign:
    id: str
    subject: str
    plan_number: str
    plan_date: dt.date
    plan_issuer: str
    committee: str
    committee_short: str
    timezone: str
    start: dt.date
    deadline: dt.date
    templates_dir: Path
    mailbox_url: str
    mailbox_address: str
    processed_keyword: str
    gmail_label: str
    move_processed_to: str
    fetch_batch: int
    smtp_url: str
    from_address: str
    from_name: str
    smtp_max_attempts: int
    secretary_name: str
    secretary_title: str
    secretary_email: str
    secretary_phone: str
    operator_email: str
    poll_minutes: int
    reminder_time: dt.time
    digest_time: dt.time
    ack_max_per_sender_per_day: int
    reminders: ReminderPolicy
    extra_days_off: tuple[dt.date, ...]
    extra_working_days: tuple[dt.date, ...]
    limits: Limits
    ocr: bool
    ocr_language: str
    outlines: dict[str, Outline]
    units: dict[str, Unit]
    appendix: AppendixSchema = AppendixSchema()
    # The period the supervision covers, as the plan words it ("giai đoạn từ năm 2021 đến hết năm 2023").
    period: str = ""
    source: str = ""
    own_addresses: frozenset[str] = field(default_factory=frozenset)
    trusted_receivers: frozenset[str] = frozenset({"mx.google.com"})
    # The last day of reminders and digests; None: followup.campaign_end's default.
    end: dt.date | None = None
    reconcile: ReconcilePolicy = field(default_factory=ReconcilePolicy)
    # The compiled draft's header block (Nghị định 30/2020): the body above the issuer, the
    # issuer, the place before the date. Empty: the committee is the issuer, no place.
    draft_issuer_parent: str = ""
    draft_issuer: str = ""
    draft_place: str = ""
    delegation: tuple[Member, ...] = ()
    staff: tuple[Member, ...] = ()  # [[staff]]: commanders besides the secretary
    dossier_max_mb: float = 20.0
    dossier_send_on: tuple[dt.date, ...] = ()   # days the worker sends the dossier at digest time

    @property
    def dossier_max_bytes(self) -> int:
        return int(self.dossier_max_mb * 1024 * 1024)

    @property
    def plan_citation(self) -> str:
        """The plan as the units cite it: "Kế hoạch số 35/KH-ĐGS ngày 26/4/2024 của Đoàn giám sát…"."""
        return f"Kế hoạch số {self.plan_number} ngày {vn_short_date(self.plan_date)} của {self.plan_issuer}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def outline_of(self, unit_id: str | None) -> Outline | None:
        unit = self.units.get(unit_id or "")
        if unit is None or unit.outline is None:
            return None
        outline = self.outlines.get(unit.outline)
        if outline is None or not unit.not_applicable:
            return outline
        # What this unit is expected to report on: every reader of the outline (missing items,
        # acknowledgements, reminders, the workbook) then leaves the excused items out.
        return dataclasses.replace(outline, items=tuple(i for i in outline.items if i.key not in unit.not_applicable))

    @property
    def commanders(self) -> dict[str, str]:
        """Address -> name of everyone whose mail may command the bot: the secretary and the
        `[[staff]]` (commands.md, "Who may command")."""
        found = {m.email: m.name for m in self.staff}
        if self.secretary_email:
            found[self.secretary_email.strip().lower()] = self.secretary_name or self.secretary_email
        return found

    def unit_by_address(self, address: str) -> Unit | None:
        address = address.strip().lower()
        for unit in self.units.values():
            if address in (a.lower() for a in unit.addresses):
                return unit
        return None


def closest(name: str, known) -> str:
    """" (did you mean 'x'?)" for the known name nearest to a typo, or ""."""
    match = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


class _Reader:
    """Reads typed values out of the parsed TOML, collecting problems instead of raising, and
    remembering which keys were read so that `unknown_keys` can name the others."""

    def __init__(self, data: dict):
        self.data = data
        self.problems: list[str] = []
        self.read: set[str] = set()  # dotted keys read whole (a section's or an array's name included)

    def unknown_keys(self) -> None:
        """One problem per section or key of the file that nothing read, with the closest name."""
        self._unknown_in(self.data, "")

    def _unknown_in(self, node: dict, prefix: str) -> None:
        known = {k[len(prefix):].split(".")[0] for k in self.read if k.startswith(prefix)}
        for key, value in node.items():
            dotted = prefix + key
            if dotted in self.read:
                continue
            if key not in known:
                what = f"unknown section [{dotted}]" if isinstance(value, dict) else f"[{dotted}]: unknown key"
                self.problems.append(what + closest(key, known))
            elif isinstance(value, dict):
                self._unknown_in(value, dotted + ".")

    def check_keys(self, raw: dict, allowed, where: str) -> None:
        for key in raw:
            if key not in allowed:
                self.problems.append(f"{where}: unknown key {key!r}{closest(key, allowed)}")

    def records(self, name: str, allowed) -> list[tuple[str, dict]]:
        """The elements of the array of tables `[[name]]`, each with where it is for messages;
        a key outside `allowed` is a problem."""
        out = []
        for n, raw in enumerate(self.get(name, list, []) or []):
            where = f"[[{name}]][{n}]"
            if not isinstance(raw, dict):
                self.problems.append(f"{where}: expected a table, got {type(raw).__name__}")
                continue
            self.check_keys(raw, allowed, where + (f" ({raw['id']})" if raw.get("id") else ""))
            out.append((where, raw))
        return out

    def tables(self, name: str, allowed) -> dict[str, dict]:
        """The tables `[name.ID]` by ID; a key outside `allowed` is a problem."""
        out = {}
        for ident, raw in (self.get(name, dict, {}) or {}).items():
            if not isinstance(raw, dict):
                self.problems.append(f"[{name}.{ident}]: expected a table, got {type(raw).__name__}")
                continue
            self.check_keys(raw, allowed, f"[{name}.{ident}]")
            out[ident] = raw
        return out

    def get(self, dotted: str, kind, default=...):
        self.read.add(dotted)
        node = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is ...:
                    self.problems.append(f"[{dotted}]: missing")
                    return None
                return default
            node = node[part]
        if kind is float and isinstance(node, int) and not isinstance(node, bool):
            node = float(node)
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            self.problems.append(f"[{dotted}]: expected {names}, got {type(node).__name__} {node!r}")
            return None if default is ... else default
        return node

    def clock(self, dotted: str, default: str) -> dt.time:
        text = self.get(dotted, str, default)
        try:
            return dt.time.fromisoformat(text)
        except (TypeError, ValueError):
            self.problems.append(f"[{dotted}]: expected a time of day like \"08:00\", got {text!r}")
            return dt.time.fromisoformat(default)

    def dates(self, dotted: str) -> tuple[dt.date, ...]:
        out = []
        for value in self.get(dotted, list, []) or []:
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                out.append(value)
            else:
                try:
                    out.append(dt.date.fromisoformat(str(value)))
                except ValueError:
                    self.problems.append(f"[{dotted}]: {value!r} is not a date (YYYY-MM-DD)")
        return tuple(out)


# A document's number and symbol (Nghị định 30/2020): "35/KH-ĐGS", "993/KH-KTNS".
_DOCUMENT_NUMBER = re.compile(r"^\d+/[A-ZĐ0-9]+(?:-[A-ZĐ0-9]+)*$")


def _plan_number(r: _Reader) -> str:
    """The plan's number and symbol as printed on it, e.g. "35/KH-ĐGS"."""
    number = (r.get("campaign.plan_number", str) or "").strip()
    if number and not _DOCUMENT_NUMBER.match(unicodedata.normalize("NFC", number)):
        r.problems.append(f"[campaign.plan_number]: {number!r} is not a document number like \"35/KH-ĐGS\" "
                          "(number/symbol, upper case, as printed on the plan)")
    return unicodedata.normalize("NFC", number)


OUTLINE_KEYS = ("title", "appendix", "items")
OUTLINE_ITEM_KEYS = ("key", "title", "aliases")


def _outlines(r: _Reader, schema: AppendixSchema) -> dict[str, Outline]:
    outlines = {}
    for oid, body in r.tables("outlines", OUTLINE_KEYS).items():
        items = []
        for n, item in enumerate(body.get("items", [])):
            where = f"[outlines.{oid}.items][{n}]"
            if isinstance(item, dict):
                r.check_keys(item, OUTLINE_ITEM_KEYS, where + (f" ({item['key']})" if item.get("key") else ""))
            if not isinstance(item, dict) or not item.get("key") or not item.get("title"):
                r.problems.append(f"{where}: needs a key and a title")
                continue
            items.append(OutlineItem(str(item["key"]), str(item["title"]),
                                     tuple(str(a) for a in item.get("aliases", []))))
        if not items:
            r.problems.append(f"[outlines.{oid}]: has no items")
        appendix = tuple(body.get("appendix", []))
        for kind in appendix:
            if kind not in schema.kind_keys():
                known = ", ".join(schema.kind_keys()) or "none: the file has no [appendix.kinds]"
                r.problems.append(f"[outlines.{oid}.appendix]: {kind!r} is not a kind of [appendix.kinds] ({known})")
        outlines[oid] = Outline(oid, str(body.get("title", oid)), tuple(items), appendix)
    return outlines


UNIT_KEYS = ("id", "name", "short_name", "outline", "issuer", "aliases", "addresses", "leadership")
# An address as a mail server takes it: one @, a dotted domain of letters, digits and hyphens
# ("ktns.hdndhy@gmail" is a typo, not an address).
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"]+@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", re.I)


def address_problem(address: str) -> str | None:
    """Why `address` is not an e-mail address, or None."""
    if _ADDRESS.match(address):
        return None
    if "@" not in address:
        return f"{address!r} is not an e-mail address (no @)"
    if "." not in address.rpartition("@")[2]:
        return f"{address!r} is not an e-mail address (no dot in the domain after @)"
    return f"{address!r} is not an e-mail address"


def _check_addresses(r: _Reader, units: dict[str, Unit], wheres: dict[str, str]) -> None:
    """Every unit has an address, each one valid and registered to one unit only (a reply goes
    to the sender's unit: an address of two units cannot say which)."""
    owner: dict[str, str] = {}
    for unit in units.values():
        where = wheres[unit.id]
        if not unit.addresses:
            r.problems.append(f"{where}: addresses is empty; the unit could not be recognised by its "
                              "address nor reminded")
        for key, addresses in (("addresses", unit.addresses), ("leadership", unit.leadership)):
            for address in addresses:
                problem = address_problem(address)
                if problem:
                    r.problems.append(f"{where}: {key}: {problem}")
        for address in unit.addresses:
            if address in owner and owner[address] != unit.id:
                r.problems.append(f"{where}: address {address!r} is also registered to unit {owner[address]!r}")
            owner.setdefault(address, unit.id)


ZONE_KEYS = ("kind", "name", "aliases", "units")
MEMBER_KEYS = ("name", "role", "email")
STAFF_KEYS = ("name", "email")


def _reconcile(r: _Reader, outlines: dict[str, Outline], units: dict[str, Unit],
               units_replaced: bool) -> ReconcilePolicy:
    """`units_replaced`: the units come from INTAKE_BOT_UNITS, so the file's unit ids may name
    none of them; those are left out rather than refused."""
    kinds = {kind for outline in outlines.values() for kind in outline.appendix}
    defaults = ReconcilePolicy()
    area = r.get("reconcile.area_tolerance_ha", float, defaults.area_tolerance_ha)
    occupancy = r.get("reconcile.occupancy_tolerance_pct", float, defaults.occupancy_tolerance_pct)
    for name, value in (("area_tolerance_ha", area), ("occupancy_tolerance_pct", occupancy)):
        if value is not None and value < 0:
            r.problems.append(f"[reconcile.{name}]: must not be negative, got {value!r}")
    province_wide: dict[str, tuple[str, ...]] = {}
    for unit_id, listed in (r.get("reconcile.province_wide", dict, {}) or {}).items():
        where = f"[reconcile.province_wide.{unit_id}]"
        if unit_id not in units:
            if not units_replaced:
                r.problems.append(f"{where}: {unit_id!r} is not a unit of [[units]]")
            continue
        if not isinstance(listed, list) or any(kind not in kinds for kind in listed):
            r.problems.append(f"{where}: expected a list of appendix kinds among {sorted(kinds)}, got {listed!r}")
            continue
        province_wide[unit_id] = tuple(listed)
    zones = []
    for where, raw in r.records("reconcile.zones", ZONE_KEYS):
        if not isinstance(raw.get("name"), str) or raw.get("kind") not in kinds:
            r.problems.append(f"{where}: needs a name and a kind among {sorted(kinds)}")
            continue
        aliases, listed_by = raw.get("aliases", []), raw.get("units", [])
        if not isinstance(aliases, list) or not isinstance(listed_by, list):
            r.problems.append(f"{where} ({raw['name']}): aliases and units must be lists")
            continue
        unknown = [u for u in listed_by if u not in units]
        if unknown and not units_replaced:
            r.problems.append(f"{where} ({raw['name']}): {', '.join(map(repr, unknown))} not a unit of [[units]]")
        zones.append(ZoneEntry(raw["kind"], raw["name"], tuple(str(a) for a in aliases),
                               tuple(str(u) for u in listed_by if u in units)))
    return ReconcilePolicy(area if area is not None else defaults.area_tolerance_ha,
                           occupancy if occupancy is not None else defaults.occupancy_tolerance_pct,
                           province_wide, tuple(zones))


def _people(r: _Reader, section: str, keys: tuple[str, ...], what: str) -> tuple[Member, ...]:
    """The entries of `[[section]]`, each with a name and a valid address, none listed twice."""
    members, seen = [], set()
    for where, raw in r.records(section, keys):
        if not all(isinstance(raw.get(k), str) and raw[k].strip() for k in ("name", "email")):
            r.problems.append(f"{where}: {what} needs a name and an email")
            continue
        email = raw["email"].strip().lower()
        problem = address_problem(email)
        if problem:
            r.problems.append(f"{where} ({raw['name']}): email: {problem}")
            continue
        if email in seen:
            r.problems.append(f"{where} ({raw['name']}): {email} is listed twice")
            continue
        seen.add(email)
        members.append(Member(raw["name"].strip(), str(raw.get("role", "")).strip(), email))
    return tuple(members)


def _delegation(r: _Reader) -> tuple[Member, ...]:
    """The `[[delegation]]` members, who get the dossier."""
    return _people(r, "delegation", MEMBER_KEYS, "a member")


def _staff(r: _Reader) -> tuple[Member, ...]:
    """The `[[staff]]` who may command the bot by mail besides the secretary (commands.md)."""
    return _people(r, "staff", STAFF_KEYS, "a staff entry")


def _unit(raw: dict, where: str, outlines: dict, problems: list[str]) -> Unit | None:
    uid = raw.get("id")
    if not uid or not raw.get("name"):
        problems.append(f"{where}: a unit needs an id and a name")
        return None
    outline = raw.get("outline") or None
    if outline is not None and outline not in outlines:
        problems.append(f"{where} ({uid}): outline {outline!r} is not defined in [outlines]"
                        f"{closest(outline, outlines)}")
    for key in ("aliases", "addresses", "leadership"):
        if not isinstance(raw.get(key, []), list):
            problems.append(f"{where} ({uid}): {key} must be a list")
            return None
    return Unit(
        id=str(uid), name=str(raw["name"]), short_name=str(raw.get("short_name") or raw["name"]),
        outline=outline, issuer=str(raw.get("issuer", "")),
        aliases=tuple(str(a) for a in raw.get("aliases", [])),
        addresses=tuple(str(a).strip().lower() for a in raw.get("addresses", [])),
        leadership=tuple(str(a).strip().lower() for a in raw.get("leadership", [])),
    )


def _units_from_env(outlines: dict, problems: list[str]) -> dict[str, Unit] | None:
    """INTAKE_BOT_UNITS names a units.json (id -> name, aliases, addresses...): it replaces the
    file's units, so that a script can run the same bot over another set of units."""
    path = os.environ.get(UNITS_ENV)
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"{UNITS_ENV}={path}: cannot read it ({exc})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{UNITS_ENV}={path}: expected an object of units")
        return None
    units = {}
    for uid, raw in data.items():
        if isinstance(raw, dict):
            unit = _unit({"id": uid, **raw}, f"{UNITS_ENV}[{uid}]", outlines, problems)
            if unit:
                units[unit.id] = unit
    return units


def load_campaign(path: str | os.PathLike | None = None) -> Campaign:
    """Load and check a campaign file; the bundled one when `path` is None and the default
    relative path does not exist here. A file that cannot be used also lists its TODO marks."""
    source = _locate(path)
    data = load_campaign_data(source)
    try:
        return _campaign(data, source)
    except ConfigError as exc:
        exc.problems.extend(todo_marks(source))
        raise


def load_campaign_data(source: Path) -> dict:
    """The parsed TOML of a campaign file (or of a file in its format); ConfigError when it
    cannot be read or parsed."""
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(source), [f"cannot read the file ({exc.strerror or exc})"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(source), [f"not valid TOML: {exc}"]) from None


TODO_MARK = "# TODO:"


def todo_marks(source: str | os.PathLike) -> list[str]:
    """The facts `intake-bot init` could not find in the plan: one problem per line of the file
    still marked "# TODO: ..." (the mark goes once the value is filled in)."""
    try:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [f"line {n}: TODO {line.split(TODO_MARK, 1)[1].strip()}"
            for n, line in enumerate(lines, start=1) if TODO_MARK in line]


def _locate(path) -> Path:
    if path is not None:
        return Path(path)
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG
    return bundled("config") / DEFAULT_CONFIG.name


def _templates_dir(source: Path, configured: str | None) -> Path:
    if configured:
        candidate = (source.parent / configured).resolve()
        if candidate.is_dir():
            return candidate
    return bundled("templates")


def _campaign(data: dict, source: Path) -> Campaign:
    r = _Reader(data)
    appendix = schema_from(r.get("appendix", dict, None), r.problems, r.check_keys)
    outlines = _outlines(r, appendix)
    units: dict[str, Unit] = {}
    wheres: dict[str, str] = {}
    for where, raw in r.records("units", UNIT_KEYS):
        unit = _unit(raw, where, outlines, r.problems)
        if unit is None:
            continue
        if unit.id in units:
            r.problems.append(f"{where}: duplicate unit id {unit.id!r}")
        units[unit.id] = unit
        wheres[unit.id] = f"{where} ({unit.id})"
    env_units = _units_from_env(outlines, r.problems)
    if env_units:
        units = env_units  # a script's units: not the operator's file, so not held to its checks
    else:
        _check_addresses(r, units, wheres)
    if not units:
        r.problems.append("[[units]]: no unit is defined")

    timezone = r.get("campaign.timezone", str, "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        r.problems.append(f"[campaign.timezone]: unknown time zone {timezone!r}")
        timezone = "Asia/Ho_Chi_Minh"
    start = r.get("campaign.start", dt.date)
    deadline = r.get("campaign.deadline", dt.date)
    if start and deadline and start > deadline:
        r.problems.append("[campaign.start]: is after the deadline")
    plan_number = _plan_number(r)
    plan_date = r.get("campaign.plan_date", dt.date)
    if plan_date and deadline and plan_date > deadline:
        r.problems.append("[campaign.plan_date]: is after the deadline the plan sets")
    end = r.get("campaign.end", dt.date, None)
    if end and deadline and end < deadline:
        r.problems.append("[campaign.end]: is before the deadline")

    limits = Limits(**{
        name: r.get(f"limits.{name}", type(default), default)
        for name, default in vars(Limits()).items()
    })
    policy = ReminderPolicy(
        before_days=tuple(r.get("reminders.before_days", list, [3, 1])),
        on_deadline=r.get("reminders.on_deadline", bool, True),
        overdue_every=max(1, r.get("reminders.overdue_every", int, 2)),
        overdue_max=r.get("reminders.overdue_max", int, 4),
        escalate_from=r.get("reminders.escalate_from", int, 2),
    )
    mailbox_address = (r.get("mailbox.address", str, "") or "").lower()
    from_address = (r.get("smtp.from_address", str, mailbox_address) or "").lower()
    campaign = Campaign(
        id=r.get("campaign.id", str),
        subject=r.get("campaign.subject", str, ""),
        plan_number=plan_number,
        plan_date=plan_date,
        plan_issuer=r.get("campaign.plan_issuer", str),
        committee=r.get("campaign.committee", str, ""),
        committee_short=r.get("campaign.committee_short", str, ""),
        period=r.get("campaign.period", str, ""),
        timezone=timezone,
        start=start,
        deadline=deadline,
        templates_dir=_templates_dir(source, r.get("campaign.templates", str, "")),
        mailbox_url=r.get("mailbox.url", str, "maildir:Maildir"),
        mailbox_address=mailbox_address,
        processed_keyword=r.get("mailbox.processed_keyword", str, "IntakeBotProcessed"),
        gmail_label=r.get("mailbox.gmail_label", str, ""),
        move_processed_to=r.get("mailbox.move_processed_to", str, ""),
        fetch_batch=r.get("mailbox.fetch_batch", int, 200),
        smtp_url=r.get("smtp.url", str, "file:outbox"),
        from_address=from_address,
        from_name=r.get("smtp.from_name", str, ""),
        smtp_max_attempts=r.get("smtp.max_attempts", int, 8),
        secretary_name=r.get("secretary.name", str, ""),
        secretary_title=r.get("secretary.title", str, ""),
        secretary_email=r.get("secretary.email", str, ""),
        secretary_phone=r.get("secretary.phone", str, ""),
        operator_email=r.get("operator.email", str, ""),
        poll_minutes=r.get("schedule.poll_minutes", int, 5),
        reminder_time=r.clock("schedule.reminder_time", "08:00"),
        digest_time=r.clock("schedule.digest_time", "17:00"),
        ack_max_per_sender_per_day=r.get("acknowledgement.max_per_sender_per_day", int, 10),
        reminders=policy,
        extra_days_off=r.dates("calendar.extra_days_off"),
        extra_working_days=r.dates("calendar.extra_working_days"),
        limits=limits,
        ocr=r.get("reading.ocr", bool, False),
        ocr_language=r.get("reading.ocr_language", str, "vie"),
        outlines=outlines,
        units=units,
        appendix=appendix,
        source=str(source),
        end=end,
        own_addresses=frozenset(a for a in (mailbox_address, from_address) if a),
        trusted_receivers=frozenset(name.strip().lower() for name in
                                    r.get("mailbox.trusted_receivers", list, ["mx.google.com"]) if str(name).strip()),
        reconcile=_reconcile(r, outlines, units, units_replaced=bool(env_units)),
        draft_issuer_parent=r.get("compile.issuer_parent", str, ""),
        draft_issuer=r.get("compile.issuer", str, ""),
        draft_place=r.get("compile.place", str, ""),
        delegation=_delegation(r),
        staff=_staff(r),
        dossier_max_mb=r.get("dossier.max_mb", float, 20.0),
        dossier_send_on=r.dates("dossier.send_on"),
    )
    if campaign.dossier_max_mb is not None and campaign.dossier_max_mb <= 0:
        r.problems.append(f"[dossier.max_mb]: must be positive, got {campaign.dossier_max_mb!r}")
    for key, address in (("mailbox.address", campaign.mailbox_address), ("smtp.from_address", from_address),
                         ("secretary.email", campaign.secretary_email), ("operator.email", campaign.operator_email)):
        problem = address and address_problem(address)
        if problem:
            r.problems.append(f"[{key}]: {problem}")
    # A unit's mail must never command the bot (commands.md): no commander is a unit's address.
    for address in campaign.commanders:
        unit = campaign.unit_by_address(address)
        if unit is not None:
            r.problems.append(f"commander {address} ([secretary] or [[staff]]) is also an address of unit {unit.id!r}")
    r.unknown_keys()
    if r.problems:
        raise ConfigError(str(source), r.problems)
    return campaign
