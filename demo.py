"""Demo data: a believable Swedish workshop (customers, vehicles, articles, labour, users).

Deterministic for a given seed. Later modules add bookings and sales documents through
DEMO_EXTENSIONS (functions of (session, rng) returning a summary dict)."""
import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn

from models import (
    AccountManagerTitle,
    Address,
    Article,
    ArticleGroup,
    CompanyType,
    Contact,
    ContactTitle,
    CostCenter,
    Customer,
    CustomerLevel,
    DiscountLetter,
    District,
    LabourOperation,
    ModelGroup,
    Package,
    PackageItem,
    PaymentTerm,
    Resource,
    Role,
    Skill,
    Source,
    Tag,
    User,
    VatRate,
    Vehicle,
    VehicleCategory,
    VehicleMake,
    VehicleNote,
)
from services.platform.auth import hash_password
from services.platform.numbering import ensure_series, take_number

DEMO_PASSWORD = "verkstad-demo"
FIRST = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Sara", "Per", "Lena", "Mikael",
         "Emma", "Nils", "Ingrid", "Olof", "Sofia", "Gustav", "Elin", "Henrik", "Maja", "Oskar", "Linnea", "Axel"]
LAST = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
        "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Lindberg", "Lindqvist", "Berg",
        "Åberg", "Öberg", "Sjöberg", "Holm", "Ek", "Strand"]
COMPANY_WORDS = ["Bygg", "Transport", "El", "Måleri", "VVS", "Städ", "Åkeri", "Fastighets", "Konsult", "Data",
                 "Trädgårds", "Snickeri", "Rör", "Frakt", "Taxi", "Bud", "Service", "Montage"]
PLACES = [("Stockholm", "11"), ("Göteborg", "41"), ("Malmö", "21"), ("Uppsala", "75"), ("Västerås", "72"),
          ("Örebro", "70"), ("Linköping", "58"), ("Norrköping", "60"), ("Jönköping", "55"), ("Umeå", "90"),
          ("Lund", "22"), ("Borås", "50"), ("Sundsvall", "85"), ("Gävle", "80"), ("Södertälje", "15")]
STREETS = ["Storgatan", "Kungsgatan", "Drottninggatan", "Industrivägen", "Verkstadsgatan", "Skolgatan",
           "Järnvägsgatan", "Björkvägen", "Ekvägen", "Sjövägen", "Parkvägen", "Hamngatan"]
MAKES = {
    "Volvo": ["XC60", "XC40", "V60", "V90", "XC90", "S60", "EX30"],
    "Volkswagen": ["Golf", "Passat", "Tiguan", "ID.4", "Polo", "Transporter", "Caddy"],
    "Toyota": ["Corolla", "RAV4", "Yaris", "C-HR", "Hilux"],
    "BMW": ["320d", "X3", "X5", "i4", "520d"],
    "Audi": ["A4", "A6", "Q5", "Q3", "e-tron"],
    "Kia": ["Niro", "Ceed", "Sportage", "EV6"],
    "Skoda": ["Octavia", "Superb", "Kodiaq", "Enyaq"],
    "Tesla": ["Model 3", "Model Y"],
    "Ford": ["Focus", "Kuga", "Transit"],
    "Mercedes-Benz": ["C 220", "E 300", "GLC", "Sprinter", "Vito"],
}
FUELS = ["Bensin", "Diesel", "El", "Hybrid", "Laddhybrid"]
COLOURS = ["Svart", "Vit", "Silver", "Grå", "Blå", "Röd", "Grön"]
BODY = ["Kombi", "Sedan", "SUV", "Halvkombi", "Skåp"]
PLATE_LETTERS = "ABCDEFGHJKLMNOPRSTUWXYZ"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

ARTICLE_KINDS = [
    ("Oljefilter", "Filter", "st", 89, 249), ("Luftfilter", "Filter", "st", 99, 329), ("Kupéfilter", "Filter", "st", 119, 389),
    ("Bränslefilter", "Filter", "st", 149, 549), ("Bromsbelägg fram", "Bromsar", "sats", 390, 1290),
    ("Bromsbelägg bak", "Bromsar", "sats", 340, 1090), ("Bromsskiva fram", "Bromsar", "st", 420, 1490),
    ("Motorolja 5W-30", "Oljor", "l", 69, 189), ("Motorolja 0W-20", "Oljor", "l", 79, 219),
    ("Torkarblad", "Tillbehör", "st", 89, 299), ("Glödlampa H7", "El", "st", 39, 129), ("Batteri 70Ah", "El", "st", 890, 2290),
    ("Tändstift", "Motor", "st", 49, 149), ("Kamrem sats", "Motor", "sats", 1290, 3990), ("Spolarvätska", "Tillbehör", "l", 19, 59),
    ("Kylarvätska", "Oljor", "l", 39, 119), ("Däck 205/55R16", "Däck", "st", 690, 1290), ("Fälgbult", "Däck", "st", 15, 49),
    ("Stötdämpare fram", "Chassi", "st", 690, 1890), ("Länkarm", "Chassi", "st", 490, 1490),
]
LABOUR_KINDS = [
    ("Service A", 1.5), ("Service B", 2.5), ("Oljebyte", 0.5), ("Byte bromsbelägg fram", 1.0), ("Byte bromsbelägg bak", 1.0),
    ("Byte bromsskivor fram", 1.5), ("Hjulskifte", 0.5), ("Hjulinställning", 1.0), ("Felsökning el", 1.0),
    ("Byte kamrem", 4.0), ("Byte batteri", 0.3), ("AC-service", 1.0), ("Byte stötdämpare", 2.0), ("Besiktningsförberedelse", 1.0),
    ("Diagnos", 0.5), ("Byte torkarblad", 0.2),
]


def _orgnr(rng: random.Random) -> str:
    body = "55" + "".join(str(rng.randint(0, 9)) for _ in range(7))
    return body + luhn.calc_check_digit(body)


def _personnummer(rng: random.Random) -> str:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 62))
    serial = f"{rng.randint(0, 999):03d}"
    short = birth.strftime("%y%m%d") + serial
    return birth.strftime("%Y%m%d") + serial + luhn.calc_check_digit(short)


def _plate(rng: random.Random, used: set[str]) -> str:
    while True:
        last = rng.choice("0123456789" + "ABCDEFGHJKLMNPRSTUWXYZ") if rng.random() < 0.3 else str(rng.randint(0, 9))
        plate = "".join(rng.choice(PLATE_LETTERS) for _ in range(3)) + f"{rng.randint(0, 99):02d}" + last
        if plate not in used:
            used.add(plate)
            return plate


def _lookup(session: Session, model, names: list[str]) -> list:
    rows = []
    for name in names:
        row = session.scalar(select(model).where(model.name == name))
        if row is None:
            row = model(name=name)
            session.add(row)
        rows.append(row)
    return rows


DEMO_EXTENSIONS: list = []


def create_demo_data(session: Session, customers: int = 320, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    session.info["audit_disabled"] = True  # demo rows are not user changes
    roles = {r.name: r for r in session.scalars(select(Role))}
    users = {}
    for username, full_name, role in [
        ("anna", "Anna Servicesson", "Service advisor"), ("bengt", "Bengt Rådgivare", "Service advisor"),
        ("erik", "Erik Mekaniker", "Technician"), ("fatima", "Fatima Tekniker", "Technician"),
        ("sara", "Sara Säljare", "Sales"), ("lars", "Lars Ekonom", "Accountant"),
    ]:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, full_name=full_name, email=f"{username}@verkstad.example",
                        password_hash=hash_password(DEMO_PASSWORD), role=roles[role])
            session.add(user)
        users[username] = user

    districts = _lookup(session, District, ["Norr", "Söder", "Väster", "Öster", "Centrum"])
    tags = _lookup(session, Tag, ["A-kund", "Serviceavtal", "Fleet", "Däckhotell", "Nyhetsbrev"])
    levels = _lookup(session, CustomerLevel, ["Brons", "Silver", "Guld"])
    sources = _lookup(session, Source, ["Hemsidan", "Rekommendation", "Mässa", "Bokningsportal"])
    company_types = _lookup(session, CompanyType, ["Aktiebolag", "Bostadsrättsförening", "Kommunalt bolag", "Enskild firma"])
    titles = _lookup(session, ContactTitle, ["VD", "Inköpare", "Fordonsansvarig", "Ekonomiansvarig"])
    _lookup(session, AccountManagerTitle, ["Service och eftermarknad", "Säljare"])
    groups = {g.name: g for g in _lookup(session, ArticleGroup, sorted({a[1] for a in ARTICLE_KINDS}))}
    makes = {m.name: m for m in _lookup(session, VehicleMake, list(MAKES))}
    model_groups = _lookup(session, ModelGroup, ["Personbil", "SUV", "Transportbil", "Elbil"])
    categories = _lookup(session, VehicleCategory, ["Lånebil", "Hyrbil", "Demobil", "Kundbil"])
    for code, name in (("100", "Verkstad"), ("200", "Försäljning"), ("300", "Administration")):
        if session.scalar(select(CostCenter).where(CostCenter.code == code)) is None:
            session.add(CostCenter(code=code, name=name))
    for name, art, lab in (("Rabattbrev A", 10, 5), ("Rabattbrev B", 15, 10), ("Fleet", 20, 15)):
        if session.scalar(select(DiscountLetter).where(DiscountLetter.name == name)) is None:
            session.add(DiscountLetter(name=name, article_percent=Decimal(art), labour_percent=Decimal(lab)))
    session.flush()
    letters = list(session.scalars(select(DiscountLetter)))
    terms = list(session.scalars(select(PaymentTerm)))
    vat25 = session.scalar(select(VatRate).where(VatRate.percent == Decimal("25")))

    articles = []
    for i in range(200):
        name, group, unit, cost, price = ARTICLE_KINDS[i % len(ARTICLE_KINDS)]
        variant = i // len(ARTICLE_KINDS)
        number = f"{1000 + i}"
        if session.scalar(select(Article.id).where(Article.number == number)):
            continue
        ean_body = f"73{rng.randint(10**9, 10**10 - 1)}"
        ean = ean_body + str((10 - sum((3 if k % 2 else 1) * int(d) for k, d in enumerate(ean_body)) % 10) % 10)
        factor = Decimal(1 + variant * 0.1).quantize(Decimal("0.01"))
        article = Article(number=number, name=f"{name} {list(MAKES)[variant % len(MAKES)]}", ean=ean, unit=unit,
                          price=(Decimal(price) * factor).quantize(Decimal("1.00")),
                          purchase_price=(Decimal(cost) * factor).quantize(Decimal("1.00")),
                          vat_rate=vat25, article_group=groups[group], stock_item=rng.random() < 0.6,
                          stock_quantity=Decimal(rng.randint(0, 40)))
        session.add(article)
        articles.append(article)
    operations = []
    for i in range(60):
        name, hours = LABOUR_KINDS[i % len(LABOUR_KINDS)]
        variant = i // len(LABOUR_KINDS)
        code = f"A{100 + i}"
        if session.scalar(select(LabourOperation.id).where(LabourOperation.code == code)):
            continue
        fixed = Decimal(rng.choice([695, 995, 1495])) if (i % 7 == 0) else None
        op = LabourOperation(code=code, name=f"{name}" + (f" ({list(MAKES)[variant]})" if variant else ""),
                             standard_hours=Decimal(str(hours)), hourly_rate=Decimal("1095.00") if fixed is None else None,
                             fixed_price=fixed, vat_rate=vat25)
        session.add(op)
        operations.append(op)
    session.flush()
    if articles and operations and session.scalar(select(Package.id).limit(1)) is None:
        for name, idx in (("Service A-paket", (0, 7)), ("Bromspaket fram", (4, 6))):
            pkg = Package(name=name)
            pkg.items = [PackageItem(article=articles[idx[0]], quantity=Decimal("1")),
                         PackageItem(article=articles[idx[1]], quantity=Decimal("4")),
                         PackageItem(labour_operation=operations[idx[0] % len(operations)], quantity=Decimal("1"))]
            session.add(pkg)

    ensure_series(session, "customer", 1000)
    created_customers = []
    for i in range(customers):
        is_company = rng.random() < 0.45
        city, zip_prefix = rng.choice(PLACES)
        if is_company:
            first = rng.choice(LAST)
            name = f"{first}s {rng.choice(COMPANY_WORDS)} AB"
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        slug = name.lower().replace(" ", ".").replace("å", "a").replace("ä", "a").replace("ö", "o").replace("s.", "s")
        customer = Customer(
            customer_number=str(take_number(session, "customer")),
            kind="company" if is_company else "private",
            customer_type=rng.choices(["regular", "temporary", "prospect"], [85, 5, 10])[0],
            name=name,
            org_number=_orgnr(rng) if is_company else None,
            personal_number=None if is_company else _personnummer(rng),
            email=f"{slug}{i}@example.se",
            phone=f"07{rng.randint(0, 9)}-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            district=rng.choice(districts), customer_level=rng.choice(levels + [None]),
            source=rng.choice(sources), payment_term=rng.choice(terms),
            company_type=rng.choice(company_types) if is_company else None,
            discount_letter=rng.choice(letters) if is_company and rng.random() < 0.3 else None,
            service_advisor=users[rng.choice(["anna", "bengt"])], sales_advisor=users["sara"],
            active=rng.random() > 0.04,
        )
        customer.tags = rng.sample(tags, rng.randint(0, 2))
        if rng.random() < 0.2:
            customer.technicians = [users[rng.choice(["erik", "fatima"])]]
        customer.addresses = [Address(kind="visiting", street=f"{rng.choice(STREETS)} {rng.randint(1, 80)}",
                                      postal_code=f"{zip_prefix}{rng.randint(1, 9)} {rng.randint(10, 99)}", city=city)]
        if is_company and rng.random() < 0.4:
            customer.addresses.append(Address(kind="billing", street=f"Box {rng.randint(100, 9999)}",
                                              postal_code=f"{zip_prefix}{rng.randint(1, 9)} {rng.randint(10, 99)}", city=city))
        if is_company:
            for _ in range(rng.randint(1, 3)):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                customer.contacts.append(Contact(
                    name=f"{first} {last}", title=rng.choice(titles),
                    email=f"{first.lower()}.{last.lower().replace('å', 'a').replace('ä', 'a').replace('ö', 'o')}@{slug.split('.')[0]}.se",
                    phone=f"08-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                    send_service_protocol=rng.random() < 0.5))
        session.add(customer)
        created_customers.append(customer)
    session.flush()

    used_plates = set(session.scalars(select(Vehicle.registration_number)))
    fleet_plan = ["loaner"] * 6 + ["rental"] * 5 + ["test_drive"] * 4
    vehicles = 0
    for i in range(400):
        make = rng.choice(list(MAKES))
        model = rng.choice(MAKES[make])
        fleet = fleet_plan[i] if i < len(fleet_plan) else "none"
        owner = None if fleet != "none" else rng.choice(created_customers)
        vehicle = Vehicle(
            registration_number=_plate(rng, used_plates),
            vin="".join(rng.choice(VIN_CHARS) for _ in range(17)),
            make=makes[make], model=model, model_group=rng.choice(model_groups),
            category=categories[{"loaner": 0, "rental": 1, "test_drive": 2}.get(fleet, 3)],
            body_type=rng.choice(BODY), fuel=rng.choice(FUELS), colour=rng.choice(COLOURS),
            first_registration_date=dt.date(rng.randint(2010, 2026), rng.randint(1, 12), rng.randint(1, 28)),
            odometer_km=rng.randint(500, 250000) if fleet == "none" else rng.randint(500, 40000),
            owner=owner, fleet=fleet,
        )
        if i in (2, 7):
            vehicle.notes.append(VehicleNote(text="Repa höger framdörr (från återlämning)", open=True))
        session.add(vehicle)
        vehicles += 1
    session.flush()
    resources = _demo_resources(session, users)
    summary = {"customers": len(created_customers), "vehicles": vehicles, "articles": len(articles),
               "labour operations": len(operations), "users": len(users), "workshop resources": resources}
    for extension in DEMO_EXTENSIONS:
        summary.update(extension(session, rng) or {})
    session.commit()
    session.info.pop("audit_disabled", None)
    return summary


def _demo_resources(session: Session, users: dict) -> int:
    """The workshop floor (issue 13): the two technicians as staff with their skills, and two
    lifts. No random numbers: the rest of the demo keeps its sequence."""
    if session.scalar(select(Resource.id).limit(1)) is not None:
        return 0
    from services.workshop.resources import seed_skills

    seed_skills(session)
    skills = {s.name: s for s in session.scalars(select(Skill))}
    staff = [("erik", "101", ["Service", "Däck", "AC"]), ("fatima", "102", ["Diagnos", "Elektronik", "Service"])]
    for username, number, known in staff:
        user = users[username]
        session.add(Resource(kind="staff", name=user.full_name, staff_number=number, user=user, floor_role="technician",
                             hourly_cost=Decimal("420.00"), hourly_rate=Decimal("995.00"),
                             skills=[skills[k] for k in known if k in skills]))
    session.add_all([Resource(kind="lift", name="Lyft 1"), Resource(kind="lift", name="Lyft 2")])
    session.flush()
    return len(staff) + 2


# --------------------------------------------------------------------------------------
# Vehicle bookings: loaner, rental, test drive (issue: booking calendar)
# --------------------------------------------------------------------------------------


def demo_bookings(session: Session, rng: random.Random) -> dict[str, int]:
    """Bookings over the fleet from four weeks back to four weeks ahead, in every status:
    returned and billed in the past, issued now (one overdue per kind), planned and confirmed ahead."""
    from models import Booking, CascoModel, TariffModel, TradePlate
    from services.bookings.bookings import calculate_billing, days_of_use, wall_clock_now

    now = wall_clock_now()
    tariffs = [TariffModel(name="Hyrbil standard", price_per_day=Decimal("495.00"), price_per_km=Decimal("2.50"),
                           free_km_per_day=100),
               TariffModel(name="Lånebil (självkostnad)", price_per_day=Decimal("150.00"), price_per_km=Decimal("1.50"),
                           free_km_per_day=50)]
    cascos = [CascoModel(name="Kasko bas", price_per_day=Decimal("89.00"), deductible=Decimal("6000.00")),
              CascoModel(name="Kasko plus", price_per_day=Decimal("149.00"), deductible=Decimal("2000.00"))]
    plates = [TradePlate(number=f"P {n}", description="Provkörningsskylt") for n in ("1234", "2345", "3456")]
    session.add_all(tariffs + cascos + plates)
    users = {u.username: u for u in session.scalars(select(User))}
    customers = session.scalars(select(Customer).where(Customer.active.is_(True)).limit(200)).all()
    ensure_series(session, "booking", 10001)
    counts = {"planned": 0, "confirmed": 0, "issued": 0, "overdue": 0, "returned": 0, "billed": 0}
    fleet = session.scalars(select(Vehicle).where(Vehicle.fleet != "none").order_by(Vehicle.id)).all()
    first_of_kind: set[str] = set()
    for vehicle in fleet:
        kind = vehicle.fleet
        overdue_vehicle = kind not in first_of_kind
        first_of_kind.add(kind)
        t = (now - dt.timedelta(days=28)).replace(hour=8, minute=0)
        odometer = vehicle.odometer_km
        blocked = False  # an unreturned issue on this vehicle: later bookings stay planned
        placed: list = []
        while t < now + dt.timedelta(days=28):
            if kind == "test_drive":
                start = t.replace(hour=rng.choice([9, 10, 13, 14]))
                end = start + dt.timedelta(hours=rng.choice([1, 2, 3]))
                step = dt.timedelta(days=rng.choice([1, 2, 3]))
            else:
                start = t.replace(hour=rng.choice([7, 8, 9, 12]), minute=rng.choice([0, 30]))
                end = start + dt.timedelta(days=rng.choice([1, 2, 3, 5] if kind == "rental" else [0, 1, 1, 2]),
                                           hours=rng.choice([4, 8, 9]))
                step = None
            # the next booking of the vehicle starts on a later day than this one ends
            t = (t + step) if step is not None else (end + dt.timedelta(days=1 + rng.choice([0, 0, 1, 2]))).replace(hour=8, minute=0)
            if rng.random() < 0.2:
                continue
            customer = rng.choice(customers)
            advisor = (customer.service_advisor if kind == "loaner" else customer.sales_advisor) or users.get("anna")
            booking = Booking(
                kind=kind, number=str(take_number(session, "booking")), customer=customer, customer_name=customer.name,
                customer_phone=customer.phone, customer_email=customer.email, driver_type="customer",
                driver_name=customer.name, start_at=start, end_at=end, vehicle=vehicle, advisor=advisor,
                created_by=advisor, updated_by=advisor, created_at=start - dt.timedelta(days=3),
                tariff_model=tariffs[0 if kind == "rental" else 1] if kind != "test_drive" else None,
                casco_model=rng.choice(cascos) if kind == "rental" else None,
                trade_plate=rng.choice(plates) if kind == "test_drive" and rng.random() < 0.5 else None,
                destination="Runt stan" if kind == "test_drive" else None,
                purpose="Provkörning inför köp" if kind == "test_drive" else None,
                handover_location="Kundmottagningen", max_km=300 if kind == "rental" else None)
            address = customer.address("visiting")
            if address:
                booking.customer_street, booking.customer_postal_code, booking.customer_city = \
                    address.street, address.postal_code, address.city
            session.add(booking)
            placed.append(booking)
            if end < now and not blocked:
                booking.issued_at = start + dt.timedelta(minutes=rng.choice([0, 5, 20]))
                booking.issue_odometer = odometer
                booking.issued_by = advisor
                if overdue_vehicle and end > now - dt.timedelta(days=3):
                    blocked = True
                    counts["overdue"] += 1
                    continue
                driven = rng.randint(5, 60) if kind == "test_drive" else rng.randint(20, 150) * max(1, (end - start).days)
                odometer += driven
                booking.returned_at = end + dt.timedelta(minutes=rng.choice([-30, 0, 15, 45]))
                booking.return_odometer = odometer
                booking.return_fuel_level = rng.choice(["8/8", "6/8", "4/8"])
                booking.returned_by = advisor
                if kind != "test_drive" and rng.random() < 0.6:
                    days = days_of_use(booking.issued_at, booking.returned_at)
                    lines = calculate_billing(booking, booking.tariff_model, booking.casco_model, days, driven)
                    _demo_billing(session, booking, lines, days, driven, advisor)
                    counts["billed"] += 1
                else:
                    counts["returned"] += 1
            elif start <= now < end and not blocked:
                booking.issued_at = start
                booking.issue_odometer = odometer
                booking.issued_by = advisor
                blocked = True
                counts["issued"] += 1
            else:
                booking.confirmed = start > now and rng.random() < 0.3
                counts["confirmed" if booking.confirmed else "planned"] += 1
        if overdue_vehicle and not blocked:
            # no booking ended in the last days: the latest past one is still out (overdue)
            past = [b for b in placed if b.returned_at is not None and b.end_at < now]
            if past:
                late = max(past, key=lambda b: b.end_at)
                odometer = late.issue_odometer
                if late.billing is not None:
                    session.expunge(late.billing)  # pending: never written
                    late.billing = None
                    counts["billed"] -= 1
                else:
                    counts["returned"] -= 1
                late.returned_at = late.return_odometer = late.return_fuel_level = late.returned_by = None
                counts["overdue"] += 1
                for b in placed:
                    if b.start_at > late.start_at and b.issued_at is not None:
                        b.issued_at = b.issue_odometer = b.issued_by = None
                        b.returned_at = b.return_odometer = b.return_fuel_level = b.returned_by = None
                        counts["issued"] -= 1
                        counts["planned"] += 1
        vehicle.odometer_km = odometer
    session.flush()
    return {f"bookings {k}": v for k, v in counts.items()} | {"trade plates": len(plates)}


def _demo_billing(session: Session, booking, lines: list[dict], days: int, km: int, user) -> None:
    """Billing record without the rights check of services.bookings.bookings.bill_booking (demo users
    are not logged in) and without an order."""
    from models import BookingBilling, BookingBillingLine

    billing = BookingBilling(booking=booking, days=days, km_driven=km, created_at=booking.returned_at,
                             created_by=user, total=sum((line["amount"] for line in lines), Decimal("0")))
    for position, line in enumerate(lines, start=1):
        billing.lines.append(BookingBillingLine(position=position, text=line["text"], quantity=line["quantity"],
                                                unit_price=line["unit_price"], vat_percent=line["vat_percent"],
                                                amount=line["amount"]))
    session.add(billing)


DEMO_EXTENSIONS.append(demo_bookings)


# --------------------------------------------------------------------------------------
# Sales documents: quotes, orders, invoices, credit notes (issue: sales documents)
# --------------------------------------------------------------------------------------


def demo_sales(session: Session, rng: random.Random, count: int = 320) -> dict[str, int]:
    """Quotes, orders, finalised invoices and credit notes spread over the last 12 months, in
    date order so that invoice numbers rise with the dates; a few documents in the outbox."""
    from models import Order
    from services.sales import invoicing, orders
    from services.platform.settings import load_settings

    if session.scalar(select(Order.id).limit(1)) is not None:
        return {}
    settings = load_settings(session)
    today = dt.date.today()
    customers = list(session.scalars(select(Customer).where(Customer.active.is_(True), Customer.customer_type == "regular")
                                     .order_by(Customer.id)))
    articles = list(session.scalars(select(Article).where(Article.active.is_(True)).order_by(Article.id)))
    operations = list(session.scalars(select(LabourOperation).where(LabourOperation.active.is_(True))
                                      .order_by(LabourOperation.id)))
    packages = list(session.scalars(select(Package).order_by(Package.id)))
    cost_centers = list(session.scalars(select(CostCenter).order_by(CostCenter.id)))
    advisors = list(session.scalars(select(User).where(User.username.in_(("anna", "bengt", "sara")))))
    warranty_payer = customers[0] if customers else None
    if not customers or not articles or not operations:
        return {}
    dates = sorted(today - dt.timedelta(days=rng.randrange(365)) for _ in range(count))
    made: list[tuple[Order, str]] = []
    for number, day in enumerate(dates):
        customer = rng.choice(customers)
        vehicle = customer.vehicles[0] if customer.vehicles else None
        age = (today - day).days
        roll = rng.random()
        kind = "quote" if roll < 0.18 else "order"
        order = orders.create_order(
            session, customer, rng.choice(advisors) if advisors else None, kind=kind, vehicle=vehicle, today=day,
            customer_order_number=f"PO-{day:%y%m}-{number:03d}" if customer.order_number_required or rng.random() < 0.3 else None,
            customer_reference=customer.contacts[0].name if customer.contacts else None,
            delivery_date=day + dt.timedelta(days=rng.randint(0, 3)))
        if order.cost_center is None and (customer.cost_center_required or rng.random() < 0.3):
            order.cost_center = rng.choice(cost_centers) if cost_centers else None
        orders.add_line(session, order, "labour", labour=rng.choice(operations), quantity=1)
        for _ in range(rng.randint(1, 3)):
            orders.add_line(session, order, "article", article=rng.choice(articles), quantity=rng.choice((1, 1, 2, 4)))
        if packages and rng.random() < 0.25:
            orders.add_package(session, order, rng.choice(packages))
        if rng.random() < 0.1:
            orders.add_line(session, order, "fixed_price", text="Fastpris hjulskifte inkl. balansering",
                            unit_price=Decimal("495.00"), discount_percent=Decimal(0))
        if warranty_payer is not None and warranty_payer.id != customer.id and rng.random() < 0.05:
            orders.add_line(session, order, "free_text", text="Garantiåtgärd enligt tillverkarens kampanj",
                            unit_price=Decimal("1850.00"), charge_to="warranty", warranty_payer=warranty_payer)
        if kind == "quote":
            order.status = "accepted" if rng.random() < 0.3 else "quote"
            made.append((order, "open"))
            continue
        # older orders are invoiced; recent ones are in the workshop or ready
        if age > 14 or rng.random() < 0.4:
            made.append((order, "invoice"))
        else:
            order.status = "ready" if rng.random() < 0.5 else "in_progress"
            made.append((order, "open"))
    # insurance cases (90.15-90.16.1): an insurer, and a few damage repairs it pays less the excess
    cases = _demo_insurance_cases(session, rng, settings, customers, operations, advisors, today)
    made.extend(cases)
    made.sort(key=lambda pair: (pair[0].delivery_date or pair[0].order_date, pair[0].id or 0))
    # e-mail by default (11.07): some customers want their invoices by e-mail, at least one (so
    # that the outbox has documents however few customers the demo has)
    for customer in customers:
        if customer.email and rng.random() < 0.2:
            customer.email_documents = True
    by_email = [c for c in customers if c.email]
    if by_email and not any(c.email_documents for c in by_email):
        by_email[0].email_documents = True
    session.flush()
    invoices = []
    for order, plan in made:
        if plan != "invoice":
            continue
        day = order.delivery_date or order.order_date
        invoices.extend(invoicing.finalise_orders(session, [order], order.our_reference, day, settings))
    credit_notes = 0
    for invoice in invoices:
        if invoice.is_credit_note or rng.random() > 0.06:
            continue
        credit_day = min(today, invoice.invoice_date + dt.timedelta(days=rng.randint(1, 20)))
        first = invoice.lines[0]
        invoicing.create_credit_note(session, invoice, invoice.created_by, credit_day, settings,
                                     None if rng.random() < 0.3 else {first.id: first.quantity},
                                     "Kreditering efter reklamation")
        credit_notes += 1
    session.flush()
    queued = 0
    try:
        from reports.sales import mail

        # the last invoices of customers who want e-mail, as finalising queues them (11.07)
        queued = len(mail.deliver_finalised(session, invoices[-15:], settings).queued)
    except RuntimeError:  # outside an app context the PDFs are left out
        pass
    return {"quotes": sum(1 for o, _p in made if o.kind == "quote"),
            "orders": sum(1 for o, _p in made if o.kind == "order"),
            "invoices": len(invoices), "credit notes": credit_notes, "insurance cases": len(cases),
            "queued e-mails": queued}


def _demo_insurance_cases(session: Session, rng: random.Random, settings: dict, customers: list, operations: list,
                          advisors: list, today: dt.date) -> list:
    """An insurance company and four damage repairs: invoiced ones (one with the VAT forwarded to
    a VAT-registered company) and one still in the workshop."""
    from services.sales import insurance, orders

    insurer = Customer(customer_number=str(take_number(session, "customer")), kind="company",
                       name="Trygg Fordonsförsäkring AB", org_number=_orgnr(rng), email="skador@trygg.example",
                       is_insurer=True, active=True, payment_term=customers[0].payment_term)
    insurer.addresses = [Address(kind="billing", street="Box 1234", postal_code="106 55", city="Stockholm")]
    session.add(insurer)
    session.flush()
    owners = [c for c in customers if c.vehicles and c.country_code == "SE"]
    made = []
    for i, owner in enumerate(rng.sample(owners, min(4, len(owners)))):
        day = today - dt.timedelta(days=rng.randint(0, 8) if i == 3 else rng.randint(20, 200))
        order = orders.create_order(session, owner, rng.choice(advisors) if advisors else None,
                                    vehicle=owner.vehicles[0], today=day, delivery_date=day + dt.timedelta(days=2))
        orders.add_line(session, order, "free_text", text="Byte av stötfångare fram, lackering",
                        unit_price=Decimal(rng.choice(("6450.00", "8912.50", "11375.25"))), vat_percent=Decimal(25))
        orders.add_line(session, order, "labour", labour=rng.choice(operations), quantity=Decimal("2.5"))
        insurance.save_case(session, order, insurer, f"SK-{day:%Y}-{rng.randint(1000, 9999)}",
                            day - dt.timedelta(days=rng.randint(3, 20)), Decimal(rng.choice(("1500.00", "3000.00"))),
                            insurance.owner_is_vat_registered(owner), today=day)
        made.append((order, "open" if i == 3 else "invoice"))
    return made


DEMO_EXTENSIONS.append(demo_sales)


# --------------------------------------------------------------------------------------
# Low-code register settings: custom fields, comments, a processing list (issue 3)
# --------------------------------------------------------------------------------------


def demo_lowcode(session: Session, rng: random.Random) -> dict[str, int]:
    """Three custom fields with values, a few comments and a shared processing list."""
    from models import Comment, Customer, ProcessingList, ProcessingListItem, User
    from services.registers import register_config as rc

    if session.scalar(select(Comment.id).limit(1)) is not None:
        return {}
    rc.save_custom_field(session, "customer", "fleet_size", "number", "Antal fordon i flottan",
                         label_de="Flottengröße", label_en="Fleet size", position=1)
    rc.save_custom_field(session, "customer", "segment", "choice", "Segment", label_de="Segment",
                         label_en="Segment", choices=["Taxi", "Bud", "Åkeri", "Privat"], position=2)
    rc.save_custom_field(session, "customer", "customer_since", "date", "Kund sedan", label_de="Kunde seit",
                         label_en="Customer since", position=3)
    session.flush()
    config = rc.load(session)
    customers = list(session.scalars(select(Customer).order_by(Customer.id)))
    for customer in customers:
        if rng.random() < 0.6:
            rc.set_values(session, config, "customer", customer.id, {
                "cf_fleet_size": rng.randint(1, 40) if customer.kind == "company" else None,
                "cf_segment": rng.choice(["Taxi", "Bud", "Åkeri"]) if customer.kind == "company" else "Privat",
                "cf_customer_since": dt.date(2015 + rng.randrange(10), rng.randint(1, 12), rng.randint(1, 28)),
            }, audit=False)
    users = list(session.scalars(select(User).order_by(User.id)))
    comments = 0
    for customer in customers[:12]:
        author, other = rng.sample(users, 2) if len(users) > 1 else (users[0], users[0])
        session.add(Comment(entity="customer", record_id=customer.id, created_by_id=author.id,
                            body=f"@{other.username} kan du ringa kunden om servicen nästa vecka?"))
        comments += 1
    taxis = [c for c in customers if c.kind == "company"][:25]
    plist = ProcessingList(name="Vårkampanj däckbyte", owner_id=users[0].id if users else None, shared=True,
                           query="search=ab")
    plist.items = [ProcessingListItem(customer_id=c.id, position=i, done=i < 8,
                                      note="Ringde, bokar tid" if i < 8 else None) for i, c in enumerate(taxis)]
    session.add(plist)
    return {"custom fields": 3, "comments": comments, "processing lists": 1}


DEMO_EXTENSIONS.append(demo_lowcode)
