"""Issue 10 item 1: every register has a card in the customer card's style (header with number,
name and actions, tabs with counts, two columns of labelled values, History); no screen shows
Flask-Admin's generic details table (views/platform/cards.py, templates/admin/card.html)."""
import datetime as dt
import html as html_lib
import re
from decimal import Decimal as D

import pytest
from flask_admin.model import BaseModelView
from sqlalchemy import func, inspect, select

from models import (
    AuditLog,
    Customer,
    District,
    DocumentRecipient,
    PaymentTerm,
    Role,
    TariffModel,
    User,
    Vehicle,
    VehicleMake,
    VehicleNote,
    db,
)
from tests import factories as f

# what Flask-Admin's own details page is made of (admin/model/details.html)
GENERIC = ('class="table table-hover table-bordered searchable"', 'id="fa_filter"')
MICROSECONDS = re.compile(r"\d\d:\d\d:\d\d\.\d{3,}")


def _card_views(app) -> list:
    admin = app.extensions["verkstad_admin"]
    return [v for v in admin._views if isinstance(v, BaseModelView) and v.can_view_details]


def _fill(app) -> None:
    """At least one record of every register, made through the ORM so the history has rows."""
    import demo

    with app.app_context():
        demo.create_demo_data(db.session, customers=8, seed=3)
        db.session.info.pop("audit_disabled", None)
        customer = db.session.scalars(select(Customer).order_by(Customer.id)).first()
        db.session.add(DocumentRecipient(customer=customer, document_type="invoice", email="faktura@kund.example"))
        district = db.session.scalars(select(District).order_by(District.id)).first()
        district.name = district.name + " Nord"  # a change: the card's History has a row
        from services.ledger import payments

        payments.register_payment(db.session, customer, dt.date.today(), "100", "bankgiro", "Förskott", [],
                                  rest="credit")  # a payment's card
        from models import OutboxMessage

        # a message's card, whether or not the demo's random customers wanted e-mail
        db.session.add(OutboxMessage(recipient="faktura@kund.example", subject="Faktura 1", body="Hej"))
        db.session.commit()


def _text(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip(" ")


def _labels(page: str) -> list[str]:
    return [_text(m) for m in re.findall(r'<dt class="record-label">(.*?)</dt>', page, flags=re.S)]


def _values(page: str) -> list[str]:
    return [_text(m) for m in re.findall(r'<dd class="record-value[^"]*"[^>]*>(.*?)</dd>', page, flags=re.S)]


def _prettified(model, labelled: set[str]) -> set[str]:
    """The English labels Flask-Admin makes up from the names of attributes without a label of
    the view's own ("Reserved By")."""
    names = [n for n in inspect(model).attrs.keys() if n not in labelled]
    return {n.replace("_", " ").title() for n in names} | {n.replace("_", " ").capitalize() for n in names}


def test_every_register_with_details_has_a_card(app, client, auth, admin_user):
    """Walks every ModelView that offers details: each answers with a card (or its own screen),
    never Flask-Admin's generic details table; each has History; the labels are the view's own
    (Swedish), the values formatted (no True/False, no microseconds, no "<Model 1>")."""
    _fill(app)
    auth.login()
    views = _card_views(app)
    assert len(views) >= 30  # the registers of the menu, with the settings and administration
    problems = {}
    with app.app_context():
        targets = []
        for view in views:
            pk = view.model.__mapper__.primary_key[0]
            first = db.session.scalar(select(pk).order_by(pk).limit(1))
            targets.append((view, first))
    for view, first in targets:
        if first is None:
            problems[view.endpoint] = "no record to show (add one to _fill)"
            continue
        response = client.get(f"/admin/{view.endpoint}/details/?id={first}")
        page = response.get_data(as_text=True)
        found = []
        if response.status_code != 200:
            found.append(f"status {response.status_code}")
        if any(marker in page for marker in GENERIC):
            found.append("Flask-Admin's generic details table")
        if 'id="tab-history"' not in page and 'id="history"' not in page:
            found.append("no History")
        if view.details_template == "admin/card.html":
            labels = _labels(page)
            made_up = sorted(set(labels) & _prettified(view.model, set(view.column_labels or {})))
            if made_up:
                found.append(f"labels made up from attribute names: {made_up}")
            values = _values(page)
            raw = [v for v in values if v in ("True", "False", "None") or MICROSECONDS.search(v)
                   or v.startswith("<")]
            if raw:
                found.append(f"raw values: {raw}")
            title = _text(re.search(r'id="card-title">(.*?)</h1>', page, flags=re.S).group(1))
            if not title or title.startswith("<"):
                found.append(f"header without a name: {title!r}")
            if not labels:
                found.append("no labelled values")
        if found:
            problems[view.endpoint] = found
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_card_shows_values_as_the_console_writes_them(app, client, auth, admin_user):
    """Dates 2026-11-22, moments in local time without seconds, money 1 250,00 kr, yes/no as
    words, a linked record by its name with a link to its card, tabs with their counts."""
    auth.login()
    with app.app_context():
        make = VehicleMake(name="Volvo")
        owner = f.customer(db.session, "4711", "Åkeri Nord AB")
        reserver = db.session.scalar(select(User).where(User.username == "admin"))
        car = Vehicle(registration_number="ABC123", make=make, model="V60", owner=owner, odometer_km=123456,
                      first_registration_date=dt.date(2021, 3, 4), reserved=True, reserved_by=reserver,
                      reserved_until=dt.datetime(2026, 6, 1, 12, 30, 15, 123456))
        car.notes = [VehicleNote(text="Repa vänster dörr", open=True), VehicleNote(text="Stenskott", open=False)]
        db.session.add(car)
        tariff = TariffModel(name="Hyrbil dag", price_per_day=D("1250.00"), price_per_km=D("2.5"), free_km_per_day=100)
        db.session.add(tariff)
        db.session.commit()
        vid, owner_id, tid, reserver_name = car.id, owner.id, tariff.id, str(reserver)
    card = client.get(f"/admin/vehicle/details/?id={vid}").get_data(as_text=True)
    assert not any(marker in card for marker in GENERIC)
    head = _text(re.search(r'id="card-title">(.*?)</h1>', card, flags=re.S).group(1))
    assert head == "ABC123 V60"
    labels, values = _labels(card), _values(card)
    shown = dict(zip(labels, values))
    assert shown["Första registrering"] == "2021-03-04"
    assert shown["Mätarställning (km)"] == "123\xa0456"
    assert shown["Reserverad"] == "Ja"
    assert shown["Reserverad av"] == str(reserver_name)
    # 12:30 UTC on 1 June is 14:30 in Stockholm (summer time): local time, no seconds
    assert shown["Reserverad till"] == "2026-06-01 14:30"
    assert f'href="/admin/customer/details/?id={owner_id}"' in card and "Åkeri Nord AB" in shown["Ägare"]
    assert "Reserved By" not in card and "Created At" not in card
    tab = re.search(r'id="tab-link-notes">(.*?)</a>', card, flags=re.S).group(1)
    assert _text(tab) == "Anteckningar och kampanjer 2"
    assert re.search(r'id="tab-link-history">Historik <span[^>]*>\d+</span>', card)
    notes = card[card.index('id="record-table-notes"'):]
    notes = notes[:notes.index("</table>")]
    assert "Repa vänster dörr" in notes and "Stenskott" in notes

    tariff_card = client.get(f"/admin/tariffmodel/details/?id={tid}").get_data(as_text=True)
    shown = dict(zip(_labels(tariff_card), _values(tariff_card)))
    assert shown["Pris per dag"] == "1\xa0250,00\xa0kr" and shown["Aktiv"] == "Ja"
    assert shown["Moms (%)"] == "25,00 %"


def test_the_card_reads_moments_in_local_time(app, client, auth, admin_user):
    """A stored UTC moment is shown in Europe/Stockholm time, as on the History tab."""
    auth.login()
    with app.app_context():
        car = Vehicle(registration_number="XYZ789", reserved_until=dt.datetime(2026, 1, 15, 23, 30))
        db.session.add(car)
        db.session.commit()
        vid = car.id
    card = client.get(f"/admin/vehicle/details/?id={vid}").get_data(as_text=True)
    shown = dict(zip(_labels(card), _values(card)))
    assert shown["Reserverad till"] == "2026-01-16 00:30"


def test_history_tab_on_a_settings_card_and_the_audit_row_card(app, client, auth, admin_user):
    """A settings register's card has History with its changes; the card of an audit row shows
    the whole history of the record it concerns and links to that record's card."""
    auth.login()
    with app.app_context():
        term = PaymentTerm(name="60 dagar netto", days=60, invoice_fee=D("49"))
        db.session.add(term)
        db.session.commit()
        term.days = 45
        db.session.commit()
        tid = term.id
        row = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "payment_term",
                                                       AuditLog.record_id == str(tid), AuditLog.field == "days",
                                                       AuditLog.action == "update"))
        changes = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.table_name == "payment_term", AuditLog.record_id == str(tid)))
        row_id = row.id
    card = client.get(f"/admin/paymentterm/details/?id={tid}").get_data(as_text=True)
    assert re.search(rf'id="tab-link-history">Historik <span[^>]*>{changes}</span>', card)
    shown = dict(zip(_labels(card), _values(card)))
    assert shown["Dagar"] == "45" and shown["Fakturaavgift"] == "49,00\xa0kr"
    audit = client.get(f"/admin/auditlog/details/?id={row_id}").get_data(as_text=True)
    assert not any(marker in audit for marker in GENERIC)
    assert re.search(rf'id="tab-link-history">Historik <span[^>]*>{changes}</span>', audit)
    assert f'href="/admin/paymentterm/details/?id={tid}"' in audit


def test_card_actions_follow_the_rights(app, client, auth, admin_user):
    """Edit and Delete are offered only to whom may use them; the card itself needs the right
    to see the register."""
    f.make_user(app, "viewer", {"vehicle.view"})
    with app.app_context():
        car = Vehicle(registration_number="RGT111")
        db.session.add(car)
        db.session.commit()
        vid = car.id
    auth.login()
    card = client.get(f"/admin/vehicle/details/?id={vid}").get_data(as_text=True)
    assert 'id="edit-record"' in card and 'id="delete-record"' in card
    auth.logout()
    auth.login("viewer")
    card = client.get(f"/admin/vehicle/details/?id={vid}").get_data(as_text=True)
    assert 'id="record-card"' in card
    assert 'id="edit-record"' not in card and 'id="delete-record"' not in card
    assert client.get("/admin/district/details/?id=1").status_code == 403
    # a tab of rows whose register the user may not open is left out (orders need sales rights)
    assert 'id="tab-link-orders"' not in card


@pytest.mark.parametrize("endpoint", ["role", "user"])
def test_role_and_user_cards_name_rights_and_roles(app, client, auth, admin_user, endpoint):
    """Rights by their label in the user's language on the role's card; the user's role linked."""
    auth.login()
    with app.app_context():
        role = db.session.scalar(select(Role).where(Role.is_admin.is_(False)).order_by(Role.id))
        user = f.user(db.session, "kalle", admin=False, rights={"vehicle.view"})
        db.session.commit()
        ids = {"role": role.id, "user": user.id}
        role_id = user.role_id
    card = client.get(f"/admin/{endpoint}/details/?id={ids[endpoint]}").get_data(as_text=True)
    assert not any(marker in card for marker in GENERIC)
    if endpoint == "role":
        rights = card[card.index('id="record-table-rights"'):]
        rights = rights[:rights.index("</table>")]
        assert ": " in _text(rights) and "customer.view" not in rights
    else:
        labels_of = _labels
        shown = dict(zip(_labels(card), _values(card)))
        assert shown["Användarnamn"] == "kalle" and shown["Aktiv"] == "Ja"
        assert f'href="/admin/role/details/?id={role_id}"' in card
        assert f.HASH not in card and "Lösenord" not in labels_of(card)
