"""The `postmortem` command line: parse options, call one library function, map to an exit code.

Library modules are imported inside each command so that `--help` and `check` stay fast
(WeasyPrint alone takes half a second to import).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from postmortem import __version__
from postmortem.errors import EXIT_INVALID, EXIT_USAGE, PostmortemError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Group(click.Group):
    """Turns library errors into `Error: …` and an exit code, at one boundary."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PostmortemError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="postmortem")
def cli() -> None:
    """Turn YAML incident records into post-mortem documents.

    \b
    Typical use:
      postmortem new aws-2021-12-07-us-east-1     # start a record in incidents/
      postmortem check incidents/                 # in pre-commit and CI
      postmortem schema > incident.schema.json    # for editors and check-jsonschema

    Exit codes: 0 success, 1 invalid records or a failed action, 2 command-line usage error.
    """


@cli.command("check", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--format",
    "-o",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: PATH:LINE:COL lines; json: a list of objects; github: workflow annotations.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but the errors.")
def check_command(paths: tuple[str, ...], output_format: str, quiet: bool) -> None:
    """Check incident records against the format, reporting every error in every file.

    PATHS are record files, or folders searched recursively for *.yaml and *.yml.

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

    results = check_paths(paths)
    if not results:
        click.echo(f"Error: no *.yaml or *.yml records found in {', '.join(paths)}", err=True)
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
    default="incidents",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to write ID.yaml into (created if missing).",
)
@click.option("--title", help="The incident's one-line title.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The day the incident started (default: today).",
)
def new_command(ident: str, folder: str, title: str | None, day: object) -> None:
    """Write a commented skeleton record, ID.yaml, to fill in.

    The skeleton is a valid draft: it passes `check` as written, and still does once its
    TODO placeholders are replaced. An existing file is never overwritten.

    \b
    Examples:
      postmortem new db-failover-2024-03-02
      postmortem new api-outage --dir docs/incidents --title "API outage" --date 2024-03-02
    """
    from postmortem.skeleton import write_skeleton

    start = day.date() if day is not None else date.today()  # type: ignore[attr-defined]
    path = write_skeleton(ident, Path(folder), title=title, day=start)
    click.echo(f"wrote {path}; fill in the TODOs, then run: postmortem check {path}", err=True)


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    from postmortem.render import FORMATS

    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(FORMATS)}, comma-separated"
        )
    return chosen


@cli.command("render", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "-o",
    "--output",
    "outdir",
    default="site",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to write <id>.md, <id>.html and <id>.pdf into.",
)
@click.option(
    "-f",
    "--formats",
    default="md,html,pdf",
    show_default=True,
    callback=_formats,
    help="Comma-separated formats to write: md, html, pdf.",
)
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False),
    help="Folder of your own templates; each may extend the built-in one (builtin/NAME).",
)
@click.option(
    "--page-size",
    type=click.Choice(["A4", "Letter"], case_sensitive=False),
    default="A4",
    show_default=True,
    help="PDF page size.",
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date that open action items are overdue against (default: today).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="Name every file written.")
def render_command(
    paths: tuple[str, ...],
    outdir: str,
    formats: tuple[str, ...],
    templates: str | None,
    page_size: str,
    today: object,
    quiet: bool,
    verbose: bool,
) -> None:
    """Render incident records to Markdown, HTML and PDF.

    Records are checked first, exactly as `check` does: an invalid record is reported
    (PATH:LINE:COL on stderr) and not rendered, the valid ones still are, and the exit
    status is 1. Outputs are written atomically, and an invalid record's earlier outputs
    are left untouched.

    \b
    Examples:
      postmortem render incidents/
      postmortem render incidents/ -o public/postmortems -f html,pdf --page-size Letter
      postmortem render incidents/ --templates my-templates/   # see README, "Templates"
      SOURCE_DATE_EPOCH=1700000000 postmortem render incidents/ --today 2024-01-01

    The same record, options and version give byte-identical files; the PDF's dates come
    from SOURCE_DATE_EPOCH when set, otherwise from the record's date.
    """
    import time

    from postmortem.diagnostics import format_text, sort_issues
    from postmortem.render import Options, source_date_epoch
    from postmortem.site import render_paths

    started = time.monotonic()
    options = Options(
        formats=formats,
        templates=Path(templates) if templates else None,
        page_size="Letter" if page_size.lower() == "letter" else "A4",
        today=today.date() if today is not None else date.today(),  # type: ignore[attr-defined]
        source_date_epoch=source_date_epoch(),
    )
    summary = render_paths(paths, Path(outdir), options)
    if not summary.rendered and not summary.failed:
        click.echo(f"Error: no *.yaml or *.yml records found in {', '.join(paths)}", err=True)
        sys.exit(EXIT_USAGE)
    for issue in sort_issues(summary.issues):
        click.echo(format_text(issue), err=True)
    if verbose:
        for path in summary.written:
            click.echo(f"wrote {path}", err=True)
    if not quiet:
        elapsed = time.monotonic() - started
        click.echo(
            f"rendered {len(summary.rendered)}, failed {len(summary.failed)} "
            f"in {elapsed:.1f}s -> {outdir}/",
            err=True,
        )
    sys.exit(EXIT_INVALID if summary.failed else 0)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="postmortem")
