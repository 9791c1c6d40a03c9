"""The per-test database reset of tests/conftest.py: the next test starts on the seeded state,
as if the database were new (rows, sequences, planner statistics)."""
from sqlalchemy import select, text

from models import Customer, Role, db
from services.platform import listing
from tests.conftest import make_app


def _fingerprint(session) -> dict:
    return {t.name: sorted(repr(tuple(r)) for r in session.execute(select(t))) for t in db.metadata.sorted_tables}


def _dirty(session) -> None:
    """Change what the tests change: new rows, a seeded row, planner statistics."""
    session.scalar(select(Role).where(Role.is_admin.is_(False)).limit(1)).name = "renamed"
    session.add_all([Customer(customer_number=str(5000 + i), name=f"Kund {i}") for i in range(3)])
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE customer"))
        session.commit()


def test_the_next_app_starts_on_the_seeded_state(app, backend, request, tmp_path):
    with app.app_context():
        seeded = _fingerprint(db.session)
        assert seeded["country"] and seeded["role"] and not seeded["customer"]
        _dirty(db.session)
        assert _fingerprint(db.session) != seeded
        db.session.remove()
    (tmp_path / "again").mkdir()
    again = make_app(request, tmp_path / "again", backend)
    try:
        with again.app_context():
            assert _fingerprint(db.session) == seeded
            assert listing.estimated_rows(db.session, "customer") is None
            customer = Customer(customer_number="7000", name="Ny")
            db.session.add(customer)
            db.session.commit()
            assert customer.id == 1  # sequences start again
    finally:
        with again.app_context():
            db.session.remove()
            db.engine.dispose()
