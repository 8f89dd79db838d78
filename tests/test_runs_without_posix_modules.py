"""Issue 10, item 1: the tool runs where fcntl and the other POSIX-only modules do not exist (Windows).

The script runs as a subprocess in which `fcntl`, `termios`, `pwd`, `grp` and `msvcrt` cannot be
imported, so its token-file lock takes the portable O_EXCL lock-file path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SCRIPT, clean_env, pair_file, read_report
from remove_users import ExitStatus, TokenError, _FileLock

WITHOUT_POSIX = (
    "import runpy, sys\n"
    "for name in ('fcntl', 'termios', 'pwd', 'grp', 'resource', 'msvcrt'):\n"
    "    sys.modules[name] = None\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def run_without_posix(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_POSIX, SCRIPT, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**clean_env(), **(env or {})},
        timeout=60,
    )


def test_dry_run_and_run_without_fcntl(make_fake, tmp_path: Path):
    fake = make_fake(people=6)
    token = {"AAC_ACCESS_TOKEN": fake.issue_access_token()}
    dry = run_without_posix("--base-url", fake.base_url, "--exclude", "student00001@example.edu", "--dry-run", env=token)
    assert dry.returncode == ExitStatus.OK, dry.stderr
    assert "Dry run: nothing was changed." in dry.stdout
    assert fake.writes() == []
    real = run_without_posix(
        "--base-url", fake.base_url, "--exclude", "student00001@example.edu", "--yes", "--report", str(tmp_path / "r.csv"), env=token
    )
    assert real.returncode == ExitStatus.OK, real.stderr
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu", "student00001@example.edu"}
    assert len(read_report(tmp_path / "r.csv")) == 5


def test_token_refresh_takes_the_lock_file_without_fcntl(make_fake, tmp_path: Path):
    fake = make_fake(people=3)
    path = pair_file(fake, tmp_path, lifetime=20)  # about to expire: refreshed first
    lock_seen = []
    fake.hooks.append(lambda method, p: lock_seen.append(os.path.exists(str(path) + ".lock")) if p == "/as/token" else None)
    result = run_without_posix("--base-url", fake.base_url, "--token-file", str(path), "--yes", "--no-protected-emails", "--report", str(tmp_path / "r.csv"))
    assert result.returncode == ExitStatus.OK, result.stderr
    assert fake.refreshes == 1 and lock_seen == [True]  # the refresh ran holding the O_EXCL lock file
    assert not os.path.exists(str(path) + ".lock")  # and let go of it
    assert json.loads(path.read_text())["refresh_token"] in fake.refresh_tokens
    assert len(fake.people) == 2


def test_a_stale_lock_file_is_removed_and_a_live_one_waited_for(tmp_path: Path):
    token_file = tmp_path / "t.json"
    token_file.write_text("{}")
    lock_file = Path(str(token_file) + ".lock")
    lock_file.write_text("pid 1 at long ago\n")
    old = time.time() - 3600
    os.utime(lock_file, (old, old))
    lock = _FileLock(str(token_file), wait=5)
    lock._exclusive_file(time.monotonic() + 5)  # the portable path, whatever this OS has
    assert lock_file.exists()  # now ours
    lock.__exit__(None, None, None)
    assert not lock_file.exists()

    lock_file.write_text("pid 1 at just now\n")  # a live run's lock: wait, then say what to do
    lock = _FileLock(str(token_file), wait=0.3)
    started = time.monotonic()
    with pytest.raises(TokenError) as stopped:
        lock._exclusive_file(time.monotonic() + 0.3)
    assert 0.3 <= time.monotonic() - started < 5
    assert str(lock_file) in str(stopped.value) and "another run" in str(stopped.value)
    assert lock_file.exists()  # not ours to delete


def test_names_print_on_a_legacy_code_page(make_fake):
    fake = make_fake(people=1)
    fake.add_person("jose@example.edu", "José Müller 李")
    env = {**clean_env(), "AAC_ACCESS_TOKEN": fake.issue_access_token(), "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run(
        [sys.executable, SCRIPT, "--base-url", fake.base_url, "--dry-run"], capture_output=True, env=env, timeout=60
    )
    assert result.returncode == ExitStatus.OK, result.stderr
    assert "José Müller ?".encode("cp1252") in result.stdout


class FakeMsvcrt:
    """msvcrt.locking's contract (LK_NBLCK raises OSError while another handle holds the region),
    played by flock so that the Windows path of the lock runs here too."""

    LK_NBLCK, LK_UNLCK = 2, 0

    def __init__(self, fcntl) -> None:
        self.fcntl = fcntl
        self.calls = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        self.calls.append(mode)
        if mode == self.LK_NBLCK:
            self.fcntl.flock(fd, self.fcntl.LOCK_EX | self.fcntl.LOCK_NB)
        else:
            self.fcntl.flock(fd, self.fcntl.LOCK_UN)


def test_the_windows_lock_waits_for_the_holder_and_gives_up_in_time(tmp_path: Path, monkeypatch):
    import fcntl
    import threading

    msvcrt = FakeMsvcrt(fcntl)
    monkeypatch.setitem(sys.modules, "fcntl", None)
    monkeypatch.setitem(sys.modules, "msvcrt", msvcrt)
    token_file = tmp_path / "t.json"
    token_file.write_text("{}")
    order = []
    with _FileLock(str(token_file)):
        assert Path(str(token_file) + ".lock").exists()  # a lock file beside it: the token file stays renamable
        with pytest.raises(TokenError):
            with _FileLock(str(token_file), wait=0.2):
                pass

        def second() -> None:
            with _FileLock(str(token_file), wait=10):
                order.append("second")

        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.3)
        order.append("first done")
    waiter.join(10)
    assert order == ["first done", "second"]
    assert msvcrt.calls.count(FakeMsvcrt.LK_UNLCK) == 2
