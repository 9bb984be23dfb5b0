"""Colours of the diagrams: Okabe-Ito hues, one table for light (print) and dark mode.

Every coloured element carries a `pm-` class. Light colours are also written as
presentation attributes on the elements (WeasyPrint ignores much of an SVG's `<style>`);
the embedded `<style>` only overrides them under `prefers-color-scheme: dark`.
`CLASSES` maps each class to the properties it sets; see the diagrams package docstring
for what each class marks.
"""

from __future__ import annotations

from functools import cache

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

LIGHT: dict[str, str] = {
    "bg": "#ffffff",
    "text": "#1f2328",
    "muted": "#4f5862",
    "node_fill": "#eaf3fa",
    "node_stroke": BLUE,
    "trigger_fill": "#fcece3",
    "trigger_stroke": VERMILLION,
    # A latent condition (format 1.1): a root apart from the trigger, in its own hue.
    "condition_fill": "#f7ecf2",
    "condition_stroke": "#A8548A",
    "edge": "#4f5862",
    "axis": "#4f5862",
    "grid": "#dde1e6",
    "impact": VERMILLION,
    "service": BLUE,
    "event": "#3d444d",
    "marker_trigger": VERMILLION,
    "marker_detected": ORANGE,
    "marker_mitigated": BLUISH_GREEN,
    "marker_resolved": REDDISH_PURPLE,
    "marker_other": "#4f5862",
}

DARK: dict[str, str] = {
    "bg": "#16191e",
    "text": "#e6edf3",
    "muted": "#a8b1bb",
    "node_fill": "#182a3a",
    "node_stroke": SKY_BLUE,
    "trigger_fill": "#3a2216",
    "trigger_stroke": "#F0803C",
    "condition_fill": "#33202c",
    "condition_stroke": "#E39BC3",
    "edge": "#a8b1bb",
    "axis": "#a8b1bb",
    "grid": "#30363d",
    "impact": "#F0803C",
    "service": SKY_BLUE,
    "event": "#c9d1d9",
    "marker_trigger": "#F0803C",
    "marker_detected": ORANGE,
    "marker_mitigated": "#1DB98A",
    "marker_resolved": "#E39BC3",
    "marker_other": "#a8b1bb",
}

# class -> ((property, colour role), ...)
CLASSES: dict[str, tuple[tuple[str, str], ...]] = {
    "pm-bg": (("fill", "bg"),),
    "pm-halo": (("fill", "bg"),),
    "pm-text": (("fill", "text"),),
    "pm-text-muted": (("fill", "muted"),),
    "pm-box": (("fill", "node_fill"), ("stroke", "node_stroke")),
    "pm-box-trigger": (("fill", "trigger_fill"), ("stroke", "trigger_stroke")),
    "pm-box-condition": (("fill", "condition_fill"), ("stroke", "condition_stroke")),
    "pm-edge": (("stroke", "edge"),),
    "pm-arrowhead": (("fill", "edge"),),
    "pm-axis": (("stroke", "axis"),),
    "pm-grid": (("stroke", "grid"),),
    "pm-impact": (("fill", "impact"),),
    "pm-impact-ongoing": (("stroke", "impact"),),
    "pm-service": (("fill", "service"),),
    "pm-service-ongoing": (("stroke", "service"),),
    # An impact level (format 1.1): the service's colour, shaded by level, outlined.
    "pm-level": (("fill", "service"), ("stroke", "service")),
    "pm-event": (("fill", "event"), ("stroke", "bg")),
    "pm-marker-trigger": (("stroke", "marker_trigger"),),
    "pm-marker-detected": (("stroke", "marker_detected"),),
    "pm-marker-mitigated": (("stroke", "marker_mitigated"),),
    "pm-marker-resolved": (("stroke", "marker_resolved"),),
    "pm-marker-other": (("stroke", "marker_other"),),
}

# Classes of what only format 1.1 records draw: their dark-mode rules are written only into
# the pictures that use them, so that a format-1 record's pictures stay as they were.
WHERE_USED = ("pm-box-condition", "pm-level")

# Text roles and the backgrounds they are drawn on (checked for WCAG AA contrast in tests).
TEXT_ON: dict[str, tuple[str, ...]] = {
    "text": ("bg", "node_fill", "trigger_fill", "condition_fill"),
    "muted": ("bg", "node_fill", "trigger_fill", "condition_fill"),
}


def paint(cls: str) -> dict[str, str]:
    """Light-mode presentation attributes for an element of class `cls`."""
    return {prop: LIGHT[role] for prop, role in CLASSES[cls]}


@cache
def style_sheet(used: frozenset[str] = frozenset()) -> str:
    """The CSS embedded in every diagram: dark-mode overrides, scoped to `.pm-diagram`
    (of the WHERE_USED classes, only those in `used`)."""
    rules = "".join(
        f".pm-diagram .{cls}{{{';'.join(f'{prop}:{DARK[role]}' for prop, role in props)}}}"
        for cls, props in CLASSES.items()
        if cls not in WHERE_USED or cls in used
    )
    # A "continued" note where a tall cascade is cut (parts.py) is for paper: on a screen
    # the parts sit one under the other and read as one picture.
    hidden = "@media screen{.pm-diagram .pm-continued{display:none}}"
    return f"@media (prefers-color-scheme: dark){{{rules}}}{hidden}"


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two `#rrggbb` colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
