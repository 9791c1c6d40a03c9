"""Rules of the low-code configuration (services.registers.register_config), table-driven."""
import datetime as dt
from decimal import Decimal

import pytest

from models import Customer, CustomField, CustomFieldValue
from services import DomainError
from services.registers import register_config as rc


@pytest.mark.parametrize("entity, rules, field", [
    ("customer", {("company", "email"): (False, True)}, "email"),                 # required and inactive
    ("customer", {("company", "nonsense"): (True, False)}, "nonsense"),           # unknown field
    ("customer", {("robot", "email"): (True, False)}, "email"),                   # unknown kind
    ("customer", {("private", "vehicle_required"): (True, True)}, "vehicle_required"),  # yes/no cannot be required
    ("contact", {("", "phone"): (False, True)}, "phone"),
    ("contact", {("", "send_service_protocol"): (True, True)}, "send_service_protocol"),
])
def test_invalid_field_rules_refused(entity, rules, field):
    with pytest.raises(DomainError) as exc:
        rc.validate_field_rules(entity, rules)
    assert exc.value.field == field


def test_valid_field_rules_saved_and_read_through_the_cache(session):
    before = rc.current(session)
    rc.save_field_rules(session, "customer", {("private", "email"): (True, True),
                                              ("company", "district"): (False, False)})
    session.commit()
    cfg = rc.current(session)
    assert cfg is not before and cfg.token != before.token
    assert cfg.required("customer", "private", "email") and not cfg.required("customer", "company", "email")
    assert not cfg.active("customer", "company", "district") and cfg.active("customer", "private", "district")
    assert not cfg.active("customer", "company", "personal_number")  # never for companies
    assert rc.current(session) is cfg  # unchanged token: the cached object


@pytest.mark.parametrize("key, field_type, label, choices, required, error_field", [
    ("name", "text", "Namn", None, False, "key"),                # built-in column
    ("org_number", "text", "Org", None, False, "key"),
    ("visiting_address", "text", "Adress", None, False, "key"),  # built-in form field group
    ("Bad Key", "text", "X", None, False, "key"),
    ("fleet", "choice", "Flotta", [], False, "choices"),         # a choice list needs choices
    ("fleet", "multi_choice", "Flotta", ["a", "a"], False, "choices"),
    ("fleet", "colour", "Flotta", None, False, "field_type"),
    ("fleet", "text", " ", None, False, "label_sv"),
    ("fleet", "bool", "Flotta", None, True, "required"),
])
def test_invalid_custom_fields_refused(session, key, field_type, label, choices, required, error_field):
    with pytest.raises(DomainError) as exc:
        rc.save_custom_field(session, "customer", key, field_type, label, choices=choices, required=required)
    assert exc.value.field == error_field


def test_duplicate_custom_key_refused_per_register(session):
    rc.save_custom_field(session, "customer", "fleet", "text", "Flotta")
    session.commit()
    with pytest.raises(DomainError) as exc:
        rc.save_custom_field(session, "customer", "fleet", "number", "Flotta 2")
    assert exc.value.field == "key"
    rc.save_custom_field(session, "contact", "fleet", "text", "Flotta")  # another register: fine
    with pytest.raises(DomainError):
        rc.save_custom_field(session, "vehicle", "fleet", "text", "Flotta")  # Vehicle.fleet is built in


@pytest.mark.parametrize("field_type, choices, raw, expected", [
    ("text", None, "  Hej ", "Hej"),
    ("number", None, "12", 12),
    ("decimal", None, "12,50", Decimal("12.50")),
    ("date", None, "2026-03-01", dt.date(2026, 3, 1)),
    ("date", None, dt.datetime(2026, 3, 1, 10, 0), dt.date(2026, 3, 1)),
    ("bool", None, "ja", True),
    ("bool", None, "", False),
    ("choice", ["A", "B"], "B", "B"),
    ("multi_choice", ["A", "B", "C"], "C, A", ["A", "C"]),
    ("multi_choice", ["A", "B", "C"], ["B"], ["B"]),
])
def test_parse_value(field_type, choices, raw, expected):
    f = rc.FieldDef(1, "customer", "x", field_type, {"sv": "X"}, tuple(choices or ()), False, 0, True, None)
    assert rc.parse_value(f, raw) == expected


@pytest.mark.parametrize("field_type, choices, raw, required", [
    ("number", None, "12.5", False),
    ("number", None, "tolv", False),
    ("decimal", None, "abc", False),
    ("date", None, "2026-13-01", False),
    ("bool", None, "kanske", False),
    ("choice", ["A"], "Z", False),
    ("multi_choice", ["A"], "A, Z", False),
    ("text", None, "", True),
    ("text", None, "x" * 501, False),
])
def test_parse_value_refuses(field_type, choices, raw, required):
    f = rc.FieldDef(1, "customer", "x", field_type, {"sv": "X"}, tuple(choices or ()), required, 0, True, None)
    with pytest.raises(DomainError) as exc:
        rc.parse_value(f, raw)
    assert exc.value.field == "cf_x"


def test_values_typed_round_trip_remove_and_purge(session):
    fields = {t: rc.save_custom_field(session, "customer", f"f_{t}", t, t.title(),
                                      choices=["A", "B"] if "choice" in t else None)
              for t in ("text", "long_text", "number", "decimal", "date", "bool", "choice", "multi_choice")}
    customer = Customer(customer_number="9001", name="Test AB")
    session.add(customer)
    session.commit()
    cfg = rc.current(session)
    typed = {"cf_f_text": "Hej", "cf_f_long_text": "Lång\ntext", "cf_f_number": 5, "cf_f_decimal": Decimal("2.5"),
             "cf_f_date": dt.date(2026, 1, 2), "cf_f_bool": True, "cf_f_choice": "B", "cf_f_multi_choice": ["A", "B"]}
    rc.set_values(session, cfg, "customer", customer.id, typed)
    session.commit()
    assert rc.values_of(session, cfg, "customer", [customer.id])[customer.id] == typed

    rc.remove_custom_field(session, fields["text"].id)
    session.commit()
    cfg = rc.current(session)
    assert "cf_f_text" not in rc.values_of(session, cfg, "customer", [customer.id])[customer.id]
    assert session.query(CustomFieldValue).filter_by(field_id=fields["text"].id).count() == 1  # kept
    with pytest.raises(DomainError):
        rc.purge_custom_field(session, fields["number"].id)  # still active: remove first
    assert rc.purge_custom_field(session, fields["text"].id) == 1
    session.commit()
    assert session.get(CustomField, fields["text"].id) is None


def test_list_columns_tabs_and_customer_types(session):
    with pytest.raises(DomainError):
        rc.save_list_columns(session, ["name", "no_such_column"])
    with pytest.raises(DomainError):
        rc.save_list_columns(session, [])
    rc.save_list_columns(session, ["name", "customer_number"])
    session.commit()
    assert rc.current(session).customer_list_columns() == ["name", "customer_number"]

    with pytest.raises(DomainError):
        rc.save_tabs(session, [{"key": "removed_tab", "enabled": True}])
    rc.save_tabs(session, [{"key": "history", "enabled": True, "main": True},
                           {"key": "vehicles", "enabled": False}])
    session.commit()
    keys = [t["key"] for t in rc.card_tabs(rc.current(session))]
    assert keys[0] == "history" and "vehicles" not in keys

    with pytest.raises(DomainError):
        rc.save_customer_types(session, {"orders": []})
    with pytest.raises(DomainError):
        rc.save_customer_types(session, {"orders": ["vip"]})
    rc.save_customer_types(session, {"orders": ["regular"], "quotes": ["prospect", "regular"]})
    session.commit()
    assert rc.allowed_customer_types(session, "orders") == {"regular"}
    assert rc.allowed_customer_types(session, "quotes") == {"prospect", "regular"}
    assert rc.allowed_customer_types(session, "bookings") == {"regular", "temporary"}


def test_a_builtin_tab_missing_from_a_stored_order_comes_last():
    cfg = rc.RegisterConfig(tabs=({"key": "overview", "enabled": True, "main": True},
                                  {"key": "history", "enabled": False, "main": True}))
    tabs = rc.card_tabs(cfg)
    assert tabs[0] == {"key": "overview", "main": True}
    assert "history" not in [t["key"] for t in tabs]  # disabled stays disabled
    # not in the stored order (the module tabs came with issue 10): last, as it is by default;
    # Events stays off until switched on
    assert [t["key"] for t in tabs] == ["overview", "contacts", "addresses", "vehicles", "quotes", "orders",
                                        "invoices", "bookings", "comments", "files"]
    assert all(t["main"] for t in tabs)


def test_events_has_one_switch_and_a_stored_second_switch_still_counts(session):
    from models import Setting

    assert "events" not in [t["key"] for t in rc.card_tabs(rc.current(session))]  # off by default
    stored = [{**t, "enabled": True} for t in rc.DEFAULT_TABS]
    session.add(Setting(key="lowcode.customer_tabs", value=stored))
    session.add(Setting(key="lowcode.events_tab", value=False))  # what the old page saved
    rc.bump(session)
    session.commit()
    assert "events" not in [t["key"] for t in rc.card_tabs(rc.current(session))]
    rc.save_tabs(session, [{"key": "events", "enabled": True, "main": False}, {"key": "overview", "enabled": True}])
    session.commit()
    assert session.get(Setting, "lowcode.events_tab") is None
    keys = [t["key"] for t in rc.card_tabs(rc.current(session))]
    assert keys[:2] == ["events", "overview"] and "quotes" in keys  # missing ones follow, by default


def test_module_tabs_are_ordered_and_switched_off_like_the_others(session):
    rc.save_tabs(session, [{"key": "orders", "enabled": True, "main": True},
                           {"key": "quotes", "enabled": False, "main": True},
                           {"key": "invoices", "enabled": True, "main": False}])
    session.commit()
    tabs = rc.card_tabs(rc.current(session))
    assert tabs[0] == {"key": "orders", "main": True} and {"key": "invoices", "main": False} in tabs
    assert "quotes" not in [t["key"] for t in tabs]


def test_a_custom_field_is_edited_after_creation(session):
    cf = rc.save_custom_field(session, "customer", "fleet_size", "choice", "Flotta", choices=["1-5", "6+"])
    session.commit()
    edited = rc.save_custom_field(session, "vehicle", "renamed", "choice", "Flottstorlek", label_de="Flotte",
                                  choices=["1-5", "6-20", "21+"], required=True, position=5, tab="Fordon",
                                  field_id=cf.id, kinds=["company"])
    session.commit()
    assert edited.id == cf.id and (edited.entity, edited.key) == ("customer", "fleet_size")  # kept
    f = rc.current(session).field_by_name("customer", "cf_fleet_size")
    assert (f.label(), f.choices, f.required, f.position, f.tab, f.kinds) == (
        "Flottstorlek", ("1-5", "6-20", "21+"), True, 5, "Fordon", ("company",))
    assert f.applies_to("company") and not f.applies_to("private")
    assert [x.name for x in rc.current(session).fields_for("customer", "private")] == []
    # both kinds chosen means every kind; none is refused
    rc.save_custom_field(session, "customer", "", "choice", "Flotta", choices=["1"], field_id=cf.id,
                         kinds=["private", "company"])
    assert session.get(CustomField, cf.id).kinds is None
    with pytest.raises(DomainError) as exc:
        rc.save_custom_field(session, "customer", "", "choice", "Flotta", choices=["1"], field_id=cf.id, kinds=[])
    assert exc.value.field == "kinds"
    with pytest.raises(DomainError) as exc:
        rc.save_custom_field(session, "customer", "", "choice", "Flotta", choices=["1"], field_id=cf.id,
                             tab="history")
    assert exc.value.field == "tab"


def test_the_dragged_layout_sets_positions_and_tabs(session):
    a = rc.save_custom_field(session, "customer", "a_field", "text", "A")
    b = rc.save_custom_field(session, "customer", "b_field", "text", "B")
    c = rc.save_custom_field(session, "customer", "c_field", "text", "C", tab="Flotta")
    d = rc.save_custom_field(session, "customer", "d_field", "text", "D")
    session.flush()
    rc.save_layout(session, "customer", [(None, [c.id, a.id]), ("Ny flik", [b.id])])
    session.commit()
    fields = rc.current(session).fields_of("customer")
    assert [(f.key, f.tab) for f in fields] == [("c_field", None), ("a_field", None), ("b_field", "Ny flik"),
                                                ("d_field", None)]  # d not placed: after the placed ones
    with pytest.raises(DomainError):
        rc.save_layout(session, "customer", [(None, [a.id, a.id])])
    with pytest.raises(DomainError):
        rc.save_layout(session, "customer", [(None, [999999])])
    v = rc.save_custom_field(session, "vehicle", "v_field", "text", "V")
    session.flush()
    with pytest.raises(DomainError):  # a field of another register
        rc.save_layout(session, "customer", [(None, [v.id])])
