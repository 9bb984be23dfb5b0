"""The page a picture is drawn for: one SVG unit is one CSS pixel there, never scaled down.

A picture no wider than `WIDTH` fits the narrowest column it is shown in (the PDF's A4 text
column is 657 px, Letter's 680, the HTML page's 40rem-plus) at its own size, so its text is
as large on paper as it was drawn: `MIN_TEXT` px is 7 pt. A taller picture than `HEIGHT`
is cut into parts that each fit a page.
"""

from __future__ import annotations

WIDTH = 640.0
# A4's text column is 963 px tall, Letter's 897. A part is at most 880 px (232.8 mm), the
# cap pdf.css puts on a picture on Letter: on either page it is never scaled down, and a
# graph that fits an A4 page (the S3 example's, 850 px) is not cut.
HEIGHT = 880.0
# 7 pt is 9.33 CSS px: no text in a picture is drawn smaller than this.
MIN_TEXT = 9.5
