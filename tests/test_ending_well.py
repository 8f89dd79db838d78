"""Issue 10, item 6: output into `| head` ends quietly, Ctrl-C at start-up is one line and exit 130,
and a run that did not finish says the next step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import SCRIPT, clean_env, read_report, report_rows
from remove_users import ExitStatus


def start_with_stdout_closed(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """The script writing into a pipe whose reader is already gone, as under `| head` once head exits."""
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**clean_env(), **(env or {})},
    )
    proc.stdout.close()  # long before the script has imported requests, let alone written
    return proc


def test_help_into_a_closed_pipe_ends_quietly():
    proc = start_with_stdout_closed("--help")
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == ExitStatus.OK
    assert err == ""


def test_a_real_run_into_a_closed_pipe_finishes_its_work(make_fake, tmp_path: Path):
    fake = make_fake(people=30)
    proc = start_with_stdout_closed(
        "--base-url", fake.base_url, "--yes", "--no-protected-emails", "--report", str(tmp_path / "r.csv"), env={"AAC_ACCESS_TOKEN": fake.issue_access_token()}
    )
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == ExitStatus.OK, err
    assert "BrokenPipe" not in err and "Traceback" not in err and "error" not in err
    assert "[30/30] removed" in err  # progress on stderr still shows
    assert len(fake.people) == 2 and len(read_report(tmp_path / "r.csv")) == 30


STARTUP_INTERRUPTED = "remove_users: interrupted while starting; nothing was sent and nobody was removed"
INTERRUPT_DURING_IMPORT = (
    "import builtins, os, runpy, signal, sys, time\n"
    "real_import = builtins.__import__\n"
    "def interrupting_import(name, *args, **kwargs):\n"
    "    if name == 'requests':\n"
    "        os.kill(os.getpid(), signal.SIGINT)\n"
    "        time.sleep(1)\n"
    "    return real_import(name, *args, **kwargs)\n"
    "builtins.__import__ = interrupting_import\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def test_ctrl_c_while_starting_up_is_one_line_and_130():
    proc = subprocess.run(
        [sys.executable, "-c", INTERRUPT_DURING_IMPORT, SCRIPT, "--dry-run"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert proc.returncode == ExitStatus.INTERRUPTED
    assert proc.stderr == STARTUP_INTERRUPTED + "\n"
    assert proc.stdout == ""


def test_a_partly_failed_run_says_to_run_it_again_and_the_rerun_finishes(run, make_fake, tmp_path):
    fake = make_fake(people=4)
    fake.add_fault(method="DELETE", person_id=fake.id_of("student00002@example.edu"), status=503, times=5)
    report = str(tmp_path / "r.csv")
    result = run(fake, "--yes", "--no-protected-emails", "--report", report)
    assert result.code == ExitStatus.SOME_FAILED
    assert (
        "Next: run the same command again to finish the 1 not done; people already removed are no longer members, "
        "so nobody is handled twice.\n"
    ) in result.out
    result = run(fake, "--yes", "--no-protected-emails", "--report", report)
    assert result.code == ExitStatus.OK
    assert "Next:" not in result.out
    assert len(fake.people) == 2
    outcomes = [r["outcome"] for r in report_rows(report) if r["outcome"] != "attempting"]
    assert sorted(outcomes) == ["failed"] + ["removed"] * 4  # the first run's failure, then the re-run's removal
