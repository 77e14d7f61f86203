#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Ubuntu machine:
# a virtual environment in .venv with the package and its test extra, and the
# system packages the tests drive (Chromium for the browser tests, poppler-utils
# for the PDF test, CJK fonts for the PDF's Hangul, graphviz for the rule graph,
# Debian's Fashion-MNIST files for the data tests and the course's demos), and
# Quarto where none is on PATH (the `report` extra's pinned quarto-cli, which
# downloads Quarto while it installs: needs internet).
# Safe to rerun: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
echo "setup: installing the package with its test and course extras (pinned versions)"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,course]"
# Quarto: the one on PATH, else the `report` extra's pinned quarto-cli in a venv
# of its own (.venv/quarto), which the tests find (tests/conftest.py) and which
# stays off the PATH of the tests that check the workflow without Quarto.
if command -v quarto >/dev/null 2>&1; then
  echo "setup: using quarto $(quarto --version) at $(command -v quarto)"
elif [ ! -x .venv/quarto/bin/quarto ]; then
  pin=$(grep -o '"quarto-cli==[0-9.]*"' pyproject.toml | tr -d '"')
  echo "setup: no quarto on PATH; installing $pin into .venv/quarto"
  python3 -m venv .venv/quarto
  .venv/quarto/bin/python -m pip install --quiet "$pin"
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing+=(fonts-noto-cjk)
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: done"
