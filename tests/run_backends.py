"""Runs the test suite once per Keras backend, each in its own process.

Usage: python tests/run_backends.py [pytest arguments...]

A Keras backend is fixed when keras is first imported, so the suite runs three
times: KERAS_BACKEND=jax, torch and tensorflow. Exits non-zero if any run fails
and ends with one line that counts the tests of all three runs.
"""

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

BACKENDS = ("jax", "torch", "tensorflow")
ROOT = Path(__file__).resolve().parents[1]


def run(backend, args, report):
    env = dict(os.environ, KERAS_BACKEND=backend)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
           f"--junitxml={report}", "-o", f"junit_suite_name={backend}", *args]
    print(f"\n=== KERAS_BACKEND={backend}: {' '.join(cmd[1:])}", flush=True)
    start = time.monotonic()
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    return code, time.monotonic() - start


def count(report):
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError):
        return None
    for suite in root.iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
    return totals


def main(args):
    backends = [b for b in os.environ.get("VAE_KERAS_BACKENDS", ",".join(BACKENDS)).split(",") if b]
    reports = ROOT / ".pytest_reports"
    reports.mkdir(exist_ok=True)
    passed = failed = skipped = 0
    summary, worst = [], 0
    for backend in backends:
        report = reports / f"{backend}.xml"
        report.unlink(missing_ok=True)
        code, seconds = run(backend, args, report)
        totals = count(report)
        if totals is None:  # pytest died before writing its report
            failed += 1
        else:
            bad = totals["failures"] + totals["errors"]
            failed += bad
            skipped += totals["skipped"]
            passed += totals["tests"] - bad - totals["skipped"]
        # pytest exit 5 means no test ran: only acceptable if a filter was asked for.
        ok = code == 0 or (code == 5 and args)
        worst = worst if ok else (code or 1)
        summary.append(f"{backend}: exit {code}, {seconds:.0f} s")
    print("\n" + "; ".join(summary))
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
