"""The workflow's rule graph, drawn from ``snakemake --rulegraph`` without Graphviz.

``snakemake --rulegraph`` prints the graph of rules as Graphviz DOT. Graphviz
is not a Python package and is missing on many machines, so this module parses
the DOT text and lays the graph out itself: rules in columns by their longest
distance from a source (data flows left to right), long edges routed through
virtual points in the columns they cross, and the order inside each column
chosen by a few barycentre sweeps to keep crossings down. The result is
deterministic: the same graph always gives the same picture.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath

_NODE = re.compile(r'^\s*(?P<id>\w+)\s*\[\s*label\s*=\s*"(?P<label>[^"]+)"')
_EDGE = re.compile(r"^\s*(?P<src>\w+)\s*->\s*(?P<dst>\w+)")

# Stage colours: the palette of plotting.STYLE (colour-blind safe).
STAGE_COLOURS = {
    "data": "#0072B2",
    "experiment": "#009E73",
    "figure": "#E69F00",
    "report": "#CC79A7",
}


@dataclass(frozen=True)
class RuleGraph:
    rules: tuple[str, ...]  # rule names, in the order snakemake printed them
    edges: tuple[tuple[str, str], ...]  # (upstream rule, downstream rule)

    def without(self, *names: str) -> RuleGraph:
        drop = set(names)
        return RuleGraph(
            tuple(r for r in self.rules if r not in drop),
            tuple((a, b) for a, b in self.edges if a not in drop and b not in drop),
        )


def parse_rulegraph(dot: str) -> RuleGraph:
    """Rules and edges from the DOT text of ``snakemake --rulegraph``."""
    labels: dict[str, str] = {}
    edges = []
    for line in dot.splitlines():
        node = _NODE.match(line)
        if node:
            labels[node["id"]] = node["label"]
            continue
        edge = _EDGE.match(line)
        if edge:
            edges.append((edge["src"], edge["dst"]))
    if not labels:
        raise ValueError("no rule found in the rule graph: is this `snakemake --rulegraph` output?")
    unknown = {n for e in edges for n in e} - set(labels)
    if unknown:
        raise ValueError(f"edges refer to nodes without a label: {sorted(unknown)}")
    named = sorted({(labels[a], labels[b]) for a, b in edges})
    return RuleGraph(tuple(labels.values()), tuple(named))


def transitive_reduction(graph: RuleGraph) -> RuleGraph:
    """The same order with fewer lines: drop a -> c when a -> ... -> c exists anyway.

    ``render_report`` reads every figure, table and value file, so most rules
    have an edge to it; each of those edges is implied by a longer path, and
    dropping them leaves a picture one can read without changing what depends
    on what.
    """
    children: dict[str, set[str]] = defaultdict(set)
    for a, b in graph.edges:
        children[a].add(b)

    def reachable(start: str, skip_direct: str) -> bool:
        stack = [c for c in children[start] if c != skip_direct]
        seen: set[str] = set()
        while stack:
            node = stack.pop()
            if node == skip_direct:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(children[node])
        return False

    kept = tuple((a, b) for a, b in graph.edges if not reachable(a, b))
    return RuleGraph(graph.rules, kept)


def layers(graph: RuleGraph) -> dict[str, int]:
    """Column of each rule: the longest path reaching it from a source, then pulled right."""
    parents: dict[str, list[str]] = defaultdict(list)
    for a, b in graph.edges:
        parents[b].append(a)
    column: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(rule: str) -> int:
        if rule in column:
            return column[rule]
        if rule in visiting:
            raise ValueError(f"the rule graph has a cycle through {rule!r}")
        visiting.add(rule)
        column[rule] = 1 + max((visit(p) for p in parents[rule]), default=-1)
        visiting.discard(rule)
        return column[rule]

    for rule in graph.rules:
        visit(rule)
    # Then pull a rule right, next to its earliest consumer, when that does not
    # lengthen the lines in total (no more inputs than outputs): a table that
    # only the report reads is drawn beside the report, not beside the data.
    children: dict[str, list[str]] = defaultdict(list)
    for a, b in graph.edges:
        children[a].append(b)
    for rule in sorted(graph.rules, key=lambda r: (-column[r], r)):
        if children[rule] and len(children[rule]) >= len(parents[rule]):
            column[rule] = max(column[rule], min(column[c] for c in children[rule]) - 1)
    return column


@dataclass
class Layout:
    position: dict[str, tuple[float, float]]  # rule or virtual point -> (column, row)
    routes: list[list[str]]  # each edge as the chain of points it passes through
    columns: int
    rows: int


def layout(graph: RuleGraph, sweeps: int = 8) -> Layout:
    """Columns by :func:`layers`, rows by barycentre ordering with virtual points."""
    column = layers(graph)
    members: dict[int, list[str]] = defaultdict(list)
    for rule in sorted(graph.rules, key=lambda r: (column[r], r)):
        members[column[rule]].append(rule)
    up: dict[str, list[str]] = defaultdict(list)
    down: dict[str, list[str]] = defaultdict(list)
    routes = []
    for a, b in graph.edges:
        chain = [a]
        for c in range(column[a] + 1, column[b]):
            virtual = f"{a}->{b}@{c}"
            members[c].append(virtual)
            chain.append(virtual)
        chain.append(b)
        for u, v in itertools.pairwise(chain):
            down[u].append(v)
            up[v].append(u)
        routes.append(chain)
    n_columns = max(members) + 1 if members else 0

    def order_by(neighbours: dict[str, list[str]], c: int) -> None:
        rank = {}
        for i, point in enumerate(members[c]):
            linked = neighbours[point]
            rank[point] = (
                sum(index[n] for n in linked) / len(linked) if linked else float(i),
                i,
            )
        members[c].sort(key=lambda p: rank[p])
        for i, point in enumerate(members[c]):
            index[point] = i

    index = {p: i for c in members for i, p in enumerate(members[c])}
    for _ in range(sweeps):
        for c in range(1, n_columns):
            order_by(up, c)
        for c in range(n_columns - 2, -1, -1):
            order_by(down, c)
    n_rows = max((len(m) for m in members.values()), default=0)
    position = {}
    for c, points in members.items():
        offset = (n_rows - len(points)) / 2  # centre each column vertically
        for i, point in enumerate(points):
            position[point] = (float(c), offset + i)
    return Layout(position, routes, n_columns, n_rows)


def split_label(rule: str, width: int = 16) -> str:
    """A rule name on at most two lines, split at the underscore nearest the middle."""
    if len(rule) <= width or "_" not in rule:
        return rule
    cuts = [i for i, c in enumerate(rule) if c == "_"]
    cut = min(cuts, key=lambda i: abs(i + 1 - len(rule) / 2))
    return rule[: cut + 1] + "\n" + rule[cut + 1 :]


def draw_rule_graph(
    graph: RuleGraph, stages: dict[str, str] | None = None, title: str | None = None
) -> Figure:
    """Boxes for rules, arrows for data flow, coloured by stage (data, experiment, ...).

    Drawn in inches (one axis unit is one inch at the figure's size), so the
    text keeps its size whatever the number of rules.
    """
    stages = stages or {}
    plan = layout(transitive_reduction(graph))
    labels = {rule: split_label(rule) for rule in graph.rules}
    longest = max((len(line) for label in labels.values() for line in label.split("\n")), default=8)
    font_size = 8.0
    width = longest * font_size * 0.62 / 72 + 0.2  # monospace glyphs are about 0.6 em wide
    height = 0.42
    x_step, y_step = width + 0.45, height + 0.14
    fig_width = max(4.0, plan.columns * x_step + 0.3)
    fig_height = max(2.0, plan.rows * y_step + 0.7)
    fig = plt.figure(figsize=(fig_width, fig_height))
    ax = fig.add_axes((0, 0, 1, 1))

    def xy(point: str) -> tuple[float, float]:
        c, r = plan.position[point]
        return 0.15 + width / 2 + c * x_step, fig_height - 0.55 - height / 2 - r * y_step

    for chain in plan.routes:
        points = [xy(p) for p in chain]
        # Leave the right edge of the upstream box, reach the left edge of the downstream one.
        points[0] = (points[0][0] + width / 2, points[0][1])
        points[-1] = (points[-1][0] - width / 2, points[-1][1])
        if len(points) > 2:
            codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(points) - 2)
            ax.add_patch(
                FancyArrowPatch(
                    path=MplPath(points[:-1], codes),
                    arrowstyle="-",
                    color="0.6",
                    linewidth=0.8,
                )
            )
        ax.add_patch(
            FancyArrowPatch(
                points[-2],
                points[-1],
                arrowstyle="-|>",
                mutation_scale=8,
                color="0.6",
                linewidth=0.8,
                shrinkA=0,
                shrinkB=1,
            )
        )
    used = {}
    for rule in graph.rules:
        x, y = xy(rule)
        stage = stages.get(rule, "experiment")
        colour = STAGE_COLOURS.get(stage, "#56B4E9")
        used[stage] = colour
        ax.add_patch(
            FancyBboxPatch(
                (x - width / 2, y - height / 2),
                width,
                height,
                boxstyle="round,pad=0.0,rounding_size=0.06",
                facecolor="white",
                edgecolor=colour,
                linewidth=1.4,
                zorder=3,
            )
        )
        ax.text(
            x,
            y,
            labels[rule],
            ha="center",
            va="center",
            fontsize=font_size,
            family="monospace",
            linespacing=1.0,
            zorder=4,
        )
    for stage, colour in sorted(used.items()):
        ax.plot([], [], color=colour, linewidth=3, label=stage)
    if used:
        ax.legend(loc="upper left", ncols=len(used), fontsize=8, borderaxespad=0.2)
    ax.set_xlim(0, fig_width)
    ax.set_ylim(0, fig_height)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig
