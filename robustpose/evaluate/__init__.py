"""Evaluation: OKS AP/AR through pycocotools, robustness summaries, whole-benchmark runs."""
from robustpose.evaluate.coco_metrics import STAT_NAMES, coco_keypoint_metrics
from robustpose.evaluate.robustness import robustness_summary

__all__ = ["coco_keypoint_metrics", "robustness_summary", "STAT_NAMES"]
