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
    real = tool(variables, "--exclude", "ta@uni.edu", "--yes", "--report", "r.csv", cwd=tmp_path)
    assert real.returncode == ExitStatus.SOME_FAILED
    assert "FAILED owner@uni.edu" in real.stderr and "HTTP 403: Cannot remove the workspace owner" in real.stderr
    outcomes = {row["email"]: row["outcome"] for row in read_report(tmp_path / "r.csv")}
    assert outcomes.pop("owner@uni.edu") == "failed"
    assert set(outcomes.values()) == {"removed"} and len(outcomes) == 32  # 30 students, the archive account, Jane


def test_the_sandbox_rehearses_refresh_and_transient_faults(sandbox, tmp_path):
    token_file = tmp_path / "sandbox-token.json"
    variables = sandbox("--people", "40", "--token-file", str(token_file), "--token-uses", "20", "--faults", "0.1")
    first = json.loads(token_file.read_text())["refresh_token"]
    result = tool(variables, "--exclude", "owner@uni.edu,ta@uni.edu", "--yes", "--report", "r.csv", cwd=tmp_path)
    assert result.returncode == ExitStatus.OK, result.stderr
    assert "Refreshed the access token" in result.stderr
    assert json.loads(token_file.read_text())["refresh_token"] != first
    assert {row["outcome"] for row in read_report(tmp_path / "r.csv")} == {"removed"}
    assert "Summary: removed 42, already gone 0, failed 0" in result.stdout


def test_the_sandbox_never_overwrites_a_token_file_it_did_not_write(sandbox, tmp_path):
    # The README says to start it with a recipe's token file: that name may hold a real pair.
    mine = tmp_path / "fall-token.json"
    mine.write_text('{"access_token": "placeholder", "refresh_token": "placeholder"}')
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fake_aac.py"), "--token-file", str(mine)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 2 and "is not a token file a fake wrote" in proc.stderr
    assert json.loads(mine.read_text())["refresh_token"] == "placeholder"
    ours = tmp_path / "sandbox-token.json"
    sandbox("--people", "1", "--token-file", str(ours))
    first = json.loads(ours.read_text())["refresh_token"]
    sandbox("--people", "1", "--token-file", str(ours))  # a fake restarted over its own file
    assert json.loads(ours.read_text())["refresh_token"] != first



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
    result = tool(
        variables, "--suspended-days", "30", "--allow-unknown-admins", "--yes", "--json", cwd=tmp_path
    )
    assert result.returncode == ExitStatus.OK, result.stderr
    assert json.loads(result.stdout)["counts"].get("removed", 0) == gone
    assert ("no member shows as suspended" in result.stderr) is (gone == 0)
