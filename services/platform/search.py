"""The one search of Verkstad: every list, look-up and the global search of the top bar.

Case folding: terms and stored texts are folded with Unicode lower case (``fold``); SQLite's
lower() is replaced by one that knows every letter (``sqlite_functions``), so "Åberg" and
"svenssons åkeri" are found on SQLite as on PostgreSQL.

Customers and vehicles are searched through a real index. Each searchable row keeps ``search_text`` (lower case; numbers also as bare digits), kept up to
date by a session event. SQLite searches it through an FTS5 trigram table, PostgreSQL through a
pg_trgm GIN index; both find any fragment of three characters or more without a table scan."""
import bisect
import random
import re
from dataclasses import dataclass

from sqlalchemy import String, and_, case, cast, event, func, inspect, or_, select, text, union
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from models import (
    COLLECTIVE_INVOICE_PREFIX,
    BOOKING_KINDS,
    Article,
    Booking,
    Contact,
    Customer,
    Invoice,
    LabourOperation,
    Order,
    Package,
    Tag,
    TradePlate,
    User,
    Vehicle,
    customer_tag,
)
from services.bookings import bookings
from services.platform import visibility


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _parts(*values) -> str:
    seen: list[str] = []
    for value in values:
        if not value:
            continue
        value = str(value).lower().strip()
        if value and value not in seen:
            seen.append(value)
    return " | ".join(seen)


def fold(value: str | None) -> str:
    """What the user typed or a stored value, case-folded for searching: Unicode lower case
    (Å → å, É → é, Ü → ü), as PostgreSQL's lower() and, through ``sqlite_functions``,
    SQLite's lower() fold it."""
    return (value or "").lower()


def _sqlite_lower(value):
    # SQLite's own lower() and LIKE fold only ASCII: "Åberg" was never found by "åberg"
    if value is None:
        return None
    return (value if isinstance(value, str) else str(value)).lower()


def _sqlite_upper(value):
    if value is None:
        return None
    return (value if isinstance(value, str) else str(value)).upper()


def sqlite_functions(dbapi_connection) -> None:
    """Give a SQLite connection lower() and upper() that know every letter, as PostgreSQL's
    do: every ``ilike`` (SQLAlchemy compiles it to lower() LIKE lower() on SQLite), Flask-Admin
    list search and look-up then folds å, ä, ö, é and ü."""
    dbapi_connection.create_function("lower", 1, _sqlite_lower, deterministic=True)
    dbapi_connection.create_function("upper", 1, _sqlite_upper, deterministic=True)


def customer_search_text(customer: Customer, gone_tags=()) -> str:
    from services.registers.identifiers import format_org_number, format_personal_number

    values = [customer.name, customer.customer_number, customer.email, customer.phone,
              _digits(customer.phone), customer.org_number, customer.personal_number,
              customer.vat_number]
    if customer.org_number:
        values.append(format_org_number(customer.org_number))
    if customer.personal_number:
        values.append(format_personal_number(customer.personal_number))
    for contact in customer.contacts:
        values += [contact.name, contact.email, contact.phone, _digits(contact.phone)]
    # tags last: the free-text search finds a customer by a tag (issue 10 item 8); a tag being
    # deleted is left out already (the database drops its links when the tag row goes)
    values += [tag.name for tag in customer.tags if tag not in gone_tags]
    return _parts(*values)


def vehicle_search_text(vehicle: Vehicle) -> str:
    return _parts(
        vehicle.registration_number, vehicle.vin,
        vehicle.make.name if vehicle.make else None, vehicle.model,
        vehicle.owner.name if vehicle.owner else None,
        vehicle.owner.customer_number if vehicle.owner else None,
    )


def _changed_tags(session: Session) -> list[int]:
    changed = [obj.id for obj in session.deleted if isinstance(obj, Tag) and obj.id is not None]
    for obj in session.dirty:
        if isinstance(obj, Tag) and obj.id is not None and inspect(obj).attrs.name.history.has_changes():
            changed.append(obj.id)
    return changed


def _before_flush(session: Session, flush_context, instances) -> None:
    customers: set[Customer] = set()
    changed = _changed_tags(session)
    if changed:
        # a renamed or deleted tag changes the search text of every customer holding it
        with session.no_autoflush:
            customers.update(session.scalars(select(Customer).join(customer_tag).where(
                customer_tag.c.tag_id.in_(changed))))
    gone = {obj for obj in session.deleted if isinstance(obj, Tag)}
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Customer) and obj not in session.deleted:
            customers.add(obj)
        elif isinstance(obj, Contact) and obj.customer is not None and obj.customer not in session.deleted:
            customers.add(obj.customer)
        elif isinstance(obj, Vehicle) and obj not in session.deleted:
            new = vehicle_search_text(obj)
            if obj.search_text != new:
                obj.search_text = new
    for customer in customers:
        new = customer_search_text(customer, gone)
        if customer.search_text != new:
            customer.search_text = new


def _on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        sqlite_functions(dbapi_connection)


def install(session_class=Session) -> None:
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)


def search_terms(query: str, digits: bool = True) -> list[str]:
    """Split what the user typed into case-folded terms; a number typed with spaces or dashes
    (a phone, an organisation number) becomes one term of digits (unless ``digits`` is False:
    for columns that keep a number as typed)."""
    query = fold(query).strip()
    if not query:
        return []
    if digits and re.fullmatch(r"[\d\s\-+()/.]+", query) and len(_digits(query)) >= 3:
        return [_digits(query)]
    return [t for t in query.split() if t]


def registration_term(query: str) -> str:
    """What the user typed, written as registration numbers are stored (upper case, no spaces
    or dashes: services.registers.identifiers.normalise_registration_number)."""
    return re.sub(r"[\s-]", "", query or "").upper()


def looks_like_registration(query: str) -> bool:
    """A plate (or a VIN) is letters and digits, both, at most 17 of them."""
    reg = registration_term(query)
    return (2 <= len(reg) <= 17 and reg.isascii() and reg.isalnum()
            and any(c.isdigit() for c in reg) and any(c.isalpha() for c in reg))


def contains(dialect: str, column, term: str):
    """``column`` contains ``term`` (already folded), whatever the case of either."""
    pattern = f"%{like_escape(term)}%"
    if not isinstance(getattr(column, "type", None), String):
        column = cast(column, String)  # a number column searched as text, as Flask-Admin does
    if dialect == "postgresql":
        return column.ilike(pattern, escape="\\")
    if dialect == "sqlite" and term.isascii():
        # SQLite's own LIKE folds ASCII in C: faster than lower() called on every row
        return column.like(pattern, escape="\\")
    return func.lower(column).like(pattern, escape="\\")


def text_condition(dialect: str, columns, query: str):
    """A WHERE clause finding rows where every term of ``query`` is contained in one of
    ``columns`` (plain text columns without a search index: articles, users, bookings, custom
    field values); None when the query is blank."""
    terms = search_terms(query, digits=False)
    if not terms:
        return None
    return and_(*(or_(*(contains(dialect, column, term) for column in columns)) for term in terms))


# A long term is looked up in the trigram index through a few of its rarest trigrams (then
# checked whole with LIKE on the found rows only): a phrase of every trigram of an e-mail
# address reads the huge posting lists of ".se", "son", "ber" and costs ~30 ms at a million
# customers, three rare trigrams cost ~1 ms. Rarity is guessed from Swedish letter frequency.
ANCHORED_ABOVE = 4
_LETTER_WEIGHT = {**{c: 1 for c in "eanrtslido"}, **{c: 2 for c in "kmgvhfup"}}
_COMMON_TRIGRAMS = {"son", "sso", "ers", "and", "nde", "ber", "erg", "lin", "str", "tro", "ist", "vis",
                    "qvi", "gre", "ren", "lun", "und", "ell", "com", "gma", "mai", "ail", "ott", "tma"}


def _char_class(ch: str) -> int:
    return 0 if ch.isalpha() else 1 if ch.isdigit() else 2 if ch.isspace() else 3


def _rarity(trigram: str) -> int:
    score = sum(2 if ch.isdigit() else 0 if ch.isspace() else 4 if not ch.isalpha()
                else _LETTER_WEIGHT.get(ch, 3) for ch in trigram)
    score += sum(_char_class(a) != _char_class(b) for a, b in zip(trigram, trigram[1:], strict=False))
    return score - 4 * (trigram in _COMMON_TRIGRAMS)


def anchor_trigrams(term: str, count: int = 3, alnum_only: bool = False) -> list[str]:
    """The ``count`` rarest-looking, non-overlapping trigrams of ``term`` (in term order),
    leaving out the top-level domain of an e-mail address or web address (and, with
    ``alnum_only``, every trigram with a character other than a letter or digit)."""
    end = len(term)
    tld = re.search(r"\.[a-z]{2,4}$", term)
    if tld:
        end = tld.start() + 1  # a trigram may end on the dot, not inside ".se"
    def score(i: int) -> int:
        # a leading 0 starts an area code or a mobile prefix: shared by a large share of numbers
        return _rarity(term[i:i + 3]) - 3 * (i == 0 and term[0] == "0")

    usable = (lambda t: t.isalnum()) if alnum_only else (lambda t: " " not in t)
    starts = sorted((i for i in range(max(0, end - 2)) if usable(term[i:i + 3])), key=lambda i: (-score(i), i))
    chosen: list[int] = []
    for gap in (3, 1):  # apart first; overlapping ones only when the term is too short for that
        for i in starts:
            if len(chosen) == count or (chosen and score(i) < 3):
                break  # a common trigram would cost more than the rows it rules out
            if all(abs(i - j) >= gap for j in chosen):
                chosen.append(i)
        if len(chosen) >= 2:
            break
    return [term[i:i + 3] for i in sorted(chosen)] or ([] if alnum_only else [term])


def like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# the columns searched of models without a search text of their own
SEARCH_COLUMNS = {
    Article: (Article.number, Article.name, Article.ean),
    LabourOperation: (LabourOperation.code, LabourOperation.name),
    Package: (Package.name,),
    User: (User.username, User.full_name, User.email),
    Booking: (Booking.number, Booking.customer_name),
}


def plate_owners(query: str):
    """The owners of the vehicle whose registration number ``query`` is (000: the customer
    register finds a customer by his vehicle's plate)."""
    return select(Vehicle.owner_id).where(Vehicle.registration_number == registration_term(query),
                                          Vehicle.owner_id.is_not(None))


def search_condition(dialect: str, model, query: str, indexed: bool = True):
    """The one search of every list, look-up and the global search: a WHERE clause finding
    the rows of ``model`` that contain every term of ``query``, case-folded; None when the
    query is blank. A customer or vehicle is searched through its indexed search text (a
    customer also by the registration number of his vehicle), other models through the
    columns ``SEARCH_COLUMNS`` names.

    ``indexed=False`` gives plain substring tests the planner cannot take to the search index,
    for reading rows one by one along a sort index (``walk_search``)."""
    if model not in (Customer, Vehicle):
        return text_condition(dialect, SEARCH_COLUMNS[model], query)
    condition = _indexed_condition(dialect, model, query, indexed)
    if condition is not None and model is Customer and looks_like_registration(query):
        # the customer register finds a customer by the registration number of his vehicle
        owners = plate_owners(query)
        if not indexed:
            return or_(condition, Customer.id.in_(owners))
        # one list of ids through two indexes (an OR would leave PostgreSQL reading the table)
        return Customer.id.in_(union(select(Customer.id).where(condition), owners).scalar_subquery())
    return condition


def _indexed_condition(dialect: str, model, query: str, indexed: bool):
    terms = search_terms(query)
    if not terms:
        return None
    if not indexed:
        terms.sort(key=len, reverse=True)  # the longest term is the rarest: tested first
        contains = {"sqlite": func.instr, "postgresql": func.strpos}.get(dialect)
        if contains is None:
            return and_(*(model.search_text.like(f"%{like_escape(t)}%", escape="\\") for t in terms))
        return and_(*(contains(model.search_text, t) > 0 for t in terms))
    table = model.__tablename__
    conditions = []
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    if dialect == "sqlite" and long_terms:
        tokens: list[str] = []
        for term in long_terms:
            if len(term) > ANCHORED_ABOVE:
                tokens += anchor_trigrams(term)
                short_terms.append(term)  # the whole term, checked on the rows the anchors found
            else:
                tokens.append(term)
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens)
        conditions.append(
            model.id.in_(
                text(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH :q").bindparams(q=match)
            )
        )
    elif dialect == "postgresql":
        # pg_trgm reads the trigrams of whole words of the pattern (padded at dots and @):
        # the anchors are letters and digits inside a word, the whole term is checked with
        # strpos, which the planner cannot take to the index
        short_terms = []
        for term in terms:
            anchors = anchor_trigrams(term, alnum_only=True) if len(term) > ANCHORED_ABOVE else []
            if len(anchors) >= 2:
                conditions += [model.search_text.like(f"%{like_escape(a)}%", escape="\\") for a in anchors]
                conditions.append(func.strpos(model.search_text, term) > 0)
            else:
                short_terms.append(term)
    else:
        short_terms = terms
    for term in short_terms:
        conditions.append(model.search_text.like(f"%{like_escape(term)}%", escape="\\"))
    return and_(*conditions)


# --- how many rows will a search find? ----------------------------------------------------
# A search matching thousands of rows is cheaper to answer by reading the list in its sort
# order and testing each row (a page fills after a few thousand rows) than by reading every
# match from the index and sorting them; a search matching few rows is the other way round.
# A random sample of the search texts tells which case a query is, without touching the index.


class SearchSample:
    """A sample of search texts, kept as one string so that a term is looked for in all of
    them at once (str.find runs in C; a Python loop over 10,000 texts costs milliseconds)."""

    def __init__(self, texts: list[str]):
        self.size = len(texts)
        self.text = "\n".join(t.replace("\n", " ") for t in texts)
        self.starts = [0]
        for t in texts[:-1]:
            self.starts.append(self.starts[-1] + len(t) + 1)

    def matches(self, terms: list[str]) -> int:
        """How many texts of the sample contain every one of ``terms``."""
        if not terms or not self.size:
            return 0
        # the longest term is taken as the rarest: counting each would read the sample again
        rarest = max(terms, key=len)
        others = [t for t in terms if t != rarest]
        hits, pos = 0, self.text.find(rarest)
        while pos >= 0:
            i = bisect.bisect_right(self.starts, pos) - 1
            end = self.starts[i + 1] - 1 if i + 1 < self.size else len(self.text)
            row = self.text[self.starts[i]:end]
            hits += all(t in row for t in others)
            pos = self.text.find(rarest, end + 1)  # on from the next text: each counts once
        return hits


def sample_search_texts(session, model, size: int, rng: random.Random | None = None) -> SearchSample:
    """The search texts of about ``size`` random rows of ``model``, fetched by random primary keys."""
    low, high = session.execute(select(func.min(model.id), func.max(model.id))).one()
    if high is None:
        return SearchSample([])
    rng = rng or random.Random()
    ids = rng.sample(range(low, high + 1), min(size, high - low + 1))
    texts: list[str] = []
    for start in range(0, len(ids), 5000):
        texts += session.scalars(select(model.search_text).where(model.id.in_(ids[start:start + 5000]))).all()
    return SearchSample([t or "" for t in texts])


def estimate_matches(sample: SearchSample, total_rows: int, query: str) -> int:
    """How many of ``total_rows`` rows the search ``query`` finds, judged by the ``sample``
    of their search texts (the same test as ``search_condition``: every term is contained)."""
    terms = [t for t in search_terms(query) if "\n" not in t]
    if not sample.size or not terms:
        return 0
    return round(sample.matches(terms) * total_rows / sample.size)


# --- orders: exact look-ups, each through its own index -------------------------------------


def order_search_condition(query: str):
    """A WHERE clause finding the orders whose invoice number, registration number, customer
    number, customer's order number or own number is ``query``; None when it is blank.

    The matching order ids are found by a UNION of look-ups, each through its own index, and
    the list then reads only those orders (issue 9 item 24). The same look-ups joined by OR
    left PostgreSQL to read the order list backwards along its primary key, testing every
    order against the OR until a page filled: the whole table for a single match."""
    term = (query or "").strip()
    if not term:
        return None
    reg = term.upper().replace(" ", "").replace("-", "")
    lookups = [
        select(Order.id).join(Invoice, Order.invoice_id == Invoice.id).where(Invoice.number == term),
        select(Order.id).join(Vehicle, Order.vehicle_id == Vehicle.id).where(Vehicle.registration_number == reg),
        select(Order.id).join(Customer, Order.customer_id == Customer.id).where(Customer.customer_number == term),
        select(Order.id).where(Order.customer_order_number == term),
    ]
    if term.isdigit() and len(term) < 10:
        lookups.append(select(Order.id).where(Order.id == int(term)))
    return Order.id.in_(union(*lookups).scalar_subquery())


# --- the global search of the top bar (issue 10 item 4) ------------------------------------
# Every kind is looked up through an index with a small LIMIT and narrowed to what the user
# may see (services.platform.visibility: a technician limited to his assigned customers finds only
# those, and their vehicles, documents and bookings).

GLOBAL_KINDS = ("customer", "vehicle", "quote", "order", "invoice", "booking", "article", "user")


@dataclass
class Hit:
    kind: str
    record: object
    exact: bool = False  # the number, plate or OCR typed whole


def first_matches(dialect: str, model, query: str, count: int):
    """SQLite: a WHERE clause for the first ``count`` rows (in id order) whose search text holds
    every term, read from the FTS5 index as one phrase per term with the LIMIT inside: FTS5 then
    stops after ``count`` matches (0.4 ms at a million customers), where search_condition's
    anchored look-up reads every match first (15-100 ms for a common name). None where this
    does not apply (PostgreSQL, or no term of three characters)."""
    terms = search_terms(query)
    long_terms = [t for t in terms if len(t) >= 3]
    if dialect != "sqlite" or not long_terms:
        return None
    table = model.__tablename__
    short = [t for t in terms if len(t) < 3]
    inner = count * (50 if short else 1)  # a short term is checked on the rows found
    match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
    condition = model.id.in_(text(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH :fts_first "
                                  f"LIMIT {int(inner)}").bindparams(fts_first=match))
    return and_(condition, *(model.search_text.like(f"%{like_escape(t)}%", escape="\\") for t in short))


def _prefix(column, prefix: str):
    """``column`` starts with ``prefix``, as a range a B-tree index answers (LIKE 'x%' is
    not taken to an index on SQLite)."""
    return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def _customers(session, user, query: str, dialect: str, limit: int) -> list[Hit]:
    if not (user.has_right("customer.view") or user.has_right("customer.view_assigned")):
        return []
    limited = visibility.limited(user)
    seen = visibility.clause(user, Customer)
    term, digits = query.strip(), _digits(query)
    exact = [Customer.customer_number == term]
    if len(digits) in (10, 12):
        exact += [Customer.org_number == digits, Customer.personal_number == digits]
        if len(digits) == 10:  # a personal number typed without its century
            exact.append(Customer.personal_number.in_(("19" + digits, "20" + digits)))
    hits = [Hit("customer", c, True) for c in session.scalars(select(Customer).where(or_(*exact), seen).limit(limit))]
    # a limited user's few customers are read one by one; everyone else's through the index
    condition = first_matches(dialect, Customer, query, limit * 4) if not limited else None
    if condition is None:
        condition = search_condition(dialect, Customer, query, indexed=not limited)
    elif looks_like_registration(query):
        condition = or_(condition, Customer.id.in_(plate_owners(query)))
    if condition is not None and len(hits) < limit:
        found = session.scalars(select(Customer).where(condition, seen).limit(limit * 4)).all()
        first = fold(term)
        found.sort(key=lambda c: (not fold(c.name).startswith(first), fold(c.name), c.id))
        known = {h.record.id for h in hits}
        hits += [Hit("customer", c) for c in found if c.id not in known]
    return hits[:limit + 1]


def _vehicles(session, user, query: str, dialect: str, limit: int) -> list[Hit]:
    if not user.has_right("vehicle.view") or not looks_like_registration(query):
        return []
    reg = registration_term(query)
    seen = visibility.clause(user, Vehicle)
    rows = list(session.scalars(select(Vehicle).where(_prefix(Vehicle.registration_number, reg), seen)
                                .order_by(Vehicle.registration_number).limit(limit + 1)))
    if len(reg) >= 4 and len(rows) <= limit:
        rows += session.scalars(select(Vehicle).where(_prefix(Vehicle.vin, reg), seen)
                                .order_by(Vehicle.vin).limit(limit + 1 - len(rows)))
    return [Hit("vehicle", v, v.registration_number == reg or v.vin == reg) for v in rows]


def _documents(session, user, query: str, limit: int) -> list[Hit]:
    """Quotes and orders by their number; invoices and credit notes by number and OCR, and the
    invoices of a collective-invoicing run by its number (SFA12)."""
    if not user.has_right("sales.view"):
        return []
    term, digits = query.strip(), _digits(query)
    hits: list[Hit] = []
    if term.isdigit() and len(term) < 10:
        order = session.scalar(select(Order).where(Order.id == int(term), visibility.clause(user, Order)))
        if order is not None:
            hits.append(Hit(order.kind, order, True))
    # a number has no spaces; an OCR reference may be typed in groups of digits
    lookups = [Invoice.number == term] if term and not any(c.isspace() for c in term) else []
    if digits and digits == re.sub(r"\s", "", term):
        lookups.append(Invoice.ocr == digits)
    collective = re.sub(r"\s", "", term).upper()
    if collective.startswith(COLLECTIVE_INVOICE_PREFIX) and collective[len(COLLECTIVE_INVOICE_PREFIX):].isdigit():
        lookups.append(Invoice.collective_number == collective)  # samlingsfakturanummer (20.24), "sfa 12"
    if lookups:  # each statement costs a round trip: none that cannot find anything
        hits += [Hit("invoice", i, True) for i in session.scalars(
            select(Invoice).where(or_(*lookups), visibility.clause(user, Invoice)).limit(limit + 1))]
    return hits


def booking_kinds(user) -> list[str]:
    """The booking kinds whose bookings the user may open."""
    return [k for k in BOOKING_KINDS if bookings.may_open(user, k)]


def _bookings(session, user, query: str, limit: int) -> list[Hit]:
    kinds = booking_kinds(user)
    term = query.strip()
    if not kinds or not term:
        return []
    lookups = [Booking.number == term] if not any(c.isspace() for c in term) else []
    if looks_like_registration(query):
        reg = registration_term(query)
        # a trade plate's number is kept as written ("PROV 1")
        lookups += [Booking.vehicle_id.in_(select(Vehicle.id).where(Vehicle.registration_number == reg)),
                    Booking.trade_plate_id.in_(select(TradePlate.id).where(
                        TradePlate.number.in_(sorted({term, term.upper(), reg}))))]
    if not lookups:
        return []
    rows = session.scalars(select(Booking).where(or_(*lookups), Booking.kind.in_(kinds),
                                                 visibility.clause(user, Booking))
                           .order_by(Booking.start_at.desc()).limit(limit + 1))
    return [Hit("booking", b, b.number == term) for b in rows]


def _articles(session, user, query: str, dialect: str, limit: int) -> list[Hit]:
    if not user.has_right("article.view"):
        return []
    term = query.strip()
    exact = or_(Article.number == term, Article.ean == term) if term.isdigit() else Article.number == term
    condition = search_condition(dialect, Article, query)
    found = or_(exact, condition) if condition is not None else exact
    rows = session.scalars(select(Article).where(found).order_by(case((exact, 0), else_=1), Article.number)
                           .limit(limit + 1))
    return [Hit("article", a, a.number == term or a.ean == term) for a in rows]


def _users(session, user, query: str, dialect: str, limit: int) -> list[Hit]:
    if not user.has_right("users.manage"):
        return []
    condition = search_condition(dialect, User, query)
    if condition is None:
        return []
    return [Hit("user", u) for u in session.scalars(select(User).where(condition).order_by(User.username)
                                                    .limit(limit + 1))]


def global_search(session: Session, user, query: str, limit: int = 5) -> dict[str, list[Hit]]:
    """What the top bar's search finds for ``user``: kind -> up to ``limit`` + 1 hits (one
    more than shown tells the view there are more), exact hits first, only kinds the user has
    the right to see and only rows he may see. Kinds in GLOBAL_KINDS order; empty ones left out."""
    query = (query or "").strip()[:200]
    # one letter finds too much to be of use; one digit may be an order's whole number
    if not query or (len(query) < 2 and not query.isdigit()) or user is None or not getattr(user, "is_authenticated", False):
        return {}
    dialect = session.get_bind().dialect.name
    found: dict[str, list[Hit]] = {kind: [] for kind in GLOBAL_KINDS}
    for hit in (_customers(session, user, query, dialect, limit) + _vehicles(session, user, query, dialect, limit)
                + _documents(session, user, query, limit) + _bookings(session, user, query, limit)
                + _articles(session, user, query, dialect, limit) + _users(session, user, query, dialect, limit)):
        found[hit.kind].append(hit)
    return {kind: hits for kind, hits in found.items() if hits}
