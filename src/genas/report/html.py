"""One self-contained HTML page: inline CSS, images embedded as base64 PNG, no script, no
network (opens offline, from a file or an e-mail attachment)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; }
header { background: #1f3b57; color: white; padding: 1.2em 2em; }
header h1 { margin: 0 0 0.2em 0; font-size: 1.6em; }
header p { margin: 0; opacity: 0.85; }
nav { padding: 0.6em 2em; background: #eef2f6; border-bottom: 1px solid #ccd; }
nav a { margin-right: 1.2em; color: #1f3b57; }
main { padding: 0 2em 2em 2em; max-width: 1250px; }
section { margin-top: 1.8em; }
h2 { border-bottom: 2px solid #1f3b57; padding-bottom: 0.2em; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccd; padding: 0.25em 0.6em; text-align: left; }
th { background: #eef2f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.88em; }
p.note { color: #8a4b00; background: #fff4e0; padding: 0.5em 0.8em;
         border-left: 4px solid #e0a040; }
"""


@dataclass
class Section:
    """A titled part of the report; ``blocks`` are HTML fragments (from the helpers below)."""

    id: str
    title: str
    blocks: list[str] = field(default_factory=list)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def paragraph(text: str, note: bool = False) -> str:
    return f'<p class="note">{esc(text)}</p>' if note else f"<p>{esc(text)}</p>"


def preformatted(text: str) -> str:
    return f"<pre>{esc(text)}</pre>"


def figure(png: bytes, title: str, caption: str = "") -> str:
    """An embedded PNG with a title (alt text) and an optional caption."""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption><b>{esc(title)}.</b> {esc(caption)}</figcaption>"
    return f'<figure><img src="data:image/png;base64,{data}" alt="{esc(title)}">{cap}</figure>'


def _cell(value: object) -> str:
    if value is None:
        return "<td>-</td>"
    if isinstance(value, bool):
        return f"<td>{value}</td>"
    if isinstance(value, int):
        return f'<td class="num">{value:,}</td>'
    if isinstance(value, float):
        text = (
            "nan"
            if value != value
            else (f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}")
        )
        return f'<td class="num">{text}</td>'
    return f"<td>{esc(value)}</td>"


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A table; ints get thousands separators, floats 4 decimals (or scientific when tiny)."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_value_table(items: Sequence[tuple[str, object]]) -> str:
    body = "".join(f"<tr><th>{esc(k)}</th>{_cell(v)}</tr>" for k, v in items)
    return f"<table><tbody>{body}</tbody></table>"


def render_page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The whole HTML document."""
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections)
    parts = [
        f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>{"".join(s.blocks)}</section>'
        for s in sections
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>{''.join(parts)}</main></body></html>\n"
    )
