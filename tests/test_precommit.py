"""The pre-commit hook (.pre-commit-hooks.yaml), through real `pre-commit` runs.

Each run installs postmortem into a fresh virtualenv from the package registry, as
pre-commit does for its users (~15 s with a warm pip cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, INCIDENTS, ROOT

PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
GOOD = INCIDENTS / "cloudflare-2019-07-02-waf-regex.yaml"
BAD = FIXTURES / "invalid" / "yaml11-bool.yaml"
# What pip needs to install the package from a clone of the repository.
PACKAGE = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "postmortem",
           "templates")  # fmt: skip


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree's package and hook manifest, committed in a repository of its own.

    try-repo on the checkout itself would use its HEAD commit plus tracked changes, never
    new files: a copy tests what is in the working tree, committed or not.
    """
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in PACKAGE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "postmortem")
    return repo, git(repo, "rev-parse", "HEAD")


def project(root: Path, files: dict[str, Path | str]) -> Path:
    """A throwaway git repository holding `files` (path → source file or text), staged."""
    root.mkdir()
    git(root, "init", "-q")
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_text(content, encoding="utf-8")
    git(root, "add", "-A")
    return root


def pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [str(PRE_COMMIT), *args, "--color", "never"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def bad_lines(cwd: Path) -> list[str]:
    """What `postmortem check` prints for the invalid record, run from the project."""
    script = Path(sys.executable).with_name("postmortem")
    result = subprocess.run(
        [str(script), "check", "-q", "incidents/bad.yaml"], cwd=cwd, capture_output=True, text=True
    )
    assert result.returncode == 1 and result.stdout
    return result.stdout.splitlines()


def test_try_repo_fails_on_the_invalid_record_only(
    hook_repo: tuple[Path, str], tmp_path: Path
) -> None:
    repo, _ = hook_repo
    files: dict[str, Path | str] = {
        "incidents/good.yaml": GOOD,
        "incidents/bad.yaml": BAD,
        "incidents/README.txt": "Not YAML: the hook's `types` leave it alone.\n",
        # YAML outside incidents/: not a record, and not checked.
        "mkdocs.yml": "site_name: x\nnav: [no]\n",
    }
    user = project(tmp_path / "user", files)

    result = pre_commit(user, tmp_path / "home", "try-repo", str(repo), "postmortem-check",
                        "--all-files")  # fmt: skip

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "postmortem check" in output and "Failed" in output
    for line in bad_lines(user):
        assert line in result.stdout.splitlines()
    assert "1 of 2 record(s) invalid, 1 error(s)" in output
    assert "good.yaml" not in output and "mkdocs.yml" not in output


def test_configured_folder_passes_with_the_valid_record(
    hook_repo: tuple[Path, str], tmp_path: Path
) -> None:
    """The README's .pre-commit-config.yaml, with `files` set to another folder."""
    repo, rev = hook_repo
    hook = {"id": "postmortem-check", "files": "^docs/postmortems/"}
    config = yaml.safe_dump({"repos": [{"repo": str(repo), "rev": rev, "hooks": [hook]}]})
    files: dict[str, Path | str] = {
        ".pre-commit-config.yaml": config,
        "docs/postmortems/good.yaml": GOOD,
        # Outside the configured folder: not checked.
        "incidents/bad.yaml": BAD,
    }
    user = project(tmp_path / "user", files)
    home = tmp_path / "home"

    passed = pre_commit(user, home, "run", "--all-files")

    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "postmortem check" in passed.stdout and "Passed" in passed.stdout

    # The same invalid record inside the configured folder fails (the environment is reused).
    shutil.copy(BAD, user / "docs" / "postmortems" / "bad.yaml")
    git(user, "add", "-A")
    failed = pre_commit(user, home, "run", "--all-files")

    assert failed.returncode == 1
    assert "docs/postmortems/bad.yaml:3:11: error: severity: expected text" in failed.stdout
