"""Comparative sentences chosen from computed values: the only place the report words a claim.

A chapter never types "higher", "every regularizer shrinks the gap" or "a
thousand times" next to a number. It calls :func:`say` with a claim's name;
the claim reads one named value from ``results/report_values.json`` (a number,
a boolean, or a paired difference with its interval) and returns the sentence
that value supports. ``CLAIMS`` lists every such sentence of the report, and
``tests/test_prose_claims.py`` checks each against its value and against a copy
of the values with that value flipped.

Kinds of value:

- ``bool``: a boolean computed by the workflow (with its statistic beside it);
- ``diff``: a paired difference ``{mean, low, high, differs}`` from the seeds x
  test rows bootstrap; "differs" means the 95% interval excludes zero;
- ``count``: how many of a set satisfy something, with the set's size at
  ``total`` (a sibling key), worded as none / some / every.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MISSING = "n/a"


def lookup(values: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = values
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _num(value: Any, digits: int, scale: float = 1.0) -> str:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return MISSING
    return f"{scale * value:.{digits}f}"


@dataclass(frozen=True)
class Claim:
    """One comparative sentence: where its value lives and the sentence per outcome."""

    name: str
    path: tuple[str, ...]  # may hold {placeholders} filled from the chapter's context
    kind: str  # bool | diff | count
    sentences: Mapping[str, str]  # outcome -> template (str.format with the context)
    total: str | None = None  # count: sibling key holding the set's size
    scale: float = 1.0  # diff: 100 prints fractions as percentage points
    digits: int = 3
    unit: str = ""  # diff: appended to the size of the difference (" points")
    contexts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def resolve(self, **context: Any) -> tuple[str, ...]:
        return tuple(part.format(**context) for part in self.path)

    def outcome(self, value: Any, values: Mapping[str, Any], **context: Any) -> str | None:
        """Which sentence ``value`` supports; None when the value is missing."""
        if self.kind == "bool":
            return None if not isinstance(value, bool) else ("true" if value else "false")
        if self.kind == "diff":
            if not isinstance(value, Mapping) or value.get("mean") is None:
                return None
            if not value.get("differs"):
                return "same"
            return "higher" if value["mean"] > 0 else "lower"
        if self.kind == "count":
            total = lookup(values, (*self.resolve(**context)[:-1], self.total))
            if not isinstance(value, int) or not isinstance(total, int):
                return None
            if value == 0:
                return "none"
            return "every" if value >= total else "some"
        raise ValueError(f"claim {self.name}: unknown kind {self.kind!r}")

    def sentence(self, values: Mapping[str, Any], **context: Any) -> str:
        value = lookup(values, self.resolve(**context))
        outcome = self.outcome(value, values, **context)
        if outcome is None:
            return MISSING
        fields = {**_DIFF_DEFAULTS, **context}
        if self.kind == "diff":
            fields |= {
                k: _num(value.get(k), self.digits, self.scale) for k in ("mean", "low", "high")
            }
            fields["abs"] = _num(abs(value["mean"]), self.digits, self.scale) + self.unit
            fields["unit"] = self.unit
        elif self.kind == "count":
            fields["n"] = value
            fields["total"] = lookup(values, (*self.resolve(**context)[:-1], self.total))
        return self.sentences[outcome].format(**fields)


def flipped(claim: Claim, values: Mapping[str, Any], **context: Any) -> dict[str, Any]:
    """A copy of ``values`` in which the claim's value says the opposite."""
    out = copy.deepcopy(dict(values))
    path = claim.resolve(**context)
    parent = lookup(out, path[:-1])
    value = parent[path[-1]]
    if claim.kind == "bool":
        parent[path[-1]] = not value
    elif claim.kind == "diff":
        if value.get("differs"):
            parent[path[-1]] = {
                **value,
                "mean": -value["mean"],
                "low": None if value.get("high") is None else -value["high"],
                "high": None if value.get("low") is None else -value["low"],
            }
        else:
            size = abs(value["mean"]) or 0.01
            parent[path[-1]] = {
                **value,
                "differs": True,
                "mean": size,
                "low": size / 2,
                "high": 2 * size,
            }
    elif claim.kind == "count":
        total = parent[claim.total]
        parent[path[-1]] = total if value == 0 else 0
    return out


_DIFF = {
    "higher": "{what} is higher than {baseline} by {abs} (95% interval {low} to {high})",
    "lower": "{what} is lower than {baseline} by {abs} (95% interval {low} to {high})",
    "same": "{what} does not differ measurably from {baseline} "
    "(difference {mean}{unit}, 95% interval {low} to {high}, which includes zero)",
}
_DIFF_DEFAULTS = {"what": "the variant", "baseline": "the baseline", "unit": ""}

CLAIMS: dict[str, Claim] = {
    c.name: c
    for c in [
        # E5 comparison, test split, paired against no regularization.
        Claim(
            "comparison_acc_diff",
            ("nn", "comparison", "{dataset}", "{regularizer}", "acc_diff"),
            "diff",
            _DIFF,
            scale=100,
            digits=1,
            unit=" points",
        ),
        Claim(
            "comparison_gap_diff",
            ("nn", "comparison", "{dataset}", "{regularizer}", "gap_diff"),
            "diff",
            _DIFF,
        ),
        Claim(
            "comparison_n_acc_differs",
            ("nn", "comparison", "{dataset}", "summary", "n_acc_differs"),
            "count",
            {
                "none": "no regularizer changes test accuracy measurably",
                "some": "{n} of the {total} regularizers change test accuracy measurably",
                "every": "every one of the {total} regularizers changes test accuracy measurably",
            },
            total="n_regularizers",
        ),
        Claim(
            "comparison_n_gap_smaller",
            ("nn", "comparison", "{dataset}", "summary", "n_gap_smaller"),
            "count",
            {
                "none": "no regularizer shrinks the test gap measurably",
                "some": "{n} of the {total} regularizers shrink the test gap measurably",
                "every": "every one of the {total} regularizers shrinks the test gap measurably",
            },
            total="n_regularizers",
        ),
        Claim(
            "comparison_bn_dropout_vs_bn",
            ("nn", "comparison_extra", "{dataset}", "bn_dropout_vs_bn", "acc_diff"),
            "diff",
            {
                "higher": "adding dropout to batch normalization raises test accuracy by "
                "{abs} points (95% interval {low} to {high})",
                "lower": "adding dropout to batch normalization lowers test accuracy by "
                "{abs} points (95% interval {low} to {high})",
                "same": "adding dropout to batch normalization does not change test "
                "accuracy measurably (difference {mean} points, 95% interval {low} to {high})",
            },
            scale=100,
            digits=1,
        ),
        # E1 dropout.
        Claim(
            "dropout_gap_trend",
            ("nn", "dropout", "{dataset}", "trend", "gap_decreases_with_rate"),
            "bool",
            {
                "true": "the test gap shrinks at every step up the rates",
                "false": "the test gap does not shrink at every step up the rates",
            },
        ),
        Claim(
            "dropout_n_gap_differs",
            ("nn", "dropout", "{dataset}", "trend", "n_gap_differs"),
            "count",
            {
                "none": "no rate changes the test gap measurably against no dropout",
                "some": "{n} of the {total} rates change the test gap measurably "
                "against no dropout",
                "every": "every one of the {total} rates changes the test gap measurably "
                "against no dropout",
            },
            total="n_rates",
        ),
        Claim(
            "dropout_acc_diff",
            ("nn", "dropout", "{dataset}", "{variant}", "acc_diff"),
            "diff",
            _DIFF,
            scale=100,
            digits=1,
            unit=" points",
        ),
        Claim(
            "dropout_single_mask_vs_eval",
            ("nn", "dropout", "{dataset}", "{variant}", "mc_single_mask_above_eval"),
            "bool",
            {
                "true": "a single mask scores a higher validation loss than eval mode",
                "false": "a single mask scores no higher a validation loss than eval mode",
            },
        ),
        Claim(
            "dropout_mc_average_vs_eval",
            ("nn", "dropout", "{dataset}", "{variant}", "mc_average_below_eval"),
            "bool",
            {
                "true": "the average over masks scores a lower validation loss than the "
                "eval-mode pass",
                "false": "the average over masks does not score a lower validation loss "
                "than the eval-mode pass",
            },
        ),
        # E2 batch norm.
        Claim(
            "batchnorm_acc_diff",
            ("nn", "batchnorm", "{dataset}", "{variant}", "acc_diff"),
            "diff",
            _DIFF,
            scale=100,
            digits=1,
            unit=" points",
        ),
        Claim(
            "batchnorm_eval_below_large_batch",
            ("nn", "batchnorm", "{dataset}", "batch_size_eval", "eval_below_largest_batch"),
            "bool",
            {
                "true": "eval mode scores below train-mode statistics of the largest batch",
                "false": "eval mode scores at least as well as train-mode statistics of "
                "the largest batch",
            },
        ),
        # D norms during training.
        Claim(
            "norms_plain_diverged",
            ("nn", "norms", "{dataset}", "plain", "any_diverged"),
            "bool",
            {
                "true": "in a diverged run the gradient norms grow until they are no longer "
                "finite, the weights follow, and the loss becomes infinite",
                "false": "no plain run diverged in this build, so the figure shows a run "
                "that kept finite norms",
            },
        ),
        # C7 logistic regression, test accuracy at each penalty's C chosen on validation.
        Claim(
            "logistic_l1_costs_accuracy",
            ("logistic_l1_l2", "{dataset}", "l1_costs_accuracy"),
            "bool",
            {
                "true": "L1 scores below L2 on the test rows",
                "false": "L1 scores at least as well as L2 on the test rows",
            },
        ),
        Claim(
            "logistic_below_majority",
            ("logistic_l1_l2", "{dataset}", "{penalty}", "below_majority_rate"),
            "bool",
            {
                "true": "some C scores below the majority-class rate",
                "false": "no C scores below the majority-class rate",
            },
        ),
        Claim(
            "explorer_at_grid_edge",
            ("alpha_explorer", "{model}", "chosen_at_grid_edge"),
            "bool",
            {
                "true": "this is an end of the slider's grid, so the best alpha may lie beyond it",
                "false": "this lies inside the slider's grid",
            },
        ),
        Claim(
            "lr_sweep_plain_reaches",
            ("nn", "lr_sweep", "{dataset}", "plain_reaches_threshold"),
            "bool",
            {
                "true": "without batch normalization some rates reach it too",
                "false": "without batch normalization no rate reaches it within the "
                "epochs trained, so the sweep shows no range to compare against",
            },
        ),
    ]
}


def instances(values: Mapping[str, Any], claim: Claim) -> list[dict[str, str]]:
    """Every context (placeholder values) for which ``values`` holds the claim's value.

    A placeholder such as ``{dataset}`` ranges over the keys present at its level.
    """
    found: list[dict[str, str]] = []

    def walk(node: Any, parts: tuple[str, ...], context: dict[str, str]) -> None:
        if not parts:
            if claim.outcome(node, values, **context) is not None:
                found.append(dict(context))
            return
        head, rest = parts[0], parts[1:]
        if not isinstance(node, Mapping):
            return
        if head.startswith("{") and head.endswith("}"):
            for key, child in node.items():
                walk(child, rest, {**context, head[1:-1]: key})
        elif head in node:
            walk(node[head], rest, context)

    walk(values, claim.path, {})
    return found


def say(values: Mapping[str, Any], name: str, **context: Any) -> str:
    """The sentence claim ``name`` supports with ``values`` (``n/a`` when not computed)."""
    if name not in CLAIMS:
        raise KeyError(f"no claim {name!r} in regularization_report.report.prose.CLAIMS")
    return CLAIMS[name].sentence(values, **context)
