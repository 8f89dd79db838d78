"""A console that cannot be written any more (a hung-up terminal: EIO; a full log disk: ENOSPC) is
treated like a closed pipe: the run goes on, the report is complete, the exit code is the run's;
SIGHUP from a dropped SSH session gives 129 with every removal recorded."""

from __future__ import annotations

import errno
import io
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import remove_users
from conftest import SCRIPT, clean_env, read_report
from remove_users import ExitStatus


class Unwritable(io.StringIO):
    def __init__(self, code: int) -> None:
        super().__init__()
        self.code, self.writes = code, 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise OSError(self.code, os.strerror(self.code))


@pytest.mark.parametrize("code", [errno.EIO, errno.ENOSPC])
def test_a_console_that_fails_every_write_does_not_stop_the_run(make_fake, monkeypatch, tmp_path: Path, code):
    fake = make_fake(people=12)
    out, err = Unwritable(code), Unwritable(code)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    report = tmp_path / "r.csv"
    argv = ["--base-url", fake.base_url, "--token", fake.issue_access_token(), "--yes", "--no-protected-emails", "--report", str(report)]
    status = remove_users.main(argv, environ={})
    assert status == ExitStatus.OK
    assert len(fake.people) == 2
    assert sorted(r["outcome"] for r in read_report(report)) == ["removed"] * 12
    assert out.writes == 1 and err.writes == 1  # each stream is given up after its first failure


def test_sighup_with_the_terminal_hung_up_exits_129_with_every_removal_recorded(make_fake, tmp_path: Path):
    fake = make_fake(people=20, latency=0.3)
    report = tmp_path / "r.csv"
    env = {**clean_env(), "AAC_ACCESS_TOKEN": fake.issue_access_token()}
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, "--base-url", fake.base_url, "--yes", "--no-protected-emails", "--concurrency", "2", "--report", str(report)],
        env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
    )
    os.close(slave)
    deadline = time.monotonic() + 30
    while fake.count("DELETE") < 4 and time.monotonic() < deadline:
        try:
            os.read(master, 65536)
        except OSError:
            time.sleep(0.05)
    os.close(master)  # the SSH connection drops: every later write to the terminal fails with EIO
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(timeout=30) == ExitStatus.HANGUP
    last = {int(r["person_id"]): r["outcome"] for r in read_report(report)}
    gone = {pid for pid in last if pid not in fake.people}
    assert gone and all(last[pid] == "removed" for pid in gone)  # the removals in flight finished and were recorded
    assert set(last.values()) <= {"removed", "not-attempted"} and len(last) == 20
