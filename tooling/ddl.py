"""Athena / Glue Data Catalog statements for a folder of the job's outputs, generated from
the column registry (services/column_types.py), so a table always has the types the files
are written with.

    python -m tooling.ddl --format parquet --table analytics.conversation_features \
        --location s3://my-bucket/training_data/2024-12-01_to_2024-12-31/
    make ddl  # both formats, for an example location

Parquet: one table whose columns have the files' types.

CSV: the CSV SerDe that reads RFC 4180 quoting (OpenCSVSerde) reads every column as text
and does not turn an empty cell into a null, so the statement is a text table,
`<table>_csv_text`, and a view, `<table>`, that gives every column its type and every
empty cell a null: the same rows, with the same types, as a table over the Parquet files.
"""

import argparse
import re
import sys
from typing import Optional, Sequence

from calculators.column import TEXT
from calculators.columns import COLUMN_NAMES
from services.column_types import DATE_COLUMNS, STORAGE, TIMESTAMP_COLUMNS
from services.manifest import CONTRACT_VERSION

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_LOCATION = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^'\\\s]*)?/$")


def parquet_table(table: str, location: str) -> str:
    return _external_table(table, lambda name: STORAGE[name].athena_parquet,
                           "STORED AS PARQUET", location, [("parquet.compression", "ZSTD")])


def csv_table(table: str, location: str) -> str:
    """The text table and the typed view over it."""
    text_table = table + "_csv_text"
    # No escapeChar: the SerDe's default escape is the quote itself, as RFC 4180 doubles it;
    # a backslash in an id stays a backslash.
    storage = ("ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\n"
               "WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"')\n"
               "STORED AS TEXTFILE")
    create = _external_table(text_table, lambda name: "string", storage, location,
                             [("skip.header.line.count", "1")])
    return create + "\n" + typed_view(table, text_table)


def _external_table(table: str, column_type, storage: str, location: str,
                    properties) -> str:
    columns = ",\n".join("  `{}` {}".format(name, column_type(name)) for name in COLUMN_NAMES)
    listed = ", ".join("'{}' = '{}'".format(key, value) for key, value in
                       list(properties) + [("contract_version", CONTRACT_VERSION)])
    return ("CREATE EXTERNAL TABLE IF NOT EXISTS {}(\n{}\n)\n{}\nLOCATION '{}'\n"
            "TBLPROPERTIES ({});\n").format(_quoted(table) + " ", columns, storage, location,
                                            listed)


def typed_view(view: str, text_table: str) -> str:
    """The view that types the text table's columns (Trino SQL, as Athena runs it)."""
    selected = ",\n".join("  {} AS \"{}\"".format(typed_cell(name), name)
                          for name in COLUMN_NAMES)
    return "CREATE OR REPLACE VIEW {view} AS\nSELECT\n{selected}\nFROM {table};\n".format(
        view=_double_quoted(view), selected=selected, table=_double_quoted(text_table))


def typed_cell(name: str) -> str:
    cell = "NULLIF(\"{}\", '')".format(name)
    if name in TIMESTAMP_COLUMNS:
        return "CAST(from_iso8601_timestamp({}) AS timestamp)".format(cell)
    if name in DATE_COLUMNS:
        return "CAST({} AS date)".format(cell)
    if STORAGE[name].dtype == TEXT:
        return cell
    return "CAST({} AS {})".format(cell, STORAGE[name].athena_csv)


def statements(output_format: str, table: str, location: str) -> str:
    check_names(table, location)
    return (parquet_table if output_format == "parquet" else csv_table)(table, location)


def check_names(table: str, location: str) -> None:
    parts = table.split(".")
    if len(parts) > 2 or not all(_NAME.match(part) for part in parts):
        raise ValueError("--table: DATABASE.TABLE or TABLE in lower case letters, digits and "
                         "underscores (Athena's rule), not {!r}".format(table))
    if not _LOCATION.match(location):
        raise ValueError("--location: an S3 folder such as s3://bucket/prefix/range/ (with "
                         "the trailing slash), not {!r}".format(location))


def _quoted(table: str) -> str:
    return ".".join("`{}`".format(part) for part in table.split("."))


def _double_quoted(table: str) -> str:
    return ".".join('"{}"'.format(part) for part in table.split("."))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--format", choices=("csv", "parquet"), required=True,
                        help="OUTPUT_FORMAT of the files")
    parser.add_argument("--table", required=True, help="DATABASE.TABLE (or TABLE)")
    parser.add_argument("--location", required=True,
                        help="the S3 folder of the files, with a trailing slash")
    arguments = parser.parse_args(argv)
    try:
        sys.stdout.write(statements(arguments.format, arguments.table, arguments.location))
    except ValueError as error:
        print("error: {}".format(error), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
