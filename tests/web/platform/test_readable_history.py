"""Issue 10 item 6: the History tab and the audit log word a change the same way, in the
user's language: the field's label (a custom field's too), a linked row by its name, yes/no,
amounts and choices as the screens show them, actions as words, the same local time."""
import datetime as dt
import html as htmllib
import re
from decimal import Decimal

from sqlalchemy import select

from models import Article, AuditLog, District, Role, VatRate, db
from services.registers import register_config
from tests import factories as f
from tests.factories import make_user
from tests.card_tabs import opened_card

WINTER_MOMENT = dt.datetime(2026, 11, 30, 13, 2)  # UTC; 14:02 in Stockholm


def _rows(page: str, marker: str = "model-list") -> list[list[str]]:
    """The text of each body row's cells of the table whose tag holds ``marker`` (an id, or
    Flask-Admin's list class)."""
    start = page.index(marker)
    page = page[start:page.index("</table>", start)]
    body = page[page.index("</thead>"):]
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [htmllib.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        out.append([" ".join(c) for c in cells])
    return out


def _newest(rows) -> dict:
    """field label -> (action, old, new) of its newest row (the History tab lists newest first)."""
    out: dict = {}
    for r in rows:
        out.setdefault(r[4], (r[2], r[5], r[6]))
    return out


def _customer_with_changes(app, admin_id):
    with app.app_context():
        s = db.session
        s.info["user_id"] = admin_id
        norr, soder = District(name="Norr"), District(name="Söder")
        s.add_all([norr, soder])
        register_config.save_custom_field(s, "customer", "fleet_size", "number", "Flottstorlek",
                                          label_de="Flottengröße", position=1)
        register_config.save_custom_field(s, "customer", "leasing", "bool", "Leasar", label_de="Least", position=2)
        s.commit()
        c = f.customer(s, district=norr)
        s.commit()
        c.district_id = soder.id  # the column itself, not the relation: stored as "district_id"
        c.vehicle_required = True
        c.customer_type = "prospect"
        cfg = register_config.current(s)
        register_config.set_values(s, cfg, "customer", c.id, {"cf_fleet_size": 4, "cf_leasing": True})
        s.add(AuditLog(at=WINTER_MOMENT, user_id=admin_id, action="update", table_name="customer",
                       record_id=str(c.id), field="name", old_value="Bygg", new_value="Bygg AB"))
        s.commit()
        return c.id


def test_card_and_audit_log_show_one_change_alike(app, client, auth, admin_user):
    cid = _customer_with_changes(app, admin_user)
    auth.login()
    card = opened_card(client, cid)
    history = card[card.index('id="tab-history"'):]
    rows = _rows(history, 'id="history-table"')
    changes = _newest(rows)
    assert changes["Distrikt"] == ("ändrad", "Norr", "Söder")
    assert changes["Fordon krävs på order"] == ("ändrad", "Nej", "Ja")
    assert changes["Kundtyp"] == ("ändrad", "Stamkund", "Prospekt")
    assert changes["Flottstorlek"][2] == "4" and changes["Leasar"][2] == "Ja"
    for code in ("district_id", "cf_fleet_size", "cf_leasing", "vehicle_required", "update", "prospect"):
        assert f">{code}<" not in history and f" {code} " not in " ".join(" ".join(r) for r in rows), code
    # one moment, one local time on both screens (Europe/Stockholm, UTC+1 in November)
    name_row = next(r for r in rows if r[4] == "Namn" and r[5] == "Bygg")
    assert name_row[0] == "2026-11-30 14:02" and name_row[1] == "Admin Istratör"

    log = client.get("/admin/auditlog/").get_data(as_text=True)
    # list columns: checkbox, time, user, action, table, record, field, old, new
    logged = {(r[6], r[3], r[7], r[8]) for r in _rows(log) if len(r) >= 9 and r[5] == str(cid)}
    for field, (action, old, new) in changes.items():
        assert (field, action, old, new) in logged, field
    found = client.get("/admin/auditlog/", query_string={"search": "Bygg"}).get_data(as_text=True)
    moment = next(r for r in _rows(found) if len(r) >= 9 and r[6] == "Namn" and r[7] == "Bygg")
    assert moment[1] == "2026-11-30 14:02" and "13:02" not in found


def test_history_in_german(app, client, auth, admin_user):
    cid = _customer_with_changes(app, admin_user)
    make_user(app, "hans", admin=True, language="de")
    auth.login("hans")
    card = opened_card(client, cid)
    changes = _newest(_rows(card[card.index('id="tab-history"'):], 'id="history-table"'))
    assert changes["Bezirk"] == ("geändert", "Norr", "Söder")
    assert changes["Flottengröße"][2] == "4"
    assert changes["Least"][2] == "Ja"  # German: Ja as well


def test_amounts_and_rights_in_history(app, client, auth, admin_user):
    with app.app_context():
        s = db.session
        s.info["user_id"] = admin_user
        article = Article(number="A-9", name="Olja", price=Decimal("1250"),
                          vat_rate=s.scalar(select(VatRate).order_by(VatRate.id)))
        role = Role(name="Verkstad")
        s.add_all([article, role])
        s.commit()
        article.price = Decimal("999.5")
        from models import RoleRight

        role.rights.append(RoleRight(right="customer.view"))
        s.commit()
        aid = article.id
    auth.login()
    card = client.get(f"/admin/article/details/?id={aid}").get_data(as_text=True)
    rows = _rows(card, 'id="history-table"')
    price = next(r for r in rows if r[2] == "ändrad" and r[5])
    assert (price[5], price[6]) == ("1 250,00 kr", "999,50 kr")
    log = client.get("/admin/auditlog/").get_data(as_text=True)
    right = next(r for r in _rows(log) if len(r) >= 9 and r[6] == "Behörighet")
    assert right[8] == "Kunder: Visa" and right[3] == "skapad"
    # the admin user's role (a foreign key) by the role's name in Swedish, as the users screen says it
    role = next(r for r in _rows(log) if len(r) >= 9 and r[6] == "Roll" and r[4] == "Användare")
    assert role[8] == "Administratör"
    # a seeded e-mail text's document type by its name (its screen's choices), not "order_confirmation"
    texts = client.get("/admin/auditlog/", query_string={"search": "order_confirmation"}).get_data(as_text=True)
    kinds = {r[8] for r in _rows(texts) if len(r) >= 9 and r[6] == "Dokumenttyp"}
    assert kinds == {"Orderbekräftelse"}



def test_audit_log_filters_by_the_register_s_name(app, client, auth, admin_user):
    import json

    cid = _customer_with_changes(app, admin_user)
    auth.login()
    page = client.get("/admin/auditlog/").get_data(as_text=True)
    groups = json.loads(htmllib.unescape(re.search(r'id="filter-groups-data"[^>]*>(.*?)</', page, re.S).group(1)))
    table = next(f for f in groups["Tabell"] if ["customer", "Kund"] in f["options"])
    assert ["district", "Distrikt"] in table["options"] and ["contact", "Kontaktperson"] in table["options"]
    found = client.get("/admin/auditlog/", query_string={f"flt0_{table['index']}": "customer"}).get_data(as_text=True)
    rows = [r for r in _rows(found) if len(r) >= 9]
    assert rows and {r[4] for r in rows} == {"Kund"} and str(cid) in {r[5] for r in rows}


def test_a_new_customer_shows_as_created_with_its_numbers_formatted(app, client, auth, admin_user):
    """A custom field filled on create is part of the creation ("skapad", not "ändrad"); the
    organisation number shows as on the card (556036-0793, stored as digits)."""
    with app.app_context():
        register_config.save_custom_field(db.session, "customer", "fleet_size", "number", "Flottstorlek",
                                          label_de="Flottengröße", position=1)
        db.session.commit()
    auth.login()
    response = f.post_customer(client, auth, cf_fleet_size="12")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        from models import Customer

        customer = db.session.scalar(select(Customer).where(Customer.name == "Bilia Verkstad AB"))
        assert customer.org_number == "5560360793"
        cid = customer.id
    card = opened_card(client, cid)
    changes = _newest(_rows(card[card.index('id="tab-history"'):], 'id="history-table"'))
    assert changes["Flottstorlek"] == ("skapad", "", "12")
    assert changes["Organisationsnummer"] == ("skapad", "", "556036-0793")


def test_the_audit_log_is_searched_and_filtered_as_it_reads(app, client, auth, admin_user):
    """The words the log shows find its rows ("Distrikt", "Söder", "Prospekt" for rows stored as
    district_id, 2 and prospect), and its time filter takes local time like the times it shows."""
    cid = _customer_with_changes(app, admin_user)
    auth.login()

    def found(**args) -> set[tuple[str, str, str]]:
        page = client.get("/admin/auditlog/", query_string=args).get_data(as_text=True)
        return {(r[6], r[7], r[8]) for r in _rows(page) if len(r) >= 9 and r[4] == "Kund" and r[5] == str(cid)}

    assert found(search="Distrikt") == {("Distrikt", "Norr", "Söder"), ("Distrikt", "", "Norr")}
    assert ("Distrikt", "Norr", "Söder") in found(search="söder")
    assert ("Kundtyp", "Stamkund", "Prospekt") in found(search="Prospekt")
    assert ("Flottstorlek", "", "4") in found(search="flottstorlek")
    assert ("Namn", "Bygg", "Bygg AB") in found(search="Bygg AB")  # the stored text, as before
    assert found(search="100%_") == set()  # a wildcard typed is a character, not a pattern
    # the name row was written at 13:02 UTC, shown as 14:02 (Europe/Stockholm in November)
    with app.test_request_context():
        view = next(v for v in app.extensions["verkstad_admin"]._views if getattr(v, "endpoint", "") == "auditlog")
        at = next(i for i, flt in enumerate(view._filters)
                  if flt.column.key == "at" and type(flt).__name__ == "DateTimeBetweenFilter")
    between = {f"flt0_{at}": "2026-11-30 14:00:00 to 2026-11-30 14:05:00"}
    assert ("Namn", "Bygg", "Bygg AB") in found(**between)
    earlier = {f"flt0_{at}": "2026-11-30 13:00:00 to 2026-11-30 13:05:00"}
    assert ("Namn", "Bygg", "Bygg AB") not in found(**earlier)
