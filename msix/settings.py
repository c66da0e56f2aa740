"""Runtime settings, read from MSIX_* environment variables with embedded defaults.

Every setting has a default that works on a fresh clone; nothing is required.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from msix import paths


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass(frozen=True)
class Settings:
    """All knobs of the pipeline in one place."""

    warehouse: Path = field(
        default_factory=lambda: _env_path("MSIX_WAREHOUSE", paths.DEFAULT_WAREHOUSE)
    )
    landing: Path = field(
        default_factory=lambda: _env_path("MSIX_LANDING", paths.DEFAULT_DATA_DIR / "landing")
    )
    layouts_dir: Path = field(default_factory=lambda: _env_path("MSIX_LAYOUTS", paths.LAYOUTS_DIR))
    min_cell_size: int = field(default_factory=lambda: _env_int("MSIX_MIN_CELL_SIZE", 10))
    match_upper: float = field(default_factory=lambda: _env_float("MSIX_MATCH_UPPER", 0.99))
    match_lower: float = field(default_factory=lambda: _env_float("MSIX_MATCH_LOWER", 0.50))
    smtp_host: str = field(default_factory=lambda: os.environ.get("MSIX_SMTP_HOST", "localhost"))
    smtp_port: int = field(default_factory=lambda: _env_int("MSIX_SMTP_PORT", 25))
    smtp_user: str = field(default_factory=lambda: os.environ.get("MSIX_SMTP_USER", ""))
    smtp_password: str = field(default_factory=lambda: os.environ.get("MSIX_SMTP_PASSWORD", ""))
    smtp_tls: bool = field(default_factory=lambda: os.environ.get("MSIX_SMTP_TLS", "") == "1")
    coordinators: Path = field(
        default_factory=lambda: _env_path(
            "MSIX_COORDINATORS", paths.CONFIG_DIR / "coordinators.csv"
        )
    )
    smtp_sender: str = field(
        default_factory=lambda: os.environ.get("MSIX_SMTP_SENDER", "msix-warehouse@localhost")
    )

    @property
    def reports_dir(self) -> Path:
        """Report site folder: MSIX_REPORTS, or `reports/` beside the warehouse file."""
        return _env_path("MSIX_REPORTS", self.warehouse.parent / "reports")

    @property
    def outbox_dir(self) -> Path:
        """Every alert digest is also written here: MSIX_OUTBOX, or `outbox/` beside the warehouse."""
        return _env_path("MSIX_OUTBOX", self.warehouse.parent / "outbox")

    @property
    def artifacts_dir(self) -> Path:
        """dbt artifacts and Great Expectations Data Docs per run, beside the warehouse."""
        return self.warehouse.parent / "artifacts"


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. a CLI `--warehouse`)."""
    base = Settings()
    values = {k: v for k, v in overrides.items() if v is not None}
    if "warehouse" in values:
        values["warehouse"] = Path(str(values["warehouse"])).expanduser().resolve()
    if "landing" in values:
        values["landing"] = Path(str(values["landing"])).expanduser().resolve()
    return Settings(**{**base.__dict__, **values})
