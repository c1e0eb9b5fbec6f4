"""Cross-checked figures: the same industrial zone or cluster as each unit reports it.

The Department lists every cluster of the province, the zones board every zone, each district its
own: the rows of their latest appendices are matched by zone and compared, so that the delegation
sees where the figures disagree and which list lacks a zone another unit reports.

Matching by name: the kind words ("KCN", "Khu công nghiệp", "CCN", "Cụm công nghiệp", "Cụm CN")
are dropped, the rest compared word for word in lower case, diacritics kept - "CCN Tân Quang" and
"Cụm công nghiệp Tân Quang" are one cluster, "CCN Tân Quang" and "CCN Tân Quang 2" are two. A name
typed without any diacritics ("Cum cong nghiep Tan Quang") joins the one zone whose name folds to
it; where two zones fold alike it stays apart rather than guess. `[[reconcile.zones]]` of the
campaign file adds other names of a zone and the units whose list must hold it;
`[reconcile.province_wide]` names the units that list every zone of a kind.

A unit is expected to list a zone only once its latest report carries appendix rows: a unit
that has not reported yet is the status table's business, not a gap in its list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .config import Campaign
from .progress import UnitProgress
from .text import collapse, fold
from .vnformat import vn_number

NUMERIC_FIELDS = ("area_ha", "leasable_ha", "occupancy_pct")
FIELDS = (*NUMERIC_FIELDS, "investor")
# How the digest, the workbook and the draft name each compared figure.
FIELD_LABELS = {"area_ha": "diện tích (ha)", "leasable_ha": "diện tích đất cho thuê (ha)",
                "occupancy_pct": "tỷ lệ lấp đầy (%)", "investor": "chủ đầu tư hạ tầng"}
_KIND_WORDS = re.compile(
    r"^\s*(?:(?:khu|cụm|cum)\s+(?:công|cong)\s+(?:nghiệp|nghiep)|(?:cụm|cum)\s+cn|kcn|ccn)(?=\W|$)[\s.:\-–]*",
    re.IGNORECASE)
_WORD = re.compile(r"\w+")
# Abbreviations in company names, folded: "Cty CP" and "Công ty cổ phần" name the same investor.
_COMPANY_ABBREVIATIONS = {"cty": "cong ty", "cp": "co phan", "ct": "cong ty"}


@dataclass
class ZoneReport:
    unit: str
    area_ha: float | None
    leasable_ha: float | None
    occupancy_pct: float | None
    investor: str | None
    file: str
    version: int | None

    def to_json(self) -> dict:
        return dict(vars(self))


@dataclass
class Zone:
    kind: str
    name: str
    reports: list[ZoneReport] = field(default_factory=list)
    differences: list[dict] = field(default_factory=list)   # {"field", "values": {unit: value}}
    missing_from: list[str] = field(default_factory=list)

    @property
    def has_problem(self) -> bool:
        return bool(self.differences or self.missing_from)

    def report_of(self, unit: str) -> ZoneReport | None:
        return next((r for r in self.reports if r.unit == unit), None)

    def to_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "reports": [r.to_json() for r in self.reports],
                "differences": self.differences, "missing_from": list(self.missing_from)}


@dataclass
class Reconciliation:
    zones: list[Zone]

    @property
    def problems(self) -> list[Zone]:
        """The zones whose figures disagree or that a list lacks."""
        return [z for z in self.zones if z.has_problem]

    def to_json(self) -> dict:
        return {"zones": [z.to_json() for z in self.zones]}


def zone_words(name: str) -> str:
    """The zone's own name, as written, without the kind words: "Cụm CN Tân Quang" -> "Tân Quang"."""
    text = collapse(name or "")
    while True:
        shorter = _KIND_WORDS.sub("", text, count=1)
        if shorter == text or not shorter:
            return text
        text = shorter


def zone_key(name: str) -> str:
    """Lower case words, diacritics kept, numbers without leading zeros ("số 03" = "số 3")."""
    words = _WORD.findall(zone_words(name).lower())
    return " ".join(str(int(w)) if w.isdigit() else w for w in words)


def reconcile(campaign: Campaign, progress: list[UnitProgress]) -> Reconciliation:
    """Every zone reported in a latest appendix, in the order of the kinds and of first report."""
    policy = campaign.reconcile
    canonical = {}   # (kind, key of a registered name or alias) -> (kind, key of the zone's name)
    registered = {}  # (kind, key) -> ZoneEntry
    for entry in policy.zones:
        target = (entry.kind, zone_key(entry.name))
        registered[target] = entry
        for alias in (entry.name, *entry.aliases):
            canonical[(entry.kind, zone_key(alias))] = target
    zones: dict[tuple[str, str], Zone] = {}
    listing_units = []
    for p in progress:
        if p.rows:
            listing_units.append(p.unit)
        for doc, row in p.rows:
            kind, name = row.get("kind"), row.get("name")
            key = zone_key(name or "")
            if not kind or not key:
                continue
            ident = canonical.get((kind, key), (kind, key))
            zone = zones.get(ident)
            if zone is None:
                entry = registered.get(ident)
                zone = zones[ident] = Zone(kind, entry.name if entry else f"{kind} {zone_words(name)}")
            report = ZoneReport(p.unit, _number(row.get("area_ha")), _number(row.get("leasable_ha")),
                                _number(row.get("occupancy_pct")), row.get("investor") or None,
                                doc.filename, doc.version)
            earlier = zone.report_of(p.unit)
            if earlier is not None:   # a workbook after the report's own table: the later one counts
                zone.reports.remove(earlier)
            zone.reports.append(report)
    zones = _join_undiacritised(zones, set(registered))
    kinds = list(dict.fromkeys(k for o in campaign.outlines.values() for k in o.appendix))
    ordered = sorted(zones.items(), key=lambda item: kinds.index(item[0][0]) if item[0][0] in kinds else len(kinds))
    unit_order = list(campaign.units)
    for ident, zone in ordered:
        zone.reports.sort(key=lambda r: unit_order.index(r.unit) if r.unit in unit_order else len(unit_order))
        zone.differences = _differences(zone.reports, policy.area_tolerance_ha, policy.occupancy_tolerance_pct)
        expected = [u for u, listed in policy.province_wide.items() if zone.kind in listed]
        entry = registered.get(ident)
        expected += list(entry.units) if entry else []
        reporters = {r.unit for r in zone.reports}
        zone.missing_from = [u for u in dict.fromkeys(expected) if u in listing_units and u not in reporters]
    return Reconciliation([zone for _, zone in ordered])


def _join_undiacritised(zones: dict[tuple[str, str], Zone], registered: set) -> dict[tuple[str, str], Zone]:
    """A zone whose name has no diacritics at all joins the one zone of its kind whose name
    folds to the same words; with none or several such zones it stays as it is."""
    by_fold: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for ident in zones:
        if not ident[1].isascii() or ident in registered:
            by_fold.setdefault((ident[0], fold(ident[1])), []).append(ident)
    out = {}
    for ident, zone in zones.items():
        targets = by_fold.get((ident[0], fold(ident[1])), []) if ident[1].isascii() else []
        targets = [t for t in targets if t != ident]
        if len(targets) == 1:
            target = zones[targets[0]]
            for report in zone.reports:
                if target.report_of(report.unit) is None:
                    target.reports.append(report)
            continue
        out[ident] = zone
    return out


def _differences(reports: list[ZoneReport], area_tolerance: float, occupancy_tolerance: float) -> list[dict]:
    out = []
    for name in NUMERIC_FIELDS:
        values = {r.unit: getattr(r, name) for r in reports if getattr(r, name) is not None}
        tolerance = occupancy_tolerance if name == "occupancy_pct" else area_tolerance
        # A small epsilon: 47.7 and 47.71 differ by 0.01 exactly, which is within 0.01 ha.
        if len(values) > 1 and max(values.values()) - min(values.values()) > tolerance + 1e-9:
            out.append({"field": name, "values": values})
    investors = {r.unit: r.investor for r in reports if r.investor}
    if len({_investor_key(v) for v in investors.values()}) > 1:
        out.append({"field": "investor", "values": investors})
    return out


def _investor_key(name: str) -> str:
    return " ".join(_COMPANY_ABBREVIATIONS.get(w, w) for w in fold(name).split())


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def problem_lines_vi(campaign: Campaign, zone: Zone) -> list[str]:
    """The zone's disagreements and gaps in Vietnamese, one line each, for the digest, the
    workbook and the compiled draft: "Diện tích (ha): Sở Công Thương 47,7; UBND huyện Văn Lâm 50,2"."""
    names = {uid: u.short_name for uid, u in campaign.units.items()}
    lines = []
    for difference in zone.differences:
        label = FIELD_LABELS[difference["field"]]
        values = "; ".join(f"{names.get(u, u)} {_shown(v)}" for u, v in difference["values"].items())
        lines.append(f"{label[0].upper()}{label[1:]} chưa thống nhất: {values}")
    if zone.missing_from:
        reporters = ", ".join(names.get(r.unit, r.unit) for r in zone.reports)
        lacking = ", ".join(names.get(u, u) for u in zone.missing_from)
        lines.append(f"Có trong báo cáo của {reporters} nhưng không có trong danh mục của {lacking}")
    return lines


def _shown(value) -> str:
    return vn_number(value) if isinstance(value, (int, float)) else f"«{value}»"


def describe(campaign: Campaign, result: Reconciliation) -> str:
    """`intake-bot reconcile` without --json: a count, then each zone with a problem."""
    names = {uid: u.short_name for uid, u in campaign.units.items()}
    problems = result.problems
    lines = [f"{len(result.zones)} zones reported; {len(problems)} with figures that disagree or a list that lacks them"]
    for zone in problems:
        reporters = ", ".join(names.get(r.unit, r.unit) for r in zone.reports)
        lines.append(f"{zone.name} (reported by {reporters})")
        for difference in zone.differences:
            values = "; ".join(f"{names.get(u, u)}: {v}" for u, v in difference["values"].items())
            lines.append(f"  {difference['field']} differs: {values}")
        if zone.missing_from:
            lines.append("  missing from the list of " + ", ".join(names.get(u, u) for u in zone.missing_from))
    return "\n".join(lines)
