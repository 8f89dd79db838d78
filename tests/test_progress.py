"""Issue 17, item 3: the progress figures (done of total, rate, ETA) and the line that updates in
place on a terminal while the lines above it scroll."""

from __future__ import annotations

import io

from conftest import Clock, FakeTerminal
from remove_users import Progress, Terminal, clock_time


def test_clock_time_is_minutes_then_hours():
    assert [clock_time(s) for s in (0, 59.2, 602, 3599, 3600, 36061)] == ["0:00", "1:00", "10:02", "59:59", "1:00:00", "10:01:01"]


def test_figures_say_done_rate_and_time_left():
    clock = Clock()
    progress = Progress(5000, clock)
    assert progress.figures() == "0 of 5,000 (0%)"  # nothing to measure yet: no rate, no guess
    for _ in range(20):
        clock.now += 0.5
        progress.advance()
    # 20 in the last 10 s: 2 a second, 4,980 left: 2,490 s
    assert progress.figures() == "20 of 5,000 (0%), 2.0 a second, ETA 41:30"
    assert progress.figures(waiting=11.2).endswith("; waiting 12 s for the quota")


def test_the_rate_is_the_recent_one_not_the_average_since_the_start():
    clock = Clock()
    progress = Progress(1000, clock)
    for _ in range(300):  # 10 a second for 30 s
        clock.now += 0.1
        progress.advance()
    for _ in range(30):  # then the quota: 1 a second for 30 s
        clock.now += 1.0
        progress.advance()
    assert abs(progress.rate() - 1.0) < 0.05  # since the start it would say 5.5
    assert progress.figures().endswith("ETA 11:10")  # 670 left at 1 a second


def test_done_shows_no_eta_and_a_stall_shows_no_rate():
    clock = Clock()
    progress = Progress(3, clock)
    clock.now += 2
    progress.advance(3)
    assert "ETA" not in progress.figures() and progress.figures().startswith("3 of 3 (100%)")
    clock.now += 60  # nothing finished for a minute: no rate to promise anything with
    assert progress.figures() == "3 of 3 (100%)"


def test_the_status_line_stays_below_the_lines_written_meanwhile():
    err, out = FakeTerminal(), io.StringIO()
    terminal = Terminal(stdin=io.StringIO(""), stdout=out, stderr=err)
    terminal.status("Removing 1 of 3")
    terminal.line(err, "[2/3] FAILED x@uni.edu")
    terminal.status("Removing 3 of 3")
    terminal.line(out, "Summary: removed 2")  # stdout: the wipe and the redraw go to stderr only
    terminal.status("")
    assert out.getvalue() == "Summary: removed 2\n"
    wipe = "\r" + " " * len("Removing 1 of 3") + "\r"
    assert err.getvalue() == (
        "Removing 1 of 3" + wipe + "[2/3] FAILED x@uni.edu\n" + "Removing 1 of 3" + wipe + "Removing 3 of 3" + wipe
        + "Removing 3 of 3" + wipe
    )


def test_off_a_terminal_there_is_no_status_line():
    err = io.StringIO()
    terminal = Terminal(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=err)
    terminal.status("Removing 1 of 3")
    terminal.line(err, "a line")
    assert err.getvalue() == "a line\n"


# -- in a run ---------------------------------------------------------------------------------


def test_on_a_terminal_a_run_shows_one_updating_line_and_each_failure(make_fake, tmp_path):
    from conftest import run_on_terminal

    fake = make_fake(people=30, latency=0.05)
    fake.add_fault(method="DELETE", person_id=fake.id_of("student00003@example.edu"), status=403)
    args = ["--token", fake.issue_access_token(), "--yes", "--no-protected-emails",
            "--concurrency", "1", "--report", str(tmp_path / "r.csv")]  # fmt: skip
    code, screen = run_on_terminal(fake, args, [])
    assert code == 3, screen
    updates = [part.strip() for part in screen.split("\r") if part.strip().startswith("Removing: ")]
    assert len(updates) >= 3, screen  # the line was rewritten as the run went
    assert any(" of 30 (" in part and "a second" in part and "ETA " in part for part in updates)
    assert "FAILED student00003@example.edu" in screen  # a failure keeps a line of its own
    assert "] removed student" not in screen  # successes are counted, not listed
    assert "Summary: removed 29, already gone 0, failed 1" in screen


def test_off_a_terminal_each_person_has_a_line_and_the_figures_come_every_so_often(
    run, make_fake, monkeypatch
):
    import remove_users

    monkeypatch.setattr(remove_users, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(remove_users, "PROGRESS_TICK", 0.01)
    fake = make_fake(people=8, latency=0.02)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == 0, result.err
    assert "[8/8] removed" in result.err  # a cron log still names everyone
    figures = [line for line in result.err.splitlines() if line.startswith("progress: ")]
    assert figures and all(" of 8 (" in line for line in figures)
    assert "\r" not in result.err
