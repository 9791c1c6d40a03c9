"""GDPR erase (no personal value left anywhere but the invoice snapshot) and customer merge
(every row referring to the duplicates moves)."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import String, Text, func, select

from models import (
    AuditLog,
    Comment,
    Contact,
    Customer,
    CustomerArticle,
    CustomerFile,
    Invoice,
    Notification,
    PersonalDataErasure,
    ProcessingList,
    ProcessingListItem,
    Tag,
    Vehicle,
    db,
)
from services import DomainError
from services.registers import customer_files, gdpr, merge
from services.registers import register_config as rc
from services.registers.comments import add_comment
from services.registers.customers import set_address
from services.platform.notifications import notify
from tests import factories as f

SECRETS = ["Greta Gustafsson", "199001011239", "19900101-1239", "greta@example.se", "070-555 12 34",
           "Hemliga vägen 7", "Kalle Kontakt", "kalle@example.se"]


def _invoice(session, customer, number):
    invoice = Invoice(series="F", sequence=int(number), number=number, invoice_date=dt.date(2026, 1, 1),
                      due_date=dt.date(2026, 1, 31), customer_id=customer.id,
                      customer_number=customer.customer_number, customer_name=customer.name,
                      billing_address=[a for a in (customer.address("visiting").lines() if customer.addresses else [])],
                      net_total=Decimal("100"), vat_total=Decimal("25"), total=Decimal("125"))
    session.add(invoice)
    return invoice


def _text_hits(session, value):
    hits = []
    for table in db.metadata.sorted_tables:
        if table.name in gdpr.SNAPSHOT_TABLES:
            continue
        for col in table.columns:
            if isinstance(col.type, (String, Text)):
                n = session.scalar(select(func.count()).select_from(table).where(col.contains(value, autoescape=True)))
                if n:
                    hits.append(f"{table.name}.{col.name}")
    return hits


def test_gdpr_erase_leaves_no_personal_value_but_keeps_the_invoice_snapshot(session, tmp_path):
    user = f.user(session, "admin", admin=True)
    session.info["user_id"] = user.id
    rc.save_custom_field(session, "customer", "nickname", "text", "Smeknamn")
    session.commit()
    greta = Customer(customer_number="7001", kind="private", name="Greta Gustafsson",
                     personal_number="199001011239", email="greta@example.se", phone="070-555 12 34",
                     internal_comment="Ring Greta Gustafsson efter lunch")
    set_address(greta, "visiting", "Hemliga vägen 7", "123 45", "Stockholm")
    greta.contacts.append(Contact(name="Kalle Kontakt", email="kalle@example.se"))
    other = Customer(customer_number="7002", kind="private", name="Annan Person", personal_number="198112189876")
    session.add_all([greta, other])
    session.flush()
    session.add(Vehicle(registration_number="ABC123", owner_id=greta.id))
    rc.set_values(session, rc.current(session), "customer", greta.id, {"cf_nickname": "Greta Gustafsson"})
    add_comment(session, "customer", greta.id, "Greta Gustafsson vill ha offert, ring 070-555 12 34", user,
                str(greta), None)
    notify(session, user, "Du har tilldelats kund 7001 Greta Gustafsson")
    licence = customer_files.add_file(session, greta, "Greta Gustafsson körkort.pdf", b"%PDF-1.4 x", user, tmp_path)
    session.commit()
    assert customer_files.file_path(tmp_path, licence).exists()
    greta.name = "Greta Gustafsson"  # no change; a later edit logs history with the name
    greta.email = "greta@example.se"
    session.commit()
    invoice = _invoice(session, greta, "10001")
    session.commit()
    assert _text_hits(session, "Greta Gustafsson")  # the test can see the data before

    with pytest.raises(DomainError):
        company = Customer(customer_number="7003", kind="company", name="Firma AB")
        session.add(company)
        session.flush()
        gdpr.erase(session, company, user)
    session.rollback()

    greta = session.get(Customer, greta.id)
    gdpr.erase(session, greta, user, str(tmp_path))
    session.commit()
    assert session.scalar(select(func.count()).select_from(CustomerFile)) == 0
    assert not customer_files.file_path(tmp_path, licence).exists()
    for secret in SECRETS:
        assert _text_hits(session, secret) == [], secret
    session.expire_all()
    kept = session.get(Invoice, invoice.id)
    assert kept.customer_name == "Greta Gustafsson" and kept.customer_id == greta.id
    assert session.get(Customer, other.id).name == "Annan Person"
    record = session.scalar(select(PersonalDataErasure))
    assert record.customer_id == greta.id and record.erased_by_id == user.id
    assert session.get(Customer, greta.id).name.startswith(gdpr.MARKER)


def _greta_with_everything(session, tmp_path):
    from models import DocumentRecipient, Order, OrderLine, PaymentTerm, VehicleMake

    user = f.user(session, "admin", admin=True)
    session.info["user_id"] = user.id
    term = PaymentTerm(name="Greta-villkor 20 dagar", days=20)
    make = VehicleMake(name="Volvo")
    session.add_all([term, make])
    rc.save_custom_field(session, "customer", "nickname", "text", "Smeknamn")
    session.flush()
    greta = Customer(customer_number="7001", kind="private", name="Greta Gustafsson", personal_number="199001011239",
                     email="greta@example.se", phone="070-555 12 34", payment_term_id=term.id, language="sv")
    set_address(greta, "visiting", "Hemliga vägen 7", "123 45", "Stockholm")
    greta.contacts.append(Contact(name="Kalle Kontakt", email="kalle@example.se", send_service_protocol=True))
    session.add(greta)
    session.flush()
    car = Vehicle(registration_number="ABC123", owner_id=greta.id, make_id=make.id, model="V70")
    session.add(car)
    session.add(DocumentRecipient(customer_id=greta.id, document_type="invoice", email="faktura@example.se"))
    order = Order(customer_id=greta.id, text="Service 60 000 km")
    order.lines.append(OrderLine(kind="free_text", text="Oljebyte", quantity=Decimal("1")))
    session.add(order)
    session.flush()
    rc.set_values(session, rc.current(session), "customer", greta.id, {"cf_nickname": "Gurra"})
    add_comment(session, "customer", greta.id, "En kommentar", user, str(greta), None)
    add_comment(session, "vehicle", car.id, "Bilen har vinterdäck", user, str(car), None)
    customer_files.add_file(session, greta, "körkort.pdf", b"%PDF-1.4 x", user, tmp_path)
    _invoice(session, greta, "10001")
    session.commit()
    greta.phone = "070-555 12 35"
    session.commit()
    return greta


def _records(data, section_id):
    return next(s for s in data["sections"] if s["id"] == section_id)["records"]


def test_personal_data_export_is_readable_in_the_persons_language(session, tmp_path):
    """Issue 9 item 15: the export is a document, not a dump: one section per kind of data,
    labels in the person's language (sv, de, en), names of linked values (the payment term's
    name, not payment_term_id 3), no technical fields (version, ids), empty fields left out;
    the JSON has the same labels."""
    import json

    greta = _greta_with_everything(session, tmp_path)
    data = gdpr.personal_data(session, greta)
    assert data["language"] == "sv"
    assert [s["id"] for s in data["sections"]] == ["customer", "contacts", "addresses", "vehicles", "bookings",
                                                   "orders", "invoices", "files", "comments", "emails",
                                                   "consents", "history"]
    person = _records(data, "customer")[0]
    assert person["Namn"] == "Greta Gustafsson" and person["Personnummer"] == "19900101-1239"
    assert person["Betalvillkor"] == "Greta-villkor 20 dagar" and person["Typ"] == "Privatperson"
    assert person["Smeknamn"] == "Gurra" and person["Språk för utskick"] == "svenska"
    everything = json.dumps(data, ensure_ascii=False)
    for technical in ("payment_term_id", "version", "search_text", "customer_id", "_id\"", "None"):
        assert technical not in everything, technical
    for record in (r for s in data["sections"] for r in s["records"]):
        assert all(k and "_" not in k for k in record), record
        assert all(v != "" for v in record.values()), record
    assert _records(data, "addresses")[0] == {"Typ": "Besöksadress", "Gatuadress": "Hemliga vägen 7",
                                              "Postnummer": "123 45", "Ort": "Stockholm"}
    assert _records(data, "vehicles")[0]["Märke"] == "Volvo"
    assert {r["Text"] for r in _records(data, "comments")} == {"En kommentar", "Bilen har vinterdäck"}
    assert _records(data, "files")[0]["Filnamn"] == "körkort.pdf"
    assert _records(data, "invoices")[0]["Faktura"] == "10001"
    assert "125,00" in _records(data, "invoices")[0]["Totalt"]
    assert any(r.get("Skickas med e-post till") == "faktura@example.se" for r in _records(data, "consents"))
    assert any(r.get("Fält") == "Telefon" and r.get("Nytt värde") == "070-555 12 35"
               for r in _records(data, "history"))
    assert json.loads(gdpr.personal_data_json(session, greta)) == json.loads(json.dumps(data))

    german = gdpr.personal_data(session, greta, "de")
    assert _records(german, "customer")[0]["Zahlungsbedingungen"] == "Greta-villkor 20 dagar"
    assert next(s["title"] for s in german["sections"] if s["id"] == "vehicles") == "Fahrzeuge"
    english = gdpr.personal_data(session, greta, "en")
    assert _records(english, "customer")[0]["Personal identity number"] == "19900101-1239"
    greta.language = "de"
    assert gdpr.personal_data(session, greta)["language"] == "de"  # the person's language by default


def test_personal_data_pdf_reads_as_a_document(app, session, tmp_path):
    """Issue 9 item 15: the PDF has the sections and labels of the export (pypdf reads them),
    and a page renders (pdftoppm) to an image that is not blank; a copy is left under
    test-artifacts/ to look at."""
    import io
    import shutil
    import subprocess

    from PIL import Image
    from pypdf import PdfReader

    from reports.registers.personal_data import personal_data_pdf
    from tests.conftest import ARTIFACTS

    greta = _greta_with_everything(session, tmp_path)
    with app.test_request_context():
        pdf = personal_data_pdf(session, greta)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("Personuppgifter", "Kund", "Kontaktpersoner", "Fordon", "Bokningar", "Fakturor",
                     "Betalvillkor", "Greta-villkor 20 dagar", "Hemliga vägen 7", "Volvo", "körkort.pdf",
                     "Bilen har vinterdäck"):
        assert expected in text, expected
    assert "payment_term_id" not in text and "version" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "personal-data.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                    str(ARTIFACTS / "personal-data.pdf"), str(ARTIFACTS / "personal-data")], check=True)
    image = Image.open(ARTIFACTS / "personal-data.png").convert("L")
    dark = sum(image.histogram()[:128])
    assert image.size[0] < image.size[1] and dark > 1000  # an A4 page with text on it


def test_merge_moves_every_relation_and_records_history(session):
    user = f.user(session, "admin", admin=True)
    tech = f.user(session, "tekniker", admin=True)
    vip, gold = Tag(name="VIP"), Tag(name="Guld")
    keep = Customer(customer_number="8001", name="Bilia AB", tags=[vip])
    dup = Customer(customer_number="8002", name="Bilia Aktiebolag", tags=[vip, gold], technicians=[tech])
    set_address(keep, "visiting", "Storgatan 1", "111 22", "Stockholm")
    set_address(dup, "visiting", "Annan gata 2", "111 33", "Stockholm")
    set_address(dup, "billing", "Box 55", "111 99", "Stockholm")
    dup.contacts.append(Contact(name="Karin"))
    session.add_all([keep, dup])
    session.flush()
    from models import Article, VatRate
    article = Article(number="A1", name="Olja", vat_rate_id=session.scalar(select(VatRate.id)))
    session.add(article)
    session.flush()
    session.add(CustomerArticle(customer_id=dup.id, kind="service", article_id=article.id))
    session.add(Vehicle(registration_number="XYZ789", owner_id=dup.id))
    plist = ProcessingList(name="Kampanj", owner_id=user.id)
    plist.items = [ProcessingListItem(customer_id=keep.id), ProcessingListItem(customer_id=dup.id, position=1)]
    session.add(plist)
    rc.save_custom_field(session, "customer", "fleet", "number", "Flotta")
    session.commit()
    rc.set_values(session, rc.current(session), "customer", dup.id, {"cf_fleet": 4})
    add_comment(session, "customer", dup.id, "Dubblett", user, str(dup), None)
    _invoice(session, dup, "20001")
    session.commit()
    dup_id, keep_id = dup.id, keep.id

    with pytest.raises(DomainError):
        merge.merge(session, keep, [keep], user.id)
    moved = merge.merge(session, keep, [dup], user.id)
    session.commit()

    assert session.get(Customer, dup_id) is None
    for table, column in merge.customer_foreign_keys():
        left = session.scalar(select(func.count()).select_from(table).where(column == dup_id))
        assert left == 0, table.name
    keep = session.get(Customer, keep_id)
    assert {a.kind: a.street for a in keep.addresses} == {"visiting": "Storgatan 1", "billing": "Box 55"}
    assert sorted(t.name for t in keep.tags) == ["Guld", "VIP"]
    assert [c.name for c in keep.contacts] == ["Karin"] and [t.username for t in keep.technicians] == ["tekniker"]
    assert [v.registration_number for v in keep.vehicles] == ["XYZ789"]
    assert session.scalar(select(Invoice.customer_id).where(Invoice.number == "20001")) == keep_id
    assert session.scalar(select(Comment.record_id)) == keep_id
    assert rc.values_of(session, rc.current(session), "customer", [keep_id])[keep_id] == {"cf_fleet": 4}
    assert len(session.get(ProcessingList, plist.id).items) == 1
    merged = session.scalar(select(AuditLog).where(AuditLog.field == "merged"))
    assert merged.record_id == str(keep_id) and "Bilia Aktiebolag" in merged.old_value
    assert moved["vehicle"] == 1 and moved["invoice"] == 1
    assert session.scalar(select(func.count()).select_from(Notification)) == 0


def _anders(session, user):
    """A private customer with a history: renamed, a contact added and removed, an address
    changed, a custom field, a vehicle bought from another customer."""
    session.info["user_id"] = user.id
    rc.save_custom_field(session, "customer", "nickname", "text", "Smeknamn")
    seller = Customer(customer_number="7100", kind="private", name="Bo Säljare")
    set_address(seller, "visiting", "Storgatan 9", "123 46", "Stockholm")  # a neighbour: the same street
    anders = Customer(customer_number="7101", kind="private", name="Anders Gustafson",
                      email="anders@example.se", phone="070-123 45 67")
    set_address(anders, "visiting", "Lillgatan 3", "123 45", "Stockholm")
    anders.contacts.append(Contact(name="Karin Gustafsson", email="karin@example.se", phone="08-765 43 21"))
    session.add_all([seller, anders])
    session.flush()
    car = Vehicle(registration_number="GUS123", owner_id=seller.id)
    session.add(car)
    session.commit()
    anders.name = "Anders Gustafsson"
    anders.address("visiting").street = "Storgatan 9"
    anders.contacts.clear()
    assert car.owner is seller  # loaded: the history knows the old owner
    car.owner = anders
    session.commit()
    rc.set_values(session, rc.current(session), "customer", anders.id, {"cf_nickname": "Gurra"})
    session.commit()
    return anders, seller, car


def test_erasure_erases_every_history_value_of_the_customer(session):
    """Issue 9 item 12: after an erasure no history row of the customer, its contacts,
    addresses and custom fields keeps an old or new value (the History tab showed
    "name: Anders Gustafson → Anders Gustafsson"), the audit log finds nothing, and a vehicle's
    owner history names the erased customer no more (the other owner stays)."""
    user = f.user(session, "admin", admin=True)
    anders, seller, car = _anders(session, user)
    cid = anders.id
    log = AuditLog
    assert session.scalar(select(func.count()).select_from(log).where(log.old_value.contains("Gustafson")))

    gdpr.erase(session, anders, user)
    session.commit()

    from services.platform.audit import history_of
    rows = history_of(session, "customer", cid)
    assert rows and {r.old_value for r in rows} <= {None, gdpr.MARKER}
    assert {r.new_value for r in rows} <= {None, gdpr.MARKER}
    assert {r.table_name for r in rows} >= {"customer", "address", "contact"}
    for word in ("Gustaf", "Gurra", "Lillgatan", "anders@", "Karin", "123 45 67", "765 43 21"):
        hits = session.scalars(select(log).where(log.old_value.icontains(word) | log.new_value.icontains(word))).all()
        assert hits == [], (word, [(h.table_name, h.field, h.old_value, h.new_value) for h in hits])
    assert "Storgatan 9" in [r.new_value for r in history_of(session, "customer", seller.id)]  # not his
    owner = session.scalar(select(log).where(log.table_name == "vehicle", log.record_id == str(car.id),
                                             log.field == "owner"))
    assert owner.old_value == str(session.get(Customer, seller.id)) and owner.new_value == gdpr.MARKER


def test_erasure_cancels_the_unsent_e_mails_of_the_customer(session):
    """Issue 9 item 13: a queued e-mail with the invoice to the erased address is cancelled
    (no address, body or attachment left, never sent), with a trace that an erasure cancelled
    it; a message already sent stays sent."""
    from models import OutboxMessage
    from services.sales import outbox

    user = f.user(session, "admin", admin=True)
    greta = Customer(customer_number="7001", kind="private", name="Greta Gustafsson", email="greta@example.se")
    greta.contacts.append(Contact(name="Kalle Kontakt", email="kalle@example.se"))
    session.add(greta)
    session.flush()
    invoice = _invoice(session, greta, "10001")
    session.flush()
    queued = outbox.queue(session, "greta@example.se", "Faktura 10001", "Hej Greta Gustafsson", "faktura-10001.pdf",
                          b"%PDF-1.4 x", user, invoice_id=invoice.id)
    to_contact = outbox.queue(session, "KALLE@example.se", "Offert", "Hej Kalle", "offert.pdf", b"%PDF-1.4 y", user)
    sent = outbox.queue(session, "greta@example.se", "Faktura 9999", "Hej", "f.pdf", b"%PDF-1.4 z", user,
                        invoice_id=invoice.id)
    sent.status = "sent"
    other = outbox.queue(session, "annan@example.se", "Faktura", "Hej", "f.pdf", b"%PDF-1.4", user)
    session.commit()
    ids = queued.id, to_contact.id, sent.id, other.id

    gdpr.erase(session, greta, user)
    session.commit()

    for message_id in ids[:2]:
        message = session.get(OutboxMessage, message_id)
        assert message.status == "failed" and message.recipient == gdpr.MARKER
        assert message.attachment is None and message.attachment_name is None and message.body == ""
        assert message.error and "greta" not in message.error.lower()
        assert outbox.is_cancelled(message)
        # never sent, even with SMTP settings (the host is never contacted)
        assert outbox.send(message, {"sales.smtp_host": "192.0.2.1", "sales.smtp_sender": "a@b.se"}) is False
        assert message.status == "failed"
    assert session.get(OutboxMessage, ids[2]).status == "sent"
    assert session.get(OutboxMessage, ids[3]).status == "queued"
    assert session.get(OutboxMessage, ids[3]).recipient == "annan@example.se"


def test_erasure_deletes_comments_and_scrubs_phone_numbers_however_written(session):
    """Issue 9 item 14: the customer's comments and those on the vehicles it owns are deleted
    ("Karins bil"); the e-mail addresses and phone numbers of the customer and its contacts are
    scrubbed from the texts that are kept (an order's text and lines, a comment on an order, a
    vehicle note), written with spaces, dashes, +46 or without separators."""
    from models import Order, OrderLine, VehicleNote

    user = f.user(session, "admin", admin=True)
    greta = Customer(customer_number="7001", kind="private", name="Greta Gustafsson",
                     email="greta@example.se", phone="070-555 12 34")
    greta.contacts.append(Contact(name="Karin", phone="+46 8 765 43 21"))
    other = Customer(customer_number="7002", kind="private", name="Annan Person")
    session.add_all([greta, other])
    session.flush()
    car = Vehicle(registration_number="ABC123", owner_id=greta.id)
    other_car = Vehicle(registration_number="XYZ789", owner_id=other.id)
    session.add_all([car, other_car])
    session.flush()
    car.notes.append(VehicleNote(text="Repa höger dörr, ring 0705551234"))
    order = Order(customer_id=greta.id, vehicle_id=car.id,
                  text="Ring +46 70 555 12 34 eller 070 5551234, mejla GRETA@example.se, växel 08-7654321")
    order.lines.append(OrderLine(kind="free_text", text="Enligt samtal 070-555-12-34"))
    session.add(order)
    session.flush()
    from models import Booking

    booking = Booking(kind="loaner", number="L1", customer_id=greta.id, customer_name="Greta Gustafsson",
                      customer_street="Hemliga vägen 7", customer_phone="070-555 12 34", driver_type="customer",
                      driver_name="Greta Gustafsson", driver_birth_date=dt.date(1990, 1, 1),
                      driver_licence_number="19900101-1239", start_at=dt.datetime(2026, 1, 1, 8),
                      end_at=dt.datetime(2026, 1, 2, 8), vehicle_id=other_car.id, remark="Hämtas av Karin 08-765 43 21")
    session.add(booking)
    add_comment(session, "customer", greta.id, "Karins bil, ring 070 555 12 34", user, str(greta), None)
    add_comment(session, "vehicle", car.id, "Karins bil", user, str(car), None)
    add_comment(session, "vehicle", other_car.id, "Kamrem bytt 0701112233", user, str(other_car), None)
    add_comment(session, "order", order.id, "Kunden nås på 0046 70 555 12 34", user, str(order), None)
    session.commit()

    gdpr.erase(session, greta, user)
    session.commit()

    left = {(c.entity, c.record_id): c.body for c in session.scalars(select(Comment))}
    assert ("customer", greta.id) not in left and ("vehicle", car.id) not in left
    assert left[("vehicle", other_car.id)] == "Kamrem bytt 0701112233"
    assert left[("order", order.id)] == f"Kunden nås på {gdpr.MARKER}"
    order = session.get(Order, order.id)
    assert order.text == f"Ring {gdpr.MARKER} eller {gdpr.MARKER}, mejla {gdpr.MARKER}, växel {gdpr.MARKER}"
    assert order.lines[0].text == f"Enligt samtal {gdpr.MARKER}"
    assert session.scalar(select(VehicleNote.text)) == f"Repa höger dörr, ring {gdpr.MARKER}"
    booking = session.get(Booking, booking.id)
    assert booking.customer_name == gdpr.MARKER and booking.customer_phone is None and booking.customer_street is None
    assert booking.driver_name is None and booking.driver_birth_date is None and booking.driver_licence_number is None
    assert booking.remark == f"Hämtas av {gdpr.MARKER} {gdpr.MARKER}"
    assert booking.start_at == dt.datetime(2026, 1, 1, 8)  # the booking itself stays


@pytest.mark.parametrize("written", ["070-555 12 34", "0705551234", "070 555 12 34", "+46 70 555 12 34",
                                     "+46705551234", "0046 70-555 12 34", "+46 (0)70 555 12 34", "070.555.12.34"])
def test_phone_pattern_matches_every_way_of_writing_it(written):
    """Issue 9 item 14: one phone number, however typed, and not a longer number containing it."""
    import re

    pattern = re.compile(gdpr.phone_pattern("070-555 12 34"))
    assert pattern.fullmatch(written), written
    assert not pattern.search("10705551234") and not pattern.search("07055512345")


def _count(session, table, column, value, extra=None):
    q = select(func.count()).select_from(table).where(column == value)
    return session.scalar(q.where(extra) if extra is not None else q)


def test_merge_preview_equals_what_the_merge_does(session):
    """Issue 9 item 16: every count in the preview equals the rows the merge moves, and the rows
    it drops (the duplicate's visiting address when the kept customer has one, a tag both have,
    a custom field both filled, a second duplicate's billing address after the first one's moved)
    are announced as dropped, not as moving; comments are in the preview."""
    user = f.user(session, "admin", admin=True)
    vip, gold = Tag(name="VIP"), Tag(name="Guld")
    keep = Customer(customer_number="8001", name="Bilia AB", tags=[vip])
    dup1 = Customer(customer_number="8002", name="Bilia Aktiebolag", tags=[vip, gold])
    dup2 = Customer(customer_number="8003", name="Bilia", tags=[gold])
    set_address(keep, "visiting", "Storgatan 1", "111 22", "Stockholm")
    set_address(dup1, "visiting", "Annan gata 2", "111 33", "Stockholm")
    set_address(dup1, "billing", "Box 55", "111 99", "Stockholm")
    set_address(dup2, "billing", "Box 66", "111 98", "Stockholm")
    set_address(dup2, "postal", "Box 77", "111 97", "Stockholm")
    session.add_all([keep, dup1, dup2])
    session.flush()
    session.add_all([Vehicle(registration_number="XYZ789", owner_id=dup1.id),
                     Vehicle(registration_number="XYZ790", owner_id=dup2.id)])
    plist = ProcessingList(name="Kampanj", owner_id=user.id)
    plist.items = [ProcessingListItem(customer_id=keep.id), ProcessingListItem(customer_id=dup1.id, position=1),
                   ProcessingListItem(customer_id=dup2.id, position=2)]
    session.add(plist)
    rc.save_custom_field(session, "customer", "fleet", "number", "Flotta")
    rc.save_custom_field(session, "customer", "since", "text", "Kund sedan")
    session.commit()
    config = rc.current(session)
    rc.set_values(session, config, "customer", keep.id, {"cf_fleet": 2})
    rc.set_values(session, config, "customer", dup1.id, {"cf_fleet": 4, "cf_since": "2001"})
    rc.set_values(session, config, "customer", dup2.id, {"cf_since": "1999"})
    add_comment(session, "customer", dup1.id, "Dubblett", user, str(dup1), None)
    add_comment(session, "customer", dup2.id, "Dubblett 2", user, str(dup2), None)
    add_comment(session, "customer", dup2.id, "Dubblett 3", user, str(dup2), None)
    session.commit()
    keep_id = keep.id
    dup1_address = dup1.address("visiting").id

    planned = merge.preview(session, keep, [dup2, dup1])
    total_moved: dict[str, int] = {}
    total_dropped: dict[str, int] = {}
    for moves in planned.values():
        for m in moves:
            total_moved[m.table] = total_moved.get(m.table, 0) + m.moved
            if m.dropped:
                total_dropped[m.table] = total_dropped.get(m.table, 0) + m.dropped
    by_table = {m.table: m for m in planned[dup1.id]}
    assert by_table["address"].moved == 1 and by_table["address"].dropped_ids == [dup1_address]
    assert {m.table: (m.moved, m.dropped) for m in planned[dup2.id]}["address"] == (1, 1)  # billing taken by dup1
    assert by_table["comment"].moved == 1 and {m.table: m.moved for m in planned[dup2.id]}["comment"] == 2
    before = {"address": _count(session, db.metadata.tables["address"], db.metadata.tables["address"].c.customer_id,
                                keep_id)}

    moved = merge.merge(session, keep, [dup1, dup2], user.id)
    session.commit()

    assert {t: n for t, n in total_moved.items() if n} == dict(moved)
    assert total_dropped == moved.dropped == {"address": 2, "customer_tag": 2, "custom_field_value": 2,
                                              "processing_list_item": 2}
    keep = session.get(Customer, keep_id)
    assert len(keep.addresses) == before["address"] + moved["address"] == 3
    assert {a.kind: a.street for a in keep.addresses} == {"visiting": "Storgatan 1", "billing": "Box 55",
                                                          "postal": "Box 77"}
    assert moved["comment"] == 3 and moved["vehicle"] == 2 and "processing_list_item" not in moved
    assert len(session.get(ProcessingList, plist.id).items) == 1
    assert rc.values_of(session, rc.current(session), "customer", [keep_id])[keep_id] == {"cf_fleet": 2,
                                                                                          "cf_since": "2001"}


def test_merge_warns_of_two_legal_entities_and_an_inactive_customer_kept(session):
    """Issue 9 item 16: different organisation numbers (two legal entities) and an inactive
    customer kept are warned of, and the merge is refused until the user accepts the warnings."""
    user = f.user(session, "admin", admin=True)
    keep = Customer(customer_number="8001", name="Bilia AB", org_number="5560360793", active=False)
    dup = Customer(customer_number="8002", name="Bilia Väst AB", org_number="5568541298")
    same = Customer(customer_number="8003", name="Bilia", org_number="5560360793")
    session.add_all([keep, dup, same])
    session.commit()
    found = merge.warnings(keep, [dup, same])
    assert len(found) == 2
    assert "556036-0793" in found[1] and "556854-1298" in found[1]
    keep.active = True
    assert merge.warnings(keep, [same]) == []
    keep.active = False
    with pytest.raises(DomainError):
        merge.merge(session, keep, [dup], user.id, accept_warnings=False)
    session.rollback()
    keep, dup = session.get(Customer, keep.id), session.get(Customer, dup.id)
    merge.merge(session, keep, [dup], user.id, accept_warnings=True)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Customer)) == 2
