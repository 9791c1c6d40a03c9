"""Bokföring > SIE-import (issue 12 item 7): upload the official sample, see the preview in
Swedish (accounts new, renamed, unchanged, the opening balances and their sum), import it; a file
with unbalanced opening balances, a file of another format, a blank upload and a broken line are
refused next to the file field with nothing written; the import button of a preview whose file is
gone or changed refuses; every endpoint needs ledger.book."""
import io
import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Account, OpeningBalance, db
from services.platform.rights import DEFAULT_ROLES
from tests.factories import csrf_from, make_user

URL = "/admin/ledger/sie-import/"
OFFICIAL = Path("/work/shared/formats/sie/SIE4_Exempelfil_official.SE")


@pytest.fixture
def accountant(app, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"], full_name="Ebba Ek")
    auth.login("ebba")


def _preview(client, data: bytes, name: str = "bokslut.se"):
    token = csrf_from(client.get(URL).get_data(as_text=True))
    return client.post(URL + "preview", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_preview_then_import_the_official_file(app, client, accountant):
    page = client.get(URL)
    assert page.status_code == 200 and "Importera kontoplan och ingående balanser (SIE 4)" in page.get_data(as_text=True)
    accounts_before = _count(app, Account)
    response = _preview(client, OFFICIAL.read_bytes())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Förhandsgranskning av bokslut.se" in html and "Övningsbolaget AB" in html
    assert re.search(r'id="count-opening">26<', html) and "räkenskapsår 2021-01-01 – 2021-12-31" in html
    assert 'id="sie-opening-total">0,00\xa0kr<' in html
    assert "938\xa0311,64\xa0kr" in html
    assert "Filens 295 verifikationer importeras inte." in html
    assert _count(app, Account) == accounts_before and _count(app, OpeningBalance) == 0  # nothing yet
    form = {"csrf_token": csrf_from(html), "token": re.search(r'name="token" value="([0-9a-f]+)"', html).group(1),
            "checksum": re.search(r'name="checksum" value="([0-9a-f]+)"', html).group(1)}
    done = client.post(URL + "import", data=form)
    assert done.status_code == 303
    assert "konton skapade" in client.get(done.location).get_data(as_text=True)
    assert _count(app, OpeningBalance) == 26
    with app.app_context():
        assert db.session.scalar(select(OpeningBalance.amount).where(OpeningBalance.account_number == "1930")) == \
            D("938311.64")
    again = client.post(URL + "import", data=form)  # the file was used up: refused, nothing twice
    assert again.status_code == 400 and "Den förhandsgranskade filen finns inte längre" in again.get_data(as_text=True)


def test_unbalanced_opening_balances_are_refused(app, client, accountant):
    broken = OFFICIAL.read_bytes().replace(b"#IB 0 1930 938311.64", b"#IB 0 1930 938311.74")
    response = _preview(client, broken)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="file-error" role="alert">De ingående balanserna (#IB 0) summerar till 0,10\xa0kr, inte 0' in html
    assert 'id="sie-import"' not in html and _count(app, OpeningBalance) == 0


@pytest.mark.parametrize("data, name, message", [
    (b"", "tom.se", "Filen är tom."),
    (b"  \r\n \r\n", "blank.se", "Filen är tom."),
    (b"%PDF-1.4\n", "faktura.se", "inte en SIE-fil"),
    (b"#FLAGGA 0\n#KONTO 1930 Bank\n#IB 0 1930 12,50\n", "fel.se", "Rad 3:"),
    (b"#FLAGGA 0\n", "bild.png", "Välj en SIE-fil"),
])
def test_bad_files_are_refused_beside_the_field(app, client, accountant, data, name, message):
    response = _preview(client, data, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_changed_or_unknown_file_is_not_imported(app, client, accountant):
    html = _preview(client, OFFICIAL.read_bytes()).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    for form in ({"token": token, "checksum": "0" * 64}, {"token": "../../etc/passwd", "checksum": ""}, {}):
        response = client.post(URL + "import", data={"csrf_token": csrf_from(html), **form})
        assert response.status_code == 400
    assert _count(app, OpeningBalance) == 0


def test_every_endpoint_needs_the_right_to_book(app, client, auth):
    make_user(app, "visa", {"ledger.view", "ledger.export"})
    auth.login("visa")
    assert client.get(URL).status_code == 403
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.post(URL + "preview", data={"csrf_token": token, "file": (io.BytesIO(OFFICIAL.read_bytes()), "a.se")},
                       content_type="multipart/form-data").status_code == 403
    assert client.post(URL + "import", data={"csrf_token": token, "token": "0" * 32}).status_code == 403
