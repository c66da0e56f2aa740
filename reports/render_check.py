"""Render pages in headless Chromium and report what was drawn and what went wrong.

Drives Debian's `chromium` over the DevTools protocol (a small synchronous websocket client):
each page is opened in a fresh tab, console errors, uncaught exceptions and failed loads are
collected, and the drawn chart marks are counted from the live DOM (`getBBox`, so a mark counts
only when the browser laid it out with a size). Used by the report site's test and handy by
hand: `python -m reports.render_check reports/index.html`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)
# What the page reports about its charts, evaluated in the page after the load event.
_CHART_PROBE = """(() => {
  const marks = [...document.querySelectorAll('svg.chart .mark')];
  const drawn = marks.filter(m => { const b = m.getBBox(); return b.width > 0 && b.height > 0; });
  return {title: document.title, charts: document.querySelectorAll('svg.chart').length,
          marks: marks.length, drawn: drawn.length};
})()"""


class RenderError(RuntimeError):
    """Chromium could not be started, reached or asked to render a page in time."""


@dataclass
class PageRender:
    """What one page looked like in the browser."""

    url: str
    title: str = ""
    charts: int = 0
    marks: int = 0
    drawn_marks: int = 0
    errors: list[str] = field(default_factory=list)


def find_chromium() -> str | None:
    """Path of an installed Chromium, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_chromium() -> str:
    """Chromium's path, installing Debian's package quietly (as root) when it is missing."""
    found = find_chromium()
    if found:
        return found
    if os.geteuid() != 0:
        raise RenderError("chromium is not installed; run: apt-get install -y chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RenderError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")
    found = find_chromium()
    if not found:
        raise RenderError("apt-get installed chromium but no chromium binary is on PATH")
    return found


def render_pages(
    pages: list[Path], chromium: str | None = None, timeout: float = 60.0
) -> list[PageRender]:
    """Open each page in headless Chromium; all within `timeout` seconds or RenderError."""
    binary = chromium or find_chromium()
    if not binary:
        raise RenderError("chromium is not installed")
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="msix-chromium-") as profile:
        process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = _devtools_url(Path(profile), process, deadline)
            from websockets.sync.client import connect

            with connect(url, max_size=None, open_timeout=_left(deadline)) as ws:
                client = _DevTools(ws, deadline)
                return [client.render(page.resolve().as_uri()) for page in pages]
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _left(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RenderError("chromium did not finish rendering in time")
    return remaining


def _devtools_url(profile: Path, process: subprocess.Popen[bytes], deadline: float) -> str:
    """The browser's websocket address, from the DevToolsActivePort file Chromium writes."""
    port_file = profile / "DevToolsActivePort"
    while True:
        if process.poll() is not None:
            raise RenderError(f"chromium exited early with code {process.returncode}")
        if port_file.exists():
            lines = port_file.read_text(encoding="utf-8").split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        _left(deadline)
        time.sleep(0.05)


class _DevTools:
    """Just enough of the DevTools protocol: commands by id, events kept per session."""

    def __init__(self, ws: Any, deadline: float) -> None:
        self.ws = ws
        self.deadline = deadline
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = self._receive()
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise RenderError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})

    def wait_for(self, method: str, session: str) -> None:
        while not any(
            e.get("method") == method and e.get("sessionId") == session for e in self.events
        ):
            self._receive()

    def _receive(self) -> dict[str, Any]:
        try:
            reply = json.loads(self.ws.recv(timeout=_left(self.deadline)))
        except TimeoutError as exc:
            raise RenderError("chromium did not answer in time") from exc
        if "method" in reply:
            self.events.append(reply)
        return reply

    def render(self, url: str) -> PageRender:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session)
        self.wait_for("Page.loadEventFired", session)
        probe = self.send(
            "Runtime.evaluate", {"expression": _CHART_PROBE, "returnByValue": True}, session
        )
        value = probe.get("result", {}).get("value") or {}
        page = PageRender(
            url=url,
            title=str(value.get("title", "")),
            charts=int(value.get("charts", 0)),
            marks=int(value.get("marks", 0)),
            drawn_marks=int(value.get("drawn", 0)),
            errors=_errors([e for e in self.events if e.get("sessionId") == session]),
        )
        self.send("Target.closeTarget", {"targetId": target})
        self.events = [e for e in self.events if e.get("sessionId") != session]
        return page


def _errors(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions and failed loads, as one line each."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = params.get("args", [])
            found.append(
                "console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            description = details.get("exception", {}).get("description", "")
            found.append(f"exception: {details.get('text', '')} {description}".strip())
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            found.append(f"log: {entry.get('text', '')} {entry.get('url', '')}".strip())
    return found


def main(argv: list[str]) -> int:
    """Render the given HTML files; exit 1 when any page has an error or no drawn chart."""
    renders = render_pages([Path(a) for a in argv])
    bad = 0
    for page in renders:
        print(
            f"{page.url}: charts={page.charts} marks={page.drawn_marks}/{page.marks} errors={len(page.errors)}"
        )
        for error in page.errors:
            print(f"  {error}")
        bad += bool(page.errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
