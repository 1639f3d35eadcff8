"""The results page (``reports/index.html``): every table and figure the pipeline wrote, one page.

It is assembled from the files the other stages left on disk, so it shows exactly what
``dvc repro`` produced: each table from its CSV (with links to its CSV, LaTeX and markdown
twins), each figure by a path relative to the page, one card per evaluated model, and the
provenance of the numbers. Files are classified by where they live and what they are called
(``SECTIONS``); anything the rules do not know lands in "Other outputs", so a new table shows
up even before someone gives it a title.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from robustpose._io import file_digest
from robustpose.report import html as H

# (section, path regex relative to the repository root, title; {0} = the regex's first group)
RULES: list[tuple[str, str, str]] = [
    ("Wang et al.: COCO-C style robustness", r"reports/tables/table1_(.+)\.csv", "Table 1: clean AP, mPC and rPC on {0}-C"),
    ("Wang et al.: COCO-C style robustness", r"reports/tables/categories_(.+)\.csv", "Table 2: mPC per corruption category, {0}-C"),
    ("Wang et al.: COCO-C style robustness", r"reports/figures/ap_vs_severity_(.+)\.png", "AP against severity, {0}"),
    ("Wang et al.: COCO-C style robustness", r"reports/figures/ap_per_corruption_(.+)\.png", "AP per corruption, {0}"),
    ("Wang et al.: COCO-C style robustness", r"reports/figures/rpc_vs_clean_(.+)\.png", "rPC against clean AP, {0}"),
    ("AdvMix", r"reports/tables/advmix_(?!corruptions_)(.+)\.csv", "Table 3: standard training vs AdvMix, {0}"),
    ("AdvMix", r"reports/tables/advmix_corruptions_(.+)\.csv", "AP per corruption: standard training vs AdvMix, {0}"),
    ("AdvMix", r"reports/tables/ablation_(.+)\.csv", "Ablation of AdvMix's parts, {0}"),
    ("AdvMix", r"results/advmix/(.+)/mixing\.png", "Augmentations the generator mixed, {0}"),
    ("PoseBench", r"reports/tables/posebench_findings\.md", "PoseBench's findings, decided on these numbers"),
    ("PoseBench", r"reports/tables/posebench_(.+)\.csv", "PoseBench main table (mAP, mAR, mRR per category), {0}"),
    ("PoseBench", r"reports/tables/humans_vs_animals\.csv", "Humans vs animals: relative robustness per corruption"),
    ("PoseBench", r"reports/figures/posebench_mrr_vs_clean_(.+)\.png", "mRR against clean mAP, {0}"),
    ("PoseBench", r"reports/figures/posebench_radar_(.+)\.png", "Relative robustness per corruption, {0}"),
    ("3D lifting: Human3.6M-C", r"reports/lift/tables/lift_table\.csv", "MPJPE clean and corrupted per lifter and variant (TAGN, CA-Conv)"),
    ("3D lifting: Human3.6M-C", r"reports/lift/tables/lift_severity\.csv", "MPJPE per corruption and severity"),
    ("3D lifting: Human3.6M-C", r"reports/lift/tables/lift_per_joint\.csv", "MPJPE per joint"),
    ("3D lifting: Human3.6M-C", r"reports/lift/figures/(.+)\.png", "{0}"),
    ("3D lifting: Human3.6M-C", r"reports/lift_video/(.+)/tables/(.+)\.csv", "Video path ({0}): {1}"),
    ("3D lifting: Human3.6M-C", r"reports/lift_video/(.+)/figures/(.+)\.png", "Video path ({0}): {1}"),
    ("Adversarial attacks", r"reports/attack/tables/findings_(.+)\.csv", "The protocol's findings, decided on these numbers, {0}"),
    ("Adversarial attacks", r"reports/attack/tables/attacks_(.+)\.csv", "Relative AP per attack and budget, {0}"),
    ("Adversarial attacks", r"reports/attack/tables/image_transfer_(.+)\.csv", "Table 1: image-specific perturbations transferred, {0}"),
    ("Adversarial attacks", r"reports/attack/tables/universal_transfer_(.+)\.csv", "Table 1: universal perturbations transferred, {0}"),
    ("Adversarial attacks", r"reports/attack/tables/per_joint_(.+)\.csv", "Table 2: per-joint vulnerability, {0}"),
    ("Adversarial attacks", r"reports/attack/tables/defences_(.+)\.csv", "Defences, {0}"),
    ("Adversarial attacks", r"reports/attack/tables/cross_robustness_(.+)\.csv", "Corruption robustness vs adversarial robustness, {0}"),
    ("Adversarial attacks", r"reports/attack/figures/figure2_(.+)\.png", "Figure 2: relative AP against the budget, {0}"),
    ("Adversarial attacks", r"reports/attack/figures/transfer_(.+)\.png", "Transfer between models, {0}"),
    ("Factor grids", r"reports/grids/(.+)/table\.csv", "Grid: {0}"),
    ("Factor grids", r"reports/grids/(.+)/conclusion\.md", "Grid: {0}, conclusion"),
    ("Seed and kernel spread", r"reports/spread/table\.csv", "Trained results over seeds and CPU kernels"),
    ("Corruption preview", r"reports/figures/corruptions_(.+)\.png", "Every corruption at severities 1-5, {0}"),
]
SECTION_ORDER = list(dict.fromkeys(s for s, _, _ in RULES)) + ["Other outputs"]
# Where the pipeline writes what the page shows (relative to the repository root).
SCAN = ["reports/tables", "reports/figures", "reports/attack", "reports/lift", "reports/lift_video",
        "reports/grids", "reports/spread", "results/advmix"]
SHOWN_SUFFIXES = (".csv", ".png", ".md")
# The machine-readable results, linked from the overview.
DATA_FILES = [("every score, long format (CSV)", "reports/results.csv"),
              ("severity curves (CSV)", "reports/plots/severity.csv"),
              ("2D summary (JSON)", "reports/metrics.json"), ("attack summary (JSON)", "reports/attack/metrics.json"),
              ("3D summary (JSON)", "results/lift/metrics.json")]


@dataclass
class Item:
    """One table (from a CSV), figure (PNG) or text (markdown) of a section."""
    section: str
    title: str
    path: Path                     # relative to the repository root
    twins: list[Path] = field(default_factory=list)   # same stem, other formats (.tex, .md, .csv)
    order: int = len(RULES)        # the matching rule's index: tables appear in the papers' order


def classify(rel: str) -> tuple[str, str, int]:
    """(section, title, rule index) of a file by the first rule that matches its path."""
    for i, (section, pattern, title) in enumerate(RULES):
        m = re.fullmatch(pattern, rel)
        if m:
            return section, title.format(*(g.replace("_", " ") for g in m.groups())), i
    return "Other outputs", Path(rel).stem.replace("_", " "), len(RULES)


def discover(root: Path) -> list[Item]:
    """Every table, figure and markdown text under ``SCAN``, classified; a markdown file that
    has a CSV twin is the same table and is linked, not shown twice."""
    items = []
    for top in SCAN:
        for path in sorted((root / top).rglob("*")):
            rel = path.relative_to(root)
            if path.suffix not in SHOWN_SUFFIXES or any(p.startswith(".") for p in rel.parts):
                continue
            if path.suffix == ".md" and path.with_suffix(".csv").exists():
                continue
            if "plots" in rel.parts:   # training logs: drawn on the model cards
                continue
            section, title, order = classify(rel.as_posix())
            twins = [path.with_suffix(s).relative_to(root) for s in (".csv", ".tex", ".md")
                     if s != path.suffix and path.with_suffix(s).exists()]
            items.append(Item(section, title, rel, twins, order))
    return sorted(items, key=lambda it: (it.order, it.path.as_posix()))


def _href(rel: Path, page_dir: Path, root: Path) -> str:
    return Path(os.path.relpath(root / rel, page_dir)).as_posix()


def render_item(item: Item, root: Path, page_dir: Path) -> str:
    """The HTML of one item, with links to the file and its twins."""
    href = _href(item.path, page_dir, root)
    files = H.links([(p.suffix.lstrip(".").upper() if p.suffix != ".tex" else "LaTeX", _href(p, page_dir, root))
                     for p in [item.path, *item.twins]])
    if item.path.suffix == ".png":
        return f"<h3>{H.esc(item.title)}</h3>" + H.figure(href, item.path.as_posix()) + files
    if item.path.suffix == ".md":
        return f"<h3>{H.esc(item.title)}</h3>" + H.markdown((root / item.path).read_text(encoding="utf-8")) + files
    df = pd.read_csv(root / item.path)
    return f"<h3>{H.esc(item.title)}</h3>" + H.table(df, H.slug(item.path.as_posix()), item.title) + files


# ---------------------------------------------------------------- headline and models

def headline_frames(root: Path, metrics_dir: str = "metrics") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The headline rows (``metrics/**.json``, what ``dvc metrics show`` prints) as two tables:
    2D models (model, dataset, scores) and lifters (lifter, variant, MPJPE)."""
    two_d, lift = [], []
    for path in sorted((root / metrics_dir).rglob("*.json")):
        parts = path.relative_to(root / metrics_dir).with_suffix("").parts
        values = pd.read_json(path, typ="series").to_dict()
        if parts[0] == "lift" and len(parts) == 3:
            lift.append({"lifter": parts[1], "variant": parts[2], **values})
        elif len(parts) == 2:
            two_d.append({"model": parts[0], "dataset": parts[1], **values})
    return pd.DataFrame(two_d), pd.DataFrame(lift)


def _loss_curve(root: Path, model: str) -> tuple[list[float], list[float]] | None:
    for base in ("results/train", "results/advmix", "results/warmstart"):
        path = root / base / model / "plots" / "metrics" / "loss.tsv"
        if path.exists():
            log = pd.read_csv(path, sep="\t")
            return log["step"].tolist(), log["loss"].tolist()
    return None


def _checkpoint(root: Path, model: str, base_model: str) -> Path | None:
    for rel in (f"models/advmix/{model}.pt", f"models/warmstart/{model}.pt", f"models/{model}.pt",
                f"models/{base_model}.pt", f"models/{model}.pth"):
        if (root / rel).exists():
            return root / rel
    return None


def checkpoint_architecture(path: Path) -> tuple[dict, dict]:
    """The architecture (``spec``) and ``meta`` our checkpoints carry, read without unpickling
    code (``weights_only=True``); published ``.pth`` files carry neither."""
    if path.suffix != ".pt":
        return {}, {}
    import torch

    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict):
        return {}, {}
    return payload.get("spec", {}), payload.get("meta", {})


def model_card(root: Path, meta: dict, scores: dict, page_dir: Path) -> str:
    """One model on one dataset: architecture, input, head, checkpoint digest, training curve,
    clean and robust scores."""
    model, dataset = meta["model"], meta["dataset"]
    run = meta.get("run", {})
    ckpt = _checkpoint(root, model, run.get("base_model", model))
    spec, ckpt_meta = checkpoint_architecture(ckpt) if ckpt else ({}, {})
    arch = (f"ResNet-{spec['depth']} (width {spec['base_channels']}), deconv {spec['deconv_channels']}"
            if spec.get("depth") else "published checkpoint (mmpose)")
    facts = {"dataset": dataset, "architecture": arch, "head": meta.get("head", "?"),
             "input (h x w)": "x".join(str(v) for v in meta.get("input_size", [])),
             "training": run.get("strategy", "clean") + (f", seed {run['seed']}" if run.get("seed") is not None else "")
             + (f", {ckpt_meta['precision']}" if ckpt_meta.get("precision") else ""),
             "flip test": "yes" if meta.get("flip_test") else "no",
             "checkpoint": (f"<code>{H.esc(_href(ckpt.relative_to(root), page_dir, root))}</code> sha256 "
                            f"<code>{file_digest(ckpt)[:16]}</code>") if ckpt else "not in this workspace"}
    facts.update({k: f"{v:.3f}" if isinstance(v, float) and abs(v) < 1 else str(v) for k, v in scores.items()})
    dl = "".join(f"<dt>{H.esc(k)}</dt><dd>{v if k == 'checkpoint' else H.esc(v)}</dd>" for k, v in facts.items())
    curve = _loss_curve(root, model)
    chart = H.line_chart(*curve, label="training loss") if curve else '<p class="muted">no training log (not trained here)</p>'
    return f'<div class="card"><h3>{H.esc(model)}</h3><dl>{dl}</dl>{chart}</div>'


def model_cards(root: Path, page_dir: Path) -> str:
    """A card per evaluated (model, dataset), from the per-condition metrics' ``meta``."""
    cards = []
    for path in sorted((root / "results" / "metrics").glob("*/*.json")):
        meta = pd.read_json(path, typ="series").get("meta") or {}
        if not meta:
            continue
        head = root / "metrics" / meta["model"] / f"{meta['dataset']}.json"
        scores = pd.read_json(head, typ="series").to_dict() if head.exists() else {}
        cards.append(model_card(root, meta, scores, page_dir))
    return f'<div class="cards">{"".join(cards)}</div>' if cards else '<p class="muted">no evaluated model</p>'


# ---------------------------------------------------------------- provenance

def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def stage_freshness(workspace_lock: dict, committed_lock: dict) -> dict[str, bool]:
    """Per stage of the workspace's ``dvc.lock``: True when its entry (deps, params, outs) differs
    from the committed lock's, i.e. its numbers were computed here and are not the commit's."""
    ours, theirs = workspace_lock.get("stages", {}), committed_lock.get("stages", {})
    return {name: theirs.get(name) != entry for name, entry in sorted(ours.items())}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def provenance(root: Path) -> dict[str, object]:
    """Commit, params digest, date, machine, and which stages' numbers are new since the commit."""
    lock = root / "dvc.lock"
    workspace = yaml.safe_load(lock.read_text()) if lock.exists() else {}
    committed = yaml.safe_load(_git(root, "show", "HEAD:dvc.lock") or "{}") or {}
    fresh = stage_freshness(workspace or {}, committed)
    params = root / "params.yaml"
    return {"commit": _git(root, "rev-parse", "--short=12", "HEAD") or "unknown (not a git checkout)",
            "uncommitted changes": "yes" if _git(root, "status", "--porcelain", "--untracked-files=no") else "no",
            "params.yaml sha256": file_digest(params)[:16] if params.exists() else "missing",
            "written": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{_cpu_name()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "fresh": [n for n, f in fresh.items() if f], "as committed": [n for n, f in fresh.items() if not f]}


def provenance_html(prov: dict[str, object]) -> str:
    fresh, same = prov["fresh"], prov["as committed"]
    rows = "".join(f"<dt>{H.esc(k)}</dt><dd>{H.esc(v)}</dd>" for k, v in prov.items()
                   if k not in ("fresh", "as committed"))
    detail = (f'<p><span class="badge">{len(same)} stages</span> match the committed <code>dvc.lock</code>: their '
              f'numbers are the commit\'s (reproduced or carried over). <span class="badge old">{len(fresh)} stages</span> '
              f"were computed in this workspace with other inputs and are not yet committed"
              + (f": {H.esc(', '.join(fresh))}." if fresh else ".") + "</p>")
    return f'<div class="card"><dl>{rows}</dl></div>{detail}'


# ---------------------------------------------------------------- the page

def build_page(root: Path, out: Path) -> str:
    """The whole page for the repository at ``root``, to be written at ``out``."""
    page_dir = out.parent
    prov = provenance(root)
    two_d, lift = headline_frames(root)
    overview = ("<p>The headline numbers, as <code>dvc metrics show</code> prints them: clean AP, Wang et al.'s "
                "mPC and rPC, PoseBench's mRR and its four category RRs, the relative AP under a single-step attack "
                "(fractions); MPJPE of the 3D lifters clean and corrupted (mm). Click a column to sort.</p>")
    overview += H.table(two_d, "headline-2d", "2D models") if len(two_d) else '<p class="muted">no headline metrics yet: run <code>dvc repro</code></p>'
    overview += ("<h3>3D lifters</h3>" + H.table(lift, "headline-3d", "3D lifters")) if len(lift) else ""
    overview += "<h3>Data</h3>" + H.links((label, _href(Path(rel), page_dir, root)) for label, rel in DATA_FILES
                                           if (root / rel).exists())
    by_section: dict[str, list[str]] = {}
    for item in discover(root):
        by_section.setdefault(item.section, []).append(render_item(item, root, page_dir))
    sections = [("Overview", overview)]
    sections += [(s, "\n".join(by_section[s])) for s in SECTION_ORDER if s in by_section]
    sections += [("Models", model_cards(root, page_dir)), ("Provenance", provenance_html(prov))]
    subtitle = (f"<p>Robustness of pose estimators to corruptions and adversarial input: every table and figure "
                f"of this run. Commit <code>{H.esc(prov['commit'])}</code>, written {H.esc(prov['written'])}.</p>")
    return H.page("robustpose results", subtitle, sections)
