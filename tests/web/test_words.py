"""Issue 10 item 7: the console's words in the user's language -- page size, look-up
placeholders, select2's own messages, role names and rights."""
import re

import pytest

from tests.factories import make_user

# what is checked is rendered HTML: SQLite only (tests/conftest.py)
pytestmark = pytest.mark.any_db


@pytest.mark.parametrize(("lang", "per_page", "locale_file", "absent"), [
    ("sv", "20 per sida", "select2_locale_sv.js", ["föremål", "20 items", "Lägg till Filter"]),
    ("de", "20 pro Seite", "select2_locale_de.js", ["Elemente", "20 items"]),
    ("en", "20 items", None, ["select2_locale_"]),
])
def test_page_size_and_select2_messages_follow_the_language(app, client, auth, lang, per_page, locale_file, absent):
    make_user(app, f"u-{lang}", {"customer.view"}, language=lang)
    auth.login(f"u-{lang}")
    html = client.get("/admin/customer/").get_data(as_text=True)
    assert per_page in html
    for word in absent:
        assert word not in html, word
    if locale_file:
        assert f'src="/npm/select2/{locale_file}"' in html
        with client.get(f"/npm/select2/{locale_file}") as script:  # installed by npm ci
            assert script.status_code == 200 and b"$.fn.select2.locales" in script.data


def test_look_ups_say_what_they_choose(app, client, auth, admin_user):
    auth.login()
    order = client.get("/admin/order/new/").get_data(as_text=True)
    for field, placeholder in (("customer", "Välj kund"), ("payer", "Välj betalare"), ("vehicle", "Välj fordon")):
        tag = re.search(r'<input[^>]*\bname="' + field + r'"[^>]*>', order).group(0)
        assert f'data-placeholder="{placeholder}"' in tag, (field, tag)
    vehicle = client.get("/admin/vehicle/new/").get_data(as_text=True)
    assert 'data-placeholder="Välj ägare"' in vehicle and 'data-placeholder="Välj förare"' in vehicle
    for html in (order, vehicle):
        assert "Välj modell" not in html and "Please select model" not in html
