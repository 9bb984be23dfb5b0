"""The body of each `postmortem` command, one module per command.

`postmortem.cli` declares the commands (options, help) and imports a module from here
only when its command runs, so that `--help` and `check` stay fast.
"""
