"""Issue 10, item 9: `python tests/fake_aac.py` is a sandbox that can rehearse every feature:
varied last logins, co-admins, an owner whose removal is refused, a refreshing token file,
a rate limit and transient faults."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SCRIPT, clean_env, read_report
from remove_users import ExitStatus


@pytest.fixture
def sandbox(tmp_path: Path):
    started = []

    def start(*args: str) -> dict[str, str]:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "fake_aac.py"), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=tmp_path,
        )
        started.append(proc)
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C stops"):
                break
        printed = "".join(lines)
        export = next(line for line in lines if line.strip().startswith("export "))
        assert "$env:AAC_BASE_URL = " in printed  # the PowerShell form too
        return dict(re.findall(r"(AAC_\w+)='([^']*)'", export))

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


def tool(variables: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, SCRIPT, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**clean_env(), **variables},
        cwd=cwd,
        timeout=120,
    )


def test_the_sandbox_has_varied_logins_admins_and_an_owner(sandbox, tmp_path):
    variables = sandbox("--people", "30")
    dry = tool(variables, "--inactive-days", "90", "--dry-run", "--json", cwd=tmp_path)
    assert dry.returncode == ExitStatus.OK, dry.stderr
    kept = json.loads(dry.stdout)["counts"]["kept_by_reason"]
    assert kept["admin"] == 2 and kept["the caller (you)"] == 1
    assert kept["logged in recently"] >= 10 and kept["never logged in"] >= 3
    real = tool(variables, "--exclude", "ta@example.edu", "--yes", "--report", "r.csv", cwd=tmp_path)
    assert real.returncode == ExitStatus.SOME_FAILED
    assert "FAILED owner@example.edu" in real.stderr and "HTTP 403: Cannot remove the workspace owner" in real.stderr
    outcomes = {row["email"]: row["outcome"] for row in read_report(tmp_path / "r.csv")}
    assert outcomes.pop("owner@example.edu") == "failed"
    assert set(outcomes.values()) == {"removed"} and len(outcomes) == 31  # 30 students and the archive account


def test_the_sandbox_rehearses_refresh_and_transient_faults(sandbox, tmp_path):
    token_file = tmp_path / "sandbox-token.json"
    variables = sandbox("--people", "40", "--token-file", str(token_file), "--token-uses", "20", "--faults", "0.1")
    first = json.loads(token_file.read_text())["refresh_token"]
    result = tool(variables, "--exclude", "owner@example.edu,ta@example.edu", "--yes", "--report", "r.csv", cwd=tmp_path)
    assert result.returncode == ExitStatus.OK, result.stderr
    assert "Refreshed the access token" in result.stderr
    assert json.loads(token_file.read_text())["refresh_token"] != first
    assert {row["outcome"] for row in read_report(tmp_path / "r.csv")} == {"removed"}
    assert "Summary: removed 41, already gone 0, failed 0" in result.stdout


def test_two_sandboxes_rehearse_many_workspaces(sandbox, tmp_path):
    first = sandbox("--people", "3", "--workspace-id", "4242", "--workspace-name", "Stats 101 Fall")
    second = sandbox("--people", "3", "--workspace-id", "4243", "--workspace-name", "Stats 102 Fall")
    one = json.loads(tool(first, "--dry-run", "--no-protected-emails", "--json", cwd=tmp_path).stdout)["workspace"]
    two = json.loads(tool(second, "--dry-run", "--no-protected-emails", "--json", cwd=tmp_path).stdout)["workspace"]
    assert one == {"id": 4242, "name": "Stats 101 Fall"} and two == {"id": 4243, "name": "Stats 102 Fall"}


def test_the_readme_suggests_what_the_sandbox_suggests():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fake_aac.py"), "--help"], capture_output=True, text=True, timeout=30
    )
    assert "--workspace-id" in proc.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "$env:AAC_BASE_URL = 'http://127.0.0.1:<the port it printed>'" in readme  # a free port unless --port
    assert "python remove_users.py --exclude ta@example.edu --dry-run" in readme
    source = (ROOT / "tests" / "fake_aac.py").read_text(encoding="utf-8")
    assert 'print("  python remove_users.py --exclude ta@example.edu --dry-run")' in source


@pytest.mark.parametrize(
    "switches, gone",
    [
        ((), 0),  # the default: no listing shows a suspended member, so nobody is chosen
        (("--show-suspended", "--suspended-as", "state", "--state-change-moves"), 4),
    ],
)
def test_the_sandbox_rehearses_a_grace_removal_under_its_suspension_switches(
    sandbox, tmp_path, switches, gone
):
    suspended = ("--suspended", "4", "--suspended-days-ago", "40")
    variables = sandbox("--people", "6", *suspended, *switches)
    result = tool(variables, "--suspended-days", "30", "--yes", "--json", cwd=tmp_path)
    assert result.returncode == ExitStatus.OK, result.stderr
    assert json.loads(result.stdout)["counts"].get("removed", 0) == gone
    assert ("no member shows as suspended" in result.stderr) is (gone == 0)
