"""Comments with @mentions on the customer card."""
from sqlalchemy import select

from models import Comment, Customer, Notification, OutboxMessage, db
from tests.factories import csrf_from, make_user
from tests.factories import post_customer as create
from tests.card_tabs import opened_card


def test_comment_with_mentions_notifies_and_queues_mail(app, client, auth, admin_user):
    lotta = make_user(app, "lotta", {"customer.view"}, full_name="Lotta Lind", email="lotta@verkstad.example",
                      email_notifications=True)
    olle = make_user(app, "olle", {"customer.view"}, full_name="Olle Berg")
    auth.login()
    create(client, auth)
    with app.app_context():
        cid = db.session.scalar(select(Customer.id))
    card = opened_card(client, cid)
    assert 'id="tab-comments"' in card
    assert client.get("/admin/comments/users?q=lot").get_json() == [{"username": "lotta", "name": "Lotta Lind"}]
    token = csrf_from(card, last=False)
    r = client.post(f"/admin/comments/customer/{cid}", data={
        "csrf_token": token, "body": "@lotta @olle hur går det med <b>denna</b>?"})
    assert r.status_code == 302
    card = opened_card(client, cid)
    assert "&lt;b&gt;denna&lt;/b&gt;" in card  # escaped
    with app.app_context():
        assert db.session.scalar(select(Comment)).body.startswith("@lotta")
        notes = db.session.scalars(select(Notification).where(Notification.user_id.in_([lotta, olle]))).all()
        assert sorted(n.user_id for n in notes) == sorted([lotta, olle])
        assert all(n.link.endswith("#tab-comments") for n in notes)
        mails = db.session.scalars(select(OutboxMessage)).all()
        assert [m.recipient for m in mails] == ["lotta@verkstad.example"]  # Olle did not ask for e-mail
    r = client.post(f"/admin/comments/customer/{cid}", data={"csrf_token": token, "body": "   "})
    with app.app_context():
        assert len(db.session.scalars(select(Comment)).all()) == 1
    auth.logout()
    make_user(app, "outsider", {"vehicle.view"})
    auth.login("outsider")
    token = csrf_from(client.get("/admin/").get_data(as_text=True), last=False)
    assert client.post(f"/admin/comments/customer/{cid}", data={"csrf_token": token, "body": "x"}).status_code == 403
