"""Processing lists: save the list's search, share, tick off with a note, progress."""
from sqlalchemy import select

from models import Customer, Job, ProcessingList, db
from tests.factories import csrf_from, make_user, run_jobs


def test_save_search_share_and_tick_off(app, client, auth, admin_user):
    with app.app_context():
        db.session.add_all([Customer(customer_number=str(1000 + i), name=f"Taxi {i} AB" if i < 3 else f"Bud {i} AB")
                            for i in range(5)])
        db.session.commit()
    auth.login()
    page = client.get("/admin/customer/?search=taxi").get_data(as_text=True)
    assert 'id="save-list-form"' in page
    token = csrf_from(page, last=False)
    r = client.post("/admin/processing-lists/save", data={"csrf_token": token, "name": "Taxibolag",
                                                         "query": "search=taxi", "shared": "on"})
    assert r.status_code == 302
    assert run_jobs(app) == 1  # a job over every customer of the search (services.platform.list_jobs)
    with app.app_context():
        plist = db.session.scalar(select(ProcessingList))
        assert sorted(i.customer.name for i in plist.items) == ["Taxi 0 AB", "Taxi 1 AB", "Taxi 2 AB"]
        lid, item = plist.id, plist.items[0].id
    shown = client.get(f"/admin/processing-lists/{lid}").get_data(as_text=True)
    assert '<span id="list-progress">0 av 3 klara</span>' in shown
    client.post(f"/admin/processing-lists/{lid}/item/{item}", data={"csrf_token": token, "done": "on",
                                                                     "note": "Ringde, vill ha offert"})
    shown = client.get(f"/admin/processing-lists/{lid}").get_data(as_text=True)
    assert '<span id="list-progress">1 av 3 klara</span>' in shown and "Ringde, vill ha offert" in shown
    assert client.post("/admin/processing-lists/save", data={"csrf_token": token, "name": "",
                                                            "query": "search=taxi"}).status_code == 302
    assert "Ge listan ett namn." in client.get("/admin/customer/?search=taxi").get_data(as_text=True)
    r = client.post("/admin/processing-lists/save", data={"csrf_token": token, "name": "Tom",
                                                         "query": "search=finnsinte"})
    run_jobs(app)
    with app.app_context():
        assert len(db.session.scalars(select(ProcessingList)).all()) == 1  # nothing found: refused
        job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job.status == "failed" and job.error == "Sökningen hittar inga kunder."
    auth.logout()
    make_user(app, "olle", {"customer.view"})
    auth.login("olle")
    assert client.get(f"/admin/processing-lists/{lid}").status_code == 200  # shared
    with app.app_context():
        db.session.get(ProcessingList, lid).shared = False
        db.session.commit()
    assert client.get(f"/admin/processing-lists/{lid}").status_code == 403
