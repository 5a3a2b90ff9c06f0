"""A run's profile, drift and report, as files beside its manifest, and the state they need
(services/profile.py computes; services/report.py draws; this reads and writes).

    {run folder}/_profile.json, _drift.json, _report.html   published with the run
    {S3_PREFIX}/_state/reference_profile.json               the first run's profile
    {S3_PREFIX}/_state/last_profile.json                    the last successful run's

The previous run is the last successful run under the same S3_PREFIX (whatever its range
or window), in S3 when S3_BUCKET is set, else in OUTPUT_DIR. State is written after the
run's files are published; a run that fails changes none of it.
"""

import json
import logging
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from config.errors import ConfigError
from config.settings import JobConfig
from interfaces.errors import OutputError
from services.column_statistics import ColumnStatistics
from services.conversation_extraction_service import ExtractionStats
from services.profile import (
    DRIFT_NAME,
    FEATURE_DRIFT,
    LAST_PROFILE_NAME,
    PROFILE_NAME,
    REFERENCE_NAME,
    REPORT_NAME,
    ProfileError,
    build_profile,
    check_comparable,
    drift,
)
from services.report import render
from services.run_outputs import PublishedFile, RunOutputs
from services.state import DatasetPlace, read_json, state_key, write_json
from utils.files import AtomicFile

logger = logging.getLogger(__name__)

# The page declares its charset itself; a charset parameter here is rewritten by some
# S3-compatible stores' HTTP servers (S3Proxy's), which then refuse the request's signature.
HTML_CONTENT_TYPE = "text/html"
JSON_CONTENT_TYPE = "application/json"


class DriftFailure(Exception):
    """DRIFT_FAIL and the dataset drifts: the run fails before publishing."""


@dataclass
class RunProfile:
    profile: dict
    drift: dict
    reference: dict  # what the bins came from (this run's own profile on a first run)
    previous: Optional[dict]
    reference_version: Optional[str]  # of the stored reference; None: none stored yet
    previous_version: Optional[str]
    files: List[PublishedFile] = field(default_factory=list)
    _staged: Dict[str, AtomicFile] = field(default_factory=dict)


def profile_run(config: JobConfig, place: DatasetPlace, statistics: ColumnStatistics,
                stats: ExtractionStats) -> RunProfile:
    """The run's profile and its drift; `feature_drift` counted (the number of drifting
    columns) when the dataset drifts; DriftFailure with DRIFT_FAIL."""
    stored_reference = read_json(place, state_key(config, REFERENCE_NAME))
    reference = load_reference(config, place) if config.reference_profile else (
        stored_reference[0] if stored_reference else None)
    previous = read_json(place, state_key(config, LAST_PROFILE_NAME))
    try:
        check_comparable(reference, "the reference profile")
        profile = build_profile(statistics, reference)
        measured = drift(profile, previous[0] if previous else None, reference or profile)
    except ProfileError as error:
        raise OutputError(str(error)) from None
    run = RunProfile(profile, measured, reference or profile, previous[0] if previous else None,
                     stored_reference[1] if stored_reference else None,
                     previous[1] if previous else None)
    drifting = measured["drifting_columns"]
    if measured["dataset_drifts"]:
        stats.warnings[FEATURE_DRIFT] = len(drifting)
        logger.warning("feature_drift columns=%d of=%d against_previous_rows=%s drifting=%s",
                       len(drifting), measured["comparable_columns"], measured["previous_rows"],
                       ",".join(drifting))
        if config.drift_fail:
            raise DriftFailure(
                "the dataset drifts against the previous run: {} of {} numeric columns ({}); "
                "DRIFT_FAIL=true, so nothing was published (see the log; set DRIFT_FAIL=false "
                "to publish and count the warning instead)".format(
                    len(drifting), measured["comparable_columns"], ", ".join(drifting[:8])))
    elif drifting:
        logger.info("columns_drifting count=%d of=%d: below the dataset's threshold (half)",
                    len(drifting), measured["comparable_columns"])
    return run


def load_reference(config: JobConfig, place: DatasetPlace) -> dict:
    """REFERENCE_PROFILE: a profile in S3_BUCKET (s3://) or a local file."""
    location = str(config.reference_profile)
    if location.startswith("s3://"):
        if place.store is None:
            raise ConfigError("REFERENCE_PROFILE", "a local path when S3_BUCKET is not set",
                              location)
        content = place.store.fetch(location.split("/", 3)[3])
    else:
        try:
            with open(location, "rb") as handle:
                content = handle.read()
        except OSError:
            content = None
    if content is None:
        raise ConfigError("REFERENCE_PROFILE", "an existing profile file", location)
    try:
        reference = json.loads(content)
        check_comparable(reference, "REFERENCE_PROFILE")
    except (ValueError, ProfileError) as error:
        raise ConfigError("REFERENCE_PROFILE", "a _profile.json this job wrote",
                          str(error)[:200]) from None
    return reference


def stage_files(run: RunProfile, outputs: RunOutputs, summary: Dict[str, object]) -> None:
    """_profile.json, _drift.json and _report.html, complete under temporary names in the
    run's folder, held by `outputs` (discarded unless the run commits)."""
    contents = {
        PROFILE_NAME: (json.dumps(run.profile, indent=1, allow_nan=False) + "\n",
                       JSON_CONTENT_TYPE),
        DRIFT_NAME: (json.dumps(run.drift, indent=1, allow_nan=False) + "\n",
                     JSON_CONTENT_TYPE),
        REPORT_NAME: (render(run.profile, run.drift, run.previous, run.reference, summary),
                      HTML_CONTENT_TYPE),
    }
    for name, (text, content_type) in contents.items():
        published = PublishedFile(key="{}/{}".format(outputs.key_prefix, name),
                                  content_type=content_type,
                                  path=os.path.join(outputs.folder, name))
        try:
            staged = AtomicFile(published.path)
            outputs.hold(staged)
            staged.write(text)
            staged.close()
        except OSError as error:
            raise OutputError("cannot write {}: {}".format(
                published.path, error.strerror or error)) from None
        published.measure(staged.temporary_path)
        run.files.append(published)
        run._staged[name] = staged


def temporary_path(run: RunProfile, published: PublishedFile) -> str:
    return run._staged[os.path.basename(published.path)].temporary_path


def commit_files(run: RunProfile) -> None:
    for staged in run._staged.values():
        staged.commit()


def save_state(config: JobConfig, place: DatasetPlace, run: RunProfile) -> None:
    """After the run's files are published: its profile becomes the previous run's, and on
    a first run (no REFERENCE_PROFILE) the reference."""
    if run.reference_version is None and not config.reference_profile:
        write_json(place, state_key(config, REFERENCE_NAME), run.profile, None,
                   {"job-run-id": config.job_run_id})
    write_json(place, state_key(config, LAST_PROFILE_NAME), run.profile, run.previous_version,
               {"job-run-id": config.job_run_id})
