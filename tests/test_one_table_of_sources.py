"""Issue 17, item 4: one table of the sources that protect people or narrow a run. The stop for a
run that protects nothing, the prompt, the undo's 'whom?', the flags a saved plan refuses and
--help all read it, so a source added to the table counts everywhere at once."""

from __future__ import annotations

import pytest

import remove_users
from conftest import SEEING
from remove_users import NARROWS, PROTECTS, REPLANS, SOURCES, ExitStatus, Protections

# A command-line value for each source (AAC_EXCLUDED_EMAILS comes through the environment).
VALUES = {
    "--exclude": ["--exclude", "ta@example.edu"],
    "--exclude-file": ["--exclude-file", "keep.txt"],
    "--exclude-group": ["--exclude-group", "ldap:cn=staff,dc=example,dc=org"],
    "--only": ["--only", "student00001@example.edu"],
    "--only-file": ["--only-file", "leavers.txt"],
    "--only-group": ["--only-group", "ldap:cn=leavers,dc=example,dc=org"],
    "--inactive-days": ["--inactive-days", "0"],  # 0 is a selection too, not "not given"
    "--only-suspended": ["--only-suspended"],
    "--suspended-days": ["--suspended-days", "30"],
    "--from-report": ["--from-report", "fall.csv"],
}


def parsed(*argv: str):
    return remove_users.build_parser().parse_args(list(argv))


def test_the_table_has_a_value_for_every_flag_it_names():
    assert {s.name for s in SOURCES if s.dest} == set(VALUES)


@pytest.mark.parametrize("source", [s for s in SOURCES if s.dest], ids=lambda s: s.name)
def test_each_source_alone_is_enough_to_go_on(source):
    args = parsed(*VALUES[source.name], "--dry-run")
    # A protected email counts through the emails it gave; a group or a selection by being given.
    emails = ["ta@example.edu"] if source.name in ("--exclude", "--exclude-file") else []
    assert remove_users.check_something_protected(args, Protections(emails), remove_users.REMOVE) is None


def test_with_no_source_the_warning_names_every_source():
    warning = remove_users.check_something_protected(parsed("--dry-run"), Protections(), remove_users.REMOVE)
    assert all(source.name in warning for source in SOURCES)


def test_the_environment_variable_protects(run, fake):
    stopped = run(fake, "--yes")
    assert stopped.code == ExitStatus.USAGE and "AAC_EXCLUDED_EMAILS" in stopped.err
    went = run(fake, "--dry-run", env={"AAC_EXCLUDED_EMAILS": "ta@example.edu"})
    assert went.code == ExitStatus.OK and "no protected email was given" not in went.err
    assert fake.writes() == []


@pytest.mark.parametrize("flag", [s.name for s in SOURCES if s.role == NARROWS] + list(REPLANS))
def test_a_saved_plan_refuses_every_flag_that_would_change_who_it_holds(run, fake, tmp_path, flag):
    value = VALUES.get(flag) or [flag, "archive@example.edu"] if flag == "--transfer-to" else VALUES.get(flag, [flag])
    result = run(fake, "--plan", str(tmp_path / "plan.json"), *value)
    assert result.code == ExitStatus.USAGE
    assert f"{flag} would change who is planned" in result.err
    assert fake.requests == []


@pytest.mark.parametrize("flag", [s.name for s in SOURCES if s.dest])
def test_help_names_every_source_where_it_explains_the_stop(flag):
    text = " ".join(remove_users.build_parser().format_help().split())
    stop = text[text.index("--no-protected-emails Say") :]
    assert flag in stop[: stop.index("before sending anything")]


def test_unsuspend_takes_any_selection_as_whom(run, make_fake):
    fake = make_fake(people=20, **SEEING["state-hidden"])
    fake.set_suspended(fake.id_of("student00003@example.edu"))
    result = run(fake, "--unsuspend", "--inactive-days", "0", "--include-never-logged-in", "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert "student00003@example.edu" not in fake.suspended_emails()
    nobody = run(fake, "--unsuspend", "--yes")
    assert nobody.code == ExitStatus.USAGE and "--unsuspend needs to know whom" in nobody.err
