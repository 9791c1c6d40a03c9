"""The chart of accounts (kontoplan, BAS) and the account mapping of automatic vouchers.

``seed_accounts`` adds the BAS accounts a workshop uses (idempotent: existing numbers are kept as
the office left them). ``ACCOUNT_MAP`` names the account of each role in an automatic voucher;
a setting ``ledger.account.<role>`` overrides one (e.g. ``ledger.account.customer_credit``)."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import ACCOUNT_TYPES, Account, FinancialYear, VoucherRow
from services.ledger import LedgerError

# (number, name, vat code (the VAT return's box), type or None for the BAS class's default)
BAS_ACCOUNTS: list[tuple[str, str, str | None, str | None]] = [
    ("1510", "Kundfordringar", None, None),
    ("1580", "Fordringar för kontokort och kuponger", None, None),
    ("1630", "Avräkning för skatter och avgifter (skattekonto)", None, None),
    ("1910", "Kassa", None, None),
    ("1920", "PlusGiro", None, None),
    ("1930", "Företagskonto/checkkonto/affärskonto", None, None),
    ("1940", "Övriga bankkonton", None, None),
    ("2010", "Eget kapital", None, "equity"),
    ("2081", "Aktiekapital", None, "equity"),
    ("2091", "Balanserad vinst eller förlust", None, "equity"),
    ("2099", "Årets resultat", None, "equity"),
    ("2420", "Förskott från kunder", None, None),
    ("2440", "Leverantörsskulder", None, None),
    ("2611", "Utgående moms på försäljning inom Sverige, 25 %", "10", None),
    ("2621", "Utgående moms på försäljning inom Sverige, 12 %", "11", None),
    ("2631", "Utgående moms på försäljning inom Sverige, 6 %", "12", None),
    ("2641", "Debiterad ingående moms", "48", None),
    ("2650", "Redovisningskonto för moms", None, None),
    ("2710", "Personalskatt", None, None),
    ("2890", "Övriga kortfristiga skulder", None, None),
    ("2999", "OBS-konto", None, None),
    ("3000", "Försäljning inom Sverige", "05", None),
    ("3001", "Försäljning inom Sverige, 25 % moms", "05", None),
    ("3002", "Försäljning inom Sverige, 12 % moms", "05", None),
    ("3003", "Försäljning inom Sverige, 6 % moms", "05", None),
    ("3004", "Försäljning inom Sverige, momsfri", "42", None),
    ("3010", "Försäljning varor", "05", None),
    ("3041", "Försäljning tjänst inom Sverige, 25 % moms", "05", None),
    ("3042", "Försäljning tjänst inom Sverige, 12 % moms", "05", None),
    ("3043", "Försäljning tjänst inom Sverige, 6 % moms", "05", None),
    ("3044", "Försäljning tjänst inom Sverige, momsfri", "42", None),
    ("3105", "Försäljning varor till land utanför EU", "36", None),
    ("3108", "Försäljning varor till annat EU-land, momsfri", "35", None),
    ("3305", "Försäljning tjänster till land utanför EU", "40", None),
    ("3308", "Försäljning tjänster till annat EU-land", "39", None),
    ("3540", "Faktureringsavgifter", "05", None),
    ("3590", "Övriga fakturerade kostnader (påminnelseavgifter)", None, None),
    ("3740", "Öres- och kronutjämning", None, None),
    ("3990", "Övriga ersättningar och intäkter", None, None),
    ("4010", "Inköp material och varor", None, None),
    ("5410", "Förbrukningsinventarier", None, None),
    ("6351", "Konstaterade förluster på kundfordringar", None, None),
    ("6352", "Befarade förluster på kundfordringar", None, None),
    ("6570", "Bankkostnader", None, None),
    ("6990", "Övriga externa kostnader", None, None),
    ("8313", "Ränteintäkter från kundfordringar", None, "income"),
    ("8410", "Räntekostnader för långfristiga skulder", None, "expense"),
    ("8999", "Årets resultat", None, "expense"),
]

# more of BAS 2025 that a car workshop uses (issue 13 item 4); the names are BAS's
BAS_ACCOUNTS += [
    ("1110", "Byggnader", None, None),
    ("1119", "Ackumulerade avskrivningar på byggnader", None, None),
    ("1210", "Maskiner och andra tekniska anläggningar", None, None),
    ("1219", "Ackumulerade avskrivningar på maskiner och andra tekniska anläggningar", None, None),
    ("1220", "Inventarier och verktyg", None, None),
    ("1229", "Ackumulerade avskrivningar på inventarier och verktyg", None, None),
    ("1240", "Bilar och andra transportmedel", None, None),
    ("1249", "Ackumulerade avskrivningar på bilar och andra transportmedel", None, None),
    ("1250", "Datorer", None, None),
    ("1259", "Ackumulerade avskrivningar på datorer", None, None),
    ("1380", "Andra långfristiga fordringar", None, None),
    ("1410", "Lager av råvaror", None, None),
    ("1460", "Lager av handelsvaror", None, None),
    ("1470", "Pågående arbeten", None, None),
    ("1480", "Förskott för varor och tjänster", None, None),
    ("1515", "Osäkra kundfordringar", None, None),
    ("1519", "Nedskrivning av kundfordringar", None, None),
    ("1610", "Kortfristiga fordringar hos anställda", None, None),
    ("1640", "Skattefordringar", None, None),
    ("1650", "Momsfordran", None, None),
    ("1680", "Andra kortfristiga fordringar", None, None),
    ("1710", "Förutbetalda hyreskostnader", None, None),
    ("1720", "Förutbetalda leasingavgifter", None, None),
    ("1730", "Förutbetalda försäkringspremier", None, None),
    ("1740", "Förutbetalda räntekostnader", None, None),
    ("1790", "Övriga förutbetalda kostnader och upplupna intäkter", None, None),
    ("2013", "Övriga egna uttag", None, "equity"),
    ("2018", "Övriga egna insättningar", None, "equity"),
    ("2019", "Årets resultat", None, "equity"),
    ("2086", "Reservfond", None, "equity"),
    ("2098", "Vinst eller förlust från föregående år", None, "equity"),
    ("2150", "Ackumulerade överavskrivningar", None, None),
    ("2350", "Andra långfristiga skulder till kreditinstitut", None, None),
    ("2390", "Övriga långfristiga skulder", None, None),
    ("2410", "Andra kortfristiga låneskulder till kreditinstitut", None, None),
    ("2510", "Skatteskulder", None, None),
    ("2610", "Utgående moms, 25 %", "10", None),
    ("2614", "Utgående moms omvänd skattskyldighet, 25 %", None, None),
    ("2615", "Utgående moms import av varor, 25 %", None, None),
    ("2620", "Utgående moms, 12 %", "11", None),
    ("2630", "Utgående moms, 6 %", "12", None),
    ("2640", "Ingående moms", "48", None),
    ("2645", "Beräknad ingående moms på förvärv från utlandet", None, None),
    ("2730", "Lagstadgade sociala avgifter och särskild löneskatt", None, None),
    ("2820", "Kortfristiga skulder till anställda", None, None),
    ("2893", "Skulder till närstående personer, kortfristig del", None, None),
    ("2910", "Upplupna löner", None, None),
    ("2920", "Upplupna semesterlöner", None, None),
    ("2940", "Upplupna lagstadgade sociala och andra avgifter", None, None),
    ("2960", "Upplupna räntekostnader", None, None),
    ("2970", "Förutbetalda intäkter", None, None),
    ("2990", "Övriga upplupna kostnader och förutbetalda intäkter", None, None),
    ("3100", "Försäljning av varor utanför Sverige", None, None),
    ("3106", "Försäljning varor till annat EU-land, momspliktig", "05", None),
    ("3300", "Försäljning av tjänster utanför Sverige", None, None),
    ("3510", "Fakturerat emballage", "05", None),
    ("3520", "Fakturerade frakter", "05", None),
    ("3730", "Lämnade rabatter", None, None),
    ("3911", "Hyresintäkter", None, None),
    ("3950", "Återvunna, tidigare avskrivna kundfordringar", None, None),
    ("3960", "Valutakursvinster på fordringar och skulder av rörelsekaraktär", None, None),
    ("3970", "Vinst vid avyttring av immateriella och materiella anläggningstillgångar", None, None),
    ("3994", "Försäkringsersättningar", None, None),
    ("3999", "Övriga rörelseintäkter", None, None),
    ("4000", "Inköp av varor från Sverige", None, None),
    ("4515", "Inköp av varor från annat EU-land, 25 %", None, None),
    ("4531", "Inköp av tjänster från ett land utanför EU, 25 % moms", None, None),
    ("4535", "Inköp av tjänster från annat EU-land, 25 %", None, None),
    ("4545", "Import av varor, 25 % moms", None, None),
    ("4600", "Legoarbeten och underentreprenader (gruppkonto)", None, None),
    ("4730", "Erhållna rabatter", None, None),
    ("4960", "Förändring av lager av handelsvaror", None, None),
    ("4970", "Förändring av pågående arbeten, nedlagda kostnader", None, None),
    ("5010", "Lokalhyra", None, None),
    ("5020", "El för belysning", None, None),
    ("5030", "Värme", None, None),
    ("5040", "Vatten och avlopp", None, None),
    ("5060", "Städning och renhållning", None, None),
    ("5070", "Reparation och underhåll av lokaler", None, None),
    ("5090", "Övriga lokalkostnader", None, None),
    ("5210", "Hyra av maskiner och andra tekniska anläggningar", None, None),
    ("5220", "Hyra av inventarier och verktyg", None, None),
    ("5250", "Hyra av datorer", None, None),
    ("5310", "El för drift", None, None),
    ("5420", "Programvaror", None, None),
    ("5460", "Förbrukningsmaterial", None, None),
    ("5480", "Arbetskläder och skyddsmaterial", None, None),
    ("5510", "Reparation och underhåll av maskiner och andra tekniska anläggningar", None, None),
    ("5520", "Reparation och underhåll av inventarier, verktyg och datorer m.m.", None, None),
    ("5611", "Drivmedel för personbilar", None, None),
    ("5612", "Försäkring och skatt för personbilar", None, None),
    ("5613", "Reparation och underhåll av personbilar", None, None),
    ("5615", "Leasing av personbilar", None, None),
    ("5620", "Lastbilskostnader", None, None),
    ("5710", "Frakter, transporter och försäkringar vid varudistribution", None, None),
    ("5800", "Resekostnader (gruppkonto)", None, None),
    ("5810", "Biljetter", None, None),
    ("5831", "Kost och logi i Sverige", None, None),
    ("5910", "Annonsering", None, None),
    ("5930", "Reklamtrycksaker och direktreklam", None, None),
    ("6040", "Kontokortsavgifter", None, None),
    ("6061", "Kreditupplysning", None, None),
    ("6062", "Inkasso och KFM-avgifter", None, None),
    ("6071", "Representation, avdragsgill", None, None),
    ("6072", "Representation, ej avdragsgill", None, None),
    ("6110", "Kontorsmateriel", None, None),
    ("6150", "Trycksaker", None, None),
    ("6210", "Telekommunikation", None, None),
    ("6211", "Fast telefoni", None, None),
    ("6212", "Mobiltelefon", None, None),
    ("6230", "Datakommunikation", None, None),
    ("6250", "Postbefordran", None, None),
    ("6310", "Företagsförsäkringar", None, None),
    ("6320", "Självrisker vid skada", None, None),
    ("6362", "Faktiska garantikostnader", None, None),
    ("6420", "Ersättningar till revisor", None, None),
    ("6530", "Redovisningstjänster", None, None),
    ("6540", "IT-tjänster", None, None),
    ("6550", "Konsultarvoden", None, None),
    ("6560", "Serviceavgifter till branschorganisationer", None, None),
    ("6580", "Advokat- och rättegångskostnader", None, None),
    ("6590", "Övriga externa tjänster", None, None),
    ("6940", "Kontroll-, provnings- och stämpelavgifter", None, None),
    ("6970", "Tidningar, tidskrifter och facklitteratur", None, None),
    ("6981", "Föreningsavgifter, avdragsgilla", None, None),
    ("6982", "Föreningsavgifter, ej avdragsgilla", None, None),
    ("6991", "Övriga externa kostnader, avdragsgilla", None, None),
    ("6992", "Övriga externa kostnader, ej avdragsgilla", None, None),
    ("7010", "Löner till kollektivanställda", None, None),
    ("7082", "Semesterlöner till kollektivanställda", None, None),
    ("7090", "Förändring av semesterlöneskuld", None, None),
    ("7210", "Löner till tjänstemän", None, None),
    ("7220", "Löner till företagsledare", None, None),
    ("7240", "Styrelsearvoden", None, None),
    ("7321", "Skattefria traktamenten, Sverige", None, None),
    ("7331", "Skattefria bilersättningar", None, None),
    ("7385", "Kostnader för fri bil", None, None),
    ("7410", "Pensionsförsäkringspremier", None, None),
    ("7510", "Arbetsgivaravgifter 31,42 %", None, None),
    ("7519", "Arbetsgivaravgifter för semester- och löneskulder", None, None),
    ("7533", "Särskild löneskatt för pensionskostnader", None, None),
    ("7570", "Premier för arbetsmarknadsförsäkringar", None, None),
    ("7610", "Utbildning", None, None),
    ("7631", "Personalrepresentation, avdragsgill", None, None),
    ("7690", "Övriga personalkostnader", None, None),
    ("7831", "Avskrivningar på maskiner och andra tekniska anläggningar", None, None),
    ("7832", "Avskrivningar på inventarier och verktyg", None, None),
    ("7834", "Avskrivningar på bilar och andra transportmedel", None, None),
    ("7835", "Avskrivningar på datorer", None, None),
    ("7960", "Valutakursförluster på fordringar och skulder av rörelsekaraktär", None, None),
    ("7970", "Förlust vid avyttring av immateriella och materiella anläggningstillgångar", None, None),
    ("7990", "Övriga rörelsekostnader", None, None),
    ("8310", "Ränteintäkter från omsättningstillgångar", None, None),
    ("8311", "Ränteintäkter från bank", None, None),
    ("8314", "Skattefria ränteintäkter", None, None),
    ("8330", "Valutakursdifferenser på kortfristiga fordringar och placeringar", None, None),
    ("8422", "Dröjsmålsräntor för leverantörsskulder", None, None),
    ("8423", "Räntekostnader för skatter och avgifter", None, None),
    ("8810", "Förändring av periodiseringsfond", None, None),
    ("8850", "Förändring av överavskrivningar", None, None),
    ("8910", "Skatt som belastar årets resultat", None, None),
]

# role in an automatic voucher -> account; settings "ledger.account.<role>" override
ACCOUNT_MAP: dict[str, str] = {
    "receivables": "1510",  # kundfordringar: an invoice's total
    "bank": "1930",
    "cash": "1910",
    "card": "1580",  # card and Swish receivables
    "customer_credit": "2420",  # overpayments kept for the customer (förskott från kunder)
    # ej identifierade inbetalningar: money in the bank that no invoice could be found for (a BgMax
    # payment with an unknown reference, a deduction) waits here until it is matched by hand
    "unidentified_payments": "2999",
    "vat_settlement": "2650",
    "input_vat": "2641",
    "output_vat.25": "2611",
    "output_vat.12": "2621",
    "output_vat.6": "2631",
    "sales.25": "3001",  # goods and other lines, by VAT rate
    "sales.12": "3002",
    "sales.6": "3003",
    "sales.0": "3004",
    "labour.25": "3041",  # invoice lines of kind labour, by VAT rate
    "labour.12": "3042",
    "labour.6": "3043",
    "labour.0": "3044",
    "sales.reverse_charge": "3108",  # goods to a VAT-registered customer in another EU country
    "labour.reverse_charge": "3308",
    "sales.export": "3105",  # outside the EU
    "labour.export": "3305",
    "invoice_fee": "3540",
    "reminder_fee": "3590",
    "rounding": "3740",  # öresavrundning
    "customer_loss": "6351",
    "expected_customer_loss": "6352",
    "interest_income": "8313",
    "equity": "2099",  # the year's result at year-end (bokslut: services.ledger.year_end)
    "year_result": "8999",  # the result account the year's result is moved from at year-end
}


def account_for(role: str, settings: dict | None = None) -> str:
    """The account number of ``role`` (a key of ACCOUNT_MAP), a setting overriding the table."""
    if settings:
        override = settings.get(f"ledger.account.{role}")
        if override:
            return str(override).strip()
    try:
        return ACCOUNT_MAP[role]
    except KeyError:
        raise LedgerError(_("No account is set for %(r)s.", r=role)) from None


def default_type(number: str) -> str:
    """The BAS class of an account number: 1 assets, 20xx equity, 2 liabilities, 3 income,
    4-7 expenses, 8: interest and similar income 80xx-83xx, the rest expenses."""
    if number[:1] == "1":
        return "asset"
    if number[:2] == "20":
        return "equity"
    if number[:1] == "2":
        return "liability"
    if number[:1] == "3":
        return "income"
    if number[:1] == "8" and number[:2] in ("80", "81", "82", "83"):
        return "income"
    return "expense"


def seed_accounts(session: Session) -> int:
    """Add the BAS accounts that are missing; returns how many were added. Does not commit."""
    existing = set(session.scalars(select(Account.number)))
    added = 0
    for number, name, vat_code, kind in BAS_ACCOUNTS:
        if number not in existing:
            session.add(Account(number=number, name=name, vat_code=vat_code, type=kind or default_type(number)))
            added += 1
    return added


def seed_financial_year(session: Session, today: dt.date | None = None) -> None:
    """The calendar year of ``today`` as a financial year when there is no year at all."""
    if session.scalar(select(FinancialYear.id).limit(1)) is None:
        today = today or dt.date.today()
        session.add(FinancialYear(start_date=dt.date(today.year, 1, 1), end_date=dt.date(today.year, 12, 31)))


def has_rows(session: Session, number: str) -> bool:
    """Transactions on the account, or an opening balance imported to it (SIE import): either
    keeps its number and keeps it from being deleted."""
    from models import OpeningBalance

    return bool(session.scalar(select(exists().where(VoucherRow.account_number == number)))
                or session.scalar(select(exists().where(OpeningBalance.account_number == number))))


def check_account(number, name, type_: str) -> tuple[str, str]:
    """A new or changed account's number and name as the register stores them."""
    number = (number or "").strip()
    if not (number.isdigit() and len(number) == 4):
        raise LedgerError(_("Give a four-digit account number (BAS)."), "number")
    if not (name or "").strip():
        raise LedgerError(_("A name is required."), "name")
    if type_ not in ACCOUNT_TYPES:
        raise LedgerError(_("Choose an account type."), "type")
    return number, name.strip()


def delete_account(session: Session, account: Account) -> None:
    """An account with transactions is kept (inactivate it instead)."""
    if has_rows(session, account.number):
        raise LedgerError(_("Account %(n)s has transactions; it cannot be deleted, only inactivated.",
                            n=account.number))
    session.delete(account)


def accounts_by_number(session: Session, numbers) -> dict[str, Account]:
    numbers = set(numbers)
    if not numbers:
        return {}
    return {a.number: a for a in session.scalars(select(Account).where(Account.number.in_(numbers)))}

