"""The Columns menu of every list (admin/list.html, views.registers.register_settings.MyColumnsView): each
user hides columns of a list for themself, only on a list they may open."""
import re

from models import User, Vehicle, db
from tests.factories import make_user


def _vehicle(app):
    with app.app_context():
        db.session.add(Vehicle(registration_number="KLM123", model="V90 Cross Country"))
        db.session.commit()


def test_a_user_hides_a_column_of_the_vehicle_list(app, client, auth):
    """Issue 10 item 2: "Columns" is on every list, not only the customers'."""
    uid = make_user(app, "verkstad", {"vehicle.view"})
    _vehicle(app)
    auth.login("verkstad")
    html = client.get("/admin/vehicle/").get_data(as_text=True)
    assert 'id="my-columns-menu"' in html and 'name="list" value="vehicle"' in html
    assert "V90 Cross Country" in html
    token = auth.token("/admin/vehicle/")
    answer = client.post("/admin/my-columns/", data={"csrf_token": token, "list": "vehicle",
                                                      "hide": ["model", "no_such_column"],
                                                      "next": "/admin/vehicle/"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/vehicle/")
    assert "V90 Cross Country" not in client.get("/admin/vehicle/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, uid).hidden_columns == {"vehicle": ["model"]}


def test_columns_of_a_list_the_user_may_not_open_are_refused(app, client, auth):
    """Rights on the server: a list's columns are saved only by a user who may open that list."""
    uid = make_user(app, "verkstad", {"vehicle.view"})
    auth.login("verkstad")
    token = auth.token("/admin/vehicle/")
    for target in ("order", "user", "no_such_list"):
        answer = client.post("/admin/my-columns/", data={"csrf_token": token, "list": target, "hide": ["id"]})
        assert answer.status_code == 403, target
    with app.app_context():
        assert db.session.get(User, uid).hidden_columns is None


def test_the_last_column_cannot_be_hidden(app, client, auth):
    make_user(app, "verkstad", {"vehicle.view"})
    _vehicle(app)
    auth.login("verkstad")
    token = auth.token("/admin/vehicle/")
    html = client.get("/admin/vehicle/").get_data(as_text=True)
    every = sorted(set(re.findall(r'name="hide" value="([^"]+)"', html)))
    assert len(every) > 2
    client.post("/admin/my-columns/", data={"csrf_token": token, "list": "vehicle", "hide": every})
    assert "KLM123" in client.get("/admin/vehicle/").get_data(as_text=True)
