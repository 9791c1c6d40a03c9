"""Issue 13 item 3: every kind of source the ledger's services book a voucher with has a Swedish
label (the Verifikationer list's "Källa" column, its filter and the voucher's header), and the
payment method's "in use" message names the payments in words."""
import re
from pathlib import Path

from flask_babel import force_locale

from services.ledger import vat
from services.registers.references import describe
from views.ledger.ledger import SOURCE_LABELS

SERVICES = Path(__file__).resolve().parents[3] / "services" / "ledger"
MODULES = {"vat": vat}


def _written_kinds() -> set[str]:
    kinds = {"invoice", "credit_note"}  # documents.py books source=(invoice.kind, ...)
    for path in SERVICES.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        kinds.update(re.findall(r'source=\("(\w+)"', text))
        kinds.update(re.findall(r'VoucherEntry\([^\n]*\n?[^\n]*\("(\w+)", [\w.]+\)\)', text))
        kinds.update(re.findall(r'source_kind == "(\w+)"', text))
        for constant in re.findall(r"source=\(([A-Z_]+),", text):
            kinds.add(getattr(MODULES[path.stem], constant))
    return kinds


def test_every_source_kind_the_services_book_has_a_label(app):
    kinds = _written_kinds()
    assert {"payment_match", "write_off", "vat_settlement", "accrual", "year_end", "manual", "reversal"} <= kinds
    assert kinds - set(SOURCE_LABELS) == set()
    with app.test_request_context(), force_locale("sv"):
        labels = {k: str(v) for k, v in SOURCE_LABELS.items()}
    assert all(label != kind and "_" not in label for kind, label in labels.items()), labels
    assert labels["write_off"] == "Kundförlust" and labels["vat_settlement"] == "Momsavräkning"


def test_the_payment_methods_in_use_message_names_payments_in_words(app):
    with app.test_request_context(), force_locale("sv"):
        assert describe([("payment", 8)]) == "8 × betalningar"
