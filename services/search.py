"""Free-text search over customers and vehicles through a real index.

Each searchable row keeps ``search_text`` (lower case; numbers also as bare digits), kept up to
date by a session event. SQLite searches it through an FTS5 trigram table, PostgreSQL through a
pg_trgm GIN index; both find any fragment of three characters or more without a table scan."""
import bisect
import random
import re

from sqlalchemy import and_, event, func, select, text, union
from sqlalchemy.orm import Session

from models import Contact, Customer, Invoice, Order, Vehicle


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


def customer_search_text(customer: Customer) -> str:
    from services.identifiers import format_org_number, format_personal_number

    values = [customer.name, customer.customer_number, customer.email, customer.phone,
              _digits(customer.phone), customer.org_number, customer.personal_number,
              customer.vat_number]
    if customer.org_number:
        values.append(format_org_number(customer.org_number))
    if customer.personal_number:
        values.append(format_personal_number(customer.personal_number))
    for contact in customer.contacts:
        values += [contact.name, contact.email, contact.phone, _digits(contact.phone)]
    return _parts(*values)


def vehicle_search_text(vehicle: Vehicle) -> str:
    return _parts(
        vehicle.registration_number, vehicle.vin,
        vehicle.make.name if vehicle.make else None, vehicle.model,
        vehicle.owner.name if vehicle.owner else None,
        vehicle.owner.customer_number if vehicle.owner else None,
    )


def _before_flush(session: Session, flush_context, instances) -> None:
    customers: set[Customer] = set()
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
        new = customer_search_text(customer)
        if customer.search_text != new:
            customer.search_text = new


def install(session_class=Session) -> None:
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)


def search_terms(query: str) -> list[str]:
    """Split what the user typed into lower-case terms; a number typed with spaces or dashes
    (a phone, an organisation number) becomes one term of digits."""
    query = (query or "").strip().lower()
    if not query:
        return []
    if re.fullmatch(r"[\d\s\-+()/.]+", query) and len(_digits(query)) >= 3:
        return [_digits(query)]
    return [t for t in query.split() if t]


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


def search_condition(dialect: str, model, query: str, indexed: bool = True):
    """A WHERE clause finding rows of ``model`` (Customer or Vehicle) whose search text
    contains every term of ``query``; None when the query is blank.

    ``indexed=False`` gives plain substring tests the planner cannot take to the search index,
    for reading rows one by one along a sort index (``walk_search``)."""
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
