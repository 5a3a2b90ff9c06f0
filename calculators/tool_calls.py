"""Tool call columns (25-33)."""

from typing import Dict

import numpy as np

from calculators.batch import RunArrays
from calculators.segments import safe_divide, seg_max, seg_mean, seg_sum
from config.thresholds import Thresholds


def tool_call_features(runs: RunArrays, th: Thresholds) -> Dict[str, np.ndarray]:
    """
    avg_tool_calls            = mean(tools)
    max_tool_calls            = max(tools)
    total_tool_calls          = sum(tools)
    tool_explosion_ratio      = max(tools) / mean(tools)
    excessive_tools_frequency = count(tools_r > EXCESSIVE_TOOLS_LIMIT) / N
    duplicate_tools_score     = sum(dup) / sum(tools)
    tool_chaos_score          = excessive_tools_frequency + tool_explosion_ratio / 10
    tool_overuse_flag         = max(tools) > TOOL_OVERUSE_LIMIT
    tool_explosion_flag       = tool_explosion_ratio > EXPLOSIVE_GROWTH_THRESHOLD
    """
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
