"""Issue 5: prompts for admins who don't write Python, tested on a real pseudo-terminal."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from conftest import SCRIPT, run_on_terminal
from remove_users import ExitStatus


def test_plain_run_on_a_terminal_asks_for_everything(make_fake, tmp_path: Path):
    fake = make_fake(people=5)
    token = fake.issue_access_token()
    code, screen = run_on_terminal(
        fake,
        ["--report", str(tmp_path / "r.csv")],
        [
            ("AAC access token", token + "\n"),
            ("Protected email (blank to finish): ", "student00001.example.edu\n"),
            ("type it again", "Student00001@example.edu\n"),
            ("Protected email (blank to finish): ", "\n"),
            ("Type the workspace name", "Fall 2026 Data Science\n"),
        ],
    )
    assert code == ExitStatus.OK, screen
    assert token not in screen  # hidden input, and never echoed back
    assert "input hidden" in screen
    assert "'student00001.example.edu' is not a well-formed email" in screen
    assert sorted(fake.emails()) == ["admin@example.edu", "coadmin1@example.edu", "student00001@example.edu"]


def test_off_a_terminal_it_never_prompts(make_fake):
    fake = make_fake(people=2)
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--base-url", fake.base_url, "--dry-run"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == ExitStatus.USAGE
    assert "AAC_ACCESS_TOKEN" in proc.stderr and "input hidden" not in proc.stderr
    assert fake.requests == []


def test_yes_on_a_terminal_does_not_ask_for_protected_emails(make_fake):
    fake = make_fake(people=2)
    code, screen = run_on_terminal(fake, ["--token", fake.issue_access_token(), "--yes", "--no-protected-emails"], [])
    assert code == ExitStatus.OK, screen
    assert "Protected email" not in screen
    assert len(fake.people) == 2


def test_init_token_file_writes_a_private_file_the_tool_then_uses(make_fake, tmp_path: Path):
    fake = make_fake(people=3)
    pair = fake.issue_pair()
    path = tmp_path / "aac-token.json"
    code, screen = run_on_terminal(
        None,
        ["--init-token-file", str(path)],
        [
            ("Access token (input hidden): ", pair["access_token"] + "\n"),
            ("Refresh token (input hidden): ", pair["refresh_token"] + "\n"),
            ("Client ID (Enter for fake-client-id", "\n"),
            ("Token Endpoint URL (Enter for", "\n"),
        ],
    )
    assert code == ExitStatus.OK, screen
    assert pair["access_token"] not in screen and pair["refresh_token"] not in screen
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data == {
        "access_token": pair["access_token"],
        "refresh_token": pair["refresh_token"],
        "client_id": "fake-client-id",
        "token_url": fake.base_url + "/as/token",
    }
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--base-url", fake.base_url, "--token-file", str(path), "--dry-run"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == ExitStatus.OK and "Members: 5" in proc.stdout


def test_init_token_file_refuses_to_overwrite(tmp_path: Path):
    path = tmp_path / "aac-token.json"
    path.write_text("{}")
    code, screen = run_on_terminal(None, ["--init-token-file", str(path)], [])
    assert code == ExitStatus.USAGE and "will not overwrite" in screen
    assert path.read_text() == "{}"


def test_init_token_file_needs_a_terminal(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--init-token-file", str(tmp_path / "t.json")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == ExitStatus.USAGE and "terminal" in proc.stderr
    assert not (tmp_path / "t.json").exists()
