"""Defaults of the module settings (modulinställningar); stored values in Setting override them."""

SETTINGS_DEFAULTS: dict[str, object] = {
    # customer register (reference 001, "Modulinställningar")
    "customer.generate_number": True,
    "customer.number_min_length": 4,
    "customer.number_max_length": 10,
    "customer.number_in_display_name": True,
    "customer.show_cost_center": True,
    "customer.show_order_number": True,
    "customer.require_order_number": False,
    "customer.show_language": True,
    "customer.show_service_articles": True,
    "customer.show_work_order_articles": True,
    # vehicle bookings: loaner, rental, test drive (reference 003, module options)
    "booking.issue_days_before_pickup": 0,  # <= 0: issue up to the next full quarter hour
    "booking.issue_hours_before_start": 2,  # an issue may lie at most this long before the planned start
    "booking.update_vehicle_reservation": True,
    "booking.resource_two_lines": False,
    "booking.print_confirmation_automatically": False,
    "booking.print_contract_automatically": False,
    "booking.print_return_automatically": False,
    "booking.contract_before_issue": True,
    "booking.max_hours_in_past": 24,  # a planned booking may start at most this far back
    "booking.colour_planned": "#3a87ad",
    "booking.colour_overdue": "#d9534f",
    "booking.colour_done": "#6c757d",
    # company details printed on documents
    "company.name": "Verkstad AB",
    "company.org_number": "5560360793",
    "company.vat_number": "SE556036079301",
    "company.address": "Verkstadsgatan 1",
    "company.postal_code": "123 45",
    "company.city": "Stockholm",
    "company.phone": "08-123 456 78",
    "company.email": "info@verkstad.example",
    "company.bankgiro": "5050-1055",
    "company.plusgiro": "",
    "company.iban": "SE4550000000058398257466",
    "company.bic": "ESSESESS",
    "company.f_tax": True,
}

# sales documents: quotes, orders, invoices, credit notes (issue 5)
SETTINGS_DEFAULTS.update({
    "sales.round_to_krona": True,  # öresavrundning as a rounding line
    "sales.env_fee_percent": "5",  # miljöavgift/förbrukningsmaterial, % of labour (0 = off)
    "sales.env_fee_cap": "250",  # kr excl. VAT (0 = no cap)
    "sales.env_fee_vat": "25",
    "sales.invoice_fee_vat": "25",
    "sales.credit_note_own_series": True,  # otherwise credit notes take invoice numbers
    "sales.invoice_series_start": 10001,
    "sales.credit_note_series_start": 50001,
    "sales.delete_after_months": 24,
    "sales.delete_old_automatically": False,  # 10.35 every night (services.platform.tasks)
    "sales.logo_path": "",
    "sales.email_documents_by_default": False,  # 11.07 for every customer (else per customer)
    "sales.smtp_host": "",
    "sales.smtp_port": 587,
    "sales.smtp_user": "",
    "sales.smtp_password": "",
    "sales.smtp_sender": "",
    # texts on documents (90.26-90.28, 10.38); per document type
    "sales.text.heading.invoice": "",
    "sales.text.heading.credit_note": "",
    "sales.text.heading.quote": "",
    "sales.text.heading.order_confirmation": "",
    "sales.text.heading.work_order": "",
    "sales.text.heading.delivery_note": "",
    "sales.text.standard.invoice": "",
    "sales.text.standard.quote": "Offerten gäller i 30 dagar.",
    "sales.text.standard.order_confirmation": "",
    "sales.text.under_total": "Tack för att du anlitar oss!",
    "sales.text.footer": "",
})
# payments (services.ledger.payments): a shortfall up to this many kronor is written off to 3740
SETTINGS_DEFAULTS["ledger.payment_tolerance"] = "5.00"
# year-end (services.ledger.year_end): the equity account that takes the year's result (AB: 2099)
SETTINGS_DEFAULTS["ledger.account.equity"] = "2099"
# interest invoices (services.ledger.interest): late interest below this many kronor is not invoiced
SETTINGS_DEFAULTS["ledger.interest_minimum"] = "50.00"
# the same texts in German and English ("<key>.de", "<key>.en"): a document is wholly in its
# language, an empty text is left out (issue 9 item 18)
SETTINGS_DEFAULTS.update({f"{key}.{lang}": "" for key in [k for k in SETTINGS_DEFAULTS if k.startswith("sales.text.")]
                          for lang in ("de", "en")})
SETTINGS_DEFAULTS.update({
    "sales.text.standard.quote.de": "Das Angebot gilt 30 Tage.",
    "sales.text.standard.quote.en": "This quote is valid for 30 days.",
    "sales.text.under_total.de": "Vielen Dank für Ihren Auftrag!",
    "sales.text.under_total.en": "Thank you for your business!",
})

# Countries active by default (Sweden, Norway, Denmark, Finland, Germany)
ACTIVE_COUNTRIES = {"SE", "NO", "DK", "FI", "DE"}

EU_COUNTRIES = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
}

VAT_RATES = [("25 %", "25"), ("12 %", "12"), ("6 %", "6"), ("0 %", "0")]

# SIE export (services.ledger.sie_export): #KSUMMA (the file's CRC-32) in every export
SETTINGS_DEFAULTS["ledger.sie_checksum"] = False
