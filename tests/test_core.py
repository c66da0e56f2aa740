from pathlib import Path

from msix.settings import get_settings


def test_defaults_are_project_local() -> None:
    settings = get_settings()
    assert settings.warehouse.name == "msix.duckdb"
    assert settings.min_cell_size == 10
    assert settings.reports_dir == settings.warehouse.parent / "reports"


def test_environment_and_overrides(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MSIX_WAREHOUSE", str(tmp_path / "a.duckdb"))
    monkeypatch.setenv("MSIX_MIN_CELL_SIZE", "5")
    assert get_settings().warehouse == tmp_path / "a.duckdb"
    assert get_settings().min_cell_size == 5
    assert get_settings(warehouse=tmp_path / "b.duckdb").warehouse == tmp_path / "b.duckdb"


def test_safe_value_hides_the_value() -> None:
    from msix.logs import safe_value

    described = safe_value("Maria 2010-03-14")
    assert "Maria" not in described and "2010" not in described
    assert described.startswith("<16 chars")


def test_generate_rejects_an_unknown_state_without_a_traceback(tmp_path: Path, capsys) -> None:
    from msix.cli import main

    assert main(["generate", "--out", str(tmp_path), "--children", "10", "--states", "ZZ"]) == 2
    err = capsys.readouterr().err
    assert "ZZ" in err and "Traceback" not in err
