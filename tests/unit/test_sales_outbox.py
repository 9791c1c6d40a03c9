"""E-mail outbox: without SMTP settings a document stays queued; with them it is really sent
over SMTP (to a minimal SMTP server on a local port, run by the test)."""
import email
import socketserver
import threading

import pytest

from models import DocumentRecipient
from services import DomainError, outbox
from tests import sales_helpers as h


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-test\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL":
                self.server.envelope = {"from": line, "rcpt": []}
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"RCPT":
                self.server.envelope["rcpt"].append(line.decode().split(":", 1)[1].strip(" <>\r\n"))
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.server.messages.append((self.server.envelope, b"".join(data)))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_queued_without_smtp_and_sent_with_it(session, smtp_server):
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
    assert outbox.send(message, settings) is True
    assert message.status == "sent" and message.sent_at is not None
    (envelope, raw), = smtp_server.messages
    assert envelope["rcpt"] == ["faktura@bygg.example"]
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
