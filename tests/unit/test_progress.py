"""Progress lines: every few seconds, with the total, percentage and time left when known."""

import logging

from config.thresholds import Thresholds
from services.conversation_extraction_service import extract_features
from services.csv_writer import CsvWriter
from services.reject_log import RejectLog
from tests.support.documents import DEC_1, v2_session
from utils.progress import ProgressLog


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_line_every_few_seconds_with_total_percent_and_time_left(caplog):
    caplog.set_level(logging.INFO)
    clock = Clock()
    progress = ProgressLog(logging.getLogger("t"), "progress", "documents_read",
                           total=lambda: 10_000, seconds=5.0, clock=clock)
    for done in range(1, 10_001):
        clock.now = done / 1000.0  # 1,000 documents a second
        progress.step(done)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1  # at 5 s; the next is due after 10 s, when the run is over
    assert lines[0].startswith("progress documents_read=5120 total=10000 percent=51.2 eta_s=5 ")
    assert "rate_per_s=1000" in lines[0]


def test_without_a_total_the_line_says_only_what_is_known(caplog):
    caplog.set_level(logging.INFO)
    progress = ProgressLog(logging.getLogger("t"), "progress", "documents_read")
    progress.log(42, now=progress.started + 2)
    assert caplog.records[0].getMessage() == (
        "progress documents_read=42 rate_per_s=21 elapsed_s=2.0")


def test_the_extraction_reports_progress_against_the_sources_total(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    clock = Clock()
    documents = [v2_session("s%d" % i, DEC_1 + i) for i in range(3000)]

    def timed():
        for document in documents:
            clock.now += 0.01  # 100 documents a second
            yield document

    extract_features(timed(), CsvWriter(str(tmp_path / "o.csv")),
                     RejectLog(str(tmp_path / "r.jsonl")), Thresholds(),
                     expected_documents=lambda: 3000, clock=clock)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("progress")]
    assert lines and all(" total=3000 " in line and " eta_s=" in line for line in lines)
    assert len(lines) == 5  # 30 s of reading, a line every 5 s once 256 documents have passed
