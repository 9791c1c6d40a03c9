"""Run every benchmark of bench/ in turn (`make bench`). Modules add themselves to BENCHMARKS."""
import subprocess
import sys

# (name, flask command arguments)
BENCHMARKS: list[tuple[str, list[str]]] = []
BENCHMARKS.append(("registers", ["registers", "--customers", "1000000"]))  # bench/registers.py
BENCHMARKS.append(("sales", ["sales"]))  # bench/sales.py
BENCHMARKS.append(("calendar", ["calendar"]))  # bench/bookings.py
BENCHMARKS.append(("lowcode", ["lowcode", "--customers", "1000000"]))  # bench/lowcode.py
BENCHMARKS.append(("search", ["search", "--customers", "1000000"]))  # bench/search.py
BENCHMARKS.append(("card", ["card", "--customers", "1000000"]))  # bench/cards.py
BENCHMARKS.append(("list-export", ["list-export"]))  # bench/list_export.py (memory of the export job)
BENCHMARKS.append(("bgmax", ["bgmax"]))  # bench/ledger_formats.py (parser, no database)
BENCHMARKS.append(("sie-export", ["sie-export"]))  # bench/sie_export.py (time and peak RSS per size)
BENCHMARKS.append(("ledger", ["ledger"]))  # bench/ledger_db.py (SIE export, VAT report from the database)
BENCHMARKS.append(("load", ["load", "--customers", "1000000"]))  # bench/load.py (Locust)


def main() -> int:
    failed = 0
    for name, args in BENCHMARKS:
        print(f"== {name} ==", flush=True)
        failed |= subprocess.call([sys.executable, "-m", "flask", "--app", "app", "bench", *args])
    return failed


if __name__ == "__main__":
    sys.exit(main())
