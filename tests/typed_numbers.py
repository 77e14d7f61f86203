"""The typed-number rule: no result typed by hand next to a metric word (test helper).

`typed_numbers` finds numbers within a few words of a metric word in one text;
`source_prose` gives the prose of a .qmd file as a reader sees it, without what
Quarto computes or never shows (cells, code, inline `{python} ...`, comments,
math, shortcodes, attributes, link targets, URLs, citation keys). The render
test runs it on the rendered HTML's visible text and on the sources: a number
the reader sees next to a metric word that is also written in the prose was
typed by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FRONTMATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_FENCED = re.compile(r"^(?P<fence>`{3,}|~{3,}).*?^(?P=fence)\s*$", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\d)")
_SHORTCODE = re.compile(r"\{\{<.*?>\}\}")
_ATTRIBUTES = re.compile(r"\{[#.][^{}]*\}")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_CITATION = re.compile(r"-?@[\w:.#$%&+?<>~/-]*\w")
_URL = re.compile(r"https?://\S+")


def source_prose(path: Path) -> str:
    """The prose of one .qmd file, line breaks kept, minus what is not prose."""
    text = Path(path).read_text(encoding="utf-8")
    blank = lambda m: "\n" * m.group(0).count("\n")  # noqa: E731 - keeps line numbers
    for pattern in (_FRONTMATTER, _COMMENT, _FENCED, _DISPLAY_MATH):
        text = pattern.sub(blank, text)
    lines = []
    for line in text.split("\n"):
        for pattern in (_INLINE_CODE, _SHORTCODE, _INLINE_MATH, _LINK_TARGET, _ATTRIBUTES, _URL):
            line = pattern.sub(" ", line)
        lines.append(_CITATION.sub(" ", line))
    return "\n".join(lines)


# Words that name a result or a setting whose value must come from the pipeline.
METRIC_WORDS = (
    "accuracy",
    "accuracies",
    "acc",
    "mse",
    "mae",
    "rmse",
    "error",
    "errors",
    "loss",
    "losses",
    "alpha",
    "alphas",
    "α",
    "λ",
    "lambda",
    "nonzero",
    "non-zero",
    "zero",
    "zeros",
    "gap",
    "gaps",
    "seed",
    "seeds",
    "epoch",
    "epochs",
    "rate",
    "rates",
    "coefficient",
    "coefficients",
    "percent",
    "percentile",
    "percentiles",
    "score",
    "scores",
    "r2",
    "r²",
    "sparsity",
    "decay",
    "norm",
    "norms",
)
_METRIC = frozenset(METRIC_WORDS)
# A number standing alone: not part of a name such as L1, fig-2, x2, 2D or 32-bit.
_TOKEN = re.compile(
    r"(?P<number>(?<![\w.-])[-+−]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?%?(?![\w])(?!-\w))"
    r"|(?P<word>[^\W\d_][\w²-]*|[αλ])"
    r"|(?P<stop>[.;:!?](?!\d)|\n)"
)
WINDOW = 4  # words between a number and a metric word

# Exceptions, each with the reason it is not a result typed by hand:
_EXCEPTIONS = (
    # The study note's outline: "section 2.1", "sections 6.1-6.6, 8.1 and 8.2", "§9.3".
    re.compile(
        r"(?:§\s*|\bsections?\s+|\bnote's\s+)\d+(?:\.\d+)*"
        r"(?:\s*(?:-|–|,|and|to|&)\s*\d+(?:\.\d+)*)*",
        re.IGNORECASE,
    ),
    # Norm orders are names, not results: "p = 1", "p = 2", "p = 1/2", "the 2-norm".
    re.compile(r"\bp\s*(?:=|∈|in)\s*\{?[\d./∞, ]+\}?|\b\d+-norm\b", re.IGNORECASE),
    # Confidence levels are part of the method: "95% interval", "95% bands", "95% CI",
    # "95% percentile bootstrap", "95% Student-t bands".
    re.compile(
        r"\b\d+\s?%\s+(?:(?:confidence|credible|percentile|bootstrap|Student-t)\s+)*"
        r"(?:intervals?|bands?|CIs?|bootstrap)\b",
        re.IGNORECASE,
    ),
    # Zero as a concept, not a count: "exactly 0", "set to 0", "shrinks towards 0".
    re.compile(r"\b(?:exactly|to|towards?|near|at)\s+0(?![.,]?\d)", re.IGNORECASE),
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(frozen=True)
class TypedNumber:
    where: str
    lineno: int
    number: str
    word: str
    context: str

    def __str__(self) -> str:
        return f"{self.where}:{self.lineno}: {self.number!r} next to {self.word!r}: {self.context}"


def typed_numbers(text: str, where: str = "", window: int = WINDOW) -> list[TypedNumber]:
    """Numbers typed in prose within ``window`` words of a metric word, same sentence.

    Years (1900-2099) are exempt unless a metric word follows them directly
    ("2000 epochs" is caught, "Tibshirani (1996)" is not). See ``_EXCEPTIONS``
    for the other exemptions.
    """
    found: list[TypedNumber] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        cleaned = line
        for pattern in _EXCEPTIONS:
            cleaned = pattern.sub(" ", cleaned)
        tokens = [(m.lastgroup, m.group(0)) for m in _TOKEN.finditer(cleaned)]
        for i, (kind, value) in enumerate(tokens):
            if kind != "number":
                continue
            word = _nearby_metric(tokens, i, window, year=bool(_YEAR.match(value)))
            if word:
                found.append(TypedNumber(where, lineno, value, word, line.strip()))
    return found


def _nearby_metric(tokens: list[tuple[str | None, str]], i: int, window: int, year: bool) -> str:
    for step in (1, -1):
        words = 0
        j = i + step
        while 0 <= j < len(tokens) and words < window:
            kind, value = tokens[j]
            if kind == "stop":
                break
            if kind == "word":
                words += 1
                if value.lower() in _METRIC and (not year or (step == 1 and words == 1)):
                    return value
            j += step
    return ""
