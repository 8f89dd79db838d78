"""Issue 10, item 7: --help fits 80 columns, opens on who goes and who stays, ends with three
examples; with --json an argument error is one JSON document too."""

from __future__ import annotations

import json

import pytest

import remove_users
from remove_users import ExitStatus


@pytest.fixture
def help_text(capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal must not widen the help
    assert remove_users.main(["--help"], environ={}) == ExitStatus.OK
    return capsys.readouterr().out


def test_help_fits_80_columns(help_text):
    too_wide = [line for line in help_text.splitlines() if len(line) > 80]
    assert too_wide == []


def test_help_opens_on_who_goes_and_who_stays(help_text):
    headings = [line for line in help_text.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert headings[:5] == ["who goes and who stays:", "running:", "connection:", "many workspaces (one config file):", "output:"]
    description = help_text.split("\n\n")[1:3]
    assert description[1].startswith("Who goes and who stays: everyone goes except the protected emails")


def test_help_ends_with_three_examples(help_text):
    examples = help_text.rstrip().split("\nexamples:\n")[1]
    assert examples == remove_users.HELP_EXAMPLES.split("examples:\n")[1].rstrip()
    commands = []  # each example's command: its lines indented by 4, joined
    for line in examples.splitlines():
        if line.startswith("    "):
            commands[-1] += " " + line.strip() if commands[-1] else line.strip()
        elif not commands or commands[-1]:  # a description, of one line or more
            commands.append("")
    assert len(commands) == 3 and all("remove_users.py " in c for c in commands)
    assert commands[0].endswith("--dry-run")
    assert "--dry-run" not in commands[1]  # the real run
    assert commands[2].startswith("0 18 20 12 * ")  # cron, as the README's cron lines are:
    assert " flock -n " in commands[2] and " --yes " in commands[2] and "| mail " in commands[2]


@pytest.mark.parametrize("argv", [["--bogus", "--json"], ["--json", "--concurrency", "many"], ["--js", "--timeout"]])
def test_json_covers_argument_errors(run, argv):
    result = run(None, *argv)
    assert result.code == ExitStatus.USAGE
    doc = json.loads(result.out)  # exactly one document on stdout
    assert doc["exit_code"] == 2 and doc["format"] == "remove_users.result/1"
    assert result.err == f"remove_users: error: {doc['error']}\n"


def test_argument_errors_without_json_keep_the_usage_line(run):
    result = run(None, "--concurrency", "many")
    assert result.code == ExitStatus.USAGE and result.out == ""
    assert result.err.startswith("usage: remove_users.py ")
    assert result.err.endswith("remove_users: error: argument --concurrency: invalid int value: 'many'\n")
