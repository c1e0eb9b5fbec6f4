"""A supervision plan ("Kế hoạch giám sát") -> the facts of a new campaign, each with the plan's
own line it was read from, for `intake-bot init` (campaign_file.py writes them out).

The plan is read with the report reader (DOCX, PDF, .doc alike), then, in the plan's own words:
the number and date of the header, the subject after "KẾ HOẠCH", the committee of the signature
("TM. BAN ..."), the deadline ("trước ngày 10/5/2024", "chậm nhất ngày ...", "hạn cuối ..."), the
period ("Phạm vi giám sát: ..."), the mailbox and the secretary of the contact sentence, the units
of "Đối tượng giám sát", an outline per "ĐỀ CƯƠNG BÁO CÁO ..." annex and the appendix schema from
the annex tables. What the plan does not say is left None: the file marks it for a person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .config import bundled, load_campaign_data
from .places import checked_place, gazetteer_available
from .reader.appendix import find_header
from .reader.header import fold_aligned
from .reader.model import Content, Paragraph, Table
from .reader.outline import numbering, roman_value
from .reader.schema import AppendixSchema, Column, Group, Kind, schema_from
from .text import collapse, fold
from .vnformat import parse_vn_date

VOCABULARY = "appendix-vocabulary.toml"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(0\d(?:[.\s]?\d){8,10})(?!\d)")
_NUMBER = re.compile(r"^Số\s*:?\s*(\S*)", re.IGNORECASE)
_DOC_NUMBER = re.compile(r"^\d+/[A-ZĐ0-9]+(?:-[A-ZĐ0-9]+)*$")
_DEADLINE = re.compile(r"\b(truoc|cham nhat(?: la)?|han chot(?: la)?|han cuoi(?: la)?|khong muon hon|han nop(?: la)?)"
                       r"\s*:?\s+(?:\d{1,2}\s*(?:gio|h)(?:\s*\d{1,2})?(?:\s*phut)?\s*,?\s*)?(?:ngay\s+)?(?=\d)")
_CONTACT = re.compile(r"\b(?:đồng chí|đ/c|ông|bà)\s+([A-ZĐÀ-Ỹ][^\-–,;]+?)\s*[-–,]\s*(.+?)\s*[,;]?\s*"
                      r"(?:số\s+)?(?:điện thoại|ĐT|Điện thoại|đt)\s*:?\s*", re.IGNORECASE)
# The agencies a unit's name opens with, as its header prints them and as its short form.
_AGENCIES = (("ủy ban nhân dân", "UBND"), ("uỷ ban nhân dân", "UBND"), ("ubnd", "UBND"))
# The kinds of local government a unit may be, folded, with their printed form.
_PLACE_KINDS = {"huyen": "huyện", "thi xa": "thị xã", "thanh pho": "thành phố", "quan": "quận",
                "xa": "xã", "phuong": "phường", "thi tran": "thị trấn"}
# Words that make a target of supervision vague: no name a unit could be registered by.
_VAGUE = ("mot so", "cac co quan", "to chuc thuc hien", "don vi lien quan", "cac don vi", "co quan lien quan")
_FILLERS = frozenset("cac tinh cua va tai tren thuoc".split())
# Words a public body's name opens with: "A và B" names two bodies only when B opens with one.
_AGENCY_WORDS = "UBND|Ủy ban|Sở|Ban|Bệnh viện|Trường|Phòng|Trung tâm|Công an|Chi cục|Văn phòng|Cục|Viện"


@dataclass
class Fact:
    """A value read from the plan and the plan's own line for it (None: not in the plan)."""
    value: object
    line: str | None = None


@dataclass
class PlanUnit:
    id: str
    name: str
    short_name: str
    issuer: str
    aliases: list[str]
    line: str
    outline: str | None = None
    flag: str | None = None       # why a person should look at it (a corrected spelling)


@dataclass
class PlanOutline:
    id: str
    title: str
    target: str                   # the words after "ĐỀ CƯƠNG BÁO CÁO ĐỐI VỚI"
    items: list[tuple[str, str]]  # (key, title)
    kinds: list[str]
    units: list[str]
    line: str


@dataclass
class CampaignPlan:
    facts: dict[str, Fact] = field(default_factory=dict)
    units: list[PlanUnit] = field(default_factory=list)
    vague: list[str] = field(default_factory=list)
    outlines: list[PlanOutline] = field(default_factory=list)
    appendix: AppendixSchema | None = None
    appendix_line: str | None = None
    notes: list[str] = field(default_factory=list)    # what a person should look at
    acronyms: dict[str, str] = field(default_factory=dict)   # folded "kcn" -> "khu công nghiệp"

    def value(self, name: str):
        fact = self.facts.get(name)
        return fact.value if fact else None


def slug(text: str) -> str:
    return "-".join(fold(text).split())


def _paragraphs(content: Content) -> list[str]:
    return [collapse(b.text) for b in content.blocks if isinstance(b, Paragraph) and collapse(b.text)]


def _mixed_case(phrase: str, texts: list[str]) -> str:
    """The phrase as the plan writes it in running text ("Ban Kinh tế - Ngân sách" for "BAN KINH TẾ
    - NGÂN SÁCH"), or the phrase itself."""
    wanted = fold(phrase)
    for text in texts:
        words = text.split()
        size = len(phrase.split())
        for n in range(len(words) - size + 1):
            candidate = " ".join(words[n:n + size]).strip(",.;:()")
            if fold(candidate) == wanted and candidate != candidate.upper():
                return candidate
    return phrase


def read_plan(content: Content) -> CampaignPlan:
    plan = CampaignPlan()
    texts = _paragraphs(content)
    plan.acronyms = _acronyms(texts)
    _header(plan, texts)
    _subject(plan, content)
    _committee(plan, texts)
    _deadline(plan, texts)
    _contact(plan, texts)
    _units(plan, texts)
    _annexes(plan, content, texts)
    return plan


# ------------------------------------------------------------------ the header and the subject

def _header(plan: CampaignPlan, texts: list[str]) -> None:
    for text in texts[:12]:
        number = _NUMBER.match(text)
        if number and "number" not in plan.facts:
            value = number.group(1).strip()
            plan.facts["number"] = Fact(value if _DOC_NUMBER.match(value) else None, text)
        place = re.match(r"^([^,]{2,40}),\s*ngày\b", text)
        if place and "date" not in plan.facts:
            plan.facts["date"] = Fact(parse_vn_date(text), text)
            plan.facts["place"] = Fact(place.group(1).strip(), text)


def _subject(plan: CampaignPlan, content: Content) -> None:
    blocks = [b for b in content.blocks if isinstance(b, Paragraph)]
    for n, block in enumerate(blocks):
        if fold(block.text) != "ke hoach":
            continue
        lines = []
        for following in blocks[n + 1:n + 4]:
            text = collapse(following.text)
            if not text or fold(text).startswith("can cu") or not (following.bold or following.style_level):
                break
            lines.append(text)
        if lines:
            title = " ".join(lines)
            subject = re.sub(r"^(giám sát|khảo sát)\s+(chuyên đề\s+)?(về\s+(việc\s+)?)?", "", title, flags=re.IGNORECASE)
            plan.facts["subject"] = Fact(subject[:1].lower() + subject[1:], title)
        return


def _committee(plan: CampaignPlan, texts: list[str]) -> None:
    for text in texts:
        match = re.match(r"^(?:TM|T/M|KT|Q)\.?\s+(.+)$", text)
        if match and not match.group(1).startswith(("CHỦ TỊCH", "TRƯỞNG")):
            words = match.group(1)
            short = _mixed_case(words, texts)
            if short == words:
                short = words[:1] + words[1:].lower()
            place = plan.value("place")
            council = "HĐND tỉnh" if any("HĐND tỉnh" in t for t in texts) else ""
            full = " ".join(p for p in (short, council, place if council else "") if p)
            plan.facts["committee_short"] = Fact(short, text)
            plan.facts["committee"] = Fact(full, text)
            number = plan.value("number") or ""
            delegation = number.endswith("-ĐGS") or any(fold(t).startswith("doan giam sat xay dung ke hoach")
                                                         for t in texts)
            issuer = f"Đoàn giám sát {short}" + (f" {council}" if council else "") if delegation else full
            plan.facts["plan_issuer"] = Fact(issuer, text)
            return


# ------------------------------------------------------------------ deadline, period, contact

def _deadline(plan: CampaignPlan, texts: list[str]) -> None:
    for text in texts:
        folded = fold_aligned(text, keep="/.-")
        for match in _DEADLINE.finditer(folded):
            day = parse_vn_date(text[match.start():match.end() + 30])
            if day:
                plan.facts.setdefault("deadline", Fact(day, _around(text, match.start(), match.end() + 12)))
                address = _EMAIL.search(text)
                if address:
                    plan.facts.setdefault("mailbox", Fact(address.group(0).lower(), text))
                break
        if fold(numbering(text)[1]).startswith("pham vi giam sat"):
            plan.facts["period"] = Fact(collapse(text.split(":", 1)[-1]).rstrip("."), text)
    if "mailbox" not in plan.facts:
        for text in texts:
            address = _EMAIL.search(text)
            if address:
                plan.facts["mailbox"] = Fact(address.group(0).lower(), text)
                break


def _around(text: str, start: int, end: int, before: int = 60) -> str:
    """The words of a long line around a match, for the summary: "… gửi kèm file … trước ngày 10/5/2024"."""
    head = text.rfind(" ", 0, max(0, start - before)) + 1 if start > before else 0
    tail = text.find(" ", min(len(text), end))
    tail = len(text) if tail < 0 else tail
    return ("…" if head else "") + text[head:tail] + ("…" if tail < len(text) else "")


def _contact(plan: CampaignPlan, texts: list[str]) -> None:
    for text in texts:
        phone = _PHONE.search(text)
        contact = _CONTACT.search(text)
        if phone and contact and "liên hệ" in text.lower():
            plan.facts["secretary_name"] = Fact(contact.group(1).strip(), text)
            plan.facts["secretary_title"] = Fact(contact.group(2).strip(" ,;"), text)
            plan.facts["secretary_phone"] = Fact(phone.group(1), text)
            address = _EMAIL.search(text[contact.end():])
            if address:
                plan.facts["secretary_email"] = Fact(address.group(0).lower(), text)
            return


# ------------------------------------------------------------------ units

def _units(plan: CampaignPlan, texts: list[str]) -> None:
    line = next((t for t in texts if "doi tuong giam sat" in fold(t)[:40]), None)
    if line is None:
        plan.notes.append("no \"Đối tượng giám sát\" sentence: units to be written by hand")
        return
    listed = re.sub(r"^\s*giám sát\s*:?", "", line.split(":", 1)[1] if ":" in line else line).strip().rstrip(".")
    province = plan.value("place")
    if not gazetteer_available():
        plan.notes.append("the place names of the units were not checked (the vietnamadminunits gazetteer "
                          "is not installed)")
    for part in _split_targets(listed):
        if any(v in fold(part) for v in _VAGUE):
            plan.vague.append(part)
            continue
        for name in _expand_group(part):
            plan.units.append(_unit(name, line, province, plan.acronyms))


def _split_targets(text: str) -> list[str]:
    """"A, B; C, UBND các huyện: D, E và một số ..." -> ["A", "B", "C", "UBND các huyện: D, E", "một số ..."]:
    commas inside a "…: list" stay with their group."""
    parts: list[str] = []
    for chunk in re.split(r";", text):
        chunk = chunk.strip()
        vague_at = next((m.start() for m in re.finditer(r"\s+và\s+", chunk)
                         if any(v in fold(chunk[m.end():]) for v in _VAGUE)), None)
        tail = None
        if vague_at is not None:
            chunk, tail = chunk[:vague_at], re.sub(r"^\s*và\s+", "", chunk[vague_at:])
        pieces = re.split(r",\s*(?=[^,]*?\b(?:các|" + _AGENCY_WORDS + r")\b)", chunk)
        for piece in pieces:
            if ":" in piece:
                parts.append(piece.strip())
            else:
                parts.extend(p.strip() for p in re.split(r",\s*|\s+và\s+(?=" + _AGENCY_WORDS + r")", piece)
                             if p.strip())
        if tail:
            parts.append(tail.strip())
    return [p for p in parts if p]


def _expand_group(part: str) -> list[str]:
    """"UBND các huyện: Văn Lâm, Yên Mỹ và Ân Thi" -> ["UBND huyện Văn Lâm", "UBND huyện Yên Mỹ", "UBND
    huyện Ân Thi"]; "các Sở: Y tế, Lao động - Thương binh và Xã hội" -> ["Sở Y tế", "Sở Lao động -
    Thương binh và Xã hội"]: "và" parts place names only, never the name of a department."""
    if ":" not in part:
        return [part]
    head, listed = part.split(":", 1)
    head = re.sub(r"\bcác\s+", "", head.strip(), flags=re.IGNORECASE)
    places = any(fold(head).endswith(kind) for kind in _PLACE_KINDS)
    names = [n.strip() for n in re.split(r",\s*|\s+và\s+" if places else r",\s*", listed) if n.strip()]
    return [f"{head[:1].upper()}{head[1:]} {name}" for name in names]


def _agency(name: str) -> tuple[str | None, str]:
    """("UBND", "huyện Văn Lâm") for "Ủy ban nhân dân huyện Văn Lâm"; (None, name) otherwise."""
    folded = fold(name)
    for words, short in _AGENCIES:
        if folded.startswith(fold(words) + " "):
            return short, " ".join(name.split()[len(words.split()):])
    return None, name


def _place(rest: str) -> tuple[str | None, str]:
    """("huyện", "Văn Lâm") for "huyện Văn Lâm"."""
    words = rest.split()
    for size in (2, 1):
        kind = fold(" ".join(words[:size]))
        if kind in _PLACE_KINDS and len(words) > size:
            return _PLACE_KINDS[kind], " ".join(words[size:])
    return None, rest


def _unit(name: str, line: str, province: str | None, acronyms: dict[str, str]) -> PlanUnit:
    agency, rest = _agency(name)
    kind, place = _place(rest)
    flag = None
    if kind:
        checked, district = checked_place(place, province)
        if district is not None and fold(district.kind) != fold(kind) and district.kind:
            kind = district.kind.lower()
        if checked != place:
            flag = f"the plan writes «{place}»; the gazetteer knows «{checked}» in {province or 'Việt Nam'}: check"
        written, place = place, checked
        full = f"{'Ủy ban nhân dân' if agency == 'UBND' else agency or ''} {kind} {place}".strip()
        short = f"{agency or ''} {kind} {place}".strip()
        aliases = [short, place, _plain(place), f"{_plain(kind)} {_plain(place)}"]
        if written != place:
            aliases.append(written)
        uid = slug(f"{agency or ''} {place}")
        return PlanUnit(uid, full, short, short.upper(), _unique(aliases), line, flag=flag)
    short = _abbreviated(name, acronyms)
    if province and name.endswith(" tỉnh"):          # "Bệnh viện Đa khoa tỉnh" -> "… tỉnh Nam Định"
        full = f"{name} {province}"
    elif province and "tinh" not in fold(name).split():
        full = f"{name} tỉnh {province}"
    else:
        full = name
    return PlanUnit(_unit_id(name), full, short, _issuer(name), _unique([short, name, _plain(short)]), line)


def _abbreviated(name: str, acronyms: dict[str, str]) -> str:
    """The name with the plan's own acronyms ("Khu công nghiệp" -> "KCN"), as units write it."""
    for acronym, words in acronyms.items():
        size = len(words.split())
        parts = name.split()
        for n in range(len(parts) - size + 1):
            if fold(" ".join(parts[n:n + size])) == fold(words):
                return " ".join(parts[:n] + [acronym.upper()] + parts[n + size:])
    return name


def _plain(text: str) -> str:
    """Without diacritics, as people type it: "Văn Lâm" -> "Van Lam"."""
    return " ".join(w.capitalize() if w0[:1].isupper() else w
                    for w, w0 in zip(fold(text).split(), text.split()))


def _unique(values: list[str]) -> list[str]:
    out = []
    for value in values:
        if value and value not in out:
            out.append(value)
    return out


def _unit_id(name: str) -> str:
    """"Sở Công thương" -> so-cong-thuong; "Ban Quản lý các Khu công nghiệp tỉnh" -> bql-kcn: a long
    name by the initials of its head and of its object."""
    words = [w for w in name.split() if fold(w) not in ("tinh",)]
    if "các" in words and len(words) > 4:
        at = words.index("các")
        head, tail = words[:at], [w for w in words[at + 1:] if fold(w) not in _FILLERS]
        tail_id = "".join(fold(w)[0] for w in tail) if len(tail) > 1 else slug(" ".join(tail))
        return f"{''.join(fold(w)[0] for w in head)}-{tail_id}"
    return slug(" ".join(words))


def _issuer(name: str) -> str:
    """The name as a header prints it: capitals, without the trailing "tỉnh"."""
    return re.sub(r"\s+TỈNH$", "", name.upper())


# ------------------------------------------------------------------ annexes: outlines and tables

def _annexes(plan: CampaignPlan, content: Content, texts: list[str]) -> None:
    starts = [n for n, b in enumerate(content.blocks)
              if isinstance(b, Paragraph) and fold(b.text).startswith("de cuong bao cao")]
    if not starts:
        plan.notes.append("no \"ĐỀ CƯƠNG BÁO CÁO\" annex: outlines to be written by hand")
    vocabulary = _vocabulary(plan)
    tables: list[tuple[PlanOutline, Table]] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(content.blocks)
        outline, table = _annex(plan, content.blocks[start:end], texts)
        plan.outlines.append(outline)
        if table is not None:
            tables.append((outline, table))
    if tables:
        _appendix(plan, tables, vocabulary, texts)
    ids = [o.id for o in plan.outlines]
    for outline in plan.outlines:
        if ids.count(outline.id) > 1:
            outline.id = f"{outline.id}-{ids[:plan.outlines.index(outline) + 1].count(outline.id)}"
    for outline in plan.outlines:
        for unit in plan.units:
            if unit.id in outline.units and unit.outline is None:
                unit.outline = outline.id


def _annex(plan: CampaignPlan, blocks: list, texts: list[str]) -> tuple[PlanOutline, Table | None]:
    title_line = collapse(blocks[0].text)
    target = re.sub(r"^đề cương báo cáo\s*(đối với|của|dành cho)?\s*", "", title_line, flags=re.IGNORECASE).strip()
    units = _outline_units(plan, target)
    shown = _mixed_case(target, texts)
    if shown == target and len(units) == 1 and target.isupper():   # "BAN QUẢN LÝ CÁC KCN TỈNH"
        shown = units[0].short_name
    outline = PlanOutline(_outline_id(target, units), f"Đề cương báo cáo đối với {shown}" if target
                          else "Đề cương báo cáo", target, [], [], [u.id for u in units], title_line)
    stack: list[tuple[str, str]] = []      # (numbering style, key) from the top level down
    previous: dict[str, tuple[int, ...]] = {}
    table = None
    for block in blocks[1:]:
        if isinstance(block, Table):
            table = table or block
            continue
        text = collapse(block.text)
        if fold(text).startswith("phu luc"):
            continue
        number, rest = numbering(text)
        if number is None or number.style == "part" or not rest:
            continue
        emphasised = block.bold or block.style_level is not None
        expected = _follows(previous.get(number.style), number.value)
        if not emphasised and not expected:
            continue
        while stack and stack[-1][0] != number.style and number.style in [s for s, _ in stack]:
            stack.pop()
        if stack and stack[-1][0] == number.style:
            stack.pop()
        parent = stack[-1][1] if stack else None
        last = number.label.split(".")[-1] if number.style.startswith(("multi", "rmulti")) else number.label
        key = f"{parent}.{last}" if parent else last
        title = _item_title(rest, emphasised)
        outline.items.append((key, title))
        stack.append((number.style, key))
        previous[number.style] = number.value
        for style in [s for s in previous if s not in [x for x, _ in stack]]:
            del previous[style]
    return outline, table


def _follows(before: tuple[int, ...] | None, value: tuple[int, ...]) -> bool:
    """Whether a number continues the sequence of its style ("2.3." after "2.2.")."""
    return before is not None and len(before) == len(value) and before[:-1] == value[:-1] and value[-1] == before[-1] + 1


def _item_title(rest: str, emphasised: bool) -> str:
    """An item's title: the heading's words; a number run into its paragraph keeps the first
    sentence, a cited document without its date and issuer."""
    title = rest.strip().rstrip(".:;").strip()
    if not emphasised:
        title = re.split(r"(?<=[^\d])\.\s", title)[0]
        title = re.split(r"\s+ngày\s+\d{1,2}/\d{1,2}/\d{4}", title)[0]
    return title


def _outline_units(plan: CampaignPlan, target: str) -> list[PlanUnit]:
    """The units an annex is for: named by it ("SỞ CÔNG THƯƠNG"), or of the kinds it lists ("UBND
    HUYỆN, THỊ XÃ"); all units when it names none ("ĐỀ CƯƠNG BÁO CÁO", "... CÁC CƠ QUAN, ĐƠN VỊ")."""
    folded = f" {_expanded(target, plan)} "
    named = [u for u in plan.units if f" {_expanded(u.short_name, plan)} " in folded
             or f" {_expanded(u.name, plan)} " in folded]
    if named:
        return named
    kinds = {k for k in _PLACE_KINDS if f" {k} " in folded} if _agency(target)[0] else set()
    if kinds:
        return [u for u in plan.units if _place(_agency(u.short_name)[1])[0] in {_PLACE_KINDS[k] for k in kinds}]
    tokens = set(folded.split()) - _FILLERS
    scored = [u for u in plan.units if tokens and tokens <= set(_expanded(u.name, plan).split()) | _FILLERS]
    return scored or list(plan.units)


def _expanded(text: str, plan: CampaignPlan) -> str:
    """Folded, the plan's acronyms ("KCN") written out, fillers ("các", "tỉnh") out."""
    words = []
    for word in fold(text).split():
        words.extend(fold(plan.acronyms[word]).split() if word in plan.acronyms else [word])
    return " ".join(w for w in words if w not in _FILLERS)


def _acronyms(texts: list[str]) -> dict[str, str]:
    """Every acronym of the plan ("KCN", "CCN") that its own words write out: the first run of
    words whose initials it is ("Cụm công nghiệp" for CCN), lower case. The words of each line
    are folded once: their initials make a string the acronym is looked up in."""
    lines = []
    for text in texts:
        words = text.split()
        initials = "".join(f[0] if f.isalpha() else "#" for f in (fold(w) or "#" for w in words))
        lines.append((words, initials))
    found = {}
    for token in sorted({t for text in texts for t in re.findall(r"\b[A-ZĐ]{2,5}\b", text)}):
        wanted = fold(token)
        if wanted in ("ubnd", "hdnd"):
            continue
        for words, initials in lines:
            at = initials.find(wanted)
            if at >= 0:
                found[wanted] = " ".join(words[at:at + len(wanted)]).lower()
                break
    return found


def _outline_id(target: str, units: list[PlanUnit]) -> str:
    folded = fold(target)
    kinds = [k for k in _PLACE_KINDS if f" {k} " in f" {folded} "] if _agency(target)[0] else []
    if kinds:
        return slug(kinds[0])
    if len(units) == 1:
        words = units[0].short_name.split()
        head = words[:words.index("các")] if "các" in words else words
        head = [w for w in head if fold(w) not in _FILLERS]
        return "".join(fold(w)[0] for w in head)
    return "chung" if not folded else slug(" ".join([w for w in folded.split() if w not in _FILLERS][:3]))


def _vocabulary(plan: CampaignPlan) -> AppendixSchema:
    """The known column meanings (config/appendix-vocabulary.toml); its problems become notes."""
    problems: list[str] = []
    data = load_campaign_data(bundled("config") / VOCABULARY)
    vocabulary = schema_from(data.get("appendix"), problems, lambda *_: None)
    plan.notes.extend(f"{VOCABULARY}: {problem}" for problem in problems)
    return vocabulary


def _appendix(plan: CampaignPlan, tables: list[tuple[PlanOutline, Table]], vocabulary: AppendixSchema,
              texts: list[str]) -> None:
    """The campaign's appendix schema from the annex tables: columns by meaning (the vocabulary's,
    else one of their own), kinds from the header, part and group rows, groups from group rows."""
    columns: list[Column] = []
    kinds: dict[str, Kind] = {}
    groups: dict[str, list[str]] = {}
    for outline, table in tables:
        header = table.rows[0]
        for label in header:
            column = _column(label, vocabulary)
            if column is not None and column.key not in [c.key for c in columns]:
                columns.append(column)
        for row in [header] + table.rows[1:]:
            for kind in _kinds_in(row, plan.acronyms):
                kinds.setdefault(kind.key, kind)
                if kind.key not in outline.kinds:
                    outline.kinds.append(kind.key)
        for row in table.rows[1:]:
            lead, text = collapse(row[0] if row else ""), collapse(" ".join(dict.fromkeys(c for c in row[1:] if c)))
            if roman_value(lead) and text:
                words = _group_words(text, list(kinds.values()))
                if words and words not in groups.setdefault(lead, []):
                    groups[lead].append(words)
    if not any(c.key == "name" for c in columns):
        plan.notes.append("the annex tables have no name column: [appendix] to be checked by hand")
        return
    types = {c.type for c in columns}
    for column in vocabulary.columns:   # the vocabulary's guards, where a column they guard is
        if not column.read and column.key not in [c.key for c in columns] and (column.type in types):
            columns.append(column)
    order = [k for k in vocabulary.match_order if k in [c.key for c in columns]]
    order += [c.key for c in columns if c.key not in order]
    plan.appendix = AppendixSchema(item="PL", row_name="name", kinds=tuple(kinds.values()), columns=tuple(columns),
                                   match_order=tuple(order),
                                   groups=tuple(Group(k, tuple(v)) for k, v in groups.items()),
                                   total_words=vocabulary.total_words)
    plan.appendix_line = " | ".join(collapse(c) for c in tables[0][1].rows[0])
    for outline, _ in tables:
        outline.items.append(("PL", _appendix_title(outline, tables, kinds)))


def _column(label: str, vocabulary: AppendixSchema) -> Column | None:
    text = collapse(label)
    folded = fold(text)
    if not folded or folded in ("stt", "tt", "so tt"):
        return None
    known = vocabulary.column_of(folded)
    metric = "m2" in folded or "m²" in text
    if known is not None and not (known.type == "area" and metric):
        return Column(key=known.key, title=text, type=known.type, label=known.label, label_en=known.label_en,
                      words=known.words, starts=known.starts, exact=known.exact, read=known.read,
                      at_most=known.at_most)
    value_type = ("percent" if "%" in text or folded.startswith("ty le") else
                  "area" if re.search(r"\bha\b", folded) else
                  "money" if re.search(r"\b(dong|trieu dong|ty dong)\b", folded) else
                  "date" if folded.startswith(("ngay", "thoi gian")) else
                  "count" if folded.startswith("so ") else
                  "number" if metric else "text")
    words = re.sub(r"\s*\(.*?\)\s*", " ", text).strip()
    return Column(key="_".join(re.sub(r"\(.*?\)", "", folded).split()) or "cot", title=text, type=value_type,
                  label=words.lower(), label_en=words, words=(words,))


def _kinds_in(row: list[str], acronyms: dict[str, str]) -> list[Kind]:
    """Kinds a header, part or group row names: an acronym after "Tên"/"Các" ("Tên CCN", "Các KCN
    ..."), written out by the plan's own words whose initials it is ("cụm công nghiệp")."""
    out = []
    for cell in row:
        for match in re.finditer(r"\b(?:Tên|Các)\s+([A-ZĐ]{2,5})\b", collapse(cell)):
            acronym = match.group(1)
            expansion = acronyms.get(fold(acronym))
            out.append(Kind(acronym, expansion or acronym, tuple(w for w in (acronym, expansion) if w)))
        plain = re.match(r"^Tên\s+([a-zđà-ỹ]+)$", collapse(cell))
        if plain:    # "Tên trường": a kind named by a common noun
            out.append(Kind(fold(plain.group(1)).upper(), plain.group(1), (plain.group(1),)))
    return out


def _group_words(text: str, kinds: list[Kind]) -> str:
    """A group row's words without "Các" and the kind: "Các CCN đã đi vào hoạt động" -> "đã đi vào hoạt động"."""
    words = [w for w in text.split() if fold(w) != "cac" and not any(fold(w) == fold(k) for kind in kinds
                                                                      for k in kind.words if " " not in k)]
    return " ".join(words)


def _appendix_title(outline: PlanOutline, tables: list, kinds: dict[str, Kind]) -> str:
    titles = [kinds[k].title for k in outline.kinds if k in kinds]
    table = next(t for o, t in tables if o is outline)
    parts = [collapse(r[1]) for r in table.rows[1:] if r and re.fullmatch(r"[A-H]", collapse(r[0])) and len(r) > 1]
    if len(titles) > 1 and len(parts) == len(titles):
        common = _common_words(parts)
        head = (common[:1].lower() + common[1:] + " ") if common else "danh mục "
        lettered = " và ".join(f"{title} ({chr(65 + n)})" for n, title in enumerate(titles))
        return f"Phụ lục: {head}các {lettered}"
    return f"Phụ lục: danh mục các {' và '.join(titles) or 'đối tượng'}"


def _common_words(texts: list[str]) -> str:
    words = [t.split() for t in texts]
    common = []
    for group in zip(*words):
        if len({fold(w) for w in group}) != 1:
            break
        common.append(group[0])
    return " ".join(common)
