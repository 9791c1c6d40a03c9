"""Both customer XLSX exports (the import screen's and the customer list's) come back through
the import screen unchanged: every row counted unchanged, no customer, value or history row
written (issue 10 item 9: an unchanged re-import wrote "Nej" into 164 customers)."""
import io
import re

from sqlalchemy import func, select

from models import Address, AuditLog, Customer, CustomFieldValue, District, Tag, db
from services.registers import register_config as rc
from tests.factories import csrf_from, run_jobs
from tests.factories import customer as make_customer


UNCHANGED_8 = "Skapade: 0, uppdaterade: 0, oförändrade: 8, överhoppade: 0"


def _register(app):
    with app.app_context():
        s = db.session
        norr, vip = District(name="Norr"), Tag(name="VIP")
        s.add_all([norr, vip])
        rc.save_custom_field(s, "customer", "newsletter", "bool", "Nyhetsbrev")
        rc.save_custom_field(s, "customer", "discount", "decimal", "Rabatt")
        rc.save_custom_field(s, "customer", "areas", "multi_choice", "Områden", choices=["Norr", "Syd"])
        s.commit()
        cfg = rc.current(s)
        for i in range(8):
            c = make_customer(s, number=str(5000 + i), name=f"Kund {i} AB", org="5560360793" if i % 2 else "",
                              district=norr if i % 3 else None, email=f"k{i}@exempel.se" if i % 2 else None,
                              internal_comment="" if i == 3 else None)
            if not c.org_number:
                c.personal_number = "198112189876"
            if i % 4 == 1:
                c.tags.append(vip)
                c.addresses.append(Address(kind="visiting", street="Gatan 1", postal_code=None, city="Umeå"))
            s.flush()
            typed = {"cf_newsletter": i % 4 == 1} if i % 2 else {}
            if i == 5:
                typed |= {"cf_discount": rc.parse_value(cfg.field_by_name("customer", "cf_discount"), "2,50"),
                          "cf_areas": ["Syd"]}
            rc.set_values(s, cfg, "customer", c.id, typed, audit=False)
        s.commit()


def _counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Customer, CustomFieldValue,
                                                                                       AuditLog))


def _import_again(client, data: bytes, name: str) -> str:
    token = csrf_from(client.get("/admin/customer-import/").get_data(as_text=True))
    page = client.post("/admin/customer-import/upload", data={
        "csrf_token": token, "kind": "company", "update": "on", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="error-rows"' not in html, html[html.find("error-rows") - 200:][:2000]
    assert 'id="unknown-columns"' not in html
    run_token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    r = client.post("/admin/customer-import/run", data={"csrf_token": token, "token": run_token, "suffix": ".xlsx",
                                                         "kind": "company", "update": "1", "mode": "all"})
    assert r.status_code == 202, r.get_data(as_text=True)
    run_jobs(client.application)  # the import is a job: run it as the consumer would
    state = client.get(r.get_json()["status_url"]).get_json()
    assert state["status"] == "done", state
    return state["summary"]


def test_the_import_screens_export_comes_back_unchanged(app, client, auth, admin_user):
    _register(app)
    auth.login()
    before = _counts(app)
    export = client.get("/admin/customer-import/export/all")
    assert export.status_code == 200
    assert _import_again(client, export.data, "kunder.xlsx") == UNCHANGED_8
    assert _counts(app) == before


def test_the_customer_lists_export_comes_back_unchanged(app, client, auth, admin_user):
    _register(app)
    auth.login()
    before = _counts(app)
    export = client.get("/admin/customer/export/xlsx/")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    assert _import_again(client, export.data, "kundlista.xlsx") == UNCHANGED_8
    assert _counts(app) == before
