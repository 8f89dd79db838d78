"""Issue 10, item 2: the README installs into a virtual environment (Linux/macOS and PowerShell),
and .ci/run runs the README's install and test commands word for word."""

from __future__ import annotations

import re

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def code_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```\w*\n(.*?)```", text, re.S)]


def test_install_is_a_virtual_environment_in_both_forms():
    blocks = code_blocks(section("Install"))
    assert blocks[0] == "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt"
    assert blocks[1].splitlines() == ["py -m venv .venv", ".venv\\Scripts\\Activate.ps1", "pip install -r requirements.txt"]


def test_ci_runs_the_readme_install_and_test_commands_word_for_word():
    install = code_blocks(section("Install"))[0]
    (test_command,) = code_blocks(section("Running the tests"))
    commands = [line for line in CI.splitlines() if line and not line.startswith(("#", " ")) and "apt-get" not in line]
    assert commands[-2:] == [install, test_command]


def test_scheduled_runs_name_the_environments_python():
    cron = section("Running it from cron")
    assert "python3 " not in cron and cron.count(".venv/bin/python") >= 3
    assert "C:\\aac\\.venv\\Scripts\\python.exe" in section("Running it from Windows Task Scheduler")
