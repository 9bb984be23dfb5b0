"""Record text in Markdown that no Markdown preprocessor acts on.

Some Python-Markdown extensions are preprocessors: they read the page as raw text, line by
line, before Python-Markdown knows what is code or text. mkdocs-techdocs-core (Backstage)
turns on four of them: pymdownx.snippets pastes a file for a line `--8<-- "name"` (its base
is the build's folder, where `.git/config` may hold the CI's token), pymdownx.critic turns
`{++a++}`, `{--a--}`, `{~~a~>b~~}`, `{==a==}`, `{>>a<<}` into edits anywhere (across
lines), plantuml_markdown runs `::uml::` … `::end-uml::` and markdown_inline_graphviz
`{% dot name` … `%}`. So the Markdown writer never writes what they act on:

- In text, `<` is always `&lt;` (no snippet line), `{` is `&#123;` (no critic mark, no
  graphviz block) and no `::` is left (`&#58;` for each `:` before a `:`; no PlantUML
  block): entities every reader shows as the characters themselves. Link destinations
  %-encode `{`. (The same escaper keeps pymdownx's inline extensions off record text:
  writers/markdown_out.py.)
- A code span is verbatim, so one holding a critic mark (`{++`) is written as one line of
  inline HTML, `<code>…</code>`. The snippet, PlantUML and graphviz patterns need the line
  to start with their mark, and a code span's line starts with a backtick (or the
  template's text before it).
- A block of code is verbatim too, and its lines start wherever the record says. It is
  written as ONE line of HTML, `<pre><code>…</code></pre>`, with every ASCII punctuation
  character and each line break as a character reference (`&#10;`): no preprocessor and
  no inline rule of any reader finds a mark in it. markdown-it (CommonMark, GitHub,
  GitLab) reads it as an HTML block at any depth; Python-Markdown stashes it as raw HTML
  at the top level and passes it as inline HTML inside a list item or a quote
  (`<li><p><pre>…`, which a browser shows as the same block). Indented code, which we
  wrote before, cannot be escaped at all, and a fence is not code to Python-Markdown
  inside a list.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character: none is left for a mark of any reader or extension.
PUNCTUATION = r"!-/:-@\[-`{-~"
# Every character but \n that `str.splitlines` (and so Jinja's `indent`) or a Markdown
# renderer ends a line at. None may reach the output as itself: where a template indents
# or a renderer splits, it would start a line no escape has looked at. The two Unicode
# separators become references (read back as themselves); the control characters have no
# reference that every reader reads back (HTML reads `&#133;` as windows-1252's `…`) and
# become spaces, as a reference (a plain one could leave a line blank, or a list marker
# alone on its line). The same in text and in code.
BREAKS = {"\u2028": "&#8232;", "\u2029": "&#8233;"}
BREAKS |= dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x85", "&#32;")
_REFERENCED = re.compile(f"[\n{PUNCTUATION}]")
_BREAK_REFERENCES = {ord(k): v for k, v in BREAKS.items()}
# A critic mark's opening: the one thing a code span could carry to a preprocessor.
CRITIC_OPEN = re.compile(r"\{(?:\+\+|--|==|>>|~~)")


def references(text: str) -> str:
    """`text` as HTML of one line: ASCII punctuation and line breaks as references."""
    text = _REFERENCED.sub(lambda m: f"&#{ord(m.group())};", text)
    return text.translate(_BREAK_REFERENCES)


def code_html(code: str) -> str:
    """A code span as one line of inline HTML that no preprocessor reads."""
    return f"<code>{references(code)}</code>"


def code_block_html(code: str) -> str:
    """A block of code as one line of HTML that no preprocessor reads."""
    return f"<pre><code>{references(code)}</code></pre>"
