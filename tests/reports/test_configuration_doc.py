"""docs/configuration.md names every environment variable msix/settings.py reads."""

from __future__ import annotations

import re

from msix import paths


def test_every_setting_is_documented() -> None:
    source = (paths.REPO_ROOT / "msix" / "settings.py").read_text(encoding="utf-8")
    doc = (paths.REPO_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    variables = set(re.findall(r'"(MSIX_[A-Z_]+)"', source))
    assert variables, "no MSIX_* variables found in msix/settings.py"
    missing = sorted(v for v in variables if f"`{v}`" not in doc)
    assert missing == [], f"add to docs/configuration.md: {missing}"
