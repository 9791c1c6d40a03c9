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
