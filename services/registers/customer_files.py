"""Files kept with a customer (Uppladdning, reference 001): a scanned driving licence, a signed
agreement, photos of a damage. The file lies on disk under ``files_dir/customer_files/`` with a
random name (not in a folder per customer: a merge moves the rows, the files stay where they
are); the row (CustomerFile) keeps the name the user gave it, the type and the size.

Only documents and pictures are taken, and the content must be what the name says (a program
renamed to .pdf is refused): the type is read from the first bytes with ``filetype``."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import filetype
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from models import Customer, CustomerFile, User
from services import DomainError

MAX_BYTES = 10 * 1024 * 1024
# extension -> the MIME type it is served with
ALLOWED = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
    "webp": "image/webp", "heic": "image/heic", "tif": "image/tiff", "tiff": "image/tiff",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "txt": "text/plain", "csv": "text/csv",
}
TEXT = {"txt", "csv"}
# what filetype calls a kind of content, for the extensions where the two differ
SAME_CONTENT = {"jpeg": "jpg", "tiff": "tif"}
ACCEPT = ",".join(f".{ext}" for ext in ALLOWED)  # for <input type="file" accept=...>


def clean_filename(name: str | None) -> str:
    """The file's own name, without any folder a browser sent along, control characters or
    surrounding blanks; at most 200 characters with the extension kept."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:199 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def check_content(filename: str, data: bytes) -> str:
    """The MIME type to keep for ``data`` named ``filename``; DomainError when the type is not
    taken, the file is empty or too big, or the content is not what the name says."""
    if not filename:
        raise DomainError(_("Choose a file to upload."), "file")
    if not data:
        raise DomainError(_("%(f)s is empty.", f=filename), "file")
    if len(data) > MAX_BYTES:
        raise DomainError(_("%(f)s is larger than %(mb)s MB.", f=filename, mb=MAX_BYTES // (1024 * 1024)), "file")
    ext = _extension(filename)
    if ext not in ALLOWED:
        raise DomainError(_("%(f)s cannot be uploaded: only PDF, pictures, Word, Excel, OpenDocument and text "
                            "files are taken.", f=filename), "file")
    if ext in TEXT:
        if b"\x00" in data[:8192]:
            raise DomainError(_("%(f)s is not a text file.", f=filename), "file")
        return ALLOWED[ext] + "; charset=utf-8" if _is_utf8(data) else ALLOWED[ext]
    kind = filetype.guess(data)
    found = kind.extension if kind else None
    if SAME_CONTENT.get(ext, ext) != SAME_CONTENT.get(found, found):
        raise DomainError(_("The content of %(f)s is not a .%(ext)s file.", f=filename, ext=ext), "file")
    return ALLOWED[ext]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def file_path(files_dir: str | os.PathLike, file: CustomerFile) -> Path:
    # a folder per two first characters keeps any one folder small
    return Path(files_dir) / "customer_files" / file.stored_name[:2] / file.stored_name


def add_file(session: Session, customer: Customer, filename: str | None, data: bytes, user: User,
             files_dir: str | os.PathLike) -> CustomerFile:
    """Store ``data`` with ``customer`` and add its row to the session (not committed): the
    caller commits, or calls ``discard`` when the commit fails, so no file is left without a row."""
    name = clean_filename(filename)
    content_type = check_content(name, data)
    row = CustomerFile(customer=customer, filename=name, stored_name=f"{uuid.uuid4().hex}.{_extension(name)}",
                       content_type=content_type, size_bytes=len(data), uploaded_by=user)
    path = file_path(files_dir, row)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    partial.replace(path)
    session.add(row)
    return row


def discard(files_dir: str | os.PathLike, file: CustomerFile) -> None:
    """Remove the stored file of a row that was deleted, or never committed."""
    file_path(files_dir, file).unlink(missing_ok=True)


def discard_all(files_dir: str | os.PathLike | None, files: list[CustomerFile]) -> None:
    """Remove the stored files of rows deleted with their customer (deleted or erased)."""
    if files_dir:
        for file in files:
            discard(files_dir, file)
