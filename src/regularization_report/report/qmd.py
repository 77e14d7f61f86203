"""Read Quarto sources the way ``quarto render`` does, without Quarto.

Quarto is not installable everywhere the tests run, so the checks that do not
need Quarto itself work on the sources directly:

- :func:`expand_includes` pastes ``{{< include _x.qmd >}}`` files in place,
  recursively, remembering where every line came from;
- :func:`split_blocks` separates YAML front matter, prose, plain code blocks and
  executable ``{python}`` cells (with their ``#|`` options);
- :func:`run_document` executes every cell and every inline
  `` `{python} expr` `` expression of a rendered file in document order, in one
  namespace, as Quarto's single Jupyter kernel does;
- :func:`prose_text` and :func:`typed_numbers` find numbers typed by hand next
  to metric words, which the report forbids (numbers come from the pipeline).
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>\S+)\s*>\}\}\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
# ```{python}, ```{python echo=false}, ```{python #label}; not ```{{python}} (shown verbatim).
EXECUTABLE = re.compile(r"^\{(?P<lang>python)(?:[\s,][^}]*)?\}$")
INLINE = re.compile(r"`\{(?P<lang>python)\}\s+(?P<expr>[^`]+?)\s*`")
OPTION = re.compile(r"^#\|\s?(?P<option>.*)$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


class QmdError(ValueError):
    """A report source cannot be read (missing include, include cycle, open fence)."""


class ReportExecutionError(RuntimeError):
    """A cell or inline expression failed; the message names the file and line."""


@dataclass(frozen=True)
class Line:
    path: Path  # the .qmd file this line is written in
    lineno: int  # 1-based line number in that file
    text: str


@dataclass
class Block:
    kind: str  # "frontmatter", "prose", "code" (shown, never run) or "cell" (executed)
    lines: list[Line]
    info: str = ""  # the fence's info string for code and cells
    language: str = ""  # the cell's language for kind == "cell"

    @property
    def path(self) -> Path:
        return self.lines[0].path

    @property
    def lineno(self) -> int:
        return self.lines[0].lineno


@dataclass
class Cell:
    path: Path
    lineno: int  # line of the opening fence
    language: str
    options: dict[str, Any]
    code: str  # without the ``#|`` option lines
    code_lineno: int  # line of the first code line (after the options)


@dataclass
class InlineExpression:
    path: Path
    lineno: int
    expr: str
    start: int  # column in the line
    end: int


@dataclass
class Output:
    """What running one cell or inline expression produced (for the preview)."""

    item: Cell | InlineExpression
    stdout: str = ""
    value: Any = None  # the value of a cell's last expression, or of an inline expression
    has_value: bool = False
    figures: list[Any] = field(default_factory=list)  # matplotlib figures the cell left open


# --------------------------------------------------------------------------- reading


def expand_includes(path: str | os.PathLike[str], _stack: tuple[Path, ...] = ()) -> list[Line]:
    """Lines of ``path`` with every include shortcode replaced by the included lines.

    Includes inside code blocks are left alone (Quarto does the same). Paths are
    relative to the including file. A missing file or a cycle raises :class:`QmdError`.
    """
    path = Path(path).resolve()
    if path in _stack:
        chain = " -> ".join(p.name for p in (*_stack, path))
        raise QmdError(f"include cycle: {chain}")
    if not path.is_file():
        where = f" (included from {_stack[-1]})" if _stack else ""
        raise QmdError(f"report source {path} does not exist{where}")
    out: list[Line] = []
    fence: str | None = None
    for lineno, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(text)
        if fence is None and match:
            fence = match["fence"]
        elif fence is not None and match and _closes(match, fence):
            fence = None
        include = INCLUDE.match(text) if fence is None else None
        if include:
            out.extend(expand_includes(path.parent / include["path"], (*_stack, path)))
        else:
            out.append(Line(path, lineno, text))
    return out


def read_lines(path: str | os.PathLike[str]) -> list[Line]:
    """Lines of one file, includes not expanded."""
    path = Path(path).resolve()
    text = path.read_text(encoding="utf-8")
    return [Line(path, n, t) for n, t in enumerate(text.splitlines(), start=1)]


def included_paths(path: str | os.PathLike[str]) -> list[Path]:
    """Every file an include shortcode in ``path`` names (not followed further)."""
    path = Path(path)
    found = []
    for block in split_blocks(read_lines(path)):
        if block.kind != "prose":
            continue
        for line in block.lines:
            match = INCLUDE.match(line.text)
            if match:
                found.append(path.parent / match["path"])
    return found


def _closes(match: re.Match[str], fence: str) -> bool:
    closing = match["fence"]
    return closing[0] == fence[0] and len(closing) >= len(fence) and not match["info"]


def split_blocks(lines: list[Line]) -> list[Block]:
    """Front matter, prose, code blocks and executable cells, in order.

    Front matter is recognised at the top of each file (included files may have
    none). Raises :class:`QmdError` on a code fence that is never closed.
    """
    blocks: list[Block] = []
    prose: list[Line] = []
    i = 0

    def flush() -> None:
        if prose:
            blocks.append(Block("prose", prose.copy()))
            prose.clear()

    while i < len(lines):
        line = lines[i]
        if line.lineno == 1 and line.text.strip() == "---":
            end = next(
                (
                    j
                    for j in range(i + 1, len(lines))
                    if lines[j].path == line.path and lines[j].text.strip() in {"---", "..."}
                ),
                None,
            )
            if end is not None:
                flush()
                blocks.append(Block("frontmatter", lines[i : end + 1]))
                i = end + 1
                continue
        match = FENCE.match(line.text)
        if match:
            flush()
            fence = match["fence"]
            end = next(
                (
                    j
                    for j in range(i + 1, len(lines))
                    if (m := FENCE.match(lines[j].text)) and _closes(m, fence)
                ),
                None,
            )
            if end is None:
                raise QmdError(f"{line.path}:{line.lineno}: code fence {fence} is never closed")
            info = match["info"]
            executable = EXECUTABLE.match(info)
            kind = "cell" if executable else "code"
            language = executable["lang"] if executable else ""
            blocks.append(Block(kind, lines[i : end + 1], info=info, language=language))
            i = end + 1
            continue
        prose.append(line)
        i += 1
    flush()
    return blocks


def parse_cell(block: Block) -> Cell:
    body = block.lines[1:-1]
    options: list[str] = []
    n_options = 0
    for line in body:
        match = OPTION.match(line.text.strip())
        if not match:
            break
        options.append(match["option"])
        n_options += 1
    try:
        parsed = yaml.safe_load("\n".join(options)) if options else {}
    except yaml.YAMLError as err:
        raise QmdError(f"{block.path}:{block.lineno}: bad cell options: {err}") from None
    code_lines = body[n_options:]
    return Cell(
        path=block.path,
        lineno=block.lineno,
        language=block.language,
        options=parsed or {},
        code="\n".join(line.text for line in code_lines),
        code_lineno=code_lines[0].lineno if code_lines else block.lineno + 1,
    )


def frontmatter(block: Block) -> dict[str, Any]:
    return yaml.safe_load("\n".join(line.text for line in block.lines[1:-1])) or {}


def document_items(lines: list[Line]) -> Iterator[Cell | InlineExpression]:
    """Executable cells and inline expressions in document order."""
    for block in split_blocks(lines):
        if block.kind == "cell":
            yield parse_cell(block)
        elif block.kind == "prose":
            for line in block.lines:
                for match in INLINE.finditer(line.text):
                    yield InlineExpression(
                        line.path, line.lineno, match["expr"], match.start(), match.end()
                    )


# --------------------------------------------------------------------------- executing


@contextlib.contextmanager
def working_directory(path: str | os.PathLike[str]) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _split_last_expression(code: str, filename: str, first_line: int) -> tuple[Any, Any]:
    """Compile a cell like Jupyter: the body, and its last expression (shown) if any."""
    padded = "\n" * (first_line - 1) + code
    tree = ast.parse(padded, filename=filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, filename, "exec")
    return body, (compile(last, filename, "eval") if last is not None else None)


def run_item(item: Cell | InlineExpression, namespace: dict[str, Any]) -> Output:
    """Run one cell or inline expression in ``namespace``; raise with its location."""
    import matplotlib.pyplot as plt

    location = f"{item.path}:{item.lineno}"
    output = Output(item)
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            if isinstance(item, InlineExpression):
                output.value = eval(compile(item.expr, location, "eval"), namespace)
                output.has_value = True
            else:
                body, last = _split_last_expression(item.code, str(item.path), item.code_lineno)
                exec(body, namespace)
                if last is not None:
                    output.value = eval(last, namespace)
                    output.has_value = output.value is not None
                output.figures = [plt.figure(n) for n in plt.get_fignums()]
    except Exception as err:
        kind = "inline expression" if isinstance(item, InlineExpression) else "cell"
        shown = item.expr if isinstance(item, InlineExpression) else item.code
        raise ReportExecutionError(
            f"{kind} at {location} failed: {type(err).__name__}: {err}\n"
            f"--- {kind} ---\n{shown}\n--- traceback ---\n{traceback.format_exc()}"
        ) from err
    output.stdout = buffer.getvalue()
    return output


def run_document(
    path: str | os.PathLike[str], cwd: str | os.PathLike[str] | None = None
) -> list[Output]:
    """Execute a rendered file's cells and inline expressions as Quarto would.

    Includes are followed in order, every cell shares one namespace, the working
    directory is the file's folder (or ``cwd``), cells with ``eval: false`` are
    skipped. Matplotlib uses the Agg backend and plotly's renderer is ``json``
    so nothing opens a window or a browser.
    """
    import matplotlib

    matplotlib.use("Agg")
    os.environ.setdefault("PLOTLY_RENDERER", "json")
    path = Path(path).resolve()
    lines = expand_includes(path)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    outputs = []
    import matplotlib.pyplot as plt

    with working_directory(cwd or path.parent):
        for item in document_items(lines):
            if isinstance(item, Cell) and item.options.get("eval", True) is False:
                continue
            outputs.append(run_item(item, namespace))
            if isinstance(item, Cell):
                plt.close("all")
    return outputs


# --------------------------------------------------------------------------- files the prose names


@dataclass(frozen=True)
class Reference:
    """A file the prose points to: an image, a link, raw HTML's src/href, or an include."""

    path: Path  # the .qmd file
    lineno: int
    kind: str  # "image", "link", "html" or "include"
    target: str  # as written (without a title or a #fragment)
    caption: str = ""  # an image's caption (its alt text), Markdown as written
    attributes: str = ""  # the {...} block after an image, without the braces


_HTML_ATTRIBUTE = re.compile(r"\b(?:src|href)\s*=\s*\"(?P<target>[^\"]+)\"")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#|/)", re.IGNORECASE)


def _closing_bracket(text: str, start: int) -> int:
    """Index of the ``]`` matching the ``[`` at ``start`` (inline code skipped), or -1."""
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "`":
            ticks = re.match(r"`+", text[i:]).group(0)
            end = text.find(ticks, i + len(ticks))
            i = end + len(ticks) if end != -1 else i + len(ticks)
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _destination(text: str, start: int) -> tuple[str, int] | None:
    """``(target, end)`` of a ``(target "title")`` starting at ``start``, or None."""
    if start >= len(text) or text[start] != "(":
        return None
    depth, i = 0, start
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                inner = text[start + 1 : i].strip()
                target = inner.split()[0] if inner else ""
                return target.strip("<>"), i + 1
        i += 1
    return None


def references(lines: list[Line]) -> list[Reference]:
    """Images, local links, raw HTML sources and includes in the prose of one file."""
    found: list[Reference] = []
    for block in split_blocks(lines):
        if block.kind != "prose":
            continue
        # HTML comments are not content: blank them out, keeping every offset.
        text = _COMMENT.sub(
            lambda m: re.sub(r"[^\n]", " ", m.group(0)),
            "\n".join(line.text for line in block.lines),
        )
        starts = [0]
        for line in block.lines[:-1]:
            starts.append(starts[-1] + len(line.text) + 1)

        def lineno_at(offset: int, block: Block = block, starts: list[int] = starts) -> int:
            index = max(i for i, s in enumerate(starts) if s <= offset)
            return block.lines[index].lineno

        for line, shown in zip(block.lines, text.split("\n"), strict=True):
            include = INCLUDE.match(shown)
            if include:
                found.append(Reference(line.path, line.lineno, "include", include["path"]))
            for match in _HTML_ATTRIBUTE.finditer(shown):
                found.append(Reference(line.path, line.lineno, "html", match["target"]))
        i = 0
        while (i := text.find("[", i)) != -1:
            if i > 0 and text[i - 1] == "\\":
                i += 1
                continue
            close = _closing_bracket(text, i)
            if close == -1:
                break
            destination = _destination(text, close + 1)
            if destination is None:
                i += 1
                continue
            target, end = destination
            is_image = i > 0 and text[i - 1] == "!"
            attributes = ""
            if is_image and end < len(text) and text[end] == "{":
                attr_end = text.find("}", end)
                attributes = text[end + 1 : attr_end] if attr_end != -1 else ""
            target = target.split("#")[0] if not target.startswith("#") else target
            if is_image:
                found.append(
                    Reference(
                        block.path,
                        lineno_at(i),
                        "image",
                        target,
                        caption=text[i + 1 : close],
                        attributes=attributes,
                    )
                )
                i += 1  # links inside the caption are references too
            else:
                found.append(Reference(block.path, lineno_at(i), "link", target))
                i = end
    return found


def is_local(target: str) -> bool:
    """Whether a link target names a file of this project (not a URL, an anchor or a path)."""
    return bool(target) and not _EXTERNAL.match(target)


# --------------------------------------------------------------------------- prose and numbers

_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\d)")
_SHORTCODE = re.compile(r"\{\{<.*?>\}\}")
_ATTRIBUTES = re.compile(r"\{[#.][^{}]*\}")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_CITATION = re.compile(r"-?@[\w:.#$%&+?<>~/-]*\w")
_URL = re.compile(r"https?://\S+")


def prose_text(lines: list[Line]) -> list[Line]:
    """Prose lines of one file as a reader sees them, minus what is not prose.

    Removed: front matter (its ``abstract`` is kept), code blocks and cells, HTML
    comments, inline code (so inline `` `{python} ...` `` values too), math,
    shortcodes, attribute blocks, link targets, URLs and citation keys.
    """
    kept: list[Line] = []
    for block in split_blocks(lines):
        if block.kind == "frontmatter":
            abstract = frontmatter(block).get("abstract")
            if abstract:
                kept.append(Line(block.path, block.lineno, str(abstract).replace("\n", " ")))
        elif block.kind == "prose":
            kept.extend(block.lines)
    # Comments and display math may span lines: strip them on the joined text,
    # keeping line breaks so line numbers survive.
    joined = "\n".join(line.text for line in kept)
    for pattern in (_COMMENT, _DISPLAY_MATH):
        joined = pattern.sub(lambda m: "\n" * m.group(0).count("\n"), joined)
    cleaned = []
    for line, text in zip(kept, joined.split("\n"), strict=True):
        for pattern in (_INLINE_CODE, _SHORTCODE, _INLINE_MATH, _LINK_TARGET, _ATTRIBUTES, _URL):
            text = pattern.sub(" ", text)
        text = _CITATION.sub(" ", text)
        cleaned.append(Line(line.path, line.lineno, text))
    return cleaned


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
    # Confidence levels are part of the method: "95% interval", "95% bands", "95% CI".
    re.compile(
        r"\b\d+\s?%\s+(?:confidence\s+|credible\s+)?(?:intervals?|bands?|CIs?)\b",
        re.IGNORECASE,
    ),
    # Zero as a concept, not a count: "exactly 0", "set to 0", "shrinks towards 0".
    re.compile(r"\b(?:exactly|to|towards?|near|at)\s+0(?![.,]?\d)", re.IGNORECASE),
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(frozen=True)
class TypedNumber:
    path: Path
    lineno: int
    number: str
    word: str
    context: str

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}: {self.number!r} next to {self.word!r}: {self.context}"


def typed_numbers(lines: list[Line], window: int = WINDOW) -> list[TypedNumber]:
    """Numbers typed in prose within ``window`` words of a metric word, same sentence.

    Years (1900-2099) are exempt unless a metric word follows them directly
    ("2000 epochs" is caught, "Tibshirani (1996)" is not). See ``_EXCEPTIONS``
    for the other exemptions.
    """
    found: list[TypedNumber] = []
    for line in lines:
        text = line.text
        for pattern in _EXCEPTIONS:
            text = pattern.sub(" ", text)
        tokens = [(m.lastgroup, m.group(0)) for m in _TOKEN.finditer(text)]
        for i, (kind, value) in enumerate(tokens):
            if kind != "number":
                continue
            word = _nearby_metric(tokens, i, window, year=bool(_YEAR.match(value)))
            if word:
                found.append(TypedNumber(line.path, line.lineno, value, word, line.text.strip()))
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
