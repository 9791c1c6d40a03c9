"""Files on the customer card through HTTP: upload, download, delete, each with its right."""
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditLog, Customer, CustomerFile, User, db
from services.registers import customer_files
from tests.factories import PDF, csrf_from, make_user, png
from tests.factories import customer as customer_builder
from tests.card_tabs import opened_card

UPLOAD = "/admin/customer/files/upload/"


@pytest.fixture
def customer_id(app):
    with app.app_context():
        customer = customer_builder(db.session, "500", "Bilia AB")
        db.session.commit()
        return customer.id


def card(client, cid: int) -> str:
    return opened_card(client, cid)


def upload(client, cid: int, name: str, data: bytes, nonce: str | None = None):
    page = card(client, cid)
    form = {"csrf_token": csrf_from(page), "customer_id": str(cid), "file": (io.BytesIO(data), name)}
    if nonce:
        form["form_nonce"] = nonce
    return client.post(UPLOAD, data=form, content_type="multipart/form-data")


def fetch(client, file_id: int):
    """The download's status and bytes (the response is closed: it holds the file open)."""
    response = client.get(f"/admin/customer/files/{file_id}/")
    try:
        return response.status_code, response.data, response.headers, response.mimetype
    finally:
        response.close()


def stored(app) -> list[tuple[str, Path]]:
    with app.app_context():
        rows = db.session.scalars(select(CustomerFile).order_by(CustomerFile.id)).all()
        return [(r.filename, customer_files.file_path(app.config["FILES_DIR"], r)) for r in rows]


def test_upload_lists_downloads_records_history_and_deletes(app, client, auth, admin_user, customer_id):
    auth.login()
    response = upload(client, customer_id, "Avtal <2026>.pdf", PDF)
    assert response.status_code == 302 and response.location.endswith("#tab-files")
    [(name, path)] = stored(app)
    assert name == "Avtal <2026>.pdf" and path.read_bytes() == PDF
    html = card(client, customer_id)
    assert "Avtal &lt;2026&gt;.pdf" in html and "Avtal <2026>" not in html  # escaped
    with app.app_context():
        file_id = db.session.scalar(select(CustomerFile.id))
        history = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "customer_file")).all()
        assert any(h.parent_id == str(customer_id) and h.new_value == name for h in history)
    status, data, headers, mimetype = fetch(client, file_id)
    assert status == 200 and data == PDF
    assert mimetype == "application/pdf" and headers["X-Content-Type-Options"] == "nosniff"
    assert "2026" in headers["Content-Disposition"]
    token = csrf_from(card(client, customer_id))
    response = client.post(f"/admin/customer/files/{file_id}/delete/", data={"csrf_token": token})
    assert response.status_code == 302
    assert stored(app) == [] and not path.exists()


def test_refused_file_is_explained_and_nothing_written(app, client, auth, admin_user, customer_id):
    auth.login()
    response = upload(client, customer_id, "faktura.pdf", b"MZ" + b"\x00" * 200)
    assert response.status_code == 302
    assert "Innehållet i faktura.pdf är inte en .pdf-fil" in card(client, customer_id)
    assert stored(app) == [] and not (Path(app.config["FILES_DIR"]) / "customer_files").exists()


def test_double_click_on_upload_stores_the_file_once(app, client, auth, admin_user, customer_id):
    auth.login()
    upload(client, customer_id, "skada.png", png(), nonce="upload-1")
    upload(client, customer_id, "skada.png", png(), nonce="upload-1")
    assert [name for name, _ in stored(app)] == ["skada.png"]


@pytest.mark.parametrize("rights, may_upload, may_delete", [
    ({"customer.view"}, False, False),
    ({"customer.view", "customer.upload"}, True, False),
    ({"customer.view", "customer.delete_uploads"}, False, True),
])
def test_each_right_is_checked_on_the_server(app, client, auth, admin_user, customer_id, rights, may_upload,
                                             may_delete):
    auth.login()
    upload(client, customer_id, "first.pdf", PDF)
    auth.logout()
    make_user(app, "clerk", rights)
    auth.login("clerk")
    html = card(client, customer_id)
    assert ('id="upload-form"' in html) == may_upload
    assert ("delete-file" in html) == may_delete
    response = upload(client, customer_id, "second.pdf", PDF)
    assert (response.status_code == 302) == may_upload and (response.status_code == 403) != may_upload
    assert len(stored(app)) == (2 if may_upload else 1)
    with app.app_context():
        file_id = db.session.scalar(select(CustomerFile.id).where(CustomerFile.filename == "first.pdf"))
    assert fetch(client, file_id)[1] == PDF  # viewing the card is enough
    response = client.post(f"/admin/customer/files/{file_id}/delete/", data={"csrf_token": csrf_from(html)})
    assert response.status_code == (302 if may_delete else 403)
    assert ("first.pdf" in [name for name, _ in stored(app)]) != may_delete


def test_view_assigned_only_reaches_the_files_of_assigned_customers(app, client, auth, admin_user, customer_id):
    auth.login()
    upload(client, customer_id, "first.pdf", PDF)
    auth.logout()
    tech = make_user(app, "tech", {"customer.view_assigned", "customer.upload"})
    with app.app_context():
        file_id = db.session.scalar(select(CustomerFile.id))
    auth.login("tech")
    assert fetch(client, file_id)[0] == 403
    token = csrf_from(client.get("/admin/customer/").get_data(as_text=True))
    response = client.post(UPLOAD, data={"csrf_token": token, "customer_id": str(customer_id),
                                         "file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 403 and len(stored(app)) == 1
    with app.app_context():
        db.session.get(Customer, customer_id).technicians = [db.session.get(User, tech)]
        db.session.commit()
    assert fetch(client, file_id)[1] == PDF


def test_deleting_the_customer_removes_its_files(app, client, auth, admin_user, customer_id):
    auth.login()
    upload(client, customer_id, "first.pdf", PDF)
    [(_name, path)] = stored(app)
    token = csrf_from(card(client, customer_id))
    client.post("/admin/customer/delete/", data={"id": customer_id, "csrf_token": token})
    with app.app_context():
        assert db.session.get(Customer, customer_id) is None
    assert stored(app) == [] and not path.exists()
