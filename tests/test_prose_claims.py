"""Every comparative sentence of the report against its value, and no hand-typed comparatives.

The report words a comparison only through ``regularization_report.report.prose``:
each claim reads one value of ``results/report_values.json`` and returns the
sentence it supports. These tests list every (claim, context) the test-profile
run produces with its value and sentence, check the sentence against the value
independently of the claim's own logic, and flip each value in a copy of the
values file to show the sentence follows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from regularization_report.report.prose import CLAIMS, flipped, instances, lookup, say

REPORT = Path(__file__).resolve().parents[1] / "report"
# Chapters owned elsewhere (the course chapter) are checked by their own tests.
CHAPTERS = sorted(p for p in REPORT.glob("_*.qmd") if p.name != "_fashion_mnist.qmd")


def expected_outcome(claim, value, values, context) -> str:
    """The outcome read straight from the value, without the claim's code."""
    if claim.kind == "bool":
        return "true" if value else "false"
    if claim.kind == "diff":
        # Read the interval itself, not the "differs" flag the workflow stored.
        if value["low"] > 0:
            return "higher"
        if value["high"] < 0:
            return "lower"
        return "same"
    total = lookup(values, (*claim.resolve(**context)[:-1], claim.total))
    return "none" if value == 0 else ("every" if value >= total else "some")


@pytest.fixture(scope="module")
def values(test_run: Path) -> dict:
    return json.loads((test_run / "results/report_values.json").read_text())


_DIFF_WORDS = {"higher": "is higher than", "lower": "is lower than", "same": "does not differ"}
# Every comparative sentence of the report: claim -> outcome -> the words that the
# sentence for that outcome must contain. Kept here, apart from prose.CLAIMS, so a
# claim whose sentences are swapped or reworded against their value fails.
EXPECTED_WORDS: dict[str, dict[str, str]] = {
    "comparison_acc_diff": _DIFF_WORDS,
    "comparison_gap_diff": _DIFF_WORDS,
    "dropout_acc_diff": _DIFF_WORDS,
    "batchnorm_acc_diff": _DIFF_WORDS,
    "comparison_n_acc_differs": {
        "none": "no regularizer changes",
        "some": "regularizers change test",
        "every": "every one of",
    },
    "comparison_n_gap_smaller": {
        "none": "no regularizer shrinks",
        "some": "regularizers shrink the test gap",
        "every": "every one of",
    },
    "comparison_bn_dropout_vs_bn": {
        "higher": "raises test accuracy",
        "lower": "lowers test accuracy",
        "same": "does not change test accuracy",
    },
    "dropout_gap_trend": {"true": "gap shrinks at every step", "false": "does not shrink"},
    "dropout_n_gap_differs": {
        "none": "no rate changes",
        "some": "rates change the",
        "every": "every one",
    },
    "dropout_single_mask_vs_eval": {"true": "scores a higher", "false": "no higher"},
    "dropout_mc_average_vs_eval": {"true": "masks scores a lower", "false": "does not score"},
    "batchnorm_eval_below_large_batch": {"true": "scores below", "false": "at least as well"},
    "norms_plain_diverged": {"true": "no longer finite", "false": "no plain run diverged"},
    "logistic_l1_costs_accuracy": {"true": "scores below L2", "false": "at least as well as L2"},
    "logistic_below_majority": {"true": "some C scores below", "false": "no C scores below"},
    "explorer_at_grid_edge": {"true": "an end of the slider", "false": "inside the slider"},
    "lr_sweep_plain_reaches": {"true": "some rates reach", "false": "no rate reaches"},
}


def assert_says(claim, outcome: str, sentence: str, context: dict, value) -> None:
    words = EXPECTED_WORDS[claim.name][outcome]
    assert words in sentence, (claim.name, context, value, outcome, sentence)
    others = [w for o, w in EXPECTED_WORDS[claim.name].items() if o != outcome]
    assert not any(w in sentence for w in others), (claim.name, context, value, sentence)


def test_every_claim_is_listed_with_its_expected_words() -> None:
    assert set(EXPECTED_WORDS) == set(CLAIMS)
    for name, claim in CLAIMS.items():
        assert set(EXPECTED_WORDS[name]) == set(claim.sentences), name


def test_every_claim_sentence_agrees_with_its_value_and_follows_a_flip(
    values: dict, tmp_path: Path
) -> None:
    listing = []
    for claim in CLAIMS.values():
        found = instances(values, claim)
        assert found, f"claim {claim.name}: the test profile produced no value at {claim.path}"
        for context in found:
            value = lookup(values, claim.resolve(**context))
            sentence = say(values, claim.name, **context)
            outcome = expected_outcome(claim, value, values, context)
            assert_says(claim, outcome, sentence, context, value)
            # Flip the value in a copy of report_values.json: the sentence must follow.
            copy_path = tmp_path / f"{claim.name}-{'-'.join(context.values())}.json"
            copy_path.write_text(json.dumps(flipped(claim, values, **context)))
            other = json.loads(copy_path.read_text())
            flipped_sentence = say(other, claim.name, **context)
            flipped_value = lookup(other, claim.resolve(**context))
            flipped_outcome = expected_outcome(claim, flipped_value, other, context)
            assert flipped_outcome != outcome
            assert_says(claim, flipped_outcome, flipped_sentence, context, flipped_value)
            listing.append((claim.name, context, value, sentence, flipped_sentence))
    print("\n".join(f"{n} {c}: {v!r}\n  -> {s}\n  flipped -> {f}" for n, c, v, s, f in listing))
    assert len(listing) >= len(CLAIMS)


def test_a_sentence_that_contradicts_its_value_fails_the_check(values: dict) -> None:
    """The check can fail: a claim with its sentences swapped is caught on the real values."""
    import dataclasses

    for claim in CLAIMS.values():
        outcomes = list(claim.sentences)
        swapped = dict(zip(outcomes, outcomes[1:] + outcomes[:1], strict=True))
        broken = dataclasses.replace(
            claim, sentences={o: claim.sentences[swapped[o]] for o in outcomes}
        )
        for context in instances(values, claim):
            value = lookup(values, claim.resolve(**context))
            outcome = expected_outcome(claim, value, values, context)
            with pytest.raises(AssertionError):
                assert_says(claim, outcome, broken.sentence(values, **context), context, value)


def test_chapters_use_only_registered_claims_and_every_claim_is_used() -> None:
    used = set()
    for chapter in CHAPTERS:
        for name in re.findall(r"say\(values, \"([a-z_0-9]+)\"", chapter.read_text()):
            assert name in CLAIMS, f"{chapter.name} says {name!r}, which prose.CLAIMS lacks"
            used.add(name)
    assert used == set(CLAIMS), f"claims never used: {sorted(set(CLAIMS) - used)}"


# Comparative and quantitative words that must come from a claim, never typed next
# to a number or an inline value. Each pattern is matched within one sentence
# that also holds a digit or an inline `{python}` value.
HAND_TYPED = [
    r"\b(?:thousand|hundred|ten|two|three|four|five|six)(?:-fold| times|fold)\b",
    r"\bthousand times\b",
    r"\b(?:twice|half) as\b",
    r"\b(?:all|both) (?:intervals |accuracy intervals )?overlap\b",
    r"\bevery regularizer shrinks\b",
    r"\b\*?(?:below|above)\*? (?:the )?eval",
    r"\bless than the (?:seed|seed-to-seed) spread\b",
    r"\bto the last bit\b",
    r"\b(?:six|five|four|three)-layer\b",
    r"\bthe gap shrinks as\b",
    r"\bdominates\b",
    r"\bconverges faster\b",
    r"\b(?:higher|lower|larger|smaller|faster|slower|better|worse) than\b",
    r"\bfourfold\b",
    r"\bn times harder\b|\b2n times\b",
]


def _sentences(text: str) -> list[str]:
    text = re.sub(r"```.*?```", " ", text, flags=re.S)  # code cells
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)  # display math
    text = re.sub(r"\$[^$\n]+\$", " ", text)  # inline math
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    units = []
    for block in re.split(r"\n\s*\n", text):  # paragraphs; each table row on its own
        lines = block.splitlines()
        rows = [line for line in lines if line.lstrip().startswith("|")]
        prose = " ".join(line for line in lines if not line.lstrip().startswith("|"))
        units += rows + re.split(r"(?<=[.!?])\s+", prose)
    return units


def hand_typed_comparatives(text: str) -> list[str]:
    hits = []
    for sentence in _sentences(text):
        # An inline value or a number standing alone (not the 2 of "L2").
        has_number = "{python}" in sentence or re.search(r"(?<![A-Za-z_])\d", sentence)
        if not has_number:
            continue
        for pattern in HAND_TYPED:
            if re.search(pattern, sentence, flags=re.I):
                hits.append(f"{pattern!r}: {sentence.strip()[:160]}")
    return hits


def test_the_grep_finds_a_planted_comparative() -> None:
    planted = "BN tolerates rates a thousand times apart, from `{python} lo` to 1."
    assert hand_typed_comparatives(planted)
    assert not hand_typed_comparatives("The span is a factor of `{python} span`.")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_hand_typed_comparatives_next_to_numbers(chapter: Path) -> None:
    hits = hand_typed_comparatives(chapter.read_text())
    assert not hits, f"{chapter.name}: use prose.say for these\n" + "\n".join(hits)
