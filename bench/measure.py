"""Figures every benchmark prints: timed requests, the 95th percentile and this process's memory."""
from __future__ import annotations

import os
import time

import click


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MB; 0 where /proc is missing."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return 0.0


def timed_gets(client, url: str, runs: int, clock) -> tuple[list[float], list[float], list[float]]:
    """Wall-clock, this process's CPU and statement times (ms) of ``runs`` GETs of ``url``
    (``clock``: bench.registers.SqlClock; its ``statements`` then count the last request). On a
    busy machine the wall clock also counts the time the process waited for a core; the CPU time
    does not (on PostgreSQL it leaves out the server's own work, which the statement time holds)."""
    wall, cpu, sql = [], [], []
    for _ in range(runs):
        clock.total = 0.0
        clock.statements = 0
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        sql.append(clock.total * 1000)
        if response.status_code != 200:
            raise click.ClickException(f"GET {url} answered {response.status_code}")
    return wall, cpu, sql
