"""The Swedish and German catalogues of every module: complete, not fuzzy, placeholders intact;
and the UI really follows the user's language."""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.factories import make_user

# the database makes no difference here: SQLite only (tests/conftest.py)
pytestmark = pytest.mark.any_db

ROOT = Path(__file__).resolve().parents[2] / "translations"
LANGUAGES = ("sv", "de")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# flask_admin holds the messages Flask-Admin's own catalogues lack (domain "admin")
DOMAINS = {"flask_admin": "admin"}
CATALOGUES = [(module.name, lang) for module in sorted(p for p in ROOT.iterdir() if p.is_dir())
              for lang in LANGUAGES]


def _strings(message) -> list[str]:
    return list(message) if isinstance(message, (list, tuple)) else [message]


@pytest.mark.parametrize(("module", "lang"), CATALOGUES, ids=[f"{m}-{lang}" for m, lang in CATALOGUES])
def test_catalogue_is_complete(module, lang):
    path = ROOT / module / lang / "LC_MESSAGES" / f"{DOMAINS.get(module, 'messages')}.po"
    assert path.is_file(), f"{path} is missing"
    with path.open("rb") as fh:
        catalogue = read_po(fh, locale=lang)
    messages = [m for m in catalogue if m.id]
    assert messages, f"{path} has no messages"
    empty = [m.id for m in messages if not all(_strings(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    wrong = []
    for m in messages:
        wanted = sorted(set(PLACEHOLDER.findall(" ".join(_strings(m.id)))))
        for text in _strings(m.string):
            if text and sorted(set(PLACEHOLDER.findall(text))) != wanted:
                wrong.append((m.id, text))
    assert not empty, f"{path}: {len(empty)} empty msgstr, e.g. {empty[:5]}"
    assert not fuzzy, f"{path}: {len(fuzzy)} fuzzy entries, e.g. {fuzzy[:5]}"
    assert not wrong, f"{path}: placeholders differ: {wrong[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_twice_in_a_catalogue(lang):
    """A message written twice in one catalogue (as a union merge of two branches leaves it)
    compiles to whichever comes last: a cancelled job showed "Makulerad" like a cancelled order.
    Between catalogues core wins by design (app.py)."""
    twice = []
    for path in sorted(ROOT.glob(f"*/{lang}/LC_MESSAGES/*.po")):
        ids = re.findall(r'^msgid "(.+)"$', path.read_text(encoding="utf-8"), re.M)
        twice += [(path.parts[-4], i) for i in sorted({i for i in ids if ids.count(i) > 1})]
    assert not twice, f"messages written twice in one catalogue: {twice[:5]}"


def test_core_catalogue_is_compiled():
    """`make translations` has run: Flask-Babel reads only the .mo files."""
    for lang in LANGUAGES:
        po = ROOT / "core" / lang / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        assert mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime, f"run `make translations` ({mo})"


@pytest.mark.parametrize(("lang", "expected", "absent"), [
    ("de", ["Kunden", "Kundennummer", "Stammdaten", "Abmelden"], ["Kundnummer", "Log out", "Customer number"]),
    ("sv", ["Kunder", "Kundnummer", "Logga ut"], ["Kundennummer", "Log out", "Customer number"]),
])
def test_customer_list_in_the_users_language(app, client, auth, lang, expected, absent):
    make_user(app, f"user-{lang}", {"customer.view"}, language=lang)
    auth.login(f"user-{lang}")
    page = client.get("/admin/customer/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for word in expected:
        assert word in html, f"{word!r} missing on the {lang} customer list"
    for word in absent:
        assert word not in html, f"{word!r} on the {lang} customer list"
