#!/usr/bin/env python3
"""Speed, pace and memory figures for remove_users.py against the fake AAC server.

Not collected by pytest (timings belong here, never in an assertion). Run:

    python tests/bench_removal.py            # everything, a few minutes
    python tests/bench_removal.py --quick    # smaller numbers, for a smoke run

Each scenario runs the real script as a subprocess, so start-up, listing and paging count.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fake_aac import FakeAAC  # noqa: E402

SCRIPT = str(HERE.parent / "remove_users.py")
CONCURRENCIES = (1, 8)


def run_tool(fake: FakeAAC, *args: str) -> tuple[float, int, str, str, Path, int]:
    """Runs a whole removal; returns wall seconds, exit code, stdout, stderr, report, peak RSS (KiB)."""
    report = Path(tempfile.mkdtemp()) / "report.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AAC_")}
    env["AAC_ACCESS_TOKEN"] = fake.issue_access_token()
    cmd = [sys.executable, SCRIPT, "--base-url", fake.base_url, "--yes", "-q", "--report", str(report), *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, proc.returncode, proc.stdout, proc.stderr, report, max(peak, before)


def outcomes(report: Path) -> dict[str, str]:
    if not report.exists():
        return {}
    with report.open(newline="", encoding="utf-8-sig") as handle:
        return {row["person_id"]: row["outcome"] for row in csv.DictReader(handle)}


def throughput(people: int, latency: float) -> None:
    print(f"## {people} people, {latency * 1000:.0f} ms latency per request")
    for concurrency in CONCURRENCIES:
        with FakeAAC(people=people, latency=latency) as fake:
            wall, code, _, err, _, _ = run_tool(fake, "--concurrency", str(concurrency))
            ideal = people * latency / concurrency
            sent = len(fake.requests)
            left = len(fake.people) - 2
            print(
                f"concurrency {concurrency}: {wall:6.2f} s wall, ideal {ideal:6.2f} s, ratio {wall / ideal:4.2f}x, "
                f"{sent} requests, max in flight {fake.max_in_flight}, exit {code}, left {left}"
            )
            if code:
                print(err[-2000:])


def rate_limited(people: int, limit: int) -> None:
    print(f"## {people} people against a server limited to {limit} requests a second (429 + x-retry-after)")
    with FakeAAC(people=people, rate_limit=limit) as fake:
        wall, code, out, err, report, _ = run_tool(fake, "--concurrency", "8")
        total = len(fake.requests)
        throttled = sum(1 for r in fake.requests if r.status == 429)
        failed = sum(1 for o in outcomes(report).values() if o not in ("removed", "already-gone"))
        print(
            f"{wall:6.2f} s wall, {total} requests, {throttled} answered 429 ({100 * throttled / total:.1f}%), "
            f"failures {failed}, exit {code}, left {len(fake.people) - 2}"
        )


def sporadic_429(people: int, latency: float) -> None:
    print(f"## {people} people, {latency * 1000:.0f} ms latency, concurrency 8: 1% of removals answered 429, no wait asked")
    walls = []
    for share in (0.0, 0.01):
        with FakeAAC(people=people, latency=latency) as fake:
            if share:
                fake.add_fault(method="DELETE", status=429, probability=share, message="Too many requests")
            wall, code, *_ = run_tool(fake, "--concurrency", "8")
            throttled = sum(1 for r in fake.requests if r.status == 429)
            walls.append(wall)
            print(f"429 share {share:.0%}: {wall:6.2f} s wall, {throttled} answered 429, exit {code}, left {len(fake.people) - 2}")
    print(f"time with sporadic 429s / without: {walls[1] / walls[0]:.2f}x")


def faulty(people: int) -> None:
    print(f"## {people} people, concurrency 8, 1% each of 429, 5xx and connection resets on removals")
    with FakeAAC(people=people, latency=0.002) as fake:
        fake.add_fault(method="DELETE", status=429, probability=0.01)
        fake.add_fault(method="DELETE", status=503, probability=0.01, html=True, message="Service Unavailable")
        fake.add_fault(method="DELETE", reset=True, probability=0.01)
        deleted = set()
        ids = set(fake.people) - {fake.caller_id} - set(fake.admin_ids)
        wall, code, _, err, report, _ = run_tool(fake, "--concurrency", "8")
        deleted = {str(i) for i in ids if i not in fake.people}
        rows = outcomes(report)
        gone = {pid for pid, o in rows.items() if o in ("removed", "already-gone")}
        matches = gone == deleted and len(rows) == len(ids)
        faults = sum(1 for r in fake.requests if r.status in (429, 503) or r.status is None)
        print(
            f"{wall:6.2f} s wall, {len(fake.requests)} requests, {faults} faulted, everyone removed: "
            f"{len(fake.people) == 2}, report rows {len(rows)}, report matches server: {matches}, exit {code}"
        )
        if code:
            print(err[-2000:])


def memory(people: int) -> None:
    print(f"## peak memory of a {people}-person dry run")
    with FakeAAC(people=people, page_cap=100) as fake:
        wall, code, *_rest, peak_kib = run_tool(fake, "--dry-run")
        print(f"{wall:6.2f} s wall, peak RSS {peak_kib / 1024:.1f} MB, exit {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller numbers for a smoke run")
    args = parser.parse_args()
    q = args.quick
    # Memory first: RUSAGE_CHILDREN keeps the largest child seen so far.
    memory(2000 if q else 20000)
    throughput(200 if q else 2000, 0.02)
    rate_limited(100 if q else 400, 20)
    sporadic_429(500 if q else 2000, 0.02)
    faulty(500 if q else 5000)


if __name__ == "__main__":
    main()
