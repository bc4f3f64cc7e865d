"""Layout of one PDF page: words into fragments, columns, reading order, lines.

A fragment is a run of words on one baseline with no wide gap inside (a
column's line, a table cell). Columns are found from positions alone: a
gutter is a vertical strip that many prose fragments lie on each side of and
few cross. The page is cut into horizontal slabs wherever a strip of white
runs across it; slabs that nothing crosses the gutter in are read column by
column, the others (a full-width title, abstract or table) across. This reads
a two-column article with a full-width head and floats the way a person does,
without trusting the order the producer wrote the text in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from qa.reading.pdfwords import Word

WORD_GAP = 1.2
"""A gap wider than this many font sizes ends a fragment (a column gutter, a table cell)."""
MAX_DEPTH = 3


@dataclass(slots=True)
class Fragment:
    words: list[Word]
    x0: float
    x1: float
    bottom: float
    top: float
    size: float
    page: int

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bold(self) -> bool:
        return all(w.bold for w in self.words if not w.sup)

    def add(self, w: Word) -> None:
        self.words.append(w)
        self.x1 = max(self.x1, w.x1)
        if not w.sup:
            self.bottom = min(self.bottom, w.bottom) if w.size >= self.size * 0.85 else self.bottom
            self.top = max(self.top, w.top)
            self.size = max(self.size, w.size)


@dataclass(slots=True)
class Line:
    frags: list[Fragment]
    page: int
    x0: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0
    top: float = 0.0
    size: float = 0.0
    flow: int = 0
    """Index of the column flow the line was read in (a new flow may start a new paragraph)."""
    left: float = 0.0
    right: float = 0.0
    """The flow's text edges (where its lines usually start and end)."""
    words: list[Word] = field(default_factory=list)
    text: str = ""
    numeric: float = 0.0
    """Share of the words that are values (numbers, not words with digits)."""

    def finish(self) -> Line:
        self.frags.sort(key=lambda f: f.x0)
        self.x0 = self.frags[0].x0
        self.x1 = max(f.x1 for f in self.frags)
        self.bottom = min(f.bottom for f in self.frags)
        self.top = max(f.top for f in self.frags)
        self.size = max(f.size for f in self.frags)
        self.words = [w for f in self.frags for w in f.words]
        self.text = " ".join(w.text for w in self.words)
        plain = [w.text for w in self.words if not w.sup]
        values = sum(1 for t in plain if not t[:1].isalpha() and any(c.isdigit() for c in t))
        self.numeric = values / max(len(plain), 1)
        return self

    @property
    def bold(self) -> bool:
        return all(w.bold for w in self.words if not w.sup)


def _overlap(a_bottom: float, a_top: float, b_bottom: float, b_top: float) -> float:
    return min(a_top, b_top) - max(a_bottom, b_bottom)


def _same_band(f: Fragment | Line, w: Word | Fragment) -> bool:
    h = min(f.top - f.bottom, w.top - w.bottom)
    return _overlap(f.bottom, f.top, w.bottom, w.top) >= 0.5 * max(h, 0.1)


def fragments(words: list[Word], page: int) -> list[Fragment]:
    """Words (content order) into fragments, then fragments the producer wrote in
    pieces (a bold run, a superscript) put back together."""
    out: list[Fragment] = []
    cur: Fragment | None = None
    for w in words:
        if cur is not None and -0.5 * cur.size <= w.x0 - cur.x1 <= WORD_GAP * cur.size:
            # _same_band, inlined: this runs once per word.
            h = min(cur.top - cur.bottom, w.top - w.bottom)
            if min(cur.top, w.top) - max(cur.bottom, w.bottom) >= 0.5 * (h if h > 0.1 else 0.1):
                cur.words.append(w)
                if w.x1 > cur.x1:
                    cur.x1 = w.x1
                if w.top > cur.top or w.size > cur.size or w.bottom < cur.bottom:
                    cur.words.pop()
                    cur.add(w)
                continue
        cur = Fragment([w], w.x0, w.x1, w.bottom, w.top, w.size, page)
        out.append(cur)
    _mark_superscripts(out)
    out.sort(key=lambda f: (-round(f.bottom), f.x0))
    merged: list[Fragment] = []
    for f in out:
        prev = next((m for m in reversed(merged[-6:]) if _same_band(m, f)), None)
        if prev is not None and -0.5 * prev.size <= f.x0 - prev.x1 <= WORD_GAP * max(prev.size, f.size):
            for w in f.words:
                prev.add(w)
            continue
        merged.append(f)
    merged.sort(key=lambda f: (-f.top, f.x0))
    return merged


def _mark_superscripts(frags: list[Fragment]) -> None:
    for f in frags:
        if len(f.words) < 2:
            continue
        base = max(w.size for w in f.words)
        floor = min(w.bottom for w in f.words if w.size >= 0.9 * base)
        for w in f.words:
            if w.size <= 0.8 * base and w.bottom > floor + 0.15 * base:
                w.sup = True


# --- columns ------------------------------------------------------------------------


def _is_prose(f: Fragment, width: float) -> bool:
    return len(f.words) >= 4 and f.x1 - f.x0 >= 0.25 * width


def _profiles(frags: list[Fragment], lo: float, n: int) -> tuple[list[int], list[int], list[int]]:
    """Per 1-pt bin: fragments ending at or before it, starting at or after it, crossing it."""
    ends, starts, cover = [0] * n, [0] * n, [0] * (n + 1)
    for f in frags:
        a = max(0, min(n - 1, int(f.x0 - lo)))
        b = max(0, min(n - 1, int(f.x1 - lo)))
        starts[a] += 1
        ends[b] += 1
        cover[a + 1] += 1
        cover[b] -= 1
    left, right, crossing = [0] * n, [0] * n, [0] * n
    acc = 0
    for i in range(n):
        acc += ends[i]
        left[i] = acc
    acc = 0
    for i in range(n - 1, -1, -1):
        acc += starts[i]
        right[i] = acc
    acc = 0
    for i in range(n):
        acc += cover[i]
        crossing[i] = acc
    return left, right, crossing


def _best_strip(prose: list[Fragment], crossers: list[Fragment], lo: float, n: int) -> tuple[int, float]:
    """(score, x) of the position with the most prose on both sides, less what crosses."""
    left, right, _ = _profiles(prose, lo, n)
    _, _, crossing = _profiles(crossers, lo, n)
    best, best_x, run = 0, -1, 0
    for i in range(int(0.2 * n), int(0.8 * n)):
        score = min(left[i], right[min(n - 1, i + 1)]) - crossing[i]
        if score > best:
            best, best_x, run = score, i, 1
        elif score == best and best_x >= 0 and i == best_x + run:
            run += 1  # the middle of a run of equally good positions
    return best, lo + best_x + run / 2


def find_gutter(frags: list[Fragment], lo: float, hi: float, depth: int = 0) -> float | None:
    """The x of the strip between columns, or None for a single column.

    Best: a strip with much prose on both sides and little across it. Failing that,
    the same with column-wide prose only, where the full-width lines across it all
    stand above or below the columns (an abstract over a two-column start). Failing
    that, a strip nothing at all crosses, with text on both sides and prose on one
    (a column taken up by a table beside a column of prose). The last two only split
    a whole page: inside a column, white running down is a table's, not a gutter."""
    width = hi - lo
    if width < 100 or len(frags) < 6:
        return None
    prose = [f for f in frags if _is_prose(f, width)]
    if len(prose) < 5:
        return None
    n = int(width) + 2
    score, x = _best_strip(prose, prose, lo, n)
    if score >= 3:
        return x
    if depth > 0:
        return None
    narrow = [f for f in prose if f.x1 - f.x0 <= 0.62 * width]
    score, x = _best_strip(narrow, narrow, lo, n)
    if score >= 8:
        sides = [f for f in narrow if f.x1 <= x or f.x0 >= x]
        top, bottom = max(f.top for f in sides), min(f.bottom for f in sides)
        if not any(f.x0 < x < f.x1 and f.bottom < top and f.top > bottom for f in prose):
            return x
    left, right, _ = _profiles(prose, lo, n)
    all_left, all_right, all_cross = _profiles(frags, lo, n)
    size = max(4.0, sorted(f.size for f in frags)[len(frags) // 2])
    best_run, best_mid, start = 0, -1.0, -1
    for i in range(int(0.2 * n), int(0.8 * n) + 1):
        free = i < int(0.8 * n) and all_cross[i] == 0 and all_left[i] >= 5 and all_right[min(n - 1, i + 1)] >= 5 \
            and max(left[i], right[min(n - 1, i + 1)]) >= 5
        if free and start < 0:
            start = i
        elif not free and start >= 0:
            if i - start > best_run:
                best_run, best_mid = i - start, start + (i - start) / 2
            start = -1
    if best_run >= size:
        return lo + best_mid
    return None


def _slabs(frags: list[Fragment]) -> list[list[Fragment]]:
    """Cut where a strip of white runs across all the fragments."""
    out: list[list[Fragment]] = []
    floor = float("inf")
    for f in sorted(frags, key=lambda f: -f.top):
        if out and f.top >= floor - 0.5:
            out[-1].append(f)
            floor = min(floor, f.bottom)
        else:
            out.append([f])
            floor = f.bottom
    return out


def _columnar(slab: list[Fragment], gutter: float, width: float, right_edge: float, size: float) -> bool | None:
    """Whether a slab is read column by column (None: no evidence either way).

    A fragment across the gutter says no; prose on either side, or text starting
    where the right column's lines start, says yes."""
    if any(f.x0 < gutter - 1 < gutter + 1 < f.x1 for f in slab):
        return False
    left = [f for f in slab if f.x1 <= gutter]
    right = [f for f in slab if f.x0 >= gutter]
    if not left or not right:
        return None
    if any(_is_prose(f, width / 2) for f in slab):
        return True
    if abs(min(f.x0 for f in right) - right_edge) <= size:
        return True
    return None


def _straddles(slab: list[Fragment], gutter: float) -> bool:
    """Cells on both sides of the gutter sharing their baselines: rows of a table across it."""
    left = [f for f in slab if f.x1 <= gutter]
    right = [f for f in slab if f.x0 >= gutter]
    shared = sum(1 for f in left if any(_same_band(f, g) for g in right))
    return bool(left) and shared >= 0.6 * len(left)


def order(frags: list[Fragment], lo: float, hi: float, depth: int = 0) -> list[list[Fragment]]:
    """Fragments as flows in reading order; each flow is one column's fragments, top down."""
    if not frags:
        return []
    gutter = find_gutter(frags, lo, hi, depth) if depth < MAX_DEPTH else None
    if gutter is None:
        return [sorted(frags, key=lambda f: (-f.top, f.x0))]
    width = hi - lo
    prose_right = Counter(round(f.x0) for f in frags if f.x0 >= gutter and _is_prose(f, width / 2))
    right_edge = prose_right.most_common(1)[0][0] if prose_right else gutter
    size = Counter(round(f.size) for f in frags).most_common(1)[0][0]
    slabs = _slabs(frags)
    votes = [_columnar(slab, gutter, width, right_edge, size) for slab in slabs]
    # A slab without evidence goes with the slabs around it; between a full-width part
    # and columns, its cells decide: rows straddling the gutter belong to the full width.
    for k, v in enumerate(votes):
        if v is not None:
            continue
        above = next((votes[j] for j in range(k - 1, -1, -1) if votes[j] is not None), None)
        below = next((x for x in votes[k + 1 :] if x is not None), None)
        if above is None or below is None or above == below:
            votes[k] = above if above is not None else below if below is not None else True
        else:
            votes[k] = not _straddles(slabs[k], gutter)
    bands: list[tuple[bool, list[Fragment]]] = []
    for slab, col in zip(slabs, votes, strict=True):
        if bands and bands[-1][0] == col:
            bands[-1][1].extend(slab)
        else:
            bands.append((bool(col), list(slab)))
    flows: list[list[Fragment]] = []
    for col, band in bands:
        if not col:
            flows.append(sorted(band, key=lambda f: (-f.top, f.x0)))
            continue
        left = [f for f in band if f.x1 <= gutter + 1]
        right = [f for f in band if f.x1 > gutter + 1]
        flows.extend(order(left, lo, gutter, depth + 1))
        flows.extend(order(right, gutter, hi, depth + 1))
    return flows


def lines_of(flow: list[Fragment], index: int) -> list[Line]:
    """One flow's fragments grouped into lines (same baseline), top down."""
    lines: list[Line] = []
    for f in flow:
        prev = next((ln for ln in reversed(lines[-4:]) if _same_band(ln.frags[0], f)), None)
        if prev is not None:
            prev.frags.append(f)
        else:
            lines.append(Line([f], f.page, flow=index))
    for ln in lines:
        ln.finish()
    lines.sort(key=lambda ln: -ln.top)
    if lines:
        # Where most lines start and end (justified prose), widened to where nearly all
        # do (a column that is mostly a table).
        x0s = sorted(ln.x0 for ln in lines)
        x1s = sorted(ln.x1 for ln in lines)
        left = min(Counter(round(x) for x in x0s).most_common(1)[0][0], x0s[len(x0s) // 10])
        right = max(Counter(round(x) for x in x1s).most_common(1)[0][0], x1s[(9 * len(x1s)) // 10])
        for ln in lines:
            ln.left, ln.right = left, right
    return lines


def page_lines(frags: list[Fragment], flow_base: int) -> list[Line]:
    """All lines of a page in reading order, their flows numbered from flow_base."""
    if not frags:
        return []
    lo = min(f.x0 for f in frags)
    hi = max(f.x1 for f in frags)
    out: list[Line] = []
    for i, flow in enumerate(order(frags, lo, hi)):
        out.extend(lines_of(flow, flow_base + i))
    return out
