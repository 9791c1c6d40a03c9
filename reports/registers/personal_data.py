"""The personal-data export (GDPR articles 15 and 20) as a PDF a person can read, in the
export's language; the same sections and labels as the JSON file (services.registers.gdpr)."""
from __future__ import annotations

import io

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from xhtml2pdf import pisa

from models import Customer
from services import DomainError
from services.registers import gdpr


def personal_data_pdf(session, customer: Customer, language: str | None = None) -> bytes:
    data = gdpr.personal_data(session, customer, language)
    with force_locale(data["language"]):
        html = render_template("reports/registers/personal_data.html", data=data)
        out = io.BytesIO()
        if pisa.CreatePDF(html, dest=out, encoding="utf-8").err:
            raise DomainError(_("The PDF could not be produced."))
    return out.getvalue()
