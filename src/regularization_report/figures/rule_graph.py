"""The workflow's rule graph: ``snakemake --rulegraph``, laid out by Graphviz, drawn by matplotlib.

Libraries do the graph work: networkx drops the edges that a longer path
already implies (its transitive reduction), and Graphviz's ``dot`` places the
rules in ranks from left to right and routes every edge around the boxes
(``dot -Tjson`` gives the positions and the Bezier control points). Only the
drawing is ours, so the figure shares the fonts and colours of every other
figure. The same graph always gives the same picture.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass

import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, PathPatch
from matplotlib.path import Path as MplPath

_NODE = re.compile(r'^\s*(?P<id>\w+)\s*\[\s*label\s*=\s*"(?P<label>[^"]+)"')
_EDGE = re.compile(r"^\s*(?P<src>\w+)\s*->\s*(?P<dst>\w+)")

# Stage colours: the palette of figures.style (colour-blind safe).
STAGE_COLOURS = {
    "data": "#0072B2",
    "experiment": "#009E73",
    "figure": "#E69F00",
    "report": "#CC79A7",
}
FONT_SIZE = 8.0  # points, for the rule names
POINTS_PER_INCH = 72.0


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
        if node := _NODE.match(line):
            labels[node["id"]] = node["label"]
        elif edge := _EDGE.match(line):
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
    have an edge to it; each of those edges is implied by a longer path.
    """
    digraph = nx.DiGraph(graph.edges)
    digraph.add_nodes_from(graph.rules)
    if not nx.is_directed_acyclic_graph(digraph):
        cycle = nx.find_cycle(digraph)
        raise ValueError(f"the rule graph has a cycle: {cycle}")
    kept = set(nx.transitive_reduction(digraph).edges)
    return RuleGraph(graph.rules, tuple(e for e in graph.edges if e in kept))


def split_label(rule: str, width: int = 16) -> str:
    """A rule name on at most two lines, split at the underscore nearest the middle."""
    if len(rule) <= width or "_" not in rule:
        return rule
    cuts = [i for i, c in enumerate(rule) if c == "_"]
    cut = min(cuts, key=lambda i: abs(i + 1 - len(rule) / 2))
    return rule[: cut + 1] + "\n" + rule[cut + 1 :]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def graphviz_layout(graph: RuleGraph, box: tuple[float, float]) -> dict:
    """``dot -Tjson`` of the graph, left to right, every box ``box`` inches (width, height)."""
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            "Graphviz's `dot` is needed to lay out the rule graph (fig-rule-graph). "
            "Install it: `apt-get install graphviz`, `brew install graphviz` or "
            "`conda install -c conda-forge graphviz` (environment.yml has it)."
        )
    lines = [
        "digraph rules {",
        "  rankdir=LR; nodesep=0.12; ranksep=0.35; splines=spline;",
        f'  node [shape=box, fixedsize=true, width={box[0]:.3f}, height={box[1]:.3f}, label=""];',
        *(f"  {_quoted(rule)};" for rule in graph.rules),
        *(f"  {_quoted(a)} -> {_quoted(b)};" for a, b in graph.edges),
        "}",
    ]
    result = subprocess.run(
        [dot, "-Tjson"], input="\n".join(lines), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"`dot -Tjson` failed with exit {result.returncode}: {result.stderr}")
    return json.loads(result.stdout)


def _spline(pos: str) -> tuple[list[tuple[float, float]], tuple[float, float] | None]:
    """Control points and arrow tip of a Graphviz edge ``pos`` ("e,x,y x1,y1 x2,y2 ...")."""
    points, tip = [], None
    for item in pos.split():
        if item.startswith("e,"):
            x, y = item[2:].split(",")
            tip = (float(x), float(y))
        elif not item.startswith("s,"):
            x, y = item.split(",")
            points.append((float(x), float(y)))
    return points, tip


def draw_rule_graph(
    graph: RuleGraph, stages: dict[str, str] | None = None, title: str | None = None
) -> Figure:
    """Boxes for rules, arrows for data flow, coloured by stage (data, experiment, ...)."""
    stages = stages or {}
    reduced = transitive_reduction(graph)
    labels = {rule: split_label(rule) for rule in graph.rules}
    longest = max((len(line) for label in labels.values() for line in label.split("\n")), default=8)
    box = (longest * FONT_SIZE * 0.62 / POINTS_PER_INCH + 0.2, 0.42)  # monospace: ~0.6 em
    plan = graphviz_layout(reduced, box)
    x0, y0, x1, y1 = (float(v) / POINTS_PER_INCH for v in plan["bb"].split(","))
    legend_room = 0.35
    fig = plt.figure(figsize=(max(4.0, x1 - x0 + 0.2), y1 - y0 + 0.2 + legend_room))
    ax = fig.add_axes((0, 0, 1, 1))

    def inches(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] / POINTS_PER_INCH - x0 + 0.1, point[1] / POINTS_PER_INCH - y0 + 0.1

    for edge in plan.get("edges", []):
        points, tip = _spline(edge["pos"])
        points = [inches(p) for p in points]
        codes = [MplPath.MOVETO] + [MplPath.CURVE4] * (len(points) - 1)
        ax.add_patch(
            PathPatch(MplPath(points, codes), facecolor="none", edgecolor="0.6", linewidth=0.8)
        )
        if tip is not None:
            ax.add_patch(
                FancyArrowPatch(
                    points[-1],
                    inches(tip),
                    arrowstyle="-|>",
                    mutation_scale=8,
                    color="0.6",
                    linewidth=0.8,
                    shrinkA=0,
                    shrinkB=0,
                )
            )
    used = {}
    for node in plan["objects"]:
        rule = node["name"]
        x, y = inches(tuple(float(v) for v in node["pos"].split(",")))
        stage = stages.get(rule, "experiment")
        colour = STAGE_COLOURS.get(stage, "#56B4E9")
        used[stage] = colour
        ax.add_patch(
            FancyBboxPatch(
                (x - box[0] / 2, y - box[1] / 2),
                box[0],
                box[1],
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
            fontsize=FONT_SIZE,
            family="monospace",
            linespacing=1.0,
            zorder=4,
        )
    for stage, colour in sorted(used.items()):
        ax.plot([], [], color=colour, linewidth=3, label=stage)
    if used:
        ax.legend(loc="upper left", ncols=len(used), fontsize=8, borderaxespad=0.2)
    width, height = fig.get_size_inches()
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig
