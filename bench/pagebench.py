"""Shared machinery of the page benchmarks (web_lists.py, fleet_list.py).

Each database is measured in its own child process (Django reads its settings once): the
parent starts ``<script> --child <database> …`` with a throwaway data dir and collects the
one JSON line it prints.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 3  # requests per page before timing (templates, query plans)


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    django.setup()


@contextlib.contextmanager
def fresh_database(database: str) -> Iterator[None]:
    """Migrated, empty database: the SQLite file of the child's data dir, or a throwaway
    PostgreSQL database next to the one the URL names (dropped afterwards)."""
    from django.core.management import call_command
    from django.db import connection

    # No setup_test_environment(): its template instrumentation would add to the timings.
    if database != "postgresql":
        call_command("migrate", verbosity=0, interactive=False)
        yield
        return
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as a live database would have."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _check(response: Any, url: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")


def _queries(http: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        http.get(url)
    return len(context.captured_queries)


def time_pages(
    http: Any, urls: dict[str, str], repeat: int, *, count_queries: bool = False
) -> dict[str, Any]:
    """Median and p95 per page, and each median over the "baseline" page's median."""
    results: dict[str, Any] = {}
    for key, url in urls.items():
        for _ in range(WARM_UP):
            _check(http.get(url), url)
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = http.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            _check(response, url)
        timings.sort()
        results[key] = {
            "url": url,
            "median_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)], 2),
            "rows_on_page": response.content.count(b"<tr data-href="),
        }
        if count_queries:
            results[key]["queries"] = _queries(http, url)
    base = results["baseline"]["median_ms"]
    for entry in results.values():
        entry["x_baseline"] = round(entry["median_ms"] / base, 1) if base else None
    return results


def databases() -> dict[str, str]:
    """SQLite always; PostgreSQL too when STEWARD_BENCH_DATABASE_URL names a server."""
    found = {"sqlite": ""}
    if os.environ.get("STEWARD_BENCH_DATABASE_URL"):
        found["postgresql"] = os.environ["STEWARD_BENCH_DATABASE_URL"]
    return found


def run_child(script: str, database: str, url: str, args: list[str]) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="steward-bench-")
    env = {
        **os.environ,
        "STEWARD_DATA_DIR": data_dir,
        "STEWARD_DATABASE_URL": url,
        "STEWARD_COOKIE_SECURE": "0",
        "STEWARD_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("STEWARD_REDIS_URL", None)
    try:
        done = subprocess.run(
            [sys.executable, script, "--child", database, *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{database} benchmark failed:\n{done.stderr[-4000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def print_table(report: dict[str, Any], scenarios: list[tuple[str, str]], *, queries: bool = False) -> None:
    extra = f" {'SQL':>4}" if queries else ""
    header = f"{'scenario':34} " + " ".join(
        f"{name + ' median':>18} {name + ' p95':>15} {'x base':>7}{extra}" for name in report
    )
    print(header)
    print("-" * len(header))
    cell = "{median_ms:>18.1f} {p95_ms:>15.1f} {x_baseline:>7}" + (" {queries:>4}" if queries else "")
    for key, label in scenarios:
        cells = " ".join(cell.format(**report[name]["results"][key]) for name in report)
        print(f"{label:34} {cells}")
    print()


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The per-database figures for the closing JSON line."""
    keep = ("median_ms", "p95_ms", "rows_on_page", "queries", "x_baseline")
    return {
        name: {
            "seed_seconds": data["seed_seconds"],
            **{
                key: {field: value for field, value in figures.items() if field in keep}
                for key, figures in data["results"].items()
            },
        }
        for name, data in report.items()
    }
