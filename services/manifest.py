"""The manifest: what a run read and wrote, and the contract its files follow, in one JSON
document written last (services/dataset_job.py). A reader can build a table from it alone:
the contract version, the file format and its conventions, and for every column its type,
its Arrow type, its Athena / Glue type, whether it can be null, and its statistics.

Nothing in it names a place on the machine that ran the job: outputs by their keys, local
files by their names.
"""

import datetime as dt
from typing import Dict, List, Optional

from calculators.columns import COLUMN_NAMES, COLUMNS, NUMERIC_COLUMNS, column_definitions
from calculators.normalise import SHAPES
from config import constants
from config.settings import JobConfig, local_name
from interfaces.values import SourceReport
from services.column_statistics import QUANTILE_RELATIVE_ERROR, ColumnStatistics
from services.column_types import STORAGE, can_be_null
from services.conversation_extraction_service import ExtractionStats
from services.run_outputs import PublishedFile

CONTRACT_VERSION = "1.2"


def build_manifest(config: JobConfig, source: SourceReport, stats: ExtractionStats,
                   statistics: ColumnStatistics, outputs: Dict[str, PublishedFile],
                   started_at: dt.datetime, finished_at: dt.datetime,
                   seconds: float) -> Dict[str, object]:
    numeric_statistics = _finite(statistics.as_dict())
    return {
        "contract": CONTRACT_VERSION,
        "job_name": config.job_name,
        "job_run_id": config.job_run_id,
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "duration_seconds": round(seconds, 3),
        "date_range": {"start_date": str(config.start_date), "end_date": str(config.end_date),
                       "time_zone": "UTC", "end_inclusive": True},
        "source": dict(_without_local_paths(source.description),
                       session_schema=config.session_schema),
        "documents_read": stats.documents_read,
        "rows_written": stats.rows_written,
        "rejects": stats.rejected,
        "reject_reasons": dict(sorted(stats.reject_reasons.items())),
        "warnings": dict(sorted(stats.warnings.items())),
        "shapes": {shape: stats.shapes.get(shape, 0) for shape in SHAPES},
        "thresholds": config.thresholds.as_dict(),
        "max_reject_ratio": config.max_reject_ratio,
        "configuration": config.echo(local_paths=False),
        "format": file_format(config),
        "columns": list(COLUMN_NAMES),
        "schema": schema(config, numeric_statistics, statistics.text_nulls()),
        "column_definitions": column_definitions(),
        "column_statistics": numeric_statistics,
        "outputs": {name: _without_path(output.describe())
                    for name, output in outputs.items()},
    }


def file_format(config: JobConfig) -> Dict[str, object]:
    """How the rows are written: what a reader must know before reading a cell."""
    described: Dict[str, object] = {
        "name": config.output_format,
        "undefined_values": config.undefined_values,
        "null": ("none: undefined numbers are written as 0" if config.undefined_values == "zero"
                 else "an empty cell" if config.output_format == "csv" else "a Parquet null"),
        "quantiles": {"relative_error": QUANTILE_RELATIVE_ERROR,
                      "rank": "floor(q * (n - 1)) among the n defined values"},
    }
    if config.output_format == "csv":
        described.update(encoding="utf-8", delimiter=",", quote='"', line_end="\n",
                         header=True, formula_guard=config.csv_formula_guard)
    else:
        described.update(compression=constants.PARQUET_COMPRESSION,
                         row_group_rows=constants.PARQUET_ROW_GROUP_ROWS,
                         timestamp_unit="milliseconds (whole seconds), UTC")
    return described


def schema(config: JobConfig, numeric_statistics: Dict[str, Dict[str, Optional[float]]],
           text_nulls: Dict[str, int]) -> List[Dict[str, object]]:
    """Each column in order: its types for this file's format, whether it can be null, and
    how many nulls it holds (the other statistics of a numeric column are under
    `column_statistics`)."""
    undefined_as_zero = config.undefined_values == "zero"
    columns = []
    for column in COLUMNS:
        storage = STORAGE[column.name]
        entry: Dict[str, object] = {
            "name": column.name, "type": column.dtype, "unit": column.unit,
            "arrow_type": storage.arrow_type,
            "athena_type": (storage.athena_parquet if config.output_format == "parquet"
                            else storage.athena_csv),
            "nullable": can_be_null(column.name, undefined_as_zero),
        }
        if column.name in NUMERIC_COLUMNS:
            entry["nulls"] = numeric_statistics[column.name]["nulls"]
        else:
            entry["nulls"] = text_nulls.get(column.name, 0)
        columns.append(entry)
    return columns


def _without_local_paths(description: Dict[str, object]) -> Dict[str, object]:
    """A source's description with its files named by their last part."""
    cleaned: Dict[str, object] = {}
    for key, value in description.items():
        if key in ("path", "file") and isinstance(value, str):
            value = local_name(value)
        elif isinstance(value, dict):
            value = _without_local_paths(value)
        cleaned[key] = value
    return cleaned


def _without_path(described: Dict[str, object]) -> Dict[str, object]:
    return {key: value for key, value in described.items() if key != "path"}


def _finite(statistics: Dict[str, Dict[str, Optional[float]]]
            ) -> Dict[str, Dict[str, Optional[float]]]:
    """JSON has no inf: a mean that overflowed is reported as null."""
    return {name: {key: (value if value is not None and value - value == 0 else None)
                   for key, value in values.items()}
            for name, values in statistics.items()}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
