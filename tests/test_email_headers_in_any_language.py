"""Issue 21, item 1: a column that holds someone else's address (a manager's, a deputy's) or a
personal one is never taken unasked, whatever language the export's headers are in."""

from __future__ import annotations

import pytest

from conftest import write_file
from remove_users import ExitStatus


def test_a_german_leavers_export_with_the_managers_address_removes_nobody(run, fake, tmp_path):
    fake.add_person("ta@example.edu", "Terry Assistant")
    fake.add_person("archive@example.edu", "Course Archive")
    before = fake.emails()
    leavers = write_file(
        tmp_path,
        "Personalnummer;Mitarbeiter;E-Mail Vorgesetzter;Austrittsdatum\n"
        "1001;Student One;ta@example.edu;2026-03-31\n"
        "1002;Student Two;archive@example.edu;2026-03-31\n",
        "leavers.csv",
    )
    result = run(fake, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {leavers}: no column holds the listed people's own address "
        "('E-Mail Vorgesetzter': a manager's address); export the column with the address each "
        "person has in AAC, or, if one of these is it after all, name it with --email-column\n"
    )
    assert fake.emails() == before
    assert fake.writes() == []


@pytest.mark.parametrize(
    "header, meaning",
    [
        ("E-Mail des Vorgesetzten", "a manager's"),
        ("E-Mail Führungskraft", "a manager's"),
        ("E-Mail Fuehrungskraft", "a manager's"),
        ("VorgesetztenEmail", "a manager's"),
        ("E-Mail Stellvertreter", "a deputy's"),
        ("E-mail leidinggevende", "a manager's"),
        ("E-mail du responsable", "a manager's"),
        ("E-mail du supérieur", "a manager's"),
        ("Email del jefe", "a manager's"),
        ("Email del responsabile", "a manager's"),
        ("E-mail do gestor", "a manager's"),
        ("Email (suplente)", "a deputy's"),
        ("E-mail plaatsvervanger", "a deputy's"),
        ("E-mail suppléant", "a deputy's"),
        ("E-Mail (privat)", "a personal"),
        ("E-mail privé", "a personal"),
        ("E-mail prive", "a personal"),
        ("E-mail personnel", "a personal"),
        ("Email personale", "a personal"),
        ("Email pessoal", "a personal"),
        ("Email privado", "a personal"),
        ("E-mail (casa)", "a personal"),
        ("E-mail thuis", "a personal"),
        ("E-Mail persönlich", "a personal"),
        ("Home Email", "a personal"),
        ("MANAGER_EMAIL", "a manager's"),
    ],
)
def test_someone_elses_or_a_personal_address_in_any_language_is_refused(
    run, fake, tmp_path, header, meaning
):
    leavers = write_file(
        tmp_path, f"Name;{header}\nStudent Two;student00002@example.edu\n", "leavers.csv"
    )
    result = run(fake, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.USAGE
    refused = f"no column holds the listed people's own address ({header!r}: {meaning} address)"
    assert refused in result.err
    assert fake.writes() == []


@pytest.mark.parametrize(
    "header",
    [
        "Email (work)",
        "E-Mail geschäftlich",
        "Dienstliche E-Mail",
        "E-Mail Mitarbeiter",
        "E-mail professionnel",
        "Adresse e-mail",
        "Zakelijk e-mailadres",
        "Indirizzo email aziendale",
        "Endereço de e-mail corporativo",
        "E-mail do colaborador",
        "Email Address [Required]",
        "userPrincipalName Email",
        "Student Email",
    ],
)
def test_the_persons_own_work_address_is_still_taken(run, fake, tmp_path, header):
    leavers = write_file(
        tmp_path, f"Personalnummer;{header}\n1002;student00002@example.edu\n", "leavers.csv"
    )
    result = run(fake, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert "student00002@example.edu" not in fake.emails()
    assert len(fake.writes()) == 1
