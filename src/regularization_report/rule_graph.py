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


def layers(graph: RuleGraph) -> dict[str, int]:
    """Column of each rule: the length of the longest path reaching it from a source."""
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


def draw_rule_graph(
    graph: RuleGraph, stages: dict[str, str] | None = None, title: str | None = None
) -> Figure:
    """Boxes for rules, arrows for data flow, coloured by stage (data, experiment, ...)."""
    stages = stages or {}
    plan = layout(graph)
    x_step, y_step = 3.4, 0.62
    width, height = 2.9, 0.42
    fig_width = max(6.0, plan.columns * x_step * 0.78)
    fig_height = max(2.5, plan.rows * y_step * 0.78 + 0.8)
    fig, ax = plt.subplots(figsize=(fig_width, fig_height))

    def xy(point: str) -> tuple[float, float]:
        c, r = plan.position[point]
        return c * x_step, -r * y_step

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
                    color="0.55",
                    linewidth=1.0,
                )
            )
        ax.add_patch(
            FancyArrowPatch(
                points[-2],
                points[-1],
                arrowstyle="-|>",
                mutation_scale=9,
                color="0.55",
                linewidth=1.0,
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
                boxstyle="round,pad=0.02,rounding_size=0.12",
                facecolor="white",
                edgecolor=colour,
                linewidth=1.6,
                zorder=3,
            )
        )
        size = 8 if len(rule) <= 24 else 8 * 24 / len(rule)
        ax.text(x, y, rule, ha="center", va="center", fontsize=size, family="monospace", zorder=4)
    for stage, colour in sorted(used.items()):
        ax.plot([], [], color=colour, linewidth=3, label=stage)
    if used:
        ax.legend(loc="upper left", bbox_to_anchor=(0, 1.02), ncols=len(used), fontsize=8)
    ax.set_xlim(-x_step / 2, (plan.columns - 0.5) * x_step)
    ax.set_ylim(-(plan.rows - 0.5) * y_step - 0.1, y_step * 1.1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig
