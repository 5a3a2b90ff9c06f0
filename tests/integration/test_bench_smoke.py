"""The benchmark runs end to end at a tiny size (figures are recorded in docs, never
asserted: this only shows the script works)."""

import json
import os
import subprocess
import sys

import pytest

from tests.support.cli import ROOT

pytestmark = pytest.mark.integration

FIGURES = ("decode_sessions_per_s", "pipeline_sessions_per_s", "pipeline_vs_decode_ratio",
           "job_vs_scan_ratio", "rss_mb_1k", "rss_mb_3k", "workers_simulated_speedup_2_2k",
           "workers_file_speedup_2_2k", "workers_file_worker_rss_mb_2_2k",
           "projected_pipeline_vs_decode_ratio", "file_job_vs_decode_ratio_1k",
           "file_shuffled_job_vs_decode_ratio_1k", "agno_pipeline_vs_decode_ratio",
           "agno_projected_pipeline_vs_decode_ratio", "agno_file_job_vs_decode_ratio",
           "disk_peak_mb_2k_workers_2", "disk_peak_vs_csv_2k_workers_4")


def test_bench_small_prints_every_named_figure():
    process = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py"), "--small",
                              "--json"], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert process.returncode == 0, process.stderr[-3000:]
    figures = json.loads(process.stdout.strip().splitlines()[-1])
    for name in FIGURES:
        assert figures[name] > 0, name
