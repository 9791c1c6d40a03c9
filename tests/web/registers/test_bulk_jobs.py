"""Issue 11 items 3 and 7: "Export all (XLSX)" and "Select all N matching the filter" on the
customer and vehicle lists start a job over every row the list shows the user; the list's search
and filters are re-applied on the server from its query, the user's rights are checked per row
(rows the user may not change are skipped and counted), and the result downloads from the Jobs
page with the export right."""
import io
from urllib.parse import urlencode

from openpyxl import load_workbook
from sqlalchemy import select

from models import Customer, Job, ProcessingList, Tag, User, Vehicle, db
from services.platform import list_jobs
from tests.factories import csrf_from, customer, make_user, run_jobs


def _customers(app, count=6, tech: int | None = None, prefix="Bulkkund") -> list[int]:
    """``count`` customers named "<prefix> n AB"; the even ones private; the first two assigned to ``tech``."""
    with app.app_context():
        s = db.session
        ids = []
        for i in range(count):
            c = customer(s, f"B{i:03d}", f"{prefix} {i} AB", org="5560360793" if i % 2 else "")
            if tech is not None and i < 2:
                c.technicians = [s.get(User, tech)]
            ids.append(c.id)
        s.add(Tag(name="Vinterdäck"))
        customer(s, "X999", "Annan Firma AB")  # never matches the search
        s.commit()
        return ids


def _tag_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Tag.id).where(Tag.name == "Vinterdäck"))


def _filter_key(app, column: str, filter_class: str) -> str:
    """The list's URL key of a filter (Flask-Admin numbers them by the configuration)."""
    with app.app_context(), app.test_request_context():
        view = list_jobs.source("customer")
        view._ensure_config()
        return next(key for key, (_i, flt) in view._filter_args.items()
                    if getattr(flt.column, "key", None) == column and type(flt).__name__ == filter_class)


def _bulk(client, action: str, query: str, endpoint="customer", **fields):
    page = client.get(f"/admin/{endpoint}/?{query}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "bulk_action": action, "query": query, **fields}
    return client.post(f"/admin/{endpoint}/bulk/", data=data)


def _last_job(app) -> Job:
    with app.app_context():
        job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
        db.session.expunge(job)
        return job


def _tagged(app) -> set[str]:
    with app.app_context():
        return {c.name for c in db.session.scalars(select(Customer)) if any(t.name == "Vinterdäck" for t in c.tags)}


def test_select_all_and_export_all_are_on_the_lists_of_a_user_with_the_rights(app, client, auth, admin_user):
    _customers(app)
    auth.login("admin")
    page = client.get("/admin/customer/?search=Bulkkund").get_data(as_text=True)
    assert 'id="bulk-select-all"' in page and "Markera alla 6 som matchar filtret" in page
    # offered in the bar above the table (a polite live region), not in the one-row toolbar (issue 10)
    assert page.count('id="bulk-select-all"') == 1
    assert page.index('id="list-toolbar"') < page.index('id="bulk-bar"') < page.index('id="bulk-select-all"') \
        < page.index("model-list")
    assert 'id="bulk-bar" role="status" aria-live="polite"' in page
    assert "Alla 6 på sidan är markerade." in page and "Alla 6 är markerade." in page and "Ångra markeringen" in page
    assert 'id="export-all"' in page and "Exportera alla (XLSX)" in page
    assert 'value="add_tag"' in page and 'value="processing_list"' in page and 'value="assign_add"' in page
    assert 'name="query" value="search=Bulkkund"' in page
    vehicles = client.get("/admin/vehicle/").get_data(as_text=True)
    assert 'id="bulk-select-all"' in vehicles and 'value="export"' in vehicles and 'value="add_tag"' not in vehicles
    assert 'id="bulk-select-all"' not in client.get("/admin/article/").get_data(as_text=True)


def test_add_tag_runs_over_every_row_of_the_filter_re_applied_on_the_server(app, client, auth, admin_user):
    _customers(app)
    tag = _tag_id(app)
    kind = _filter_key(app, "kind", "FilterEqual")
    query = urlencode({"search": "Bulkkund", f"flt0_{kind}": "private", "page": "0", "page_size": "2"})
    auth.login("admin")
    response = _bulk(client, "add_tag", query, tag_id=str(tag))
    assert response.status_code == 302 and "/admin/customer/?" in response.headers["Location"]
    job = _last_job(app)
    assert (job.kind, job.status, job.params["query"]) == ("list_action", "queued", query)
    assert "rowid" not in job.params and "ids" not in job.params  # no ids from the browser
    run_jobs(app)
    # every private customer of the search (3), not only the page of 2, and no other customer
    assert _tagged(app) == {"Bulkkund 0 AB", "Bulkkund 2 AB", "Bulkkund 4 AB"}
    state = client.get(f"/admin/jobs/{job.id}/status").get_json()
    assert state["status"] == "done" and (state["done"], state["total"]) == (3, 3)
    assert "Lägg till tagg: ändrade 3, oförändrade 0, överhoppade (ingen rätt att ändra) 0" in state["summary"]

    response = _bulk(client, "remove_tag", urlencode({"search": "Bulkkund 2"}), tag_id=str(tag))
    run_jobs(app)
    assert _tagged(app) == {"Bulkkund 0 AB", "Bulkkund 4 AB"}


def test_rows_the_user_may_not_change_are_skipped_and_counted(app, client, auth):
    tech = make_user(app, "tekla", {"customer.view", "customer.edit_assigned"})
    ids = _customers(app, tech=tech)
    auth.login("tekla")
    _bulk(client, "inactivate", "search=Bulkkund")
    run_jobs(app)
    job = _last_job(app)
    assert job.status == "done", job.error
    assert "ändrade 2, oförändrade 0, överhoppade (ingen rätt att ändra) 4" in job.summary
    with app.app_context():
        active = {c.id: c.active for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    assert [active[i] for i in ids] == [False, False, True, True, True, True]


def test_a_user_limited_to_assigned_customers_reaches_only_those(app, client, auth):
    tech = make_user(app, "teo", {"customer.view_assigned", "customer.edit_assigned", "customer.export"})
    _customers(app, tech=tech)
    auth.login("teo")
    _bulk(client, "add_tag", "", tag_id=str(_tag_id(app)))
    run_jobs(app)
    assert _tagged(app) == {"Bulkkund 0 AB", "Bulkkund 1 AB"}
    assert "ändrade 2, oförändrade 0, överhoppade (ingen rätt att ändra) 0" in _last_job(app).summary

    page = client.get("/admin/customer/").get_data(as_text=True)
    client.post("/admin/customer/bulk/", data={"csrf_token": csrf_from(page), "bulk_action": "export", "query": ""})
    run_jobs(app)
    job = _last_job(app)
    assert (job.kind, job.status) == ("list_export", "done")
    with client.get(f"/admin/jobs/{job.id}/result") as download:
        assert download.status_code == 200
        rows = list(load_workbook(io.BytesIO(download.data), read_only=True).active.iter_rows(values_only=True))
    assert sorted(r[1] for r in rows[1:]) == ["Bulkkund 0 AB", "Bulkkund 1 AB"]


def test_without_the_right_the_action_is_refused_and_the_result_not_downloaded(app, client, auth, admin_user):
    make_user(app, "vera", {"customer.view"})
    make_user(app, "ebba", {"customer.view", "customer.edit", "customer.export"})
    _customers(app)
    auth.login("vera")  # may see, not change, assign or export
    for action in ("add_tag", "inactivate", "assign_add", "export"):
        assert _bulk(client, action, "search=Bulkkund", tag_id=str(_tag_id(app))).status_code == 403, action
    assert _bulk(client, "delete_everything", "search=Bulkkund").status_code == 400
    auth.logout()

    auth.login("ebba")  # may change and export, not assign technicians
    assert _bulk(client, "assign_add", "search=Bulkkund", user_ids="1").status_code == 403
    response = _bulk(client, "add_tag", "search=Bulkkund", tag_id="")  # bad input: shown, nothing started
    assert response.status_code == 302
    assert "Välj en tagg." in client.get(response.headers["Location"]).get_data(as_text=True)
    _bulk(client, "export", "search=Bulkkund")
    run_jobs(app)
    job = _last_job(app)
    with client.get(f"/admin/jobs/{job.id}/result") as download:
        assert download.status_code == 200
    auth.logout()
    with app.app_context():  # the export right taken away: the file does not download any more
        from models import RoleRight
        ebba = db.session.scalar(select(User).where(User.username == "ebba"))
        db.session.execute(RoleRight.__table__.delete().where(RoleRight.role_id == ebba.role_id,
                                                              RoleRight.right == "customer.export"))
        db.session.commit()
    auth.login("ebba")
    assert client.get(f"/admin/jobs/{job.id}/result").status_code == 403


def test_export_all_holds_the_lists_export_columns_of_the_whole_register(app, client, auth, admin_user):
    _customers(app)
    auth.login("admin")
    page = client.get("/admin/customer/?search=Bulkkund").get_data(as_text=True)
    client.post("/admin/customer/bulk/", data={"csrf_token": csrf_from(page), "bulk_action": "export", "query": ""})
    run_jobs(app)
    job = _last_job(app)
    assert job.status == "done" and job.summary == "7 rader exporterades."
    state = client.get(f"/admin/jobs/{job.id}/status").get_json()
    with client.get(state["result_url"]) as download:
        assert download.headers["Content-Disposition"].endswith(f"customer-export-{job.id}.xlsx")
        rows = list(load_workbook(io.BytesIO(download.data), read_only=True).active.iter_rows(values_only=True))
    with client.get("/admin/customer/export/xlsx/") as direct:  # the list's own export: the same columns
        titles = next(load_workbook(io.BytesIO(direct.data), read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == titles and rows[0][:2] == ("Kundnummer", "Namn")
    assert len(rows) == 8 and {r[1] for r in rows[1:]} >= {"Annan Firma AB", "Bulkkund 5 AB"}


def test_vehicle_list_exports_all_matching(app, client, auth, admin_user):
    with app.app_context():
        db.session.add_all([Vehicle(registration_number=f"BLK{i}", model="Volvo V70" if i < 3 else "Saab")
                            for i in range(5)])
        db.session.commit()
    auth.login("admin")
    _bulk(client, "export", "search=BLK", endpoint="vehicle")
    assert _bulk(client, "add_tag", "search=BLK", endpoint="vehicle").status_code == 400
    run_jobs(app)
    job = _last_job(app)
    assert job.status == "done", job.error
    with client.get(f"/admin/jobs/{job.id}/result") as download:
        rows = list(load_workbook(io.BytesIO(download.data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 6


def test_a_processing_list_of_every_matching_customer(app, client, auth, admin_user):
    ids = _customers(app)
    auth.login("admin")
    _bulk(client, "processing_list", "search=Bulkkund", list_name="Alla bulkkunder", shared="y")
    run_jobs(app)
    assert _last_job(app).summary == "6 kunder på bearbetningslistan Alla bulkkunder."
    with app.app_context():
        plist = db.session.scalar(select(ProcessingList).where(ProcessingList.name == "Alla bulkkunder"))
        assert plist.shared and plist.query == "search=Bulkkund"
        assert sorted(i.customer_id for i in plist.items) == sorted(ids)


def test_assign_technicians_to_every_matching_customer(app, client, auth, admin_user):
    tech = make_user(app, "tor", {"customer.view_assigned"})
    ids = _customers(app, count=3)
    auth.login("admin")
    _bulk(client, "assign_add", "search=Bulkkund", user_ids=str(tech))
    run_jobs(app)
    assert _last_job(app).status == "done", _last_job(app).error
    with app.app_context():
        assert all([u.id for u in db.session.get(Customer, i).technicians] == [tech] for i in ids)
