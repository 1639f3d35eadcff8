"""``robustpose._registry.Registry``: the rules every registry in the project shares."""
from __future__ import annotations

import re

import pytest

from robustpose._registry import Registry


@pytest.fixture
def fruit() -> Registry[int]:
    reg: Registry[int] = Registry("fruit")
    for i, name in enumerate(("pear", "apple", "plum", "apricot")):
        reg.register(name, i)
    return reg


def test_register_returns_the_entry_and_get_fetches_it(fruit):
    assert fruit.register("fig", 7) == 7
    assert fruit.get("fig") == 7 and fruit.get("pear") == 0


def test_duplicate_name_is_an_error_naming_kind_and_name(fruit):
    with pytest.raises(KeyError, match="fruit 'plum' is already registered"):
        fruit.register("plum", 99)
    assert fruit.get("plum") == 2   # the first entry stays


def test_unknown_name_lists_the_valid_ones_in_order(fruit):
    with pytest.raises(KeyError, match=re.escape("unknown fruit 'kiwi'; valid: pear, apple, plum, apricot")):
        fruit.get("kiwi")


def test_names_keep_registration_order_and_filter_by_pattern(fruit):
    assert fruit.names() == ["pear", "apple", "plum", "apricot"]
    assert fruit.names("ap*") == ["apple", "apricot"]
    assert fruit.names("p??r") == ["pear"]
    assert fruit.names("AP*") == []   # case-sensitive on every platform
    assert fruit.names("kiwi*") == []


def test_decorator_form_registers_under_the_function_name():
    reg: Registry = Registry("builder")

    @reg.add
    def small() -> int:
        return 1

    assert reg.get("small") is small and small() == 1
    with pytest.raises(KeyError, match="builder 'small' is already registered"):
        reg.add(small)


def test_check_names_reports_every_unknown_name_at_once(fruit):
    fruit.check_names(["plum", "pear"])
    fruit.check_names([])
    with pytest.raises(ValueError, match=re.escape("unknown fruit(s) ['kiwi', 'lime']; valid: pear, apple")):
        fruit.check_names(["kiwi", "pear", "lime"])


def test_container_protocol(fruit):
    assert "apple" in fruit and "kiwi" not in fruit and 3 not in fruit
    assert list(fruit) == fruit.names() and len(fruit) == 4
    assert fruit.items() == [("pear", 0), ("apple", 1), ("plum", 2), ("apricot", 3)]
    for name in fruit:   # iterating over a snapshot: registering meanwhile is safe
        if name == "pear":
            fruit.register("fig", 4)
    assert fruit.names()[-1] == "fig"
