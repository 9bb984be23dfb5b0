"""Instructions per record of a Markdown + HTML build and of its floor, counted by Valgrind.

    .venv/bin/python benchmarks/instructions.py          # needs valgrind (Debian: valgrind)

Wall-clock ratios on a shared machine move by ±15% from one run to the next; the number
of instructions a job executes does not. This counts them with cachegrind for builds of
10 and of 40 generated records and reports the difference per record, so that start-up,
imports and template compilation cancel out; the floor (the render floor of run.py) is
counted the same way, each side minus its untimed preparation. Instructions are not time
(memory stalls and system calls are not in them), so use this to compare two versions of
postmortem, and run.py for the figures of issue 8.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMALL, LARGE = 10, 40

OURS = """
import datetime, sys
from pathlib import Path
from postmortem.writers import Options
from postmortem.pipeline import build as render_paths
options = Options(formats=("md", "html"), today=datetime.date(2025, 1, 1))
render_paths([sys.argv[1]], Path(sys.argv[2]), options)
"""

FLOOR = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("run", sys.argv[3])
run = importlib.util.module_from_spec(spec); sys.modules["run"] = run
spec.loader.exec_module(run)
if sys.argv[2] == "prepare-only":
    run._once = lambda job: 0.0
run.child_render_floor(sys.argv[1])
"""


def count(script: str, *args: str) -> int:
    """Instructions executed by `python -c script args` under cachegrind."""
    env = dict(os.environ, PYDANTIC_DISABLE_PLUGINS="__all__")
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    done = subprocess.run(
        [*cmd, sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    match = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if match is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def main() -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    sys.path.insert(0, str(HERE))
    from generate import generate

    work = Path(tempfile.mkdtemp(prefix="postmortem-instructions-"))
    try:
        corpus = {n: work / f"corpus-{n}" for n in (SMALL, LARGE)}
        for n, folder in corpus.items():
            generate(n, folder, seed=1)
        ours = {n: count(OURS, str(corpus[n]), str(work / f"out-{n}")) for n in corpus}
        run = str(HERE / "run.py")
        floor = {
            n: count(FLOOR, str(corpus[n]), "all", run)
            - count(FLOOR, str(corpus[n]), "prepare-only", run)
            for n in corpus
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per_ours = (ours[LARGE] - ours[SMALL]) / (LARGE - SMALL) / 1e6
    per_floor = (floor[LARGE] - floor[SMALL]) / (LARGE - SMALL) / 1e6
    print(f"postmortem: {per_ours:.1f} M instructions per record")
    print(f"floor:      {per_floor:.1f} M instructions per record")
    print(f"ratio:      {per_ours / per_floor:.2f}x")


if __name__ == "__main__":
    main()
