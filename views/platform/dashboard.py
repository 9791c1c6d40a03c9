"""The console's start page."""
from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from models import Customer, Vehicle, db
from services.platform import visibility


class DashboardView(AdminIndexView):
    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        counts = {}
        if current_user.has_right("customer.view"):
            counts["customers"] = db.session.scalar(select(func.count()).select_from(Customer))
        if current_user.has_right("vehicle.view"):
            counts["vehicles"] = db.session.scalar(select(func.count()).select_from(Vehicle).where(
                visibility.clause(current_user, Vehicle)))
        return self.render("platform/dashboard.html", counts=counts)
