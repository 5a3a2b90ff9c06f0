"""The run's profile, drift and report: runs of 2,000 simulated sessions from one
distribution flag nothing, tripled token counts flag the token columns and no time column,
DRIFT_FAIL stops a drifting run before it publishes, and the report renders in Debian's
Chromium (headless, driven by Playwright) with one chart per numeric column."""

import json
import os
import struct
import subprocess
import zlib

import pytest

from calculators.columns import COLUMNS, NUMERIC_COLUMNS
from factories.configuration import load_config
from interfaces.values import JoinedSession
from repositories.simulated import SimulatedSessionRepository
from services.dataset_job import run_job
from services.engine_one_pass import OnePass
from services.run_profile import DriftFailure
from tests.support.cli import ROOT

pytestmark = pytest.mark.integration

FOLDER = os.path.join("training_data", "2024-12-01_to_2024-12-31")
TOKEN_FIELDS = frozenset(("input_tokens", "output_tokens", "total_tokens", "prompt_tokens",
                          "completion_tokens", "cache_read_tokens", "cached_tokens",
                          "reasoning_tokens"))
TIME_COLUMNS = frozenset(column.name for column in COLUMNS if column.name in NUMERIC_COLUMNS and (
    column.unit in ("seconds", "hour", "weekday") or "time" in column.name
    or "duration" in column.name) and "token" not in column.name)


def scaled(value, factor):
    """A stored document with every token count multiplied by `factor`."""
    if isinstance(value, dict):
        return {key: (_times(item, factor) if key in TOKEN_FIELDS else scaled(item, factor))
                for key, item in value.items()}
    if isinstance(value, list):
        return [scaled(item, factor) for item in value]
    return value


def _times(value, factor):
    if isinstance(value, list):
        return [_times(item, factor) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return value * factor
    if isinstance(value, float):
        return value * factor
    return value


class TokensScaled:
    """The simulated source, its token counts multiplied (a provider that bills 3x)."""

    def __init__(self, inner, factor):
        self.inner, self.factor = inner, factor

    def documents(self, window):
        for item in self.inner.documents(window):
            if isinstance(item, JoinedSession):
                yield JoinedSession(scaled(item.document, self.factor),
                                    [scaled(run, self.factor) for run in item.run_documents])
            elif isinstance(item, dict):
                yield scaled(item, self.factor)
            else:
                yield item

    def __getattr__(self, name):
        return getattr(self.inner, name)


def run(output_dir, seed, factor=1, *arguments):
    config = load_config(["glue_job.py", "--OUTPUT_DIR", str(output_dir), "--START_DATE",
                          "2024-12-01", "--END_DATE", "2024-12-31", "--LOG_LEVEL", "WARNING",
                          *arguments], {"REPOSITORY_TYPE": "simulated"})
    repository = SimulatedSessionRepository(2000, seed)
    return run_job(config, OnePass(TokensScaled(repository, factor) if factor != 1
                                   else repository))


def drift_of(output_dir):
    with open(os.path.join(str(output_dir), FOLDER, "_drift.json")) as handle:
        return json.load(handle)


def test_the_same_distribution_flags_nothing_and_tripled_tokens_flag_only_token_columns(
        tmp_path):
    run(tmp_path, 1)
    first = drift_of(tmp_path)
    assert first["previous_rows"] is None and first["drifting_columns"] == []
    run(tmp_path, 2)
    second = drift_of(tmp_path)
    assert second["previous_rows"] == 2000 and second["comparable_columns"] > 50
    assert second["drifting_columns"] == []
    largest = max(entry["previous"]["psi"] for entry in second["columns"].values()
                  if "previous" in entry)
    assert largest < 0.05  # chance alone, at 2,000 sessions a run
    run(tmp_path, 3, 3)
    third = drift_of(tmp_path)
    flagged = set(third["drifting_columns"])
    for name in ("sum_input_tokens", "sum_output_tokens", "sum_total_tokens",
                 "avg_total_tokens", "max_total_tokens", "avg_input_tokens"):
        assert name in flagged
    assert not flagged & TIME_COLUMNS, flagged & TIME_COLUMNS
    assert all("token" in name or "speed" in name or "temporal" in name for name in flagged)
    assert not third["dataset_drifts"]
    manifest = json.load(open(os.path.join(str(tmp_path), FOLDER, "_manifest.json")))
    assert set(manifest["outputs"]) >= {"profile", "drift", "report"}
    assert "feature_drift" not in manifest["warnings"]


def shifted(profile, slots):
    """The profile as if every positive value had been exp(slots x ln 1.0202) times larger."""
    for entry in profile["numeric"].values():
        zero = profile["sketch"]["slots"] // 2
        entry["slots"] = {str(int(slot) + slots if int(slot) > zero else int(slot)): count
                          for slot, count in entry["slots"].items()}
    return profile


def test_drift_fail_stops_a_drifting_run_before_it_publishes(tmp_path):
    run(tmp_path, 1)
    state = tmp_path / "training_data" / "_state" / "last_profile.json"
    state.write_text(json.dumps(shifted(json.loads(state.read_text()), 120)))
    earlier = {name: (tmp_path / FOLDER / name).read_bytes() for name in os.listdir(
        tmp_path / FOLDER)}
    with pytest.raises(DriftFailure, match="the dataset drifts against the previous run"):
        run(tmp_path, 2, 1, "--DRIFT_FAIL", "true")
    assert {name: (tmp_path / FOLDER / name).read_bytes()
            for name in os.listdir(tmp_path / FOLDER)} == earlier
    result = run(tmp_path, 2)  # without DRIFT_FAIL: published, with the warning
    measured = drift_of(tmp_path)
    assert measured["dataset_drifts"]
    assert result.stats.warnings["feature_drift"] == len(measured["drifting_columns"]) > 32


def png_is_not_blank(png: bytes) -> bool:
    """Many distinct byte values in the decompressed pixels: not one flat colour."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    data, position = b"", 8
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        if kind == b"IDAT":
            data += png[position + 8:position + 8 + length]
        position += 12 + length
    return len(set(zlib.decompress(data))) > 64


def chromium():
    found = subprocess.run([os.path.join(ROOT, "scripts", "install_chromium.sh")],
                           capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    return found.stdout.strip()


def test_the_report_renders_in_chromium_with_a_chart_per_numeric_column(tmp_path):
    from playwright.sync_api import sync_playwright

    run(tmp_path, 1)
    run(tmp_path, 2, 3)
    report = tmp_path / FOLDER / "_report.html"
    content = report.read_text()
    assert len(content.encode()) < 2_000_000
    assert "<script" not in content and "http://" not in content and "https://" not in content
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("console", lambda message: problems.append(message.text)
                    if message.type in ("error", "warning") else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda request: problems.append(request.url)
                    if not request.url.startswith("file://") else None)
            page.goto(report.as_uri())
            sizes = page.eval_on_selector_all(
                "svg.chart", "charts => charts.map(chart => {"
                "const box = chart.getBoundingClientRect(); return [box.width, box.height]})")
            drifting = page.eval_on_selector_all("figure.drifting", "figures => figures.length")
            first = page.eval_on_selector("figure", "figure => figure.id")
            screenshot = page.screenshot(full_page=False)
        finally:
            browser.close()
    assert len(sizes) == len(NUMERIC_COLUMNS)
    assert all(width >= 200 and height >= 80 for width, height in sizes)
    assert drifting == len(json.loads((tmp_path / FOLDER / "_drift.json").read_text())[
        "drifting_columns"]) > 0
    assert first == drift_of(tmp_path)["drifting_columns"][0]  # drifting columns first
    assert png_is_not_blank(screenshot)
    assert problems == []
    if os.environ.get("KEEP_REPORT_SCREENSHOT"):  # `make report-screenshot`: docs/report.png
        with open(os.environ["KEEP_REPORT_SCREENSHOT"], "wb") as handle:
            handle.write(screenshot)


def test_a_reference_profile_can_be_given_and_a_wrong_one_is_a_configuration_error(tmp_path):
    from config.errors import ConfigError

    run(tmp_path / "first", 1)
    reference = tmp_path / "reference.json"
    reference.write_bytes((tmp_path / "first" / FOLDER / "_profile.json").read_bytes())
    run(tmp_path / "second", 2, 3, "--REFERENCE_PROFILE", str(reference))
    given = json.loads(reference.read_text())
    second = json.loads((tmp_path / "second" / FOLDER / "_profile.json").read_text())
    for column in ("sum_total_tokens", "avg_execution_time"):
        # the bins are the given profile's, not the second run's own (its first run)
        assert second["numeric"][column]["histogram"]["edges"] == \
            given["numeric"][column]["histogram"]["edges"]
    against_reference = drift_of(tmp_path / "second")["columns"]
    assert against_reference["sum_total_tokens"]["reference"]["psi"] > 0.5  # tripled tokens
    assert against_reference["avg_execution_time"]["reference"]["psi"] < 0.05
    # a given reference is not stored as the dataset's
    assert not (tmp_path / "second" / "training_data" / "_state" /
                "reference_profile.json").exists()
    reference.write_text(json.dumps({"rows": 3}))
    with pytest.raises(ConfigError, match="REFERENCE_PROFILE"):
        run(tmp_path / "third", 2, 1, "--REFERENCE_PROFILE", str(reference))
