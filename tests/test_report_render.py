"""The report rendered by real Quarto, on the test profile's outputs.

``rendered_run`` (conftest.py) renders the report of the session's test-profile
run with the Quarto on PATH (CI's) or tests/setup.sh's; there is no skip. Then:

- the render itself: no warning, both formats, the cells executed once;
- the HTML, copied alone into an empty folder and opened from disk in headless
  Chromium (Playwright driving Debian's chromium) with every request that is
  not the file itself refused and counted: no console error, every image
  loaded, every ``#id`` link resolves, no ``?@`` and no raw TeX, math drawn as
  MathML, a table of contents, every figure id, and the alpha explorer's
  slider changing its bars and title inside the page;
- the PDF through poppler: no ``?@`` or ``??``, a caption for every figure,
  Hangul extracted as text, an embedded CJK font, numeric section numbers;
- the typed-number rule on the rendered text (tests/typed_numbers.py);
- a cell that raises fails the workflow with Quarto's message and leaves no report.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import TEST_CONFIG, quarto_command, run_snakemake, snakemake_env
from playwright.sync_api import Page, sync_playwright
from typed_numbers import source_prose, typed_numbers

from regularization_report.report.render import drop_raw_html, problem_lines

pytestmark = [pytest.mark.workflow, pytest.mark.browser]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
ALLOWED_SCHEMES = ("file:", "data:", "blob:", "about:")


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("headless Chromium is needed: `apt-get install -y chromium` (tests/setup.sh)")
    return path


# --------------------------------------------------------------------------- the render


def test_render_log_has_no_warning_and_cells_ran_once(rendered_run: Path) -> None:
    log = (rendered_run / "logs/report/render_report.log").read_text(encoding="utf-8")
    assert not re.search(r"^\s*\[?(WARN|ERROR)", log, re.MULTILINE | re.IGNORECASE), log[-3000:]
    for name in ("index.html", "index.pdf"):
        assert (rendered_run / "report/_output" / name).stat().st_size > 100_000, name
    # One kernel, each cell once: the PDF pass renders the HTML pass's executed Markdown.
    assert log.count("Starting python3 kernel") == 1, log[-3000:]
    runs = re.findall(r"Cell 1/(\d+)", log)
    assert len(runs) == 1 and int(runs[0]) > 10, runs
    assert "render report/index-executed.md --profile pdf --to typst" in log


def test_appendix_names_the_quarto_that_rendered(rendered_run: Path) -> None:
    table = pd.read_csv(rendered_run / "results/tables/environment.csv", keep_default_na=False)
    version = dict(zip(table["component"], table["version"], strict=True))["quarto"]
    assert re.fullmatch(r"1\.7\.\d+", version), version


# --------------------------------------------------------------------------- the HTML, offline


@pytest.fixture(scope="module")
def browser_page(rendered_run: Path, tmp_path_factory: pytest.TempPathFactory):
    """The rendered index.html, copied alone into an empty folder, open in Chromium."""
    alone = tmp_path_factory.mktemp("html_alone") / "report.html"
    shutil.copy2(rendered_run / "report/_output/index.html", alone)
    refused: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def route(route) -> None:
            if route.request.url.startswith(ALLOWED_SCHEMES):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.goto(alone.as_uri(), wait_until="load")
        yield page, refused, errors
        context.close()
        browser.close()


def test_html_makes_no_request_and_logs_no_error(browser_page) -> None:
    page, refused, errors = browser_page
    page.wait_for_timeout(500)
    assert refused == [], f"the page asked the network for: {refused}"
    assert errors == [], errors


def test_every_image_loads(browser_page) -> None:
    page: Page = browser_page[0]
    broken = page.evaluate(
        """async () => {
          const images = Array.from(document.images);
          for (const img of images) {
            img.scrollIntoView();
            await img.decode().catch(() => null);
          }
          window.scrollTo(0, 0);
          return {n: images.length,
                  broken: images.filter(i => !(i.complete && i.naturalWidth > 0))
                                .map(i => (i.id || i.alt || i.src).slice(0, 80))};
        }"""
    )
    assert broken["n"] >= 20 and broken["broken"] == [], broken


def test_every_internal_link_resolves(browser_page) -> None:
    page: Page = browser_page[0]
    links = page.evaluate(
        """() => Array.from(document.querySelectorAll('a[href^="#"]'))
                 .map(a => a.getAttribute('href')).filter(h => h.length > 1)"""
    )
    assert len(links) > 50
    dangling = page.evaluate(
        "(hrefs) => hrefs.filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))",
        links,
    )
    assert dangling == [], sorted(set(dangling))


def visible_text(page: Page) -> str:
    return page.evaluate("() => document.body.innerText")


def test_no_unresolved_reference_and_no_raw_tex(browser_page) -> None:
    page: Page = browser_page[0]
    text = visible_text(page)
    assert "?@" not in text, text[max(0, text.find("?@") - 200) : text.find("?@") + 50]
    raw = re.findall(r".{0,30}(?:\$[^$\n]{1,80}\$|\\\(|\\\[|\\frac|\\lVert|\\begin\{).{0,30}", text)
    assert raw == [], raw[:10]
    # The math is there, as MathML the browser draws: boxes with a size.
    sizes = page.evaluate(
        """() => Array.from(document.querySelectorAll('math'))
                 .map(m => m.getBoundingClientRect().height)"""
    )
    assert len(sizes) >= 20 and min(sizes) > 0, sizes[:10]
    external = page.evaluate(
        """() => Array.from(document.querySelectorAll('script[src], link[href]'))
                 .map(e => e.src || e.href).filter(u => !/^(data|blob):|^#/.test(u))
                 .filter(u => !u.startsWith(location.href))"""
    )
    assert external == [], external


def test_table_of_contents_lists_the_sections(browser_page) -> None:
    page: Page = browser_page[0]
    toc = page.locator("#TOC")
    assert toc.is_visible()
    targets = toc.locator("a[href^='#']").evaluate_all("as => as.map(a => a.hash)")
    assert "#sec-question" in targets and "#sec-references" in targets and len(targets) > 20


def test_every_figure_id_is_in_the_html_with_its_provenance(
    browser_page, rendered_run: Path
) -> None:
    """Each figure of the index has its id, and its caption ends with its script and rule.

    `Source: scripts/x.py, rule x.` links to the appendix table of figures.
    """
    page: Page = browser_page[0]
    index = pd.read_csv(rendered_run / "report/figures/index.csv", keep_default_na=False)
    captions = page.evaluate(
        """(ids) => Object.fromEntries(ids.map(id => {
             const el = document.getElementById(id);
             if (!el) return [id, null];
             const cap = el.querySelector('figcaption');
             const link = cap && cap.querySelector('a[href="#sec-appendix-figures"]');
             return [id, cap ? {text: cap.innerText, link: link ? link.innerText : null} : {}];
           }))""",
        list(index["id"]),
    )
    problems = []
    for row in index.itertuples():
        caption = captions[row.id]
        expected = f"Source: {row.script}, rule {row.rule}."
        if caption is None:
            problems.append(f"{row.id}: no element with this id")
        elif " ".join(caption.get("text", "").split())[-len(expected) :] != expected:
            problems.append(f"{row.id}: caption does not end with {expected!r}: {caption}")
        elif caption["link"] != f"{row.script}, rule {row.rule}":
            problems.append(f"{row.id}: the provenance is not a link to the appendix: {caption}")
    assert len(index) > 10 and not problems, "\n".join(problems)


SNAPSHOT = """() => {
  const gd = document.getElementById('alpha-explorer');
  return {
    title: gd.layout.title.text,
    title_dom: (gd.querySelector('.gtitle') || {}).textContent,
    active: gd.layout.sliders[0].active,
    n_steps: gd.layout.sliders[0].steps.length,
    bars: Array.from(gd.querySelectorAll('.barlayer .point path')).map(p => p.getAttribute('d')),
  };
}"""


def test_explorer_slider_changes_bars_and_title(browser_page) -> None:
    page: Page = browser_page[0]
    page.locator("#alpha-explorer").scroll_into_view_if_needed()
    before = page.evaluate(SNAPSHOT)
    rail = page.locator("#alpha-explorer .slider-rail-touch-rect").bounding_box()
    assert rail is not None and before["n_steps"] > 2
    # A real click on the rail's right end: plotly's own handlers move the slider.
    page.mouse.click(rail["x"] + rail["width"] * 0.99, rail["y"] + rail["height"] / 2)
    page.wait_for_function(
        "(t) => document.getElementById('alpha-explorer').layout.title.text !== t",
        arg=before["title"],
        timeout=10_000,
    )
    page.wait_for_timeout(500)
    after = page.evaluate(SNAPSHOT)
    assert after["active"] == before["n_steps"] - 1 != before["active"]
    assert after["title"] != before["title"] and after["title_dom"] == after["title"]
    assert len(after["bars"]) == len(before["bars"]) > 0 and after["bars"] != before["bars"]
    assert browser_page[2] == [], browser_page[2]


# --------------------------------------------------------------------------- the PDF


@pytest.fixture(scope="module")
def pdf_text(rendered_run: Path) -> str:
    pdf = rendered_run / "report/_output/index.pdf"
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_pdf_has_no_unresolved_reference(pdf_text: str) -> None:
    assert "?@" not in pdf_text and "??" not in pdf_text


def test_pdf_has_a_caption_for_every_figure(pdf_text: str, rendered_run: Path) -> None:
    # One line: pdftotext breaks lines at a path's slash ("scripts/ x.py") too.
    text = " ".join(pdf_text.split()).replace("/ ", "/")
    captions = re.findall(r"Figure (\d+): (.*?)Source: (\S+), rule (\w+)\.", text)
    numbers = sorted({int(n) for n, *_ in captions})
    index = pd.read_csv(rendered_run / "report/figures/index.csv", keep_default_na=False)
    assert numbers == list(range(1, len(index) + 1)), numbers
    # Every figure's provenance (script and rule of the index) ends one of them.
    provenance = {(script, rule) for *_, script, rule in captions}
    assert set(zip(index["script"], index["rule"], strict=True)) <= provenance


def test_pdf_hangul_is_text_in_an_embedded_cjk_font(pdf_text: str, rendered_run: Path) -> None:
    assert "정칙화" in pdf_text
    fonts = subprocess.run(
        ["pdffonts", str(rendered_run / "report/_output/index.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    cjk = [line for line in fonts if "CJK" in line]
    # Columns: name type encoding emb sub uni object ID; `emb` is the 4th from the end.
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts


def test_pdf_section_numbers_are_numeric(pdf_text: str) -> None:
    """Headings (and the contents) and cross-references say 4.2.1, not Typst's 4.2.b."""
    lettered = re.findall(
        r"^\d+\.\d+\.[a-z]\s.*$|Section \d+(?:\.\d+)*\.[a-z]\b", pdf_text, re.MULTILINE
    )
    assert lettered == [], lettered[:5]
    headings = re.findall(r"^(\d+(?:\.\d+)*)\s+[A-Z]", pdf_text, re.MULTILINE)
    assert any(h.count(".") == 2 for h in headings), "no third-level section number"
    assert re.search(r"Section \d+\.\d+\.\d+\b", pdf_text), "no reference to a third level"


# --------------------------------------------------------------------------- typed numbers


def test_no_number_is_typed_in_the_rendered_prose(browser_page, rendered_run: Path) -> None:
    """Numbers next to a metric word that the reader sees must come from the pipeline.

    The rendered text shows every number; one that is also written in the
    source's prose (outside inline code) next to the same metric word was typed
    by hand. Numbers computed by `{python} ...` are not in the source prose.
    """
    rendered = {(h.number, h.word.lower()) for h in typed_numbers(visible_text(browser_page[0]))}
    typed = [
        hit
        for source in sorted((rendered_run / "report").glob("*.qmd"))
        for hit in typed_numbers(source_prose(source), where=source.name)
        if (hit.number, hit.word.lower()) in rendered
    ]
    assert rendered, "the detector found no number next to a metric word in the render"
    assert not typed, "numbers typed by hand; read them from `values` instead:\n" + "\n".join(
        map(str, typed)
    )


# --------------------------------------------------------------------------- failures


def test_warning_and_error_lines_are_found() -> None:
    lines = [
        "\x1b[33mWARNING (refs.lua:128) Unable to resolve crossref @sec-x\x1b[39m\n",
        "ERROR: Inline expression encountered\n",
        "[WARNING] Could not fetch resource figures/x.png\n",
        "error: label `<x>` does not exist in the document\n",
        "Starting python3 kernel...[IPKernelApp] WARNING | Kernel is running over TCP\n",
        "[IPKernelApp] WARNING | Kernel is running over TCP without encryption.\n",
        "Output created: _output/index.html\n",
        "  Cell 3/40: 'setup'....Done\n",
    ]
    assert problem_lines(lines) == [
        "WARNING (refs.lua:128) Unable to resolve crossref @sec-x",
        "ERROR: Inline expression encountered",
        "[WARNING] Could not fetch resource figures/x.png",
        "error: label `<x>` does not exist in the document",
    ]


def test_a_failing_cell_fails_the_workflow_and_leaves_no_report(
    rendered_run: Path, tmp_path: Path
) -> None:
    """A cell that raises: the job fails quoting Quarto, and the earlier report is gone."""
    workdir = tmp_path / "wf"
    shutil.copytree(rendered_run, workdir, symlinks=True)
    output = workdir / "report/_output"
    assert (output / "index.html").exists() and (output / "index.pdf").exists()
    index = workdir / "report/index.qmd"
    text = index.read_text(encoding="utf-8")
    cell = '```{python}\n#| label: broken\nraise RuntimeError("deliberately broken cell")\n```\n'
    index.write_text(
        text.replace(
            "# Introduction {#sec-question}", cell + "\n# Introduction {#sec-question}", 1
        ),
        encoding="utf-8",
    )
    env = snakemake_env(path_prefix=quarto_command().parent)
    env["QUARTO_PYTHON"] = sys.executable
    result = run_snakemake(workdir, "--cores", "2", *TEST_CONFIG, env=env, check=False)
    said = result.stdout + result.stderr
    assert result.returncode != 0
    assert "RenderError" in said and "deliberately broken cell" in said, said[-4000:]
    assert not (output / "index.html").exists() and not (output / "index.pdf").exists()


def test_raw_html_blocks_are_dropped_for_the_pdf_pass() -> None:
    markdown = (
        'Text.\n\n````{=html}\n<div id="x">```js```</div>\n````\n\nMore `{=html}` text.\n\n'
        "```{.python .cell-code}\nx = 1\n```\n"
    )
    assert drop_raw_html(markdown) == (
        "Text.\n\n\nMore `{=html}` text.\n\n```{.python .cell-code}\nx = 1\n```\n"
    )
