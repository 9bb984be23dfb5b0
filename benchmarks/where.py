"""Where a Markdown + HTML build spends its time: cProfile of `render_paths`, by function.

    .venv/bin/python benchmarks/where.py            # 200 generated records
    .venv/bin/python benchmarks/where.py 1000 40    # 1,000 records, top 40 lines

Prints the functions of postmortem, its templates and markdown-it-py by cumulative time.
cProfile slows Python code down unevenly: read the shares, not the seconds.
"""

from __future__ import annotations

import cProfile
import datetime
import importlib.util
import pstats
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    spec = importlib.util.spec_from_file_location("generate", HERE / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)

    from postmortem.pipeline import build as render_paths
    from postmortem.writers import Options

    options = Options(formats=("md", "html"), today=datetime.date(2025, 1, 1))
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch, "records")
        generate.generate(n, corpus, seed=1)
        render_paths([corpus], Path(scratch, "warm"), options)  # imports, template compiles
        profile = cProfile.Profile()
        profile.enable()
        render_paths([corpus], Path(scratch, "out"), options)
        profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(r"postmortem|templates|markdown_it", top)


if __name__ == "__main__":
    main()
