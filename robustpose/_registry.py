"""One name -> entry table, shared by every registry in the project.

Models, pretrained checkpoints, image corruptions, keypoint-sequence corruptions and dataset
sources are all looked up by a name that comes from params.yaml or the command line. A typo
there should fail the same way everywhere, at once, and say what the valid names are; and a
second entry under a taken name is a programming error that must not silently replace the
first (results would change with import order). ``Registry`` holds those rules in one place.

Registration order is kept: it is the order names are listed in (params defaults, tables and
error messages follow it), so it is part of a registry's behaviour.
"""
from __future__ import annotations

import fnmatch
from typing import Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one ``kind`` (``"model"``, ``"corruption"`` ...) by name, in registration order.

    ``kind`` only appears in error messages: ``unknown model 'x'; valid: a, b``.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, obj: T) -> T:
        """Add ``obj`` under ``name`` and return it.

        Raises:
            KeyError: ``name`` is already registered (never a silent overwrite).
        """
        if name in self._entries:
            raise KeyError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = obj
        return obj

    def add(self, fn: T) -> T:
        """Decorator form of ``register``: the entry is ``fn`` itself, under ``fn.__name__``."""
        return self.register(fn.__name__, fn)  # type: ignore[attr-defined]

    def names(self, pattern: str = "*") -> list[str]:
        """Registered names matching the shell-style ``pattern`` (case-sensitive), in
        registration order."""
        return [n for n in self._entries if fnmatch.fnmatchcase(n, pattern)]

    def get(self, name: str) -> T:
        """The entry registered as ``name``.

        Raises:
            KeyError: unknown name; the message lists the valid ones.
        """
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {name!r}; valid: {self._listing()}") from None

    def check_names(self, requested: Iterable[str]) -> None:
        """Validate a whole request (e.g. a params list) at once.

        Raises:
            ValueError: one error naming every unknown entry of ``requested`` and the valid names.
        """
        unknown = [n for n in requested if n not in self._entries]
        if unknown:
            raise ValueError(f"unknown {self.kind}(s) {unknown}; valid: {self._listing()}")

    def items(self) -> list[tuple[str, T]]:
        """``(name, entry)`` pairs in registration order (a copy: registering meanwhile is safe)."""
        return list(self._entries.items())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def _listing(self) -> str:
        return ", ".join(self._entries)


__all__ = ["Registry"]
