"""Logging for workflow scripts: every job writes its own log file."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path


def setup_logging(
    log_path: str | os.PathLike[str] | None, level: int = logging.INFO
) -> logging.Logger:
    """Send log records to the rule's ``log:`` file and to stderr; return the root logger.

    Uncaught exceptions are logged too, so a failing job's log says why.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logger = logging.getLogger("regularization_report")

    def _log_uncaught(exc_type, exc, tb):  # pragma: no cover - exercised by failing jobs
        logger.critical("job failed", exc_info=(exc_type, exc, tb))
        sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = _log_uncaught
    return logger
