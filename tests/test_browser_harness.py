"""The headless-Chromium page checker (tests/browser.py) on small pages written into tmp_path:
offline pages render and decode, outside requests are recorded and never succeed, broken
images and script errors are caught, horizontal overflow on a phone is detected, and Chromium is
killed when a page hangs. Skips without Chromium, except under CI=true, where it fails."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from browser import (
    Browser,
    BrowserTimeout,
    ChromiumNotFound,
    _group_alive,
    chromium_path,
    inspect_page,
    require_chromium,
)

MAGENTA = (255, 0, 255)


@pytest.fixture(scope="module")
def chrome():
    require_chromium()
    with Browser() as browser:
        yield browser


def _png_bytes(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _write(path: Path, body: str, *, head: str = "", title: str = "t") -> Path:
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
                    f"{head}</head><body>{body}</body></html>", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- no browser needed

def test_chromium_lookup_and_ci_policy(monkeypatch, tmp_path):
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert chromium_path() is None
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no-such-chromium"):
        require_chromium()
    page = _write(tmp_path / "p.html", "x")
    with pytest.raises(ChromiumNotFound, match="no-such-chromium"):
        inspect_page(page, tmp_path / "p.png")

    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CHROMIUM", str(fake))
    assert chromium_path() == str(fake)
    assert require_chromium() == str(fake)
    args = Browser().args(tmp_path / "profile")  # the second network belt is on the command line
    assert args[0] == str(fake) and "--headless=new" in args and "--no-sandbox" in args
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in args
    assert "--proxy-server=http://127.0.0.1:9" in args and "--proxy-bypass-list=<-loopback>" in args


# --------------------------------------------------------------------------- with Chromium

def test_good_offline_page(tmp_path):
    require_chromium()
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "block.png").write_bytes(_png_bytes((60, 40), MAGENTA))
    data_uri = "data:image/png;base64," + base64.b64encode(_png_bytes((7, 5), (0, 128, 0))).decode()
    rows = "".join(f"<tr><td>row {i}</td><td>{i * 1.5:.1f}</td></tr>" for i in range(3))
    page = _write(tmp_path / "good.html", title="Good page", head="""<style>
        body { font-family: sans-serif; margin: 2em; background: #fafafa; color: #222; }
        table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: 4px; }
        </style>""", body=f"""<h1>Robustness report</h1>
        <table id="summary"><caption>Summary</caption>
          <thead><tr><th>name</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>
        <p><img src="img/block.png" alt="block"> <img src="{data_uri}" alt="dot"></p>""")

    report = inspect_page(page, tmp_path / "shots" / "good.png")

    assert report.title == "Good page"
    assert report.external_requests == [] and report.blocked_requests == []
    assert (tmp_path / "img" / "block.png").as_uri() in report.requests
    assert report.errors == [], report.errors
    assert [(img.attr, img.natural_width, img.natural_height) for img in report.images] == [
        ("img/block.png", 60, 40), (data_uri, 7, 5)]
    assert [(t.id, t.caption, t.body_rows) for t in report.tables] == [("summary", "Summary", 3)]
    assert not report.horizontal_overflow and report.fits_viewport
    assert report.document_height >= 900
    assert report.screenshot == tmp_path / "shots" / "good.png"
    assert report.screenshot_size == (1280, 900) and not report.screenshot_blank
    shot = np.asarray(Image.open(report.screenshot).convert("RGB"))
    assert shot.shape == (900, 1280, 3)
    assert (shot == MAGENTA).all(axis=2).sum() >= 60 * 40  # the relative image is on screen


def test_blank_page_is_reported_blank(chrome, tmp_path):
    page = _write(tmp_path / "blank.html", "", head="<style>body{background:#fff}</style>")
    report = chrome.inspect(page, tmp_path / "blank.png")
    assert report.screenshot_blank and report.screenshot_std < 1.0
    assert report.errors == [] and report.images == [] and report.tables == []


def test_outside_requests_are_recorded_and_fail(chrome, tmp_path):
    img, js, api = "https://example.com/x.png", "https://cdn.example/x.js", "http://127.0.0.1:9/x"
    frame, ws = "https://example.org/frame.html", "ws://example.net/socket"
    worker_api = "https://worker.example/api"
    worker_js = f"fetch('{worker_api}').then(() => postMessage('ok'), e => postMessage(e.name));"
    page = _write(tmp_path / "online.html", title="pending", body=f"""
        <img id="remote" src="{img}">
        <script src="{js}"></script>
        <iframe src="{frame}"></iframe>
        <script>
          const outcome = {{}};
          function done(key, value) {{
            outcome[key] = value;
            document.title = Object.keys(outcome).sort().map(k => k + '=' + outcome[k]).join('; ');
          }}
          done('cdn', typeof window.cdnLoaded);
          fetch('{api}').then(() => done('fetch', 'ok'), err => done('fetch', err.name));
          new WebSocket('{ws}');
          const worker = new Worker(URL.createObjectURL(new Blob([{json.dumps(worker_js)}])));
          worker.onmessage = msg => done('worker', msg.data);
        </script>""")

    report = chrome.inspect(page, tmp_path / "online.png")

    for url in (img, js, api, frame, worker_api):  # failed by the Fetch interception
        assert url in report.external_requests
        assert url in report.blocked_requests
    for url in (img, js, api):  # (a failed frame navigation logs nothing)
        assert any("ERR_BLOCKED_BY_CLIENT" in e and url in e for e in report.console_errors), url
    # WebSockets bypass Fetch interception: recorded, and stopped by the second belt instead
    # (the dead proxy every connection is sent to)
    assert ws in report.external_requests
    assert any(ws in e and "ERR_PROXY_CONNECTION_FAILED" in e for e in report.console_errors), \
        report.console_errors
    assert report.external_loaded == []
    assert report.title == "cdn=undefined; fetch=TypeError; worker=TypeError"
    assert [(i.attr, i.natural_width) for i in report.images] == [(img, 0)]


def test_broken_image_and_script_errors(chrome, tmp_path):
    (tmp_path / "ok.png").write_bytes(_png_bytes((10, 10), (0, 0, 255)))
    page = _write(tmp_path / "broken.html", body="""
        <img src="ok.png"><img src="figures/missing.png">
        <script>console.log('fine'); console.warn('meh'); console.error('x');</script>
        <script>throw new Error('kaboom');</script>
        <script>Promise.reject(new RangeError('late'));</script>""")

    report = chrome.inspect(page, tmp_path / "broken.png")

    by_attr = {img.attr: img for img in report.images}
    assert by_attr["ok.png"].decoded and by_attr["ok.png"].natural_width == 10
    missing = by_attr["figures/missing.png"]
    assert missing.natural_width == 0 and missing.complete
    assert report.broken_images == [missing]
    assert "x" in report.console_errors
    assert not any("fine" in e or "meh" in e for e in report.console_errors)
    assert any("ERR_FILE_NOT_FOUND" in e and "figures/missing.png" in e
               for e in report.console_errors), report.console_errors
    assert any("Error: kaboom" in e for e in report.exceptions), report.exceptions
    assert any("RangeError: late" in e for e in report.exceptions), report.exceptions
    assert report.external_requests == []


def test_horizontal_overflow_on_a_phone(chrome, tmp_path):
    viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
    wide = _write(tmp_path / "wide.html", head=viewport,
                  body='<div style="width:1200px;height:60px;background:#369">fixed width</div>')
    responsive = _write(tmp_path / "responsive.html", head=viewport + """<style>
        .box { max-width: 1200px; width: 100%; height: 60px; background: #369; }
        table { width: 100%; } img { max-width: 100%; }</style>""",
        body=f'<div class="box">fluid</div><p>{"A long sentence that has to wrap. " * 100}</p>')
    no_meta = _write(tmp_path / "no_meta.html", body="<p>laid out 980 px wide on a phone</p>")
    phone = {"width": 390, "height": 844, "mobile": True}

    wide_phone = chrome.inspect(wide, tmp_path / "wide_phone.png", **phone)
    assert wide_phone.horizontal_overflow and not wide_phone.fits_viewport
    assert wide_phone.scroll_width >= 1200 and wide_phone.client_width == 390
    assert wide_phone.screenshot_size == (780, 1688)  # device scale factor 2

    wide_desktop = chrome.inspect(wide, tmp_path / "wide_desktop.png")
    assert not wide_desktop.horizontal_overflow

    fluid_phone = chrome.inspect(responsive, tmp_path / "responsive_phone.png", **phone)
    assert not fluid_phone.horizontal_overflow and fluid_phone.fits_viewport
    assert fluid_phone.client_width == 390 and fluid_phone.document_height > 844

    no_meta_phone = chrome.inspect(no_meta, tmp_path / "no_meta_phone.png", **phone)
    assert not no_meta_phone.horizontal_overflow and not no_meta_phone.fits_viewport


def test_hanging_page_times_out_and_chromium_is_killed(tmp_path):
    require_chromium()
    page = _write(tmp_path / "hang.html", "<script>while (true) {}</script>")
    browser = Browser()
    with pytest.raises(BrowserTimeout, match="did not settle"):
        with browser:
            pgid = browser.pid
            browser.inspect(page, tmp_path / "hang.png", timeout=2)
    assert browser.proc is None and not _group_alive(pgid)
