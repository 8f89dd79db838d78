"""Issue 18: a keep file chosen on the review page arrives as the text the browser read; it is read
by the code of --exclude-file, with the same column choice, checks and errors."""

from __future__ import annotations

import pytest

from remove_users import Console, UsageError, collect_emails, read_email_file

EXPORT = "Name;Work Email;Manager Email\nTerry;ta@example.edu;jane@example.edu\nNo One;;\n"


def test_text_is_read_as_the_file_would_be(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(EXPORT, encoding="utf-8")
    from_file = read_email_file(str(path), ["Work Email"])
    from_text = read_email_file(str(path), ["Work Email"], text=EXPORT)
    assert from_text == from_file
    assert from_text.emails == ["ta@example.edu"] and from_text.empty_rows == [3]


@pytest.mark.parametrize(
    "text, refusal",
    [
        ("Email\nta@example.edu\nJos\ufffd\n", "staff.csv is not UTF-8 text; save it as UTF-8"),
        ("PK\x03\x04\x14\x00\x06\x00", "staff.csv looks like an Excel workbook, not text"),
    ],
)
def test_what_the_byte_checks_refuse_is_refused_in_decoded_text(text, refusal):
    with pytest.raises(UsageError, match=refusal):
        read_email_file("staff.csv", text=text)


def test_a_file_read_elsewhere_is_one_of_the_run_s_files(tmp_path):
    read: list = []
    texts = {"keep.csv": "Email\nta@example.edu\n"}
    emails = collect_emails([], "--exclude", ["keep.csv"], [], Console(), read, texts=texts)
    assert emails == ["ta@example.edu"] and not (tmp_path / "keep.csv").exists()
    assert read[0].path == "keep.csv" and read[0].column == "Email"
    with pytest.raises(UsageError, match="staff.csv .--exclude-file. holds no email at all"):
        collect_emails([], "--exclude", ["staff.csv"], [], Console(), texts={"staff.csv": "\n"})
