"""Every admin view of the console and its place in the menu.

Later modules add a ``register(admin)`` function of their own and are listed in MODULES."""
from flask_babel import lazy_gettext as _l

from models import (
    AccountManagerTitle,
    Article,
    ArticleGroup,
    AuditLog,
    CompanyType,
    ContactTitle,
    CostCenter,
    Country,
    Customer,
    CustomerLevel,
    DiscountLetter,
    District,
    LabourOperation,
    ModelGroup,
    Package,
    PaymentTerm,
    Role,
    Source,
    Tag,
    User,
    VatRate,
    Vehicle,
    VehicleCategory,
    VehicleMake,
    db,
)
from views.platform.auth import ProfileView
from views.registers.articles import ArticleView, LabourOperationView, PackageView
from views.registers.customers import CustomerView
from views.platform.settings import CountryView, ModuleSettingsView, SettingsView
from views.platform.users import AuditLogView, RoleView, UserView
from views.registers.vehicles import VehicleView

REGISTERS = _l("Registers")
SETTINGS = _l("Settings")
ADMINISTRATION = _l("Administration")

# modules of later issues: each has register(admin)
MODULES: list[str] = ["views.bookings.bookings", "views.sales.sales", "views.registers.register_settings", "views.platform.search", "views.platform.jobs",
                     "views.ledger.ledger",
                     "views.ledger.payments"]


def register_views(admin) -> None:
    admin.add_view(CustomerView(Customer, db, name=_l("Customers"), category=REGISTERS))
    admin.add_view(VehicleView(Vehicle, db, name=_l("Vehicles"), category=REGISTERS))
    admin.add_view(ArticleView(Article, db, name=_l("Articles"), category=REGISTERS))
    admin.add_view(LabourOperationView(LabourOperation, db, name=_l("Labour operations"), category=REGISTERS))
    admin.add_view(PackageView(Package, db, name=_l("Packages"), category=REGISTERS))

    for model, name in (
        (District, _l("Districts")), (Tag, _l("Tags")), (CustomerLevel, _l("Customer levels")),
        (Source, _l("Sources")), (CompanyType, _l("Company types")),
        (ContactTitle, _l("Contact titles")), (AccountManagerTitle, _l("Account manager titles")),
        (ArticleGroup, _l("Article groups")), (VehicleMake, _l("Vehicle makes")),
        (ModelGroup, _l("Model groups")), (VehicleCategory, _l("Vehicle categories")),
    ):
        admin.add_view(SettingsView(model, db, name=name, category=SETTINGS))
    admin.add_view(SettingsView(CostCenter, db, name=_l("Cost centers"), category=SETTINGS,
                                endpoint="costcenter"))
    admin.add_view(CountryView(Country, db, name=_l("Countries"), category=SETTINGS))
    admin.add_view(SettingsView(PaymentTerm, db, name=_l("Payment terms"), category=SETTINGS))
    admin.add_view(SettingsView(DiscountLetter, db, name=_l("Discount letters"), category=SETTINGS))
    admin.add_view(SettingsView(VatRate, db, name=_l("VAT rates"), category=SETTINGS))
    admin.add_view(ModuleSettingsView(name=_l("Module settings"), category=SETTINGS,
                                      endpoint="module_settings", url="/admin/module-settings"))

    admin.add_view(UserView(User, db, name=_l("Users"), category=ADMINISTRATION))
    admin.add_view(RoleView(Role, db, name=_l("Roles"), category=ADMINISTRATION))
    admin.add_view(AuditLogView(AuditLog, db, name=_l("Audit log"), category=ADMINISTRATION,
                                endpoint="auditlog"))

    admin.add_view(ProfileView(name=_l("My profile"), endpoint="profile", url="/profile"))

    import importlib

    for module in MODULES:
        importlib.import_module(module).register(admin)


# the ledger's reports (issue 12 items 7-9): SIE export, VAT report, daily sales report
MODULES.append("views.ledger.reports")
# reminders, interest invoices, customer losses (issue 12 items 3-5)
MODULES.append("views.ledger.dunning")
MODULES.append("views.ledger.bgmax")  # Bokföring > BgMax-inläsning (issue 12 item 2)
MODULES.append("views.ledger.closing")  # Bokföring > Bokslut, Periodiseringar, Budget (issue 12 item 12)
MODULES.append("views.ledger.sie_import")  # Bokföring > SIE-import (issue 12 item 7)
MODULES.append("views.workshop.staff")  # Verkstad > Personal och resurser, Kompetenser (issue 13 item 1)
