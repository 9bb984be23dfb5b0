"""Writing outputs: only inside the output folder, never through a link, whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from postmortem.output import OutputFolder, write_atomic
from postmortem.paths import PathRefused


@pytest.mark.parametrize(
    "name", ["../x.html", "/etc/x.html", "a/../../x.html", ".", "..", "", "a//b", ".git/config"]
)
def test_names_that_leave_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(PathRefused):
        OutputFolder(tmp_path).write(name, b"x")
    assert list(tmp_path.iterdir()) == []


def test_names_inside_the_folder_are_written_there(tmp_path: Path) -> None:
    folder = OutputFolder(tmp_path)
    assert folder.write("a.html", b"a") and folder.write("sub/b.png", b"b")
    assert (tmp_path / "a.html").read_bytes() == b"a"
    assert (tmp_path / "sub" / "b.png").read_bytes() == b"b"
    assert folder.read("sub/b.png") == b"b" and folder.read("sub/none.png") is None


def test_a_link_in_the_folder_is_replaced_not_followed(tmp_path: Path) -> None:
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("keep me")
    (out / "a.html").symlink_to(victim)
    (out / "sub").symlink_to(tmp_path)  # a linked folder leads outside: refused
    (out / "file").write_text("a file, not a folder")
    folder = OutputFolder(out)
    assert folder.write("a.html", b"new")
    assert victim.read_text() == "keep me"
    assert not (out / "a.html").is_symlink() and (out / "a.html").read_bytes() == b"new"
    for name in ("sub/victim.txt", "sub/new.png", "file/x.png"):
        with pytest.raises(PathRefused, match="link or a file"):
            folder.write(name, b"evil")
        with pytest.raises(PathRefused, match="link or a file"):
            folder.read(name)
    assert victim.read_text() == "keep me" and not (tmp_path / "new.png").exists()


def test_a_linked_file_is_neither_read_nor_removed_through(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("token")
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.html").symlink_to(secret)
    folder = OutputFolder(out)
    with pytest.raises(PathRefused, match="symbolic link"):
        folder.read("x.html")
    assert not folder.remove("x.html")
    assert secret.read_text() == "token" and (out / "x.html").is_symlink()


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
