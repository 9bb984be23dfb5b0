"""Same record, options and library versions: the same bytes, in separate processes at
different times, with or without SOURCE_DATE_EPOCH, whichever way fonts are subset.

WeasyPrint subsets fonts with HarfBuzz when `libharfbuzz-subset0` is installed and with
fontTools otherwise; fontTools stamps each subset with the time of the run. Each render
here runs in its own process, started with a `sitecustomize` that moves its clock (days
and seconds apart) and, for the fontTools path, makes the HarfBuzz subsetter library
unloadable, as it is on a machine without it: the test does not depend on what this
machine has installed, nor on two renders falling in the same second.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import INCIDENTS

SITECUSTOMIZE = '''\
"""Test harness only: a later clock, and (on request) no HarfBuzz subsetter library."""
import logging
import os
import time

_shift = float(os.environ["TEST_CLOCK_SHIFT"])
_time = time.time
time.time = lambda: _time() + _shift

if os.environ.get("TEST_HIDE_HB_SUBSET"):
    import cffi

    _dlopen = cffi.FFI.dlopen

    def _without_subset(self, name, *args, **kwargs):
        if "harfbuzz-subset" in str(name):
            raise OSError(f"cannot open shared object file {name}: hidden by the test")
        return _dlopen(self, name, *args, **kwargs)

    cffi.FFI.dlopen = _without_subset

# WeasyPrint's warnings (which subsetter it used) to stderr, for the test to read.
logging.getLogger("weasyprint").addHandler(logging.StreamHandler())
'''

RECORD = INCIDENTS / "aws-2021-12-07-us-east-1.yaml"
# Two runs: the second as if four days, three hours and 17 seconds later.
SHIFTS = (0, 4 * 86400 + 3 * 3600 + 17)


def _render(tmp: Path, shift: int, *, hide_subset: bool, epoch: str | None) -> tuple[bytes, str]:
    """Render RECORD to PDF (and HTML, Markdown) in a fresh process; the PDF and stderr."""
    harness = tmp / "harness"
    harness.mkdir(exist_ok=True)
    (harness / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(harness), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["TEST_CLOCK_SHIFT"] = str(shift)
    if hide_subset:
        env["TEST_HIDE_HB_SUBSET"] = "1"
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    out = tmp / f"out-{shift}"
    args = [sys.executable, "-m", "postmortem", "render", str(RECORD), "-o", str(out)]
    args += ["-f", "pdf", "-j", "1", "--today", "2024-01-01", "-q"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=tmp)
    assert done.returncode == 0, done.stderr
    return (out / f"{RECORD.stem}.pdf").read_bytes(), done.stderr


@pytest.mark.parametrize("epoch", [None, "1700000000"], ids=["no-epoch", "epoch"])
@pytest.mark.parametrize("hide_subset", [True, False], ids=["fonttools", "as-installed"])
def test_pdf_bytes_do_not_depend_on_when_or_where_subsetting(
    tmp_path: Path, hide_subset: bool, epoch: str | None
) -> None:
    runs = [_render(tmp_path, shift, hide_subset=hide_subset, epoch=epoch) for shift in SHIFTS]
    if hide_subset:
        # The harness worked: fonts went through fontTools, which dates what it writes.
        assert all("Using fontTools instead of HarfBuzz-Subset" in err for _, err in runs)
    assert runs[0][0] == runs[1][0]


def test_empty_source_date_epoch_is_unset_for_fonts_too(tmp_path: Path) -> None:
    # We read SOURCE_DATE_EPOCH="" as unset; fontTools would fail on int("").
    pdf, _ = _render(tmp_path, 0, hide_subset=True, epoch="")
    assert pdf == _render(tmp_path, SHIFTS[1], hide_subset=True, epoch=None)[0]
