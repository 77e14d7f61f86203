"""C9: the alpha explorer works in a real browser, offline.

Headless Chromium (Debian's ``chromium``) opens the explorer's HTML fragment
inside a small test page, presses the slider's rail with real mouse events at
its right and left ends (plotly's own slider code handles them), and the page
writes what it then shows into the DOM, which ``--dump-dom`` prints. The
bars' SVG paths, the title and the data of the bar and marker traces must
change to the values Python computed for those alphas, and neither the page
nor Chromium's console may report an error. Nothing is fetched: the page runs
from a file with every host name unresolvable.

Why the shim: ``--virtual-time-budget`` makes ``--dump-dom`` wait until the
page's timers have run, but on that virtual clock headless Chromium runs
animation frames only now and then, and plotly applies a slider step in a
``requestAnimationFrame`` callback. The test page therefore drives frames by a
16 ms timer; everything else (the mouse events, plotly's slider handlers, the
update and the redraw) is the browser's and plotly's own code.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from regularization_report.data.bundled import Split, load_bundled_frame, split_dataset
from regularization_report.linear.explorer import (
    EXPLORER_DIV_ID,
    alpha_explorer_data,
    alpha_explorer_figure,
    explorer_alphas,
    explorer_html,
)

pytestmark = pytest.mark.browser

N_ALPHAS = 8
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=20000",
]

# Installed before the fragment: records uncaught errors, rejected promises, console.error.
HOOKS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>alpha explorer test</title>
<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push("error: " + e.message); });
window.addEventListener("unhandledrejection", function (e) {
  window.__errors.push("unhandled rejection: " + e.reason);
});
// Headless Chromium's virtual clock (which --dump-dom waits on) runs timers reliably but
// animation frames only now and then; plotly applies a slider step in a frame callback.
// Frames are therefore driven by a 16 ms timer, as a browser at 60 Hz would.
(function () {
  var pending = {}, next = 1;
  window.requestAnimationFrame = function (callback) {
    var id = next++;
    pending[id] = setTimeout(function () { delete pending[id]; callback(performance.now()); }, 16);
    return id;
  };
  window.cancelAnimationFrame = function (id) { clearTimeout(pending[id]); delete pending[id]; };
})();
(function () {
  var original = console.error;
  console.error = function () {
    window.__errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
})();
</script></head><body>
"""

# After the fragment: press the slider's rail like a mouse would, record what is shown.
DRIVER = """<script>
function snapshot(gd) {
  var title = gd.querySelector(".gtitle");
  return {
    active: gd.layout.sliders[0].active,
    title: gd.layout.title.text,
    title_dom: title ? title.textContent : null,
    bar_paths: Array.from(gd.querySelectorAll(".barlayer .point path")).map(function (p) {
      return p.getAttribute("d");
    }),
    lasso: Array.isArray(gd.data[0].y) ? gd.data[0].y : null,
    ridge: Array.isArray(gd.data[1].y) ? gd.data[1].y : null,
    marker_x: Array.isArray(gd.data[6].x) ? gd.data[6].x : null
  };
}
window.addEventListener("load", function () {
  var gd = document.getElementById("__DIV_ID__");
  var result = {n_steps: gd.layout.sliders[0].steps.length, updates: 0};
  gd.on("plotly_update", function () { result.updates += 1; });
  result.before = snapshot(gd);
  var rail = gd.querySelector(".slider-rail-touch-rect");
  function press(fraction) {
    var box = rail.getBoundingClientRect();
    var init = {bubbles: true, cancelable: true, view: window, button: 0,
                clientX: box.left + box.width * fraction, clientY: box.top + box.height / 2};
    rail.dispatchEvent(new MouseEvent("mousedown", init));
    gd.dispatchEvent(new MouseEvent("mouseup", init));
  }
  function finish() {
    result.errors = window.__errors;
    var out = document.createElement("pre");
    out.id = "explorer-test-result";
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }
  press(0.99);
  setTimeout(function () {
    result.after_right = snapshot(gd);
    result.updates_after_right = result.updates;
    press(0.01);
    setTimeout(function () { result.after_left = snapshot(gd); finish(); }, 1500);
  }, 1500);
});
</script>
"""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "headless Chromium is needed for the explorer test: "
            "`apt-get install -y chromium` (tests/setup.sh installs it)"
        )
    return path


def run_page(page: Path, profile: Path) -> tuple[dict, list[str]]:
    """Open ``page`` headless; return the driver's result and Chromium's console lines."""
    done = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    match = re.search(r'<pre id="explorer-test-result">(.*?)</pre>', done.stdout, re.S)
    assert match, (
        f"the page wrote no result (exit {done.returncode}); console: {console}\n"
        f"stderr tail: {done.stderr[-2000:]}"
    )
    return json.loads(html.unescape(match.group(1))), console


@pytest.fixture(scope="module")
def explorer(tmp_path_factory: pytest.TempPathFactory):
    """The explorer on the real diabetes data, its fragment, and the numbers behind it."""
    frame = load_bundled_frame("diabetes")
    X = frame.drop(columns="target").to_numpy(dtype=np.float32)
    y = frame["target"].to_numpy(dtype=np.float32)
    parts = split_dataset(X, y, task="regression", test_size=0.2, val_size=0.2, seed=101)
    split = Split(**parts, feature_names=list(frame.columns[:-1]), task="regression")
    alphas = explorer_alphas(split, n_alphas=N_ALPHAS, min_ratio=1e-3)
    coefficients, errors = alpha_explorer_data(split, alphas=alphas)
    fragment = explorer_html(alpha_explorer_figure(coefficients, errors))
    folder = tmp_path_factory.mktemp("explorer")
    return fragment, coefficients, errors, folder


def write_page(folder: Path, fragment: str, extra: str = "") -> Path:
    page = folder / "page.html"
    driver = DRIVER.replace("__DIV_ID__", EXPLORER_DIV_ID)
    page.write_text(HOOKS + fragment + extra + driver + "</body></html>", encoding="utf-8")
    return page


def test_fragment_is_self_contained(explorer) -> None:
    fragment = explorer[0]
    assert not re.search(r"<script[^>]+src=", fragment), "a script is loaded from elsewhere"
    assert not re.search(r"<link[^>]+href=", fragment)
    assert not fragment.lstrip().lower().startswith(("<!doctype", "<html")), "not a fragment"
    assert f'id="{EXPLORER_DIV_ID}"' in fragment
    assert len(fragment) > 1_000_000  # plotly.js itself is inlined


def test_slider_moves_coefficients_and_errors_without_console_errors(explorer) -> None:
    fragment, coefficients, errors, folder = explorer
    result, console = run_page(write_page(folder, fragment), folder / "profile")
    assert result["errors"] == [], result["errors"]
    assert not [line for line in console if "Uncaught" in line or "Error" in line], console
    assert result["n_steps"] == N_ALPHAS
    before, right, left = result["before"], result["after_right"], result["after_left"]
    assert before["title_dom"] == before["title"]
    assert len(before["bar_paths"]) == 2 * 10  # Lasso and Ridge bars for 10 features

    alphas = np.sort(errors["alpha"].unique())[::-1]  # the slider runs from strong to weak
    lasso = coefficients[coefficients["model"] == "lasso"]

    # The right end: the weakest penalty; each press ran one plotly update.
    assert right["active"] == N_ALPHAS - 1
    assert result["updates_after_right"] == 1 and result["updates"] == 2
    assert right["bar_paths"] != before["bar_paths"]
    assert right["title"] != before["title"] and right["title_dom"] == right["title"]
    np.testing.assert_allclose(right["marker_x"], [alphas[-1]], rtol=1e-12)
    expected = lasso[lasso["alpha"] == alphas[-1]]["coef"].to_numpy()
    np.testing.assert_allclose(right["lasso"], expected, rtol=1e-9)
    test_mse = errors[(errors["model"] == "lasso") & (errors["alpha"] == alphas[-1])]["test_mse"]
    assert f"test MSE {test_mse.iloc[0]:.0f}" in right["title_dom"]

    # The left end: the Lasso's all-zero threshold; Ridge is shrunk but not zero.
    assert left["active"] == 0
    assert left["bar_paths"] != right["bar_paths"]
    assert left["lasso"] == [0] * 10 and all(v != 0 for v in left["ridge"])
    assert "Lasso keeps 0 of 10" in left["title_dom"]
    np.testing.assert_allclose(left["marker_x"], [alphas[0]], rtol=1e-12)


def test_the_harness_sees_console_errors(explorer) -> None:
    """The check above can fail: a page that logs an error is caught."""
    fragment, _, _, folder = explorer
    broken = folder / "broken"
    broken.mkdir(exist_ok=True)
    extra = "<script>console.error('deliberate failure'); undefinedFunction();</script>"
    result, console = run_page(write_page(broken, fragment, extra), broken / "profile")
    assert any("deliberate failure" in e for e in result["errors"])
    assert any("undefinedFunction" in e for e in result["errors"])
    assert any("Uncaught" in line for line in console)
