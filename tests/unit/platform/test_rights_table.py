"""The rights table and the roles Verkstad ships (no database).

The roles are built at import time from two helpers; `make mutation` forks its mutants after the
import, so besides the shipped roles the helpers are asserted directly (else a mutant of them
could not fail any test)."""
from services.platform import rights
from services.platform.rights import DEFAULT_ROLES, all_rights

BOOKING_GRANTS = {"edit", "delete", "issue", "return", "edit_handover", "billing", "new", "manager", "logbook"}


def test_every_right_is_area_dot_action_once():
    names = all_rights()
    assert len(names) == len(set(names))
    assert {"customer.view", "customer.gdpr", "customer.merge", "sales.credit", "sales.export",
            "accounting.manual_credit", "booking_loaner.own_only", "booking_rental.billing"} <= set(names)
    assert "booking_test_drive.billing" not in names  # test drives are never billed
    assert all(name.count(".") == 1 for name in names)


def test_the_crud_grant_is_view_edit_create_export_without_delete():
    assert rights._crud("vehicle") == {"vehicle.view", "vehicle.edit", "vehicle.create", "vehicle.export"}
    assert rights._crud("customer", "assign") == {"customer.view", "customer.edit", "customer.create",
                                                  "customer.export", "customer.assign"}


def test_the_booking_grant_is_every_booking_right_but_only_own_entries():
    assert rights._booking("loaner") == {f"booking_loaner.{a}" for a in BOOKING_GRANTS}
    assert rights._booking("test_drive") == {f"booking_test_drive.{a}" for a in BOOKING_GRANTS - {"billing"}}


def test_the_shipped_roles():
    advisor = DEFAULT_ROLES["Service advisor"]
    assert {"customer.view", "customer.edit", "customer.create", "customer.export", "customer.assign",
            "customer.upload", "vehicle.view", "vehicle.edit", "vehicle.create", "vehicle.export",
            "article.view", "sales.view", "sales.edit", "sales.create", "sales.finalise", "sales.send"} <= advisor
    assert {f"booking_loaner.{a}" for a in BOOKING_GRANTS} <= advisor
    assert not advisor & {"customer.delete", "customer.gdpr", "customer.merge", "vehicle.delete", "sales.credit",
                          "sales.export", "sales.delete", "booking_loaner.own_only", "booking_rental.new"}
    sales = DEFAULT_ROLES["Sales"]
    assert {f"booking_rental.{a}" for a in BOOKING_GRANTS} | {"booking_test_drive.new"} <= sales
    assert "customer.assign" not in sales and "booking_loaner.new" not in sales
    assert DEFAULT_ROLES["Technician"] == {"customer.view_assigned", "vehicle.view", "vehicle.edit", "article.view",
                                           "sales.view", "workshop.view"}  # the resources, for the planner
    accountant = DEFAULT_ROLES["Accountant"]
    assert {"sales.credit", "sales.export", "accounting.manual_credit", "customer.export"} <= accountant
    assert not accountant & {"customer.edit", "sales.edit", "sales.create", "sales.delete"}
    assert DEFAULT_ROLES["Administrator"] == set()  # is_admin, no list
    assert set().union(*DEFAULT_ROLES.values()) <= set(all_rights())
