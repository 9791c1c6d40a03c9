"""services.platform.listing: estimated, exact and capped counts, and deep pages by primary key
(over a real session, SQLite and PostgreSQL)."""
from sqlalchemy import func, text

from models import Customer, db
from services.platform import listing
from tests.factories import fill_customers


def _count_query(session):
    return session.query(func.count("*")).select_from(Customer)


def test_small_unfiltered_table_gets_the_exact_count(session):
    fill_customers(session, 30)
    assert listing.list_count(_count_query(session), "customer") == 30


def test_big_unfiltered_table_gets_the_estimate_without_counting(session, monkeypatch):
    fill_customers(session, 30)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE customer"))
        session.commit()
    monkeypatch.setattr(listing, "EXACT_BELOW", 10)
    assert listing.estimated_rows(session, "customer") == 30
    # one more row than the estimate knows of: the estimate is what the list shows (PostgreSQL
    # learns it at the next ANALYZE; SQLite's largest rowid knows it at once)
    session.add(Customer(customer_number="9999", name="Ny", kind="company"))
    session.commit()
    expected = 31 if session.get_bind().dialect.name == "sqlite" else 30
    assert listing.list_count(_count_query(session), "customer") == expected


def test_estimate_of_an_empty_or_unknown_table_is_none(session):
    assert listing.estimated_rows(session, "customer") is None
    assert listing.list_count(_count_query(session), "customer") == 0


def test_filtered_count_is_exact_below_the_cap_and_capped_above(session):
    fill_customers(session, 30)
    query = _count_query(session).filter(Customer.name.like("Kund 01%"))
    assert listing.list_count(query, "customer") == 10
    assert listing.capped_count(_count_query(session).filter(Customer.name.like("Kund%")), cap=12) == 12
    assert listing.list_count(_count_query(session).filter(Customer.name.like("Kund%")), "customer", cap=25) == 25


def test_page_keys_are_the_keys_of_the_plain_offset_page(session):
    fill_customers(session, 30)
    query = db.session.query(Customer).order_by(Customer.name.desc())
    plain = [c.id for c in query.offset(7).limit(5)]
    assert listing.page_keys(query, Customer.id, 7, 5) == plain
    assert listing.page_keys(query, Customer.id, 40, 5) == []


def test_rows_by_keys_keeps_the_order_of_the_keys(session):
    fill_customers(session, 10)
    ids = [c.id for c in session.query(Customer).order_by(Customer.id)]
    keys = [ids[7], ids[2], ids[5]]
    rows = listing.rows_by_keys(session.query(Customer), Customer.id, keys)
    assert [r.id for r in rows] == keys
    assert listing.rows_by_keys(session.query(Customer), Customer.id, []) == []
