"""Items 4 and 5: SIGTERM, SIGHUP, repeated Ctrl-C, a signal during a token refresh, and kill -9."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from conftest import pair_file, read_report, report_rows, start, student
from remove_users import ExitStatus


def signal_on_delete(fake, nth: int, *signums: int, gap: float = 0.0) -> list:
    box: list = []
    deletes: list = []

    def hook(method, path):
        if method == "DELETE":
            deletes.append(path)
            if len(deletes) == nth:
                for signum in signums:
                    box[0].send_signal(signum)
                    time.sleep(gap)

    fake.hooks.append(hook)
    return box


def server_removed(fake, planned: int) -> set[str]:
    return {student(n) for n in range(1, planned + 1)} - fake.emails()


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_act_like_the_first_ctrl_c(make_fake, tmp_path: Path, name):
    if not hasattr(signal, name):
        pytest.skip(f"{name} does not exist on this system")
    signum = getattr(signal, name)
    fake = make_fake(people=40, latency=0.1)
    report = tmp_path / "r.csv"
    box = signal_on_delete(fake, 5, signum)
    box.append(start(fake, "--yes", "--no-protected-emails", "--concurrency", "4", "--report", str(report)))
    out, err = box[0].communicate(timeout=60)
    assert box[0].returncode == 128 + signum, err
    assert f"interrupted: no new removals ({name})" in err
    rows = read_report(report)
    assert len(rows) == 40  # every planned person has a row
    removed = {r["email"] for r in rows if r["outcome"] == "removed"}
    assert removed == server_removed(fake, 40)
    assert 5 <= len(removed) <= 20  # stopped early (a loaded machine may start a few more before the signal lands)
    assert "Summary: removed" in out and "nobody was removed" not in err
    assert "Traceback" not in err


def test_three_quick_ctrl_cs_keep_every_row_and_never_say_nobody(make_fake, tmp_path: Path):
    fake = make_fake(people=30, latency=0.3)
    report = tmp_path / "r.csv"
    box = signal_on_delete(fake, 6, signal.SIGINT, signal.SIGINT, signal.SIGINT, gap=0.02)
    box.append(start(fake, "--yes", "--no-protected-emails", "--concurrency", "4", "--report", str(report)))
    out, err = box[0].communicate(timeout=60)
    assert box[0].returncode == ExitStatus.INTERRUPTED, err + "\nOUT:" + out
    rows = read_report(report)
    assert len(rows) == 30, err
    for email in server_removed(fake, 30):  # whoever the server removed is on record as removed, or unknown
        assert next(r["outcome"] for r in rows if r["email"] == email) in ("removed", "unknown")
    assert "nobody was removed" not in err and "Traceback" not in err
    assert "Summary:" in out


def test_sigterm_before_any_removal_says_nobody_and_exits_143(make_fake):
    fake = make_fake(people=5, latency=0.5)
    box: list = []
    fake.hooks.append(lambda method, path: box[0].send_signal(signal.SIGTERM) if len(fake.requests) == 1 else None)
    box.append(start(fake, "--yes", "--no-protected-emails"))
    out, err = box[0].communicate(timeout=30)
    assert box[0].returncode == 143, err
    assert "interrupted by SIGTERM before any removal; nobody was removed" in err
    assert fake.writes() == []


def test_a_signal_during_the_token_refresh_keeps_the_new_pair(make_fake, tmp_path: Path):
    fake = make_fake(people=5)
    path = pair_file(fake, tmp_path, lifetime=10)  # about to expire: refreshed at start-up
    fake.add_fault(method="POST", path="/as/token", passthrough=True, delay=1.0, times=1)
    box: list = []
    fake.hooks.append(lambda method, path: box[0].send_signal(signal.SIGTERM) if path == "/as/token" else None)
    # start() puts a token in AAC_ACCESS_TOKEN too: the token file given as a flag wins over it.
    box.append(start(fake, "--yes", "--no-protected-emails", "--token-file", str(path)))
    out, err = box[0].communicate(timeout=30)
    assert box[0].returncode == 143, err
    saved = json.loads(path.read_text())
    assert saved["refresh_token"] in fake.refresh_tokens  # the rotated pair was saved, not lost
    assert fake.writes() == []


def test_kill_9_mid_run_leaves_a_row_for_everyone_the_server_removed(make_fake, tmp_path: Path):
    fake = make_fake(people=30)
    # Each DELETE acts at once but answers late: a kill lands between acting and answering.
    fake.add_fault(method="DELETE", act_first=True, passthrough=True, delay=0.4)
    report = tmp_path / "r.csv"
    box = signal_on_delete(fake, 9, signal.SIGKILL)
    box.append(start(fake, "--yes", "--no-protected-emails", "--concurrency", "4", "--report", str(report)))
    box[0].communicate(timeout=60)
    assert box[0].returncode == -signal.SIGKILL
    # The server goes on with requests the dead process had sent (the one whose hook killed it acts
    # just after): look at its state once they are all done, or a late one would change it later.
    deadline = time.monotonic() + 10
    while fake.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    removed = server_removed(fake, 30)
    assert len(removed) >= 9
    last = {r["email"]: r["outcome"] for r in read_report(report)}
    for email in removed:
        assert last.get(email) in ("removed", "attempting"), (email, last.get(email))
    attempting = {e for e, o in last.items() if o == "attempting"}
    assert attempting

    # The next run with the same report settles each attempting row, then does the rest.
    fake.faults.clear()
    proc = start(fake, "--yes", "--no-protected-emails", "--report", str(report))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitStatus.OK, err
    settled = [r for r in report_rows(report) if r["detail"].startswith("settled:")]
    assert {r["email"] for r in settled} == attempting
    # Removed where the server had acted; still a member (so failed, then removed by this run) where the
    # kill came between the intent and the request.
    assert {r["email"] for r in settled if r["outcome"] == "removed"} == attempting & removed
    assert {r["email"] for r in settled if r["outcome"] == "failed"} == attempting - removed
    assert f"Settled {len(attempting)} `attempting` rows" in err
    assert server_removed(fake, 30) == {student(n) for n in range(1, 31)}
    assert {r["outcome"] for r in read_report(report)} == {"removed"}


def test_the_interrupt_counts_only_requests_actually_sent(make_fake, tmp_path: Path):
    fake = make_fake(people=30)
    box: list = []
    deletes: list = []

    def slow_deletes(method, path):
        if method == "DELETE":
            deletes.append(path)
            if len(deletes) == 3:
                box[0].send_signal(signal.SIGTERM)
            time.sleep(3)  # every removal in flight stays so until well after the signal

    fake.hooks.append(slow_deletes)
    box.append(start(fake, "--yes", "--no-protected-emails", "--concurrency", "3", "--report", str(tmp_path / "r.csv")))
    out, err = box[0].communicate(timeout=60)
    assert box[0].returncode == 128 + signal.SIGTERM, err
    assert "waiting for 3 in flight" in err  # three workers hold the slots; three more wait for one and send nothing
    removed = [r for r in read_report(tmp_path / "r.csv") if r["outcome"] == "removed"]
    assert len(removed) == 3
