"""Every registry of the project, through its public functions: each listed name can be
fetched, and an unknown name fails with the shared listing error. Also the model catalogue,
which resolves a name across the embedded and pretrained registries."""
from __future__ import annotations

import re
from typing import Callable

import pytest

import robustpose.corrupt  # noqa: F401  (registers the ImageNet-C and PoseBench corruptions)
from robustpose._registry import Registry
from robustpose.corrupt import registry as corrupt_registry
from robustpose.data import sources
from robustpose.lift import corruptions as lift_corruptions
from robustpose.models import catalogue, pretrained
from robustpose.models import registry as model_registry

UNKNOWN = "no_such_entry"

# registry, its public lister, and a public fetch returning the name of what it fetched
REGISTRIES: dict[str, tuple[Registry, Callable[[], list[str]], Callable[[str], str]]] = {
    "models": (model_registry._REGISTRY, model_registry.list_models,
               lambda n: model_registry.model_spec(n).name),
    "pretrained": (pretrained._REGISTRY, pretrained.list_pretrained,
                   lambda n: pretrained.pretrained_model(n).name),
    "corruptions": (corrupt_registry._REGISTRY, corrupt_registry.names,
                    lambda n: corrupt_registry.get(n).name),
    # the sequence corruptions have no public getter: apply() is the only lookup
    "lift_corruptions": (lift_corruptions._REGISTRY, lift_corruptions.names,
                         lambda n: lift_corruptions._REGISTRY.get(n).__name__),
    "sources": (sources._REGISTRY, sources.list_sources, lambda n: sources.source(n).name),
}


@pytest.mark.parametrize("which", REGISTRIES)
def test_every_listed_name_can_be_fetched(which):
    registry, list_names, fetch = REGISTRIES[which]
    names = list_names()
    assert names and len(names) == len(set(names))
    # the public listing is the registry's (sources list sorted, the others in registration order)
    assert names == (sorted(registry.names()) if which == "sources" else registry.names())
    assert [fetch(n) for n in names] == names


@pytest.mark.parametrize("which", REGISTRIES)
def test_unknown_name_lists_the_valid_ones(which):
    registry, _, fetch = REGISTRIES[which]
    listing = ", ".join(registry.names())
    with pytest.raises(KeyError, match=re.escape(f"unknown {registry.kind} '{UNKNOWN}'; valid: {listing}")):
        fetch(UNKNOWN)


def test_lift_apply_reports_an_unknown_name_with_the_listing():
    listing = ", ".join(lift_corruptions.names())
    with pytest.raises(KeyError, match=re.escape(f"'{UNKNOWN}'; valid: {listing}")):
        lift_corruptions.apply(UNKNOWN, None, 1, None)


def test_catalogue_resolves_both_kinds():
    for name in model_registry.list_models():
        entry = catalogue.resolve(name)
        assert isinstance(entry, model_registry.ModelSpec) and entry == model_registry.model_spec(name)
    for name in pretrained.list_pretrained():
        entry = catalogue.resolve(name)
        assert isinstance(entry, pretrained.PretrainedModel) and entry.name == name
    # no name in both: the embedded-first precedence never hides a checkpoint
    assert not set(model_registry.list_models()) & set(pretrained.list_pretrained())


def test_catalogue_unknown_name_lists_both_kinds():
    embedded = ", ".join(model_registry.list_models())
    published = ", ".join(pretrained.list_pretrained())
    expected = f"unknown model '{UNKNOWN}'; valid names: embedded models: {embedded}; pretrained models: {published}"
    with pytest.raises(ValueError, match=re.escape(expected)):
        catalogue.resolve(UNKNOWN)
