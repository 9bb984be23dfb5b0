"""Every path a record names, decided in one place.

A record comes from a stranger's pull request, and so do the files beside it and their
names. Two decisions are made here and nowhere else:

- which file an image is (`picture`): a relative name of plain parts (no `..`, no `.`, no
  dotfile or dot-folder), resolved with every link it passes through, inside the record's
  folder after resolving, a regular file of a raster type we allow, within size limits.
  The resolved path is the one path ever read for it (`read_picture`);
- which names a build may write (`output_name`, `Claims`): plain relative names, and no two
  owners for one name (a record's image cannot replace a page, another record's image, or
  a file of the user's; a file `sub` and a file `sub/x.png` cannot both be outputs).

Writing those names inside the output folder, without following links, is output.py's.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from postmortem.errors import PostmortemError
from postmortem.fields import image_source
from postmortem.files import NotRegularFile, read_regular

# Raster formats every reader shows and none executes (an SVG or HTML file copied into a
# published site would run its script in the site's origin). Pillow name per suffix.
IMAGE_TYPES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# Decoded pixels, which is what a PDF renderer holds in memory (4 bytes each): 25 MP is a
# 6000x4000 photograph or three 4K screenshots; a 13000x13000 PNG of 657 KB took 1.5 GB.
MAX_IMAGE_PIXELS = 25_000_000
MAX_NAME_PART = 255  # bytes of one part, as file systems count them
MAX_NAME = 1_000  # characters of a whole relative name


class PathRefused(PostmortemError):
    """A path a record names that we will not read or write; the message says why."""


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a relative output or image name (None: it can)."""
    if not name:
        return "is empty"
    if len(name) > MAX_NAME:
        return f"is {len(name):,} characters long; the limit is {MAX_NAME:,}"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name) or "\\" in name:
        return "holds a control character or a backslash"
    if name.startswith("/"):
        return "is an absolute path"
    for part in name.split("/"):
        if part in ("", ".", ".."):
            return "has an empty, '.' or '..' part: write the plain path inside the folder"
        if part.startswith("."):
            return f"names a hidden file or folder ({part!r})"
        if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_PART:
            return f"has a part over {MAX_NAME_PART} bytes"
    return None


def record_problem(path: Path) -> str | None:
    """Why the record file `path` is not read (None: it is): a link that leads out of its
    folder would let a pull request have any YAML file on the machine checked, and quoted
    in the errors a public CI log shows."""
    if not path.is_symlink():
        return None
    folder = path.parent.resolve()
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "is a symbolic link that leads nowhere"
    if not target.is_relative_to(folder) or name_problem(target.relative_to(folder).as_posix()):
        return "is a symbolic link to a file outside its folder (or a hidden one)"
    return None


def output_name(name: str) -> str:
    """`name` if it is a plain relative name a build may write, else PathRefused."""
    problem = name_problem(name)
    if problem:
        raise PathRefused(f"output name {name!r} {problem}")
    return name


@dataclass(frozen=True)
class Picture:
    """An image a record shows: its name (as the outputs refer to it) and the file it is."""

    name: str  # relative, plain parts: the name it is copied under, beside the pages
    path: Path  # resolved (no link left in it): the one path that is read


def picture(folder: Path, src: str) -> Picture:
    """The image `src` (as a Markdown field writes it) of a record in `folder`; PathRefused."""
    name = image_source(src)
    if name is None:
        raise PathRefused(
            "is not a relative path to a file beside the record (remote and file: URLs are refused)"
        )
    return picture_at(folder, name)


def picture_at(folder: Path, name: str) -> Picture:
    """The image called `name` (a relative path, already decoded) in `folder`; PathRefused."""
    problem = name_problem(name)
    if problem:
        raise PathRefused(problem)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in IMAGE_TYPES:
        allowed = ", ".join(sorted(IMAGE_TYPES))
        raise PathRefused(f"is not an image file we publish (allowed: {allowed})")
    root = folder.resolve()
    try:
        target = (root / name).resolve(strict=True)
    except FileNotFoundError:
        raise PathRefused("does not exist") from None
    except (OSError, RuntimeError) as exc:  # a link loop, a part that is a file, ...
        raise PathRefused(f"cannot be resolved ({getattr(exc, 'strerror', None) or exc})") from None
    if not target.is_relative_to(root) or target == root:
        raise PathRefused("leaves the record's folder (symbolic links included)")
    inner = target.relative_to(root).as_posix()
    if name_problem(inner):
        raise PathRefused(f"resolves to {inner!r}, a hidden file or folder")
    st = os.stat(target)
    if not stat.S_ISREG(st.st_mode):
        raise PathRefused("is not a regular file")
    if st.st_size > MAX_IMAGE_BYTES:
        raise PathRefused(f"is {st.st_size:,} bytes; the limit is {MAX_IMAGE_BYTES:,}")
    _check_image(target, IMAGE_TYPES[suffix])
    return Picture(name, target)


def _check_image(path: Path, kind: str) -> None:
    """The file is an image of `kind` of at most MAX_IMAGE_PIXELS; reads its header only."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow warns of a large image; we refuse it below, with its size.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=[kind]) as image:
                width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PathRefused(f"is not a {kind} image") from None
    except Image.DecompressionBombError:
        width = height = MAX_IMAGE_PIXELS  # over the limit, whatever it is exactly
    if width * height > MAX_IMAGE_PIXELS:
        raise PathRefused(
            f"is {width:,}x{height:,} pixels; the limit is {MAX_IMAGE_PIXELS:,} pixels"
        )


def read_picture(picture: Picture) -> bytes:
    """The bytes of a checked image: its resolved path, no link followed, within the size."""
    try:
        data = read_regular(picture.path, MAX_IMAGE_BYTES, follow=False)
    except NotRegularFile:
        raise PathRefused(f"image {picture.name!r} is no longer a regular file") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise PathRefused(f"image {picture.name!r} grew over {MAX_IMAGE_BYTES:,} bytes")
    return data


class Claims:
    """Who writes each output name in one build: one owner a name, and no file that is also
    a folder of another name. Identical images of two records may share a name."""

    def __init__(self) -> None:
        self._owner: dict[str, tuple[str, str | None]] = {}  # name -> (owner, bytes' digest)
        self._folders: dict[str, str] = {}  # folder part of some name -> the name's owner

    def problem(self, name: str, owner: str, digest: str | None = None) -> str | None:
        """Why `owner` may not write `name` (None: it may); does not claim it."""
        held = self._owner.get(name)
        if held is not None and held[0] != owner and (digest is None or held[1] != digest):
            return f"{name!r} is also an output of {held[0]}"
        if name in self._folders and self._folders[name] != owner:
            return f"{name!r} is a folder of an output of {self._folders[name]}"
        parts = name.split("/")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if folder in self._owner:
                return (
                    f"{name!r} needs {folder!r} as a folder, an output of {self._owner[folder][0]}"
                )
        return None

    def claim(self, name: str, owner: str, digest: str | None = None) -> None:
        """Record that `owner` writes `name` (after `problem` said it may)."""
        self._owner.setdefault(name, (owner, digest))
        parts = name.split("/")
        for i in range(1, len(parts)):
            self._folders.setdefault("/".join(parts[:i]), owner)
