"""The benchmark corpora (benchmarks/generate.py) are valid records. No timing here, ever."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from conftest import ROOT, run_cli


def _generate_module() -> ModuleType:
    """benchmarks/generate.py, which lives outside the package."""
    path = ROOT / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("benchmarks_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_generated_records_pass_check(tmp_path: Path) -> None:
    paths = _generate_module().generate(5, tmp_path, seed=3)
    assert len(paths) == 5
    result = run_cli("check", str(tmp_path))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "5 record(s) valid" in result.stderr


def test_generation_is_deterministic(tmp_path: Path) -> None:
    generate = _generate_module().generate
    first = [p.read_bytes() for p in generate(3, tmp_path / "a", seed=1)]
    second = [p.read_bytes() for p in generate(3, tmp_path / "b", seed=1)]
    assert first == second


def test_records_are_shaped_like_the_examples(tmp_path: Path) -> None:
    from postmortem.checker import check_paths
    from postmortem.fields import markdown_fields

    _generate_module().generate(3, tmp_path)
    for result in check_paths([tmp_path]):
        incident = result.incident
        assert incident is not None
        assert len(incident.timeline) == 15
        assert len(incident.cascade) == 5
        assert len(incident.action_items) == 4
        assert "\n\n" in incident.summary  # paragraphs
        text = "\n".join(t for _, t in markdown_fields(incident))
        assert all(mark in text for mark in ("**", "`", "](https://"))


def test_every_reference_of_the_benchmark_still_runs(tmp_path: Path) -> None:
    """Each side job of benchmarks/run.py runs on a small corpus and prints its time.

    The references render postmortem's own templates with their own context: a new
    template variable once broke the render floor, found only by a full `make bench`.
    """
    import subprocess

    corpus = tmp_path / "corpus"
    _generate_module().generate(2, corpus, seed=5)
    jobs = [
        ["check", str(corpus), "2"],
        ["check-floor", str(corpus)],
        ["render", str(corpus), str(tmp_path / "out"), "2"],
        ["render-floor", str(corpus)],
        ["pdf", str(corpus), str(tmp_path / "pdf"), "1", "2"],
        ["pdf-bare", str(corpus)],
        ["pdf-bare-layouts", str(corpus)],
    ]
    for job in jobs:
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--child", *job],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (job, done.stderr[-2000:])
        assert float(done.stdout.strip().splitlines()[-1]) > 0, job
