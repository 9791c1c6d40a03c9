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

# Countries active by default (Sweden, Norway, Denmark, Finland, Germany)
ACTIVE_COUNTRIES = {"SE", "NO", "DK", "FI", "DE"}

EU_COUNTRIES = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
}

VAT_RATES = [("25 %", "25"), ("12 %", "12"), ("6 %", "6"), ("0 %", "0")]
