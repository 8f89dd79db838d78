"""Issue 8, item 2: the same person id listed twice with different data stops the run."""

from __future__ import annotations

from remove_users import ExitStatus


def test_a_protected_person_listed_again_under_another_address_stops_the_run(run, make_fake):
    fake = make_fake(people=10, page_cap=4)
    kept = fake.id_of("student00003@example.edu")
    fake.add_duplicate(kept, email="s3.alias@example.edu")  # the last record would win and not match
    result = run(fake, "--yes", "--exclude", "student00003@example.edu")
    assert result.code == ExitStatus.ERROR
    assert f"person id {kept} is listed twice with different data" in result.err
    assert "s3.alias@example.edu" in result.err
    assert fake.writes() == [] and len(fake.people) == 12


def test_another_admin_flag_on_a_second_listing_stops_the_run(run, make_fake):
    fake = make_fake(people=5)
    pid = fake.id_of("student00002@example.edu")
    fake.add_duplicate(pid, isAdmin=True)
    result = run(fake, "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert f"person id {pid}" in result.err and "is_admin" in result.err


def test_identical_duplicates_are_harmless(run, make_fake):
    fake = make_fake(people=6, page_cap=3)
    pid = fake.id_of("student00004@example.edu")
    fake.add_duplicate(pid)
    result = run(fake, "--yes", "--exclude", "student00001@example.edu")
    assert result.code == ExitStatus.OK, result.err
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu", "student00001@example.edu"}
    assert fake.count("DELETE", rf"/{pid}$") == 1
