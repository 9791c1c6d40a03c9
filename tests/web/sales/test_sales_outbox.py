"""The e-mail outbox through the test client (issue 11 item 3): the send button puts a job per
message on the app's real queue (Huey's SQLite storage) without talking to SMTP; a job run as the
consumer runs it leaves the SMTP error on the message, and the list shows status and error."""
import datetime as dt
import socket

from sqlalchemy import select

from models import OutboxMessage, db
from services.platform.settings import set_setting
from services.sales import outbox


def _message(subject, **fields) -> int:
    message = outbox.queue(db.session, "kund@bygg.example", subject, "Hej", "f.pdf", b"%PDF-1.4")
    for key, value in fields.items():
        setattr(message, key, value)
    db.session.commit()
    return message.id


def test_the_outbox_list_shows_each_status_and_the_servers_answer(app, client, auth, admin_user):
    with app.app_context():
        _message("Faktura 20001", status="failed", attempts=6, error="550 5.1.1 Mailbox unavailable")
        _message("Faktura 20002", status="queued", attempts=2, error="421 4.7.0 Try again later",
                 next_attempt_at=dt.datetime(2026, 12, 3, 12, 0))
        _message("Faktura 20003", status="sending", attempts=1)
    auth.login()
    page = client.get("/admin/outboxmessage/").get_data(as_text=True)
    for text in ("Misslyckad", "I kö", "Skickas", "550 5.1.1 Mailbox unavailable", "421 4.7.0 Try again later",
                 "Försök"):
        assert text in page, text
    waiting = client.get("/admin/outboxmessage/?flt0_0=queued").get_data(as_text=True)
    assert "Faktura 20002" in waiting and "Faktura 20001" not in waiting


def test_send_puts_jobs_on_the_queue_and_a_failed_attempt_shows_its_error(app, client, auth, admin_user):
    with socket.socket() as s:  # a port nobody listens on: the SMTP server is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with app.app_context():
        for key, value in (("sales.smtp_host", "127.0.0.1"), ("sales.smtp_port", port),
                           ("sales.smtp_sender", "verkstad@example.se")):
            set_setting(db.session, key, value)
        queued = _message("Faktura 20004")
        failed = _message("Faktura 20005", status="failed", attempts=6, error="550 old answer")
        _message("Faktura 20006", status="sent")
    auth.login()
    token = auth.token("/admin/outboxmessage/")
    page = client.post("/admin/outboxmessage/send-queued", data={"csrf_token": token}, follow_redirects=True)
    assert "2 meddelanden lades i kö för att skickas." in page.get_data(as_text=True)
    huey = app.extensions["jobs"].huey
    assert sorted(t.args[0] for t in huey.pending()) == [queued, failed]
    with app.app_context():  # the request did not try: nothing was attempted yet
        rows = {m.id: (m.status, m.attempts) for m in db.session.scalars(select(OutboxMessage))}
    assert rows[queued] == ("queued", 0) and rows[failed] == ("queued", 0)

    for _ in huey.pending():  # the consumer's first attempt at each
        huey.execute(huey.dequeue())
    assert huey.scheduled_count() == 2  # each to be retried
    listing = client.get("/admin/outboxmessage/").get_data(as_text=True)
    assert listing.count("Connection refused") == 2 and "550 old answer" not in listing
