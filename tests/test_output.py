"""Writing outputs: only inside the output folder, never through a link, whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from postmortem.errors import PostmortemError
from postmortem.output import inside, write_atomic


@pytest.mark.parametrize("name", ["../x.html", "/etc/x.html", "a/../../x.html", ".", "..", ""])
def test_names_that_leave_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(PostmortemError, match="outside"):
        inside(tmp_path, name)


def test_names_inside_the_folder_resolve_to_it(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    assert inside(tmp_path, "a.html") == tmp_path.resolve() / "a.html"
    assert inside(tmp_path, "sub/b.png") == tmp_path.resolve() / "sub" / "b.png"


def test_a_link_in_the_folder_is_replaced_not_followed(tmp_path: Path) -> None:
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("keep me")
    (out / "a.html").symlink_to(victim)
    (out / "sub").symlink_to(tmp_path)  # a linked folder leads outside: refused
    assert write_atomic(inside(out, "a.html"), b"new")
    assert victim.read_text() == "keep me"
    assert not (out / "a.html").is_symlink() and (out / "a.html").read_bytes() == b"new"
    with pytest.raises(PostmortemError, match="outside"):
        inside(out, "sub/victim.txt")


def test_unchanged_bytes_are_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "a.html"
    assert write_atomic(target, b"one")
    assert not write_atomic(target, b"one")
    assert write_atomic(target, b"two") and target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.html"]  # no temporary file left


def test_a_stale_temporary_file_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed build that had our process id left its temporary file: another is used."""
    import itertools
    import os

    import postmortem.output as output

    monkeypatch.setattr(output, "_serial", itertools.count(5))
    stale = tmp_path / f".a.html.{os.getpid()}-5.tmp"
    stale.write_bytes(b"half")
    assert write_atomic(tmp_path / "a.html", b"whole")
    assert (tmp_path / "a.html").read_bytes() == b"whole" and stale.read_bytes() == b"half"
    assert len(list(tmp_path.iterdir())) == 2


def test_folders_are_made_as_needed(tmp_path: Path) -> None:
    assert write_atomic(tmp_path / "img" / "deep" / "a.png", b"png")
    assert (tmp_path / "img" / "deep" / "a.png").read_bytes() == b"png"
    assert oct((tmp_path / "img" / "deep" / "a.png").stat().st_mode & 0o777) == "0o644"
