"""A local SMTP server that accepts the digests of the benchmarks' DAG chains.

A scheduled run in production delivers its digests, logs what it sent (`quality.alert_log`)
and the next run's digests carry only the news. With no server listening, every run would
keep every open finding and unsent notice for the next digest and render all of them again
(the failure path of alerts/deliver.py), so the chains of `make bench` and
`benchmarks.bench_delta` deliver to this server (aiosmtpd on 127.0.0.1, a free port). It counts
what arrives and keeps nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Received:
    """What the server accepted: messages and their bytes."""

    messages: int = 0
    size_bytes: int = 0


class _Counter:
    """aiosmtpd handler: count each message, keep nothing."""

    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        self.received.messages += 1
        self.received.size_bytes += len(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_sink(env: dict[str, str]) -> Iterator[tuple[dict[str, str], Received]]:
    """Run the server while the block runs; yields `env` pointed at it, and its counts."""
    from aiosmtpd.controller import Controller  # a dev dependency, as the benchmarks are

    received = Received()
    controller = Controller(
        _Counter(received), hostname="127.0.0.1", port=_free_port(), data_size_limit=None
    )
    controller.start()
    try:
        smtp_env = {
            **env,
            "MSIX_SMTP_HOST": "127.0.0.1",
            "MSIX_SMTP_PORT": str(controller.port),
            "MSIX_SMTP_TLS": "",
            "MSIX_SMTP_USER": "",
            "MSIX_SMTP_PASSWORD": "",
        }
        yield smtp_env, received
    finally:
        controller.stop()
