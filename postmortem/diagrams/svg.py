"""Writing SVG text by hand: numbers, elements, and the shared root element."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from postmortem.diagrams import metrics, palette
from postmortem.diagrams.text import clean, escape

FONT_FAMILY = "'Noto Sans', sans-serif"
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
# Accessible names and tooltips stay readable; a record's megabyte of text does not belong there.
_MAX_TITLE = 400

Attr = str | float | int


# Pictures repeat their coordinates (margins, box widths, rows): most are written already.
@lru_cache(maxsize=1024)
def num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (stable bytes)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")  # .2f rounds as round(value, 2) does
    return "0" if text == "-0" else text


def _attrs(attrs: Mapping[str, Attr]) -> str:
    return "".join(
        [
            f' {key}="{num(value)}"'
            if value.__class__ is float
            else f' {key}="{escape(str(value))}"'
            for key, value in attrs.items()
        ]
    )


def el(name: str, attrs: Mapping[str, Attr], body: str | None = None) -> str:
    """One element; attribute values are escaped, `body` must already be markup."""
    opening = name + _attrs(attrs)
    return f"<{opening}/>" if body is None else f"<{opening}>{body}</{name}>"


# Each palette class's own attributes, written once: `class` first, its colours last.
_PAINT = {
    cls: (f' class="{escape(cls)}"', _attrs(palette.paint(cls)), frozenset(palette.paint(cls)))
    for cls in palette.CLASSES
}


def painted(name: str, cls: str, attrs: Mapping[str, Attr], body: str | None = None) -> str:
    """An element of palette class `cls`, with its light colours as presentation attributes."""
    known = _PAINT.get(cls)
    if known is None or not known[2].isdisjoint(attrs):
        return el(name, {"class": cls, **attrs, **palette.paint(cls)}, body)
    opening = name + known[0] + _attrs(attrs) + known[1]
    return f"<{opening}/>" if body is None else f"<{opening}>{body}</{name}>"


def text(
    x: float,
    y: float,
    content: str,
    size: float,
    *,
    bold: bool = False,
    anchor: str = "start",
    cls: str = "pm-text",
) -> str:
    """A `<text>` at baseline `y`; position, size, weight and anchor are always explicit."""
    # Written out by hand (what `painted` would write): a picture has hundreds of these.
    known = _PAINT[cls]
    weight = ' font-weight="bold"' if bold else ""
    align = f' text-anchor="{escape(anchor)}"' if anchor != "start" else ""
    # Cleaned again here: one stray newline or NUL would break the layout or the XML.
    return (
        f'<text{known[0]} x="{num(x)}" y="{num(y)}" font-size="{num(size)}"{weight}{align}'
        f"{known[1]}>{escape(clean(content))}</text>"
    )


def title(content: str) -> str:
    """A `<title>` child (tooltip and accessible name), cleaned and capped."""
    shown = clean(content)
    if len(shown) > _MAX_TITLE:
        shown = shown[: _MAX_TITLE - 1] + "…"
    return f"<title>{escape(shown)}</title>"


def baseline(top: float, line_height: float, size: float) -> float:
    """Baseline that centres a line of glyphs (tallest accent to deepest descender) in its box."""
    ink = (metrics.ASCENT + metrics.DESCENT) * size
    return top + (line_height - ink) / 2 + metrics.ASCENT * size


def check_prefix(id_prefix: str) -> str:
    """`id_prefix` if it is a safe XML id start, else ValueError."""
    if not _PREFIX.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must match {_PREFIX.pattern}: {id_prefix!r}")
    return id_prefix


def document(
    kind: str,
    width: float,
    height: float,
    *,
    title_text: str,
    desc_text: str,
    id_prefix: str,
    defs: str = "",
    body: str,
) -> str:
    """The `<svg>` root: accessible name and description, style, background, then `body`."""
    base = f"{id_prefix}-{kind}"
    root: dict[str, Attr] = {
        "xmlns": "http://www.w3.org/2000/svg",
        "class": f"pm-diagram pm-{kind}",
        "role": "img",
        "aria-labelledby": f"{base}-title {base}-desc",
        "viewBox": f"0 0 {num(width)} {num(height)}",
        "width": float(width),
        "height": float(height),
        "font-family": FONT_FAMILY,
    }
    inner = "".join(
        [
            el("title", {"id": f"{base}-title"}, escape(clean(title_text))),
            el("desc", {"id": f"{base}-desc"}, escape(clean(desc_text))),
            el("style", {}, palette.style_sheet(_used(body))),
            el("defs", {}, defs) if defs else "",
            painted(
                "rect", "pm-bg", {"x": 0, "y": 0, "width": float(width), "height": float(height)}
            ),
            body,
        ]
    )
    return el("svg", root, inner)


def _used(body: str) -> frozenset[str]:
    """The WHERE_USED classes that `body` draws (record text is escaped: no stray quote)."""
    return frozenset(c for c in palette.WHERE_USED if f'class="{c}"' in body)
