"""Item 7: --timeout bounds a request's whole time, a body trickling in included."""

from __future__ import annotations

import time

from conftest import only_report
from remove_users import ExitStatus


def test_a_trickling_body_times_out_and_is_retried(run, make_fake):
    fake = make_fake(people=3, delete_answer="200")  # a JSON body to trickle
    target = fake.id_of("student00001@example.edu")
    # The first DELETE acts, then sends its ~30-byte body a byte every 0.3 s: about 9 s in all.
    fake.add_fault(method="DELETE", person_id=target, act_first=True, passthrough=True, trickle=0.3, times=1)
    started = time.monotonic()
    result = run(fake, "--yes", "--no-protected-emails", "--timeout", "1", "--concurrency", "1")
    elapsed = time.monotonic() - started
    assert result.code == ExitStatus.OK, result.err
    attempts = [r for r in fake.requests if r.method == "DELETE" and r.path.endswith(f"/{target}")]
    assert len(attempts) == 2
    assert attempts[1].time - attempts[0].time < 3.5  # cut at about 1 s, not after the 9 s trickle
    assert elapsed < 8
    row = next(r for r in only_report() if r["person_id"] == str(target))
    assert row["outcome"] == "removed" and "earlier attempt" in row["detail"]  # the timed-out attempt acted


def test_a_trickling_listing_is_bounded_too(run, make_fake):
    fake = make_fake(people=3)
    fake.add_fault(method="GET", path="^/v4/workspaces/current$", passthrough=True, trickle=0.5)
    started = time.monotonic()
    result = run(fake, "--dry-run", "--timeout", "1")
    assert result.code == ExitStatus.ERROR
    assert "no answer after 5 attempts" in result.err and "did not answer within 1 s (--timeout)" in result.err
    assert time.monotonic() - started < 12  # five attempts of about 1 s each, plus short backoffs
