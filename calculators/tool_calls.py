"""Tool call columns (25-33)."""

from typing import Dict

import numpy as np

from calculators.batch import FrozenBatch
from calculators.column import FLAG, INTEGER, REAL, Column
from calculators.segments import safe_divide, seg_max, seg_mean, seg_sum
from config.thresholds import Thresholds

TOOL_CALL_COLUMNS = (
    Column("avg_tool_calls", REAL, "calls",
           "mean(tools)"),
    Column("max_tool_calls", INTEGER, "calls",
           "max(tools)"),
    Column("total_tool_calls", INTEGER, "calls",
           "sum(tools)"),
    Column("tool_explosion_ratio", REAL, "ratio",
           "max(tools) / mean(tools)"),
    Column("excessive_tools_frequency", REAL, "share of runs",
           "count(tools_r > EXCESSIVE_TOOLS_LIMIT) / N"),
    Column("duplicate_tools_score", REAL, "share of calls",
           "sum(dup) / sum(tools)"),
    Column("tool_chaos_score", REAL, "score",
           "excessive_tools_frequency + tool_explosion_ratio / 10"),
    Column("tool_overuse_flag", FLAG, "0 or 1",
           "max(tools) > TOOL_OVERUSE_LIMIT"),
    Column("tool_explosion_flag", FLAG, "0 or 1",
           "tool_explosion_ratio > EXPLOSIVE_GROWTH_THRESHOLD"),
)


def tool_call_features(batch: FrozenBatch, th: Thresholds) -> Dict[str, np.ndarray]:
    """TOOL_CALL_COLUMNS, as defined above."""
    runs = batch.runs
    tools = runs.tools
    mean_tools = seg_mean(runs, tools)
    max_tools = seg_max(runs, tools)
    total_tools = seg_sum(runs, tools)
    explosion_ratio = safe_divide(max_tools, mean_tools)
    excessive_frequency = safe_divide(seg_sum(runs, tools > th.EXCESSIVE_TOOLS_LIMIT),
                                      runs.run_count)
    return {
        "avg_tool_calls": mean_tools,
        "max_tool_calls": max_tools,
        "total_tool_calls": total_tools,
        "tool_explosion_ratio": explosion_ratio,
        "excessive_tools_frequency": excessive_frequency,
        "duplicate_tools_score": safe_divide(seg_sum(runs, runs.duplicates), total_tools),
        "tool_chaos_score": excessive_frequency + explosion_ratio / 10.0,
        "tool_overuse_flag": (max_tools > th.TOOL_OVERUSE_LIMIT).astype(np.float64),
        "tool_explosion_flag": (explosion_ratio > th.EXPLOSIVE_GROWTH_THRESHOLD).astype(
            np.float64),
    }
