"""Rules of the article and labour-operation registers."""
from decimal import Decimal

from flask_babel import gettext as _

from models import Article, LabourOperation, Package
from services import DomainError
from services.registers.identifiers import normalise_ean


def _not_negative(value, field: str, label: str) -> None:
    if value is not None and Decimal(value) < 0:
        raise DomainError(_("%(l)s cannot be negative.", l=label), field)


def prepare_article(article: Article) -> None:
    article.number = (article.number or "").strip()
    article.name = (article.name or "").strip()
    if not article.number:
        raise DomainError(_("An article number is required."), "number")
    if not article.name:
        raise DomainError(_("A name is required."), "name")
    article.ean = normalise_ean(article.ean)
    _not_negative(article.price, "price", _("The price"))
    _not_negative(article.purchase_price, "purchase_price", _("The purchase price"))
    if article.vat_rate is None and article.vat_rate_id is None:
        raise DomainError(_("Choose a VAT rate."), "vat_rate")


def prepare_labour_operation(op: LabourOperation) -> None:
    op.code = (op.code or "").strip()
    op.name = (op.name or "").strip()
    if not op.code:
        raise DomainError(_("A code is required."), "code")
    if not op.name:
        raise DomainError(_("A name is required."), "name")
    _not_negative(op.standard_hours, "standard_hours", _("Standard hours"))
    _not_negative(op.hourly_rate, "hourly_rate", _("The hourly rate"))
    _not_negative(op.fixed_price, "fixed_price", _("The fixed price"))
    if op.hourly_rate is None and op.fixed_price is None:
        raise DomainError(_("Give an hourly rate or a fixed price."), "hourly_rate")
    if op.vat_rate is None and op.vat_rate_id is None:
        raise DomainError(_("Choose a VAT rate."), "vat_rate")


def prepare_package(package: Package) -> None:
    package.name = (package.name or "").strip()
    if not package.name:
        raise DomainError(_("A name is required."), "name")
    for item in package.items:
        if (item.article is None) == (item.labour_operation is None):
            raise DomainError(_("Each package line has either an article or a labour operation."), "items")
        if item.quantity is None or item.quantity <= 0:
            raise DomainError(_("A package line needs a quantity above zero."), "items")
