"""A token refresh or a Graph call whose answer trickles in a byte at a time is cut at --timeout,
like every AAC call: the run ends, and a signal during the refresh is not held forever."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from conftest import pair_file, start
from fake_graph import FakeGraph
from remove_users import ExitStatus


def test_a_trickling_refresh_answer_is_cut_at_the_timeout(run, make_fake, tmp_path: Path):
    fake = make_fake(people=3)
    path = pair_file(fake, tmp_path, lifetime=10)  # about to expire: refreshed at start-up
    fake.add_fault(method="POST", path="/as/token", passthrough=True, trickle=0.3)  # a ~600-byte answer: minutes
    started = time.monotonic()
    result = run(fake, "--dry-run", "--timeout", "1", "--no-protected-emails", "--token-file", str(path))
    assert time.monotonic() - started < 10
    assert result.code == ExitStatus.ERROR
    assert "the token refresh got no answer" in result.err and "within 1 s" in result.err
    assert fake.count("POST", "/as/token") == 1  # a lost refresh answer may have spent the token: not resent
    assert fake.count("GET") == 0


def test_a_signal_during_a_trickling_refresh_ends_the_run(make_fake, tmp_path: Path):
    fake = make_fake(people=3)
    path = pair_file(fake, tmp_path, lifetime=10)  # about to expire: refreshed at start-up
    fake.add_fault(method="POST", path="/as/token", passthrough=True, trickle=0.3)
    proc = start(fake, "--yes", "--timeout", "2", "--no-protected-emails", "--token-file", str(path))
    deadline = time.monotonic() + 20
    while fake.count("POST", "/as/token") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)  # before: still running after any number of signals
    # The refresh's failure is what the user must act on (the refresh token may be spent), so it is said.
    assert proc.returncode == ExitStatus.ERROR, err
    assert "the token refresh got no answer" in err and "within 2 s" in err
    assert fake.writes() == [] and len(fake.people) == 5


def test_a_trickling_graph_answer_is_cut_at_the_timeout(run, make_fake):
    fake = make_fake(people=3)
    graph = FakeGraph(trickle=0.5)  # the Entra token answer alone would take about a minute
    graph.start()
    try:
        started = time.monotonic()
        result = run(fake, "--dry-run", "--timeout", "1", "--only-group", "entra:7c9e6679-7425-40de-944b-e07fc1f90ae7", env=graph.env())
        assert time.monotonic() - started < 20  # five attempts of about 1 s, and short backoffs
    finally:
        graph.stop()
    assert result.code == ExitStatus.ERROR
    assert "within 1 s" in result.err
    assert fake.count("GET") == 0 and fake.writes() == []
