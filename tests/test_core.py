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


def test_library_chatter_stays_out_of_a_task_log() -> None:
    """A task (the scheduler's task process runs no logs.configure()) quiets Great Expectations'
    and sqlglot's INFO records; their warnings still reach the log's handlers."""
    import logging

    from msix.orchestration.factory import _step
    from msix.pipeline import StepSummary

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.DEBUG)
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    libraries = [logging.getLogger(name) for name in ("great_expectations", "sqlglot")]
    collect, root = Collect(), logging.getLogger()
    for library in libraries:
        library.setLevel(logging.NOTSET)
    root.addHandler(collect)
    try:
        _step("noop", lambda: StepSummary("noop", {}))
        # loggers of this test's own, under the libraries' (a logging config applied earlier in
        # the session may have disabled the libraries' existing loggers)
        logging.getLogger("great_expectations.msix_test").info("import chatter")
        logging.getLogger("sqlglot.msix_test").info("dialect chatter")
        logging.getLogger("great_expectations.msix_test").warning("a real warning")
    finally:
        root.removeHandler(collect)
        for library in libraries:
            library.setLevel(logging.WARNING)
    assert "a real warning" in collect.messages
    assert not [message for message in collect.messages if "chatter" in message]
