#!/usr/bin/env python3
"""Speed, pace and memory figures for remove_users.py against the fake AAC server.

Not collected by pytest (timings belong here, never in an assertion). Run:

    python tests/bench_removal.py                  # everything, about ten minutes
    python tests/bench_removal.py --quick          # smaller numbers, for a smoke run
    python tests/bench_removal.py --only speed,stray --reps 7

Every figure comes from the real script run as a subprocess, so start-up, listing and paging count.
The machine is shared and noisy, so comparisons are paired: the tool and the reference it is
compared with run one after the other on identical fresh fake servers, the order alternating from
one repetition to the next, and each line gives the median over repetitions with the range
(min-max) beside it.

- speed:  the tool against a minimal stdlib client (http.client, one kept-alive connection per
          thread, no retries, no pacing) doing the same listing and DELETEs: the floor on this
          machine. At concurrency 8, 16 and 32.
- quota:  share of the quota used and share of requests answered 429, under a token bucket, a
          sliding one-second window and a fixed per-minute window (with x-retry-after, and with
          x-rate-limit-minute-remaining/-reset).
- stray:  time with 1% of removals answered 429 at random, over the time without: once with no
          wait named, once with x-retry-after: 0.
- memory: peak RSS and time of dry runs of 1,000, 20,000 and 100,000 people.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fake_aac import FakeAAC  # noqa: E402

SCRIPT = str(HERE.parent / "remove_users.py")
# Runs the script as `python remove_users.py` would, then reports its own peak RSS on stderr.
MEASURED = (
    "import resource, runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "code = 0\n"
    "try:\n"
    "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    # VmHWM, not ru_maxrss: Linux carries the forked parent's (the fake server's) size into ru_maxrss.
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "try:\n"
    "    peak = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1])\n"
    "except (OSError, StopIteration, ValueError):\n"
    "    pass\n"
    "sys.stderr.write('\\nBENCH-MAXRSS-KIB %d\\n' % peak)\n"
    "sys.exit(code)\n"
)


class Run:
    def __init__(self, wall: float, code: int, out: str, err: str, report: Path | None = None) -> None:
        self.wall, self.code, self.out, self.err, self.report = wall, code, out, err, report

    @property
    def peak_mb(self) -> float:
        for line in reversed(self.err.splitlines()):
            if line.startswith("BENCH-MAXRSS-KIB "):
                return int(line.split()[1]) / 1024
        return float("nan")


def run_tool(fake: FakeAAC, *args: str) -> Run:
    """A whole run of the script as a user would start it (--yes, quiet, a report in a temp dir)."""
    report = Path(tempfile.mkdtemp()) / "report.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AAC_")}
    env["AAC_ACCESS_TOKEN"] = fake.issue_access_token()
    cmd = [sys.executable, "-c", MEASURED, SCRIPT, "--base-url", fake.base_url, "--yes", "--no-protected-emails", "-q", "--report", str(report), *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    return Run(time.monotonic() - start, proc.returncode, proc.stdout, proc.stderr, report)


def run_floor(fake: FakeAAC, concurrency: int) -> Run:
    """The minimal stdlib client below, as a subprocess too, so both pay for starting Python."""
    cmd = [sys.executable, __file__, "--floor", fake.base_url, fake.issue_access_token(), str(concurrency)]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    return Run(time.monotonic() - start, proc.returncode, proc.stdout, proc.stderr)


# -- the floor: the same listing and DELETEs with nothing but http.client ----------------------


def floor_client(base_url: str, token: str, concurrency: int) -> int:
    parts = urllib.parse.urlsplit(base_url)
    local = threading.local()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": "floor"}

    def call(method: str, path: str) -> object:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if not 200 <= resp.status < 300:
            raise RuntimeError(f"{method} {path}: {resp.status}")
        return json.loads(body) if body else None

    def together(jobs: list[Callable[[], object]], width: int) -> list[object]:
        results: list[object] = [None] * len(jobs)
        lock = threading.Lock()
        queue = list(enumerate(jobs))
        queue.reverse()

        def work() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    index, job = queue.pop()
                results[index] = job()

        threads = [threading.Thread(target=work) for _ in range(min(width, len(jobs)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def page(offset: int) -> dict:
        return call("GET", f"/v4/people?limit=100&offset={offset}&includeCount=true")  # type: ignore[return-value]

    ws, me, first = together(
        [lambda: call("GET", "/v4/workspaces/current"), lambda: call("GET", "/v4/people/current"), lambda: page(0)], 3
    )
    admins = call("GET", f"/v4/workspaces/{ws['id']}/admins")  # type: ignore[index]
    rows = list(first["data"])  # type: ignore[index]
    size, count = len(rows), first["count"]  # type: ignore[index]
    for more in together([lambda o=o: page(o) for o in range(size, count, size)], concurrency):
        rows += more["data"]  # type: ignore[index]
    keep = {me["id"]} | {a["id"] for a in admins["data"]}  # type: ignore[index]
    doomed = [r["id"] for r in rows if r["id"] not in keep]
    together([lambda pid=pid: call("DELETE", f"/v4/workspaces/{ws['id']}/people/{pid}") for pid in doomed], concurrency)  # type: ignore[index]
    return 0


# -- figures -----------------------------------------------------------------------------------


def spread(values: list[float], fmt: str = "{:.3f}") -> str:
    """The median, with the range over repetitions."""
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def check(run: Run, fake: FakeAAC, what: str) -> None:
    left = len(fake.people) - 2  # the caller and one co-admin stay
    if run.code != 0 or left:
        print(f"  !! {what}: exit {run.code}, {left} people left\n{run.err[-1500:]}")


def speed(people: int, latency: float, concurrencies: tuple[int, ...], reps: int) -> None:
    print(f"## speed: {people:,} people, {latency * 1000:.0f} ms per request, tool vs the stdlib floor, {reps} paired runs")
    for concurrency in concurrencies:
        ratios, tools, floors = [], [], []
        for rep in range(reps):
            timed = {}
            for who in (("floor", "tool") if rep % 2 == 0 else ("tool", "floor")):
                with FakeAAC(people=people, latency=latency) as fake:
                    run = run_floor(fake, concurrency) if who == "floor" else run_tool(fake, "--concurrency", str(concurrency))
                    check(run, fake, f"{who} at concurrency {concurrency}")
                    timed[who] = run.wall
            tools.append(timed["tool"])
            floors.append(timed["floor"])
            ratios.append(timed["tool"] / timed["floor"])
        ideal = people * latency / concurrency
        print(
            f"concurrency {concurrency:2d}: tool/floor {spread(ratios)}x; tool {spread(tools, '{:.2f}')} s, "
            f"floor {spread(floors, '{:.2f}')} s, removals alone at the server's speed {ideal:.2f} s"
        )


def quota(reps: int, quick: bool) -> None:
    cases = [
        ("token bucket, 20 a second (429 + x-retry-after)", dict(rate_limit=20, rate_limit_kind="bucket"), 200 if quick else 400),
        ("sliding window, 20 in any second (429 + x-retry-after)", dict(rate_limit=20, rate_limit_kind="sliding"), 200 if quick else 400),
        (
            "fixed window, 240 a minute (429 + x-retry-after to the minute's end)",
            dict(rate_limit=240, rate_limit_kind="fixed", rate_window=60.0),
            300 if quick else 600,
        ),
        (
            "fixed window, 240 a minute, with x-rate-limit-minute-remaining/-reset",
            dict(rate_limit=240, rate_limit_kind="fixed", rate_window=60.0, rate_limit_budget=True),
            300 if quick else 600,
        ),
    ]
    print(
        "## quota: concurrency 8, no added latency; quota used = accepted / what the quota allowed while the run "
        "sent (fixed windows: the earliest the quota lets the last request through / when it went)"
    )
    for label, options, people in cases:
        shares, throttled, walls = [], [], []
        runs = 1 if options["rate_limit_kind"] == "fixed" else reps  # two minutes each
        for _ in range(runs):
            with FakeAAC(people=people, **options) as fake:
                run = run_tool(fake, "--concurrency", "8")
                check(run, fake, label)
                statuses = [r.status for r in fake.requests if r.path.startswith("/v4")]
                times = [r.time for r in fake.requests if r.path.startswith("/v4")]
                accepted = sum(1 for s in statuses if s != 429)
                assert fake.limiter is not None
                span = max(times) - min(times)
                if options["rate_limit_kind"] == "fixed":
                    # The last window is partly used by any run: compare the time instead, with the
                    # earliest the quota lets the last request through.
                    earliest = (math.ceil(accepted / options["rate_limit"]) - 1) * options["rate_window"]
                    shares.append(100 * min(1.0, earliest / span) if span else 100.0)
                else:
                    shares.append(100 * min(1.0, accepted / fake.limiter.allowed(span)))
                throttled.append(100 * (len(statuses) - accepted) / len(statuses))
                walls.append(run.wall)
        print(
            f"{label}, {people} people: quota used {spread(shares, '{:.0f}')}%, answered 429 {spread(throttled, '{:.1f}')}%, "
            f"{spread(walls, '{:.1f}')} s, {runs} run{'s' if runs > 1 else ''}"
        )


def stray(people: int, latency: float, reps: int) -> None:
    print(f"## stray 429s: {people:,} people, {latency * 1000:.0f} ms, concurrency 8, 1% of removals answered 429 at random")
    cases = [("no wait named", {}), ("x-retry-after: 0", {"x-retry-after": "0"})]
    costs: dict[str, list[float]] = {label: [] for label, _ in cases}
    for rep in range(reps):
        walls = {}
        order = [("none", None)] + [(label, headers) for label, headers in cases]
        for label, headers in order if rep % 2 == 0 else list(reversed(order)):
            with FakeAAC(people=people, latency=latency) as fake:
                if headers is not None:
                    fake.add_fault(method="DELETE", status=429, probability=0.01, headers=headers, message="Too many requests")
                run = run_tool(fake, "--concurrency", "8")
                check(run, fake, f"stray 429s, {label}")
                walls[label] = run.wall
        for label, _ in cases:
            costs[label].append(walls[label] / walls["none"])
    for label, _ in cases:
        print(f"{label}: time with strays / without {spread(costs[label])}x")


def faults(people: int) -> None:
    print(f"## faults: {people:,} people, concurrency 8, 1% each of 429, 503 (HTML body) and connection resets on removals")
    with FakeAAC(people=people, latency=0.002) as fake:
        fake.add_fault(method="DELETE", status=429, probability=0.01)
        fake.add_fault(method="DELETE", status=503, probability=0.01, html=True, message="Service Unavailable")
        fake.add_fault(method="DELETE", reset=True, probability=0.01)
        planned = set(fake.people) - {fake.caller_id} - set(fake.admin_ids)
        run = run_tool(fake, "--concurrency", "8")
        deleted = {str(pid) for pid in planned if pid not in fake.people}
        assert run.report is not None
        with run.report.open(newline="", encoding="utf-8-sig") as handle:
            rows = {row["person_id"]: row["outcome"] for row in csv.DictReader(handle)}
        gone = {pid for pid, outcome in rows.items() if outcome in ("removed", "already-gone")}
        hit = sum(1 for r in fake.requests if r.status in (429, 503) or r.status is None)
        print(
            f"{run.wall:.1f} s, {len(fake.requests)} requests, {hit} faulted, everyone removed: {len(fake.people) == 2}, "
            f"report rows {len(rows)}, report matches server: {gone == deleted and len(rows) == len(planned)}, exit {run.code}"
        )


def memory(sizes: tuple[int, ...], reps: int) -> None:
    print("## memory: dry runs (page cap 100), peak RSS of the tool's process")
    for people in sizes:
        peaks, walls = [], []
        for _ in range(reps):
            with FakeAAC(people=people, page_cap=100) as fake:
                run = run_tool(fake, "--dry-run")
                if run.code:
                    print(f"  !! exit {run.code}\n{run.err[-1500:]}")
                peaks.append(run.peak_mb)
                walls.append(run.wall)
        print(f"{people:>7,} people: peak {spread(peaks, '{:.1f}')} MB, {spread(walls, '{:.2f}')} s")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--floor":
        sys.exit(floor_client(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller numbers for a smoke run")
    parser.add_argument("--reps", type=int, default=5, help="paired repetitions of the speed and stray runs (default 5)")
    parser.add_argument("--only", default="speed,stray,quota,faults,memory", help="comma-separated sections")
    args = parser.parse_args()
    q, reps = args.quick, args.reps
    sections = set(args.only.split(","))
    print(f"# bench_removal.py, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    if "speed" in sections:
        speed(200 if q else 2000, 0.02, (8, 16, 32), reps)
    if "stray" in sections:
        stray(500 if q else 2000, 0.02, reps)
    if "quota" in sections:
        quota(min(reps, 3), q)
    if "faults" in sections:
        faults(500 if q else 5000)
    if "memory" in sections:
        memory((1000, 5000) if q else (1000, 20000, 100000), 1 if q else 2)
    print(f"# load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
