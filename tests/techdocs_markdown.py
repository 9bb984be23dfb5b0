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


def techdocs_markdown(settings: dict[str, dict[str, object]]) -> markdown.Markdown:
    """A Markdown converter with techdocs-core's extensions, their settings and `settings`."""
    with tempfile.TemporaryDirectory() as folder:
        config_file = Path(folder, "mkdocs.yml")
        Path(folder, "docs").mkdir()
        config_file.write_text("site_name: t\nplugins:\n  - techdocs-core\n", "utf-8")
        config = load_config(str(config_file))
        config = config.plugins.on_config(config)
        for name, values in settings.items():
            config.mdx_configs.setdefault(name, {}).update(values)
        return markdown.Markdown(
            extensions=config.markdown_extensions, extension_configs=config.mdx_configs
        )


def main() -> None:
    """Each stdin line a JSON string of Markdown; each stdout line its HTML, as JSON.

    The first argument, if any: a JSON object of extension settings a site may add.
    """
    md = techdocs_markdown(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {})
    for line in sys.stdin:
        md.reset()
        print(json.dumps(md.convert(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
