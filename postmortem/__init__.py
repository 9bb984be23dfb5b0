"""postmortem: turn YAML incident records into post-mortem documents."""

from __future__ import annotations

__version__ = "0.1.0"
