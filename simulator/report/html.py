"""Self-contained HTML: inline CSS, PNG charts embedded as base64, every text escaped.

A report is one file a planner can attach to an e-mail or open offline; nothing is fetched.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence

STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.7em; }
th { background: #f4f4f4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-size: 1.15em; padding: 0.6em 1em; border-radius: 6px; display: inline-block; }
.on-track { background: #e3f4e6; } .at-risk { background: #fff4d6; }
.off-track { background: #fbe3e3; } .none { background: #eef; }
.muted { color: #666; font-size: 0.9em; }
img { max-width: 100%; }
"""


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def page(title: str, sections: Iterable[str]) -> str:
    """A complete HTML document."""
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    )


def section(heading: str, *parts: str) -> str:
    return f"<h2>{escape(heading)}</h2>\n" + "\n".join(parts)


def paragraph(text: str, css_class: str = "") -> str:
    attribute = f' class="{escape(css_class)}"' if css_class else ""
    return f"<p{attribute}>{escape(text)}</p>"


def verdict(text: str, css_class: str) -> str:
    return f'<p class="verdict {escape(css_class)}">{escape(text)}</p>'


def bullets(items: Iterable[str]) -> str:
    return "<ul>\n" + "\n".join(f"<li>{escape(item)}</li>" for item in items) + "\n</ul>"


def image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A table; numbers are right-aligned."""
    head = "".join(f"<th>{escape(name)}</th>" for name in headers)
    lines = [f"<tr>{head}</tr>"]
    for row in rows:
        cells = "".join(
            f'<td class="num">{escape(cell)}</td>'
            if isinstance(cell, int | float) or _looks_numeric(cell)
            else f"<td>{escape(cell)}</td>"
            for cell in row
        )
        lines.append(f"<tr>{cells}</tr>")
    return "<table>\n" + "\n".join(lines) + "\n</table>"


def _looks_numeric(cell: object) -> bool:
    text = str(cell).replace("%", "").replace(",", "").replace("\u00a0", "").strip()
    try:
        float(text)
    except ValueError:
        return False
    return True
