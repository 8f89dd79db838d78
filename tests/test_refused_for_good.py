"""A removal the server refuses for good (403: the owner, missing rights) is said plainly: after a
transfer, that the assets already moved; and the Next: line does not promise a re-run will help."""

from __future__ import annotations

from conftest import read_report
from remove_users import ExitStatus


def test_a_refusal_after_the_transfer_says_the_assets_moved(run, make_fake, tmp_path):
    fake = make_fake(people=3)
    owner = fake.id_of("student00001@example.edu")
    fake.owner_ids.add(owner)
    archive = fake.id_of("student00003@example.edu")
    moved = fake.assets.get(owner, 0) + fake.assets.get(archive, 0)
    assert fake.assets.get(owner)
    report = str(tmp_path / "r.csv")
    result = run(fake, "--only", "student00001@example.edu", "--transfer-to", "student00003@example.edu", "--yes", "--report", report)
    assert result.code == ExitStatus.SOME_FAILED
    assert owner in fake.people and fake.assets[archive] == moved and fake.assets[owner] == 0  # a member, with nothing left
    row = read_report(report)[-1]
    assert row["outcome"] == "failed" and row["http_status"] == "403"
    assert row["detail"] == "Cannot remove the workspace owner; their assets were already transferred to student00003@example.edu"
    assert "FAILED student00001@example.edu" in result.err
    assert "their assets were already transferred to student00003@example.edu" in result.err


def test_a_run_whose_only_failures_are_refusals_says_a_rerun_will_not_help(run, make_fake, tmp_path):
    fake = make_fake(people=3)
    fake.owner_ids.add(fake.id_of("student00002@example.edu"))
    result = run(fake, "--yes", "--no-protected-emails", "--report", str(tmp_path / "r.csv"))
    assert result.code == ExitStatus.SOME_FAILED
    assert "run the same command again" not in result.out
    assert (
        "Next: re-running will not help: the server refused 1 person for good (HTTP 403). Leave them out with "
        "--exclude student00002@example.edu, or fix the token's rights if it should be allowed.\n"
    ) in result.out
    again = run(fake, "--yes", "--no-protected-emails", "--exclude", "student00002@example.edu", "--report", str(tmp_path / "r.csv"))
    assert again.code == ExitStatus.OK  # the suggested flag ends the failures


def test_a_refusal_among_retryable_failures_still_says_run_again(run, make_fake, tmp_path):
    fake = make_fake(people=4)
    fake.owner_ids.add(fake.id_of("student00002@example.edu"))
    fake.add_fault(method="DELETE", person_id=fake.id_of("student00003@example.edu"), status=503, times=5)
    result = run(fake, "--yes", "--no-protected-emails", "--report", str(tmp_path / "r.csv"))
    assert result.code == ExitStatus.SOME_FAILED
    assert "Next: run the same command again to finish the 2 not done" in result.out
    assert "1 of them were refused for good (HTTP 4xx) and will be again: leave them out with --exclude." in result.out
