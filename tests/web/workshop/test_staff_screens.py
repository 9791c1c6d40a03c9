"""Staff and resources screens (issue 13 item 1): Verkstad > Personal och resurser, Kompetens;
workshop.view reads, workshop.manage writes; the PIN is typed, stored hashed and never shown."""
from sqlalchemy import select

from models import AuditLog, Resource, Skill, db
from services.platform.rights import DEFAULT_ROLES
from services.workshop import resources
from tests.factories import csrf_from, make_user


def _skills(app):
    with app.app_context():
        resources.seed_skills(db.session)
        db.session.commit()
        return {s.name: s.id for s in db.session.scalars(select(Skill))}


def _create(client, **fields):
    page = client.get("/admin/resource/new/").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "kind": "staff", "name": "Nils Mekaniker", "staff_number": "101",
            "floor_role": "technician", "hourly_cost": "310,50", "hourly_rate": "1 095", "active": "y",
            "pin": "4711", "form_nonce": "", **fields}
    return client.post("/admin/resource/new/", data=data)


def test_a_manager_creates_a_technician_with_a_pin_and_skills(app, client, auth):
    skills = _skills(app)
    make_user(app, "stina", {"workshop.view", "workshop.manage"})
    auth.login("stina")
    response = _create(client, skills=[skills["AC"], skills["Diagnos"]])
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        r = db.session.scalar(select(Resource))
        assert (r.name, r.staff_number, r.floor_role, str(r.hourly_cost), str(r.hourly_rate)) == \
            ("Nils Mekaniker", "101", "technician", "310.50", "1095.00")
        assert [s.name for s in r.skills] == ["AC", "Diagnos"]
        assert resources.pin_matches(r, "4711") and "4711" not in r.pin_hash
        rid = r.id
    card = client.get(f"/admin/resource/details/?id={rid}").get_data(as_text=True)
    assert "Nils Mekaniker" in card and "Angiven" in card and "Kompetens" in card and "AC, Diagnos" in card
    assert "4711" not in card and "scrypt" not in card
    listing = client.get("/admin/resource/").get_data(as_text=True)
    assert "Nils Mekaniker" in listing and "Tekniker" in listing and "095,00" in listing
    assert "scrypt" not in listing and "4711" not in listing
    edit = client.get(f"/admin/resource/edit/?id={rid}").get_data(as_text=True)
    assert "scrypt" not in edit and "4711" not in edit and 'type="password"' in edit
    # saving without a PIN keeps it; a new one replaces it; the history says only that it changed
    form = {"csrf_token": csrf_from(edit), "kind": "staff", "name": "Nils Nilsson", "staff_number": "101",
            "floor_role": "technician", "active": "y", "pin": ""}
    with app.app_context():
        form["edit_version"] = str(db.session.get(Resource, rid).version)
    assert client.post(f"/admin/resource/edit/?id={rid}", data=form).status_code == 302
    with app.app_context():
        r = db.session.get(Resource, rid)
        assert r.name == "Nils Nilsson" and resources.pin_matches(r, "4711")
        form["edit_version"] = str(r.version)
    assert client.post(f"/admin/resource/edit/?id={rid}", data={**form, "pin": "123456"}).status_code == 302
    with app.app_context():
        assert resources.pin_matches(db.session.get(Resource, rid), "123456")
        history = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "resource")).all()
        assert all("4711" not in (h.new_value or "") and "scrypt" not in (h.new_value or "") for h in history)
        assert any(h.field == "pin_hash" for h in history)
    card = client.get(f"/admin/resource/details/?id={rid}").get_data(as_text=True)
    assert "Stämpel-PIN" in card and "123456" not in card and "scrypt" not in card


def test_bad_input_is_shown_beside_its_field_and_nothing_saved(app, client, auth):
    make_user(app, "stina", {"workshop.view", "workshop.manage"})
    auth.login("stina")
    for fields, message in (({"pin": "12"}, "Stämpel-PIN ska vara 4 till 6 siffror."),
                            ({"staff_number": ""}, "Ange personalnummer."),
                            ({"hourly_cost": "-5"}, "Timkostnad får inte vara negativt.")):
        response = _create(client, **fields)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), fields
    assert _create(client).status_code == 302
    response = _create(client, name="Other")
    assert "Det finns redan." in response.get_data(as_text=True)  # beside the staff number
    with app.app_context():
        assert len(db.session.scalars(select(Resource)).all()) == 1


def test_a_lift_is_a_resource_without_a_person(app, client, auth):
    make_user(app, "stina", {"workshop.view", "workshop.manage"})
    auth.login("stina")
    response = _create(client, kind="lift", name="Lyft 2", staff_number="9", pin="")
    assert response.status_code == 302
    with app.app_context():
        lift = db.session.scalar(select(Resource))
        assert (lift.kind, lift.staff_number, lift.pin_hash, lift.floor_role) == ("lift", None, None, None)
    assert "Lyft" in client.get("/admin/resource/").get_data(as_text=True)


def test_an_unused_resource_is_deleted_and_an_inactive_one_kept(app, client, auth):
    make_user(app, "stina", {"workshop.view", "workshop.manage"})
    auth.login("stina")
    assert _create(client).status_code == 302
    with app.app_context():
        rid = db.session.scalar(select(Resource.id))
    token = csrf_from(client.get("/admin/resource/").get_data(as_text=True))
    assert client.post("/admin/resource/delete/", data={"id": rid, "csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(Resource, rid) is None


def test_a_resource_in_use_is_refused_deletion_with_the_message(app, client, auth, monkeypatch):
    make_user(app, "stina", {"workshop.view", "workshop.manage"})
    auth.login("stina")
    assert _create(client).status_code == 302
    monkeypatch.setattr(resources, "DEPENDENTS", [("stämplingar", lambda s, r: 1)])
    with app.app_context():
        rid = db.session.scalar(select(Resource.id))
    token = csrf_from(client.get("/admin/resource/").get_data(as_text=True))
    response = client.post("/admin/resource/delete/", data={"id": rid, "csrf_token": token}, follow_redirects=True)
    assert "kan inte tas bort, bara inaktiveras" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Resource, rid) is not None


def test_view_only_reads_and_others_are_refused(app, client, auth):
    make_user(app, "stina", {"workshop.view", "workshop.manage"})
    make_user(app, "tore", {"workshop.view"})
    make_user(app, "olle", {"customer.view", "sales.view"})
    auth.login("stina")
    assert _create(client).status_code == 302
    with app.app_context():
        rid = db.session.scalar(select(Resource.id))
        sid = db.session.scalar(select(Skill.id)) or 0
    auth.logout()
    auth.login("tore")
    for url in ("/admin/resource/", f"/admin/resource/details/?id={rid}", "/admin/skill/"):
        assert client.get(url).status_code == 200, url
    html = client.get("/admin/resource/").get_data(as_text=True)
    assert "/admin/resource/new/" not in html and "/admin/resource/delete/" not in html
    for url in ("/admin/resource/new/", f"/admin/resource/edit/?id={rid}", "/admin/skill/new/"):
        assert client.get(url).status_code in (302, 403), url
    token = csrf_from(html)
    assert client.post("/admin/resource/delete/", data={"id": rid, "csrf_token": token}).status_code in (302, 403)
    client.post("/admin/resource/new/", data={"csrf_token": token, "kind": "bay", "name": "Plats 9"})
    client.post(f"/admin/resource/edit/?id={rid}", data={"csrf_token": token, "kind": "staff", "name": "Hacked",
                                                         "staff_number": "101", "pin": "0000"})
    with app.app_context():
        r = db.session.get(Resource, rid)
        assert r is not None and r.name == "Nils Mekaniker" and not resources.pin_matches(r, "0000")
        assert db.session.scalar(select(Resource).where(Resource.name == "Plats 9")) is None
    auth.logout()
    auth.login("olle")
    for url in ("/admin/resource/", f"/admin/resource/details/?id={rid}", "/admin/skill/", "/admin/resource/new/"):
        assert client.get(url).status_code == 403, url
    home = client.get("/admin/").get_data(as_text=True)
    assert "Personal och resurser" not in home and "/admin/resource/" not in home
    assert sid is not None


def test_the_menu_verkstad_shows_the_screens_to_the_shipped_roles(app, client, auth):
    assert {"workshop.view", "workshop.manage"} <= DEFAULT_ROLES["Service advisor"]
    assert "workshop.view" in DEFAULT_ROLES["Technician"]
    assert not any(r.startswith("workshop.") for r in DEFAULT_ROLES["Accountant"])
    make_user(app, "sara", DEFAULT_ROLES["Service advisor"])
    auth.login("sara")
    html = client.get("/admin/resource/").get_data(as_text=True)
    assert "Verkstad" in html and "Personal och resurser" in html and "Kompetens" in html
    assert "/admin/resource/new/" in html


def test_skills_are_a_lookup_register(app, client, auth):
    _skills(app)
    make_user(app, "stina", {"workshop.view", "workshop.manage"})
    auth.login("stina")
    html = client.get("/admin/skill/").get_data(as_text=True)
    assert "Däck" in html and "Diagnos" in html
    page = client.get("/admin/skill/new/").get_data(as_text=True)
    assert client.post("/admin/skill/new/", data={"csrf_token": csrf_from(page), "name": "Hjulinställning",
                                                   "active": "y"}).status_code == 302
    with app.app_context():
        db.session.execute(Skill.__table__.update().where(Skill.name == "AC").values(active=False))
        db.session.commit()
    form = client.get("/admin/resource/new/").get_data(as_text=True)
    assert "Hjulinställning" in form and ">AC<" not in form  # an inactive skill is not offered
