"""The office users of the load test (bench/load.py runs this with Locust, headless).

OfficeUser (20 of them): log in, then search the customer list, open customer cards, use the
global search, edit a customer (the form as the browser sends it back) and create an order.
ImportUser (one): uploads a customer file of IMPORT_ROWS rows, starts its import and follows it
until it ends, again and again. Settings come from the environment bench/load.py sets:
LOAD_PASSWORD, LOAD_CUSTOMERS (ids 1..N exist), LOAD_IMPORT_ROWS."""
from __future__ import annotations

import os
import random
import re
import time
from html.parser import HTMLParser

from locust import HttpUser, between, task
from stdnum import luhn

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
CUSTOMERS = int(os.environ.get("LOAD_CUSTOMERS", "1000"))
IMPORT_ROWS = int(os.environ.get("LOAD_IMPORT_ROWS", "10000"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# what a page that did not save says: the messages next to fields and the flashed ones
MESSAGE = re.compile(r'<div class="[^"]*(?:invalid-feedback|alert-danger)[^"]*"[^>]*>(.{0,400}?)</div>', re.S)


def why(html: str) -> str:
    texts = (" ".join(re.sub(r"<[^>]+>", " ", m).split()) for m in MESSAGE.findall(html))
    said = "; ".join(dict.fromkeys(t for t in texts if t))
    if said:
        return said
    alert = re.search(r'<div class="alert[^"]*"[^>]*>(.{0,300}?)</div>', html, re.S)  # a stale-form notice, say
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    found = alert or title
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else "no message"


class FormFields(HTMLParser):
    """The fields of the largest POST form of a page, with the values the browser would send."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._multiple = False
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select is not None and self._form is not None:
                value = a.get("value", "")
                if self._first_option is None:
                    self._first_option = value
                if "selected" in a:
                    self._form[self._select] = value
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form[name] = a.get("value", "y")
            elif kind not in ("submit", "button", "file"):
                self._form[name] = a.get("value", "")
        elif tag == "select":
            self._select, self._first_option, self._multiple = name, None, "multiple" in a
        elif tag == "textarea":
            self._textarea = name
            self._form[name] = ""

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._form is not None and self._select:
            if not self._multiple:  # a single select sends its first option when none is selected
                self._form.setdefault(self._select, self._first_option or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(html: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(html)
    return max(parser.forms, key=len) if parser.forms else {}


# Measured is the steady state: the statistics are reset once every user has logged in (21
# password hashes at once take the machine's CPU for seconds) and opened each page once (each
# gunicorn worker compiles its templates on first use). The import starts after that.
READY = {"users": 0}


def _all_ready(environment) -> bool:
    return READY["users"] >= environment.parsed_options.num_users


def _ready(user) -> None:
    READY["users"] += 1
    if _all_ready(user.environment):
        user.environment.runner.stats.reset_all()


class Office(HttpUser):
    abstract = True

    def on_start(self):
        page = self.client.get("/login", name="login page").text
        response = self.client.post("/login", name="log in", allow_redirects=False, data={
            "username": "bench", "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)})
        if response.status_code != 302:
            raise RuntimeError(f"log-in failed: {response.status_code}")


class OfficeUser(Office):
    weight = 20
    wait_time = between(1, 3)

    def on_start(self):
        super().on_start()
        for url in ("/admin/customer/?search=Kund 1", "/admin/customer/details/?id=1", "/admin/search/json?q=1",
                    "/admin/customer/edit/?id=1", "/admin/order/new/"):
            self.client.get(url, name="warm-up")
        _ready(self)

    def _customer(self) -> int:
        return random.randint(1, CUSTOMERS)

    @task(4)
    def search_customers(self):
        self.client.get(f"/admin/customer/?search=Kund {self._customer()}", name="customer list search")

    @task(4)
    def open_card(self):
        self.client.get(f"/admin/customer/details/?id={self._customer()}", name="customer card")

    @task(2)
    def global_search(self):
        self.client.get(f"/admin/search/json?q={self._customer() + 1_000_000}", name="global search (as typed)")

    @task(1)
    def edit_customer(self):
        customer = self._customer()
        url = f"/admin/customer/edit/?id={customer}"
        fields = form_of(self.client.get(url, name="customer edit form").text)
        fields["phone"] = f"08-{random.randint(1_000_000, 9_999_999)}"
        if fields.get("kind") == "company":
            # the bench data's numbers have no valid check digit; a new one, valid and not used yet
            body = f"55{random.randrange(10_000_000):07d}"
            number = body + luhn.calc_check_digit(body)
            fields["org_number"] = f"{number[:6]}-{number[6:]}"
        elif fields.get("kind") == "private":
            # the same for a personal identity number (born 1980-01-01 .. 1980-12-28)
            body = f"80{random.randint(1, 12):02d}{random.randint(1, 28):02d}{random.randrange(1000):03d}"
            fields["personal_number"] = f"19{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"
        with self.client.post(url, data=fields, name="customer save", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"not saved ({response.status_code}): {why(response.text)}")

    @task(1)
    def create_order(self):
        page = self.client.get("/admin/order/new/", name="order form").text
        with self.client.post("/admin/order/new/", name="order create", allow_redirects=False, catch_response=True,
                              data={"csrf_token": CSRF.search(page).group(1), "kind": "order",
                                    "customer": str(self._customer()), "order_date": time.strftime("%Y-%m-%d")}) \
                as response:
            if response.status_code != 302:
                response.failure(f"not created ({response.status_code}): {why(response.text)}")


class ImportUser(Office):
    fixed_count = 1
    wait_time = between(1, 2)

    def on_start(self):
        super().on_start()
        _ready(self)

    @task
    def import_customers(self):
        if not IMPORT_ROWS or not _all_ready(self.environment):
            return  # the control run (the office users alone), or the others are still warming up
        start = 5_000_000 + random.randrange(1_000_000) * 10 + int(time.time()) % 10 * IMPORT_ROWS
        rows = ["customer_number;kind;name;org_number"] + [
            f"{start + i};company;Lastkund {start + i} AB;556036-0793" for i in range(IMPORT_ROWS)]
        csrf = CSRF.search(self.client.get("/admin/customer-import/", name="import page").text).group(1)
        checked = self.client.post("/admin/customer-import/upload", name="import upload (checked)",
                                   data={"csrf_token": csrf, "kind": "company"},
                                   files={"file": ("load.csv", ("\n".join(rows) + "\n").encode("utf-8-sig"))}).text
        token = re.search(r'name="token" value="([0-9a-f]+)"', checked)
        if not token:
            return
        started = self.client.post("/admin/customer-import/run", name="import start", data={
            "csrf_token": csrf, "token": token.group(1), "suffix": ".csv", "kind": "", "update": "0",
            "mode": "all"})
        if started.status_code != 202:
            return
        status_url = started.json()["status_url"]
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = self.client.get(status_url, name="job status").json()
            if state["status"] not in ("queued", "running"):
                break
            time.sleep(1)  # a browser polls the status once a second, as the Jobs page does
