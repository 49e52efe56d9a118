"""The README documents every setting and command (it fails when one is added silently)."""

from __future__ import annotations

import re

import pytest

from directory.settings import SETTINGS

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_in_the_readme_table(name):
    assert re.search(rf"^\| `DIRECTORY_{name}` \|", README, re.MULTILINE), name


def test_every_command_is_documented(app):
    documented = set()
    for name, command in app.cli.commands.items():
        subcommands = getattr(command, "commands", None)
        for full in [f"{name} {sub}" for sub in subcommands] if subcommands else [name]:
            documented.add(full)
            assert full in README, f"`flask {full}` is not in README.md"
    assert {"ingest", "index rebuild", "index sync", "sample", "db upgrade"} <= documented


def test_quick_start_has_exactly_two_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert [c.split()[0:2] for c in commands] == [["./dev", "serve"], ["./dev", "test"]]
