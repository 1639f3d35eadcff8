"""The ``robustpose`` command: the corruption engine on any folder of images, and the registries.

``robustpose corrupt`` runs exactly what the pipeline's corrupt stage runs (``CorruptJob`` and
``corrupt_dataset``: per-image seeds ``rng_for(seed, dataset, file, corruption, severity)``, the
manifest of pixel digests, the ``job.json`` stamp and resume, the worker pool), one output folder
per corruption. Without ``--annotations`` the images are every image file under the folder and
the annotations are synthesized (no people), which is all that the non-person-aware corruptions
need. Errors are one line on stderr (``robustpose: error: ...``): exit 2 for a usage problem, 1 for
a fault met while running (an unreadable image, a full disk).
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path
from typing import Callable, NoReturn

# The library (numba, OpenCV, the registries) is imported where it is used: `--help` stays instant.

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
# Corruptions that occlude the annotated people: with no annotations they would leave every image
# as it is (tests/test_cli.py checks that every other registered corruption ignores the context).
PERSON_AWARE = ("mask",)
# What the library raises for bad input, with a message naming the file (as the stages catch).
RUNTIME_ERRORS = (ValueError, KeyError, OSError, ImportError)

EPILOG = """\
Examples:
  robustpose corrupt photos/ out/ --corruptions fog,snow --severities 1-5
  robustpose corrupt photos/ out/ --corruptions posebench --annotations people.json
  robustpose corrupt val2017/ coco-c/ --corruptions imagenet_c --severities 1,3,5 --dataset coco \\
      --annotations person_keypoints_val2017.json
  robustpose corrupt photos/ out/ --corruptions fog --reference   # the original COCO-C recipe
  robustpose list corruptions
  robustpose list models

Output: OUT_DIR/<corruption>/<severity>/<file> and OUT_DIR/<corruption>/manifest.json (sha256 of
the decoded pixels per file). A re-run with the same settings resumes: finished files are kept.
"""

CORRUPT_HELP = """\
Corrupt every image of SRC_DIR (sub-folders included; jpg, jpeg, png, bmp, webp) at each severity.

Every draw comes from a generator seeded by (seed, dataset, file name, corruption, severity), so
the output depends neither on --workers nor on the order. --dataset defaults to the name of
SRC_DIR; it is part of the seed: `--dataset coco --seed 0` with the split's images and
annotation file reproduces the pipeline's corruption of a dataset named coco, file for file.
"""


class UsageError(Exception):
    """A problem with the command line or its arguments: exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors become one line (no usage block)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def error_line(err: BaseException) -> str:
    """One line for ``err``: the library's message, or an OS error's reason and file."""
    if isinstance(err, OSError) and err.strerror:
        return f"{err.filename}: {err.strerror}" if err.filename else err.strerror
    message = str(err.args[0]) if err.args else repr(err)
    return message.splitlines()[0] if message.strip() else repr(err)


# ------------------------------------------------------------------------------ arguments

def parse_severities(text: str) -> list[int]:
    """``"1-5"``, ``"1,3,5"`` or a mix (``"1-2,5"``) -> sorted distinct severities in 1..5."""
    from robustpose import corrupt

    out: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match or int(match[1]) > int(match[2] or match[1]):
            raise UsageError(f"--severities {text!r}: expected e.g. 1-5 or 1,3,5")
        out.update(range(int(match[1]), int(match[2] or match[1]) + 1))
    if not out <= set(corrupt.SEVERITIES):
        raise UsageError(f"--severities {text!r}: severities are 1..5")
    return sorted(out)


def parse_corruptions(text: str) -> list[str]:
    """Comma-separated names; ``all`` or a benchmark family (``imagenet_c``, ``posebench`` ...)
    stands for its members. Unknown names -> one error listing the valid ones."""
    from robustpose import corrupt
    from robustpose.corrupt.registry import BENCHMARK_FAMILIES

    names: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        expanded = corrupt.names() if part == "all" else corrupt.names(part) if part in BENCHMARK_FAMILIES else [part]
        names += [n for n in expanded if n not in names]
    if not names:
        raise UsageError("--corruptions: give at least one name (see `robustpose list corruptions`)")
    try:
        corrupt.check_names(names)
    except ValueError as err:
        raise UsageError(f"{error_line(err)} (or all, {', '.join(BENCHMARK_FAMILIES)})") from None
    return names


def check_recipe(names: list[str], reference: bool, annotated: bool) -> None:
    """Refuse what the recipe cannot do: a reference for a non-ImageNet-C corruption, or a
    person-aware corruption with nobody annotated."""
    from robustpose.corrupt.dataset import reference_names

    if reference and (missing := [n for n in names if n not in reference_names()]):
        raise UsageError(f"--reference: {', '.join(missing)} has no reference recipe "
                         f"(only the ImageNet-C corruptions do: --corruptions imagenet_c,imagenet_c_extra)")
    if not annotated and (person := [n for n in names if n in PERSON_AWARE]):
        raise UsageError(f"{', '.join(person)} occludes the annotated people: pass --annotations FILE "
                         f"(COCO keypoint json) or leave it out of --corruptions")


# ------------------------------------------------------------------------------ images

def find_images(src: Path, exclude: Path) -> list[str]:
    """Image files under ``src`` as sorted relative POSIX paths; hidden files and folders and
    everything under ``exclude`` (the output, when it lies inside ``src``) are left out."""
    exclude = exclude.resolve()
    found = []
    for folder, dirs, files in os.walk(src):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith(".") and (here / d).resolve() != exclude]
        found += [(here / f).relative_to(src).as_posix() for f in files
                  if not f.startswith(".") and Path(f).suffix.lower() in IMAGE_SUFFIXES]
    return sorted(found)


def check_unique_outputs(file_names: list[str], fmt: str) -> None:
    """Two sources that would be written to one output file (``a.jpg`` and ``a.png``) -> error."""
    from robustpose.corrupt.dataset import output_name

    seen: dict[str, str] = {}
    for name in file_names:
        out = output_name(name, fmt)
        if out in seen:
            raise UsageError(f"{seen[out]} and {name} would both be written as {out}; rename one")
        seen[out] = name


def folder_annotations(file_names: list[str]) -> dict:
    """A COCO-format annotation dict for images with nobody annotated in them."""
    return {"images": [{"id": i, "file_name": name} for i, name in enumerate(file_names, start=1)],
            "annotations": [], "categories": [{"id": 1, "name": "person", "keypoints": []}]}


def _source(args: argparse.Namespace) -> str | dict:
    """The annotations to corrupt from: the --annotations file, or a dict of the folder's images."""
    src = Path(args.src)
    if not src.is_dir():
        raise UsageError(f"{src}: no such folder")
    if args.annotations is not None:
        if not Path(args.annotations).is_file():
            raise UsageError(f"--annotations {args.annotations}: no such file")
        from robustpose.data.coco_format import load_annotations

        file_names = [im["file_name"] for im in load_annotations(args.annotations)["images"]]
        check_unique_outputs(file_names, args.format)
        return args.annotations
    file_names = find_images(src, Path(args.out))
    if not file_names:
        raise UsageError(f"{src}: no images ({', '.join(s[1:] for s in IMAGE_SUFFIXES)}) in it")
    check_unique_outputs(file_names, args.format)
    return folder_annotations(file_names)


def check_output_dirs(src: Path, out: Path, names: list[str]) -> None:
    """A corruption's output folder is cleared when its ``job.json`` stamp is of other settings
    (as in the stage); never let that folder be, or hold, the source images, or be a folder of
    the user's that robustpose did not write."""
    for name in names:
        folder = (out / name).resolve()
        if folder == src.resolve() or folder in src.resolve().parents:
            raise UsageError(f"{out / name} would hold the source images; choose another OUT_DIR")
        if folder.is_dir() and not (folder / "job.json").exists() and any(folder.iterdir()):
            raise UsageError(f"{out / name} holds files robustpose did not write (no job.json); "
                             f"move them or choose another OUT_DIR")


# ------------------------------------------------------------------------------ commands

def cmd_corrupt(args: argparse.Namespace) -> int:
    """``robustpose corrupt``: one ``corrupt_dataset`` per corruption, as the stage runs it."""
    from robustpose.corrupt.dataset import CorruptJob, ReferenceJob, corrupt_dataset

    severities = parse_severities(args.severities)
    names = parse_corruptions(args.corruptions)
    check_recipe(names, args.reference, args.annotations is not None)
    if not 1 <= args.jpeg_quality <= 100:
        raise UsageError(f"--jpeg-quality {args.jpeg_quality}: expected 1..100")
    if args.workers < 0:
        raise UsageError(f"--workers {args.workers}: expected 0 (one per CPU core) or more")
    source = _source(args)
    check_output_dirs(Path(args.src), Path(args.out), names)
    dataset = args.dataset or Path(args.src).resolve().name
    job_class = ReferenceJob if args.reference else CorruptJob
    for name in names:
        job = job_class(src_images=str(args.src), out_dir=str(Path(args.out) / name), dataset=dataset,
                        corruption=name, seed=args.seed, fmt=args.format, jpeg_quality=args.jpeg_quality,
                        on_bad_image=args.on_bad_image)
        corrupt_dataset(job, source, severities, workers=args.workers)   # logs what it wrote
    return 0


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows])


def corruption_table() -> str:
    """Every registered corruption: its families and categories, reference recipe, needs."""
    from robustpose import corrupt
    from robustpose.corrupt.dataset import reference_names
    from robustpose.corrupt.registry import get

    yes_no = {True: "yes", False: "no"}
    rows = [(n, ", ".join(f"{f}/{c}" for f, c in get(n).categories.items()),
             yes_no[n in reference_names()], yes_no[n in PERSON_AWARE]) for n in corrupt.names()]
    return _table(rows, ("name", "family/category", "reference", "needs annotations"))


def model_table() -> str:
    """Every model name evaluation accepts: the embedded ones (trained here), then the pretrained."""
    from robustpose.models.pretrained import list_pretrained, pretrained_model
    from robustpose.models.registry import list_models, model_spec

    rows = []
    for name in list_models():
        spec = model_spec(name)
        rows.append((name, "embedded", spec.head, "x".join(map(str, spec.input_size)), spec.keypoint_layout))
    for name in list_pretrained():
        model = pretrained_model(name)
        rows.append((name, "pretrained", model.family, "x".join(map(str, model.input_size)), model.dataset))
    return _table(rows, ("name", "kind", "head/family", "input (HxW)", "keypoints"))


def cmd_list(args: argparse.Namespace) -> int:
    """``robustpose list corruptions|models``: a table on stdout."""
    print(corruption_table() if args.what == "corruptions" else model_table())
    return 0


# ------------------------------------------------------------------------------ parser

def _add_corrupt(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("corrupt", help="corrupt a folder of images (the pipeline's corruption engine)",
                       description=CORRUPT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src", metavar="SRC_DIR", help="folder of images (searched recursively)")
    p.add_argument("out", metavar="OUT_DIR", help="writes OUT_DIR/<corruption>/<severity>/<file>")
    p.add_argument("--corruptions", required=True, metavar="NAMES",
                   help="comma-separated names, all, or a family: imagenet_c, imagenet_c_extra, posebench")
    p.add_argument("--severities", default="1-5", help="e.g. 1-5 (default) or 1,3,5")
    p.add_argument("--seed", type=int, default=0, help="master seed (default 0, as params.yaml)")
    p.add_argument("--format", choices=("png", "jpeg"), default="png", help="output encoding (default png)")
    p.add_argument("--jpeg-quality", type=int, default=75, help="for --format jpeg (default 75, as COCO-C)")
    p.add_argument("--workers", type=int, default=0,
                   help="processes (default 0: one per CPU core); the output does not depend on it")
    p.add_argument("--dataset", help="dataset name in the seed (default: the name of SRC_DIR)")
    p.add_argument("--annotations", metavar="FILE",
                   help="COCO keypoint json: which images (file_name relative to SRC_DIR) and where the "
                        "people are (needed by mask)")
    p.add_argument("--reference", action="store_true",
                   help="the original COCO-C recipe (np.random.seed(1), then imagecorruptions) instead of "
                        "robustpose's seeded one; ImageNet-C corruptions only. It ignores --seed except "
                        "for impulse_noise and glass_blur, which it would leave unseeded")
    p.add_argument("--on-bad-image", choices=("error", "skip"), default="error",
                   help="an unreadable image: stop with an error naming it (default), or record it as "
                        "skipped in the manifest")
    p.set_defaults(func=cmd_corrupt)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="robustpose", description="Pose-estimator robustness: the corruption engine "
                     "and the registries.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_corrupt(sub)
    lister = sub.add_parser("list", help="list the registered corruptions or models",
                            description="List the registered corruptions or models.")
    lister.add_argument("what", choices=("corruptions", "models"))
    lister.set_defaults(func=cmd_list)
    return parser


def _fail(message: str, status: int) -> int:
    print(f"robustpose: error: {message}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 runtime fault, 2 usage, 130 interrupted)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        args = build_parser().parse_args(argv)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except UsageError as err:
        return _fail(str(err), 2)
    except BrokenPipeError:   # stdout closed early (`robustpose list models | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except RUNTIME_ERRORS as err:
        return _fail(error_line(err), 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())
