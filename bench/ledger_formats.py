"""The ledger's file formats (issue 12, Performance), no database:

`flask --app app bench bgmax`: parse a generated BgMax file of 10,000 payments
(services.ledger.bgmax.parse_bgmax), median of 5 runs, beside the floor of any parser measured
in the same run (decoding the file and splitting its lines, nothing parsed). Fails above 1 s.

`flask --app app bench sie-export`: bench/sie_export.py (time and peak RSS of the streamed SIE 4
export for 20,000 and 200,000 vouchers beside a naive all-in-memory baseline, one process each).
"""
from __future__ import annotations

import io
import statistics
import time

import click

from bench.ledger_data import many_payments, write_bgmax
from cli import bench_group

BGMAX_LIMIT_S = 1.0


def _median_s(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


@bench_group.command("bgmax")
@click.option("--payments", default=10_000, show_default=True, type=click.IntRange(min=1))
@click.option("--runs", default=5, show_default=True, type=click.IntRange(min=1))
def bgmax(payments: int, runs: int):
    """Parse a generated BgMax file of PAYMENTS payments; median of RUNS."""
    from services.ledger.bgmax import parse_bgmax

    out = io.BytesIO()
    write_bgmax(out, many_payments(payments))
    data = out.getvalue()
    parsed = parse_bgmax(data)
    assert len(parsed.payments) == payments
    seconds = _median_s(lambda: parse_bgmax(data), runs)
    floor = _median_s(lambda: data.decode("iso-8859-1").split("\n"), runs)
    lines = data.count(b"\n")
    click.echo(f"BgMax parse of {payments:,} payments ({lines:,} lines, {len(data) / 1e6:.1f} MB): "
               f"median {seconds * 1000:7.1f} ms ({payments / seconds:,.0f} payments/s); "
               f"baseline decode+split only {floor * 1000:6.1f} ms; ratio {seconds / floor:.0f}x "
               f"(limit {BGMAX_LIMIT_S:.1f} s)")
    if seconds > BGMAX_LIMIT_S:
        raise SystemExit(1)


@bench_group.command("sie-export")
@click.option("--sizes", default="20000,200000", show_default=True, help="voucher counts, comma-separated")
def sie_export(sizes: str):
    """Time and peak RSS of the SIE 4 export for each size, streamed and naive."""
    from bench import sie_export as bench_sie

    raise SystemExit(bench_sie.main(sorted(int(s) for s in sizes.split(","))))
