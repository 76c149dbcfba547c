"""A small driver for headless Chromium over the DevTools protocol, for the viewer's tests.

Chromium is started with --remote-debugging-pipe: the protocol's JSON messages travel
over two pipes (the browser reads fd 3 and writes fd 4, each message ended by a NUL), so
there is no port, no websocket library and no driver binary. Every wait has a deadline;
the browser is killed (its own process group) when the driver closes.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# The flags this machine needs: no sandbox as root, and no background connections to
# Google's hosts (the network is closed; without them Chromium retries loudly).
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
)


class CDPError(RuntimeError):
    """The browser answered with an error, did not answer in time, or went away."""


def find_chromium() -> str | None:
    """The Chromium to use: $FACTSHEET_CHROMIUM, else the first of CHROMIUM_NAMES on PATH."""
    explicit = os.environ.get("FACTSHEET_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium process and its protocol connection."""

    def __init__(self, executable: str, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict[str, Any]] = []
        self._responses: dict[int, dict[str, Any]] = {}
        self.profile = tempfile.mkdtemp(prefix="factsheet-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def child_fds() -> None:  # runs in the child: put the pipe ends at fds 3 and 4
            # Copies above 9 first, so that neither end can be overwritten by the other's dup2.
            a, b = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.log_path = Path(self.profile) / "chromium.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
                 "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=False,
                preexec_fn=child_fds, start_new_session=True,  # tests are single-threaded: preexec_fn is safe
            )
        os.close(to_browser_r)
        os.close(from_browser_w)
        try:
            self.send("Browser.getVersion")
        except CDPError:
            self.close()
            raise

    # -- protocol ------------------------------------------------------------------------

    def _write(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode("utf-8") + b"\0"
        try:
            while data:
                written = os.write(self._to_browser, data)
                data = data[written:]
        except OSError as e:
            raise CDPError(f"browser went away: {e}; its log: {self.log_tail()}") from e

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("timed out waiting for the browser")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise CDPError(f"browser closed the connection; its log: {self.log_tail()}")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            self._responses[message["id"]] = message
            return
        self.events.append(message)
        if message.get("method") == "Page.javascriptDialogOpening":
            # A dialog blocks the page; record it (the tests assert there is none) and dismiss it.
            self._next_id += 1
            self._write({"id": self._next_id, "method": "Page.handleJavaScriptDialog",
                         "params": {"accept": False}, "sessionId": message.get("sessionId")})

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float | None = None) -> dict[str, Any]:
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._write(message)
        deadline = time.monotonic() + (timeout or self.timeout)
        while ident not in self._responses:
            self._dispatch(self._read(deadline))
        reply = self._responses.pop(ident)
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def wait_event(self, method: str, session: str | None = None, timeout: float | None = None,
                   since: int = 0) -> dict[str, Any]:
        """The first event `method` (of `session`) recorded after index `since`, waiting for it."""
        deadline = time.monotonic() + (timeout or self.timeout)
        index = since
        while True:
            for i in range(index, len(self.events)):
                event = self.events[i]
                if event.get("method") == method and (session is None or event.get("sessionId") == session):
                    return event
            index = len(self.events)
            self._dispatch(self._read(deadline))

    def new_page(self, width: int = 1280, height: int = 860) -> Page:
        return Page(self, width, height)

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def close(self) -> None:
        with contextlib.suppress(CDPError, OSError):
            if self.process.poll() is None:
                self._next_id += 1
                self._write({"id": self._next_id, "method": "Browser.close"})
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # the group this driver started
            self.process.wait(timeout=5)
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab, attached in flat mode; methods wait for their answer, never unbounded."""

    def __init__(self, browser: Browser, width: int, height: int) -> None:
        self.browser = browser
        self.target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": self.target, "flatten": True})["sessionId"]
        self.first_event = len(browser.events)
        for domain in ("Page.enable", "Runtime.enable"):
            self.send(domain)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session, timeout)

    def events(self, method: str) -> list[dict[str, Any]]:
        return [e for e in self.browser.events[self.first_event:]
                if e.get("method") == method and e.get("sessionId") == self.session]

    def goto(self, url: str, timeout: float | None = None) -> None:
        since = len(self.browser.events)
        self.send("Page.navigate", {"url": url})
        self.browser.wait_event("Page.loadEventFired", self.session, timeout, since)

    def eval(self, expression: str, timeout: float | None = None) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"script failed: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 3.0, interval: float = 0.05) -> Any:
        """Poll a JS expression until it is truthy; CDPError (with the expression) after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.eval(expression)
            except CDPError as e:  # evaluated while the page navigates: not ready yet
                if "navigated or closed" not in str(e) and "context" not in str(e).lower():
                    raise
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise CDPError(f"timed out after {timeout}s waiting for: {expression}")
            time.sleep(interval)

    def settle(self) -> None:
        """Wait two animation frames, so that scroll events of a programmatic scroll have fired."""
        self.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def center(self, selector: str) -> tuple[float, float]:
        """The viewport centre of the first element matching `selector` (its first line box)."""
        box = self.eval(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)}); if (!el) return null;"
            " const r = el.getClientRects()[0] || el.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        if not box:
            raise CDPError(f"no element matches {selector}")
        return float(box[0]), float(box[1])

    def mouse(self, kind: str, x: float, y: float, button: str = "none", clicks: int = 0) -> None:
        self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": button, "clickCount": clicks})

    def click_at(self, x: float, y: float) -> None:
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y, "left", 1)
        self.mouse("mouseReleased", x, y, "left", 1)

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) at the element's centre, as a person would."""
        self.click_at(*self.center(selector))

    def hover(self, selector: str) -> None:
        self.mouse("mouseMoved", *self.center(selector))

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", params, timeout=20)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(CDPError):
            self.browser.send("Target.closeTarget", {"targetId": self.target})
