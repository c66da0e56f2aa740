"""Run-context helpers and the failure notifier, without a scheduler."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from types import SimpleNamespace

import pytest

from msix.orchestration import policy, runtime

CLOCK = datetime(2026, 3, 2, 6, tzinfo=UTC)


def _event(**extra: object) -> SimpleNamespace:
    return SimpleNamespace(extra=extra)


def test_run_clock_prefers_the_triggering_events_clock() -> None:
    later = datetime(2026, 3, 2, 7, tzinfo=UTC)
    context = {
        "triggering_asset_events": {
            "raw": [_event(as_of=CLOCK.isoformat()), _event(as_of=later.isoformat())]
        },
        "data_interval_end": datetime(2030, 1, 1, tzinfo=UTC),
    }
    assert runtime.run_clock(context) == later


def test_run_clock_falls_back_to_the_data_interval_then_run_after() -> None:
    assert runtime.run_clock({"data_interval_end": CLOCK, "logical_date": None}) == CLOCK
    run = SimpleNamespace(run_after=CLOCK)
    assert runtime.run_clock({"data_interval_end": None, "dag_run": run}) == CLOCK
    with pytest.raises(ValueError, match="no data interval"):
        runtime.run_clock({})


def test_full_refresh_from_param_or_triggering_event() -> None:
    assert runtime.full_refresh({"params": {"full_refresh": True}})
    assert runtime.full_refresh(
        {"params": {}, "triggering_asset_events": {"raw": [_event(full_refresh=True)]}}
    )
    assert not runtime.full_refresh({"params": {"full_refresh": False}})


def test_wanted_states_normalises_the_param() -> None:
    assert runtime.wanted_states({"states": ["tx", " fl", ""]}) == ["FL", "TX"]
    assert runtime.wanted_states({"states": "ca, wa"}) == ["CA", "WA"]
    assert runtime.wanted_states({"states": []}) is None
    assert runtime.wanted_states({}) is None


def test_landing_states_lists_folders_with_files(tmp_path: Path) -> None:
    for state, has_file in [("TX", True), ("FL", True), ("OR", False)]:
        (tmp_path / state).mkdir()
        if has_file:
            (tmp_path / state / "f.csv").write_text("x\n")
    assert runtime.landing_states(tmp_path) == ["FL", "TX"]
    assert runtime.landing_states(tmp_path, ["tx", "OR"]) == ["TX"]
    assert runtime.landing_states(tmp_path / "missing") == []


def test_loaded_anything() -> None:
    assert not runtime.loaded_anything([])
    assert not runtime.loaded_anything([{"counts": {"files_loaded": 0, "rows_loaded": 0}}])
    assert runtime.loaded_anything([{"counts": {"rows_loaded": 0}}, {"counts": {"rows_loaded": 2}}])
    # a report that cannot say whether it loaded anything never blocks the downstream DAGs
    assert runtime.loaded_anything([{"counts": {"files": 3}}])
    # nor does a retry, whose failed try may have committed the files it now finds unchanged
    retried = {"counts": {"files_loaded": 0, "rows_loaded": 0}, runtime.RETRIED: True}
    assert runtime.loaded_anything([retried])
    assert not runtime.loaded_anything([{**retried, runtime.RETRIED: False}])


def test_event_extra_round_trips_the_clock() -> None:
    extra = runtime.event_extra(CLOCK, True)
    context = {"triggering_asset_events": {"raw": [_event(**extra)]}, "params": {}}
    assert runtime.run_clock(context) == CLOCK
    assert runtime.full_refresh(context)


def _failure_context() -> dict[str, object]:
    ti = SimpleNamespace(dag_id="msix_ingest", task_id="ingest_state", map_index=2, try_number=1)
    error = ValueError("TX_students_20260301.csv line 4 field birth_date: bad date")
    return {"ti": ti, "run_id": "scheduled__x", "exception": error}


def test_failure_text_names_task_run_and_error() -> None:
    text = policy.failure_text(_failure_context())
    assert "msix_ingest.ingest_state[2]" in text
    assert "scheduled__x" in text
    assert "ValueError: TX_students_20260301.csv line 4" in text


def test_notify_failure_mails_operations_when_configured(
    monkeypatch: pytest.MonkeyPatch, unused_port: int
) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[bytes] = []

    class Keep(Message):
        def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
            received.append(message.as_bytes())

    controller = Controller(Keep(), hostname="127.0.0.1", port=unused_port)
    controller.start()
    try:
        monkeypatch.setenv("MSIX_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("MSIX_SMTP_PORT", str(unused_port))
        monkeypatch.setenv("AIRFLOW_VAR_MSIX_OPS_EMAIL", "ops@example.org")
        policy.notify_failure(_failure_context())
    finally:
        controller.stop()
    assert len(received) == 1
    mail = message_from_bytes(received[0])
    assert mail["To"] == "ops@example.org"
    assert "msix_ingest.ingest_state[2]" in mail.get_payload()


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pool_import_file_matches_the_pool_the_project_creates() -> None:
    import json

    from msix import paths

    pools = json.loads((paths.CONFIG_DIR / "airflow" / "pools.json").read_text())
    assert pools == {
        policy.POOL: {
            "slots": policy.POOL_SLOTS,
            "description": policy.POOL_DESCRIPTION,
            "include_deferred": False,
        }
    }


def test_the_chain_imports_heavy_libraries_in_the_background_past_a_failed_one() -> None:
    import sys

    from msix.orchestration.local import import_in_background

    sys.modules.pop("colorsys", None)
    import_in_background(["msix_no_such_module", "colorsys"]).join(timeout=30)
    assert "colorsys" in sys.modules


def test_the_background_imports_pause_garbage_collection_and_freeze_what_they_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import sys

    from msix.orchestration.local import import_in_background

    # a module that records, while it is being imported, whether the collector runs
    (tmp_path / "msix_gc_probe.py").write_text("import gc\nCOLLECTING = gc.isenabled()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("msix_gc_probe", None)
    gc.enable()
    gc.unfreeze()
    try:
        import_in_background(["msix_gc_probe"]).join(timeout=30)
        module = sys.modules["msix_gc_probe"]
        assert module.COLLECTING is False  # paused during the import
        assert gc.isenabled()  # and on again after it
        assert gc.get_freeze_count() > 0
        assert all(obj is not module for obj in gc.get_objects())  # frozen: no generation holds it
    finally:
        sys.modules.pop("msix_gc_probe", None)
        gc.unfreeze()
        gc.enable()


def test_the_background_imports_leave_a_paused_collector_paused() -> None:
    import gc

    from msix.orchestration.local import import_in_background

    gc.disable()
    try:
        import_in_background(["colorsys"]).join(timeout=30)
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
