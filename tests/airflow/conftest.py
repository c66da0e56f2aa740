"""Airflow test session: its own AIRFLOW_HOME in a temporary folder, this DAG folder, no examples.

Airflow reads AIRFLOW_HOME when first imported, so this runs at collection time, before any
test module imports `airflow`.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from msix.orchestration import local

if "airflow" not in sys.modules:
    home = Path(tempfile.mkdtemp(prefix="msix-airflow-test-"))
    local.use_airflow_home(home)
    atexit.register(shutil.rmtree, home, ignore_errors=True)  # the session's, not left in /tmp


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    """The session's metadata database, migrated, with the `msix_warehouse` pool."""
    local.prepare_metadata_db()
    yield
