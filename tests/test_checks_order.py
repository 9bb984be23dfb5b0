"""Order and consistency checks, and `check` reporting every error (issue 15)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem.files import LoadError
from postmortem.loader import load_text

# --- a ': ' inside plain text (finding 9) ---------------------------------------------------

_FIXED = re.compile(r"needs quotes: (.*)\)$")


def _load_error(text: str) -> LoadError:
    with pytest.raises(LoadError) as caught:
        load_text(text)
    return caught.value


def test_colon_in_text_says_to_quote_and_shows_the_fixed_line() -> None:
    error = _load_error(
        "timeline:\n  - time: 2024-01-01T10:00:00Z\n    event: Engineers are paged: too late.\n"
    )
    assert (error.line, error.column) == (3, 31)
    assert error.rule == "yaml-syntax"
    assert error.message == (
        "invalid YAML: mapping values are not allowed here (a ': ' inside text needs quotes: "
        """event: "Engineers are paged: too late.")"""
    )


# Plain text that YAML would take as one scalar up to the ': ' it holds.
_WORD = st.text(st.sampled_from("abcXYZ019 .,'\"\\()é#-"), min_size=1, max_size=12).filter(
    lambda w: w.strip() == w and w[0].isalnum() and " #" not in w
)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(st.booleans(), _WORD, _WORD, st.sampled_from(["", "  # a comment"]))
def test_the_fixed_line_reads_back_as_the_text_written(
    in_list: bool, before: str, after: str, comment: str
) -> None:
    text = f"{before}: {after}"
    head = "items:\n  " if in_list else ""
    line = f"{'- ' if in_list else ''}note: {text}{comment}"
    with pytest.raises(LoadError) as caught:
        load_text(f"{head}{line}\n")
    found = _FIXED.search(caught.value.message)
    assert found, caught.value.message
    data = load_text(f"{head}{found.group(1)}\n").data
    assert (data["items"][0] if in_list else data)["note"] == text
