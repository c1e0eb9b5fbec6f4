"""Tables drawn without lines, found in a PDF page's lines of words by their alignment.

A Word table whose borders were removed, or a workbook printed without grid lines, leaves only
words on the page. Its columns show as gutters: vertical bands of white that run down every line
of the table, wide enough to be the space between two cells (at least _GUTTER font sizes, where
the space between two words of one sentence is a quarter of one). Its rows are the lines of the
page, with a cell that wraps over several lines joined back.

How a table is found, and why it leaves prose alone:

* It starts at a line split by at least two wide gaps (three cells side by side). Prose never
  has such a line: a justified line spreads its slack over every space. The header and signature
  blocks (two cells) never start one.
* Each following line either fits the gutters (no word in them; a gutter narrows to the white
  the line leaves in it, or splits where the line puts a word in its middle - a column left
  empty on the first line), or crosses them: a group title spanning the columns ("I. Các CCN đã
  đi vào hoạt động"). The table ends at a wide vertical gap, at a third crossing line in a row,
  or at a line that crosses a gutter and does not lie within the table's width; crossing lines
  at its end are not part of it (the paragraph under the table).
* It is a table when at least _MIN_ROWS_OF_CELLS lines have three cells or more, in two gutters
  or more.
* Rows from the lines: two consecutive lines are one row when every column holding text on
  both lines wraps from the first into the second (its text there and the next word would not
  fit the column's width). So a cell wrapped over several lines is joined, whether the row's
  cells stand at its top (Word's default) or at its bottom (a workbook's); a total row under the
  last data row, with its numbers where the row above has them, is a row of its own.
* A cell's text is the words between two gutters; a run of words that crosses a gutter (a
  merged cell) stands in the column where it starts, and the columns it covers hold "".

The functions take the PDF reader's lines (`words`, `x0`, `x1`, `top`, `bottom`, `size`) and
words (`text`, `x0`, `x1`) and say which lines make which table.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..text import collapse
from .numbers import is_number_text

# A gap between words at least this many font sizes wide may be the space between two cells.
_GUTTER = 0.7
# A gutter narrower than this many points after every line has been fitted is no gutter.
_MIN_GUTTER_PT = 4.0
# Lines further apart than this many font sizes (top to bottom) are not one table.
_MAX_LINE_GAP = 4.0
_MAX_CROSSING_RUN = 2
# The lines at a table's top that may hold a header cell spanning columns.
_HEADER_LINES = 4
# A crossing line reaching further than this many font sizes beyond the table's lines so far is
# not in the table (a left-aligned group title may start left of a centred header cell).
_OUTSIDE = 3
_MIN_ROWS_OF_CELLS = 2
# Gaps within this ratio of each other are a justified line's stretched spaces.
_EVEN = 1.5


@dataclass
class LinelessTable:
    """Lines `first` to `last` (inclusive) of the page make this table: its rows of cell texts
    and its column edges (left edge, the middles of the gutters, right edge)."""

    first: int
    last: int
    rows: list[list[str]]
    column_edges: list[float]
    gutters: list[tuple[float, float]]
    top: float


def find_lineless_tables(lines: list, carried: LinelessTable | None = None) -> list[LinelessTable]:
    """The tables drawn without lines among a page's lines (top to bottom). `carried` is the
    table that ended the page before: the lines at the top of this page that fit its columns
    go on with it (a group title, or the last row alone on the new page), as the first table."""
    found = []
    index = 0
    if carried is not None and lines:
        table = _table_from(lines, 0, carried)
        if table is not None:
            found.append(table)
            index = table.last + 1
    while index < len(lines):
        table = _table_from(lines, index) if _three_cells(lines[index]) else None
        if table is None:
            index += 1
            continue
        found.append(table)
        index = table.last + 1
    return found


def _three_cells(line) -> bool:
    """Whether the line is split by two wide gaps or more, and its gaps are not all alike: a
    justified line of prose may stretch every space wide, evenly."""
    words = line.words
    gaps = [b.x0 - a.x1 for a, b in zip(words, words[1:])]
    return len(_wide_gaps(line)) >= 2 and max(gaps) > _EVEN * min(gaps)


def _wide_gaps(line) -> list[tuple[float, float]]:
    words = line.words
    return [(a.x1, b.x0) for a, b in zip(words, words[1:]) if b.x0 - a.x1 >= _GUTTER * line.size]


def _table_from(lines: list, start: int, carried: LinelessTable | None = None) -> LinelessTable | None:
    """The table whose first line is lines[start] (a line of three cells or more, or the first
    line of a page that goes on with the `carried` table), or None."""
    if carried is None:
        seed = lines[start]
        gutters, left, right = _wide_gaps(seed), seed.x0, seed.x1
        taken = [start]
    else:
        gutters, left, right = carried.gutters, carried.column_edges[0], carried.column_edges[-1]
        taken = []
    crossing: set[int] = set()
    run = 0
    for index in range(start + len(taken), len(lines)):
        line = lines[index]
        if taken and line.top - lines[taken[-1]].bottom > _MAX_LINE_GAP * max(line.size, lines[taken[-1]].size):
            break
        fitted = _fit(gutters, line)
        if fitted is not None:
            gutters, run = fitted, 0
            left, right = min(left, line.x0), max(right, line.x1)
            taken.append(index)
            continue
        inside = line.x0 >= left - _OUTSIDE * line.size and line.x1 <= right + _OUTSIDE * line.size
        run += 1
        if not inside or run > _MAX_CROSSING_RUN:
            break
        taken.append(index)
        crossing.add(index)
    while taken and taken[-1] in crossing:
        taken.pop()
    if not taken or len(gutters) < 2:
        return None
    if carried is None:
        # The table's own evidence, before hidden gutters are looked for: lines of three cells.
        edges = [left] + [(a + b) / 2 for a, b in gutters] + [right]
        if sum(1 for i in taken if i not in crossing and _three_cells(lines[i])
               and len(_Cells(lines[i], edges, False).runs) >= 3) < _MIN_ROWS_OF_CELLS:
            return None
    gutters = _with_hidden_gutters(gutters, [lines[i] for i in taken if i not in crossing], left, right)
    edges = [left] + [(a + b) / 2 for a, b in gutters] + [right]
    grid = [_Cells(lines[i], edges, i in crossing or _fit(gutters, lines[i]) is None) for i in taken]
    widths = [max((cells.width(column) for cells in grid if not cells.crossing), default=0.0)
              for column in range(len(edges) - 1)]
    rows: list[list[_Cells]] = []
    for cells in grid:
        if rows and _same_row(rows[-1], cells, widths, right):
            rows[-1].append(cells)
        else:
            rows.append([cells])
    texts = [[collapse(" ".join(cells.text(column) for cells in row)) for column in range(len(edges) - 1)]
             for row in rows]
    return LinelessTable(first=taken[0], last=taken[-1], rows=texts, column_edges=edges, gutters=gutters,
                         top=lines[taken[0]].top)


def _with_hidden_gutters(gutters: list[tuple[float, float]], lines: list, left: float,
                         right: float) -> list[tuple[float, float]]:
    """The gutters, and those the first line hid: white bands at least _GUTTER font sizes wide
    that all the table's lines but a few leave free, where a header line (one of the table's
    first) runs across it and the others have text on both sides (a header cell spanning two
    columns). A band no line touches, one a line only reaches into, or one only the longest
    texts of a column's data rows cross, is white inside a column, not between two."""
    if not lines:
        return gutters
    size = max(line.size for line in lines)
    allowed = max(1, len(lines) // 6)
    cover = [0] * (int(right - left) + 2)
    for line in lines:
        for word in line.words:
            for x in range(max(0, int(word.x0 - left)), min(len(cover), int(word.x1 - left) + 1)):
                cover[x] += 1
    bands, begin = [], None
    for x, count in enumerate(cover + [allowed + 1]):
        if count <= allowed and begin is None:
            begin = x
        elif count > allowed and begin is not None:
            if x - begin >= _GUTTER * size and begin > 0 and x < len(cover) and any(cover[begin:x]):
                bands.append((left + begin, left + x - 1))
            begin = None
    out = list(gutters)
    for x0, x1 in bands:
        if any(a < x1 and x0 < b for a, b in out):
            continue
        before = max([left] + [b for a, b in out if b <= x0])
        after = min([right] + [a for a, b in out if a >= x1])
        covering = [line for line in lines if any(w.x0 < x1 and x0 < w.x1 for w in line.words)]
        others = [line for line in lines if line not in covering]
        header = [line for line in covering if line in lines[:_HEADER_LINES]]
        spanned = header and all(any(w.x0 < x0 and w.x1 > before for w in line.words)
                                 and any(w.x1 > x1 and w.x0 < after for w in line.words) for line in header)
        if spanned and any(before <= w.x0 and w.x1 <= x0 for line in others for w in line.words) and \
                any(x1 <= w.x0 and w.x1 <= after for line in others for w in line.words):
            out.append((x0, x1))
    return sorted(out)


def _fit(gutters: list[tuple[float, float]], line) -> list[tuple[float, float]] | None:
    """The gutters narrowed by the line's words, or None when a word crosses one. A word inside
    a gutter splits it when it leaves gutter-wide white on both sides (a column the first line
    left empty), else the gutter keeps the wider white."""
    out = []
    for x0, x1 in gutters:
        free = [(x0, x1)]
        for word in line.words:
            if word.x1 <= x0 or word.x0 >= x1:
                continue
            free = [piece for a, b in free for piece in ((a, min(b, word.x0)), (max(a, word.x1), b))
                    if piece[1] - piece[0] >= _MIN_GUTTER_PT]
        if not free:
            return None
        wide = [piece for piece in free if piece[1] - piece[0] >= _GUTTER * line.size]
        out.extend(wide if len(wide) > 1 else [max(free, key=lambda piece: piece[1] - piece[0])])
    return out


class _Cells:
    """One line's words by column: runs of words closer than a gutter stay together, in the
    column where the run starts (a merged cell's text stands in its first column)."""

    def __init__(self, line, edges: list[float], crossing: bool) -> None:
        self.line, self.crossing = line, crossing
        self.runs: dict[int, list] = {}
        run: list = []
        for word in line.words:
            if run and (word.x0 - run[-1].x1 >= _GUTTER * line.size
                        or any(run[-1].x1 <= edge <= word.x0 for edge in edges[1:-1])):
                self._put(run, edges)
                run = []
            run.append(word)
        if run:
            self._put(run, edges)

    def _put(self, run: list, edges: list[float]) -> None:
        column = max(0, min(len(edges) - 2, sum(1 for edge in edges[1:-1] if edge <= run[0].x0)))
        self.runs.setdefault(column, []).extend(run)

    def text(self, column: int) -> str:
        return " ".join(word.text for word in self.runs.get(column, []))

    def width(self, column: int) -> float:
        words = self.runs.get(column)
        return words[-1].x1 - words[0].x0 if words else 0.0


def _same_row(row: list[_Cells], below: _Cells, widths: list[float], right: float) -> bool:
    """Whether the line `below` goes on with the row (its lines so far). A spanning title takes
    the lines that go on in its own columns only; a line that crosses the gutters starts a row
    unless it goes on with a spanning title (it starts where the title starts, and the title's
    line was full: its next word would have run past the table's right edge).
    A cell's lines follow each other: text in a column the row has left behind starts a row.
    Otherwise every column with text on both lines wraps: the text above and the next word would
    not fit the column's width - and where both are numbers, the one above fills the column (a
    number is wrapped only when it is wider than its column: two numbers one above the other
    are two rows, however narrow the column)."""
    above = row[-1]
    common = set(above.runs) & set(below.runs)
    if not common or below.crossing != above.crossing and (below.crossing or set(below.runs) - set(above.runs)):
        return False
    if any(column in cells.runs for column in set(below.runs) - set(above.runs) for cells in row):
        return False
    size = above.line.size
    if above.crossing:
        first = below.line.words[0]
        return (abs(below.line.x0 - above.line.x0) <= 0.5 * size
                and above.line.x1 + 0.3 * size + first.x1 - first.x0 > right)
    for column in common:
        width, first = above.width(column), below.runs[column][0]
        if width + 0.3 * size + first.x1 - first.x0 <= widths[column] - 1:
            return False
        if is_number_text(above.text(column)) and is_number_text(below.text(column)) \
                and width < widths[column] - 0.5 * size:
            return False
    return True
