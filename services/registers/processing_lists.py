"""Processing lists (bearbetningslistor, reference 004): a saved search of the customer list,
worked through customer by customer; shared lists are open to every user."""
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import ProcessingList, ProcessingListItem, User, utcnow
from services import DomainError
from services.platform import visibility


def create_list(session: Session, name: str, owner: User, shared: bool, query: str,
                customer_ids: list[int]) -> ProcessingList:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the list a name."), "name")
    if not customer_ids:
        raise DomainError(_("The search finds no customers."), "query")
    plist = ProcessingList(name=name[:120], owner_id=owner.id, shared=shared, query=(query or "")[:2000])
    plist.items = [ProcessingListItem(customer_id=cid, position=i) for i, cid in enumerate(customer_ids)]
    session.add(plist)
    return plist


def visible_lists(session: Session, user: User) -> list[ProcessingList]:
    return list(session.scalars(select(ProcessingList).where(
        or_(ProcessingList.owner_id == user.id, ProcessingList.shared.is_(True))).order_by(ProcessingList.name)))


def may_open(plist: ProcessingList, user: User) -> bool:
    return plist.shared or plist.owner_id == user.id


def visible_items(session: Session, plist: ProcessingList, user: User) -> list[ProcessingListItem]:
    """The list's customers the user may see (a shared list may hold others: services.platform.visibility)."""
    ids = visibility.customer_ids(session, user)
    return [i for i in plist.items if ids is None or i.customer_id in ids]


def progress(plist: ProcessingList, items: list[ProcessingListItem] | None = None) -> tuple[int, int]:
    items = plist.items if items is None else items
    return sum(1 for i in items if i.done), len(items)


def tick(session: Session, item: ProcessingListItem, done: bool, note: str | None, user: User) -> None:
    item.done = done
    item.note = (note or "").strip() or None
    item.done_at = utcnow() if done else None
    item.done_by_id = user.id if done else None
