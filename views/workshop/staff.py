"""Staff and resources (personal, resurser; 11.13, 90.10) at /admin/resource/, and the skills
lookup (kompetens) at /admin/skill/, under the menu Verkstad.

workshop.view reads, workshop.manage creates, edits and deletes. The stamping PIN is typed into a
password field, stored hashed (services.workshop.resources.set_pin) and never shown or listed."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import PasswordField
from wtforms.validators import Optional

from models import Resource, Skill, User, db
from services.workshop import resources
from views.platform.base import SecureModelView

WORKSHOP = _l("Workshop")

RESOURCE_LABELS = {
    "kind": _l("Kind of resource"), "name": _l("Name"), "staff_number": _l("Staff number"),
    "user": _l("User"), "floor_role": _l("Role on the floor"), "hourly_cost": _l("Hourly cost"),
    "hourly_rate": _l("Default hourly rate charged"), "skills": _l("Skills"), "active": _l("Active"),
    "has_pin": _l("Stamping PIN"), "pin": _l("Stamping PIN"), "created_at": _l("Created"),
}
KIND_CHOICES = [(k, v) for k, v in resources.KIND_LABELS.items()]
FLOOR_ROLE_CHOICES = [(k, v) for k, v in resources.FLOOR_ROLE_LABELS.items()]


def _pin_state(view, context, model, name):
    if model.kind != "staff":
        return ""
    return _l("Set") if model.has_pin else _l("Not set")


def _skills(view, context, model, name):
    return ", ".join(s.name for s in model.skills)


class WorkshopView(SecureModelView):
    """workshop.view reads; workshop.manage writes."""

    right_area = "workshop"
    view_rights = ("view",)
    edit_rights = ("manage",)

    @property
    def can_create(self):
        return self.has("manage")

    @property
    def can_delete(self):
        return self.has("manage")

    @property
    def can_export(self):
        return self.has("view")

    def is_action_allowed(self, name):
        return self.has("manage") and super().is_action_allowed(name)


class ResourceView(WorkshopView):
    card_title = "name"
    card_groups = [
        (_l("Resource"), ("kind", "name", "staff_number", "user", "floor_role", "active")),
        (_l("Prices and skills"), ("hourly_cost", "hourly_rate", "skills", "has_pin")),
    ]
    column_list = ("name", "kind", "staff_number", "floor_role", "skills", "hourly_rate", "active")
    column_details_list = ("kind", "name", "staff_number", "user", "floor_role", "hourly_cost", "hourly_rate",
                           "skills", "has_pin", "active", "created_at")
    column_export_list = ("name", "kind", "staff_number", "floor_role", "skills", "hourly_cost", "hourly_rate",
                          "active")
    column_details_exclude_list = ("pin_hash", "version")
    column_sortable_list = ("name", "kind", "staff_number", "floor_role", "hourly_rate", "active")
    column_default_sort = ("name", False)
    column_searchable_list = ("name", "staff_number")
    column_filters = ("kind", "floor_role", "active")
    column_labels = RESOURCE_LABELS
    column_choices = {"kind": KIND_CHOICES, "floor_role": FLOOR_ROLE_CHOICES}
    column_formatters = {"has_pin": _pin_state, "skills": _skills}
    column_formatters_export = {"skills": _skills}
    form_columns = ("kind", "name", "staff_number", "user", "floor_role", "hourly_cost", "hourly_rate",
                    "skills", "pin", "active")
    form_extra_fields = {"pin": PasswordField(_l("Stamping PIN"), validators=[Optional()],
                                              description=_l("4 to 6 digits; leave empty to keep the PIN"),
                                              render_kw={"autocomplete": "new-password", "inputmode": "numeric"})}
    form_choices = {"kind": KIND_CHOICES, "floor_role": FLOOR_ROLE_CHOICES}
    form_args = {
        "user": {"query_factory": lambda: db.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.username))},
        "skills": {"query_factory": lambda: db.session.scalars(
            select(Skill).where(Skill.active.is_(True)).order_by(Skill.name))},
    }

    def on_model_change(self, form, model, is_created):
        resources.check_resource(db.session, model)
        pin = (form.pin.data or "").strip() if hasattr(form, "pin") else ""
        if pin:
            resources.set_pin(model, pin)

    def on_model_delete(self, model):
        resources.check_delete(db.session, model)


class SkillView(WorkshopView):
    column_list = ("name", "active")
    column_labels = {"name": _l("Name"), "active": _l("Active")}
    column_searchable_list = ("name",)
    column_default_sort = ("name", False)
    form_columns = ("name", "active")


def register(admin) -> None:
    admin.add_view(ResourceView(Resource, db, name=_l("Staff and resources"), category=WORKSHOP,
                                endpoint="resource"))
    admin.add_view(SkillView(Skill, db, name=_l("Skills"), category=WORKSHOP, endpoint="skill"))
