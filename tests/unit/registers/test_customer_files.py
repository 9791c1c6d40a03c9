"""services.registers.customer_files: which files are taken, where they lie, and that a row never
outlives its file or the other way round (SQLite and PostgreSQL)."""
import io
import zipfile

import pytest
from sqlalchemy import select

from models import Customer, CustomerFile
from services import DomainError
from services.registers import customer_files as cf
from tests import factories as f
from tests.factories import PDF, png


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("sent, kept", [
    ("C:\\fakepath\\Körkort Anna.pdf", "Körkort Anna.pdf"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("  skada\x00\x1f bak.jpg  ", "skada bak.jpg"),
    ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ("", ""),
    (None, ""),
])
def test_clean_filename_keeps_the_name_without_folders_or_control_characters(sent, kept):
    assert cf.clean_filename(sent) == kept


@pytest.mark.parametrize("name, data, content_type", [
    ("avtal.pdf", PDF, "application/pdf"),
    ("Skada.PNG", png(), "image/png"),
    ("offert.docx", docx(), cf.ALLOWED["docx"]),
    ("lista.csv", "Namn;Ort\nÅsa;Umeå\n".encode(), "text/csv; charset=utf-8"),
    ("gammal.txt", "Åsa".encode("cp1252"), "text/plain"),
])
def test_documents_and_pictures_are_taken_with_their_type(name, data, content_type):
    assert cf.check_content(name, data) == content_type


@pytest.mark.parametrize("name, data, message", [
    ("program.exe", b"MZ\x90\x00" + b"\x00" * 60, "only PDF"),
    ("faktura.pdf", b"MZ\x90\x00" + b"\x00" * 60, "not a .pdf"),
    ("bild.png", PDF, "not a .png"),
    ("sida.html", b"<html><script>alert(1)</script></html>", "only PDF"),
    ("utan-typ", PDF, "only PDF"),
    ("tom.pdf", b"", "empty"),
    ("binar.txt", b"abc\x00def", "not a text file"),
    ("stor.pdf", PDF + b"0" * cf.MAX_BYTES, "larger than 10 MB"),
    ("", PDF, "Choose a file"),
])
def test_other_files_are_refused_with_the_reason(name, data, message):
    with pytest.raises(DomainError) as refused:
        cf.check_content(name, data)
    assert message in refused.value.message and refused.value.field == "file"


def _customer_and_user(session):
    return f.customer(session, "1", "Bilia AB"), f.user(session, "sara")


def test_file_is_stored_under_a_random_name(session, tmp_path):
    customer, user = _customer_and_user(session)
    row = cf.add_file(session, customer, "C:\\x\\Avtal 2026.pdf", PDF, user, tmp_path)
    session.commit()
    assert row.filename == "Avtal 2026.pdf" and row.size_bytes == len(PDF) and row.uploaded_by == user
    path = cf.file_path(tmp_path, row)
    assert path.is_relative_to(tmp_path / "customer_files")
    assert path.read_bytes() == PDF and path.name != row.filename and path.suffix == ".pdf"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left
    assert session.scalars(select(CustomerFile.filename)).all() == ["Avtal 2026.pdf"]


def test_refused_file_writes_nothing(session, tmp_path):
    customer, user = _customer_and_user(session)
    with pytest.raises(DomainError):
        cf.add_file(session, customer, "virus.pdf", b"MZ" + b"\x00" * 100, user, tmp_path)
    assert not (tmp_path / "customer_files").exists()
    assert session.scalars(select(CustomerFile)).all() == []


def test_discard_deletes_from_disk(session, tmp_path):
    customer, user = _customer_and_user(session)
    first = cf.add_file(session, customer, "a.pdf", PDF, user, tmp_path)
    second = cf.add_file(session, customer, "b.png", png(), user, tmp_path)
    session.commit()
    cf.discard(tmp_path, first)
    assert not cf.file_path(tmp_path, first).exists() and cf.file_path(tmp_path, second).exists()
    cf.discard(tmp_path, first)  # twice is harmless
    cf.discard_all(None, [second])
    assert cf.file_path(tmp_path, second).exists()
    cf.discard_all(tmp_path, [first, second])
    assert not cf.file_path(tmp_path, second).exists()


def test_a_merge_takes_the_files_along(session, tmp_path):
    from services.registers import merge

    keep, user = _customer_and_user(session)
    duplicate = Customer(customer_number="2", name="Bilia Dubblett AB", kind="company")
    session.add(duplicate)
    session.flush()
    row = cf.add_file(session, duplicate, "avtal.pdf", PDF, user, tmp_path)
    session.commit()
    merge.merge(session, keep, [duplicate], user.id)
    session.commit()
    session.expire_all()
    assert [f.filename for f in session.get(Customer, keep.id).files] == ["avtal.pdf"]
    assert cf.file_path(tmp_path, session.get(CustomerFile, row.id)).read_bytes() == PDF
