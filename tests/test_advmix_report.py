"""AdvMix tables: seeds averaged with their spread, the clean model as Standard."""
from __future__ import annotations

import pandas as pd
import pytest

from robustpose.report.advmix_tables import (ablation_table, has_finetuned, per_corruption_table,
                                             run_identities, standard_vs_advmix_table)


def _rows(model: str, clean: float, fog: list[float], noise: list[float], base: str = "sb",
          strategy: str | None = None, seed: int | None = None) -> list[dict]:
    """A run's long-table rows; its identity is given, as the evaluate stage writes it, and the
    names below are only labels (``sb+advmix-s0``): the tables never parse them."""
    if strategy is None and "+" in model:
        strategy, seed = model.split("+")[1].rsplit("-s", 1)[0], int(model.rsplit("-s", 1)[1])
    ident = dict(dataset="d", model=model, base_model=base, strategy=strategy or "clean", run_seed=seed)
    rows = [dict(**ident, corruption="clean", category="clean", severity=0, metric="AP", value=clean)]
    for name, cat, values in (("fog", "weather", fog), ("gaussian_noise", "noise", noise)):
        rows += [dict(**ident, corruption=name, category=cat, severity=s + 1, metric="AP", value=v)
                 for s, v in enumerate(values)]
    return rows


@pytest.fixture
def results() -> pd.DataFrame:
    return pd.DataFrame(
        _rows("sb", 0.60, [0.40, 0.20], [0.30, 0.10])                       # mPC 0.25
        + _rows("sb+advmix-s0", 0.61, [0.50, 0.30], [0.40, 0.20])            # mPC 0.35
        + _rows("sb+advmix-s1", 0.59, [0.40, 0.30], [0.40, 0.10])            # mPC 0.30
        + _rows("sb+standard-s0", 0.62, [0.40, 0.20], [0.30, 0.14]))         # mPC 0.26


def test_run_identity_comes_from_the_columns_not_the_name(results):
    ids = run_identities(results, "d")
    assert ids.loc["sb+advmix-s1"].tolist() == ["sb", "advmix", 1]
    assert ids.loc["sb", "strategy"] == "clean" and has_finetuned(results)
    # a run whose label says nothing still lands in its strategy's row
    renamed = pd.concat([results, pd.DataFrame(_rows("my-run", 0.60, [0.40, 0.20], [0.30, 0.10],
                                                     strategy="advmix", seed=7))])
    assert ablation_table(renamed, "d").set_index("Method").loc["AdvMix", "n"] == 3
    assert not has_finetuned(results[results["strategy"] == "clean"])


def test_ablation_rows_are_mean_and_spread_over_seeds(results):
    t = ablation_table(results, "d").set_index("Method")
    assert list(t.index) == ["Standard (clean model)", "Standard, fine-tuned (same steps)", "AdvMix"]
    assert t.loc["AdvMix", "n"] == 2
    assert t.loc["AdvMix", "mPC"] == "32.5 ± 3.5"          # mean 32.5, sample std of (35, 30)
    assert t.loc["AdvMix", "AP*"] == "60.0 ± 1.4"
    assert t.loc["Standard (clean model)", "mPC"] == "25.0"
    assert t.loc["Standard (clean model)", "rPC"] == f"{100 * 0.25 / 0.60:.1f}"


def test_standard_vs_advmix(results):
    t = standard_vs_advmix_table(results, "d")
    row = t.iloc[0]
    assert row["Method"] == "sb" and row["Standard mPC"] == "25.0" and row["AdvMix mPC"] == "32.5 ± 3.5"
    assert row["ΔmPC"] == "+7.5" and row["ΔAP*"] == "+0.0"


def test_ablation_differences_are_paired_by_seed(results):
    """AdvMix vs plain fine-tuning is taken seed by seed: only seed 0 has a standard run, so the
    difference is AdvMix-s0 minus standard-s0 (not the mean over AdvMix's two seeds)."""
    t = ablation_table(results, "d").set_index("Method")
    assert t.loc["AdvMix", "ΔmPC vs FT"] == "+9.0"        # 35 - 26
    assert t.loc["AdvMix", "ΔAP* vs FT"] == "-1.0"        # 61 - 62
    assert t.loc["Standard (clean model)", "ΔmPC vs FT"] == "" and t.loc["Standard, fine-tuned (same steps)", "ΔmPC vs FT"] == ""
    two = pd.concat([results, pd.DataFrame(_rows("sb+standard-s1", 0.60, [0.40, 0.20], [0.30, 0.10]))])
    t2 = ablation_table(two, "d").set_index("Method")
    assert t2.loc["AdvMix", "ΔmPC vs FT"] == "+7.0 ± 2.8"  # (35-26, 30-25): mean 7, sample std 2.83
    no_ft = results[results["model"] != "sb+standard-s0"]
    assert "ΔmPC vs FT" not in ablation_table(no_ft, "d").columns


def test_per_corruption_rows_average_each_corruption_over_seeds(results):
    t = per_corruption_table(results, "d").set_index("Method")
    assert list(t.index) == ["Standard (clean model)", "Standard, fine-tuned (same steps)", "AdvMix"]
    # fog: seed 0 (0.5+0.3)/2 = 0.40, seed 1 (0.4+0.3)/2 = 0.35 -> 37.5; noise (0.30, 0.25) -> 27.5
    assert (t.loc["AdvMix", "Fog"], t.loc["AdvMix", "Gauss"], t.loc["AdvMix", "n"]) == ("37.5", "27.5", 2)
    assert t.loc["AdvMix", "mPC"] == "32.5" and t.loc["AdvMix", "AP*"] == "60.0"
    assert t.loc["Standard (clean model)", "Fog"] == "30.0"
