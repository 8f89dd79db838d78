"""A listing whose pages keep bringing new ids (a gateway that numbers its rows and ignores
`offset`) still ends: beyond the server's count plus a margin, or beyond an absolute cap when there
is no count, the run stops (exit 1) before any change."""

from __future__ import annotations

import remove_users
from remove_users import ExitStatus


def test_rows_far_beyond_the_count_stop_the_walk(run, make_fake):
    fake = make_fake(people=30, row_number_ids=True, reported_count=30)
    result = run(fake, "--dry-run", "--no-protected-emails", "--timeout", "5")
    assert result.code == ExitStatus.ERROR
    assert "the listing does not end" in result.err and "the server counts 30" in result.err
    assert "To remove" not in result.out
    assert fake.count("GET", r"^/v4/people$") < 12  # 30 rows, a margin, and one batch of --concurrency


def test_with_no_count_an_absolute_cap_stops_the_walk(run, make_fake, monkeypatch):
    monkeypatch.setattr(remove_users, "MAX_LISTED", 300)  # the real cap is 1,000,000 people
    fake = make_fake(people=30, row_number_ids=True)
    result = run(fake, "--yes", "--no-protected-emails", "--timeout", "5")
    assert result.code == ExitStatus.ERROR
    assert "the listing does not end" in result.err and "more than 300 people" in result.err
    assert fake.writes() == [] and len(fake.people) == 32
    assert fake.count("GET", r"^/v4/people$") < 20


def test_an_honest_listing_as_large_as_its_count_is_read(run, make_fake, monkeypatch):
    monkeypatch.setattr(remove_users, "MAX_LISTED", 300)
    fake = make_fake(people=298, page_cap=25)  # 300 members with the two admins: at the cap, not over
    result = run(fake, "--dry-run", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    assert "Members: 300" in result.out
