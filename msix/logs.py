"""Logging that never carries personally identifying data.

Rule for every module: log counts, file names, line numbers, field names, states and national
IDs; never a value from a student row (names, birth dates, parents). `safe_value` is the only
helper that describes a value, and it says only its shape.
"""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "msix"
# Libraries whose INFO records are their own chatter, not the run's: Great Expectations logs
# ~220 lines per chain run while it is imported ("Skipping registering function ..."), and
# sqlglot one per SQL dialect translation of Splink's. Their warnings and errors still show.
QUIET_LIBRARIES = ("great_expectations", "sqlglot")


def get_logger(name: str) -> logging.Logger:
    """A child of the project logger (`msix.<name>`)."""
    return logging.getLogger(f"{LOGGER_NAME}.{name}")


def configure(level: int = logging.INFO) -> None:
    """Plain one-line records on stderr; idempotent."""
    root = logging.getLogger(LOGGER_NAME)
    if any(getattr(h, "_msix", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._msix = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries (Airflow, Great Expectations) configure the root logger too; without this every
    # project record would be printed twice.
    root.propagate = False
    quiet_libraries()


def quiet_libraries() -> None:
    """Keep the QUIET_LIBRARIES' INFO records out of the run's log (Airflow's task log too)."""
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def safe_value(value: object) -> str:
    """Describe a rejected value without showing it: its length and character classes only."""
    text = "" if value is None else str(value)
    classes = []
    if any(c.isdigit() for c in text):
        classes.append("digits")
    if any(c.isalpha() for c in text):
        classes.append("letters")
    if any(not c.isalnum() for c in text):
        classes.append("symbols")
    return f"<{len(text)} chars: {'+'.join(classes) or 'empty'}>"
