"""`postmortem extract`: write out the record embedded in a rendered PDF."""

from __future__ import annotations

import sys
from pathlib import Path

from postmortem.commands import common
from postmortem.errors import PostmortemError


def run(pdf: str, output: str | None, force: bool, audience: str | None = None) -> None:
    """Write PDF's record to OUTPUT (default: <id>.yaml; - for stdout)."""
    from postmortem.archive import extract_record, extract_to

    chosen = common.settings(audience=audience.lower() if audience else None)["audience"]

    if output == "-":
        try:
            data = Path(pdf).read_bytes()
        except OSError as exc:
            raise PostmortemError(f"cannot read {pdf}: {exc.strerror}") from None
        # sys.stdout's binary layer, as click.get_binary_stream (deprecated in click 8.5) gave.
        sys.stdout.buffer.write(extract_record(data, pdf, chosen).data)
        return
    path = extract_to(Path(pdf), Path(output) if output else None, force=force, audience=chosen)
    common.say(f"wrote {path}")
