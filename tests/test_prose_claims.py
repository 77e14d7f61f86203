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


def template_regex(template: str) -> re.Pattern[str]:
    """A template's fixed words, with each ``{field}`` free: what its sentences look like."""
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".+?".join(re.escape(p) for p in parts), flags=re.S)


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
            assert template_regex(claim.sentences[outcome]).fullmatch(sentence), (
                claim.name,
                context,
                value,
                sentence,
            )
            # Flip the value in a copy of report_values.json: the sentence must follow.
            copy_path = tmp_path / f"{claim.name}-{'-'.join(context.values())}.json"
            copy_path.write_text(json.dumps(flipped(claim, values, **context)))
            other = json.loads(copy_path.read_text())
            flipped_sentence = say(other, claim.name, **context)
            flipped_value = lookup(other, claim.resolve(**context))
            flipped_outcome = expected_outcome(claim, flipped_value, other, context)
            assert flipped_outcome != outcome
            assert template_regex(claim.sentences[flipped_outcome]).fullmatch(flipped_sentence)
            assert not template_regex(claim.sentences[outcome]).fullmatch(flipped_sentence)
            listing.append((claim.name, context, value, sentence, flipped_sentence))
    print("\n".join(f"{n} {c}: {v!r}\n  -> {s}\n  flipped -> {f}" for n, c, v, s, f in listing))
    assert len(listing) >= len(CLAIMS)


def test_a_sentence_that_contradicts_its_value_fails_the_check(values: dict) -> None:
    """The check can fail: the sentence of a flipped copy does not pass for the real value."""
    for claim in CLAIMS.values():
        for context in instances(values, claim):
            value = lookup(values, claim.resolve(**context))
            wrong = say(flipped(claim, values, **context), claim.name, **context)
            outcome = expected_outcome(claim, value, values, context)
            assert not template_regex(claim.sentences[outcome]).fullmatch(wrong), claim.name


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
