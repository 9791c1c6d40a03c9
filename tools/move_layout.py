"""One-off: move the flat layers into the domain packages of DESIGN.md (issue 11 item 9).

Run from the repository root, one layer per commit, the suite green after each:
    python3 tools/move_layout.py services   (then views, reports, templates, tests)
It moves with git mv (history kept for `git log --follow`) and rewrites every reference
(imports, dotted names, paths in comments, template names, babel-core.cfg, Makefile).
A module or test without a domain in the tables below stops it. Tried on 5ddf6e2: the app
starts and 613 unit and web tests passed; tests/unit/test_suite_structure.py's sample test
names need a hand edit afterwards. Delete this file once the move has landed."""
import re
import subprocess
import sys
from pathlib import Path

R, S, B, P = "registers", "sales", "bookings", "platform"
CODE = {
    "services": {
        "articles": R, "comments": R, "customer_files": R, "customer_import": R, "customers": R,
        "gdpr": R, "identifiers": R, "merge": R, "processing_lists": R, "references": R,
        "register_config": R, "vehicles": R,
        "insurance": S, "invoicing": S, "orders": S, "outbox": S, "pricing": S,
        "bookings": B,
        "audit": P, "auth": P, "formatting": P, "history": P, "listing": P, "locking": P,
        "notifications": P, "numbering": P, "numbers": P, "rights": P, "search": P, "settings": P,
        "setup": P, "visibility": P, "jobs": P, "job_queue": P, "tasks": P, "preferences": P, "secrets": P, "password_reset": P,
    },
    "views": {
        "articles": R, "comments": R, "customer_import": R, "customer_tools": R, "customers": R,
        "processing_lists": R, "register_settings": R, "vehicles": R,
        "sales": S, "bookings": B,
        "auth": P, "base": P, "cards": P, "dashboard": P, "errors": P, "form_layout": P,
        "history": P, "notifications": P, "registry": P, "search": P, "settings": P,
        "translations": P, "users": P, "jobs": P, "preferences": P,
    },
    "reports": {"personal_data": R, "mail": S, "peppol": S, "sales": S, "bookings": B, "xlsx": P},
}
TESTS = {
    "unit": {
        B: "booking_billing_rules booking_concurrency booking_demo booking_intervals bookings",
        S: "sales_insurance sales_invoicing sales_mail_texts sales_outbox sales_pdf sales_pdf_language "
           "sales_peppol sales_pricing pricing_rules peppol_official",
        R: "customer_files customer_import customer_import_template customer_types foreign_identifiers "
           "gdpr_merge identifiers register_config register_rules",
        P: "audit_append_only history_query listing numbering numbering_gapless numbers password_hash "
           "rights_table search_anchors search_folding two_factor preferences jobs jobs_consumer password_reset secrets secret_settings",
        "": "layers suite_structure translations migrations bench_database database_reset services",
    },
    "web": {
        B: "bookings",
        S: "sales sales_gaps peppol_export rule_guards",
        R: "assigned_only comments customer_files customer_identifiers customer_import customer_kind "
           "customer_tools customer_types customers lowcode_customers lowcode_settings processing_lists "
           "register_settings registers vehicle_custom_fields",
        P: "admin_guards auth_and_admin cards csrf form_layout global_search list_columns listing lookups "
           "numbers readable_history rights_table two_factor words jobs password_reset preferences",
        "": "smoke perf concurrency",
    },
}
ADMIN_TEMPLATES = {  # templates/admin/ keeps Flask-Admin's overrides (master, list, forms, card)
    R: "_comments _custom_field_layout customer_assign customer_details customer_form_create "
       "customer_form_edit customer_form_js customer_import customer_list customer_merge "
       "module_settings processing_lists register_settings",
    P: "dashboard my_columns _history _history_section jobs",
}
KEEP_ADMIN = "card form_create form_edit form_layout list master".split()
TEMPLATE_DIRS = {"auth": P, "errors": P, "search": P}  # templates/X/ -> templates/platform/X/
REPORT_TEMPLATES = {B: "_booking_base booking_certificate booking_confirmation booking_contract "
                       "booking_logbook booking_return", S: "sales_document", R: "personal_data"}
TEXT = {".py", ".html", ".txt", ".md", ".cfg", ".toml", ".ini", ".js", ""}
SKIP = {".venv", "node_modules", ".git", "instance", "mutants", "__pycache__"}


def git(*args):
    subprocess.run(["git", *args], check=True)


def files():
    for p in Path(".").rglob("*"):
        if p.is_file() and not SKIP & set(p.parts) and (p.suffix in TEXT or p.name == "Makefile"):
            yield p


def rewrite(fn):
    for p in files():
        old = p.read_text(encoding="utf-8", errors="surrogateescape")
        new = fn(old, p)
        if new != old:
            p.write_text(new, encoding="utf-8", errors="surrogateescape")


def ensure_package(path: Path, doc: str):
    path.mkdir(parents=True, exist_ok=True)
    init = path / "__init__.py"
    if not init.exists():
        init.write_text(f'"""{doc}"""\n', encoding="utf-8")
        git("add", str(init))


DOCS = {R: "Registers: customers, vehicles, articles, settings registers, the low-code configuration.",
        S: "Sales: quotes, orders, invoices, credit notes, pricing, the outbox.",
        B: "Bookings: loaner, rental and test-drive vehicles on the calendar.",
        P: "Platform: log-in, rights, audit, history, search, settings, numbering, notifications, jobs."}


def move_code(layer):
    mapping = CODE[layer]
    present = sorted(p.stem for p in Path(layer).glob("*.py") if p.stem != "__init__")
    unknown = [m for m in present if m not in mapping]
    if unknown:
        sys.exit(f"{layer}: no domain for {unknown}")
    mapping = {m: d for m, d in mapping.items() if m in present}
    for d in sorted(set(mapping.values())):
        ensure_package(Path(layer) / d, DOCS[d])
    for m, d in mapping.items():
        git("mv", f"{layer}/{m}.py", f"{layer}/{d}/{m}.py")
    names = "|".join(sorted(mapping, key=len, reverse=True))
    dotted = re.compile(rf"\b{layer}\.({names})\b")
    slashed = re.compile(rf"\b{layer}/({names})\.py\b")
    paren = re.compile(rf"^([ \t]*)from {layer} import \(([^)]*)\)", re.M)
    single = re.compile(rf"^([ \t]*)from {layer} import ([^\n(#]+?)([ \t]*#[^\n]*)?$", re.M)

    def split_from(match):
        """``from layer import a, b`` -> one import per domain package."""
        indent, body, comment = match.groups()
        by_domain, rest = {}, []
        for item in (i.strip() for i in body.split(",")):
            if item:
                name = item.split(" as ")[0].strip()
                (by_domain.setdefault(mapping[name], []) if name in mapping else rest).append(item)
        lines = [f"{indent}from {layer} import {', '.join(rest)}"] if rest else []
        lines += [f"{indent}from {layer}.{d} import {', '.join(v)}" for d, v in sorted(by_domain.items())]
        lines[0] += comment or ""
        return "\n".join(lines)

    def fn(text, path):
        # dotted names first: the split imports below name the new packages already
        text = dotted.sub(lambda m: f"{layer}.{mapping[m.group(1)]}.{m.group(1)}", text)
        text = slashed.sub(lambda m: f"{layer}/{mapping[m.group(1)]}/{m.group(1)}.py", text)
        text = paren.sub(lambda m: f"{m.group(1)}from {layer} import {' '.join(m.group(2).split())}", text)
        return single.sub(split_from, text)

    rewrite(fn)


def move_templates():
    renames = {}
    for d, names in ADMIN_TEMPLATES.items():
        for n in names.split():
            renames[f"admin/{n}.html"] = f"{d}/{n}.html"
    for old_dir, d in TEMPLATE_DIRS.items():
        for p in sorted(Path("templates", old_dir).glob("*.html")):
            renames[f"{old_dir}/{p.name}"] = f"{d}/{old_dir}/{p.name}"
    for d, names in REPORT_TEMPLATES.items():
        for n in names.split():
            renames[f"reports/{n}.html"] = f"reports/{d}/{n}.html"
    present = {str(p.relative_to("templates")) for p in Path("templates").rglob("*.html")}
    admin_left = {p for p in present if p.startswith("admin/")} - set(renames) - {f"admin/{n}.html" for n in KEEP_ADMIN}
    reports_left = {p for p in present if p.startswith("reports/")} - set(renames)
    if admin_left or reports_left:
        sys.exit(f"templates without a domain: {sorted(admin_left | reports_left)}")
    missing = set(renames) - present
    if missing:
        sys.exit(f"templates not found: {sorted(missing)}")
    for old, new in renames.items():
        Path("templates", new).parent.mkdir(parents=True, exist_ok=True)
        git("mv", f"templates/{old}", f"templates/{new}")
    quoted = re.compile(r"""(['"])(%s)\1""" % "|".join(re.escape(o) for o in sorted(renames, key=len, reverse=True)))
    pathed = re.compile(r"\btemplates/(%s)" % "|".join(re.escape(o) for o in sorted(renames, key=len, reverse=True)))

    def fn(text, path):
        text = quoted.sub(lambda m: f"{m.group(1)}{renames[m.group(2)]}{m.group(1)}", text)
        return pathed.sub(lambda m: f"templates/{renames[m.group(1)]}", text)

    rewrite(fn)
    cfg = Path("babel-core.cfg")
    text = cfg.read_text(encoding="utf-8")
    for old_dir, d in TEMPLATE_DIRS.items():
        text = text.replace(f"templates/{old_dir}/", f"templates/{d}/{old_dir}/")
    glob = "[jinja2: templates/admin/*.html]\nextensions = jinja2.ext.i18n\n"
    text = text.replace(glob, glob + "".join(glob.replace("admin", d) for d in sorted(ADMIN_TEMPLATES)))
    cfg.write_text(text, encoding="utf-8")


def move_tests():
    for kind, by_domain in TESTS.items():
        mapping = {f"test_{n}": d for d, names in by_domain.items() for n in names.split()}
        present = sorted(p.stem for p in Path("tests", kind).glob("test_*.py"))
        unknown = [m for m in present if m not in mapping]
        if unknown:
            sys.exit(f"tests/{kind}: no domain for {unknown}")
        for m in present:
            d = mapping[m]
            if not d:
                continue
            ensure_package(Path("tests", kind, d), DOCS[d])
            git("mv", f"tests/{kind}/{m}.py", f"tests/{kind}/{d}/{m}.py")
            p = Path("tests", kind, d, f"{m}.py")
            text = p.read_text(encoding="utf-8")
            # one directory deeper: the repository root and tests/ are one parent further up
            text = re.sub(r"parents\[(\d)\]", lambda x: f"parents[{int(x.group(1)) + 1}]", text)
            p.write_text(text, encoding="utf-8")
            for ref in (f"tests/{kind}/{m}.py", f"tests.{kind}.{m}"):
                new = ref.replace(f"{kind}/", f"{kind}/{d}/").replace(f"{kind}.", f"{kind}.{d}.")

                def fn(text, path, ref=ref, new=new):
                    return text.replace(ref, new)
                rewrite(fn)


if __name__ == "__main__":
    layer = sys.argv[1]
    if layer in CODE:
        move_code(layer)
    elif layer == "templates":
        move_templates()
    elif layer == "tests":
        move_tests()
    else:
        sys.exit(f"unknown layer {layer}")
