"""Where things live in the repository and, by default, on disk."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT: Path = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR: Path = REPO_ROOT / "dbt_project"
DAGS_DIR: Path = REPO_ROOT / "dags"
LAYOUTS_DIR: Path = REPO_ROOT / "loaders" / "layouts"
EXPECTATIONS_DIR: Path = REPO_ROOT / "expectations"
CONFIG_DIR: Path = REPO_ROOT / "config"

DEFAULT_WAREHOUSE: Path = REPO_ROOT / "warehouse" / "msix.duckdb"
DEFAULT_DATA_DIR: Path = REPO_ROOT / "data"
DEFAULT_AIRFLOW_HOME: Path = REPO_ROOT / ".airflow"
