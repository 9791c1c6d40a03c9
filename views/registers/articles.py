"""Articles, labour operations and packages."""
from flask_admin.model.form import InlineFormAdmin
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import Article, ArticleGroup, PackageItem, VatRate, db
from services.registers import articles as article_rules
from views.platform.base import LookupFilter, SecureModelView, inline_lookups
from views.platform.cards import CardTab
from services.platform.formatting import list_money


def _vat_rates():
    return db.session.scalars(select(VatRate).where(VatRate.active.is_(True)).order_by(VatRate.percent.desc()))


LABELS = {
    "number": _l("Article number"), "name": _l("Name"), "ean": _l("EAN"), "unit": _l("Unit"),
    "price": _l("Price excl. VAT"), "purchase_price": _l("Purchase price"), "vat_rate": _l("VAT rate"),
    "article_group": _l("Article group"), "stock_item": _l("Stock item"), "stock_quantity": _l("In stock"),
    "extra_text": _l("Extra text"), "active": _l("Active"), "code": _l("Code"),
    "standard_hours": _l("Standard hours"), "hourly_rate": _l("Hourly rate"), "fixed_price": _l("Fixed price"),
    "items": _l("Contents"), "article": _l("Article"), "labour_operation": _l("Labour operation"),
    "quantity": _l("Quantity"),
}


class ArticleView(SecureModelView):
    right_area = "article"
    card_groups = [(_l("Article"), ("number", "name", "ean", "unit", "article_group", "extra_text", "active")),
                   (_l("Price and stock"), ("price", "purchase_price", "vat_rate", "stock_item", "stock_quantity"))]
    column_list = ("number", "name", "ean", "unit", "price", "vat_rate", "article_group", "stock_quantity", "active")
    column_searchable_list = ("number", "name", "ean")
    column_sortable_list = ("number", "name", "price", "stock_quantity", "active")
    column_default_sort = ("number", False)
    column_labels = LABELS
    column_formatters = {"price": list_money}
    column_filters = (LookupFilter(Article.article_group_id, _l("Article group"), ArticleGroup),
                      "stock_item", "active")
    form_columns = ("number", "name", "ean", "unit", "price", "purchase_price", "vat_rate", "article_group",
                    "stock_item", "stock_quantity", "extra_text", "active")
    form_args = {"vat_rate": {"query_factory": _vat_rates, "allow_blank": False}}

    def on_model_change(self, form, model, is_created):
        article_rules.prepare_article(model)


class LabourOperationView(SecureModelView):
    right_area = "article"
    card_groups = [(_l("Labour operation"), ("code", "name", "extra_text", "active")),
                   (_l("Price"), ("standard_hours", "hourly_rate", "fixed_price", "vat_rate"))]
    column_list = ("code", "name", "standard_hours", "hourly_rate", "fixed_price", "vat_rate", "active")
    column_searchable_list = ("code", "name")
    column_sortable_list = ("code", "name", "standard_hours", "hourly_rate", "fixed_price", "active")
    column_default_sort = ("code", False)
    column_labels = LABELS
    column_formatters = {"hourly_rate": list_money, "fixed_price": list_money}
    column_filters = ("active",)
    form_columns = ("code", "name", "standard_hours", "hourly_rate", "fixed_price", "vat_rate", "extra_text", "active")
    form_args = {"vat_rate": {"query_factory": _vat_rates, "allow_blank": False}}

    def on_model_change(self, form, model, is_created):
        article_rules.prepare_labour_operation(model)


class PackageItemInline(InlineFormAdmin):
    form_columns = ("id", "article", "labour_operation", "quantity")
    form_label = _l("Package line")
    column_labels = LABELS
    form_ajax_refs = inline_lookups(PackageItem, {"article": {"fields": ("number", "name"), "page_size": 20},
                                                  "labour_operation": {"fields": ("code", "name"), "page_size": 20}})


class PackageView(SecureModelView):
    right_area = "article"
    column_list = ("name", "items", "active")
    column_searchable_list = ("name",)
    column_labels = LABELS
    column_formatters = {"items": lambda v, c, m, n: ", ".join(str(i) for i in m.items)}
    form_columns = ("name", "active", "items")
    inline_models = (PackageItemInline(PackageItem),)
    card_groups = [(None, ("name", "active"))]
    card_tabs = [CardTab("items", _l("Contents"), relation="items", columns=("article", "labour_operation", "quantity"),
                         labels=LABELS)]

    def on_model_change(self, form, model, is_created):
        article_rules.prepare_package(model)
