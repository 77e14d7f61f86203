"""The rule graph figure: parsing `snakemake --rulegraph`, networkx reduction, Graphviz layout."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from regularization_report.figures.rule_graph import (
    RuleGraph,
    draw_rule_graph,
    graphviz_layout,
    parse_rulegraph,
    split_label,
    transitive_reduction,
)

# The shape of `snakemake --rulegraph` output (Snakemake 9): numbered nodes with labels.
DOT = """digraph snakemake_dag {
    graph[bgcolor=white, margin=0];
	0[label = "all", color = "0.00 0.6 0.85", style="rounded"];
	1[label = "split", color = "0.50 0.6 0.85", style="rounded"];
	2[label = "export", color = "0.08 0.6 0.85", style="rounded"];
	3[label = "train", color = "0.58 0.6 0.85", style="rounded"];
	4[label = "plot", color = "0.25 0.6 0.85", style="rounded"];
	1 -> 0
	2 -> 1
	1 -> 3
	3 -> 4
	2 -> 4
	4 -> 0
}
"""


def test_parse_names_rules_and_edges() -> None:
    graph = parse_rulegraph(DOT).without("all")
    assert graph.rules == ("split", "export", "train", "plot")
    assert set(graph.edges) == {
        ("export", "split"),
        ("split", "train"),
        ("train", "plot"),
        ("export", "plot"),
    }
    with pytest.raises(ValueError, match="no rule found"):
        parse_rulegraph("digraph {}")


def test_reduction_drops_only_lines_implied_by_longer_paths() -> None:
    graph = parse_rulegraph(DOT).without("all")
    reduced = transitive_reduction(graph)
    assert set(reduced.edges) == set(graph.edges) - {("export", "plot")}
    assert reduced.rules == graph.rules
    with pytest.raises(ValueError, match="cycle"):
        transitive_reduction(RuleGraph(("a", "b"), (("a", "b"), ("b", "a"))))


def test_graphviz_places_data_flow_left_to_right_without_overlap() -> None:
    graph = transitive_reduction(parse_rulegraph(DOT).without("all"))
    plan = graphviz_layout(graph, box=(1.2, 0.4))
    x = {node["name"]: float(node["pos"].split(",")[0]) for node in plan["objects"]}
    assert x["export"] < x["split"] < x["train"] < x["plot"]
    assert len(plan["edges"]) == len(graph.edges)
    assert graphviz_layout(graph, box=(1.2, 0.4)) == plan  # deterministic


def test_drawing_has_one_box_and_label_per_rule() -> None:
    figure = draw_rule_graph(parse_rulegraph(DOT), stages={"export": "data", "plot": "figure"})
    labels = {t.get_text() for t in figure.axes[0].texts}
    assert labels == {"all", "split", "export", "train", "plot"}
    plt.close(figure)
    assert split_label("plot_penalties_l1_histogram") == "plot_penalties_\nl1_histogram"
    assert split_label("all") == "all"
