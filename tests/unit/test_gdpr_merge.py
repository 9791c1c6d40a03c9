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
    Role,
    Tag,
    User,
    Vehicle,
    db,
)
from services import DomainError, customer_files, gdpr, merge
from services import register_config as rc
from services.comments import add_comment
from services.customers import set_address
from services.notifications import notify

SECRETS = ["Greta Gustafsson", "199001011239", "19900101-1239", "greta@example.se", "070-555 12 34",
           "Hemliga vägen 7", "Kalle Kontakt", "kalle@example.se"]


def _user(session, name="admin"):
    role = session.scalar(select(Role).where(Role.is_admin.is_(True)))
    user = User(username=name, full_name=name.title(), password_hash="x", role=role)
    session.add(user)
    session.flush()
    return user


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
    user = _user(session)
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


def test_personal_data_export_has_everything(session):
    user = _user(session)
    greta = Customer(customer_number="7001", kind="private", name="Greta Gustafsson", email="greta@example.se")
    set_address(greta, "visiting", "Hemliga vägen 7", "123 45", "Stockholm")
    session.add(greta)
    session.flush()
    add_comment(session, "customer", greta.id, "En kommentar", user, str(greta), None)
    session.commit()
    data = gdpr.personal_data(session, greta)
    assert data["customer"]["email"] == "greta@example.se"
    assert data["addresses"][0]["street"] == "Hemliga vägen 7"
    assert data["comments"][0]["text"] == "En kommentar"
    assert any(h["field"] == "name" for h in data["history"])
    assert '"Greta Gustafsson"' in gdpr.personal_data_json(session, greta)


def test_merge_moves_every_relation_and_records_history(session):
    user = _user(session)
    tech = _user(session, "tekniker")
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
