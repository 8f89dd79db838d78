"""Issue 12: --add-workspace asks for a token pair on a terminal and appends one section, nothing else."""

from __future__ import annotations

import configparser
import json
import stat
from pathlib import Path

from conftest import run_on_terminal
from remove_users import ExitStatus
from test_many_workspaces import Setup


def typed_pair(pair: dict) -> list[tuple[str, str]]:
    return [
        ("Access token (input hidden): ", pair["access_token"] + "\n"),
        ("Refresh token (input hidden): ", pair["refresh_token"] + "\n"),
        ("Client ID", "\n"),  # Enter: the access token's client_id claim
        ("Token Endpoint URL", "\n"),  # Enter: its iss claim + /token
    ]


def test_add_workspace_appends_a_section_and_keeps_every_existing_byte(run, make_fake, tmp_path):
    setup = Setup(make_fake, tmp_path)
    setup.write()
    before = setup.config.read_bytes()
    c = make_fake(people=4, workspace_id=303, workspace_name="Spring C")
    pair = c.issue_pair()
    code, screen = run_on_terminal(c, ["--config", str(setup.config), "--add-workspace", "spring-c"], typed_pair(pair))
    assert code == ExitStatus.OK, screen
    after = setup.config.read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].decode() == (
        f"\n[workspace spring-c]\n# AAC workspace Spring C (id 303), added {after.decode().split('added ')[1][:10]} by --add-workspace\n"
        f"token_file = spring-c-token.json\nworkspace_id = 303\nbase-url = {c.base_url}\n"
    )
    token_file = setup.folder / "spring-c-token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    saved = json.loads(token_file.read_text())
    assert saved["refresh_token"] == pair["refresh_token"] and saved["client_id"] == "fake-client-id"
    assert pair["access_token"] not in screen and pair["refresh_token"] not in screen  # hidden input
    assert "--config" in screen and "--workspace spring-c --dry-run" in screen
    assert c.writes() == []
    # The new section works at once, beside the old ones, and no run rewrites the file.
    result = run(None, "--config", str(setup.config), "--workspace", "spring-c", "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "Workspace: Spring C (id 303)" in result.out
    result = run(None, "--config", str(setup.config), "--all", "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert len(c.emails()) == 3  # the caller, the co-admin and [DEFAULT]'s protected student
    assert setup.config.read_bytes() == after


def test_add_workspace_creates_a_missing_config_file(make_fake, tmp_path):
    c = make_fake(people=2, workspace_id=303, workspace_name="Spring C")
    path = tmp_path / "new" / "workspaces.ini"
    path.parent.mkdir()
    code, screen = run_on_terminal(c, ["--config", str(path), "--add-workspace", "c"], typed_pair(c.issue_pair()))
    assert code == ExitStatus.OK, screen
    ini = configparser.ConfigParser()
    ini.read(path)
    assert ini["workspace c"]["workspace_id"] == "303" and ini["workspace c"]["token_file"] == "c-token.json"
    assert path.read_text().startswith("# remove_users.py:")


def test_add_workspace_refuses_a_token_whose_workspace_is_already_there(make_fake, tmp_path):
    setup = Setup(make_fake, tmp_path)
    setup.write()
    before = setup.config.read_bytes()
    code, screen = run_on_terminal(setup.a, ["--config", str(setup.config), "--add-workspace", "again"], typed_pair(setup.a.issue_pair()))
    assert code == ExitStatus.USAGE
    assert "already has as [workspace a]; nothing was added" in screen
    assert setup.config.read_bytes() == before
    assert not (setup.folder / "again-token.json").exists()


def test_add_workspace_refuses_an_existing_name_and_needs_a_terminal(run, make_fake, tmp_path):
    setup = Setup(make_fake, tmp_path)
    setup.write()
    before = setup.config.read_bytes()
    result = run(None, "--config", str(setup.config), "--add-workspace", "A")
    assert result.code == ExitStatus.USAGE and "already has [workspace a]; choose another name" in result.err
    result = run(None, "--config", str(setup.config), "--add-workspace", "c")
    assert result.code == ExitStatus.USAGE and "on a terminal" in result.err
    result = run(None, "--config", str(setup.config), "--add-workspace", "a b")
    assert result.code == ExitStatus.USAGE and "must be letters" in result.err
    result = run(None, "--add-workspace", "c")
    assert result.code == ExitStatus.USAGE and "give --config PATH" in result.err
    assert setup.config.read_bytes() == before
    assert sorted(p.name for p in setup.folder.iterdir()) == ["a-token.json", "b-token.json", "workspaces.ini"]


def test_a_refused_token_pair_that_was_renewed_is_kept(make_fake, tmp_path):
    setup = Setup(make_fake, tmp_path)
    setup.write()
    before = setup.config.read_bytes()
    pair = setup.a.issue_pair(lifetime=10)  # about to expire: renewed before the first call
    code, screen = run_on_terminal(setup.a, ["--config", str(setup.config), "--add-workspace", "again"], typed_pair(pair))
    assert code == ExitStatus.USAGE and "already has as [workspace a]" in screen
    assert setup.a.refreshes == 1
    kept = json.loads((setup.folder / "again-token.json").read_text())
    assert kept["refresh_token"] != pair["refresh_token"] and kept["refresh_token"] in setup.a.refresh_tokens
    assert "the token pair was renewed and is kept in" in screen
    assert setup.config.read_bytes() == before


def test_a_pair_given_as_json_is_added_with_no_question(make_fake, tmp_path):
    """The review page's "add a workspace": the pasted pair instead of the questions."""
    import io

    import pytest

    from remove_users import (
        Console, Terminal, UsageError, add_workspace, build_parser, pasted_token_pair,
    )

    setup = Setup(make_fake, tmp_path)
    setup.write()
    before = setup.config.read_bytes()
    c = make_fake(people=2, workspace_id=303, workspace_name="Spring C")
    pair = c.issue_pair()
    pasted = json.dumps({key: pair[key] for key in ("access_token", "refresh_token")})
    completed = pasted_token_pair(pasted)  # the Client ID and the URL from the access token
    assert completed["client_id"] == "fake-client-id" and completed["token_url"].endswith("/token")
    nobody = Console(terminal=Terminal(stdin=io.StringIO(""), stderr=io.StringIO()))
    args = build_parser().parse_args(["--config", str(setup.config), "--base-url", c.base_url])
    assert add_workspace("spring-c", args, {}, nobody, completed) == ExitStatus.OK
    assert setup.config.read_bytes().startswith(before)
    assert "[workspace spring-c]" in setup.config.read_text()
    saved = setup.folder / "spring-c-token.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["refresh_token"] == pair["refresh_token"]
    with pytest.raises(UsageError, match="not a JSON object"):
        pasted_token_pair("eyJhbGciOi.not-json")
    with pytest.raises(UsageError, match="needs the Client ID and the Token Endpoint URL"):
        pasted_token_pair(json.dumps({"access_token": "opaque-token", "refresh_token": "r-1"}))
