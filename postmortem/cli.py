"""The `postmortem` command line: parse options, call one library function, map to an exit code.

Library modules are imported inside each command so that `--help` and `check` stay fast
(WeasyPrint alone takes half a second to import).
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from postmortem import __version__
from postmortem.errors import EXIT_INVALID, EXIT_USAGE, PostmortemError

if TYPE_CHECKING:
    from collections.abc import Callable

    from postmortem.checker import Policy
    from postmortem.config import Settings
    from postmortem.writers import Options

_F = TypeVar("_F", bound="Callable[..., Any]")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _say(text: str, *, err: bool = True) -> None:
    """Print one line that may hold foreign text (paths, values), made safe for CI logs."""
    from postmortem.diagnostics import printable

    click.echo(printable(text), err=err)


def _settings(**flags: object) -> Settings:
    """Config file and environment, then the flags that were given (not None)."""
    from postmortem.config import ConfigError, load_settings
    from postmortem.diagnostics import format_text

    try:
        settings = load_settings()
    except ConfigError as exc:
        for issue in exc.issues:
            click.echo(format_text(issue), err=True)
        sys.exit(EXIT_USAGE)
    for key, value in flags.items():
        if value is not None:
            settings.set(key, value, "command line")
    return settings


def _policy(settings: Settings) -> Policy:
    from postmortem.checker import Policy

    return Policy(timezone=settings["timezone"], severities=settings["severities"])


def _paths(paths: tuple[str, ...], settings: Settings) -> tuple[str, ...]:
    """The PATHs given, or the configured incidents folder."""
    if paths:
        return paths
    folder = settings["incidents"]
    if not Path(folder).is_dir():
        _say(
            f"Error: no PATH given, and the incidents folder {folder} "
            f"({settings.sources['incidents']}) does not exist"
        )
        sys.exit(EXIT_USAGE)
    return (str(folder),)


def _day(value: datetime | None) -> date | None:
    """The date of a `click.DateTime` option's value."""
    return value.date() if value is not None else None


class _Group(click.Group):
    """Turns library errors into `Error: …` and an exit code, at one boundary."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PostmortemError as exc:
            _say(f"Error: {exc}")
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="postmortem")
def cli() -> None:
    """Turn YAML incident records into post-mortem documents.

    \b
    Typical use:
      postmortem new aws-2021-12-07-us-east-1     # start a record in incidents/
      postmortem check incidents/                 # in pre-commit and CI
      postmortem render incidents/ -o site/       # Markdown, HTML, PDF and the index
      postmortem schema > incident.schema.json    # for editors and check-jsonschema

    Exit codes: 0 success, 1 invalid records or a failed action, 2 command-line usage error.
    """


@cli.command("check", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--format",
    "-o",
    "output_format",
    type=click.Choice(["text", "json", "github"], case_sensitive=False),
    default="text",
    show_default=True,
    help="text: PATH:LINE:COL lines; json: a list of objects; github: workflow annotations.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but the errors.")
def check_command(paths: tuple[str, ...], output_format: str, quiet: bool) -> None:
    """Check incident records against the format, reporting every error in every file.

    PATHS are record files, or folders searched recursively for *.yaml and *.yml
    (default: the configured incidents folder, `incidents`).

    \b
    Examples:
      postmortem check incidents/
      postmortem check incidents/aws-2021-12-07-us-east-1.yaml
      postmortem check --format github incidents/     # annotations in GitHub Actions
      postmortem check --format json incidents/ | jq '.[].message'

    Exit status: 0 when every record is valid, 1 when any is not, 2 on a usage error
    (including when PATHS hold no record).
    """
    from postmortem.checker import check_paths
    from postmortem.diagnostics import format_github, format_json, format_text, sort_issues

    settings = _settings()
    paths = _paths(paths, settings)
    results = check_paths(paths, _policy(settings))
    if not results:
        _say(f"Error: no *.yaml or *.yml records found in {', '.join(paths)}")
        sys.exit(EXIT_USAGE)
    issues = sort_issues(i for r in results for i in r.issues)
    if output_format == "json":
        click.echo(format_json(issues))
    else:
        fmt = format_github if output_format == "github" else format_text
        for issue in issues:
            click.echo(fmt(issue))
    bad = sum(1 for r in results if not r.ok)
    if not quiet and output_format == "text":
        errors = sum(1 for i in issues if i.severity == "error")
        summary = (
            f"{bad} of {len(results)} record(s) invalid, {errors} error(s)"
            if bad
            else f"{len(results)} record(s) valid"
        )
        click.echo(summary, err=True)
    sys.exit(EXIT_INVALID if bad else 0)


@cli.command("schema", context_settings=CONTEXT)
def schema_command() -> None:
    """Print the JSON Schema (Draft 2020-12) of the incident record format.

    Generated from the same models that `check` uses. Editors use it for completion
    and inline errors; other validators can use it too, though `check` knows more
    (cross-field rules, YAML 1.1 traps, line and column of every error).

    \b
    Examples:
      postmortem schema > incident.schema.json
      # VS Code with the YAML extension, first line of a record:
      # yaml-language-server: $schema=./incident.schema.json
      check-jsonschema --schemafile incident.schema.json incidents/*.yaml
    """
    import json

    from postmortem.model import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@cli.command("new", context_settings=CONTEXT)
@click.argument("ident", metavar="ID")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False),
    help="Folder to write ID.yaml into (created if missing; default: the incidents folder).",
)
@click.option("--title", help="The incident's one-line title.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The day the incident started (default: today).",
)
def new_command(ident: str, folder: str | None, title: str | None, day: datetime | None) -> None:
    """Write a commented skeleton record, ID.yaml, to fill in.

    The skeleton is a valid draft: it passes `check` as written, and still does once its
    TODO placeholders are replaced. An existing file is never overwritten.

    \b
    Examples:
      postmortem new db-failover-2024-03-02
      postmortem new api-outage --dir docs/incidents --title "API outage" --date 2024-03-02
    """
    from postmortem.skeleton import InvalidId, write_skeleton

    start = _day(day) or date.today()
    settings = _settings(incidents=Path(folder) if folder else None)
    severities = _policy(settings).severities
    try:
        path = write_skeleton(
            ident, Path(settings["incidents"]), title=title, day=start, severities=severities
        )
    except InvalidId as exc:
        raise click.BadParameter(str(exc), param_hint="'ID'") from None
    _say(f"wrote {path}; fill in the TODOs, then run: postmortem check {path}")


def _formats(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, ...] | None:
    from postmortem.writers import FORMATS

    if value is None:
        return None
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        from postmortem.diagnostics import printable

        raise click.BadParameter(
            f"{printable(', '.join(unknown)) or 'nothing'}: choose from {', '.join(FORMATS)}, "
            "comma-separated"
        )
    return chosen


# The options that `render` and `index` share, declared once so that both commands parse
# them alike; each command may say in its own words what the option means for it (help).
_SITE_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "output": (("-o", "--output", "outdir"), {"type": click.Path(file_okay=False)}),
    "formats": (("-f", "--formats"), {"callback": _formats}),
    "templates": (("--templates",), {"type": click.Path(exists=True, file_okay=False)}),
    "today": (
        ("--today",),
        {
            "type": click.DateTime(["%Y-%m-%d"]),
            "help": "The date that open action items are overdue against (default: today).",
        },
    ),
    "quiet": (("-q", "--quiet"), {"is_flag": True, "help": "Print nothing but errors."}),
}


def _site_option(name: str, **attrs: Any) -> Callable[[_F], _F]:
    """One of the options `render` and `index` share, with any help of the command's own."""
    declarations, shared = _SITE_OPTIONS[name]
    return click.option(*declarations, **{**shared, **attrs})


@cli.command("render", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@_site_option(
    "output", help="Folder to write <id>.md, <id>.html and <id>.pdf into (default: site)."
)
@_site_option(
    "formats", help="Comma-separated formats to write: md, html, pdf (default: all three)."
)
@_site_option(
    "templates",
    help="Folder of your own templates; each may extend the built-in one (builtin/NAME).",
)
@click.option(
    "--page-size",
    type=click.Choice(["A4", "Letter"], case_sensitive=False),
    help="PDF page size (default: A4).",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(["pdf/a-3b", "pdf/ua-1"], case_sensitive=False),
    help="pdf/a-3b: archival PDF/A-3b; pdf/ua-1: tagged PDF/UA-1 for assistive technology.",
)
@_site_option("today")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes for rendering (default: the number of CPU cores).",
)
@click.option("--force", is_flag=True, help="Re-render every record, even unchanged ones.")
@click.option(
    "--shard",
    metavar="K/N",
    callback=lambda ctx, param, value: _shard(value),
    help="Render only slice K of N (stable, by id) and no index; join with `postmortem index`.",
)
@_site_option("quiet")
@click.option("-v", "--verbose", is_flag=True, help="Name every file written or removed.")
def render_command(
    paths: tuple[str, ...],
    outdir: str | None,
    formats: tuple[str, ...] | None,
    templates: str | None,
    page_size: str | None,
    pdf_variant: str | None,
    today: datetime | None,
    jobs: int | None,
    force: bool,
    shard: tuple[int, int] | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Render incident records to Markdown, HTML and PDF.

    Records are checked first, exactly as `check` does: an invalid record is reported
    (PATH:LINE:COL on stderr) and not rendered, the valid ones still are, and the exit
    status is 1. Outputs are written atomically, and an invalid record's earlier outputs
    are left untouched. Besides one document per record, the folder gets index.html and
    index.md: every incident, trends, and the open action items.

    A manifest in the output folder (.postmortem-manifest.json) records what each output
    was made from, so a rebuild renders only what changed, and removes the outputs of
    records that no longer exist (no other file). --force renders everything.

    \b
    Examples:
      postmortem render incidents/
      postmortem render incidents/ -o public/postmortems -f html,pdf --page-size Letter
      postmortem render incidents/ --templates my-templates/   # see README, "Templates"
      SOURCE_DATE_EPOCH=1700000000 postmortem render incidents/ --today 2024-01-01
      postmortem render incidents/ -f pdf --pdf-variant pdf/a-3b   # for the archive

    Every PDF carries its record as the attachment <id>.yaml (see `postmortem extract`).
    The same record, options and version give byte-identical files; the PDF's dates come
    from SOURCE_DATE_EPOCH when set, otherwise from the record's date.
    """
    import os
    import time

    from postmortem.diagnostics import format_text, sort_issues
    from postmortem.pipeline import build

    started = time.monotonic()
    bar = _Progress(enabled=not quiet and sys.stderr.isatty() and not os.environ.get("CI"))
    settings = _settings(
        output=Path(outdir) if outdir else None,
        formats=formats,
        templates=Path(templates) if templates else None,
        page_size=("Letter" if page_size.lower() == "letter" else "A4") if page_size else None,
        today=_day(today),
    )
    paths = _paths(paths, settings)
    outdir = str(settings["output"])
    if settings["templates"] is not None and not Path(settings["templates"]).is_dir():
        _say(f"Error: the templates folder {settings['templates']} does not exist")
        sys.exit(EXIT_USAGE)
    options = _options(settings, pdf_variant)
    try:  # no records, an unusable folder, a write that fails: `Error: …` (see _Group)
        summary = build(
            paths,
            Path(outdir),
            options,
            jobs=jobs or os.cpu_count() or 1,
            force=force,
            progress=bar.update,
            shard=shard,
            policy=_policy(settings),
        )
    finally:
        bar.clear()
    for issue in sort_issues(summary.issues):
        click.echo(format_text(issue), err=True)
    if verbose:
        for path in summary.written:
            _say(f"wrote {path}")
        for path in summary.removed:
            _say(f"removed {path}")
    if not quiet:
        elapsed = time.monotonic() - started
        click.echo(
            f"rendered {len(summary.rendered)}, unchanged {len(summary.unchanged)}, "
            f"failed {len(summary.failed)} in {elapsed:.1f}s",
            err=True,
        )
    sys.exit(EXIT_INVALID if summary.failed else 0)


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        k, n = (int(part) for part in value.split("/"))
    except ValueError:
        k = n = 0
    if not 1 <= k <= n:
        raise click.BadParameter(f"{value!r}: write K/N with 1 <= K <= N, e.g. 2/4")
    return k, n


class _Progress:
    """A one-line progress bar on a terminal's stderr; silent elsewhere (CI, pipes)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.width = 0

    def update(self, done: int, total: int, current: str) -> None:
        from postmortem.diagnostics import printable

        if not self.enabled:
            return
        current = printable(current)
        filled = int(20 * done / max(total, 1))
        line = f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{total} {current}"[:100]
        self.width = max(self.width, len(line))
        click.echo("\r" + line.ljust(self.width), nl=False, err=True)

    def clear(self) -> None:
        if self.enabled and self.width:
            click.echo("\r" + " " * self.width + "\r", nl=False, err=True)


def _options(settings: Settings, pdf_variant: str | None) -> Options:
    """The render options of `render` and of `index` (which must match the shards'): one place."""
    from postmortem.writers import Options, source_date_epoch

    return Options(
        formats=settings["formats"],
        templates=settings["templates"],
        page_size=settings["page_size"],
        today=settings.today,
        source_date_epoch=source_date_epoch(),
        pdf_variant=pdf_variant.lower() if pdf_variant else None,
    )


@cli.command("index", context_settings=CONTEXT)
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@_site_option("output", help="Folder of the joined site (default: site).")
@_site_option(
    "formats", help="The formats the shards were rendered with (the index is made as md and html)."
)
@_site_option("templates", help="The templates folder the shards were rendered with.")
@_site_option("today")
@_site_option("quiet")
def index_command(
    shards: tuple[str, ...],
    outdir: str | None,
    formats: tuple[str, ...] | None,
    templates: str | None,
    today: datetime | None,
    quiet: bool,
) -> None:
    """Join the output folders of `render --shard K/N` into one site with its index.

    Copies every shard's documents into the output folder, merges their manifests and
    writes index.html and index.md. Run it in the checkout the shards were rendered from
    (the index reads the records named in the manifests). N shards joined give the same
    folder, byte for byte, as one full `postmortem render`.

    \b
    Examples:
      postmortem render incidents/ --shard 1/2 -o shard-1
      postmortem render incidents/ --shard 2/2 -o shard-2
      postmortem index shard-1 shard-2 -o site
    """
    from postmortem.diagnostics import format_text, sort_issues
    from postmortem.shards import join_shards

    settings = _settings(
        output=Path(outdir) if outdir else None,
        formats=formats,
        templates=Path(templates) if templates else None,
        today=_day(today),
    )
    outdir = str(settings["output"])
    options = _options(settings, None)
    summary = join_shards([Path(s) for s in shards], Path(outdir), options, _policy(settings))
    for issue in sort_issues(summary.issues):
        click.echo(format_text(issue), err=True)
    if not quiet:
        _say(f"joined {len(shards)} shard(s): {len(summary.unchanged)} record(s) -> {outdir}/")
    sys.exit(EXIT_INVALID if summary.failed else 0)


@cli.command("actions", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["open", "in-progress", "done", "wont-do"]),
    help="Only items with this status (repeatable). Default: open and in-progress.",
)
@click.option("--overdue", is_flag=True, help="Only open items past their due date.")
@click.option("--owner", help="Only items of this owner (case-insensitive; 'unassigned' too).")
@click.option(
    "--format",
    "-o",
    "output_format",
    type=click.Choice(["text", "json", "csv"], case_sensitive=False),
    default="text",
    show_default=True,
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date that items are overdue against (default: today).",
)
@click.option(
    "--fail-on-overdue", is_flag=True, help="Exit 1 when any listed open item is overdue."
)
def actions_command(
    paths: tuple[str, ...],
    statuses: tuple[str, ...],
    overdue: bool,
    owner: str | None,
    output_format: str,
    today: datetime | None,
    fail_on_overdue: bool,
) -> None:
    """List action items across incident records, for people and scripts.

    Overdue items come first, then by due date. Invalid records are reported on
    stderr (as `check` does) and make the exit status 1.

    \b
    Examples:
      postmortem actions incidents/
      postmortem actions incidents/ --owner payments-team --overdue
      postmortem actions incidents/ --format csv > actions.csv
      postmortem actions incidents/ --fail-on-overdue      # a CI gate

    Exit status: 0, or 1 when a record is invalid or (with --fail-on-overdue) an item
    is overdue; 2 on a usage error.
    """
    from postmortem.actions import FORMATTERS, collect
    from postmortem.checker import check_paths
    from postmortem.diagnostics import format_text, sort_issues
    from postmortem.summary import RecordSummary

    settings = _settings(today=_day(today))
    paths = _paths(paths, settings)
    results = check_paths(paths, _policy(settings))
    if not results:
        _say(f"Error: no *.yaml or *.yml records found in {', '.join(paths)}")
        sys.exit(EXIT_USAGE)
    for issue in sort_issues(i for r in results for i in r.issues):
        click.echo(format_text(issue), err=True)
    found = collect(
        [RecordSummary.of(r.incident) for r in results if r.incident is not None],
        today=settings.today,
        statuses=statuses or ("open", "in-progress"),
        overdue_only=overdue,
        owner=owner,
    )
    click.echo(FORMATTERS[output_format](found), nl=False)
    invalid = any(r.incident is None for r in results)
    late = fail_on_overdue and any(a.overdue for a in found)
    if late:
        click.echo(f"{sum(a.overdue for a in found)} overdue action item(s)", err=True)
    sys.exit(EXIT_INVALID if invalid or late else 0)


@cli.command("extract", context_settings=CONTEXT)
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write the record to, or - for stdout (default: its own name, <id>.yaml).",
)
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def extract_command(pdf: str, output: str | None, force: bool) -> None:
    """Write out the incident record embedded in a PDF that postmortem rendered.

    Every PDF from `postmortem render` carries its source record as the attachment
    <id>.yaml; this writes it back out byte for byte, so that a document found years
    later can be checked and rendered again. An existing file is not overwritten
    without --force.

    \b
    Examples:
      postmortem extract site/aws-2021-12-07-us-east-1.pdf
      postmortem extract old-report.pdf -o incidents/restored.yaml
      postmortem extract old-report.pdf -o - | postmortem check /dev/stdin
    """
    from postmortem.archive import extract_record, extract_to

    if output == "-":
        try:
            data = Path(pdf).read_bytes()
        except OSError as exc:
            raise PostmortemError(f"cannot read {pdf}: {exc.strerror}") from None
        # sys.stdout's binary layer, as click.get_binary_stream (deprecated in click 8.5) gave.
        sys.stdout.buffer.write(extract_record(data, pdf).data)
        return
    path = extract_to(Path(pdf), Path(output) if output else None, force=force)
    _say(f"wrote {path}")


@cli.command("config", context_settings=CONTEXT)
@click.option(
    "--format",
    "-o",
    "output_format",
    type=click.Choice(["text", "json"], case_sensitive=False),
    default="text",
    show_default=True,
)
def config_command(output_format: str) -> None:
    """Print the effective settings and where each came from.

    Settings come from, lowest first: the defaults; `[tool.postmortem]` in pyproject.toml
    or a postmortem.toml (the first found from this folder upwards); the environment
    (POSTMORTEM_<KEY>, e.g. POSTMORTEM_TODAY=2024-01-01); each command's flags.

    \b
    Keys: incidents, output, formats, page_size, templates, timezone, severities, today.
    Example postmortem.toml:
      incidents = "docs/incidents"
      output = "public/postmortems"
      formats = ["md", "html"]
      severities = ["SEV1", "SEV2", "SEV3"]
      timezone = "Europe/Berlin"

    \b
    Examples:
      postmortem config
      postmortem config --format json
    """
    import json

    from postmortem.config import KEYS

    settings = _settings()

    def shown(value: object) -> object:
        """None, a list (of a tuple or list), or text."""
        if value is None or isinstance(value, list):
            return value
        return list(value) if isinstance(value, tuple) else str(value)

    if output_format == "json":
        data = {
            "file": str(settings.file) if settings.file else None,
            "settings": {
                k: {"value": shown(settings[k]), "source": settings.sources[k]} for k in KEYS
            },
        }
        click.echo(json.dumps(data, indent=2))
        return
    _say(f"# config file: {settings.file or 'none found'}", err=False)
    for key in KEYS:
        value = shown(settings[key])
        text = ", ".join(value) if isinstance(value, list) else "(none)" if value is None else value
        _say(f"{key} = {text}    # {settings.sources[key]}", err=False)


def main() -> None:
    """Console-script entry point."""
    # pydantic looks for plugins through every installed distribution's entry points when
    # the first model is built: a third of `postmortem check one.yaml`. The command line
    # has no use for them (a user who wants one can still set the variable to their list).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    cli(prog_name="postmortem")
