"""The MkDocs plugin: a folder of records → one page per incident and the index, in the site.

```yaml
# mkdocs.yml
plugins:
  - search
  - postmortem:
      records: incidents     # folder of records, beside mkdocs.yml (default)
      prefix: incidents/     # where the pages go in the site (default)
      pdf: false             # also build <id>.pdf and link it from each page
      today: 2024-03-20      # the date open action items are overdue against (default: today)
      cascade: auto          # svg, mermaid, or auto (default): how pages draw the cascade
```

The pages are the Markdown output of `postmortem render`, added as virtual files: nothing is
written into `docs_dir`. Records are checked exactly as `postmortem check` checks them (with
the project's `postmortem.toml` or `[tool.postmortem]`, when there is one); each error is
logged as a warning, `PATH:LINE:COL: error: …`, so that `mkdocs build --strict` fails on an
invalid record while a plain build publishes the valid ones. MkDocs is imported only here.

A page draws the cascade as our own SVG, inline (Python-Markdown passes raw HTML through),
unless the site renders Mermaid: then as a Mermaid block, which the site's script draws
and styles. `auto` looks for a Mermaid renderer in the finished configuration (see
`mermaid_renderer`); a Mermaid block on a site without one shows as source.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files

from postmortem.diagnostics import format_text, sort_issues
from postmortem.errors import PostmortemError, UsageError
from postmortem.pipeline import Summary, build, write_index
from postmortem.sinks import MemorySink

log = get_plugin_logger(__name__)


class _Day(base.BaseConfigOption[date | None]):
    """A date, written as YAML's `2024-03-20` or as text."""

    def run_validation(self, value: object) -> date | None:
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise base.ValidationError(f"expected a date, YYYY-MM-DD, got {value!r}") from None


class PostmortemConfig(base.Config):
    records = c.Type(str, default="incidents")
    prefix = c.Type(str, default="incidents/")
    pdf = c.Type(bool, default=False)
    today = _Day()
    cascade = c.Choice(("auto", "svg", "mermaid"), default="auto")
    # None: the configuration's `audience` key (default internal).
    audience = c.Optional(c.Choice(("internal", "public")))


def mermaid_renderer(config: MkDocsConfig) -> str | None:
    """What in the site draws a ```mermaid block, or None if it would show as source.

    A Mermaid block becomes a picture only through a `pymdownx.superfences` custom fence
    named `mermaid` (Material draws `fence_code_format`'s output; the `mermaid2` plugin
    documents its own format), or the `mermaid2` plugin. Backstage's `techdocs-core`
    configures no such fence: its portal draws Mermaid in the browser, with an addon, and
    the site it builds shows the source.
    """
    for name in config.plugins:
        if name.split("/")[-1] == "mermaid2":
            return f"the {name} plugin"
    for extension in ("pymdownx.superfences", "pymdownx.extra"):
        settings = config.mdx_configs.get(extension) or {}
        if extension == "pymdownx.extra":
            settings = settings.get("pymdownx.superfences") or {}
        if extension not in config.markdown_extensions:
            continue
        for fence in settings.get("custom_fences") or []:
            if isinstance(fence, dict) and fence.get("name") == "mermaid":
                return f"{extension}'s custom fence 'mermaid'"
    return None


def site_prefix(raw: str) -> str:
    """`incidents`, `/incidents/` → `incidents/`; the site root is ``; no `..`."""
    parts = [p for p in PurePosixPath(raw.replace("\\", "/")).parts if p not in ("/", ".")]
    if ".." in parts:
        raise PluginError(f"postmortem: prefix {raw!r} must stay inside the site (no '..')")
    return "".join(f"{p}/" for p in parts)


def with_pdf_link(markdown: bytes, ident: str) -> bytes:
    """The page with a link to its PDF under the title (or first, if a template has none)."""
    link = f"[Download as PDF]({ident}.pdf)\n\n"
    lines = markdown.decode().splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("# "):
            lines.insert(i + 1, "\n" + link.rstrip("\n") + "\n")
            return "".join(lines).encode()
    return (link + "".join(lines)).encode()


class PostmortemPlugin(BasePlugin[PostmortemConfig]):
    """Adds `<prefix><id>.md` for every valid record, and `<prefix>index.md`."""

    def __init__(self) -> None:
        # Kept across the rebuilds of one `mkdocs serve` (see on_startup): the outputs and
        # their manifest, so that saving one record does not render every PDF again.
        self._sink = MemorySink()
        self._folder = Path("incidents")
        self._watch: list[Path] = []

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining this hook keeps one plugin object for all the builds of `mkdocs serve`.
        pass

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        from postmortem.config import ConfigError, load_settings

        root = Path(config.config_file_path or ".").resolve().parent
        folder = root / self.config.records
        if not folder.is_dir():
            raise PluginError(
                f"postmortem: records folder {self.config.records!r} ({folder}) does not exist"
            )
        # As given relative to the working folder when it is inside it, so that messages
        # read as `postmortem check incidents/` prints them from the same place.
        cwd = Path.cwd().resolve()
        self._folder = folder.relative_to(cwd) if folder.is_relative_to(cwd) else folder
        self._prefix = site_prefix(self.config.prefix)
        try:
            settings = load_settings(cwd=root)
            options = settings.render_options()
        except ConfigError as exc:
            raise PluginError("\n".join(format_text(i) for i in exc.issues)) from None
        except PostmortemError as exc:
            raise PluginError(f"postmortem: {exc}") from None
        if self.config.audience is not None:
            settings.set("audience", self.config.audience, "mkdocs.yml")
        self._policy = settings.policy(publish=True)
        # The site's pages are Markdown (and the PDFs, with `pdf: true`), whatever the
        # project's `formats` says for `postmortem render`.
        self._options = replace(
            options,
            formats=("md", "pdf") if self.config.pdf else ("md",),
            today=self.config.today or options.today,
        )
        self._watch = [folder] + ([settings.file] if settings.file else [])
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        # NOTE: decided here, not in on_config: other plugins (techdocs-core) add their
        # Markdown extensions in their own on_config, which may run after ours.
        options = replace(self._options, cascade=self._cascade(config))
        # The one build, as `postmortem render` runs it, into memory.
        try:
            summary = build([self._folder], self._sink, options, policy=self._policy)
        except UsageError:
            # Not a warning: a project may add the plugin before its first incident.
            log.info(f"no records (*.yaml, *.yml) in {self._folder} yet")
            summary = Summary()
            write_index([], self._sink, options, summary)
            published = [n for n in self._sink.files if n.startswith("index")]
        except PostmortemError as exc:
            raise PluginError(f"postmortem: {exc}") from None
        else:
            manifest = self._sink.manifest
            assert manifest is not None
            # The records valid now, and the index: not a record that failed this time.
            now = {*summary.rendered, *summary.unchanged}
            published = [n for i in now for n in manifest.records[i].outputs] + manifest.index
        for issue in sort_issues(summary.issues):
            # A warning, not an error: `--strict` counts it and fails the build at its end
            # (after every record is reported); a plain build goes on with the valid ones.
            log.warning(format_text(issue))
        pages = {}
        for name in published:
            data = self._sink.files[name]
            ident = name.removesuffix(".md")
            if self.config.pdf and f"{ident}.pdf" in self._sink.files and name.endswith(".md"):
                data = with_pdf_link(data, ident)
            pages[name] = data
        for name, data in sorted(pages.items()):
            self._add(files, config, self._prefix + name, data)
        return files

    def _cascade(self, config: MkDocsConfig) -> str:
        """`svg` or `mermaid`: the plugin's option, or what the site can draw."""
        if self.config.cascade != "auto":
            return self.config.cascade
        found = mermaid_renderer(config)
        if found is None:
            return "svg"
        log.debug(f"the cascade as Mermaid, which {found} draws")
        return "mermaid"

    def on_serve(
        self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        for path in self._watch:
            server.watch(str(path))
        return server

    def _add(self, files: Files, config: MkDocsConfig, uri: str, data: bytes) -> None:
        existing = files.get_file_from_path(uri)
        if existing is not None:
            if existing.is_documentation_page():
                log.warning(f"the generated page {uri} replaces {existing.src_uri} of docs_dir")
            files.remove(existing)
        files.append(File.generated(config, uri, content=data))
