"""The library API (`import postmortem`): README's example runs as written, click stays out."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import postmortem

from conftest import FIXTURES, INCIDENTS, ROOT


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## As a library") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    shutil.copytree(INCIDENTS, tmp_path / "incidents")
    done = subprocess.run(
        [sys.executable, "-c", code.group(1)], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "aws-2021-12-07-us-east-1.html" in done.stdout
    assert (tmp_path / "site" / "index.html").exists()


def test_importing_the_library_imports_no_click() -> None:
    code = "import sys, postmortem; postmortem.check([sys.argv[1]]); print('click' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code, str(INCIDENTS)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_an_invalid_record_raises_with_its_issues(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((FIXTURES / "valid" / "minimal.yaml").read_text().replace("title:", "titel:"))
    for call in (postmortem.load, postmortem.render):
        with pytest.raises(postmortem.InvalidRecord) as caught:
            call(bad)
        assert {i.rule for i in caught.value.issues} >= {"unknown-key"}
        assert caught.value.path == str(bad)


def test_render_gives_the_bytes_build_writes(tmp_path: Path) -> None:
    record = INCIDENTS / "cloudflare-2019-07-02-waf-regex.yaml"
    day = postmortem.options().today
    pages = postmortem.render(record, formats=("md", "html"), today=day)
    summary = postmortem.build([record], tmp_path, formats=("md", "html"), today=day)
    assert summary.rendered == ["cloudflare-2019-07-02-waf-regex"]
    for name, data in pages.items():
        assert (tmp_path / name).read_bytes() == data, name
