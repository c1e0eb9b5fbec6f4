"""Headings of a report -> sections, and sections -> the keys of the campaign's outline.

A unit's report rarely copies the outline: headings may use Word heading styles or be plain bold
paragraphs, be upper case, be numbered "I.", "1.", "2.1.", "a)", "A." or "PHẦN THỨ NHẤT", be
renumbered because an item was left out, be reworded ("KIẾN NGHỊ, ĐỀ XUẤT"), or come with extra
sections the outline does not ask for. So a heading is matched to an outline item by its wording
first (diacritic-insensitive token overlap, weighted so that words every item shares count little),
and its number and place in the document (under which parent, at which depth) only break ties.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..config import Outline, OutlineItem
from ..reason import Reason
from ..text import collapse, fold
from .header import body_start, is_signature_line, is_upper
from .model import Content, Paragraph, Table

# A heading is short; a numbered paragraph longer than this is body text ("1. Năm 2023, ...").
_MAX_HEADING = 300
_MAX_PLAIN_HEADING = 200
_MAX_UPPER_HEADING = 120
_MAX_INLINE_HEADING = 150
# Scores: a heading takes an outline key when its score reaches MATCH; a heading that is only
# numbered (not bold, styled or upper case) must reach TENTATIVE_MATCH, since it may be a list item.
MATCH = 0.55
TENTATIVE_MATCH = 0.65
_DEPTH_PENALTY = 0.08
_PATH_BONUS = 0.08
_NUMBER_BONUS = 0.03
_PARENT_BONUS = 0.05
_PARENT_PENALTY = 0.25
# Level by level, a heading takes an item of its own depth only if no item elsewhere reads much
# more like it ("Kết quả thực hiện các nhiệm vụ và giải pháp" one level too high is still II.2.2).
_LEVEL_MARGIN = 0.08
# A heading does not take an item that another heading reads this much more like.
_CLAIM_MARGIN = 0.1
# A heading that reads word for word as one item is that item, at whatever level and number it
# stands (a similar item's number or depth must not outweigh the exact wording).
_EXACT = 0.98
_APPENDIX = "phu luc"
# Words that carry no meaning for matching, folded.
_STOPWORDS = frozenset("va cac cua theo tai tren ve da cho trong voi nhung mot so la duoc de".split())

_ROMAN = re.compile(r"^([IVXLC]+)\s*[.):/\-–]\s*(?=\S)")
_MULTI = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s*[):\-–]?\s*(?=\S)")
_ROMAN_MULTI = re.compile(r"^([IVX]{1,5}(?:\.\d{1,2})+)\.?\s*[):\-–]?\s*(?=\S)")
_DECIMAL = re.compile(r"^(\d{1,2})\s*[.):/\-–]\s*(?=\S)")
_UPPER_LETTER = re.compile(r"^([A-HĐ])\s*[.):\-–]\s+(?=\S)")
_LOWER_LETTER = re.compile(r"^([a-hđ])\s*[.)]\s+(?=\S)")
_ORDINALS = {"nhat": 1, "mot": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6, "bay": 7,
             "tam": 8, "chin": 9, "muoi": 10}


def roman_value(text: str) -> int | None:
    """I..XXX -> 1..30; anything else None."""
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    if not text or any(c not in values for c in text):
        return None
    total = 0
    for n, ch in enumerate(text):
        value = values[ch]
        total += -value if n + 1 < len(text) and values[text[n + 1]] > value else value
    return total if 0 < total <= 30 else None


@dataclass
class Numbering:
    """The printed number of a heading: its style ("roman", "decimal", "multi2" for "2.1.",
    "multi3" for "2.1.1.", "rmulti2" for "II.1.", "upper", "lower", "part") and value ((2,) for
    "II." or "2.", (2, 1) for "2.1." or "II.1.")."""

    style: str
    value: tuple[int, ...]
    label: str


def numbering(text: str) -> tuple[Numbering | None, str]:
    """The heading's number and the words after it."""
    text = collapse(text)
    part = _part_number(text)
    if part is not None:
        return part
    for style, pattern in (("rmulti", _ROMAN_MULTI), ("multi", _MULTI), ("roman", _ROMAN),
                           ("decimal", _DECIMAL), ("upper", _UPPER_LETTER), ("lower", _LOWER_LETTER)):
        match = pattern.match(text)
        if not match:
            continue
        label = match.group(1)
        if style == "roman":
            values = (roman_value(label),)
        elif style == "rmulti":
            head, *tail = label.split(".")
            values = (roman_value(head), *(int(p) for p in tail))
        elif style in ("multi", "decimal"):
            values = tuple(int(p) for p in label.split("."))
        else:
            values = ("abcdđefgh".index(label.lower()) + 1,)
        if None in values:
            continue
        if style in ("multi", "rmulti"):
            style = f"{style}{len(values)}"
        return Numbering(style, values, label), text[match.end():].strip()
    return None, text


def _part_number(text: str) -> tuple[Numbering, str] | None:
    """"PHẦN THỨ NHẤT: ...", "Phần I. ...", "CHƯƠNG 2 ...", "MỤC III ..."."""
    folded = fold(text).split()
    if len(folded) < 2 or folded[0] not in ("phan", "chuong", "muc"):
        return None
    at = 2 if folded[1] == "thu" and len(folded) > 2 else 1
    word = folded[at]
    value = _ORDINALS.get(word) or roman_value(word.upper()) or (int(word) if word.isdigit() else None)
    if not value:
        return None
    words = text.split()
    return Numbering("part", (value,), " ".join(words[:at + 1])), " ".join(words[at + 1:]).lstrip(" .:-–")


@dataclass
class _Heading:
    index: int                 # block index
    text: str
    rest: str                  # the words after the number
    number: Numbering | None
    style_level: int | None
    tentative: bool
    level: int = 1
    parent: int | None = None  # position of the parent heading in the list
    depth: int = 1
    path: tuple[int, ...] | None = None
    text_chars: int = 0
    # The body under the heading as printed, one paragraph (or table row) a line: the compiled
    # draft quotes it (draft_report.py).
    paragraphs: list[str] = field(default_factory=list)


def _candidate(block: Paragraph) -> _Heading | None:
    """Whether a paragraph is a heading, and how sure we are (see `find_sections`)."""
    text = collapse(block.text or "")
    if not text or text[0] in "-+*•–":
        return None
    number, rest = numbering(text)
    if not any(c.isalpha() for c in rest):
        return None
    if block.style_level is not None and len(text) <= _MAX_HEADING:
        return _Heading(0, text, rest, number, block.style_level, False)
    if number is None:
        return _unnumbered(block, text, rest)
    upper = is_upper(rest)
    if len(text) <= _MAX_HEADING and (block.bold or upper):
        return _Heading(0, text, rest, number, None, False)
    if number.style in ("roman", "part") and len(text) <= _MAX_PLAIN_HEADING:
        return _Heading(0, text, rest, number, None, False)
    head, colon, tail = text.partition(":")
    if colon and tail.strip() and len(head) <= _MAX_INLINE_HEADING:
        # "1. Công tác tham mưu triển khai: Thực hiện ..." - the heading runs into its text.
        return _Heading(0, head, numbering(head)[1], number, None, True, text_chars=len(tail.strip()),
                        paragraphs=[tail.strip()])
    if len(text) <= _MAX_PLAIN_HEADING and not text.endswith((";", ",")):
        return _Heading(0, text, rest, number, None, True)
    return None


def _unnumbered(block: Paragraph, text: str, rest: str) -> _Heading | None:
    if fold(text).startswith(_APPENDIX) and len(text) <= _MAX_PLAIN_HEADING:
        return _Heading(0, text, rest, None, None, False)
    if len(text) > _MAX_PLAIN_HEADING or text.endswith((";", ",")):
        return None
    if text.endswith(":") and not (block.bold and is_upper(text)):
        return None     # "Kết quả cụ thể như sau:" introduces text; "ĐỀ XUẤT, KIẾN NGHỊ:" heads it
    if block.bold:
        return _Heading(0, text, rest, None, None, False)
    if is_upper(text) and len(text) <= _MAX_UPPER_HEADING:
        return _Heading(0, text, rest, None, None, True)
    return None


def _continues(heading: _Heading, block: Paragraph, previous: Paragraph) -> bool:
    """A numbered heading broken over two lines (PDF) or paragraphs: the next paragraph, in the
    same face and unnumbered, finishes it when it starts in lower case, or - a PDF line - when
    the face is one body text does not have (bold, capitals): a plain-face heading followed by a
    plain line starting with a capital is followed by its text."""
    text = collapse(block.text or "")
    if not text or heading.number is None or heading.tentative or block.style_level is not None:
        return False
    if block.bold != previous.bold or numbering(text)[0] is not None or heading.text.endswith((".", ":")):
        return False
    if len(heading.text) + len(text) > _MAX_HEADING:
        return False
    return text[0].islower() or block.page is not None and (previous.bold or is_upper(text))


def _scan(content: Content, start: int) -> list[_Heading]:
    """Headings in document order from block `start` on, with the body text under each counted."""
    headings: list[_Heading] = []
    in_signature = in_appendix = False
    previous: Paragraph | None = None
    for index, block in enumerate(content.blocks[start:], start):
        if isinstance(block, Table):
            signature = any(is_signature_line((cell or "").strip().split("\n")[0]) for row in block.rows for cell in row)
            if headings:
                headings[-1].text_chars += sum(len(collapse(c or "")) for row in block.rows for c in row)
                if not (signature or in_signature):   # the signature block is no section's text
                    headings[-1].paragraphs.extend(_row_line(row) for row in block.rows if _row_line(row))
            in_signature = in_signature or signature
            previous = None
            continue
        text = collapse(block.text or "")
        last = headings[-1] if headings else None
        if last is not None and previous is not None and last.index == index - 1 and _continues(last, block, previous):
            last.text, last.rest, last.index = f"{last.text} {text}", f"{last.rest} {text}", index
            previous = block
            continue
        previous = block
        if text and is_signature_line(re.split(r"\t| {3,}", block.text.strip())[-1]):
            in_signature = True
        heading = _candidate(block)
        if heading is not None and fold(text).startswith(_APPENDIX):
            in_appendix, in_signature = True, False
        elif in_appendix or in_signature:
            heading = None
        if heading is None:
            if last is not None:
                last.text_chars += len(text)
                if text and not in_signature:
                    last.paragraphs.append(text)
            continue
        heading.index = index
        headings.append(heading)
    return headings


def _row_line(row: list[str]) -> str:
    """A table row as one line of text: its non-empty cells, in order, between bars."""
    return " | ".join(cell for cell in (collapse(c or "") for c in row) if cell)


def _style_of(heading: _Heading) -> str:
    if fold(heading.text).startswith(_APPENDIX):
        return "appendix"
    if heading.number is not None:
        return heading.number.style
    if heading.style_level is not None:
        return f"style{heading.style_level}"
    return "plain-upper" if is_upper(heading.rest) else "plain"


def _levels(headings: list[_Heading]) -> None:
    """Depth of each heading from the nesting of numbering styles: the first style met is the top
    level, a new style goes one level down, a style met before closes the levels under it. A
    heading style (Heading 1/2/3) gives the level directly; "PHỤ LỤC" and "PHẦN ..." start over."""
    stack: list[tuple[str, int]] = []   # (style, position of the heading)
    for n, heading in enumerate(headings):
        style = _style_of(heading)
        if style in ("appendix", "part"):
            stack = []
        styles = [s for s, _ in stack]
        if style in styles:
            stack = stack[:styles.index(style)]
        elif heading.style_level is not None:
            stack = [(s, p) for s, p in stack
                     if headings[p].style_level is None or headings[p].style_level < heading.style_level]
        heading.parent = stack[-1][1] if stack else None
        stack.append((style, n))
        heading.level = heading.style_level or len(stack)
        heading.depth = len(stack)
        heading.path = _path(heading, headings)


def _path(heading: _Heading, headings: list[_Heading]) -> tuple[int, ...] | None:
    """The outline position its numbering claims: "2.1." under "II." is (2, 2, 1)."""
    if heading.number is None:
        return None
    style = heading.number.style
    if style.startswith("rmulti"):
        return heading.number.value
    above = heading.parent
    if style.startswith("multi"):
        while above is not None and headings[above].number is not None \
                and headings[above].number.style.startswith(("decimal", "multi", "lower")):
            above = headings[above].parent
    if above is None:
        return heading.number.value
    base = headings[above].path
    return None if base is None else base + heading.number.value


def find_sections(content: Content) -> list[dict]:
    """Every heading after the title block, in order: key (None here), heading, level, text_chars,
    and what `match_outline` needs to place it (tentative, parent, depth, path, number, words).

    Headings are paragraphs with a heading style; numbered ("I.", "1.", "2.1.", "a)", "A.",
    "PHẦN THỨ NHẤT") short paragraphs in bold or upper case, or numbered with a Roman numeral;
    short bold paragraphs; "PHỤ LỤC". A numbered paragraph in plain face, or an upper-case one
    without number, is `tentative`: `match_outline` keeps it only if its wording matches an
    outline item closely. Paragraphs of the signature block and those after the "PHỤ LỤC" heading
    (the appendix's own titles) are not sections; neither is anything inside a table.
    """
    headings = _scan(content, body_start(content))
    _levels(headings)
    return [{
        "key": None, "heading": heading.text, "level": heading.level, "text_chars": heading.text_chars,
        "text": "\n".join(heading.paragraphs), "tentative": heading.tentative, "parent": heading.parent, "depth": heading.depth,
        "path": heading.path, "number": heading.number.value[-1] if heading.number else None,
        "words": heading.rest,
    } for heading in headings]


# ------------------------------------------------------------------ matching to the outline

def _tokens(text: str) -> set[str]:
    return set(fold(text).split())


def _key_path(key: str) -> tuple[int, ...] | None:
    parts = []
    for part in key.split("."):
        value = roman_value(part) if not part.isdigit() else int(part)
        if value is None:
            return None
        parts.append(value)
    return tuple(parts)


def is_appendix_item(item: OutlineItem, appendix_key: str | None = None) -> bool:
    """The outline's appendix item (the campaign's `[appendix] item`, or an item titled "Phụ
    lục ..."): present when appendix rows were read, not by wording."""
    return item.key == appendix_key or fold(item.title).startswith(_APPENDIX)


@dataclass
class _Vocabulary:
    """Token weights for one outline: a word that many items share ("kết quả thực hiện") tells
    little; a word only one item has ("tham mưu", "kiến nghị") tells a lot."""

    weights: dict[str, float] = field(default_factory=dict)
    unknown: float = 1.0

    @classmethod
    def of(cls, items: list[OutlineItem]) -> "_Vocabulary":
        counts: dict[str, int] = {}
        for item in items:
            for token in set().union(*(_tokens(t) for t in (item.title, *item.aliases))):
                counts[token] = counts.get(token, 0) + 1
        n = max(len(items), 1)
        weights = {t: (0.2 if t in _STOPWORDS else math.log(1 + n / c)) for t, c in counts.items()}
        # A heading word no item has ("tổ chức", "phương hướng") speaks against every item almost
        # as much as a word only one item has speaks for it.
        return cls(weights, unknown=math.log(1 + n) * 0.75)

    def weight(self, tokens: set[str]) -> float:
        return sum(0.2 if t in _STOPWORDS else self.weights.get(t, self.unknown) for t in tokens)


def similarity(words: str, item: OutlineItem, vocabulary: _Vocabulary) -> float:
    """Weighted overlap (Dice) of the heading's words with the item's title or an alias, the best
    of them; 1.0 for the same words in any order, case or diacritics."""
    heading = _tokens(words)
    if not heading:
        return 0.0
    best = 0.0
    for variant in (item.title, *item.aliases):
        tokens = _tokens(variant)
        total = vocabulary.weight(heading) + vocabulary.weight(tokens)
        if total:
            best = max(best, 2 * vocabulary.weight(heading & tokens) / total)
    return best


def _parent_key(key: str) -> str | None:
    return key.rsplit(".", 1)[0] if "." in key else None


def _keyed_ancestor(n: int, sections: list[dict], keys: dict[int, str]) -> str | None:
    above = sections[n]["parent"]
    while above is not None:
        if above in keys:
            return keys[above]
        above = sections[above]["parent"]
    return None


def _keyed_descendants(n: int, sections: list[dict], keys: dict[int, str]) -> list[str]:
    """Keys already given to headings under section n."""
    found = []
    for m, key in keys.items():
        above = sections[m]["parent"]
        while above is not None and above != n:
            above = sections[above]["parent"]
        if above == n:
            found.append(key)
    return found


def _score(n: int, section: dict, item: OutlineItem, base: float, sections: list[dict],
           keys: dict[int, str], strict_depth: bool) -> float:
    """Wording first; number, depth, parent and children only move the score a little: a heading
    whose sub-heading holds "II.2.1" is not its sibling II.2.2."""
    depth = len(item.key.split("."))
    if strict_depth and section["depth"] != depth:
        return 0.0
    score = base - _DEPTH_PENALTY * min(abs(section["depth"] - depth), 2)
    path = _key_path(item.key)
    if path is not None and section["path"] == path:
        score += _PATH_BONUS
    elif path is not None and section["number"] == path[-1]:
        score += _NUMBER_BONUS
    ancestor = _keyed_ancestor(n, sections, keys)
    if ancestor is not None:
        if item.key.startswith(ancestor + "."):
            score += _PARENT_BONUS
        elif _parent_key(item.key) != _parent_key(ancestor) or depth > 1:
            score -= _PARENT_PENALTY
    if any(not key.startswith(item.key + ".") for key in _keyed_descendants(n, sections, keys)):
        score -= _PARENT_PENALTY
    return score


def _claimed_elsewhere(n: int, key: str, sections: list[dict], items: list[OutlineItem], base: dict,
                       keys: dict[int, str]) -> bool:
    """Whether another heading, not placed yet, reads clearly more like the item than heading n
    and likes no item better: it is that item's heading at another level (a report without the
    "II." heading has II.2 one level up, and its "2. Về thực hiện các nhiệm vụ, giải pháp" one
    level up too, where II.2 stands in the outline)."""
    mine = base[n, key]
    for m, section in enumerate(sections):
        theirs = base[m, key]
        if m == n or m in keys or theirs < mine + _CLAIM_MARGIN:
            continue
        if theirs >= (TENTATIVE_MATCH if section["tentative"] else MATCH) \
                and theirs >= max(base[m, item.key] for item in items):
            return True
    return False


def _assign(sections: list[dict], items: list[OutlineItem], base: dict, keys: dict[int, str],
            strict_depth: bool, depth: int | None = None) -> None:
    """Greedy best-first: the highest-scoring (section, item) pair is fixed first; each key and
    each section is used once."""
    pairs = []
    for n, section in enumerate(sections):
        if n in keys or (depth is not None and section["depth"] != depth):
            continue
        best = max((base[n, item.key] for item in items), default=0.0)
        floor = best if best >= _EXACT else best - _LEVEL_MARGIN if strict_depth else 0.0
        for item in items:
            if item.key in keys.values() or base[n, item.key] < floor:
                continue
            if _claimed_elsewhere(n, item.key, sections, items, base, keys):
                continue
            score = _score(n, section, item, base[n, item.key], sections, keys, strict_depth)
            if score >= (TENTATIVE_MATCH if section["tentative"] else MATCH):
                pairs.append((score, -n, item.key))
    for score, neg_n, key in sorted(pairs, reverse=True):
        if -neg_n not in keys and key not in keys.values():
            keys[-neg_n] = key


def match_outline(sections: list[dict], outline: Outline, has_appendix_rows: bool,
                  appendix_key: str | None = None):
    """-> (sections with keys, present keys, missing keys, warnings).

    Headings are placed level by level - top-level headings on top-level items first, then their
    children on items under them - and what is left is matched across levels, round after round
    while headings are placed, so that a report whose levels differ from the outline's still finds
    its items. The appendix item is present when
    at least one appendix row was read from this file; a "PHỤ LỤC" heading takes its key then.
    `present` is in outline order; `present` + `missing` are the outline's keys.
    """
    items = [item for item in outline.items if not is_appendix_item(item, appendix_key)]
    appendix = next((item for item in outline.items if is_appendix_item(item, appendix_key)), None)
    vocabulary = _Vocabulary.of(items)
    base = {(n, item.key): similarity(s["words"], item, vocabulary)
            for n, s in enumerate(sections) for item in items}
    keys: dict[int, str] = {}
    for depth in sorted({len(item.key.split(".")) for item in items}):
        _assign(sections, items, base, keys, strict_depth=True, depth=depth)
    placed = -1
    while len(keys) != placed:     # a heading placed in one round is the context of its children in the next
        placed = len(keys)
        _assign(sections, items, base, keys, strict_depth=False)
    if appendix is not None and has_appendix_rows:
        for n, section in enumerate(sections):
            if n not in keys and fold(section["heading"]).startswith(_APPENDIX):
                keys[n] = appendix.key
                break
    found = set(keys.values()) | ({appendix.key} if appendix is not None and has_appendix_rows else set())
    present = [key for key in outline.keys() if key in found]
    missing = [key for key in outline.keys() if key not in found]
    out = _kept(sections, lambda n, s: not s["tentative"] or n in keys, keys)
    return out, present, missing, empty_section_warnings(out)


def unmatched_sections(sections: list[dict]) -> tuple[list[dict], list[Reason]]:
    """Sections of a document that no outline applies to: keys None, tentative headings left
    out (nothing confirms them), and the warnings for headings with nothing under them."""
    out = _kept(sections, lambda _n, s: not s["tentative"], {})
    return out, empty_section_warnings(out)


def _kept(sections: list[dict], keep, keys: dict[int, str]) -> list[dict]:
    """The sections shown: those `keep(n, section)` accepts, with their keys. A heading left out
    (a numbered list item that looked like one) is part of the text above it, so its line and its
    text join the previous kept section's `text`."""
    out: list[dict] = []
    for n, section in enumerate(sections):
        if keep(n, section):
            out.append({"key": keys.get(n), "heading": section["heading"], "level": section["level"],
                        "text_chars": section["text_chars"], "text": section["text"]})
        elif out:
            out[-1]["text"] = "\n".join(t for t in (out[-1]["text"], section["heading"], section["text"]) if t)
    return out


def empty_section_warnings(sections: list[dict]) -> list[Reason]:
    """A heading with nothing under it: no text before the next heading, which is not its child."""
    warnings = []
    for n, section in enumerate(sections):
        following = sections[n + 1] if n + 1 < len(sections) else None
        if section["text_chars"] == 0 and (following is None or following["level"] <= section["level"]):
            warnings.append(Reason(f"section «{section['heading']}» has no text",
                                   f"Mục «{section['heading']}» không có nội dung."))
    return warnings
