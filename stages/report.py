"""Stage `report`: reports/index.html, one offline page with every table and figure of the run.

Usage: python stages/report.py --root . --out reports/index.html
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import _common as C

from robustpose._io import write_text_atomic
from robustpose.report.site import build_page


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root (the outputs' paths are under it)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    C.setup_logging()
    write_text_atomic(args.out, build_page(args.root.resolve(), args.out.resolve()))
    logging.info("wrote %s: open it in a browser (works offline)", args.out)


if __name__ == "__main__":
    C.run(main)
