"""Counting and paging of long register lists without reading the whole table.

A list page must not cost a COUNT(*) over a million rows, nor an OFFSET that reads every
skipped row: an unfiltered list shows an estimate of the row count (exact for small tables),
a filtered one counts at most ``cap`` matches, and a deep page first finds its primary keys
through the sort index alone, then loads only those rows."""
from sqlalchemy import func, literal, select, text
from sqlalchemy.orm import Query, Session

# below this many rows the exact COUNT(*) is cheap and nobody should see an estimate
EXACT_BELOW = 50_000
# a search or filter that matches more rows than this shows "this many" (the pager stops there)
FILTERED_CAP = 10_000
# deeper than this, a page is found through the primary keys first
DEEP_OFFSET = 1_000


def estimated_rows(session: Session, table_name: str) -> int | None:
    """A quick estimate of the rows of a table, None when the database has none.

    SQLite: the largest rowid (exact unless rows were deleted; one probe of the table's b-tree).
    PostgreSQL: the planner's reltuples, kept by (auto)vacuum and ANALYZE."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        value = session.scalar(text(f'SELECT max(rowid) FROM "{table_name}"'))
    elif dialect == "postgresql":
        value = session.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"),
                               {"t": f'"{table_name}"'})
    else:
        return None
    return int(value) if isinstance(value, (int, float)) and value > 0 else None


def capped_count(count_query: Query, cap: int | None = None) -> int:
    """COUNT of what ``count_query`` (a ``query(func.count(...))`` with filters) counts, at most ``cap``."""
    limited = count_query.with_entities(literal(1)).order_by(None).limit(cap or FILTERED_CAP).subquery()
    return count_query.session.scalar(select(func.count()).select_from(limited))


def list_count(count_query: Query, table_name: str, cap: int | None = None) -> int:
    """The count a list page shows: an estimate for an unfiltered big table, the exact count
    for a small one, a count capped at ``cap`` when the list is searched or filtered."""
    if count_query.whereclause is None:
        estimate = estimated_rows(count_query.session, table_name)
        if estimate is not None and estimate >= EXACT_BELOW:
            return estimate
        return count_query.scalar()
    return capped_count(count_query, cap)


def walk_is_cheaper(matches: int, table_rows: int | None, rows_wanted: int) -> bool:
    """Whether a page of ``rows_wanted`` (offset + page size) of a filter matching ``matches``
    of ``table_rows`` rows is cheaper read along the sort index (about rows_wanted * table_rows
    / matches rows read) than through the filter's index (every match read and sorted)."""
    if not table_rows or matches <= 0:
        return False
    return rows_wanted * table_rows < matches * matches


def along_sort_order(query: Query) -> Query:
    """``query`` with its conditions marked as likely true, so that SQLite reads it along the
    index of its ORDER BY and stops when the page is full, instead of reading every match
    through a filter's index and sorting them (the other databases plan this themselves)."""
    if query.session.get_bind().dialect.name != "sqlite" or not getattr(query, "_where_criteria", None):
        return query
    hinted = query._clone()
    hinted._where_criteria = tuple(func.likely(c) for c in query._where_criteria)
    return hinted


def page_keys(query: Query, pk, offset: int, limit: int) -> list:
    """The primary keys of one page of the sorted ``query``, read through the sort index only
    (no eager loads, no other columns), so skipping ``offset`` rows reads no table rows."""
    keys = query.enable_eagerloads(False).with_entities(pk).offset(offset).limit(limit)
    return [row[0] for row in keys.all()]


def rows_by_keys(query: Query, pk, keys: list) -> list:
    """The rows of ``keys`` in that order, loaded by primary key through ``query`` (the view's
    base query with its eager loads, without the search and sort that found the keys)."""
    if not keys:
        return []
    position = {key: i for i, key in enumerate(keys)}
    rows = query.filter(pk.in_(keys)).all()
    return sorted(rows, key=lambda row: position[getattr(row, pk.key)])
