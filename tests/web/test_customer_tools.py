"""GDPR erase/export and merge through HTTP, with their own rights."""
from sqlalchemy import select

from models import Customer, PersonalDataErasure, Vehicle, db
from tests.conftest import csrf_from, make_user


def _customers(app):
    with app.app_context():
        greta = Customer(customer_number="7001", kind="private", name="Greta Gustafsson",
                         personal_number="199001011239", email="greta@example.se")
        firma = Customer(customer_number="7002", kind="company", name="Firma AB")
        dup = Customer(customer_number="7003", kind="company", name="Firma Aktiebolag")
        db.session.add_all([greta, firma, dup])
        db.session.flush()
        db.session.add(Vehicle(registration_number="ABC123", owner_id=dup.id))
        db.session.commit()
        return greta.id, firma.id, dup.id


def test_gdpr_export_and_erase(app, client, auth, admin_user):
    greta, firma, _dup = _customers(app)
    auth.login()
    card = client.get(f"/admin/customer/details/?id={greta}").get_data(as_text=True)
    assert 'id="erase-form"' in card
    assert 'id="erase-form"' not in client.get(f"/admin/customer/details/?id={firma}").get_data(as_text=True)
    exported = client.get(f"/admin/customer-tools/{greta}/personal-data.json")
    assert exported.status_code == 200 and exported.get_json()["customer"]["email"] == "greta@example.se"
    pdf = client.get(f"/admin/customer-tools/{greta}/personal-data.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    token = csrf_from(card, last=False)
    client.post(f"/admin/customer-tools/{greta}/erase", data={"csrf_token": token, "confirm": "wrong"})
    with app.app_context():
        assert db.session.get(Customer, greta).name == "Greta Gustafsson"
    client.post(f"/admin/customer-tools/{firma}/erase", data={"csrf_token": token, "confirm": "7002"})
    with app.app_context():
        assert db.session.get(Customer, firma).name == "Firma AB"  # companies are not erased
    client.post(f"/admin/customer-tools/{greta}/erase", data={"csrf_token": token, "confirm": "7001"})
    with app.app_context():
        assert db.session.get(Customer, greta).email is None
        assert db.session.scalar(select(PersonalDataErasure)).erased_by_id == admin_user


def test_merge_preview_and_merge(app, client, auth, admin_user):
    _greta, firma, dup = _customers(app)
    auth.login()
    preview = client.get(f"/admin/customer-tools/merge?keep={firma}&duplicates=7003").get_data(as_text=True)
    assert "Firma Aktiebolag" in preview and "1 × fordon" in preview and 'id="merge-confirm"' in preview
    self_merge = client.get(f"/admin/customer-tools/merge?keep={firma}&duplicates=7002").get_data(as_text=True)
    assert 'id="merge-error"' in self_merge and 'id="merge-confirm"' not in self_merge
    token = csrf_from(preview, last=True)
    r = client.post("/admin/customer-tools/merge", data={"csrf_token": token, "keep": firma, "duplicates": "7003"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Customer, dup) is None
        assert db.session.scalar(select(Vehicle.owner_id)) == firma


def test_tools_need_their_rights(app, client, auth, admin_user):
    greta, firma, _dup = _customers(app)
    make_user(app, "editor", {"customer.view", "customer.edit", "customer.delete"})
    auth.login("editor")
    assert 'id="customer-tools"' not in client.get(f"/admin/customer/details/?id={greta}").get_data(as_text=True)
    assert client.get(f"/admin/customer-tools/{greta}/personal-data.json").status_code == 403
    assert client.get(f"/admin/customer-tools/merge?keep={firma}&duplicates=7003").status_code == 403
    token = csrf_from(client.get("/admin/").get_data(as_text=True), last=False)
    assert client.post(f"/admin/customer-tools/{greta}/erase",
                       data={"csrf_token": token, "confirm": "7001"}).status_code == 403
