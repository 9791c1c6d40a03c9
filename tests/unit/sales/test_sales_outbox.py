"""E-mail outbox: without SMTP settings a document stays queued; with them it is really sent
over SMTP (to a minimal SMTP server on a local port, run by the test)."""
import base64
import email
import socketserver
import ssl
import subprocess
import threading

import pytest

from models import DocumentRecipient
from services import DomainError
from services.sales import outbox
from tests import sales_helpers as h


class _SMTPHandler(socketserver.BaseRequestHandler):
    """Enough of RFC 5321 and what a submission server on port 587 adds: EHLO offers STARTTLS
    (RFC 3207); after the TLS handshake the client says EHLO again and AUTH PLAIN/LOGIN
    (RFC 4954) is offered, never before. With users set, MAIL needs a successful AUTH."""

    def handle(self):
        self.conn, self.tls, self.user = self.request, False, None
        self.reader = self.conn.makefile("rb")
        self.send(b"220 test ESMTP")
        while True:
            line = self.reader.readline()
            if not line:
                return
            self.server.log.append(line.split(b" ", 1)[0].strip().upper() if line[:4].upper() == b"AUTH"
                                   else line.strip().upper()[:8])
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                offers = [b"test", b"8BITMIME"]
                if not self.tls:
                    offers.append(b"STARTTLS")
                elif self.server.users:
                    offers.append(b"AUTH PLAIN LOGIN")
                self.send(b"\r\n".join(b"250-" + o for o in offers[:-1]) + (b"\r\n" if len(offers) > 1 else b"")
                          + b"250 " + offers[-1])
            elif verb == b"STAR":
                if self.tls:
                    self.send(b"503 TLS already active")
                    continue
                self.send(b"220 ready to start TLS")
                self.reader.close()
                self.conn = self.server.tls_context.wrap_socket(self.conn, server_side=True)
                self.reader = self.conn.makefile("rb")
                self.tls, self.user = True, None  # RFC 3207: forget what was said before
            elif verb == b"AUTH":
                self.authenticate(line.split())
            elif verb == b"MAIL":
                if self.server.users and self.user is None:
                    self.send(b"530 5.7.0 Authentication required")
                    continue
                self.envelope = {"from": line, "rcpt": [], "tls": self.tls, "user": self.user}
                self.send(b"250 OK")
            elif verb == b"RCPT":
                self.envelope["rcpt"].append(line.decode().split(":", 1)[1].strip(" <>\r\n"))
                self.send(b"250 OK")
            elif verb == b"DATA":
                self.send(b"354 go ahead")
                data = []
                while (chunk := self.reader.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.server.messages.append((self.envelope, b"".join(data)))
                self.send(b"250 queued")
            elif verb == b"QUIT":
                self.send(b"221 bye")
                return
            else:
                self.send(b"250 OK")

    def finish(self):
        self.reader.close()
        if self.conn is not self.request:  # the TLS socket wraps the server's one: closed here
            self.conn.close()

    def send(self, reply: bytes):
        self.conn.sendall(reply + b"\r\n")

    def authenticate(self, words: list[bytes]):
        if not self.tls or not self.server.users:
            self.send(b"530 5.7.0 Must issue a STARTTLS command first")
            return
        mechanism = words[1].upper() if len(words) > 1 else b""
        if mechanism == b"PLAIN":
            _authzid, user, password = base64.b64decode(words[2] if len(words) > 2 else self.ask(b"")).split(b"\0")
        elif mechanism == b"LOGIN":
            user = base64.b64decode(words[2] if len(words) > 2 else self.ask(b"Username:"))
            password = base64.b64decode(self.ask(b"Password:"))
        else:
            self.send(b"504 5.5.4 Unrecognized authentication type")
            return
        if self.server.users.get(user.decode()) == password.decode():
            self.user = user.decode()
            self.send(b"235 2.7.0 Authentication successful")
        else:
            self.send(b"535 5.7.8 Authentication credentials invalid")

    def ask(self, prompt: bytes) -> bytes:
        self.send(b"334 " + base64.b64encode(prompt))
        return self.reader.readline().strip()


@pytest.fixture(scope="module")
def tls_certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 made for the test (openssl): (cert, key)."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def tls_context(tls_certificate):
    """The server's side of STARTTLS."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_certificate)
    return context


@pytest.fixture(scope="module")
def trusting(tls_certificate):
    """A client context that trusts the test's certificate (as a system would trust a real CA)."""
    return ssl.create_default_context(cafile=str(tls_certificate[0]))


def _serve(tls_context, users: dict[str, str]):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages, server.log, server.users, server.tls_context = [], [], users, tls_context
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def smtp_server(tls_context):
    """A relay that offers STARTTLS and takes mail without AUTH (as on port 25)."""
    server = _serve(tls_context, {})
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def submission_server(tls_context):
    """A submission server as on port 587: STARTTLS, then AUTH, then mail."""
    server = _serve(tls_context, {"verkstad@example.se": "hemligt-losen-9"})
    yield server
    server.shutdown()
    server.server_close()


def test_queued_without_smtp_and_sent_with_it(session, smtp_server, trusting):
    cust = h.customer(session, email="info@bygg.example")
    session.add(DocumentRecipient(customer=cust, document_type="invoice", email="faktura@bygg.example"))
    session.flush()
    assert outbox.recipient_for(session, cust, "invoice") == "faktura@bygg.example"  # flagged (11.09)
    assert outbox.recipient_for(session, cust, "quote") == "info@bygg.example"
    message = outbox.queue(session, outbox.recipient_for(session, cust, "invoice"), "Faktura 10001", "Hej",
                           "faktura-10001.pdf", b"%PDF-1.4 test")
    assert outbox.send(message, h.settings(session)) is False and message.status == "queued"
    settings = h.settings(session, sales__smtp_host="127.0.0.1", sales__smtp_port=smtp_server.server_address[1],
                          sales__smtp_sender="verkstad@example.se")
    assert outbox.send(message, settings, tls=trusting) is True
    assert message.status == "sent" and message.sent_at is not None
    (envelope, raw), = smtp_server.messages
    assert envelope["rcpt"] == ["faktura@bygg.example"]
    assert envelope["tls"] and envelope["user"] is None  # STARTTLS offered: taken; no user: no AUTH
    mail = email.message_from_bytes(raw)
    assert mail["Subject"] == "Faktura 10001"
    attachment = next(p for p in mail.walk() if p.get_filename() == "faktura-10001.pdf")
    assert attachment.get_payload(decode=True) == b"%PDF-1.4 test"


def test_failed_sending_is_recorded_and_no_address_refused(session):
    cust = h.customer(session)
    with pytest.raises(DomainError):
        outbox.queue(session, outbox.recipient_for(session, cust, "invoice"), "x", "", "x.pdf", b"")
    message = outbox.queue(session, "a@b.example", "x", "", "x.pdf", b"%PDF")
    settings = h.settings(session, sales__smtp_host="127.0.0.1", sales__smtp_port=1, sales__smtp_sender="v@x.example")
    assert outbox.send(message, settings, timeout=2) is False
    assert message.status == "failed" and message.error


def test_sent_through_a_submission_server_with_starttls_and_auth(session, submission_server, trusting):
    """The path of a real port-587 server: EHLO, STARTTLS, EHLO again, AUTH, then the mail."""
    message = outbox.queue(session, "faktura@bygg.example", "Faktura 10002", "Hej", "faktura-10002.pdf", b"%PDF-1.4")
    settings = h.settings(session, sales__smtp_host="127.0.0.1", sales__smtp_port=submission_server.server_address[1],
                          sales__smtp_sender="verkstad@example.se", sales__smtp_user="verkstad@example.se",
                          sales__smtp_password="hemligt-losen-9")
    assert outbox.send(message, settings, tls=trusting) is True, message.error
    assert message.status == "sent"
    (envelope, raw), = submission_server.messages
    assert envelope["tls"] and envelope["user"] == "verkstad@example.se"
    assert envelope["rcpt"] == ["faktura@bygg.example"]
    assert email.message_from_bytes(raw)["Subject"] == "Faktura 10002"
    verbs = [v for v in submission_server.log if v[:4] in (b"EHLO", b"STAR", b"AUTH", b"MAIL")]
    assert [v[:4] for v in verbs] == [b"EHLO", b"STAR", b"EHLO", b"AUTH", b"MAIL"]


def test_a_wrong_smtp_password_is_recorded_and_nothing_sent(session, submission_server, trusting):
    message = outbox.queue(session, "faktura@bygg.example", "Faktura 10003", "Hej", "f.pdf", b"%PDF-1.4")
    settings = h.settings(session, sales__smtp_host="127.0.0.1", sales__smtp_port=submission_server.server_address[1],
                          sales__smtp_sender="verkstad@example.se", sales__smtp_user="verkstad@example.se",
                          sales__smtp_password="fel")
    assert outbox.send(message, settings, tls=trusting) is False
    assert message.status == "failed" and "535" in message.error
    assert submission_server.messages == []


def _submission_settings(session, server, password="hemligt-losen-9"):
    return h.settings(session, sales__smtp_host="127.0.0.1", sales__smtp_port=server.server_address[1],
                      sales__smtp_sender="verkstad@example.se", sales__smtp_user="verkstad@example.se",
                      sales__smtp_password=password)


def test_a_server_whose_certificate_is_not_trusted_gets_no_password(session, submission_server):
    """STARTTLS checks the certificate: with the system's roots the self-signed server is refused
    before AUTH, so the password never leaves."""
    message = outbox.queue(session, "faktura@bygg.example", "Faktura 10004", "Hej", "f.pdf", b"%PDF-1.4")
    assert outbox.send(message, _submission_settings(session, submission_server)) is False
    assert message.status == "failed" and "CERTIFICATE_VERIFY_FAILED" in message.error
    assert not any(v.startswith(b"AUTH") for v in submission_server.log) and submission_server.messages == []


def test_a_password_with_swedish_letters_is_recorded_not_raised(session, submission_server, trusting, english):
    """smtplib sends AUTH in ASCII: a password "lösen" failed with an exception out of send."""
    message = outbox.queue(session, "faktura@bygg.example", "Faktura 10005", "Hej", "f.pdf", b"%PDF-1.4")
    assert outbox.send(message, _submission_settings(session, submission_server, "lösenord-å"), tls=trusting) is False
    assert message.status == "failed" and "ASCII" in message.error
    assert submission_server.messages == []


# ---- sending by jobs (issue 11 item 3): services.sales.outbox.deliver and requeue_lost -----------------

import datetime as dt  # noqa: E402
import socket  # noqa: E402

from sqlalchemy import select  # noqa: E402

from models import OutboxMessage, utcnow  # noqa: E402
from services.platform.audit import ERASED  # noqa: E402
from services.platform.settings import set_setting  # noqa: E402


def _closed_port() -> int:
    """A local port nobody listens on: an SMTP server that is down (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reload(session, message_id) -> OutboxMessage:
    session.expire_all()
    return session.get(OutboxMessage, message_id)


def test_a_job_sends_a_queued_message_once(session, smtp_server, trusting):
    message = outbox.queue(session, "faktura@bygg.example", "Faktura 10006", "Hej", "f.pdf", b"%PDF-1.4")
    session.commit()
    settings = h.settings(session, sales__smtp_host="127.0.0.1", sales__smtp_port=smtp_server.server_address[1],
                          sales__smtp_sender="verkstad@example.se")
    outbox.deliver(session, message.id, retry_in=60, settings=settings, tls=trusting)
    sent = _reload(session, message.id)
    assert (sent.status, sent.attempts, sent.error) == ("sent", 1, None) and sent.sent_at is not None
    # a second job for the same message (the outbox retry raced a slow consumer) sends nothing
    outbox.deliver(session, message.id, retry_in=60, settings=settings, tls=trusting)
    assert len(smtp_server.messages) == 1 and _reload(session, message.id).attempts == 1


def test_without_smtp_a_job_leaves_the_message_queued_untried(session):
    message = outbox.queue(session, "faktura@bygg.example", "Faktura 10007", "Hej", "f.pdf", b"%PDF-1.4")
    session.commit()
    outbox.deliver(session, message.id, retry_in=60)
    assert (_reload(session, message.id).status, _reload(session, message.id).attempts) == ("queued", 0)


def test_refused_it_stays_queued_with_the_answer_and_the_last_retry_fails_it(session, submission_server, trusting):
    """The server's answer (535) is kept on the queued message between retries; the last retry
    leaves it failed with that answer."""
    message = outbox.queue(session, "faktura@bygg.example", "Faktura 10008", "Hej", "f.pdf", b"%PDF-1.4")
    session.commit()
    settings = _submission_settings(session, submission_server, password="fel")
    now = utcnow()
    with pytest.raises(outbox.SendingFailed, match="535"):
        outbox.deliver(session, message.id, retry_in=120, settings=settings, tls=trusting, now=now)
    waiting = _reload(session, message.id)
    assert waiting.status == "queued" and "535 5.7.8 Authentication credentials invalid" in waiting.error
    assert waiting.attempts == 1 and waiting.next_attempt_at == now + dt.timedelta(seconds=120)
    outbox.deliver(session, message.id, retry_in=None, settings=settings, tls=trusting)  # the last retry
    failed = _reload(session, message.id)
    assert failed.status == "failed" and "535 5.7.8" in failed.error and failed.attempts == 2
    assert submission_server.messages == []


def test_smtp_down_the_huey_task_retries_with_growing_delays_then_fails(app, session):
    """The real task on the app's real queue (Huey's SQLite storage), executed by Huey as a
    consumer would: the server does not answer, the message stays queued with the error after
    each attempt, Huey schedules a retry 1, 2, 4, 8, 16 minutes later, and after the fifth retry
    the message is failed with the error."""
    port = _closed_port()
    for key, value in (("sales.smtp_host", "127.0.0.1"), ("sales.smtp_port", port),
                       ("sales.smtp_sender", "verkstad@example.se")):
        set_setting(session, key, value)
    message = outbox.queue(session, "faktura@bygg.example", "Faktura 10009", "Hej", "f.pdf", b"%PDF-1.4")
    session.commit()
    queue = app.extensions["jobs"]
    huey = queue.huey
    assert outbox.enqueue_sending(queue.enqueue, outbox.prepare_sending(session)) == 1
    session.commit()
    task, delays = huey.dequeue(), []
    while task is not None:
        before = huey._get_timestamp()
        huey.execute(task, timestamp=max(task.eta or before, before))  # the consumer's clock at the retry's time
        m = _reload(session, message.id)
        retry = huey.read_schedule(before + dt.timedelta(days=1))
        if retry:
            assert m.status == "queued" and "Connection refused" in m.error
            (task,) = retry
            delays.append(round((task.eta - before).total_seconds() / 60))
        else:
            task = None
    assert delays == [1, 2, 4, 8, 16]
    assert m.status == "failed" and "Connection refused" in m.error and m.attempts == 6
    assert huey.pending_count() == 0 and huey.scheduled_count() == 0


def test_the_outbox_retry_gives_lost_messages_a_new_job(app, session):
    now = utcnow()
    settings = h.settings(session, sales__smtp_host="127.0.0.1", sales__smtp_port=25,
                          sales__smtp_sender="verkstad@example.se")

    def message(subject, **fields):
        m = outbox.queue(session, "a@bygg.example", subject, "", "f.pdf", b"%PDF")
        for key, value in fields.items():
            setattr(m, key, value)
        return m

    never = message("never had a job")  # queued before SMTP was configured
    lost = message("lost", next_attempt_at=now - dt.timedelta(minutes=30))
    waiting = message("waits for its retry", next_attempt_at=now + dt.timedelta(minutes=8))
    due = message("just due", next_attempt_at=now - dt.timedelta(minutes=2))
    stuck = message("consumer killed while sending", status="sending", next_attempt_at=now - dt.timedelta(hours=1))
    busy = message("being sent", status="sending", next_attempt_at=now - dt.timedelta(seconds=5))
    message("sent", status="sent")
    message("failed", status="failed", next_attempt_at=now - dt.timedelta(hours=1))
    message("erased", recipient=ERASED, next_attempt_at=now - dt.timedelta(hours=1))
    session.commit()
    queue = app.extensions["jobs"]
    queue.ready()
    assert outbox.requeue_lost(session, queue.enqueue, h.settings(session), now=now) == 0  # no SMTP: nothing
    assert queue.huey.pending_count() == 0

    assert outbox.requeue_lost(session, queue.enqueue, settings, now=now) == 3
    assert sorted(t.args[0] for t in queue.huey.pending()) == sorted([never.id, lost.id, stuck.id])
    assert all(t.name == outbox.SEND_TASK for t in queue.huey.pending())
    session.expire_all()
    assert session.get(OutboxMessage, stuck.id).status == "queued"
    assert session.get(OutboxMessage, busy.id).status == "sending"
    assert session.get(OutboxMessage, never.id).next_attempt_at == now
    assert {session.get(OutboxMessage, i).next_attempt_at for i in (waiting.id, due.id)} == \
        {now + dt.timedelta(minutes=8), now - dt.timedelta(minutes=2)}
    # the next round finds them on the queue (due now), not lost
    assert outbox.requeue_lost(session, queue.enqueue, settings, now=now + dt.timedelta(minutes=5)) == 0


def test_send_again_queues_failed_messages_but_never_erased_ones(session):
    failed = outbox.queue(session, "a@bygg.example", "x", "", "f.pdf", b"%PDF")
    failed.status, failed.attempts, failed.error = "failed", 6, "421 try later"
    erased = outbox.queue(session, "a@bygg.example", "y", "", "f.pdf", b"%PDF")
    outbox.cancel_unsent(session, OutboxMessage.id == erased.id)
    sent = outbox.queue(session, "a@bygg.example", "z", "", "f.pdf", b"%PDF")
    sent.status = "sent"
    session.commit()
    assert outbox.prepare_sending(session) == [failed.id]
    assert (failed.status, failed.attempts, failed.error) == ("queued", 0, "421 try later")
    assert session.get(OutboxMessage, erased.id).status == "failed"
    assert session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == sent.id)) == "sent"
