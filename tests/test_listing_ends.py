"""Issue 8, item 1: every list walk ends, with requests bounded by the rows that came back."""

from __future__ import annotations

import math

import pytest

from remove_users import ExitStatus


def breaker(fake, path: str, most: int) -> None:
    """Past `most` requests to `path` (and to /admins), the fake refuses them: a walk that never
    ends fails fast instead of hanging the suite."""
    if path != "/admins":
        breaker(fake, "/admins", 50)
    seen = []

    def hook(method, request_path):
        if method == "GET" and request_path.endswith(path):
            seen.append(1)
            if len(seen) == most:
                fake.add_fault(method="GET", path=path + "$", status=418, message="the walk did not end")

    fake.hooks.append(hook)


def listing_requests(fake) -> list:
    return [r for r in fake.requests if r.path == "/v4/people"]


def test_the_admins_route_is_asked_once_with_only_its_documented_parameters(run, make_fake):
    fake = make_fake(people=30, extra_admins=3)  # the default: /admins answers the whole list every time
    breaker(fake, "/admins", 50)
    result = run(fake, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "admin: 3" in result.out
    removed = result.out.split("People who would be removed:")[1]
    for n in (1, 2, 3):
        assert f"coadmin{n}@example.edu" not in removed  # known only from /admins, so kept
    # No limit, offset or includeCount: the route documents none of them.
    asked = [r.query for r in fake.requests if r.path.endswith("/admins")]
    assert asked == [{"includeStatus": "new,suspended"}]


@pytest.mark.parametrize("concurrency", ["1", "4"])
def test_a_server_answering_the_last_page_again_past_the_end_ends_the_walk(run, make_fake, concurrency):
    fake = make_fake(people=30, page_cap=7, clamp_offset=True)
    breaker(fake, "/v4/people", 100)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", concurrency)
    assert result.code == ExitStatus.OK, result.err
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu"}
    first_delete = min(r.time for r in fake.requests if r.method == "DELETE")
    before = [r for r in listing_requests(fake) if r.time < first_delete]
    assert len(before) == 6  # 32 people: 5 pages, then the last again with nobody new
    assert len(listing_requests(fake)) <= 6 + 2  # the check after the run ends as quickly
    assert fake.count("DELETE") == 30


def test_an_inflated_count_costs_a_few_requests_and_stops_before_any_change(run, make_fake):
    fake = make_fake(people=49, page_cap=25, reported_count=1_000_000)  # 51 people
    breaker(fake, "/v4/people", 200)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "8")
    assert result.code == ExitStatus.ERROR
    assert "counts 1000000 people but 51 distinct ones came back" in result.err
    assert fake.writes() == []
    # the pages its 51 rows needed (3), plus a small margin: never one request per claimed page
    assert len(listing_requests(fake)) <= math.ceil(51 / 25) + 2 + 8
    assert max(int(r.query["offset"]) for r in listing_requests(fake)) < 51 + 2 * 25


def test_concurrent_pages_never_reach_past_the_rows_received(run, make_fake):
    fake = make_fake(people=98, page_cap=10, reported_count=100)
    breaker(fake, "/v4/people", 100)
    result = run(fake, "--dry-run", "--concurrency", "16")
    assert result.code == ExitStatus.OK
    received = 0
    for request in sorted(listing_requests(fake), key=lambda r: r.time):
        assert int(request.query["offset"]) <= 2 * max(received, 10)  # at most as far ahead again
        received = max(received, int(request.query["offset"]) + 10)


def test_pages_that_overlap_without_end_are_refused(run, make_fake):
    fake = make_fake(people=200, page_cap=10)

    # A server that moves one row per page, whatever the offset: every page brings one new id.
    original = fake._page

    def creeping(rows, query, total=None):
        step = sum(1 for r in fake.requests if r.path == "/v4/people") - 1
        return {"data": rows[step : step + 10], "count": len(rows)}

    fake._page = creeping
    breaker(fake, "/v4/people", 150)
    result = run(fake, "--dry-run", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert "does not end" in result.err
    assert len(listing_requests(fake)) <= 6
    fake._page = original


def test_pages_of_varying_size_are_not_mistaken_for_an_endless_walk(run, make_fake):
    fake = make_fake(people=198, page_cap=25)
    original = fake._page

    def shrinking(rows, query, total=None):
        page = original(rows, query, total)
        if query.get("offset") != "0":
            page["data"] = page["data"][:10]  # the first page 25, every later one 10
        return page

    fake._page = shrinking
    result = run(fake, "--dry-run", "--concurrency", "1")
    assert result.code == ExitStatus.OK, result.err
    assert "Members: 200" in result.out
