"""A layered drawing of a directed graph (Sugiyama's method), small enough to read in one go.

Used for the argument map: every edge points from a layer to a lower one (the thesis and the
proposals at layer 0, what supports or attacks them further out), edges that skip layers pass
through dummy slots of their own in the layers between, and each layer's order is chosen by
barycentres to avoid crossings. Coordinates are abstract: ``x`` is the layer, ``y`` a position in
its column where neighbours are at least 1 apart, so that the caller scales both to pixels.
Pure Python over plain ids: no plotting here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

#: How many barycentre sweeps (each down and up) the ordering tries; the fewest crossings win.
SWEEPS = 12
#: How many rounds of pulling each slot towards its neighbours the vertical placement runs.
ROUNDS = 24

Point = tuple[float, float]


@dataclass(frozen=True)
class Layout:
    """Where the nodes go and how the edges run.

    ``pos``: node -> (layer, y). ``routes``: for each edge, in the order given, its points from
    source to target (through the dummy slots of the layers it skips). ``reversed``: the edges
    (by index) drawn against the layering, which breaks a cycle.
    """

    pos: dict[str, Point]
    routes: list[list[Point]]
    reversed: frozenset[int]

    @property
    def layers(self) -> int:
        """How many layers (columns) there are."""
        return 1 + max((int(x) for x, _ in self.pos.values()), default=-1)

    @property
    def height(self) -> float:
        """The span of the y coordinates, dummy slots included (0 for one row)."""
        ys = [y for route in self.routes for _, y in route] + [y for _, y in self.pos.values()]
        return max(ys, default=0.0) - min(ys, default=0.0)


def layout(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    floor: Mapping[str, int] | None = None,
) -> Layout:
    """Lay out ``nodes`` (in a preferred order) and the directed ``edges`` between them.

    A node's layer is the longest path from it to a node with no outgoing edge, at least its
    ``floor`` (default 0). Edges that close a cycle are reversed for the layering only.
    """
    index = {node: n for n, node in enumerate(nodes)}
    if len(index) != len(nodes):
        raise ValueError("layout: a node is named twice")
    for source, target in edges:
        if source not in index or target not in index:
            raise ValueError(f"layout: edge {source} -> {target} names an unknown node")
        if source == target:
            raise ValueError(f"layout: edge {source} -> {target} is a loop")
    back = _back_edges(nodes, edges)
    forward = [(t, s) if i in back else (s, t) for i, (s, t) in enumerate(edges)]
    layer = _layers(nodes, forward, floor or {})

    # Proper layering: a slot in every layer an edge skips, so that no edge crosses a column
    # where it could meet a node.
    columns: list[list[str]] = [[] for _ in range(1 + max(layer.values(), default=0))]
    for node in nodes:
        columns[layer[node]].append(node)
    chains: list[list[str]] = []
    links: list[tuple[str, str]] = []
    for i, (source, target) in enumerate(forward):
        chain = [source]
        for k in range(layer[source] - 1, layer[target], -1):
            dummy = f"\x00{i}.{k}"
            layer[dummy] = k
            columns[k].append(dummy)
            chain.append(dummy)
        chain.append(target)
        chains.append(chain)
        links += list(pairwise(chain))

    columns = _order(columns, links)
    y = _place(columns, links)
    pos = {node: (float(layer[node]), y[node]) for node in nodes}
    routes = []
    for i, chain in enumerate(chains):
        points = [(float(layer[node]), y[node]) for node in chain]
        routes.append(points[::-1] if i in back else points)
    return Layout(pos, routes, frozenset(back))


def _back_edges(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> set[int]:
    """The edges (by index) that a depth-first search in node order finds closing a cycle."""
    out: dict[str, list[tuple[int, str]]] = {node: [] for node in nodes}
    for i, (source, target) in enumerate(edges):
        out[source].append((i, target))
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    back: set[int] = set()
    for root in nodes:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                state[node] = 2
                stack.pop()
                continue
            i, target = step
            if state.get(target) == 1:
                back.add(i)
            elif target not in state:
                state[target] = 1
                stack.append((target, iter(out[target])))
    return back


def _layers(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], floor: Mapping[str, int]
) -> dict[str, int]:
    """Each node's layer: one more than its highest target's, at least its floor (edges acyclic)."""
    out: dict[str, list[str]] = {node: [] for node in nodes}
    for source, target in edges:
        out[source].append(target)
    layer: dict[str, int] = {}
    for root in nodes:
        stack = [root]
        while stack:
            node = stack[-1]
            if node in layer:
                stack.pop()
                continue
            waiting = [t for t in out[node] if t not in layer]
            if waiting:
                stack += waiting
                continue
            stack.pop()
            layer[node] = max([floor.get(node, 0)] + [1 + layer[t] for t in out[node]])
    return layer


def _neighbours(links: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for a, b in links:
        found.setdefault(a, []).append(b)
        found.setdefault(b, []).append(a)
    return found


def crossings(columns: Sequence[Sequence[str]], links: Sequence[tuple[str, str]]) -> int:
    """How many pairs of links between adjacent columns cross."""
    where = {node: (k, n) for k, column in enumerate(columns) for n, node in enumerate(column)}
    between: dict[int, list[tuple[int, int]]] = {}
    for a, b in links:
        (ka, na), (kb, nb) = where[a], where[b]
        if ka < kb:
            (ka, na), (kb, nb) = (kb, nb), (ka, na)
        between.setdefault(kb, []).append((na, nb))
    total = 0
    for pairs in between.values():
        for i, (a1, b1) in enumerate(pairs):
            total += sum(1 for a2, b2 in pairs[i + 1 :] if (a1 - a2) * (b1 - b2) < 0)
    return total


def _order(columns: list[list[str]], links: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Columns reordered by barycentre sweeps, keeping the order with the fewest crossings."""
    near = _neighbours(links)
    best, fewest = [list(c) for c in columns], crossings(columns, links)
    current = [list(c) for c in columns]
    for sweep in range(2 * SWEEPS):
        # Alternately outwards (each column by the one nearer layer 0) and inwards.
        outwards = sweep % 2 == 0
        ks = range(1, len(current)) if outwards else range(len(current) - 2, -1, -1)
        for k in ks:
            fixed = current[k - 1] if outwards else current[k + 1]
            at = {node: n for n, node in enumerate(fixed)}

            def centre(node: str, n: int, at: dict[str, int] = at) -> float:
                found = [at[m] for m in near.get(node, []) if m in at]
                # A node with no neighbour there keeps its place.
                return sum(found) / len(found) if found else float(n)

            ranked = sorted(enumerate(current[k]), key=lambda p: (centre(p[1], p[0]), p[0]))
            current[k] = [node for _, node in ranked]
        count = crossings(current, links)
        if count < fewest:
            best, fewest = [list(c) for c in current], count
    return best


def _isotonic(values: Sequence[float]) -> list[float]:
    """The non-decreasing sequence nearest ``values`` (least squares: pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight]
    for v in values:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2 = blocks.pop()
            m1, w1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2])
    return [m for m, w in blocks for _ in range(int(w))]


def _place(columns: Sequence[Sequence[str]], links: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Each slot's y: in its column's order, 1 apart at least, as near its neighbours' mean as
    that allows (so that chains through dummy slots run straight)."""
    near = _neighbours(links)
    tallest = max((len(c) for c in columns), default=1)
    y: dict[str, float] = {}
    for column in columns:
        offset = (tallest - len(column)) / 2
        y.update({node: offset + n for n, node in enumerate(column)})
    for _ in range(ROUNDS):
        for column in columns:
            wanted = []
            for node in column:
                found = [y[m] for m in near.get(node, [])]
                wanted.append(sum(found) / len(found) if found else y[node])
            # y[n] >= y[n-1] + 1 is z = y - n non-decreasing: the nearest such z, shifted back.
            z = _isotonic([w - n for n, w in enumerate(wanted)])
            y.update({node: z[n] + n for n, node in enumerate(column)})
    low = min(y.values(), default=0.0)
    return {node: v - low for node, v in y.items()}
