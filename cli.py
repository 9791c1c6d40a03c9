"""`flask --app app ...` commands. Each prints a clear error and exits non-zero on bad input."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from models import db
from services import DomainError


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db():
    """Apply migrations, add default settings data and the admin user."""
    from flask_migrate import upgrade

    from services.platform.setup import ensure_admin, seed_defaults

    upgrade()
    seed_defaults(db.session)
    user, password = ensure_admin(db.session, current_app.config.get("ADMIN_PASSWORD"), current_app.instance_path)
    click.echo(f"Database ready. Administrator: {user} / {password}")


@click.command("demo-data")
@click.option("--customers", default=320, show_default=True)
@click.option("--seed", default=2026, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when customers exist already.")
@with_appcontext
def demo_data(customers: int, seed: int, if_empty: bool):
    """Fill the database with a believable Swedish workshop."""
    from sqlalchemy import func, select

    import demo
    from models import Customer
    from services.platform.setup import seed_defaults

    seed_defaults(db.session)
    if if_empty and db.session.scalar(select(func.count()).select_from(Customer)):
        click.echo("Demo data skipped: the database has customers already.")
        return
    summary = demo.create_demo_data(db.session, customers=customers, seed=seed)
    click.echo("Demo data created: " + ", ".join(f"{v} {k}" for k, v in summary.items()))


@click.command("create-user")
@click.argument("name")
@click.option("--role", required=True, help="Role name, case-insensitive.")
@click.option("--full-name", default="")
@with_appcontext
def create_user_command(name: str, role: str, full_name: str):
    """Create a user; the password is asked for, or read from stdin when it is not a terminal."""
    from services.platform.auth import create_user

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = create_user(db.session, name, password, role, full_name)
    except DomainError as exc:
        db.session.rollback()
        _fail(exc.message)
    click.echo(f"User {user.username} created with role {user.role.name}.")


@click.command("export-peppol")
@click.argument("invoice_number")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="File to write the UBL XML to.")
@with_appcontext
def export_peppol(invoice_number: str, output: str):
    """Write a finalised invoice or credit note as a Peppol BIS Billing 3.0 UBL file."""
    from sqlalchemy import select

    from models import Invoice
    from reports.sales.peppol import invoice_xml
    from services.platform.settings import load_settings

    invoice = db.session.scalar(select(Invoice).where(Invoice.number == invoice_number.strip()))
    if invoice is None:
        _fail(f"no invoice or credit note has the number {invoice_number!r}")
    from services import DomainError

    try:
        xml = invoice_xml(invoice, load_settings(db.session))
    except DomainError as exc:
        _fail(exc.message)
    try:
        with open(output, "wb") as fh:
            fh.write(xml)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"{invoice} written to {output}.")


@click.group("bench")
def bench_group():
    """Benchmarks (bench/): each fills a separate database and prints medians and ratios."""


# --- customer import / export (issue: low-code register settings) ---------------------------

@click.command("import-customers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--update", is_flag=True, help="Update existing customers matched by customer number.")
@click.option("--valid-only", is_flag=True, help="Import the valid rows and skip rows with errors.")
@click.option("--kind", type=click.Choice(["company", "private"]), help="Kind of rows without a kind column.")
@with_appcontext
def import_customers(path: str, update: bool, valid_only: bool, kind: str | None):
    """Import customers from an XLSX or CSV file in the template's layout (one transaction)."""
    import os

    from services.registers import customer_import, register_config
    from services.platform.settings import load_settings

    data, _user = _upload_of(path, customer_import.MAX_BYTES, None)
    config, settings = register_config.current(db.session), load_settings(db.session)
    try:
        rows = customer_import.read_file(os.path.basename(path), data, kind, config)
        for sheet, header in rows.unknown:
            click.echo(f"{sheet + ': ' if sheet else ''}unknown column {header!r} (not imported)", err=True)
        results = customer_import.check_rows(db.session, config, settings, rows, update, kind)
        for row in results:
            for column, message in row.errors:
                click.echo(f"{row.sheet + ' ' if row.sheet else ''}row {row.number}, {column}: {message}", err=True)
        counts = customer_import.apply(db.session, config, settings, results, valid_only, update)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(exc.message)
    click.echo(f"Imported: {counts['created']} created, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged, {counts['skipped']} skipped.")


def _upload_of(path: str, max_bytes: int, username: str | None):
    """A file given to an import command, read whole within the upload limit, and the user the
    import is recorded as (None without --user)."""
    import os

    from sqlalchemy import select

    from models import User

    if os.path.getsize(path) > max_bytes:
        _fail(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    user = None
    if username:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            _fail(f"No user {username!r}.")
    with open(path, "rb") as handle:
        return handle.read(), user


@click.command("import-bgmax")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", help="The user the import is booked as (default: none).")
@with_appcontext
def import_bgmax_command(path: str, username: str | None):
    """Import a BgMax file of bankgiro payments (one transaction): matched payments are booked
    to their invoices, the others to the suspense account for manual matching."""
    import os

    from services.ledger.bgmax_import import MAX_BYTES, import_bgmax

    data, user = _upload_of(path, MAX_BYTES, username)
    try:
        result = import_bgmax(db.session, data, os.path.basename(path), user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(exc.message)
    for note in result.skipped:
        click.echo(f"line {note['line']}: not booked ({note['kind']}) {note['amount']}", err=True)
    click.echo(f"Payments: {result.payments}, booked: {len(result.booked)}, unmatched: {len(result.unmatched)}, "
               f"deductions: {len(result.deductions)}, skipped: {len(result.skipped)}, total: {result.total:.2f}")


@click.command("import-sie")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", help="The user the import is recorded as (default: none).")
@click.option("--dry-run", is_flag=True, help="Show what the import would do and write nothing.")
@with_appcontext
def import_sie_command(path: str, username: str | None, dry_run: bool):
    """Import a chart of accounts and opening balances (#IB 0) from another system's SIE 4 file
    (one transaction: all or nothing)."""
    from services.ledger import sie_import

    data, user = _upload_of(path, sie_import.MAX_BYTES, username)
    try:
        result = sie_import.preview(db.session, data) if dry_run else sie_import.apply_import(db.session, data, user)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(exc.message)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Accounts: {len(result.new)} new, {len(result.renamed)} renamed, {len(result.unchanged)} unchanged; "
               f"opening balances: {len(result.opening)}"
               + (f" for {result.year_start.isoformat()} - {result.year_end.isoformat()}" if result.opening else "")
               + (" (dry run: nothing written)" if dry_run else ""))


@click.command("export-customers")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_customers(path: str):
    """Export company and private customers to XLSX in the import layout."""
    from services.registers import customer_import, register_config

    if not path.lower().endswith(".xlsx"):
        _fail("The export file must end in .xlsx.")
    data = customer_import.write_workbook(db.session, register_config.current(db.session))
    with open(path, "wb") as handle:
        handle.write(data)
    click.echo(f"Exported customers to {path}.")


# --- the job queue's consumer (issue 11) --------------------------------------------------------

@click.command("jobs-worker")
@click.option("-w", "--workers", default=2, show_default=True, help="Jobs run at once by this consumer.")
@click.option("-k", "--worker-type", type=click.Choice(["thread", "process"]), default="thread", show_default=True,
              help="Run the jobs in threads or in processes of their own.")
@click.option("--no-periodic", is_flag=True, help="Leave the scheduled tasks to another consumer.")
@click.option("-v", "--verbose", is_flag=True, help="Log every task.")
@with_appcontext
def jobs_worker(workers: int, worker_type: str, no_periodic: bool, verbose: bool):
    """Run a consumer of the job queue (Huey's consumer on VERKSTAD_JOBS_URL); Ctrl-C stops it
    after the running jobs, a second Ctrl-C at once. Start as many as you like, on any machine
    that reaches the job storage, the database and the files directory."""
    import logging

    from services.platform.job_queue import QueueUnavailable

    queue = current_app.extensions["jobs"]
    if queue.huey.immediate:
        _fail("VERKSTAD_JOBS_URL is immediate: (tasks run inside the caller); a consumer has nothing to do.")
    try:
        queue.ready()
    except QueueUnavailable as exc:
        _fail(f"The job storage does not answer: {exc}")
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    from services.platform import jobs

    jobs.fail_abandoned(db.session)  # jobs of a consumer on this machine that was killed
    db.session.remove()
    consumer = queue.huey.create_consumer(workers=workers, worker_type=worker_type, periodic=not no_periodic,
                                          check_worker_health=True, max_delay=1.0)
    click.echo(f"Job consumer: {workers} {worker_type} worker(s) on {type(queue.huey.storage).__name__}.")
    consumer.run()

@click.command("book-history")
@with_appcontext
def book_history_command():
    """Vouchers for every finalised invoice and credit note that has none (invoices finalised
    before the ledger existed), in one transaction; a second run books nothing.

    A one-off administrator's command, run once when the ledger is taken into use (by whoever
    installs it, at the server): no screen starts it, so it stays a CLI command and is not a job.
    All or nothing: the first document that cannot be booked (a locked period) rolls back every
    voucher of the run. Idempotent: documents with a voucher are skipped, and the unique index
    ix_voucher_one_per_document refuses a second voucher of a document when two runs meet."""
    from services.ledger.documents import book_history
    from services.platform.settings import load_settings

    try:
        result = book_history(db.session, None, load_settings(db.session))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(exc.message)
    booked = result.booked_invoices + result.booked_credit_notes
    if not booked:
        click.echo(f"Nothing to book: {result.already} invoices and credit notes have their vouchers already"
                   + (f", {result.empty} are of zero" if result.empty else "") + ".")
        return
    click.echo(f"Booked {result.booked_invoices} invoices (series F) and {result.booked_credit_notes} credit notes "
               f"(series K); {result.already} had their vouchers already"
               + (f", {result.empty} are of zero" if result.empty else "") + ".")


@click.command("export-sie")
@click.option("--from", "date_from", required=True, metavar="YYYY-MM-DD", help="First day of the period.")
@click.option("--to", "date_to", required=True, metavar="YYYY-MM-DD", help="Last day of the period.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="File to write the SIE 4 export to (e.g. books-2026.se).")
@click.option("--ksumma/--no-ksumma", "checksum", default=None,
              help="Write #KSUMMA (CRC-32); default: as the setting ledger.sie_checksum says.")
@click.option("--plain", is_flag=True, help="Without special characters (å ä ö as a a o, 90.22).")
@click.option("--used-accounts", is_flag=True, help="Only the accounts with transactions (default: every active account).")
@with_appcontext
def export_sie_command(date_from: str, date_to: str, output: str, checksum, plain: bool, used_accounts: bool):
    """Write the books of a period as a SIE type 4 file (PC8), streamed from the database."""
    import os

    from services.ledger.sie_export import export_to_file, parse_period, summary
    from services.platform.settings import load_settings

    try:
        start, end = parse_period(date_from, date_to)
    except DomainError as exc:
        _fail(f"--{exc.field}: {exc.message}")
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        _fail(f"cannot write {output}: the folder {folder} does not exist")
    if os.path.isdir(output):
        _fail(f"cannot write {output}: it is a folder")
    try:
        result = export_to_file(db.session, output, start, end, load_settings(db.session), checksum=checksum,
                                plain=plain, used_only=used_accounts)
    except DomainError as exc:
        db.session.rollback()
        _fail(exc.message)
    except OSError as exc:
        db.session.rollback()
        _fail(f"cannot write {output}: {exc.strerror}")
    db.session.rollback()  # read only
    click.echo(summary(result) + f" {result.accounts} accounts; written to {output}"
               + (f" (#KSUMMA {result.checksum})" if result.checksum is not None else "") + ".")


def register_cli(app) -> None:
    import bench.registers  # noqa: F401  (adds `bench registers` to bench_group)
    import bench.sales  # noqa: F401  (adds `bench sales`)
    import bench.lowcode  # noqa: F401  (adds `bench lowcode`)
    import bench.load  # noqa: F401  (adds `bench load`)
    import bench.bookings  # noqa: F401  (adds `bench calendar`)
    import bench.search  # noqa: F401  (adds `bench search`)
    import bench.cards  # noqa: F401  (adds `bench card`)
    import bench.list_export  # noqa: F401  (adds `bench list-export`)
    import bench.ledger_formats  # noqa: F401  (adds `bench bgmax` and `bench sie-export`)
    import bench.ledger_db  # noqa: F401  (adds `bench ledger`: SIE export and VAT report from the database)
    import bench.bgmax_import  # noqa: F401  (adds `bench bgmax-import`)

    for command in COMMANDS:
        app.cli.add_command(command)


COMMANDS = [init_db, demo_data, create_user_command, bench_group, export_peppol, import_customers, export_customers,
            jobs_worker, book_history_command, export_sie_command, import_bgmax_command,
            import_sie_command]
