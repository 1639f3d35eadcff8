"""Headless-Chromium checker for offline HTML pages (a helper for tests, not a test module).

Drives Chromium through the DevTools protocol over one websocket (``websocket-client``); no
playwright or selenium. ``inspect_page(html, png)`` launches Chromium, opens the page from
``file://`` with the network blocked, waits until it has settled, and returns a ``PageReport``:
console errors and uncaught exceptions, every request (and the ones that tried to leave the
machine), the images and whether they decoded, the tables and their body rows, the title, the
document height, horizontal overflow at the viewport width, and a viewport screenshot with a
blank check. ``Browser`` does the same for several pages with one Chromium.

Network blocking, two independent belts:

1. DevTools ``Fetch`` interception (pattern ``*``) on the page and on any out-of-process frame
   it spawns (auto-attached paused, so nothing runs before interception is on; a dedicated
   worker's requests pass through its page's interception): each request whose URL is not
   ``file:``/``data:``/``blob:``/``about:`` is recorded and failed with ``BlockedByClient``
   before Chromium opens a connection. WebSockets are not interceptable: they are recorded
   (``Network.webSocketCreated``) and stopped by (2).
2. Launch flags: ``--host-resolver-rules=MAP * ~NOTFOUND`` (no host name resolves) and a proxy
   at ``127.0.0.1:9`` that nothing listens on, for everything including IP literals and loopback
   (``<-loopback>``), so a request that slipped past (1) still cannot connect anywhere.

Tests call ``require_chromium()`` first: it skips when Chromium is absent, but fails under
``CI=true``, where the check must really run. ``CHROMIUM=/path/to/binary`` overrides the lookup.
"""
from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ALLOWED_SCHEMES = ("file:", "data:", "blob:", "about:")
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BLANK_STD = 1.0  # a screenshot whose pixel standard deviation is below this counts as blank
SETTLE_S = 0.3  # quiet time (no network, console or exception events) required after load
SETTLE_MAX_S = 3.0  # stop waiting for quiet after this (a page that logs forever still reports)

# Events that keep a page "busy" for the settling wait.
_BUSY_EVENTS = frozenset({
    "Network.requestWillBeSent", "Network.responseReceived", "Network.loadingFinished",
    "Network.loadingFailed", "Network.webSocketCreated", "Fetch.requestPaused",
    "Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded",
    "Target.attachedToTarget",
})

_READY_JS = """(() => document.readyState === 'complete'
    && Array.from(document.images).every(img => img.complete))()"""

_FRAMES_JS = """new Promise(resolve => { window.scrollTo(0, 0);
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))); })"""

_COLLECT_JS = """(() => {
  const de = document.documentElement;
  const body = document.body;
  return {
    title: document.title,
    readyState: document.readyState,
    documentHeight: Math.max(de.scrollHeight, body ? body.scrollHeight : 0),
    scrollWidth: de.scrollWidth,
    clientWidth: de.clientWidth,
    images: Array.from(document.images).map(img => ({
      src: img.currentSrc || img.src,
      attr: img.getAttribute('src'),
      naturalWidth: img.naturalWidth,
      naturalHeight: img.naturalHeight,
      complete: img.complete,
    })),
    tables: Array.from(document.querySelectorAll('table')).map(t => ({
      id: t.id,
      caption: t.caption ? t.caption.textContent.trim() : null,
      bodyRows: Array.from(t.tBodies).reduce((n, b) => n + b.rows.length, 0),
    })),
  };
})()"""


class BrowserError(RuntimeError):
    """Chromium failed to start, crashed, or a DevTools command failed."""


class ChromiumNotFound(BrowserError):
    """No Chromium executable (see ``chromium_path``)."""


class BrowserTimeout(BrowserError, TimeoutError):
    """The page did not load or settle within the timeout."""


@dataclass
class ImageInfo:
    src: str  # resolved URL (data: URIs shortened)
    attr: str | None  # the src attribute as written
    natural_width: int
    natural_height: int
    complete: bool

    @property
    def decoded(self) -> bool:
        return self.natural_width > 0 and self.natural_height > 0


@dataclass
class TableInfo:
    id: str
    caption: str | None
    body_rows: int


@dataclass
class PageReport:
    html_path: Path
    url: str
    title: str
    width: int
    height: int
    mobile: bool
    document_height: int
    scroll_width: int  # document.documentElement.scrollWidth
    client_width: int  # document.documentElement.clientWidth (the layout viewport width)
    horizontal_overflow: bool  # scroll_width > client_width
    images: list[ImageInfo]
    tables: list[TableInfo]
    console_errors: list[str]  # console.error/console.assert, and Log entries of level error
    exceptions: list[str]  # uncaught exceptions and unhandled rejections
    requests: list[str]  # every request the page made, in order (data: URLs shortened)
    external_requests: list[str]  # unique URLs that were not file:/data:/blob:/about:
    blocked_requests: list[str]  # unique URLs failed by the Fetch interception
    external_loaded: list[str]  # external URLs that nevertheless got a response (should be [])
    screenshot: Path
    screenshot_size: tuple[int, int]  # (width, height) in device pixels
    screenshot_std: float
    screenshot_blank: bool
    elapsed_s: float
    protocol_notes: list[str] = field(default_factory=list)  # non-fatal DevTools command errors
    evaluated: Any = None  # the value of ``inspect(script=...)``'s last expression

    @property
    def errors(self) -> list[str]:
        return self.console_errors + self.exceptions

    @property
    def fits_viewport(self) -> bool:
        """No horizontal overflow and a layout as wide as the viewport: on a phone, a page
        without ``<meta name=viewport content="width=device-width">`` is laid out 980 px wide
        (no overflow, but unreadably small), which this rejects."""
        return not self.horizontal_overflow and self.client_width <= self.width

    @property
    def broken_images(self) -> list[ImageInfo]:
        return [img for img in self.images if not img.decoded]


# --------------------------------------------------------------------------- locating Chromium

def chromium_path() -> str | None:
    """The Chromium executable: ``$CHROMIUM`` when set (None if it is not an executable; no
    fallback, so a wrong override is noticed), else the first of chromium / chromium-browser /
    google-chrome on PATH, else None."""
    override = os.environ.get("CHROMIUM")
    if override:
        return shutil.which(override)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_reason() -> str:
    override = os.environ.get("CHROMIUM")
    if override:
        return f"CHROMIUM={override!r} is not an executable"
    return (f"no Chromium found on PATH (tried {', '.join(CANDIDATES)}); "
            "install it with `apt-get install -y chromium` or set CHROMIUM=/path/to/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require_chromium() -> str:
    """The Chromium path for a test; skips the test when absent, but fails it under CI=true."""
    import pytest

    path = chromium_path()
    if path is None:
        reason = missing_reason()
        if in_ci():
            pytest.fail(f"CI=true but {reason}: the browser checks must run in CI", pytrace=False)
        pytest.skip(reason)
    return path


# --------------------------------------------------------------------------- DevTools connection

def _short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit or not url.startswith("data:") else url[:limit] + "..."


def _is_allowed(url: str) -> bool:
    return url.lower().startswith(ALLOWED_SCHEMES)


class _Connection:
    """Flat-session DevTools client on the browser websocket. ``call`` waits for its reply and
    dispatches the events that arrive meanwhile; ``post`` does not wait (for use from handlers)."""

    def __init__(self, ws_url: str, timeout: float):
        import websocket

        self._websocket = websocket
        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self._next_id = 0
        self._posted: dict[int, str] = {}
        self.handlers: list[Callable[[str, dict, str | None], None]] = []
        self.notes: list[str] = []
        self.deadline = time.monotonic() + timeout

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except Exception:
            pass

    def _send(self, method: str, params: dict | None, session: str | None) -> int:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        return self._next_id

    def post(self, method: str, params: dict | None = None, session: str | None = None) -> None:
        self._posted[self._send(method, params, session)] = method

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        msg_id = self._send(method, params, session)
        while True:
            msg = self._recv(self.deadline, what=method)
            if msg is None:
                continue
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise BrowserError(f"DevTools {method} failed: {msg['error']}")
                return msg.get("result", {})
            self._dispatch(msg)

    def pump(self, seconds: float) -> None:
        """Dispatch events for ``seconds`` (or until the deadline, which raises)."""
        until = min(time.monotonic() + seconds, self.deadline)
        while time.monotonic() < until:
            msg = self._recv(until, what="events", soft=True)
            if msg is not None:
                self._dispatch(msg)
        if time.monotonic() >= self.deadline:
            raise BrowserTimeout("timed out waiting for the page")

    def _recv(self, until: float, *, what: str, soft: bool = False) -> dict | None:
        remaining = until - time.monotonic()
        if remaining <= 0:
            if soft:
                return None
            raise BrowserTimeout(f"timed out waiting for DevTools reply to {what}")
        self.ws.settimeout(remaining)
        try:
            raw = self.ws.recv()
        except self._websocket.WebSocketTimeoutException:
            if soft:
                return None
            raise BrowserTimeout(f"timed out waiting for DevTools reply to {what}") from None
        except (self._websocket.WebSocketConnectionClosedException, OSError) as exc:
            raise BrowserError(f"DevTools connection lost (Chromium died?): {exc}") from exc
        return json.loads(raw) if raw else None

    def _dispatch(self, msg: dict) -> None:
        if "id" in msg:  # reply to a post(): only errors matter
            method = self._posted.pop(msg["id"], "?")
            if "error" in msg:
                self.notes.append(f"{method}: {msg['error'].get('message', msg['error'])}")
            return
        for handler in list(self.handlers):
            handler(msg.get("method", ""), msg.get("params", {}), msg.get("sessionId"))


# --------------------------------------------------------------------------- page state

class _PageState:
    """Collects the events of one page's sessions (the page and the targets it spawns)."""

    def __init__(self, conn: _Connection, session: str):
        self.conn = conn
        self.main = session
        self.sessions = {session}
        self.loaded = False
        self.crashed: str | None = None
        self.last_busy = time.monotonic()
        self.inflight: dict[str, str] = {}  # by requestId (a worker's script starts on the page
        # session and finishes on the worker's, so not by session)
        self.requests: list[str] = []
        self.external: dict[str, None] = {}
        self.blocked: dict[str, None] = {}
        self.external_ids: set[str] = set()
        self.external_loaded: dict[str, None] = {}
        self.console_errors: list[str] = []
        self.exceptions: list[str] = []

    def setup(self, session: str, target_type: str = "page") -> None:
        """Turn on collection and interception for ``session`` (replies not awaited: DevTools
        runs one session's commands in order, so they all apply before the target resumes).
        Workers have no Fetch domain: their requests are intercepted by their page's."""
        post = self.conn.post
        if target_type in ("page", "iframe"):
            post("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]},
                 session)
        post("Network.enable", {}, session)
        post("Runtime.enable", {}, session)
        post("Log.enable", {}, session)
        post("Target.setAutoAttach",
             {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}, session)

    def _external(self, url: str) -> None:
        self.external.setdefault(url, None)

    def handle(self, method: str, params: dict, session: str | None) -> None:
        if session not in self.sessions:
            return
        if method in _BUSY_EVENTS:
            self.last_busy = time.monotonic()
        if method == "Fetch.requestPaused":
            url = params["request"]["url"]
            if _is_allowed(url):
                self.conn.post("Fetch.continueRequest", {"requestId": params["requestId"]}, session)
            else:
                self._external(url)
                self.blocked.setdefault(url, None)
                self.conn.post("Fetch.failRequest",
                               {"requestId": params["requestId"], "errorReason": "BlockedByClient"},
                               session)
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            key = params["requestId"]
            if "redirectResponse" not in params:
                self.requests.append(_short(url))
            self.inflight[key] = url
            if not _is_allowed(url):
                self._external(url)
                self.external_ids.add(key)
        elif method == "Network.responseReceived":
            if params["requestId"] in self.external_ids:
                self.external_loaded.setdefault(params["response"]["url"], None)
        elif method in ("Network.loadingFinished", "Network.loadingFailed"):
            self.inflight.pop(params["requestId"], None)
        elif method == "Network.webSocketCreated":
            self._external(params["url"])
        elif method == "Runtime.consoleAPICalled":
            if params.get("type") in ("error", "assert"):
                self.console_errors.append(_format_console(params))
        elif method == "Runtime.exceptionThrown":
            self.exceptions.append(_format_exception(params["exceptionDetails"]))
        elif method == "Log.entryAdded":
            entry = params["entry"]
            if entry.get("level") == "error":
                text = f"[{entry.get('source', '?')}] {entry.get('text', '')}"
                if entry.get("url"):
                    text += f" ({_short(entry['url'])})"
                self.console_errors.append(text)
        elif method == "Page.loadEventFired" and session == self.main:
            self.loaded = True
        elif method == "Inspector.targetCrashed" and session == self.main:
            self.crashed = "the renderer crashed"
        elif method == "Inspector.detached" and session == self.main:
            self.crashed = f"the page was detached ({params.get('reason', '?')})"
        elif method == "Target.attachedToTarget":
            child = params["sessionId"]
            self.sessions.add(child)
            self.setup(child, params.get("targetInfo", {}).get("type", "page"))
            self.conn.post("Runtime.runIfWaitingForDebugger", {}, child)
        elif method == "Target.detachedFromTarget":
            self.sessions.discard(params.get("sessionId"))


def _remote_text(obj: dict) -> str:
    if "value" in obj:
        value = obj["value"]
        return value if isinstance(value, str) else json.dumps(value)
    return str(obj.get("description", obj.get("unserializableValue", obj.get("type", ""))))


def _format_console(params: dict) -> str:
    text = " ".join(_remote_text(arg) for arg in params.get("args", []))
    return f"console.{params['type']}: {text}" if params["type"] != "error" else text


def _format_exception(details: dict) -> str:
    exc = details.get("exception") or {}
    desc = exc.get("description") or _remote_text(exc) if exc else ""
    where = details.get("url", "")
    if where:
        where = f" ({_short(where)}:{details.get('lineNumber', 0) + 1})"
    return f"{details.get('text', 'Uncaught')} {desc}".strip() + where


def _screenshot_stats(png: bytes) -> tuple[tuple[int, int], float, bool]:
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        arr = np.asarray(img.convert("RGB"), dtype=np.float64)
    std = float(arr.std())
    single_colour = bool((arr == arr[0, 0]).all())
    return (arr.shape[1], arr.shape[0]), std, single_colour or std < BLANK_STD


# --------------------------------------------------------------------------- browser

class Browser:
    """One headless Chromium; ``inspect`` opens each page in a fresh browser context.

    Use as a context manager: Chromium's whole process group is killed on exit, error or not."""

    def __init__(self, executable: str | None = None, *, startup_timeout: float = 30.0,
                 extra_args: tuple[str, ...] = ()):
        self.executable = executable or chromium_path()
        if self.executable is None:
            raise ChromiumNotFound(missing_reason())
        self.startup_timeout = startup_timeout
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen | None = None
        self.conn: _Connection | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._log = None

    @property
    def pid(self) -> int | None:
        """Chromium's pid, which is also its process group id."""
        return self.proc.pid if self.proc else None

    def __enter__(self) -> "Browser":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def args(self, profile: Path) -> list[str]:
        return [
            self.executable,
            "--headless=new",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-component-extensions-with-background-pages",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-breakpad",
            "--disable-crash-reporter",
            "--no-pings",
            "--metrics-recording-only",
            "--mute-audio",
            "--hide-scrollbars",
            "--password-store=basic",
            "--use-mock-keychain",
            "--disable-features=Translate,MediaRouter,OptimizationHints,"
            "AutofillServerCommunication",
            # second belt: nothing resolves, and everything is proxied to a dead port
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            *self.extra_args,
            "about:blank",
        ]

    def start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="robustpose-chromium-",
                                                ignore_cleanup_errors=True)
        tmp = Path(self._tmp.name)
        profile = tmp / "profile"
        profile.mkdir()
        self._log = open(tmp / "chromium.log", "wb")
        env = dict(os.environ)
        env.setdefault("HOME", str(tmp))
        # keep Chromium's config/cache (crashpad's database among them) out of the real home
        env["XDG_CONFIG_HOME"] = str(tmp / "config")
        env["XDG_CACHE_HOME"] = str(tmp / "cache")
        self.proc = subprocess.Popen(self.args(profile), stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise BrowserError(f"Chromium exited with code {self.proc.returncode} at "
                                   f"startup:\n{self._log_tail()}")
            lines = port_file.read_text().split() if port_file.exists() else []
            if len(lines) >= 2:
                break
            if time.monotonic() > deadline:
                raise BrowserTimeout(f"Chromium wrote no DevToolsActivePort within "
                                     f"{self.startup_timeout:.0f}s:\n{self._log_tail()}")
            time.sleep(0.05)
        ws_url = f"ws://127.0.0.1:{int(lines[0])}{lines[1]}"
        self.conn = _Connection(ws_url, timeout=self.startup_timeout)

    def _log_tail(self, n: int = 3000) -> str:
        if self._tmp is None:
            return ""
        try:
            data = (Path(self._tmp.name) / "chromium.log").read_bytes()
        except OSError:
            return ""
        return data[-n:].decode(errors="replace")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.proc is not None:
            _kill_group(self.proc)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def inspect(self, html_path: Path, screenshot: Path, *, width: int = 1280, height: int = 900,
                mobile: bool = False, device_scale_factor: float | None = None,
                timeout: float = 60, script: str | None = None) -> PageReport:
        """Report on one page, opened in a fresh browser context (see ``inspect_page``).
        ``script``: JavaScript run once the page has settled (e.g. clicks); the value of its
        last expression is the report's ``evaluated``; its errors land in ``exceptions``."""
        if self.conn is None:
            raise BrowserError("Browser is not started (use it as a context manager)")
        html_path = Path(html_path).resolve()
        if not html_path.is_file():
            raise FileNotFoundError(html_path)
        t0 = time.monotonic()
        conn = self.conn
        conn.deadline = t0 + timeout
        notes_before = len(conn.notes)
        scale = device_scale_factor if device_scale_factor is not None else (2 if mobile else 1)
        url = html_path.as_uri()

        context_id = conn.call("Target.createBrowserContext",
                               {"disposeOnDetach": True})["browserContextId"]
        target_id = conn.call("Target.createTarget", {
            "url": "about:blank", "browserContextId": context_id,
            "width": width, "height": height})["targetId"]
        state: _PageState | None = None
        try:
            session = conn.call("Target.attachToTarget",
                                {"targetId": target_id, "flatten": True})["sessionId"]
            state = _PageState(conn, session)
            conn.handlers.append(state.handle)
            self._load(state, url, width, height, scale, mobile, timeout)
            evaluated = self._evaluate(session, script) if script else None
            self._evaluate(session, _FRAMES_JS, await_promise=True)
            info = self._evaluate(session, _COLLECT_JS)
            shot = conn.call("Page.captureScreenshot",
                             {"format": "png", "captureBeyondViewport": False}, session)
            png = base64.b64decode(shot["data"])
            conn.pump(0)  # anything that arrived with the screenshot
        finally:
            if state is not None and state.handle in conn.handlers:
                conn.handlers.remove(state.handle)
            self._close_page(target_id, context_id)
        screenshot = Path(screenshot)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(png)
        report = _build_report(html_path, url, width, height, mobile, info, state, screenshot, png,
                               elapsed=time.monotonic() - t0, notes=conn.notes[notes_before:])
        report.evaluated = evaluated
        return report

    def _load(self, state: _PageState, url: str, width: int, height: int, scale: float,
              mobile: bool, timeout: float) -> None:
        """Interception and emulation on, then navigate and wait until the page has settled."""
        conn, session = self.conn, state.main
        state.setup(session)
        conn.call("Page.enable", {}, session)
        conn.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile,
            "screenWidth": width, "screenHeight": height}, session)
        if mobile:
            conn.call("Emulation.setTouchEmulationEnabled",
                      {"enabled": True, "maxTouchPoints": 5}, session)
        nav = conn.call("Page.navigate", {"url": url}, session)
        if nav.get("errorText"):
            raise BrowserError(f"navigating to {url} failed: {nav['errorText']}")
        try:
            self._settle(state, session)
        except BrowserTimeout as exc:
            pending = ", ".join(_short(u) for u in state.inflight.values()) or "none"
            raise BrowserTimeout(
                f"{url} did not settle within {timeout:g}s (loaded={state.loaded}, pending "
                f"requests: {pending}; errors so far: {state.console_errors + state.exceptions})"
            ) from exc

    def _close_page(self, target_id: str, context_id: str) -> None:
        """Close the page and its context so the next page starts clean (best effort: after a
        timeout or a crash the caller is about to kill Chromium anyway)."""
        if self.conn is None or self.proc is None or self.proc.poll() is not None:
            return
        self.conn.deadline = time.monotonic() + 5
        try:
            self.conn.call("Target.closeTarget", {"targetId": target_id})
            self.conn.call("Target.disposeBrowserContext", {"browserContextId": context_id})
        except BrowserError:
            pass

    def _settle(self, state: _PageState, session: str) -> None:
        conn = self.conn
        while not state.loaded:
            if state.crashed:
                raise BrowserError(f"{state.crashed} while loading the page")
            conn.pump(0.05)
        ready_since = None
        while True:
            if state.crashed:
                raise BrowserError(f"{state.crashed} while loading the page")
            ready = bool(self._evaluate(session, _READY_JS)) and not state.inflight
            now = time.monotonic()
            if ready:
                ready_since = ready_since or now
                quiet = now - state.last_busy >= SETTLE_S
                if quiet or now - ready_since >= SETTLE_MAX_S:
                    return
            else:
                ready_since = None
            conn.pump(0.05)

    def _evaluate(self, session: str, expression: str, *, await_promise: bool = False) -> Any:
        result = self.conn.call("Runtime.evaluate", {
            "expression": expression, "returnByValue": True, "awaitPromise": await_promise},
            session)
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluating harness script failed: "
                               f"{_format_exception(result['exceptionDetails'])}")
        return result["result"].get("value")


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop Chromium and every process of its group: SIGTERM (the browser exits within ~0.1 s),
    then SIGKILL for the zygotes and renderers that would otherwise linger ~1.5 s; reap the
    leader. Raises nothing; a group that survives SIGKILL (never seen) is reported to stderr."""
    pgid = proc.pid  # start_new_session=True made it the group leader
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    end = time.monotonic() + 10
    while _group_alive(pgid) and time.monotonic() < end:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            break
        if proc.poll() is None:
            try:
                proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
        else:
            time.sleep(0.02)
    if _group_alive(pgid):
        print(f"browser.py: Chromium process group {pgid} survived SIGKILL", file=sys.stderr)


def _group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is in group ``pgid``."""
    proc_dir = Path("/proc")
    if proc_dir.is_dir():
        for entry in proc_dir.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp ...
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _build_report(html_path: Path, url: str, width: int, height: int, mobile: bool,
                  info: dict, state: _PageState, screenshot: Path, png: bytes, *,
                  elapsed: float, notes: list[str]) -> PageReport:
    size, std, blank = _screenshot_stats(png)
    return PageReport(
        html_path=html_path, url=url, title=info["title"], width=width, height=height,
        mobile=mobile, document_height=int(info["documentHeight"]),
        scroll_width=int(info["scrollWidth"]), client_width=int(info["clientWidth"]),
        horizontal_overflow=info["scrollWidth"] > info["clientWidth"],
        images=[ImageInfo(src=_short(i["src"]), attr=i["attr"],
                          natural_width=int(i["naturalWidth"]),
                          natural_height=int(i["naturalHeight"]), complete=bool(i["complete"]))
                for i in info["images"]],
        tables=[TableInfo(id=t["id"], caption=t["caption"], body_rows=int(t["bodyRows"]))
                for t in info["tables"]],
        console_errors=list(state.console_errors), exceptions=list(state.exceptions),
        requests=list(state.requests), external_requests=list(state.external),
        blocked_requests=list(state.blocked), external_loaded=list(state.external_loaded),
        screenshot=screenshot, screenshot_size=size, screenshot_std=std, screenshot_blank=blank,
        elapsed_s=elapsed, protocol_notes=list(notes),
    )


def inspect_page(html_path: Path, screenshot: Path, *, width: int = 1280, height: int = 900,
                 mobile: bool = False, device_scale_factor: float | None = None,
                 timeout: float = 60) -> PageReport:
    """Open ``html_path`` in a fresh headless Chromium with the network blocked and report on it
    (see ``PageReport``); the viewport screenshot (at the top of the page) goes to ``screenshot``.
    ``mobile=True`` emulates a phone (touch, device scale factor 2 unless given). ``timeout``
    covers launch, load and settling; Chromium is killed on the way out, whatever happens."""
    path = chromium_path()
    if path is None:
        raise ChromiumNotFound(missing_reason())
    t0 = time.monotonic()
    with Browser(path, startup_timeout=timeout) as browser:
        remaining = max(1.0, timeout - (time.monotonic() - t0))
        report = browser.inspect(html_path, screenshot, width=width, height=height, mobile=mobile,
                                 device_scale_factor=device_scale_factor, timeout=remaining)
    report.elapsed_s = time.monotonic() - t0
    return report
