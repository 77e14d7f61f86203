"""The version of the code a job runs: a SHA-256 over its script and every module of
this package that the script imports, directly or through other modules.

The workflow passes it as a param of every script rule, so Snakemake reruns a job
(and everything after it) when that code changes, and nothing else. The scan is
static (``ast``, no import is executed) and keyed by paths relative to the
project, so moving the project changes no version.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "regularization_report"
IMPORT_LINE = re.compile(rf"^(from|import)\s+{PACKAGE}\b[^()]*$")


def _module_file(src: Path, module: str) -> Path | None:
    """The file of a dotted module name inside ``src``, or None outside the package."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    base = src.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(src: Path, path: Path) -> str | None:
    """Dotted package that ``path`` belongs to (for relative imports), None for scripts."""
    try:
        rel = path.relative_to(src)
    except ValueError:
        return None
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1])
    return ".".join(parts[:-1])


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def _imports(src: Path, path: Path) -> tuple[Path, ...]:
    return _imports_cached(src, path, _stamp(path))


@functools.cache
def _imports_cached(src: Path, path: Path, stamp: tuple[int, int]) -> tuple[Path, ...]:
    """Package files imported by one file (and the ``__init__`` of each parent package);
    cached per file version (modification time and size)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":  # a Quarto chapter: its import lines only
        text = "\n".join(
            line.strip() for line in text.splitlines() if IMPORT_LINE.match(line.strip())
        )
    tree = ast.parse(text, filename=str(path))
    package = _package_of(src, path)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level and package is not None:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names.append(module)
            # `from pkg import module` imports a module, not a name.
            names += [f"{module}.{alias.name}" for alias in node.names]
    found: set[Path] = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # a package's __init__ runs on import
            file = _module_file(src, ".".join(parts[:i]))
            if file is not None:
                found.add(file)
    return tuple(sorted(found))


def module_files(sources: Iterable[Path], src: Path) -> list[Path]:
    """The ``sources`` and every package file they import, transitively, sorted."""
    src = src.resolve()
    seen: set[Path] = set()
    todo = [Path(source).resolve() for source in sources]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += [p for p in _imports(src, path) if p not in seen]
    return sorted(seen)


def _file_digest(path: Path) -> str:
    return _file_digest_cached(path, _stamp(path))


@functools.cache
def _file_digest_cached(path: Path, stamp: tuple[int, int]) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def code_version(
    sources: str | Path | Iterable[str | Path], src: str | Path, root: str | Path
) -> str:
    """SHA-256 over (path relative to ``root``, content digest) of the sources (a script,
    or Quarto chapters) and the package modules they import."""
    root = Path(root).resolve()
    if isinstance(sources, str | Path):
        sources = [sources]
    digest = hashlib.sha256()
    for path in module_files([Path(s) for s in sources], Path(src)):
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        digest.update(f"{rel}\0{_file_digest(path)}\n".encode())
    return digest.hexdigest()
