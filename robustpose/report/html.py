"""HTML building blocks of the results page: escaped text, sortable tables, figures, a page shell.

The page must open from disk with no network (no CDN, no web fonts) and read well from a phone
to a laptop: one inline stylesheet, one small inline script (table sorting), system fonts, wide
tables scrolling inside their own box instead of widening the page. Strings in, strings out:
nothing here reads a file.
"""
from __future__ import annotations

import html
import math
import re
from typing import Iterable, Sequence

import pandas as pd

CSS = """
:root { --fg: #1d232a; --muted: #5b6570; --line: #d9dee3; --bg: #fff; --accent: #1f6feb; --soft: #f5f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.top { padding: 1.2rem 1rem 0.6rem; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top h1 { margin: 0 0 0.2rem; font-size: 1.6rem; }
header.top p { margin: 0.2rem 0; color: var(--muted); }
nav.toc { position: sticky; top: 0; z-index: 2; background: var(--bg); border-bottom: 1px solid var(--line);
          padding: 0.4rem 1rem; }
nav.toc a { margin-right: 1rem; color: var(--accent); text-decoration: none; font-size: 0.95rem; }
main { max-width: 1180px; margin: 0 auto; padding: 0 1rem 3rem; }
section { margin-top: 2rem; }
h2 { font-size: 1.35rem; border-bottom: 2px solid var(--line); padding-bottom: 0.2rem; }
h3 { font-size: 1.08rem; margin: 1.4rem 0 0.4rem; }
p.note, .muted { color: var(--muted); font-size: 0.92rem; }
.scroll { overflow-x: auto; max-width: 100%; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; font-size: 0.88rem; font-variant-numeric: tabular-nums; width: max-content; min-width: 100%; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th.num, td.num { text-align: right; }
th:first-child, td:first-child { text-align: left; position: sticky; left: 0; background: var(--bg); }
thead th { background: var(--soft); cursor: pointer; user-select: none; position: sticky; top: 0; }
thead th:first-child { z-index: 1; background: var(--soft); }
thead th[aria-sort="ascending"]::after { content: " \\25B2"; font-size: 0.7em; }
thead th[aria-sort="descending"]::after { content: " \\25BC"; font-size: 0.7em; }
tbody tr:hover td { background: #eef4ff; }
.links { font-size: 0.85rem; margin: 0.25rem 0 0; }
.links a { margin-right: 0.8rem; color: var(--accent); }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
figcaption { color: var(--muted); font-size: 0.9rem; }
figcaption, h2, h3, p, li { overflow-wrap: anywhere; }   /* long file names must not widen a phone's page */
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 0.8rem 1rem; background: var(--bg); }
.card h3 { margin-top: 0; }
.card dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 0.8rem; margin: 0.4rem 0; font-size: 0.9rem; }
.card dt { color: var(--muted); }
.card dd { margin: 0; overflow-wrap: anywhere; }
.card svg { width: 100%; height: auto; }
code { font-size: 0.88em; background: var(--soft); padding: 0 0.2em; border-radius: 3px; overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: 0.75rem; padding: 0 0.4em; border-radius: 4px; background: #e6f4ea; color: #1e6b34; }
.badge.old { background: #fff4d6; color: #7a5a00; }
@media (max-width: 600px) { nav.toc { overflow-x: auto; white-space: nowrap; } body { font-size: 15px; } header.top h1 { font-size: 1.3rem; } main { padding: 0 0.6rem 2rem; } }
"""

# Click a header to sort its table (numbers as numbers, "-" and blanks last); no library.
SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var text = row.cells[col] ? row.cells[col].textContent.trim() : "";
        var num = parseFloat(text.replace(/[%,]/g, ""));
        return isNaN(num) || !/^[-+]?[0-9.]/.test(text) ? text : num;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (typeof x !== typeof y) { return typeof x === "number" ? -1 : 1; }
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def esc(text: object) -> str:
    """HTML-escaped ``str(text)``."""
    return html.escape(str(text), quote=True)


def slug(text: str) -> str:
    """An id for ``text`` (lower case, dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1 else f"{value:.1f}"
    return str(value)


def table(df: pd.DataFrame, table_id: str, caption: str = "") -> str:
    """A sortable table of ``df`` (its index is not shown) inside a horizontally scrolling box."""
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    cls = [' class="num"' if n else "" for n in numeric]
    head = "".join(f'<th scope="col"{k}>{esc(c)}</th>' for c, k in zip(df.columns, cls))
    body = "\n".join("<tr>" + "".join(f"<td{k}>{esc(_cell(v))}</td>" for v, k in zip(row, cls)) + "</tr>"
                     for row in df.itertuples(index=False))
    cap = f"<caption hidden>{esc(caption)}</caption>" if caption else ""
    return (f'<div class="scroll"><table class="sortable" id="{esc(table_id)}">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></div>")


def links(items: Iterable[tuple[str, str]]) -> str:
    """``label -> href`` links in a row (the CSV/LaTeX/markdown files of a table)."""
    inner = "".join(f'<a href="{esc(href)}">{esc(label)}</a>' for label, href in items)
    return f'<p class="links">{inner}</p>' if inner else ""


def figure(src: str, caption: str, alt: str | None = None) -> str:
    """An image (relative ``src`` or a ``data:`` URI) with its caption."""
    return (f'<figure><img src="{esc(src)}" alt="{esc(alt or caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def inline_markdown(text: str) -> str:
    """``**bold**`` and ``code`` spans of one escaped line."""
    out = esc(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def markdown(text: str) -> str:
    """The markdown our reports write (paragraphs, ``-`` bullet lists nested by two spaces,
    bold and code spans) as HTML; anything else is kept as escaped text."""
    out: list[str] = []
    depth = 0
    for line in text.splitlines():
        m = re.match(r"^( *)[-*] (.*)$", line)
        if m:
            level = len(m.group(1)) // 2 + 1
            while depth < level:
                out.append("<ul>")
                depth += 1
            while depth > level:
                out.append("</ul>")
                depth -= 1
            out.append(f"<li>{inline_markdown(m.group(2))}</li>")
            continue
        while depth:
            out.append("</ul>")
            depth -= 1
        if line.strip().startswith("#"):
            out.append(f"<h4>{inline_markdown(line.lstrip('#').strip())}</h4>")
        elif line.strip():
            out.append(f"<p>{inline_markdown(line.strip())}</p>")
    out.extend("</ul>" for _ in range(depth))
    return "\n".join(out)


def line_chart(xs: Sequence[float], ys: Sequence[float], *, label: str, width: int = 320,
               height: int = 120) -> str:
    """A small inline SVG line chart (e.g. a training loss curve) with its min/max labelled;
    inline so a model card needs no image file and no script."""
    if len(xs) < 2:
        return f'<p class="muted">{esc(label)}: fewer than two points logged</p>'
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = 22
    sx = (width - 2 * pad) / ((x1 - x0) or 1)
    sy = (height - 2 * pad) / ((y1 - y0) or 1)
    points = " ".join(f"{pad + (x - x0) * sx:.1f},{height - pad - (y - y0) * sy:.1f}" for x, y in zip(xs, ys))
    return (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}">'
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fafbfc"/>'
            f'<polyline fill="none" stroke="#1f6feb" stroke-width="1.6" points="{points}"/>'
            f'<text x="{pad}" y="14" font-size="11" fill="#5b6570">{esc(label)}: {y1:.4g} .. {y0:.4g}</text>'
            f'<text x="{pad}" y="{height - 6}" font-size="10" fill="#5b6570">step {x0:g}</text>'
            f'<text x="{width - pad}" y="{height - 6}" font-size="10" fill="#5b6570" text-anchor="end">{x1:g}</text>'
            "</svg>")


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str]]) -> str:
    """The whole document: header, a sticky table of contents, one ``<section>`` per
    ``(heading, body html)``."""
    toc = "".join(f'<a href="#{slug(h)}">{esc(h)}</a>' for h, _ in sections)
    body = "\n".join(f'<section id="{slug(h)}"><h2>{esc(h)}</h2>\n{b}\n</section>' for h, b in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header class="top"><h1>{esc(title)}</h1>{subtitle}</header>
<nav class="toc" aria-label="sections">{toc}</nav>
<main>
{body}
</main>
<script>{SORT_JS}</script>
</body>
</html>
"""
