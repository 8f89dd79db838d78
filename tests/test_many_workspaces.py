"""Issue 12: many workspaces from one INI config file, each run in turn with its own token."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from conftest import pair_file, read_report
from fake_aac import FakeAAC
from remove_users import ExitStatus

KEEP = "student00001@example.edu"


class Setup:
    """Two fake workspaces (two servers, each with its own token) and a config file naming both."""

    def __init__(self, make_fake, tmp_path: Path, *, lifetime: int = 3600, a_people: int = 5, b_people: int = 7) -> None:
        self.folder = tmp_path / "aac"
        self.folder.mkdir()
        self.a: FakeAAC = make_fake(people=a_people, workspace_id=101, workspace_name="Fall A")
        self.b: FakeAAC = make_fake(people=b_people, workspace_id=202, workspace_name="Fall B")
        self.token_a = pair_file(self.a, self.folder, lifetime, name="a-token.json")
        self.token_b = pair_file(self.b, self.folder, lifetime, name="b-token.json")
        self.config = self.folder / "workspaces.ini"

    def write(self, defaults: str = "", a: str = "", b: str = "") -> Path:
        self.config.write_text(
            "# Our class workspaces; comments must survive every run.\n"
            f"[DEFAULT]\nexclude = {KEEP}\n{defaults}\n"
            f"[workspace a]\n; the autumn section\nbase-url = {self.a.base_url}\ntoken_file = a-token.json\nworkspace_id = 101\n{a}\n"
            f"[workspace b]\nbase-url = {self.b.base_url}\ntoken_file = b-token.json\nworkspace_id = 202\n{b}\n"
        )
        return self.config


@pytest.fixture
def two(make_fake, tmp_path) -> Setup:
    setup = Setup(make_fake, tmp_path)
    setup.write()
    return setup


def test_all_runs_every_workspace_with_its_own_token_and_report(run, two, tmp_path):
    before = two.config.read_bytes()
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.OK, result.err
    # Each workspace keeps the caller, its co-admin and the protected student from [DEFAULT].
    assert two.a.emails() == {"admin@example.edu", "coadmin1@example.edu", KEEP}
    assert two.b.emails() == {"admin@example.edu", "coadmin1@example.edu", KEEP}
    # Each server saw only its own token.
    for fake, token in ((two.a, two.token_a), (two.b, two.token_b)):
        access = json.loads(token.read_text())["access_token"]
        assert {r.authorization for r in fake.requests} == {f"Bearer {access}"}
    reports = sorted(p.name for p in Path.cwd().glob("remove_users-*.csv"))
    assert [name.rsplit("-", 1)[0] for name in reports] == ["remove_users-a-101", "remove_users-b-202"]
    assert len(read_report(next(Path.cwd().glob("remove_users-b-202-*.csv")))) == 6
    # The closing table: one row per workspace with its counts and exit code.
    table = result.out[result.out.index("workspace  members") :].splitlines()
    assert table[1].split() == ["a", "7", "4", "0", "3", "0"]
    assert table[2].split() == ["b", "9", "6", "0", "3", "0"]
    assert two.config.read_bytes() == before


def test_a_swapped_token_file_stops_that_workspace_only(run, make_fake, tmp_path):
    setup = Setup(make_fake, tmp_path)
    # In AAC every workspace is on the same host and the token alone picks the workspace. Here each
    # fake server is one workspace, so section a, holding b's token file, reaches b's server.
    setup.write()
    text = setup.config.read_text().replace("token_file = a-token.json", "token_file = b-token.json", 1)
    setup.config.write_text(text.replace(f"base-url = {setup.a.base_url}", f"base-url = {setup.b.base_url}", 1))
    result = run(None, "--config", str(setup.config), "--all", "--yes")
    assert result.code == ExitStatus.SAFETY_STOP
    assert "the token is for workspace Fall B (id 202), but its config section says workspace_id = 101" in result.err
    # Workspace b itself still ran, and every removal on b's server came from b's own run.
    assert setup.b.emails() == {"admin@example.edu", "coadmin1@example.edu", KEEP}
    assert setup.b.count("DELETE") == 6
    assert setup.a.requests == []
    assert result.out.count("=== [workspace") == 2
    rows = {line.split()[0]: line.split() for line in result.out.splitlines()[-2:]}
    assert rows["a"][-1] == "4" and rows["b"][-1] == "0"


def test_one_failing_workspace_does_not_stop_the_others(run, two):
    victim = two.a.id_of("student00003@example.edu")
    two.a.add_fault(method="DELETE", person_id=victim, status=403, message="Cannot remove the workspace owner")
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.SOME_FAILED
    assert "student00003@example.edu" in two.a.emails()
    assert two.b.emails() == {"admin@example.edu", "coadmin1@example.edu", KEEP}
    rows = {line.split()[0]: line.split() for line in result.out.splitlines()[-2:]}
    assert rows["a"] == ["a", "7", "3", "1", "3", "3"]


def test_the_most_serious_exit_code_wins(run, two):
    two.b.add_fault(method="GET", path="/v4/people$", status=403, message="No admin rights")  # exit 1
    two.a.add_fault(method="DELETE", person_id=two.a.id_of("student00002@example.edu"), status=403)  # exit 3
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.ERROR
    assert two.a.count("DELETE") == 4  # a ran to its end


def test_stop_on_error_leaves_the_rest_unrun(run, two):
    two.a.add_fault(method="DELETE", person_id=two.a.id_of("student00002@example.edu"), status=403)
    result = run(None, "--config", str(two.config), "--all", "--yes", "--stop-on-error")
    assert result.code == ExitStatus.SOME_FAILED
    assert two.b.requests == []
    assert result.out.splitlines()[-1].split() == ["b", "-", "-", "-", "-", "not", "run"]


def test_a_dry_run_table_shows_the_exit_code_each_real_run_would_have(run, two):
    # Item 4 of issue 21: a cap that stops a workspace's real run is its 4 in the dry run's table,
    # while the dry run itself, which ran fine, still exits 0 (as a single workspace's does).
    two.write(a="max-remove = 2")  # a plans 4 removals
    result = run(None, "--config", str(two.config), "--all", "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert two.a.writes() == [] and two.b.writes() == []
    table = result.out[result.out.index("workspace  members") :].splitlines()
    assert table[0].split()[-2:] == ["would", "exit"]
    assert table[1].split() == ["a", "7", "4", "-", "3", "4"]
    assert table[2].split() == ["b", "9", "6", "-", "3", "0"]
    assert "the real run would stop here: the plan removes 4 people, more than --max-remove 2" in result.err
    doc = json.loads(run(None, "--config", str(two.config), "--all", "--dry-run", "--json").out)
    assert doc["exit_code"] == 0
    assert [(ws["exit_code"], ws["real_run_exit_code"]) for ws in doc["workspaces"]] == [(0, 4), (0, 0)]
    # The real run does what the table said.
    real = run(None, "--config", str(two.config), "--all", "--yes")
    assert real.code == ExitStatus.SAFETY_STOP
    rows = {line.split()[0]: line.split() for line in real.out.splitlines()[-2:]}
    assert rows["a"][-1] == "4" and rows["b"][-1] == "0"
    assert len(two.a.emails()) == 7 and len(two.b.emails()) == 3


def test_workspace_picks_sections_in_the_order_given(run, two):
    result = run(None, "--config", str(two.config), "--workspace", "b", "--dry-run")
    assert result.code == ExitStatus.OK
    assert two.a.requests == [] and two.b.writes() == []
    assert "Workspace: Fall B (id 202)" in result.out and "Dry run: nothing was changed." in result.out
    result = run(None, "--config", str(two.config), "--workspace", "b", "--workspace", "a", "--dry-run")
    assert result.out.index("Fall B") < result.out.index("Fall A")
    assert "to remove" in result.out.splitlines()[-3]


def test_config_from_the_environment(run, two):
    result = run(None, "--workspace", "a", "--dry-run", env={"AAC_CONFIG": str(two.config)})
    assert result.code == ExitStatus.OK
    assert "Workspace: Fall A (id 101)" in result.out


def test_flags_override_the_file_and_protected_lists_add_up(run, two):
    two.write(defaults="max-remove = 2")
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.SAFETY_STOP
    assert "more than --max-remove 2" in result.err
    assert two.a.writes() == [] and two.b.writes() == []
    # The command line beats [DEFAULT]; --exclude adds to the file's protected emails.
    result = run(None, "--config", str(two.config), "--all", "--yes", "--max-remove", "50", "--exclude", "student00002@example.edu")
    assert result.code == ExitStatus.OK, result.err
    assert two.a.emails() == {"admin@example.edu", "coadmin1@example.edu", KEEP, "student00002@example.edu"}


def test_a_section_overrides_default_and_paths_are_relative_to_the_config(run, two):
    (two.folder / "keep-b.txt").write_text("student00004@example.edu\n")
    two.write(defaults="max-remove = 2", b="max-remove = 10\nexclude-file = keep-b.txt\nreport = logs/b.csv")
    (two.folder / "logs").mkdir()
    result = run(None, "--config", str(two.config), "--workspace", "b", "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert {KEEP, "student00004@example.edu"} <= two.b.emails()  # [DEFAULT]'s exclude and the section's file
    assert len(read_report(two.folder / "logs" / "b.csv")) == 5


@pytest.mark.parametrize(
    "defaults, section, words",
    [
        ("max_remov = 3", "", ["[DEFAULT] max_remov", "unknown key"]),
        ("", "yes = true", ["[workspace a] yes", "command line only"]),
        ("", "concurrency = many", ["[workspace a] concurrency = 'many'", "not a valid number"]),
        ("include-admins = maybe", "", ["[DEFAULT] include-admins = 'maybe'", "true or false"]),
        ("token_file = a-token.json", "", ["[DEFAULT]", "token_file belongs in each [workspace NAME] section"]),
        ("", "concurrency = 99", ["[workspace a]", "--concurrency must be between 1 and 32"]),
        ("", "exclude-file = missing.txt", ["[workspace a]", "cannot read", "missing.txt"]),
    ],
)
def test_bad_keys_and_values_exit_2_before_any_request(run, two, defaults, section, words):
    two.write(defaults=defaults, a=section)
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.USAGE
    assert str(two.config) in result.err
    for word in words:
        assert word in result.err
    assert two.a.requests == [] and two.b.requests == []


def test_a_whole_file_check_duplicates_empty_files_and_inline_comments(run, two, tmp_path):
    two.write(b="workspace_id = 101")  # a second workspace_id line: configparser refuses duplicates
    result = run(None, "--config", str(two.config), "--all", "--dry-run")
    assert result.code == ExitStatus.USAGE and "not a valid INI file" in result.err and "workspace_id" in result.err
    text = two.config.read_text().replace("workspace_id = 202", "workspace_id = 101").replace("workspace_id = 101\nworkspace_id = 101", "workspace_id = 101")
    two.config.write_text(text)
    result = run(None, "--config", str(two.config), "--all", "--dry-run")
    assert result.code == ExitStatus.USAGE and "workspace_id 101 is also in [workspace a]" in result.err
    empty = tmp_path / "empty.ini"
    empty.write_text("# nothing yet\n")
    result = run(None, "--config", str(empty), "--all", "--dry-run")
    assert result.code == ExitStatus.USAGE and "has no [workspace NAME] sections; add one with --add-workspace" in result.err
    two.write(defaults="max-remove = 2  # a cap for every workspace")
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.SAFETY_STOP and "more than --max-remove 2" in result.err
    assert two.a.writes() == [] and two.b.writes() == []


def test_unknown_sections_and_names_exit_2(run, two):
    result = run(None, "--config", str(two.config), "--workspace", "c", "--yes")
    assert result.code == ExitStatus.USAGE and "no [workspace c] section. Sections: a, b" in result.err
    result = run(None, "--config", str(two.config), "--yes")
    assert result.code == ExitStatus.USAGE and "--workspace NAME (repeatable) or --all" in result.err
    two.config.write_text(two.config.read_text() + "\n[workspaces c]\nworkspace_id = 3\n")
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.USAGE and "unknown section [workspaces c]" in result.err
    result = run(None, "--workspace", "a", "--yes")
    assert result.code == ExitStatus.USAGE and "give --config PATH or set AAC_CONFIG" in result.err
    assert two.a.requests == [] and two.b.requests == []


def test_token_rotation_never_touches_the_config_file(run, make_fake, tmp_path):
    setup = Setup(make_fake, tmp_path, lifetime=30)  # every run refreshes first
    setup.write()
    before = setup.config.read_bytes()
    old = {p: json.loads(p.read_text())["refresh_token"] for p in (setup.token_a, setup.token_b)}
    for extra in ("--dry-run", "--yes"):
        result = run(None, "--config", str(setup.config), "--all", extra)
        assert result.code == ExitStatus.OK, result.err
    assert setup.a.refreshes == 1 and setup.b.refreshes == 1
    assert len(setup.a.emails()) == 3 and len(setup.b.emails()) == 3
    for path, refresh in old.items():
        assert json.loads(path.read_text())["refresh_token"] != refresh
    assert setup.config.read_bytes() == before


def test_json_gives_one_document_with_a_list_of_workspace_documents(run, two):
    two.a.add_fault(method="DELETE", person_id=two.a.id_of("student00002@example.edu"), status=403)
    result = run(None, "--config", str(two.config), "--all", "--yes", "--json")
    doc = json.loads(result.out)
    assert doc["format"] == "remove_users.workspaces/1" and doc["exit_code"] == 3
    assert [ws["section"] for ws in doc["workspaces"]] == ["a", "b"]
    first, second = doc["workspaces"]
    assert first["format"] == "remove_users.result/1"
    assert first["workspace"] == {"id": 101, "name": "Fall A"} and first["exit_code"] == 3
    assert first["counts"]["failed"] == 1 and second["counts"]["removed"] == 6 and second["exit_code"] == 0
    assert doc["not_run"] == []


def test_ctrl_c_in_one_workspace_stops_the_loop(run, two):
    fired = []

    def interrupt(method: str, path: str) -> None:
        if method == "DELETE" and not fired:
            fired.append(path)
            os.kill(os.getpid(), signal.SIGINT)

    two.a.hooks.append(interrupt)
    result = run(None, "--config", str(two.config), "--all", "--yes")
    assert result.code == ExitStatus.INTERRUPTED
    assert two.b.requests == []
    assert result.out.splitlines()[-1].split()[-2:] == ["not", "run"]


def test_without_a_terminal_a_real_run_needs_yes(run, two):
    result = run(None, "--config", str(two.config), "--all")
    assert result.code == ExitStatus.USAGE and "add --yes" in result.err
    assert two.a.requests == [] and two.b.requests == []


def test_each_workspace_is_confirmed_by_its_own_name(run, two):
    result = run(None, "--config", str(two.config), "--all", stdin="Fall A\nwrong\n")
    assert result.code == ExitStatus.SAFETY_STOP
    assert len(two.a.emails()) == 3 and len(two.b.emails()) == 9
    assert "Type the workspace name (Fall A)" in result.err and "Type the workspace name (Fall B)" in result.err


def test_aac_config_in_the_environment_leaves_a_one_workspace_run_alone(run, two):
    token = two.a.issue_access_token()
    result = run(None, "--base-url", two.a.base_url, "--token", token, "--dry-run", env={"AAC_CONFIG": str(two.config)})
    assert result.code == ExitStatus.OK and "=== [workspace" not in result.out
    result = run(None, "--dry-run", env={"AAC_CONFIG": str(two.config)})
    assert result.code == ExitStatus.USAGE and "--workspace NAME (repeatable) or --all. Sections: a, b" in result.err
    result = run(None, "--config", str(two.config), "--all", "--token", token, "--dry-run")
    assert result.code == ExitStatus.USAGE and "drop --token / --token-file" in result.err
    assert two.b.requests == []


def test_sigterm_between_workspaces_stops_the_loop_and_still_prints_the_table(run, two, monkeypatch):
    import remove_users

    stray: list[int] = []
    sent: list[bool] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stray.append(signum))  # never kill pytest
    real = remove_users._run_guarded

    def first_then_sigterm(*args, **kwargs):
        code = real(*args, **kwargs)
        if kwargs.get("config") is not None and not sent:  # one workspace's run, not the whole invocation
            sent.append(True)
            os.kill(os.getpid(), signal.SIGTERM)  # after workspace a, before workspace b starts
        return code

    monkeypatch.setattr(remove_users, "_run_guarded", first_then_sigterm)
    try:
        result = run(None, "--config", str(two.config), "--all", "--yes")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stray == []  # the tool handled it, not the default action
    assert result.code == ExitStatus.TERMINATED
    assert "interrupted between workspaces" in result.err
    assert len(two.a.emails()) == 3 and two.b.writes() == []
    assert result.out.splitlines()[-1].split()[-2:] == ["not", "run"]


def test_the_table_is_lines_the_terminal_and_the_review_page_show(run, two):
    from remove_users import REMOVE, workspace_table

    result = run(None, "--config", str(two.config), "--all", "--dry-run", "--json")
    doc = json.loads(result.out)
    lines = workspace_table(doc["workspaces"], ["c"], True, REMOVE)
    assert [line.split() for line in lines] == [
        ["workspace", "members", "to", "remove", "failed", "kept", "would", "exit"],
        ["a", "7", "4", "-", "3", "0"],
        ["b", "9", "6", "-", "3", "0"],
        ["c", "-", "-", "-", "-", "not", "run"],
    ]
    shown = run(None, "--config", str(two.config), "--all", "--dry-run").out.splitlines()
    assert shown[-3:] == lines[:3]
