"""One error boundary: a run stopped by the server reaches stderr and the --json document alike."""

from __future__ import annotations

import json

from conftest import only_report
from remove_users import ExitStatus


def test_an_auth_stop_during_removals_puts_the_error_in_the_json_document(run, make_fake):
    fake = make_fake(people=6)
    fake.add_fault(method="DELETE", status=401, times=None, message="Token revoked")
    result = run(fake, "--yes", "--no-protected-emails", "--json", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    doc = json.loads(result.out)
    assert doc["exit_code"] == 1
    assert "access token was rejected" in doc["error"] and "Token revoked" in doc["error"]
    assert result.err.count("remove_users: error: ") == 1  # one line, from the one boundary
    assert doc["counts"]["failed"] == 1 and doc["counts"]["not_attempted"] == 5  # the outcomes are kept too
    assert [r["outcome"] for r in only_report()].count("not-attempted") == 5


def test_an_auth_stop_says_the_same_without_json(run, make_fake):
    fake = make_fake(people=3)
    fake.add_fault(method="DELETE", status=401, times=None)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert result.err.count("remove_users: error: ") == 1 and "access token was rejected" in result.err
    assert "Summary: removed 0" in result.out


def test_a_face_s_own_story_goes_through_the_same_boundary(capsys):
    """The review page acts past its own confirmation: what ends that part of the run reaches
    stderr and every sink as the terminal's run would, with the same exit code."""
    from remove_users import Console, RunFailed, Sink, Terminal, _run_guarded, build_parser

    told = []

    class Listening(Sink):
        def error(self, message: str) -> None:
            told.append(message)

    console = Console(terminal=Terminal())
    console.sinks = [Listening()]
    args = build_parser().parse_args([])

    def failing(config, console):
        raise RunFailed("the report could not be written\nthe check failed", ExitStatus.ERROR)

    def crashing(config, console):
        raise RuntimeError("no such key")

    config = object()  # a face's story is handed the config it was given
    assert _run_guarded(args, {}, console, config=config, story=failing) == ExitStatus.ERROR
    assert _run_guarded(args, {}, console, config=config, story=crashing) == ExitStatus.ERROR
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "remove_users: error: the report could not be written",
        "remove_users: error: the check failed",
        "remove_users: error: unexpected RuntimeError: no such key (run with --debug for details)",
    ]
    assert told[0] == "the report could not be written; the check failed"
