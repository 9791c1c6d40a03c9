"""The one form layout (issue 10 item 3, item 8): groups in two columns from 1200 px, one below,
the action bar in sight while scrolling and still under the pointer, one record per double click,
the customer kind's fields and asterisks at once, errors by label next to their field. In Chromium."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from models import (AccountManagerTitle, Address, Article, CompanyType, Contact, ContactTitle, CostCenter,
                    Customer, CustomerArticle, CustomerLevel, DiscountLetter, District, PaymentTerm, Source, Tag,
                    User, VatRate, db)
from services.registers import register_config as rc
from tests.browser.conftest import login, shot
from tests.factories import make_user

pytestmark = pytest.mark.browser

MAX_HEIGHT = 2500


def everything_filled(app) -> int:
    """A company with every group of the form filled: three addresses, three contacts, two
    articles for new orders, every classification, three technicians and three custom fields."""
    techs = [make_user(app, f"tech{i}", {"customer.view_assigned"}, full_name=f"Tekniker {i}") for i in range(3)]
    with app.app_context():
        s = db.session
        rc.save_custom_field(s, "customer", "fleet_size", "number", "Antal fordon i flottan", position=1)
        rc.save_custom_field(s, "customer", "segment", "choice", "Segment", choices=["Taxi", "Bud"], position=2)
        rc.save_custom_field(s, "customer", "customer_since", "date", "Kund sedan", position=3, tab="Historik")
        vat = s.scalar(select(VatRate).where(VatRate.percent == 25))
        articles = [Article(number=f"A-{i}", name=f"Artikel {i}", vat_rate=vat, price=D("100")) for i in range(2)]
        title = ContactTitle(name="Ekonomiansvarig")
        c = Customer(
            customer_number="2001", kind="company", name="Bilverkstan i Solna AB", org_number="5560360793",
            vat_number="SE556036079301", email="info@bilverkstan.example", phone="08-123 45 67",
            payment_term=s.scalar(select(PaymentTerm).where(PaymentTerm.days == 30)),
            discount_letter=DiscountLetter(name="Rabatt A", article_percent=D("5")),
            district=District(name="Norr"), customer_level=CustomerLevel(name="Guld"), source=Source(name="Mässa"),
            company_type=CompanyType(name="Aktiebolag"), cost_center=CostCenter(code="100", name="Verkstad"),
            account_manager_title=AccountManagerTitle(name="Säljchef"),
            tags=[Tag(name="A-kund"), Tag(name="Fleet"), Tag(name="Taxi")],
            internal_comment="Ring före leverans.\nNyckel i boxen.", vehicle_required=True,
            cost_center_required=True, order_number_required=True, email_documents=True,
        )
        for kind, street in (("visiting", "Industrivägen 4"), ("billing", "Box 1234"), ("postal", "Box 99")):
            c.addresses.append(Address(kind=kind, street=street, postal_code="17148", city="Solna"))
        for i, name in enumerate(("Maja Holm", "Per Berg", "Lisa Ek")):
            c.contacts.append(Contact(name=name, title=title, email=f"c{i}@bilverkstan.example",
                                      phone=f"070-11{i} 22 33", send_service_protocol=True))
        for article in articles:
            c.customer_articles.append(CustomerArticle(kind="service", article=article, quantity=D("1")))
        users = s.scalars(select(User).where(User.id.in_(techs))).all()
        c.account_manager = c.service_advisor = c.sales_advisor = users[0]
        c.technicians = list(users)
        s.add(c)
        s.flush()
        cfg = rc.current(s)
        rc.set_values(s, cfg, "customer", c.id, {"cf_fleet_size": 12, "cf_segment": "Taxi",
                                                 "cf_customer_since": dt.date(2020, 5, 4)})
        s.commit()
        return c.id


def save_box(page) -> dict:
    return page.locator("#form-save").bounding_box()


def in_view(page, box) -> bool:
    height = page.evaluate("window.innerHeight")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_filled_customer_form_fits_in_2500px_and_save_stays_in_view(page, live_app):
    cid = everything_filled(live_app)
    login(page)
    page.goto(f"/admin/customer/edit/?id={cid}")
    expect(page.locator("#contacts-2-name")).to_have_value(re.compile(r"^(Maja Holm|Per Berg|Lisa Ek)$"))
    for group in ("identity", "contact", "addresses", "contacts", "terms", "assignment", "settings"):
        expect(page.locator(f"#group-{group}")).to_be_visible()
    expect(page.locator("#postal_street")).to_have_value("Box 99")
    height = page.evaluate("document.documentElement.scrollHeight")
    shot(page, "form-customer-filled-1400")
    assert height <= MAX_HEIGHT, height

    # two columns at 1400 px: the number and the kind side by side in one row of the identity group
    number, kind = page.locator('[data-field="customer_number"]').bounding_box(), page.locator('[data-field="kind"]').bounding_box()
    assert abs(number["y"] - kind["y"]) < 2 and kind["x"] > number["x"] + number["width"] - 1

    # "Spara" is in the window wherever the page is scrolled to ...
    for fraction in (0, .25, .5, .75, 1):
        page.evaluate("f => window.scrollTo(0, f * (document.documentElement.scrollHeight - innerHeight))", fraction)
        assert in_view(page, save_box(page)), fraction
    # ... and stays where it is when the page above it changes (a group folded away)
    page.evaluate("window.scrollTo(0, 900)")
    before = save_box(page)
    page.locator("#group-contacts .vk-group-toggle").click()
    expect(page.locator("#group-contacts-body")).to_be_hidden()
    assert save_box(page) == before
    page.locator("#group-contacts .vk-group-toggle").click()
    expect(page.locator("#contacts-0-name")).to_be_visible()

    with page.expect_navigation():
        page.locator("#form-save").click()
    with live_app.app_context():
        c = db.session.get(Customer, cid)
        assert len(c.contacts) == 3 and len(c.technicians) == 3 and c.address("postal").street == "Box 99"


def test_one_column_on_a_tablet(page, live_app):
    cid = everything_filled(live_app)
    login(page)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"/admin/customer/edit/?id={cid}")
    number, kind = page.locator('[data-field="customer_number"]').bounding_box(), page.locator('[data-field="kind"]').bounding_box()
    assert kind["y"] > number["y"] + number["height"] - 1 and abs(kind["x"] - number["x"]) < 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 2)")
    assert in_view(page, save_box(page))
    shot(page, "form-customer-filled-768")
    page.goto("/admin/vehicle/new/")
    a, b = page.locator('[data-field="registration_number"]').bounding_box(), page.locator('[data-field="country"]').bounding_box()
    assert b["y"] > a["y"] and abs(a["x"] - b["x"]) < 2
    shot(page, "form-vehicle-768")


@pytest.mark.parametrize("url, first, second", [
    ("/admin/vehicle/new/", "registration_number", "country"),
    ("/admin/district/new/", "name", "active"),
    ("/admin/user/new/", "username", "full_name"),
])
def test_every_register_form_has_the_same_layout_in_two_columns(page, live_app, url, first, second):
    login(page)
    page.goto(url)
    expect(page.locator("form.vk-form .vk-group")).to_have_count(1)
    a, b = page.locator(f'[data-field="{first}"]').bounding_box(), page.locator(f'[data-field="{second}"]').bounding_box()
    assert abs(a["y"] - b["y"]) < 2 and b["x"] > a["x"] + a["width"] - 1
    expect(page.locator(".vk-form-actions #form-save")).to_be_visible()
    shot(page, "form-" + url.strip("/").replace("/", "-"))


def test_double_click_on_save_creates_one_record(page, live_app):
    login(page)
    page.goto("/admin/customer/new/")
    page.fill("#name", "Dubbelklick AB")
    page.fill("#org_number", "556036-0793")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    with page.expect_navigation():
        page.locator("#form-save").dblclick()
    page.wait_for_url(re.compile(r".*/admin/customer/(\?.*)?$"))
    assert len(posts) == 1, posts
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1


def require_for_private(app, *keys) -> None:
    """The configuration: ``keys`` required for a private person only; the district only for companies."""
    with app.app_context():
        rules = {(kind, key): (True, False) for kind in rc.KINDS for key in rc.CUSTOMER_FIELDS}
        for key in keys:
            rules[("private", key)] = (True, True)
        rules[("private", "district")] = (False, False)
        rc.save_field_rules(db.session, "customer", rules)
        db.session.commit()


def choose_kind(page, label: str) -> None:
    page.click("#s2id_kind a.select2-choice")
    page.locator("#select2-drop .select2-result-label", has_text=label).click()


def test_kind_switch_shows_the_kinds_fields_and_asterisks_at_once(page, live_app):
    require_for_private(live_app, "phone")
    login(page)
    page.goto("/admin/customer/new/")
    phone_mark = page.locator('[data-field="phone"] .vk-required')
    expect(page.locator("#org_number")).to_be_visible()
    expect(page.locator("#personal_number")).to_be_hidden()
    expect(page.locator('[data-field="district"]')).to_be_visible()
    expect(phone_mark).to_be_hidden()
    choose_kind(page, "Privatperson")
    expect(page.locator("#personal_number")).to_be_visible()
    expect(page.locator("#org_number")).to_be_hidden()
    expect(page.locator('[data-field="district"]')).to_be_hidden()
    expect(phone_mark).to_be_visible()
    assert page.get_attribute("#phone", "aria-required") == "true"
    shot(page, "form-customer-private")
    choose_kind(page, "Företag")
    expect(phone_mark).to_be_hidden()
    assert page.get_attribute("#phone", "aria-required") is None


def test_errors_name_the_field_by_its_label_next_to_it(page, live_app):
    require_for_private(live_app, "phone")
    with live_app.app_context():
        rc.save_custom_field(db.session, "customer", "segment", "choice", "Segment", choices=["Taxi", "Bud"],
                             required=True)
        db.session.commit()
    login(page)
    page.goto("/admin/customer/new/")
    choose_kind(page, "Privatperson")
    page.fill("#name", "Anna Andersson")
    page.fill("#personal_number", "19811218-9876")
    with page.expect_navigation():
        page.locator("#form-save").click()
    # the form comes back as the private person's, with the error beside the field, by its label
    segment = page.locator('[data-field="cf_segment"]')
    expect(segment.locator(".invalid-feedback")).to_have_text("Segment är obligatoriskt.")
    page.select_option("#cf_segment", "Taxi")
    with page.expect_navigation():
        page.locator("#form-save").click()
    phone = page.locator('[data-field="phone"]')
    expect(page.locator("#personal_number")).to_be_visible()
    expect(phone.locator(".invalid-feedback")).to_have_text("Telefon är obligatoriskt.")
    expect(phone.locator(".vk-required")).to_be_visible()
    assert "is-invalid" in page.get_attribute("#phone", "class")
    assert page.get_attribute("#phone", "aria-describedby") == "phone-error"
    expect(page.locator(".vk-form-status")).to_contain_text("1")
    shot(page, "form-customer-error")
    with live_app.app_context():
        assert db.session.scalar(select(Customer)) is None


def test_folded_groups_stay_folded_for_the_user(page, live_app):
    """Issue 10 item 3: a group folded away stays so on the next visit to that form (kept for the
    user on the server, services.platform.preferences), and opens where a refused save puts an error."""
    login(page)
    page.goto("/admin/customer/new/")
    with page.expect_response("**/preferences/folded") as saved:
        page.locator("#group-contact .vk-group-toggle").click()
    assert saved.value.json() == {"ok": True, "value": ["contact"]}
    page.reload()
    expect(page.locator("#group-contact-body")).to_be_hidden()
    expect(page.locator("#group-contact .vk-group-toggle")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#group-identity-body")).to_be_visible()
    page.goto("/admin/district/new/")  # another form: its own groups
    expect(page.locator(".vk-group-body").first).to_be_visible()

    # an error in the folded group opens it (the e-mail is checked by the server)
    page.goto("/admin/customer/new/")
    page.fill("#name", "Åkeri Nord AB")
    page.locator("#group-contact .vk-group-toggle").click()
    page.fill("#email", "inte-en-adress")
    page.locator("#group-contact .vk-group-toggle").click()
    with page.expect_navigation():
        page.locator("#form-save").click()
    expect(page.locator("#email")).to_be_visible()
