"""Which global a refused checkpoint wanted, for a one-line refusal that names it.

``torch.load(weights_only=True)`` refuses a pickle that would call or build something outside
its allow-list, but says so in paragraphs (advice to pass ``weights_only=False`` included, the
one thing a user must not do with an untrusted file), and for a plain, non-zip pickle of a newer
protocol it stops at the first unknown opcode without naming what the file would have run.
``blocked_global`` finds the name either from torch's message or by listing the pickle's
GLOBAL/STACK_GLOBAL opcodes with ``pickletools`` (which reads opcodes, never executes them).
"""
from __future__ import annotations

import io
import pickletools
import re
import zipfile
from pathlib import Path

REFUSED = re.compile(
    r"GLOBAL (\S+) was not an allowed global"        # GLOBAL opcode, not allow-listed
    r"|unsupported GLOBAL (\S+) whose module"         # GLOBAL from a blocked module (os, sys...)
    r"|but got <class '([^']+)'>"                     # NEWOBJ/BUILD of a class not allow-listed
    r"|unrecognized function (\S+)"                   # REDUCE of a function not allow-listed
    r"|refused attribute (\S+)")                      # checkpoint.py's restricted getattr

# What a plain tensor checkpoint references: torch's rebuild helpers and storages, ordered dicts.
_PLAIN_DATA = ("torch.", "collections.OrderedDict", "_codecs.encode", "builtins.set", "builtins.frozenset")


def pickle_globals(data: bytes) -> list[str]:
    """``module.name`` of every global a pickle stream references, in order (opcodes only)."""
    names: list[str] = []
    strings: list[str] = []
    try:
        for op, arg, _ in pickletools.genops(io.BytesIO(data)):
            if op.name == "GLOBAL":
                names.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
    except Exception:   # a truncated or corrupt stream: the names read so far
        pass
    return names


def _pickle_bytes(path: Path) -> bytes:
    """The pickle stream of a torch file: ``*/data.pkl`` of a zip checkpoint, else the file."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            member = next((n for n in zf.namelist() if n.endswith("data.pkl")), None)
            return zf.read(member) if member else b""
    return path.read_bytes()


def blocked_global(path: str | Path, err: BaseException) -> str | None:
    """The global a refused load of ``path`` needed: from torch's message, else the first global
    in the file that is not plain tensor data; None if neither says."""
    m = REFUSED.search(str(err))
    if m:
        return next(g for g in m.groups() if g)
    try:
        found = pickle_globals(_pickle_bytes(Path(path)))
    except OSError:
        return None
    return next((g for g in found if not g.startswith(_PLAIN_DATA)), None)


def refusal(path: str | Path, err: BaseException, otherwise: str) -> str:
    """The one line for a checkpoint the weights-only unpickler refused: the global it needed,
    or ``otherwise`` (the caller's line) when it names none (garbage, a truncated file)."""
    needed = blocked_global(path, err)
    if needed:
        return f"{path}: checkpoint needs {needed} which is not on the allow-list; refusing to unpickle it"
    return otherwise
