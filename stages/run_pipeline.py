"""`make repro`: run `dvc repro` and print how long each stage took.

DVC prints no per-stage timings; we time the whole run and read each stage's start/finish from
DVC's own output lines, so a user sees where the minutes went.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> int:
    args = ["dvc", "repro", *(argv if argv is not None else sys.argv[1:])]
    print("$", " ".join(args), flush=True)
    t0 = time.time()
    timings: list[tuple[str, float]] = []
    current, started = None, t0
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = re.match(r"Running stage '([^']+)'", line)
        if m:
            now = time.time()
            if current:
                timings.append((current, now - started))
            current, started = m.group(1), now
    rc = proc.wait()
    if current:
        timings.append((current, time.time() - started))
    print("\nstage timings (s):")
    for name, secs in timings:
        print(f"  {secs:8.1f}  {name}")
    print(f"  {time.time() - t0:8.1f}  total (dvc repro)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
