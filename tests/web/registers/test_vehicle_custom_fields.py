"""Custom fields and comments on vehicles (issue 3): form with validation by type, card, list
columns, filters, search; comments with @mentions and their rights."""
import re

import pytest
from sqlalchemy import select

from models import AuditLog, Comment, CustomFieldValue, Notification, Vehicle, db
from services import DomainError
from services.registers import register_config
from tests.factories import csrf_from, define_fields, make_user, post_new
from tests.factories import vehicle_form as vehicle

NEW = "/admin/vehicle/new/"


def vehicle_view(app):
    return next(v for v in app.extensions["verkstad_admin"]._views if v.endpoint == "vehicle")


def error_of(html: str, name: str) -> str:
    """The error shown under the form field ``name`` ('' when none)."""
    start = html.index(f'id="{name}"')
    block = html[start:html.find('class="form-group', start)]
    return " ".join(re.findall(r"<li>([^<]*)</li>", block))


def flat(html: str) -> str:
    return re.sub(r"\s+", "", html)


def test_vehicle_custom_fields_form_card_list_filter_search(app, client, auth, admin_user):
    auth.login()
    assert 'id="cf_axles"' not in client.get(NEW).get_data(as_text=True)
    define_fields(app)  # picked up on the next page load, no restart
    form = client.get(NEW).get_data(as_text=True)
    for key in ("tyre_hotel", "axles", "inspected", "towbar", "segment"):
        assert f'id="cf_{key}"' in form

    bad = post_new(client, auth, NEW, vehicle(cf_axles="två", form_nonce="bad"))
    assert bad.status_code == 200
    assert "heltal" in error_of(bad.get_data(as_text=True), "cf_axles")  # "Inte ett giltigt heltal"
    with app.app_context():
        assert db.session.scalar(select(Vehicle)) is None and db.session.scalar(select(CustomFieldValue)) is None

    r = post_new(client, auth, NEW, vehicle(cf_tyre_hotel="Hylla 12B", cf_axles="3", cf_inspected="2026-03-01",
                                            cf_towbar="y", cf_segment="Taxi", form_nonce="ok1"))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    r = post_new(client, auth, NEW, vehicle(registration_number="XYZ 999", vin="", cf_axles="2",
                                            cf_segment="Bud", form_nonce="ok2"))
    assert r.status_code == 302
    with app.app_context():
        first = db.session.scalar(select(Vehicle).where(Vehicle.registration_number == "ABC123"))
        vid = first.id
        history = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "vehicle",
                                                            AuditLog.field == "cf_axles")).all()
        assert sorted(h.new_value for h in history) == ["2", "3"]

    card = client.get(f"/admin/vehicle/details/?id={vid}").get_data(as_text=True)
    for key, shown in (("tyre_hotel", "Hylla 12B"), ("axles", "3"), ("inspected", "2026-03-01"),
                       ("towbar", "Ja"), ("segment", "Taxi")):
        assert f'id="cf-{key}">{shown}<' in card, key
    assert "Antal axlar" in card

    listing = client.get("/admin/vehicle/").get_data(as_text=True)
    assert "Däckhotell" in listing and "Segment" in listing
    assert ">Hylla12B<" in flat(listing) and "ABC123" in listing and "XYZ999" in listing

    view = vehicle_view(app)
    eq = next(i for i, f in enumerate(view._filters) if str(f.name) == "Segment" and f.operation() == "equals")
    filtered = client.get(f"/admin/vehicle/?flt0_{eq}=Bud").get_data(as_text=True)
    assert "XYZ999" in filtered and "ABC123" not in filtered
    gt = next(i for i, f in enumerate(view._filters) if str(f.name) == "Antal axlar" and f.op == "gt")
    filtered = client.get(f"/admin/vehicle/?flt0_{gt}=2").get_data(as_text=True)
    assert "ABC123" in filtered and "XYZ999" not in filtered

    found = client.get("/admin/vehicle/?search=hylla").get_data(as_text=True)
    assert "ABC123" in found and "XYZ999" not in found

    # the edit form shows the stored values and a change is kept
    edit = client.get(f"/admin/vehicle/edit/?id={vid}").get_data(as_text=True)
    assert re.search(r'id="cf_axles"[^>]*value="3"', edit)
    data = vehicle(cf_tyre_hotel="Hylla 1", cf_axles="4", cf_inspected="2026-03-01", cf_towbar="y",
                   cf_segment="Taxi", form_nonce="")
    r = client.post(f"/admin/vehicle/edit/?id={vid}", data={"csrf_token": csrf_from(edit), **data})
    assert r.status_code == 302
    card = client.get(f"/admin/vehicle/details/?id={vid}").get_data(as_text=True)
    assert 'id="cf-axles">4<' in card and 'id="cf-tyre_hotel">Hylla 1<' in card
    export = client.get("/admin/vehicle/export/csv/").get_data(as_text=True)
    assert "Antal axlar" in export and "Hylla 1" in export


def test_required_vehicle_field_cannot_be_left_blank(app, client, auth, admin_user):
    define_fields(app, required_key="segment")
    auth.login()
    r = post_new(client, auth, NEW, vehicle(cf_axles="2", cf_segment=""))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert error_of(html, "cf_segment") and not error_of(html, "cf_axles")
    with app.app_context():
        assert db.session.scalar(select(Vehicle)) is None
        # the server refuses it as well when the form check is bypassed (parse_value)
        f = register_config.current(db.session).field_by_name("vehicle", "cf_segment")
        with pytest.raises(DomainError) as refused:
            register_config.parse_value(f, "")
        assert refused.value.field == "cf_segment"
    assert post_new(client, auth, NEW, vehicle(cf_segment="Bud", form_nonce="v2")).status_code == 302


def test_vehicle_comment_mentions_and_rights(app, client, auth, admin_user):
    lotta = make_user(app, "lotta", {"vehicle.view"}, full_name="Lotta Lind")
    auth.login()
    assert post_new(client, auth, NEW, vehicle()).status_code == 302
    with app.app_context():
        vid = db.session.scalar(select(Vehicle.id))
    card = client.get(f"/admin/vehicle/details/?id={vid}").get_data(as_text=True)
    assert 'id="tab-comments"' in card and f'action="/admin/comments/vehicle/{vid}"' in card
    r = client.post(f"/admin/comments/vehicle/{vid}", data={
        "csrf_token": csrf_from(card, last=False), "body": "@lotta kolla <i>bromsarna</i>"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/vehicle/details/?id={vid}#tab-comments")
    card = client.get(f"/admin/vehicle/details/?id={vid}").get_data(as_text=True)
    assert "@lotta kolla &lt;i&gt;bromsarna&lt;/i&gt;" in card
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == lotta))
        assert note is not None and note.link.endswith("#tab-comments") and "/admin/vehicle/" in note.link
    auth.logout()

    make_user(app, "custonly", {"customer.view"})
    auth.login("custonly")
    token = csrf_from(client.get("/admin/").get_data(as_text=True), last=False)
    assert client.get(f"/admin/vehicle/details/?id={vid}").status_code == 403
    assert client.post(f"/admin/comments/vehicle/{vid}", data={"csrf_token": token, "body": "x"}).status_code == 403
    with app.app_context():
        assert len(db.session.scalars(select(Comment)).all()) == 1
