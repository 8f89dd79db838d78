"""The listed people's own address is recognised in the languages of the word table (Courriel,
Correo electrónico, ...), someone else's in more words (team lead, N+1, Betreuer, ...), and an
email column whose header the table cannot classify is a question even when it is the only one."""

from __future__ import annotations

import pytest

from conftest import write_file
from remove_users import ExitStatus


def test_a_french_keep_file_protects_the_people_not_their_manager(run, staff, tmp_path):
    keep = write_file(
        tmp_path,
        "Nom;Courriel;Email N+1\nTerry Assistant;ta@example.edu;jane@example.edu\n"
        "Course Archive;archive@example.edu;jane@example.edu\n",
        "equipe.csv",
    )
    result = run(staff, "--exclude-file", keep, "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert f"Emails from {keep} (--exclude-file): column 'Courriel'" in result.out
    assert {"ta@example.edu", "archive@example.edu"} <= staff.emails()
    assert "jane@example.edu" not in staff.emails()


@pytest.mark.parametrize(
    "own, manager",
    [
        ("Courriel", "Email N+1"),
        ("Adresse de messagerie", "Courriel N+1"),
        ("Correo electrónico", "Email líder"),
        ("Posta elettronica", "Email referente"),
        ("E-mailadres", "E-mail teamleider"),
        ("E-Mail-Adresse (geschäftlich)", "E-Mail Teamleitung"),
        ("Correio eletrônico", "E-mail do líder"),
        ("Work Email", "Team Lead Email"),
    ],
)
def test_a_leavers_export_selects_the_leavers_not_the_managers(run, staff, tmp_path, own, manager):
    leavers = write_file(
        tmp_path,
        f"Matricule;Nom;{own};{manager};Date de sortie\n"
        "1001;Terry Assistant;ta@example.edu;jane@example.edu;2026-03-31\n"
        "1002;Course Archive;archive@example.edu;jane@example.edu;2026-03-31\n",
        "leavers.csv",
    )
    result = run(staff, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert "jane@example.edu" in staff.emails()
    assert staff.emails().isdisjoint({"ta@example.edu", "archive@example.edu"})


@pytest.mark.parametrize(
    "header, meaning",
    [
        ("Team Lead Email", "a manager's"),
        ("E-Mail Teamleitung", "a manager's"),
        ("Head of Department Email", "a manager's"),
        ("Verantwortlicher E-Mail", "a manager's"),
        ("Email N+1", "a manager's"),
        ("Email líder", "a manager's"),
        ("Email referente", "a manager's"),
        ("HRBP Email", "a manager's"),
        ("E-Mail Betreuer", "someone else's"),
        ("E-Mail Ausbilder", "someone else's"),
        ("HR Partner Email", "someone else's"),
        ("Successor Email", "a deputy's"),
        ("Transfer To Email", "a deputy's"),
        ("Proxy Email", "a deputy's"),
        ("Other Email", "a secondary"),
    ],
)
def test_more_words_for_someone_elses_address_are_refused_alone(
    run, staff, tmp_path, header, meaning
):
    leavers = write_file(
        tmp_path, f"Name;{header}\nTerry Assistant;jane@example.edu\n", "leavers.csv"
    )
    result = run(staff, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.USAGE
    assert f"no column holds the listed people's own address ({header!r}: {meaning} address)" in (
        result.err
    )
    assert "jane@example.edu" in staff.emails() and staff.writes() == []


@pytest.mark.parametrize(
    "header",
    [
        "Courriel", "Adresse électronique", "Correo electrónico", "Posta elettronica",
        "Correio eletrônico", "E-postadres", "E-postadresse", "E-Mail-Adresse", "Leavers Email",
    ],
)  # fmt: skip
def test_the_persons_own_address_in_more_languages_is_taken_alone(run, staff, tmp_path, header):
    leavers = write_file(tmp_path, f"Nom;{header}\nTerry Assistant;ta@example.edu\n", "leavers.csv")
    result = run(staff, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert f"Emails from {leavers} (--only-file): column {header!r}" in result.out
    assert "ta@example.edu" not in staff.emails() and len(staff.writes()) == 1


@pytest.mark.parametrize("flag", ["--only-file", "--exclude-file"])
def test_an_only_email_column_the_table_cannot_classify_is_a_question(run, staff, tmp_path, flag):
    # "Pate" (a buddy, in German) is in no row of the table.
    path = write_file(
        tmp_path, "Name;Pate E-Mail\nTerry Assistant;jane@example.edu\n", "leavers.csv"
    )
    before = staff.emails()
    result = run(staff, flag, path, "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {path}: the only email column, 'Pate E-Mail', does not say whose "
        "address it holds (the tool does not know 'pate'); if it holds the listed people's own "
        "addresses, name it with --email-column 'Pate E-Mail'\n"
    )
    assert staff.emails() == before and staff.writes() == []


def test_naming_an_unclassified_column_shows_its_rows_in_the_plan(run, staff, tmp_path):
    path = write_file(
        tmp_path, "Name;Pate E-Mail\nTerry Assistant;jane@example.edu\n", "leavers.csv"
    )
    result = run(staff, "--only-file", path, "--email-column", "Pate E-Mail", "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "line 2  jane@example.edu (Jane Doe)  Name: Terry Assistant" in result.out
