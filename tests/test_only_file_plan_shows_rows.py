"""Issue 21, item 2: before acting on an --only-file, the plan names the column it read and shows
three of the rows that select someone, beside the other columns of each, so that a wrong column
(the managers' addresses) is visible in the dry run."""

from __future__ import annotations

from pathlib import Path

from conftest import student, write_file
from remove_users import ExitStatus


def leavers(tmp_path: Path, rows: int = 2) -> str:
    lines = ["Personalnummer;Mitarbeiter;E-Mail Vorgesetzter;Austrittsdatum"]
    for n in range(1, rows + 1):
        lines.append(f"10{n:02d};Leaver {n};{student(n)};2026-03-31")
    return write_file(tmp_path, "\n".join(lines) + "\n", "austritte.csv")


def test_the_dry_run_shows_the_rows_beside_whom_they_select(run, fake, tmp_path):
    path = leavers(tmp_path)
    result = run(fake, "--only-file", path, "--email-column", "E-Mail Vorgesetzter", "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert (
        f"Emails from {path} (--only-file): column 'E-Mail Vorgesetzter'\n"
        "  Rows that select someone, beside their other columns "
        "(do they describe the person selected?):\n"
        "    line 2  student00001@example.edu (Student 1)  "
        "Personalnummer: 1001 | Mitarbeiter: Leaver 1 | Austrittsdatum: 2026-03-31\n"
        "    line 3  student00002@example.edu (Student 2)  "
        "Personalnummer: 1002 | Mitarbeiter: Leaver 2 | Austrittsdatum: 2026-03-31\n"
    ) in result.out
    assert len(fake.emails()) == 22 and fake.writes() == []


def test_three_rows_at_most_and_only_rows_that_select_someone(run, fake, tmp_path):
    path = Path(leavers(tmp_path, rows=6))
    path.write_text(
        "Personalnummer;Mitarbeiter;E-Mail;Austrittsdatum\n"
        "1000;Gone Already;gone@example.edu;2025-01-31\n"
        + path.read_text(encoding="utf-8").split("\n", 1)[1],
        encoding="utf-8",
    )
    result = run(fake, "--only-file", str(path), "--yes")
    assert result.code == ExitStatus.OK, result.err
    samples = [line for line in result.out.splitlines() if line.startswith("    line ")]
    selected = [line.split()[2] for line in samples]
    assert selected == [student(n) for n in [1, 2, 3]]
    assert "gone@example.edu" not in "\n".join(samples)
    assert result.out.index("Rows that select someone") < result.out.index("People to remove:")
    assert fake.emails().isdisjoint({student(n) for n in range(1, 7)})


def test_keep_files_and_quiet_runs_show_no_rows(run, fake, tmp_path):
    path = leavers(tmp_path)
    keep = run(fake, "--exclude-file", path, "--email-column", f"{path}=3", "--dry-run")
    assert keep.code == ExitStatus.OK, keep.err
    assert "Rows that select someone" not in keep.out
    named = ["--email-column", "E-Mail Vorgesetzter"]
    quiet = run(fake, "--only-file", path, *named, "--dry-run", "-q")
    assert f"Emails from {path} (--only-file): column 'E-Mail Vorgesetzter'" in quiet.out
    assert "Rows that select someone" not in quiet.out
