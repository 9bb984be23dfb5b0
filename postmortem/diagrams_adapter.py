"""Incident view → the pictures' inputs (filled in when the diagrams land)."""

from __future__ import annotations

from typing import Any

from postmortem.derive import View


def diagrams_for(view: View) -> dict[str, Any]:
    """The pictures of one incident, for the templates."""
    return {"cascade": None, "timeline": None, "mermaid": None}
