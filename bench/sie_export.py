"""SIE 4 export (issue 12, Performance): time and peak memory of services.ledger.sie.write_sie for a
year of generated vouchers (3 rows each), 20,000 and 200,000 by default, side by side, beside a
naive baseline measured in the same run: the vouchers loaded into a list first (as an ORM's
``.all()`` would) and the whole file built in memory before it is written.

Each (size, way) runs in a fresh Python process (``--worker``), so its peak RSS
(VmHWM) is its own. The vouchers come from bench.ledger_data (no database: the
writer's own cost; the SQL side is the ledger's benchmark). Fails when the streamed export of the
largest size takes longer than 15 s or its peak RSS is more than 1.5 times the smallest's.

    python -m bench.sie_export [--sizes 20000,200000]     or     flask --app app bench sie-export
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 15.0
MAX_PEAK_RATIO = 1.5


def peak_rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM of /proc/self/status (ru_maxrss would not do: Linux
    keeps it across exec, so a worker started by the 150 MB flask process would report that)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def work(count: int, way: str, path: str) -> dict:
    import io

    from bench.ledger_data import sie_export
    from services.ledger.sie import write_sie

    export = sie_export(count)  # the accounts and balances; the vouchers stay a lazy iterator
    started = time.perf_counter()
    if way == "stream":
        with open(path, "wb") as out:
            stats = write_sie(out, export, checksum=True)
    else:  # naive: every voucher in a list, the whole file in memory, then written
        export.vouchers = list(export.vouchers)
        buffer = io.BytesIO()
        stats = write_sie(buffer, export, checksum=True)
        with open(path, "wb") as out:
            out.write(buffer.getvalue())
    seconds = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    return {"count": count, "way": way, "seconds": seconds, "peak_mb": peak_mb, "rows": stats.rows,
            "bytes": os.path.getsize(path)}


def run(count: int, way: str, folder: str) -> dict:
    path = os.path.join(folder, f"export-{count}-{way}.se")
    done = subprocess.run([sys.executable, "-m", "bench.sie_export", "--worker", str(count), "--way", way,
                           "--out", path], cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"worker {count} {way} failed:\n{done.stderr}")
    os.unlink(path)
    return json.loads(done.stdout)


def main(sizes: list[int]) -> int:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for count in sizes:
            for way in ("stream", "naive"):
                results[count, way] = run(count, way, folder)
    print(f"{'SIE 4 export':<28}{'streamed':>24}{'naive (all in memory)':>30}")
    for count in sizes:
        s, n = results[count, "stream"], results[count, "naive"]
        print(f"{count:>9,} vouchers {s['rows']:>9,} rows  {s['seconds']:6.1f} s {s['peak_mb']:7.1f} MB peak RSS"
              f"      {n['seconds']:6.1f} s {n['peak_mb']:8.1f} MB   ({s['bytes'] / 1e6:.0f} MB file)")
    small, large = results[sizes[0], "stream"], results[sizes[-1], "stream"]
    ratio = large["peak_mb"] / small["peak_mb"]
    naive_ratio = results[sizes[-1], "naive"]["peak_mb"] / results[sizes[0], "naive"]["peak_mb"]
    print(f"peak RSS {sizes[-1]:,} / {sizes[0]:,} vouchers: streamed {ratio:.2f} (at most {MAX_PEAK_RATIO}), "
          f"naive {naive_ratio:.2f}; streamed {sizes[-1]:,} in {large['seconds']:.1f} s (at most {LIMIT_S:.0f} s)")
    return 1 if ratio > MAX_PEAK_RATIO or large["seconds"] > LIMIT_S else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--worker", type=int)
    parser.add_argument("--way", choices=("stream", "naive"), default="stream")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work(args.worker, args.way, args.out)))
        sys.exit(0)
    sys.exit(main(sorted(int(s) for s in args.sizes.split(","))))
