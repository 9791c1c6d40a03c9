"""Counts of `make mutation` per module (killed / survived / timeout / no tests / other) and the
mutants that survived or that no selected test reaches, unless tests/mutation_equivalent.txt
accepts them.

Reads `mutmut results --all true` (from the repository root, after `mutmut run`); the arguments
are the mutant-name globs the run was given, so the mutants it did not run (the query functions
of services/bookings/bookings.py) are left out. Exits 1 when such a mutant is not listed there (a listed mutant is looked at again when its function changes: mutmut numbers
the mutants of a function anew)."""
import fnmatch
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

COLUMNS = ("killed", "survived", "timeout", "no tests", "other")
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")


def main(globs: list[str]) -> int:
    accepted = {line.split("#")[0].strip() for line in EQUIVALENT.read_text().splitlines()} - {""}
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run([str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    counts: dict[str, Counter] = defaultdict(Counter)
    unexplained = []
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if not sep or not any(fnmatch.fnmatch(name, g) for g in globs):
            continue
        module = re.match(r"(.*?)\.x[_ǁ]", name).group(1)
        counts[module][status if status in COLUMNS else "other"] += 1
        if status in ("survived", "no tests") and name not in accepted:
            unexplained.append(f"{status}: {name}")
    print(f"{'module':<22}" + "".join(f"{c:>10}" for c in COLUMNS))
    for module in sorted(counts) + ["total"]:
        row = sum(counts.values(), Counter()) if module == "total" else counts[module]
        print(f"{module:<22}" + "".join(f"{row[c]:>10}" for c in COLUMNS))
    if not counts:
        print("no mutant matched", globs)
        return 1
    for name in unexplained:
        print(f"{name}  (`.venv/bin/mutmut show {name.split()[-1]}`; kill it with a test, or list it as equivalent)")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["*"]))
