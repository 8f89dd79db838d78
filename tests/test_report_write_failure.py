"""Item 6: the report cannot be written (disk full, I/O error) part-way through the run."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

import remove_users
from conftest import SCRIPT, clean_env, read_report, student
from remove_users import ExitStatus

FIELDS = ",".join(remove_users.REPORT_FIELDS)


def csv_lines(err: str) -> list[str]:
    """The rows printed to stderr because the report could not take them."""
    lines = err.splitlines()
    start = lines.index(FIELDS) + 1
    return [line for line in lines[start:] if line.count(",") >= len(remove_users.REPORT_FIELDS) - 1 and not line.startswith(("[", "remove_users:"))]


def check_nothing_lost(fake, report: Path, err: str, planned: int) -> None:
    rows = {r["email"]: r["outcome"] for r in read_report(report)} if report.exists() else {}
    printed = csv_lines(err)
    gone = {student(n) for n in range(1, planned + 1)} - fake.emails()
    assert gone, "the test meant some removals to happen"
    for email in gone:  # whoever the server removed is on record: in the file, or on stderr
        in_file = rows.get(email) in ("removed", "attempting")
        assert in_file or any(email in line and ",removed," in line for line in printed), email
    for line in printed:
        assert line.split(",")[5] in ("removed", "not-attempted", "attempting", "unknown", "failed"), line
    assert "Traceback" not in err
    with open(report, "rb") as handle:
        data = handle.read()
    assert data.endswith(b"\n")  # no row cut in half


def test_an_injected_write_failure_stops_new_removals(run, make_fake, monkeypatch, tmp_path):
    fake = make_fake(people=30)
    report = tmp_path / "r.csv"
    calls = []
    real = remove_users._write_report

    def failing(fd: int, data: bytes) -> int:
        calls.append(1)
        if len(calls) > 12:
            os.write(fd, data[: len(data) // 2])  # the disk took half the row, then filled up
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(remove_users, "_write_report", failing)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "2", "--report", str(report))
    assert result.code == ExitStatus.ERROR
    assert f"the report {report} could not be written (No space left on device)" in result.err
    assert f"cannot write the report {report}" in result.err
    check_nothing_lost(fake, report, result.err, 30)
    assert fake.count("DELETE") <= 8  # no new removal after the first failed write
    assert len(fake.people) > 20


@pytest.mark.skipif(os.geteuid() != 0 if hasattr(os, "geteuid") else True, reason="mounting a tmpfs needs root")
def test_a_full_tmpfs_mid_run(make_fake, tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(mount)], capture_output=True).returncode != 0:
        pytest.skip("mount is not permitted here; the injected failure above covers it")
    try:
        fake = make_fake(people=60)
        report = mount / "r.csv"
        env = clean_env()
        env["AAC_ACCESS_TOKEN"] = fake.issue_access_token()
        proc = subprocess.run(
            [sys.executable, SCRIPT, "--base-url", fake.base_url, "--yes", "--no-protected-emails", "--concurrency", "2", "--report", str(report)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == ExitStatus.ERROR, proc.stderr
        assert "No space left on device" in proc.stderr
        check_nothing_lost(fake, report, proc.stderr, 60)
        assert len(fake.people) > 2  # it stopped before everyone
    finally:
        subprocess.run(["umount", str(mount)], check=False)
