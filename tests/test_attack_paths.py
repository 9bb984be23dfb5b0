"""A stranger's pull request against every path a record names (issue 19: 1, 3, 6, 9, 11, 12, 13).

Each test builds the attack as files on disk and runs the real CLI (or a real `mkdocs
build`), then looks at what would be published: nothing from outside the record's folder,
no dotfile, no output or user file replaced, no write outside the output folder.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, png, run_cli

MINIMAL = (FIXTURES / "valid" / "minimal.yaml").read_text()
SECRET = b"CI_TOKEN=ghp_this-must-never-be-published"


def record(folder: Path, ident: str, summary: str, name: str | None = None) -> Path:
    """A valid record in `folder` whose summary is `summary` (quoted for YAML)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = MINIMAL.replace("id: minimal", f"id: {ident}").replace(
        "summary: The API returned errors for ten minutes.", f"summary: {summary!r}"
    )
    path = folder / (name or f"{ident}.yaml")
    path.write_text(text)
    return path


def published(out: Path) -> dict[str, bytes]:
    """Every file the output folder holds, by relative name (links as their target's name)."""
    found = {}
    for path in out.rglob("*"):
        if path.is_symlink():
            found[path.relative_to(out).as_posix()] = f"LINK->{os.readlink(path)}".encode()
        elif path.is_file():
            found[path.relative_to(out).as_posix()] = path.read_bytes()
    return found


def assert_no_secret(out: Path) -> None:
    for name, data in published(out).items():
        assert SECRET not in data, name
        assert b"PATH=" not in data, f"{name} holds an environment"


# --- finding 1: a folder link plus `..` ------------------------------------------------


def test_a_folder_link_and_dotdot_publish_nothing_from_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(png() + SECRET)  # a real PNG, and a secret after it
    incidents = tmp_path / "incidents"
    (incidents / "deep" / "er").mkdir(parents=True)
    (incidents / "deep" / "b.png").write_bytes(png())
    (incidents / "deep" / "env.png").write_bytes(png())
    (incidents / "a").symlink_to("deep/er")  # a folder link that stays inside
    (incidents / "b.png").symlink_to(outside / "secret.png")
    (incidents / "env.png").symlink_to("/proc/self/environ")
    path = record(incidents, "r", "![x](a/../b.png) ![y](a/../env.png)")

    check = run_cli("check", str(incidents))
    assert check.exit_code == 1
    assert f"{path}:5:10: error: image 'a/../b.png'" in check.stdout
    out = tmp_path / "site"
    render = run_cli("render", str(incidents), "-o", str(out))
    assert render.exit_code == 1
    assert_no_secret(out)
    assert not (out / "r.html").exists()


@pytest.mark.parametrize(
    "src", ["b.png", "env.png", "a/../b.png", "./b.png", "deep/../b.png", "a/%2E%2E/b.png"]
)
def test_every_way_to_name_an_outside_file_is_refused(tmp_path: Path, src: str) -> None:
    incidents = tmp_path / "incidents"
    (incidents / "deep" / "er").mkdir(parents=True)
    (incidents / "deep" / "b.png").write_bytes(png())
    (incidents / "a").symlink_to("deep/er")
    (tmp_path / "secret.png").write_bytes(png() + SECRET)
    (incidents / "b.png").symlink_to(tmp_path / "secret.png")
    (incidents / "env.png").symlink_to("/proc/self/environ")
    record(incidents, "r", f"![x]({src})")
    out = tmp_path / "site"
    assert run_cli("render", str(incidents), "-o", str(out)).exit_code == 1
    assert_no_secret(out)


def test_a_link_that_stays_inside_is_published_under_its_own_name(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents"
    (incidents / "shots").mkdir(parents=True)
    image = png(6, 3)
    (incidents / "shots" / "real.png").write_bytes(image)
    (incidents / "alias.png").symlink_to("shots/real.png")
    record(incidents, "r", "![x](alias.png)")
    out = tmp_path / "site"
    assert run_cli("render", str(incidents), "-o", str(out), "-f", "md,html").exit_code == 0
    assert (out / "alias.png").read_bytes() == image and not (out / "alias.png").is_symlink()


# --- finding 6: dotfiles and .git ------------------------------------------------------


@pytest.mark.parametrize("src", [".git/config", ".env", "x/.hidden.png", "cfg.png"])
def test_dotfiles_are_never_published(tmp_path: Path, src: str) -> None:
    root = tmp_path / "repo"  # records at the repository's root
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_bytes(b"url = https://x-access-token:" + SECRET)
    (root / ".env").write_bytes(SECRET)
    (root / "x").mkdir()
    (root / "x" / ".hidden.png").write_bytes(png() + SECRET)
    (root / "cfg.png").symlink_to(".git/config")  # a dotfile reached through a link
    path = record(root, "r", f"![a]({src})")
    check = run_cli("check", str(path))
    assert check.exit_code == 1 and "[image]" in check.stdout
    out = tmp_path / "site"
    assert run_cli("render", str(path), "-o", str(out)).exit_code == 1
    assert_no_secret(out)


# --- finding 3: an image that replaces outputs or the user's files ---------------------


@pytest.mark.parametrize("src", ["r.html", "other.html", "CNAME", "index.md", "x.svg", "x.pdf"])
def test_only_raster_images_are_published(tmp_path: Path, src: str) -> None:
    incidents = tmp_path / "incidents"
    incidents.mkdir()
    (incidents / src).write_bytes(b"<script>alert(document.cookie)</script>")
    path = record(incidents, "r", f"![c]({src})")
    check = run_cli("check", str(path))
    assert check.exit_code == 1
    assert "is not an image file we publish" in check.stdout


def test_a_file_that_is_not_the_image_its_name_says_is_refused(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents"
    incidents.mkdir()
    (incidents / "x.png").write_bytes(b"<html><script>alert(1)</script></html>")
    check = run_cli("check", str(record(incidents, "r", "![c](x.png)")))
    assert check.exit_code == 1 and "is not a PNG image" in check.stdout


def test_two_records_cannot_write_one_image_name(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents"
    for team, colour in (("a", (255, 0, 0)), ("b", (0, 0, 255))):
        (incidents / team / "img").mkdir(parents=True)
        (incidents / team / "img" / "errors.png").write_bytes(png(colour=colour))
        record(incidents / team, f"rec-{team}", "![e](img/errors.png)")
    out = tmp_path / "site"
    result = run_cli("render", str(incidents), "-o", str(out), "-f", "md,html")
    assert result.exit_code == 1
    assert "cannot write 'img/errors.png': 'img/errors.png' is also an output of" in result.stderr
    # The first record keeps its picture; the second is not published with a wrong one.
    assert (out / "img" / "errors.png").read_bytes() == png(colour=(255, 0, 0))
    assert (out / "rec-a.html").exists() and not (out / "rec-b.html").exists()
    assert (out / "index.html").exists()


def test_records_may_share_one_image_file(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents"
    (incidents / "img").mkdir(parents=True)
    (incidents / "img" / "arch.png").write_bytes(png())
    for ident in ("one", "two"):
        record(incidents, ident, "![arch](img/arch.png)")
    out = tmp_path / "site"
    assert run_cli("render", str(incidents), "-o", str(out), "-f", "md").exit_code == 0
    # Again, incrementally: the unchanged record's claim is the same file's.
    (incidents / "two.yaml").write_text((incidents / "two.yaml").read_text() + "\n")
    assert run_cli("render", str(incidents), "-o", str(out), "-f", "md").exit_code == 0


def test_a_users_file_in_the_output_folder_is_never_replaced_or_deleted(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents"
    incidents.mkdir()
    (incidents / "logo.png").write_bytes(png(colour=(1, 2, 3)))
    path = record(incidents, "r", "![l](logo.png)")
    out = tmp_path / "site"
    out.mkdir()
    (out / "logo.png").write_bytes(b"the team's own logo")
    (out / "CNAME").write_bytes(b"postmortems.example.com\n")
    result = run_cli("render", str(incidents), "-o", str(out), "-f", "md")
    assert result.exit_code == 1
    assert "exists and was not written by postmortem" in result.stderr
    assert (out / "logo.png").read_bytes() == b"the team's own logo"
    path.unlink()  # the record goes: the cleanup deletes only what we wrote
    run_cli("render", str(incidents), "-o", str(out), "-f", "md")
    assert (out / "logo.png").read_bytes() == b"the team's own logo"
    assert (out / "CNAME").read_bytes() == b"postmortems.example.com\n"


def test_a_record_cannot_take_the_index_name(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents"
    record(incidents, "index", "Looks like the index.")
    record(incidents, "real", "A real one.")
    out = tmp_path / "site"
    result = run_cli("render", str(incidents), "-o", str(out), "-f", "md")
    assert result.exit_code == 1 and "is also an output of the index" in result.stderr
    assert "real" in (out / "index.md").read_text()


# --- finding 9: names that are files and folders, links in the output folder ------------


def test_a_file_and_a_folder_of_one_name_fail_one_record_not_the_build(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents"
    (incidents / "a").mkdir(parents=True)
    (incidents / "b" / "sub.png").mkdir(parents=True)
    (incidents / "a" / "sub.png").write_bytes(png())
    (incidents / "b" / "sub.png" / "x.png").write_bytes(png(3, 3))
    record(incidents / "a", "rec-a", "![s](sub.png)")
    record(incidents / "b", "rec-b", "![s](sub.png/x.png)")
    out = tmp_path / "site"
    result = run_cli("render", str(incidents), "-o", str(out), "-f", "md,html")
    assert result.exit_code == 1
    assert "needs 'sub.png' as a folder" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert (out / "index.html").exists() and (out / ".postmortem-manifest.json").exists()
    assert (out / "rec-a.html").exists()


def test_a_linked_folder_in_the_output_folder_is_never_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    incidents = tmp_path / "incidents"
    (incidents / "sub").mkdir(parents=True)
    (incidents / "sub" / "x.png").write_bytes(png())
    record(incidents, "r", "![x](sub/x.png)")
    record(incidents, "fine", "No pictures.")
    out = tmp_path / "site"
    out.mkdir()
    (out / "sub").symlink_to(elsewhere)
    (elsewhere / "x.png").symlink_to(tmp_path / "victim")  # and a link at the end of it
    result = run_cli("render", str(incidents), "-o", str(out), "-f", "md")
    assert result.exit_code == 1 and "is a link or a file, not a folder" in result.stderr
    assert not (tmp_path / "victim").exists() and (elsewhere / "x.png").is_symlink()
    assert (out / "fine.md").exists() and (out / "index.md").exists()


# --- finding 11 and 12: heavy images, odd names ----------------------------------------


def test_an_image_of_too_many_pixels_is_refused_at_check(tmp_path: Path) -> None:
    from PIL import Image

    incidents = tmp_path / "incidents"
    incidents.mkdir()
    # 13000 x 13000 one-bit pixels: a small file that would take gigabytes to typeset.
    Image.new("1", (13000, 13000)).save(incidents / "huge.png")
    assert (incidents / "huge.png").stat().st_size < 1_000_000
    check = run_cli("check", str(record(incidents, "r", "![h](huge.png)")))
    assert check.exit_code == 1
    assert "is 13,000x13,000 pixels; the limit is 25,000,000 pixels" in check.stdout


@pytest.mark.parametrize(
    ("src", "why"),
    [
        ("a%00b.png", "control character"),
        ("x" * 300 + ".png", "over 255 bytes"),
        ("a%0Ab.png", "control character"),
        ("a\\b.png", "backslash"),
        ("fifo.png", "not a regular file"),
        ("loop.png", "cannot be resolved"),
        ("dir.png", "not a regular file"),
    ],
)
def test_odd_image_names_are_clean_errors(tmp_path: Path, src: str, why: str) -> None:
    incidents = tmp_path / "incidents"
    incidents.mkdir()
    os.mkfifo(incidents / "fifo.png")
    (incidents / "loop.png").symlink_to("loop.png")
    (incidents / "dir.png").mkdir()
    path = record(incidents, "r", f"![o]({src})")
    for args in (("check", str(path)), ("render", str(path), "-o", str(tmp_path / "o"))):
        result = run_cli(*args)
        assert result.exit_code == 1
        assert why in result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr


# --- finding 13: `postmortem index` and the shards' folders ----------------------------


def test_index_copies_no_link_from_a_shard_and_reports_a_missing_output(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents"
    record(incidents, "one", "First.")
    shard = tmp_path / "shard"
    assert run_cli("render", str(incidents), "--shard", "1/1", "-o", str(shard)).exit_code == 0
    (tmp_path / "secret").write_bytes(SECRET)
    (shard / "one.html").unlink()
    (shard / "one.html").symlink_to(tmp_path / "secret")
    out = tmp_path / "site"
    result = run_cli("index", str(shard), "-o", str(out), "--records", str(incidents))
    assert result.exit_code == 1 and "symbolic link" in result.stderr
    assert_no_secret(out) if out.exists() else None
    (shard / "one.html").unlink()
    result = run_cli("index", str(shard), "-o", str(out), "--records", str(incidents))
    assert result.exit_code == 1 and "is listed in its shard's manifest but missing" in (
        result.stderr
    )


def test_index_reads_only_the_records_it_is_given_not_what_a_manifest_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard is an artifact a pull request's job uploaded: its manifest may name any file.

    `index` reads the records again; it reads only those found under `--records` (default: the
    configured incidents folder), so a manifest naming `~/.config/gh/hosts.yml` gets an error
    and the file is never checked, nor its keys quoted in a public log.
    """
    monkeypatch.chdir(tmp_path)
    record(tmp_path / "incidents", "one", "First.")
    assert run_cli("render", "incidents", "--shard", "1/1", "-o", "shard").exit_code == 0
    secret = tmp_path / "home" / "hosts.yml"
    secret.parent.mkdir()
    secret.write_text("github.com:\n  oauth_token: ghp_this-must-never-be-published\n")
    manifest = tmp_path / "shard" / ".postmortem-manifest.json"
    manifest.write_text(manifest.read_text().replace("incidents/one.yaml", str(secret)))
    result = run_cli("index", "shard", "-o", "site")
    assert result.exit_code == 1
    assert "not one of the records" in result.stderr and "--records" in result.stderr
    assert "oauth_token" not in result.stderr + result.stdout
    assert not (tmp_path / "site" / "index.html").exists()
    # The records folder given, shards from it join as before.
    elsewhere = tmp_path / "elsewhere"
    record(elsewhere, "two", "Second.")
    assert run_cli("render", str(elsewhere), "--shard", "1/1", "-o", "s2").exit_code == 0
    assert run_cli("index", "s2", "-o", "site2").exit_code == 1
    result = run_cli("index", "s2", "-o", "site2", "--records", str(elsewhere))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "site2" / "index.html").is_file()


# --- the attack class, fuzzed: any tree of folders, links and names --------------------

PARTS = st.sampled_from(["a", "b", "deep", "er", "..", ".", ".git", "x", "x.png", "%2E%2E", ""])
NAMES = st.lists(PARTS, min_size=1, max_size=4).map(lambda ps: "/".join(ps) + ".png")


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    links=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "x.png", "deep/x.png", "b.png", "a.png"]),
            st.sampled_from(
                [
                    "deep",
                    "deep/er",
                    "..",
                    "../outside",
                    "../outside/x.png",
                    "/proc/self/environ",
                    "deep/x.png",
                    ".git",
                    ".git/x.png",
                ]
            ),
        ),
        max_size=3,
        unique_by=lambda link: link[0],
    ),
    sources=st.lists(NAMES, min_size=1, max_size=6),
)
def test_whatever_the_links_every_published_byte_is_a_file_of_the_record_folder(
    tmp_path_factory: pytest.TempPathFactory, links: list[tuple[str, str]], sources: list[str]
) -> None:
    base = tmp_path_factory.mktemp("fuzz")
    (base / "outside").mkdir()
    (base / "outside" / "x.png").write_bytes(png() + SECRET)
    incidents = base / "incidents"
    (incidents / "deep" / "er").mkdir(parents=True)
    (incidents / ".git").mkdir()
    (incidents / ".git" / "x.png").write_bytes(png() + SECRET)
    inside = {}
    for i, rel in enumerate(["deep/x.png", "deep/er/x.png", "x.png.png", "a.png"]):
        data = png(i + 2, 2)
        inside[data] = rel
        (incidents / rel).write_bytes(data)
    for name, target in links:
        path = incidents / name
        if not path.exists() and not path.is_symlink():
            path.symlink_to(target)
    for i, src in enumerate(sources):  # one record each: a refused image fails only its own
        record(incidents, f"r{i}", f"![p]({src})")
    out = base / "site"
    result = run_cli("render", str(incidents), "-o", str(out), "-f", "md,html")
    assert "Traceback" not in result.stdout + result.stderr
    for name, data in published(out).items():
        assert SECRET not in data and b"PATH=" not in data, name
        assert not any(part.startswith(".") for part in name.split("/")[:-1]), name
        if name.endswith(".png"):
            assert data in inside, f"{name} is not a file of the record's folder"
    assert set(published(base / "outside")) == {"x.png"}


@pytest.mark.parametrize("alphabet", [string.printable])
def test_output_names_of_any_text_stay_in_the_folder(tmp_path: Path, alphabet: str) -> None:
    from postmortem.output import OutputFolder
    from postmortem.paths import PathRefused

    folder = OutputFolder(tmp_path / "out")

    @settings(max_examples=300, derandomize=True, deadline=None)
    @given(st.text(alphabet=alphabet + "/./..", max_size=12))
    def write(name: str) -> None:
        try:
            folder.write(name, b"x")
        except PathRefused:
            return
        except OSError:
            return  # e.g. a name whose folder is a file written by an earlier example
        assert (tmp_path / "out" / name).resolve().is_relative_to((tmp_path / "out").resolve())

    write()
    assert {p.name for p in tmp_path.iterdir()} == {"out"}


# --- the same through a real `mkdocs build` --------------------------------------------


def test_mkdocs_publishes_no_outside_file_and_survives_name_clashes(tmp_path: Path) -> None:
    from test_mkdocs import make_site, mkdocs

    site = make_site(tmp_path / "project", "", records=[])
    incidents = site / "incidents"
    (incidents / "deep" / "er").mkdir(parents=True)
    (incidents / "deep" / "b.png").write_bytes(png())
    (incidents / "a").symlink_to("deep/er")
    (tmp_path / "secret.png").write_bytes(png() + SECRET)
    (incidents / "b.png").symlink_to(tmp_path / "secret.png")
    record(incidents, "leak", "![x](a/../b.png)")
    (incidents / "one" / "sub.png").mkdir(parents=True)
    (incidents / "one" / "sub.png" / "x.png").write_bytes(png(3, 3))
    (incidents / "two").mkdir()
    (incidents / "two" / "sub.png").write_bytes(png())
    record(incidents / "one", "one", "![s](sub.png/x.png)")
    record(incidents / "two", "two", "![s](sub.png)")
    strict = mkdocs(site, "build", "--strict")
    assert strict.returncode == 1 and "Traceback" not in strict.stderr, strict.stderr
    assert "image 'a/../b.png'" in strict.stderr
    assert "needs 'sub.png' as a folder" in strict.stderr or "is a folder of" in strict.stderr
    plain = mkdocs(site, "build")
    assert plain.returncode == 0, plain.stderr
    assert_no_secret(site / "site")


# --- the record files themselves --------------------------------------------------------


def test_a_record_file_that_links_out_or_is_a_fifo_is_refused_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "hosts.yml"  # a YAML file of the machine's, with a token in it
    secret.write_text("github.com:\n  oauth_token: ghp_secret-token\n")
    incidents = tmp_path / "incidents"
    record(incidents, "fine", "A real record.")
    (incidents / "stolen.yaml").symlink_to(secret)
    os.mkfifo(incidents / "hang.yaml")  # reading it would block the build forever
    for args in (("check", str(incidents)), ("render", str(incidents), "-o", str(tmp_path / "o"))):
        result = run_cli(*args)
        out = result.stdout + result.stderr
        assert result.exit_code == 1, out
        assert "stolen.yaml: error: record file is a symbolic link to a file outside" in out
        assert "hang.yaml: error: cannot read file: not a regular file" in out
        assert "oauth_token" not in out and "ghp_secret" not in out and "github.com" not in out
    assert (tmp_path / "o" / "fine.html").exists()


def test_check_sees_every_image_the_renderers_write(tmp_path: Path) -> None:
    """The probe once read `![\\n=\\n](x)` as a heading (the renderers have headings off), so
    check passed an image path the HTML then showed. One parser configuration now."""
    from postmortem.fields import images
    from postmortem.writers.text import to_html

    incidents = tmp_path / "incidents"
    path = record(incidents, "r", "Before.\n![\n=\n](../secret.png) after")
    check = run_cli("check", str(path))
    assert check.exit_code == 1 and "image '../secret.png'" in check.stdout
    for text in ("Before.\n![\n=\n](a.png)", "# ![h](a.png)", "a\n---\n![b](c.png)"):
        shown = to_html(text).count("<img")
        assert len(images(text)) == shown, text
