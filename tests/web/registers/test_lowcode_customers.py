"""Customer register gaps (issue 10 item 8) through HTTP: a duplicate organisation number warns
with a link and is saved after confirming; the customer number is read-only for
non-administrators; technicians are assigned ("Tilldela") from the card and from the list, in
bulk, with a picker grouped by role; rights are checked on the server."""
import re

from sqlalchemy import select

from models import Customer, Notification, Role, User, db
from tests.factories import CUSTOMER_NEW, csrf_from, make_user
from tests.factories import customer as make_customer
from tests.factories import post_customer as create


def test_a_duplicate_organisation_number_warns_with_a_link_and_saves_after_confirming(app, client, auth,
                                                                                        admin_user):
    auth.login()
    with app.app_context():
        first = make_customer(db.session, "1001", "Bygg AB", org="5560360793").id
        db.session.commit()
    response = create(client, auth, name="Bygg AB filial")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Organisationsnumret används redan av" in html
    assert re.search(rf'<a href="/admin/customer/details/\?id={first}"[^>]*>1001 Bygg AB</a>', html)
    box = re.search(r'<input type="checkbox" name="confirm_duplicate" value="([\d,]+)"', html)
    assert box and box.group(1) == str(first)
    with app.app_context():
        assert db.session.scalar(select(Customer).where(Customer.name == "Bygg AB filial")) is None
    response = create(client, auth, name="Bygg AB filial", confirm_duplicate=str(first), form_nonce="n2")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Customer.org_number).where(Customer.name == "Bygg AB filial")) == "5560360793"


def test_a_duplicate_the_user_may_not_see_is_not_named(app, client, auth):
    """A technician limited to assigned customers learns nothing of the others."""
    uid = make_user(app, "tech", {"customer.view_assigned", "customer.create", "customer.edit_assigned"})
    with app.app_context():
        make_customer(db.session, "1001", "Hemlig AB", org="5560360793")
        db.session.commit()
    auth.login("tech")
    response = create(client, auth, name="Ny AB")
    assert "Hemlig" not in response.get_data(as_text=True)
    assert uid


def test_the_customer_number_is_read_only_for_non_administrators(app, client, auth, admin_user):
    make_user(app, "editor", {"customer.view", "customer.edit", "customer.create"})
    with app.app_context():
        cid = make_customer(db.session, "1001", "Bygg AB").id
        db.session.commit()
    auth.login("editor")
    url = f"/admin/customer/edit/?id={cid}"
    html = client.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="customer_number"[^>]*readonly', html)
    assert "Bara administratören kan ändra kundnumret." in html
    auth.logout()
    auth.login()
    html = client.get(url).get_data(as_text=True)
    assert not re.search(r'<input[^>]*id="customer_number"[^>]*readonly', html)


def _technicians(app):
    with app.app_context():
        role = Role(name="Tekniker-test")
        db.session.add(role)
        db.session.flush()
        from models import RoleRight
        role.rights = [RoleRight(right="customer.view_assigned")]
        ids = {}
        for name in ("erik", "fatima"):
            u = User(username=name, full_name=name.title() + " Tekniker", password_hash="x", role=role)
            db.session.add(u)
            db.session.flush()
            ids[name] = u.id
        gone = User(username="gone", full_name="Slutat", password_hash="x", role=role, active=False)
        db.session.add(gone)
        customers = [make_customer(db.session, str(1001 + i), f"Kund {i}", org=org).id
                     for i, org in enumerate(("5560360793", "5566778899", "5560000001"))]
        db.session.commit()
        return ids, customers


def test_assign_from_the_card_with_a_picker_grouped_by_role(app, client, auth, admin_user):
    auth.login()
    techs, customers = _technicians(app)
    card = client.get(f"/admin/customer/details/?id={customers[0]}").get_data(as_text=True)
    assert 'id="assign-technicians"' in card
    page = client.get(f"/admin/customer/assign/?ids={customers[0]}").get_data(as_text=True)
    groups = re.findall(r'<legend class="h6">([^<]+)</legend>', page)
    assert groups[0] == "Tekniker-test"  # the technicians' role first
    assert "Erik Tekniker" in page and "Slutat" not in page  # inactive users are not offered
    token = csrf_from(page)
    response = client.post("/admin/customer/assign/", data={
        "csrf_token": token, "ids": str(customers[0]), "user": [str(techs["erik"]), str(techs["fatima"])],
        "mode": "set", "url": f"/admin/customer/details/?id={customers[0]}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"id={customers[0]}")
    page = client.get(f"/admin/customer/assign/?ids={customers[0]}").get_data(as_text=True)
    assert re.search(rf'id="assign-user-{techs["erik"]}" checked', page)
    # "Klar" with Fatima unticked removes her, and she is told
    client.post("/admin/customer/assign/", data={"csrf_token": token, "ids": str(customers[0]),
                                                 "user": [str(techs["erik"])], "mode": "set"})
    with app.app_context():
        customer = db.session.get(Customer, customers[0])
        assert [u.username for u in customer.technicians] == ["erik"]
        texts = [n.message for n in db.session.scalars(select(Notification).where(
            Notification.user_id == techs["fatima"]).order_by(Notification.id))]
        assert len(texts) == 2 and "inte längre" in texts[-1]


def test_assign_in_bulk_from_the_list(app, client, auth, admin_user):
    auth.login()
    techs, customers = _technicians(app)
    listing = client.get("/admin/customer/").get_data(as_text=True)
    assert "Tilldela tekniker" in listing  # the list action
    token = csrf_from(listing)
    response = client.post("/admin/customer/action/", data={
        "csrf_token": token, "action": "assign", "rowid": [str(c) for c in customers[:2]]})
    assert response.status_code == 302 and "/admin/customer/assign/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="assign-add"' in page and "2 kunder:" in page
    client.post("/admin/customer/assign/", data={"csrf_token": token, "ids": f"{customers[0]},{customers[1]}",
                                                 "user": [str(techs["erik"])], "mode": "add"})
    with app.app_context():
        assigned = {c.id: [u.username for u in c.technicians] for c in db.session.scalars(select(Customer))}
    assert assigned == {customers[0]: ["erik"], customers[1]: ["erik"], customers[2]: []}
    client.post("/admin/customer/assign/", data={"csrf_token": token, "ids": f"{customers[1]}",
                                                 "user": [str(techs["erik"])], "mode": "remove"})
    with app.app_context():
        assert db.session.get(Customer, customers[1]).technicians == []
        assert db.session.get(Customer, customers[0]).technicians[0].username == "erik"


def test_assign_needs_the_right_on_the_server(app, client, auth):
    make_user(app, "viewer", {"customer.view", "customer.edit"})
    with app.app_context():
        cid = make_customer(db.session, "1001", "Bygg AB").id
        db.session.commit()
    auth.login("viewer")
    assert client.get(f"/admin/customer/assign/?ids={cid}").status_code == 403
    token = auth.token("/admin/customer/")
    assert client.post("/admin/customer/assign/", data={"csrf_token": token, "ids": str(cid), "mode": "set"}
                       ).status_code == 403
    assert 'id="assign-technicians"' not in client.get(f"/admin/customer/details/?id={cid}").get_data(as_text=True)
    # no CSRF token: refused
    make_user(app, "boss", admin=True)
    auth.logout()
    auth.login("boss")
    assert client.post("/admin/customer/assign/", data={"ids": str(cid), "mode": "set"}).status_code in (400, 403)
    assert CUSTOMER_NEW
