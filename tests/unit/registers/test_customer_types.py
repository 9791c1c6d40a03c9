"""Customer types per module (reference 002, "Kundtyper i moduler"): one rule,
services.registers.register_config.check_customer_type, applied wherever a quote, order or booking gets
its customer, and customer_type_clause / choosable_customer_clause for the look-ups."""
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from models import Customer
from services import DomainError
from services.bookings import bookings as b
from services.sales import orders
from services.registers import register_config as rc
from tests.booking_helpers import NOW, SETTINGS, world
from tests.factories import customer as make_customer


@pytest.fixture
def people(session):
    regular = make_customer(session, "1001", "Vanlig AB")
    prospect = make_customer(session, "1002", "Prospekt AB", org="5566778899", customer_type="prospect")
    temporary = make_customer(session, "1003", "Tillfällig AB", org="5560000001", customer_type="temporary")
    inactive = make_customer(session, "1004", "Vilande AB", org="5560000002", active=False)
    session.commit()
    return dict(regular=regular, prospect=prospect, temporary=temporary, inactive=inactive)


def test_only_modules_that_exist_are_configurable():
    assert rc.CUSTOMER_TYPE_MODULES == ("quotes", "orders", "bookings")
    assert set(rc.DEFAULT_CUSTOMER_TYPES) == set(rc.CUSTOMER_TYPE_MODULES)
    with pytest.raises(DomainError):
        rc.save_customer_types(None, {"sales_opportunities": ["regular"]})


@pytest.mark.parametrize("module, kind, allowed", [
    ("orders", "prospect", False), ("orders", "temporary", True), ("orders", "regular", True),
    ("quotes", "prospect", True), ("bookings", "prospect", False), ("bookings", "temporary", True),
])
def test_defaults(session, people, module, kind, allowed):
    customer = people[kind]
    if allowed:
        rc.check_customer_type(session, customer, module)
    else:
        with pytest.raises(DomainError) as exc:
            rc.check_customer_type(session, customer, module)
        assert exc.value.field == "customer"


def test_the_message_names_customer_module_and_type(session, people):
    with force_locale("sv"), pytest.raises(DomainError) as exc:
        rc.check_customer_type(session, people["prospect"], "orders")
    assert exc.value.message == ("1002 Prospekt AB kan inte väljas för order: kundtypen Prospekt är avstängd "
                                 "för order i kundregistrets inställningar.")


def test_a_setting_changes_the_rule_at_once(session, people):
    rc.save_customer_types(session, {"quotes": ["regular"], "orders": ["regular", "prospect"],
                                     "bookings": ["regular"]})
    session.commit()
    rc.check_customer_type(session, people["prospect"], "orders")
    with pytest.raises(DomainError):
        rc.check_customer_type(session, people["prospect"], "quotes")
    with pytest.raises(DomainError):
        rc.check_customer_type(session, people["temporary"], "bookings")


def test_look_up_clause_offers_only_choosable_customers(session, people):
    def names(*modules):
        return set(session.scalars(select(Customer.name).where(rc.choosable_customer_clause(session, *modules))))

    assert names("orders") == {"Vanlig AB", "Tillfällig AB"}  # no prospect, no inactive customer
    assert names("quotes") == {"Vanlig AB", "Tillfällig AB", "Prospekt AB"}
    assert names("orders", "quotes") == names("quotes")  # either kind: the union
    assert names() == {"Vanlig AB", "Tillfällig AB", "Prospekt AB"}  # no module: active ones
    rc.save_customer_types(session, {"quotes": ["prospect"], "orders": ["regular"], "bookings": ["temporary"]})
    session.commit()
    assert names("quotes") == {"Prospekt AB"}
    assert names("bookings") == {"Tillfällig AB"}


def test_orders_and_quotes_enforce_their_module(session, people):
    with pytest.raises(DomainError) as exc:
        orders.create_order(session, people["prospect"], kind="order")
    assert exc.value.field == "customer"
    quote = orders.create_order(session, people["prospect"], kind="quote")
    session.flush()
    # the quote cannot become an order for a prospect: neither copied nor by its status
    with pytest.raises(DomainError):
        orders.copy_to_order(session, quote)
    with pytest.raises(DomainError):
        orders.set_status(quote, "in_progress")
    assert quote.kind == "quote"
    order = orders.create_order(session, people["regular"], kind="order")
    with pytest.raises(DomainError) as exc:
        orders.change_payer(order, people["prospect"])
    assert exc.value.field == "payer"
    orders.change_payer(order, people["temporary"])
    assert order.payer is people["temporary"]


def test_bookings_enforce_their_module(session):
    with force_locale("en"):
        w = world(session)
        prospect = w["customer"]
        prospect.customer_type = "prospect"
        session.flush()
        values = {"start_at": NOW.replace(hour=12), "end_at": NOW.replace(hour=16), "vehicle": w["v1"]}
        with pytest.raises(DomainError) as exc:
            b.create_booking(session, "loaner", prospect, dict(values), w["advisor"], SETTINGS, NOW)
        assert exc.value.field == "customer" and "bookings" in exc.value.message
        prospect.customer_type = "regular"
        booking = b.create_booking(session, "loaner", prospect, dict(values), w["advisor"], SETTINGS, NOW)
        # a booking keeps the customer it has even when the customer's type changes later
        prospect.customer_type = "prospect"
        b.update_booking(session, booking, prospect, {},
                         w["advisor"], SETTINGS, NOW)
