"""The `postmortem` command line: declare each command; its body is in `postmortem.commands`.

Each command imports its module from `postmortem.commands` only when it runs, and those
import the library inside, so that `--help` and `check` stay fast (WeasyPrint alone takes
half a second to import).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import Any

import click

from postmortem import __version__
from postmortem.commands.options import shard_option, site_option, status_option
from postmortem.errors import PostmortemError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Group(click.Group):
    """Turns library errors into `Error: …` and an exit code, at one boundary."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PostmortemError as exc:
            from postmortem.commands.common import say

            say(f"Error: {exc}")
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
@site_option("report_format")
@site_option("quiet", help="Print nothing but the errors.")
@site_option("strict", help="Warnings make the exit status 1, as errors do.")
def check_command(paths: tuple[str, ...], output_format: str, quiet: bool, strict: bool) -> None:
    """Check incident records against the format, reporting every error in every file.

    PATHS are record files, or folders searched recursively for *.yaml and *.yml
    (default: the configured incidents folder, `incidents`).

    \b
    Examples:
      postmortem check incidents/
      postmortem check incidents/aws-2021-12-07-us-east-1.yaml
      postmortem check --format github incidents/     # annotations in GitHub Actions
      postmortem check --format json incidents/ | jq '.[].message'

    A warning (a `related` id that no record of the run has, looked up when a folder
    is checked) is printed as `PATH:LINE:COL: warning: …` and fails only with --strict.

    Exit status: 0 when every record is valid, 1 when any is not (or, with --strict,
    has a warning), 2 on a usage error (including when PATHS hold no record).
    """
    from postmortem.commands import check

    check.run(paths, output_format, quiet, strict)


@cli.command("review", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@site_option("report_format")
@site_option("strict", help="Findings are errors (exit status 1), for CI.")
@site_option("quiet", help="Print nothing but the findings.")
def review_command(paths: tuple[str, ...], output_format: str, quiet: bool, strict: bool) -> None:
    """Review incident records for blameless writing, after checking them as `check` does.

    An invalid record gets check's errors and no review. A valid one gets a warning
    for each finding: blame words, a person given as a cause, a trigger without
    contributing factors, open action items with no owner or due date or no what,
    lessons with nothing under went_wrong, TODO placeholders left. Every rule, with why
    and a source, is in docs/review.md. Rules can be switched off with `review_ignore`
    in the configuration; one finding can be silenced in the record, on its line or
    alone on the line before it, with a reason:

    \b
      # postmortem: ignore[action-owner] reason: the public post-mortem names no owners

    \b
    Examples:
      postmortem review incidents/
      postmortem review --strict --format github incidents/   # a CI gate

    Exit status: 0 when every record is valid (and, with --strict, has no finding),
    1 when one is invalid or (with --strict) has a finding, 2 on a usage error.
    """
    from postmortem.commands import review

    review.run(paths, output_format, quiet, strict)


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
    from postmortem.commands import schema

    schema.run()


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
    help="The day the incident started (default: a YYYY-MM-DD in ID, else today).",
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
    from postmortem.commands import new

    new.run(ident, folder, title, day)


@cli.command("render", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@site_option("output", help="Folder to write <id>.md, <id>.html and <id>.pdf into (default: site).")
@site_option(
    "formats", help="Comma-separated formats to write: md, html, pdf (default: all three)."
)
@site_option(
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
@site_option("today")
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
    callback=shard_option,
    help="Render only slice K of N (stable, by id) and no index; join with `postmortem index`.",
)
@click.option(
    "--require-status",
    metavar="STATUS",
    callback=status_option,
    help="Publish only records at least this far along (draft < review < final); "
    "the others are errors and are not rendered.",
)
@site_option("audience")
@site_option("quiet")
@click.option("-v", "--verbose", is_flag=True, help="Name every file written or removed.")
def render_command(**options: Any) -> None:
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
      postmortem render incidents/ --require-status final   # publish finished records only
      postmortem render incidents/ --audience public -o public/   # for customers

    Every PDF carries its record as the attachment <id>.yaml (see `postmortem extract`).
    The same record, options and version give byte-identical files; the PDF's dates come
    from SOURCE_DATE_EPOCH when set, otherwise from the record's date.
    """
    from postmortem.commands import render

    render.run(**options)


@cli.command("index", context_settings=CONTEXT)
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option(
    "--records",
    "records",
    multiple=True,
    metavar="PATH",
    type=click.Path(exists=True),
    help="The records the shards were rendered from, files or folders; repeatable (default: "
    "the configured incidents folder). Only these are read, whatever a shard's manifest says.",
)
@site_option("output", help="Folder of the joined site (default: site).")
@site_option(
    "formats", help="The formats the shards were rendered with (the index is made as md and html)."
)
@site_option("templates", help="The templates folder the shards were rendered with.")
@site_option("today")
@site_option("audience", help="The audience the shards were rendered for (default: internal).")
@site_option("quiet")
def index_command(**options: Any) -> None:
    """Join the output folders of `render --shard K/N` into one site with its index.

    Copies every shard's documents into the output folder, merges their manifests and
    writes index.html and index.md. Run it in the checkout the shards were rendered from:
    the index reads the records again, those under --records (default: the configured
    incidents folder) and no others. N shards joined give the same folder, byte for byte,
    as one full `postmortem render`.

    \b
    Examples:
      postmortem render incidents/ --shard 1/2 -o shard-1
      postmortem render incidents/ --shard 2/2 -o shard-2
      postmortem index shard-1 shard-2 -o site
    """
    from postmortem.commands import index

    index.run(**options)


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
@site_option("audience", help="public: only the items (and wordings) the records make public.")
def actions_command(**options: Any) -> None:
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
    from postmortem.commands import actions

    actions.run(**options)


@cli.command("extract", context_settings=CONTEXT)
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write the record to, or - for stdout (default: its own name, <id>.yaml).",
)
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@site_option(
    "audience",
    help="public: write the record's public rendition (what `render --audience public` "
    "attaches) instead of the record as embedded.",
)
def extract_command(pdf: str, output: str | None, force: bool, audience: str | None) -> None:
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
      postmortem extract site/full.pdf --audience public -o public.yaml
    """
    from postmortem.commands import extract

    extract.run(pdf, output, force, audience)


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
    Keys: incidents, output, formats, page_size, templates, timezone, severities, today,
      review_ignore, require_status.
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
    from postmortem.commands import config

    config.run(output_format)


def main() -> None:
    """Console-script entry point."""
    # pydantic looks for plugins through every installed distribution's entry points when
    # the first model is built: a third of `postmortem check one.yaml`. The command line
    # has no use for them (a user who wants one can still set the variable to their list).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    cli(prog_name="postmortem")
