"""Benchmarks: the job against the BSON decode limit, against a bare server scan, and its
memory. Not part of the test suite. `make bench` runs the full sizes (about 15 minutes);
`--small` shows it works in a minute; `--json` ends with one JSON object of the figures.

Figures (docs/benchmarks.md):
  decode_sessions_per_s      bson.decode_all over the encoded sessions, collector paused
  pipeline_sessions_per_s    decode + normalise + features + CSV file, from the same bytes
  pipeline_vs_decode_ratio   decode time / pipeline rate, i.e. pipeline time / decode time
  projected_*                the same over the projected documents MongoDB sends the job
  job_vs_scan_ratio          full job on FerretDB / bare projected cursor scan, same query
  agno3_job_vs_scan_ratio    the same for Agno 3: sessions query + one runs query per batch
  file_*                     the file source: whole job vs one bare json_util decode pass,
                             for a file in order (streamed) and the same lines shuffled
  runs_file_*                the file source joined with a large runs dump (RUNS_INPUT_PATH)
  agno_*                     Agno 3 sessions written by Agno's own code, about 12 KB a run:
                             the BSON ceiling (whole and projected) and the file job
  rss_mb_10k, rss_mb_100k    peak RSS of the whole job at 10,000 and 100,000 sessions
  workers_*                  the whole job with WORKERS=1 and 2 (simulated, file): speed-up, RSS
  spark_*                    FerretDB: one process, WORKERS=2 and Spark local[2], and a bare scan
  format_*                   the writers alone over the same feature batches (CSV, Parquet
                             snappy and zstd: seconds and bytes), the column statistics with
                             their quantile sketch, and the whole job in each format
  partitioned_*              a 30-day partitioned dataset at 20,000 sessions a day, and runs
                             reaching back 1 %, 10 %, 100 % of it: seconds, bytes, days

The simulated sessions mix every shape; their Agno 3 sessions (about 30 %) come with run
documents, which the BSON figures decode and join exactly as the MongoDB source does.
"""

import argparse
import contextlib
import copy
import dataclasses
import datetime as dt
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import bson  # noqa: E402

from config.thresholds import Thresholds  # noqa: E402
from factories.configuration import load_config  # noqa: E402
from interfaces.ports import RunsSource  # noqa: E402
from interfaces.values import DateRange, JoinedSession  # noqa: E402
from repositories.runs_join import RunsJoin  # noqa: E402
from repositories.simulated import SimulatedSessionRepository  # noqa: E402
from services.conversation_extraction_service import extract_features  # noqa: E402
from services.csv_writer import CsvWriter  # noqa: E402
from services.reject_log import RejectLog  # noqa: E402

RANGE = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))
CURSOR_BATCH = 1000


def encoded_batches(count: int, seed: int = 1, projected: bool = False):
    """The simulated sessions as cursor_batches."""
    items = SimulatedSessionRepository(count, seed, batch_size=CURSOR_BATCH).documents(RANGE)
    return cursor_batches(((item.document, item.run_documents) if isinstance(item, JoinedSession)
                           else (item, ()) for item in items), projected)


def cursor_batches(sessions_with_runs, projected: bool = False):
    """(session, its run documents) pairs as BSON in cursor-sized batches: (the sessions,
    the Agno 3 run documents of those sessions), as the two queries of one batch return
    them; with `projected`, without the fields the job's projections leave on the server."""
    from repositories.extended_json import exclude, split_paths
    from repositories.unread_fields import runs_projection, sessions_projection

    def encoded(document, excluded):
        if projected:
            document = copy.deepcopy(document)
            exclude(document, excluded)
        return bson.encode(document)

    session_paths = split_paths(sessions_projection())
    run_paths = split_paths(runs_projection())
    batches, sessions, runs = [], [], []
    for session, session_runs in sessions_with_runs:
        sessions.append(encoded(session, session_paths))
        runs.extend(encoded(run, run_paths) for run in session_runs)
        if len(sessions) == CURSOR_BATCH:
            batches.append((b"".join(sessions), b"".join(runs)))
            sessions, runs = [], []
    if sessions:
        batches.append((b"".join(sessions), b"".join(runs)))
    return batches


class DecodedRuns(RunsSource):
    """One batch's run documents, decoded: what the runs query of that batch returns."""

    def __init__(self, runs):
        self.runs = runs

    def runs_of(self, session_ids):
        return self.runs

    def describe(self):
        return {}


def encoded_documents(count: int, seed: int):
    """(sessions, runs) as lists of documents, for loading a server."""
    sessions, runs = [], []
    for item in SimulatedSessionRepository(count, seed).documents(RANGE):
        if isinstance(item, JoinedSession):
            sessions.append(item.document)
            runs.extend(item.run_documents)
        else:
            sessions.append(item)
    return sessions, runs


def timed(function, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def decode_all(batches, paused: bool) -> None:
    if paused:
        gc.disable()
    try:
        for sessions, runs in batches:
            bson.decode_all(sessions)
            bson.decode_all(runs)
    finally:
        gc.enable()


def pipeline(batches, folder: str, batch_size=None) -> None:
    def documents():
        for sessions, runs in batches:
            join = RunsJoin(DecodedRuns(bson.decode_all(runs)), CURSOR_BATCH)
            yield from join.joined(bson.decode_all(sessions))

    writer = CsvWriter(os.path.join(folder, "bench.csv"))
    rejects = RejectLog(os.path.join(folder, "_rejects.jsonl"))
    kwargs = {"batch_size": batch_size} if batch_size else {}
    extract_features(documents(), writer, rejects, Thresholds(), **kwargs)
    writer.commit()
    rejects.discard()


def ceiling(count: int, repeats: int) -> dict:
    print("ceiling: encoding {:,} sessions...".format(count), file=sys.stderr)
    batches = encoded_batches(count)
    total_bytes = sum(len(sessions) + len(runs) for sessions, runs in batches)
    folder = tempfile.mkdtemp(prefix="bench-")
    decode_gc = timed(lambda: decode_all(batches, paused=False), repeats)
    decode = timed(lambda: decode_all(batches, paused=True), repeats)
    run = timed(lambda: pipeline(batches, folder), repeats)
    figures = {
        "sessions": count, "mean_session_bytes": round(total_bytes / count),
        "decode_mb_per_s": round(total_bytes / decode / 1e6, 1),
        "decode_sessions_per_s": round(count / decode),
        "decode_with_collector_sessions_per_s": round(count / decode_gc),
        "pipeline_sessions_per_s": round(count / run),
        "pipeline_vs_decode_ratio": round(run / decode, 3),
        "pipeline_vs_decode_with_collector_ratio": round(run / decode_gc, 3),
    }
    from unittest import mock

    import services.conversation_extraction_service as extraction
    with mock.patch.object(extraction, "paused_garbage_collector", contextlib.nullcontext):
        collector_on = timed(lambda: pipeline(batches, folder), 1)
    figures["pipeline_with_collector_sessions_per_s"] = round(count / collector_on)
    for size in (500, 10_000):
        seconds = timed(lambda size=size: pipeline(batches, folder, batch_size=size), 1)
        figures["pipeline_sessions_per_s_feature_batch_{}".format(size)] = round(count / seconds)
    # What the MongoDB source decodes in production: the projections leave message
    # histories on the server, so the decode is cheaper and the job's own share larger.
    projected = encoded_batches(count, projected=True)
    projected_bytes = sum(len(sessions) + len(runs) for sessions, runs in projected)
    decode = timed(lambda: decode_all(projected, paused=True), repeats)
    run = timed(lambda: pipeline(projected, folder), repeats)
    figures.update({
        "projected_mean_session_bytes": round(projected_bytes / count),
        "projected_decode_sessions_per_s": round(count / decode),
        "projected_pipeline_sessions_per_s": round(count / run),
        "projected_pipeline_vs_decode_ratio": round(run / decode, 3),
    })
    return figures


def server(count: int, repeats: int) -> dict:
    from pymongo import MongoClient

    from factories.mongo_connection import connect
    from factories.sources.mongo import build_mongo_repository
    from repositories.mongo_repository import RUNS_SORT, MongoSessionRepository
    from services.dataset_job import run_job
    from services.engine_one_pass import OnePass
    from tests.support.servers import FerretDB

    folder = tempfile.mkdtemp(prefix="bench-ferretdb-")
    instance = FerretDB(os.path.join(folder, "data")).start()
    try:
        client = MongoClient(instance.uri)
        collection = client.bench.sessions
        print("server: loading {:,} sessions into FerretDB...".format(count), file=sys.stderr)
        sessions, runs = encoded_documents(count, 2)
        for start in range(0, len(sessions), 1000):
            collection.insert_many(sessions[start:start + 1000])
        for start in range(0, len(runs), 1000):
            client.bench.sessions_runs.insert_many(runs[start:start + 1000])
        collection.create_index([("created_at", 1), ("_id", 1)])
        client.bench.sessions_runs.create_index([("session_id", 1), ("run_index", 1)])
        config = load_config(["bench"], {
            "MONGO_URI": instance.uri, "DATABASE_NAME": "bench", "COLLECTION_NAME": "sessions",
            "START_DATE": "2024-12-01", "END_DATE": "2024-12-31", "OUTPUT_DIR": folder,
            "MAX_REJECT_RATIO": "1"})
        repository = build_mongo_repository(config, instance.uri)
        whole = MongoSessionRepository(connect(config, instance.uri), "bench", "sessions",
                                       "created_at", config.batch_size, "bench", project=False)
        query = repository.query(RANGE)
        sort = [("created_at", 1), ("_id", 1)]

        def scan(projection):
            for _ in collection.find(query, projection=projection, sort=sort,
                                     batch_size=config.batch_size):
                pass

        def scan_with_runs():
            """The two queries of the Agno 3 join and nothing else: the sessions, and the
            runs of each batch of sessions, both projected as the job projects them."""
            batch = []

            def runs_of(ids):
                for _ in client.bench.sessions_runs.find(
                        {"session_id": {"$in": ids}}, projection=repository.runs_projection,
                        sort=RUNS_SORT, batch_size=config.batch_size):
                    pass
            for document in collection.find(query, projection=repository.projection, sort=sort,
                                            batch_size=config.batch_size):
                batch.append(document.get("session_id"))
                if len(batch) == config.batch_size:
                    runs_of(batch)
                    batch = []
            if batch:
                runs_of(batch)

        def raw_scan(projection):
            size = 0
            for raw in collection.find_raw_batches(query, projection=projection, sort=sort,
                                                   batch_size=config.batch_size):
                size += len(raw)
                bson.decode_all(raw)
            return size

        def raw_bytes(projection):
            return sum(len(raw) for raw in collection.find_raw_batches(
                query, projection=projection, sort=sort, batch_size=config.batch_size))

        embedded_only = dataclasses.replace(config, runs_collection="none")
        no_join = build_mongo_repository(embedded_only, instance.uri)
        scan_seconds = timed(lambda: scan(repository.projection), repeats)
        job_seconds = timed(lambda: run_job(embedded_only, OnePass(no_join)), repeats)
        joined_scan_seconds = timed(scan_with_runs, repeats)
        joined_job_seconds = timed(lambda: run_job(config, OnePass(repository)), repeats)
        figures = {
            "server_sessions": count,
            "scan_sessions_per_s": round(count / scan_seconds),
            "job_sessions_per_s": round(count / job_seconds),
            "job_vs_scan_ratio": round(job_seconds / scan_seconds, 3),
            "server_run_documents": len(runs),
            "agno3_scan_sessions_per_s": round(count / joined_scan_seconds),
            "agno3_job_sessions_per_s": round(count / joined_job_seconds),
            "agno3_job_vs_scan_ratio": round(joined_job_seconds / joined_scan_seconds, 3),
            "scan_without_projection_sessions_per_s": round(
                count / timed(lambda: scan(None), 1)),
            "raw_batches_scan_sessions_per_s": round(
                count / timed(lambda: raw_scan(repository.projection), 1)),
            "projected_mb": round(raw_bytes(repository.projection) / 1e6, 1),
            "unprojected_mb": round(raw_bytes(None) / 1e6, 1),
            "job_without_projection_sessions_per_s": round(
                count / timed(lambda: run_job(config, OnePass(whole)), 1)),
        }
        client.close()
        return figures
    finally:
        instance.stop()


def spark_against_server(count: int) -> dict:
    """The same MongoDB range (FerretDB, indexed as docs/mongodb.md advises) through one
    process, WORKERS=2, and the Spark engine in local[2] mode (S3 is moto's server), with a
    bare projected scan of the range: on one 2-core machine the server is the limit."""
    from pymongo import MongoClient

    from entrypoints import command_line
    from repositories.date_filter import mongo_date_filter
    from repositories.unread_fields import sessions_projection
    from tests.support.servers import FerretDB, MotoServer

    folder = tempfile.mkdtemp(prefix="bench-spark-")
    instance = FerretDB(os.path.join(folder, "data")).start()
    moto = MotoServer().start()
    saved = dict(os.environ)
    session = None
    try:
        os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto.endpoint,
                           "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": ROOT})
        import boto3
        boto3.client("s3").create_bucket(Bucket="bench")
        client = MongoClient(instance.uri)
        print("spark: loading {:,} sessions into FerretDB...".format(count), file=sys.stderr)
        sessions, runs = encoded_documents(count, 2)
        for start in range(0, len(sessions), 1000):
            client.bench.sessions.insert_many(sessions[start:start + 1000])
        for start in range(0, len(runs), 1000):
            client.bench.sessions_runs.insert_many(runs[start:start + 1000])
        client.bench.sessions.create_index([("created_at", 1), ("_id", 1)])
        client.bench.sessions_runs.create_index([("session_id", 1), ("run_index", 1)])
        environ = {"MONGO_URI": instance.uri, "DATABASE_NAME": "bench",
                   "COLLECTION_NAME": "sessions", "START_DATE": "2024-12-01",
                   "END_DATE": "2024-12-31", "OUTPUT_DIR": folder, "MAX_REJECT_RATIO": "1",
                   "S3_BUCKET": "bench", "LOG_LEVEL": "WARNING", "ALLOW_EMPTY": "true"}
        config = load_config(["bench"], environ)
        projection = sessions_projection()

        def scan():
            for _ in client.bench.sessions.find(
                    mongo_date_filter("created_at", RANGE), projection=projection,
                    sort=[("created_at", 1), ("_id", 1)], batch_size=1000):
                pass

        started = time.perf_counter()
        from pyspark.sql import SparkSession
        session = (SparkSession.builder.master("local[2]").appName("bench")
                   .config("spark.ui.enabled", "false").getOrCreate())
        session.sparkContext.setLogLevel("ERROR")
        spark_start = time.perf_counter() - started
        figures = {
            "spark_server_sessions": count,
            "spark_scan_seconds": round(timed(scan, 1), 2),
            "spark_one_process_seconds": round(timed(
                lambda: command_line.python_shell(config), 1), 2),
            "spark_workers_2_seconds": round(timed(lambda: command_line.python_shell(
                dataclasses.replace(config, workers=2)), 1), 2),
            "spark_local_2_seconds": round(timed(
                lambda: command_line.spark(config, session=session), 1), 2),
            "spark_session_start_seconds": round(spark_start, 1),
        }
        figures["spark_local_2_vs_one_process"] = round(
            figures["spark_one_process_seconds"] / figures["spark_local_2_seconds"], 2)
        figures["spark_local_2_vs_scan"] = round(
            figures["spark_local_2_seconds"] / figures["spark_scan_seconds"], 2)
        client.close()
        return figures
    finally:
        if session is not None:
            session.stop()
        os.environ.clear()
        os.environ.update(saved)
        moto.stop()
        instance.stop()


def job_memory(count: int, *arguments: str) -> dict:
    """Peak RSS and seconds of the whole job in a fresh process (simulated by default)."""
    folder = tempfile.mkdtemp(prefix="bench-rss-")
    process = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "measure_rss.py"),
         "--SIMULATED_SESSIONS", str(count), "--START_DATE", "2024-12-01",
         "--END_DATE", "2024-12-31", "--OUTPUT_DIR", folder, *arguments],
        capture_output=True, text=True, check=True)
    return json.loads(process.stderr.strip().splitlines()[-1])


def write_embedded_file(count: int) -> str:
    """A mongoexport-like JSON lines file of `count` Agno 1 and 2 sessions (runs embedded)."""
    from bson import json_util

    path = os.path.join(tempfile.mkdtemp(prefix="bench-file-"), "sessions.jsonl")
    print("file: writing {:,} sessions...".format(count), file=sys.stderr)
    embedded = SimulatedSessionRepository(
        count, 6, shapes=(("agno_v2", 45), ("agno_v1", 45), ("agno_v1_legacy", 10)))
    with open(path, "w") as handle:
        for document in embedded.documents(RANGE):
            handle.write(json_util.dumps(document) + "\n")
    return path


def workers(count: int) -> dict:
    """The whole job with WORKERS=1 and WORKERS=2 on the simulated and the file source:
    seconds, speed-up, the parent's peak RSS and the largest worker's."""
    figures = {}
    label = "{}k".format(count // 1000)
    path = write_embedded_file(count)
    for source, arguments in (("simulated", ("--SIMULATED_SESSIONS", str(count))),
                              ("file", ("--REPOSITORY_TYPE", "file", "--INPUT_PATH", path))):
        runs = {n: job_memory(0, *arguments, "--WORKERS", str(n)) for n in (1, 2)}
        figures.update({
            "workers_{}_seconds_1_{}".format(source, label): round(runs[1]["seconds"], 1),
            "workers_{}_seconds_2_{}".format(source, label): round(runs[2]["seconds"], 1),
            "workers_{}_speedup_2_{}".format(source, label): round(
                runs[1]["seconds"] / runs[2]["seconds"], 2),
            "workers_{}_sessions_per_s_2_{}".format(source, label): round(
                count / runs[2]["seconds"]),
            "workers_{}_parent_rss_mb_2_{}".format(source, label): round(
                runs[2]["peak_rss_mb"], 1),
            "workers_{}_worker_rss_mb_2_{}".format(source, label): round(
                runs[2]["children_peak_rss_mb"], 1),
        })
    os.remove(path)
    return figures


class _Collected:
    """A writer that keeps the feature batches, to time the real writers on them."""

    path = ""
    rows = 0

    def __init__(self):
        self.batches = []

    def write_batch(self, columns, warnings=None):
        self.batches.append(columns)


def feature_batches(count: int):
    repository = SimulatedSessionRepository(count, 1)
    collected = _Collected()
    rejects = RejectLog(os.path.join(tempfile.mkdtemp(prefix="bench-formats-"), "_r.jsonl"))
    extract_features(repository.documents(RANGE), collected, rejects, Thresholds())
    rejects.discard()
    return collected.batches


def formats(count: int, repeats: int) -> dict:
    """Seconds and bytes of each writer over the same batches (best of `repeats`), the
    column statistics alone, then the whole job in each format in a fresh process."""
    from services.column_statistics import ColumnStatistics
    from services.parquet_writer import ParquetWriter

    batches = feature_batches(count)
    folder = tempfile.mkdtemp(prefix="bench-formats-")
    label = "{}k".format(count // 1000)
    figures = {}
    writers = (("csv", lambda path: CsvWriter(path)),
               ("parquet_snappy", lambda path: ParquetWriter(path, compression="snappy")),
               ("parquet_zstd", lambda path: ParquetWriter(path, compression="zstd")))
    for name, make in writers:
        path = os.path.join(folder, name)

        def write(make=make, path=path):
            writer = make(path)
            for columns in batches:
                writer.write_batch(columns)
            writer.commit()

        figures["format_{}_write_s_{}".format(name, label)] = round(timed(write, repeats), 3)
        figures["format_{}_bytes_{}".format(name, label)] = os.path.getsize(path)

    def statistics():
        accumulated = ColumnStatistics()
        for columns in batches:
            accumulated.update(columns)

    figures["format_statistics_s_{}".format(label)] = round(timed(statistics, repeats), 3)
    for output_format in ("csv", "parquet"):
        run = job_memory(count, "--OUTPUT_FORMAT", output_format)
        figures["format_job_{}_s_{}".format(output_format, label)] = round(run["seconds"], 2)
        figures["format_job_{}_rss_mb_{}".format(output_format, label)] = round(
            run["peak_rss_mb"], 1)
    shutil.rmtree(folder, ignore_errors=True)
    return figures


def folder_bytes(folder: str) -> int:
    total = 0
    for directory, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.path.getsize(os.path.join(directory, name))
            except OSError:  # renamed or removed while walking
                pass
    return total


def _poll_peak(folder: str, peak: list, done) -> None:
    while not done.is_set():
        peak[0] = max(peak[0], folder_bytes(folder))
        time.sleep(0.01)


def disk_peak(count: int, workers_counts=(1, 2, 4)) -> dict:
    """Peak bytes on disk (OUTPUT_DIR and TMPDIR, polled every 10 ms) of the whole job on
    `count` simulated sessions, against the size of the CSV it publishes."""
    import threading

    figures = {}
    for workers_count in workers_counts:
        root = tempfile.mkdtemp(prefix="bench-disk-")
        os.makedirs(os.path.join(root, "tmp"))
        peak = [0]
        done = threading.Event()
        poller = threading.Thread(target=_poll_peak, args=(root, peak, done))
        poller.start()
        try:
            subprocess.run(
                [sys.executable, os.path.join(ROOT, "glue_job.py"), "--SIMULATED_SESSIONS",
                 str(count), "--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
                 "--OUTPUT_DIR", os.path.join(root, "out"), "--WORKERS", str(workers_count)],
                env=dict(os.environ, TMPDIR=os.path.join(root, "tmp")), check=True,
                capture_output=True)
        finally:
            done.set()
            poller.join()
        csv_bytes = sum(os.path.getsize(os.path.join(directory, name))
                        for directory, _, names in os.walk(os.path.join(root, "out"))
                        for name in names if name.endswith(".csv"))
        label = "{}k_workers_{}".format(count // 1000, workers_count)
        figures["disk_peak_mb_" + label] = round(peak[0] / 1e6, 1)
        figures["disk_peak_vs_csv_" + label] = round(peak[0] / csv_bytes, 2)
        shutil.rmtree(root, ignore_errors=True)
    return figures


def shuffled_copy(path: str) -> str:
    """The same lines in a random order (seeded), written beside `path`: a file the job
    must sort. Line offsets are kept, not the lines, so memory stays small."""
    import random

    offsets = []
    with open(path, "rb") as handle:
        position = 0
        for line in handle:
            offsets.append(position)
            position += len(line)
    random.Random(3).shuffle(offsets)
    shuffled = path + ".shuffled.jsonl"
    with open(path, "rb") as source, open(shuffled, "wb") as target:
        for offset in offsets:
            source.seek(offset)
            target.write(source.readline())
    return shuffled


def file_source(sizes, shuffled_up_to: int = 100_000) -> dict:
    """The file source (mongoexport JSON lines of Agno 1 and 2 sessions, runs embedded):
    the whole job against one bare json_util decode pass of the same file, and its peak
    RSS at each size. The file is written in (created_at, _id) order, which the job
    streams; up to `shuffled_up_to` sessions the same lines shuffled are measured too,
    which the job sorts through its spool."""
    from bson import json_util

    figures = {}
    options = json_util.JSONOptions(json_mode=json_util.JSONMode.RELAXED, tz_aware=False)
    for count in sizes:
        path = write_embedded_file(count)

        def decode_once(path=path):
            with open(path, "rb") as handle:
                for line in handle:
                    json_util.loads(line, json_options=options)
        decode_seconds = timed(decode_once, 1)
        label = "{}k".format(count // 1000)
        variants = [("", path)]
        if count <= shuffled_up_to:
            variants.append(("shuffled_", shuffled_copy(path)))
        figures.update({"file_mb_" + label: round(os.path.getsize(path) / 1e6),
                        "file_decode_seconds_" + label: round(decode_seconds, 1)})
        for prefix, variant in variants:
            job = job_memory(0, "--REPOSITORY_TYPE", "file", "--INPUT_PATH", variant)
            figures.update({
                "file_{}job_seconds_{}".format(prefix, label): round(job["seconds"], 1),
                "file_{}job_sessions_per_s_{}".format(prefix, label): round(
                    count / job["seconds"]),
                "file_{}job_vs_decode_ratio_{}".format(prefix, label): round(
                    job["seconds"] / decode_seconds, 3),
                "file_{}rss_mb_{}".format(prefix, label): round(job["peak_rss_mb"], 1),
            })
            os.remove(variant)
    return figures


def agno_written(count: int, repeats: int) -> dict:
    """Agno 3 sessions as Agno 3.1.10 stores them, about 12 KB a run with the system prompt,
    messages and tool results (bench/agno_corpus.py, in .venv-agno): the BSON ceiling over
    them, as the MongoDB source reads them (whole documents and projected), and the file
    source's whole job on their mongoexport files against one bare json_util pass."""
    from bson import json_util

    agno_python = os.path.join(ROOT, ".venv-agno", "bin", "python")
    if not os.path.exists(agno_python):
        raise SystemExit("the agno part needs .venv-agno: run `make agno-env` first")
    folder = tempfile.mkdtemp(prefix="bench-agno-")
    print("agno: writing {:,} sessions with Agno's own code...".format(count), file=sys.stderr)
    subprocess.run([agno_python, os.path.join(ROOT, "bench", "agno_corpus.py"), str(count),
                    folder], check=True)
    sessions_path = os.path.join(folder, "sessions.jsonl")
    runs_path = os.path.join(folder, "runs.jsonl")
    options = json_util.JSONOptions(json_mode=json_util.JSONMode.RELAXED, tz_aware=False)

    def read(path):
        with open(path, "rb") as handle:
            return [json_util.loads(line, json_options=options) for line in handle]

    sessions, runs = read(sessions_path), read(runs_path)
    runs_of = {}
    for run in runs:
        runs_of.setdefault(run["session_id"], []).append(run)

    figures = {"agno_sessions": count, "agno_runs": len(runs),
               "agno_run_kb": round(os.path.getsize(runs_path) / len(runs) / 1e3, 1)}
    work = tempfile.mkdtemp(prefix="bench-agno-csv-")
    for prefix, projected in (("agno_", False), ("agno_projected_", True)):
        corpus = cursor_batches(((session, runs_of.get(session["session_id"], ()))
                                 for session in sessions), projected)
        decode = timed(lambda corpus=corpus: decode_all(corpus, paused=True), repeats)
        run = timed(lambda corpus=corpus: pipeline(corpus, work), repeats)
        figures.update({
            prefix + "decode_sessions_per_s": round(count / decode),
            prefix + "pipeline_sessions_per_s": round(count / run),
            prefix + "pipeline_vs_decode_ratio": round(run / decode, 3),
        })

    def decode_files():
        for path in (sessions_path, runs_path):
            with open(path, "rb") as handle:
                for line in handle:
                    json_util.loads(line, json_options=options)
    decode_seconds = timed(decode_files, 1)
    job = job_memory(0, "--REPOSITORY_TYPE", "file", "--INPUT_PATH", sessions_path,
                     "--RUNS_INPUT_PATH", runs_path)
    figures.update({
        "agno_file_mb": round((os.path.getsize(sessions_path) + os.path.getsize(runs_path)) / 1e6),
        "agno_file_decode_seconds": round(decode_seconds, 1),
        "agno_file_job_seconds": round(job["seconds"], 1),
        "agno_file_job_sessions_per_s": round(count / job["seconds"]),
        "agno_file_job_vs_decode_ratio": round(job["seconds"] / decode_seconds, 3),
        "agno_file_rss_mb": round(job["peak_rss_mb"], 1),
    })
    for path in (sessions_path, runs_path):
        os.remove(path)
    return figures


def runs_file(megabytes: int) -> dict:
    """The file source joined with a runs dump of about `megabytes` MB (Agno 3 sessions
    only), against the same job without the runs file: time and peak RSS."""
    from bson import json_util

    folder = tempfile.mkdtemp(prefix="bench-runs-file-")
    sessions_path = os.path.join(folder, "sessions.jsonl")
    runs_path = os.path.join(folder, "runs.jsonl")
    count = max(100, megabytes * 70)  # a simulated Agno 3 session has about 14 KB of runs
    print("runs_file: writing {:,} Agno 3 sessions and their runs...".format(count),
          file=sys.stderr)
    run_documents = 0
    agno3_only = SimulatedSessionRepository(count, 4, shapes=(("agno_v3", 1),))
    with open(sessions_path, "w") as sessions, open(runs_path, "w") as runs:
        for item in agno3_only.documents(RANGE):
            document = item.document if isinstance(item, JoinedSession) else item
            sessions.write(json_util.dumps(document) + "\n")
            for run in getattr(item, "run_documents", ()):
                runs.write(json_util.dumps(run) + "\n")
                run_documents += 1
    source = ("--REPOSITORY_TYPE", "file", "--INPUT_PATH", sessions_path,
              "--MAX_REJECT_RATIO", "1")
    joined = job_memory(0, *source, "--RUNS_INPUT_PATH", runs_path)
    alone = job_memory(0, *source)
    figures = {
        "runs_file_mb": round(os.path.getsize(runs_path) / 1e6),
        "runs_file_sessions": count, "runs_file_run_documents": run_documents,
        "runs_file_job_seconds": round(joined["seconds"], 1),
        "runs_file_sessions_per_s": round(count / joined["seconds"]),
        "runs_file_run_documents_per_s": round(run_documents / joined["seconds"]),
        "runs_file_peak_rss_mb": round(joined["peak_rss_mb"], 1),
        "runs_file_rss_growth_mb": round(joined["peak_rss_mb"] - alone["peak_rss_mb"], 1),
    }
    for path in (sessions_path, runs_path):
        os.remove(path)
    return figures


def measured_job(*arguments: str) -> dict:
    """Peak RSS and seconds of the whole job in a fresh process, with only `arguments`."""
    process = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "measure_rss.py"),
                              *arguments], capture_output=True, text=True, check=True)
    return json.loads(process.stderr.strip().splitlines()[-1])


def partitioned(per_day: int, days: int = 30) -> dict:
    """The partitioned layout (Parquet, local): `days` day partitions of the evolving world at
    `per_day` sessions a day, built by one backfill; then, from copies of that dataset, an
    hour later, runs whose windows of changes reach back 1 %, 10 % and 100 % of the days
    (7.2 hours, 3 days, all): seconds (whole job, and of it the partition stage), sessions
    read, days touched and replaced, bytes read and written, peak RSS."""
    utc = dt.timezone.utc
    now = dt.datetime(2024, 12, 31, 3, 0, tzinfo=utc)
    later = now + dt.timedelta(hours=1)

    def moment(when):
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    root = tempfile.mkdtemp(prefix="bench-partitioned-")
    built = os.path.join(root, "built")
    common = ["--SIMULATED_SESSIONS", str(per_day), "--OUTPUT_LAYOUT", "partitioned",
              "--OUTPUT_FORMAT", "parquet", "--SETTLE_MINUTES", "0", "--LOOKBACK_MINUTES", "0"]
    print("partitioned: building {} days of {:,} sessions...".format(days, per_day),
          file=sys.stderr)
    build = measured_job(*common, "--OUTPUT_DIR", built, "--SIMULATED_NOW", moment(now),
                         "--JOB_RUN_ID", "build", "--START_DATE",
                         (now - dt.timedelta(days=days - 1)).date().isoformat(),
                         "--END_DATE", now.date().isoformat())
    dataset = os.path.join(built, "training_data")
    figures = {"partitioned_sessions_per_day": per_day, "partitioned_days": days,
               "partitioned_build_seconds": round(build["seconds"], 1),
               "partitioned_build_rss_mb": round(build["peak_rss_mb"], 1),
               "partitioned_dataset_mb": round(folder_bytes(dataset) / 1e6, 1)}
    for share, hours in (("1", days * 24 * 0.01), ("10", days * 24 * 0.1),
                         ("100", days * 24 + 1)):
        folder = os.path.join(root, "share-" + share)
        shutil.copytree(built, folder)
        state = os.path.join(folder, "training_data", "_state", "watermark.json")
        since = int((later - dt.timedelta(hours=hours)).timestamp())
        with open(state, "w") as handle:
            json.dump({"watermark": moment(later - dt.timedelta(hours=hours)),
                       "seconds": since}, handle)
        run_id = "share-" + share
        measured = measured_job(*common, "--OUTPUT_DIR", folder, "--SIMULATED_NOW",
                                moment(later), "--JOB_RUN_ID", run_id)
        with open(os.path.join(folder, "training_data", "_runs", run_id,
                               "_manifest.json")) as handle:
            manifest = json.load(handle)
        touched = manifest["partitions"]
        replaced = [partition for partition in touched if partition["changed"]]
        label = "partitioned_{}pct_".format(share)
        figures.update({
            label + "sessions_read": manifest["documents_read"],
            label + "days_touched": len(touched),
            label + "days_replaced": len(replaced),
            label + "seconds": round(measured["seconds"], 1),
            label + "partition_stage_seconds": manifest["seconds"]["partitions"],
            label + "mb_read": round(sum(p["previous_size"] for p in touched) / 1e6, 1),
            label + "mb_written": round(sum(p["size"] for p in replaced) / 1e6, 1),
            label + "rss_mb": round(measured["peak_rss_mb"], 1),
        })
        shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmarks of the job")
    parser.add_argument("--small", action="store_true", help="tiny sizes: shows it works")
    parser.add_argument("--million", action="store_true",
                        help="also run the whole job on 1,000,000 sessions (simulated, file)")
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    parser.add_argument("--parts",
                        default="ceiling,server,memory,file,runs_file,agno,workers,disk,spark,"
                                "formats,partitioned",
                        help="comma-separated subset of ceiling,server,memory,file,runs_file,"
                             "agno,workers,disk,spark,formats,partitioned")
    arguments = parser.parse_args()
    ceiling_n, server_n, memory_sizes, repeats, runs_mb, file_sizes, workers_n, agno_n = (
        (2_000, 1_000, (1_000, 3_000), 1, 3, (1_000,), 2_000, 300) if arguments.small
        else (100_000, 5_000, (10_000, 100_000), 2, 1000, (10_000, 20_000, 100_000), 100_000,
              10_000))

    figures = {"machine": "{} cores, {}, Python {}".format(
        os.cpu_count(), platform.machine(), platform.python_version())}
    parts = set(arguments.parts.split(","))
    if "ceiling" in parts:
        figures.update(ceiling(ceiling_n, repeats))
    if "server" in parts:
        figures.update(server(server_n, repeats))
    if "memory" in parts:
        memory = {size: job_memory(size) for size in memory_sizes}
        small, large = memory_sizes
        for size in memory_sizes:
            figures["rss_mb_{}k".format(size // 1000)] = round(memory[size]["peak_rss_mb"], 1)
            figures["job_simulated_sessions_per_s_{}k".format(size // 1000)] = round(
                size / memory[size]["seconds"])
        figures["rss_growth_mb"] = round(
            memory[large]["peak_rss_mb"] - memory[small]["peak_rss_mb"], 1)
    if "file" in parts:
        figures.update(file_source(file_sizes))
    if "runs_file" in parts:
        figures.update(runs_file(runs_mb))
    if "agno" in parts:
        figures.update(agno_written(agno_n, repeats))
    if "workers" in parts:
        figures.update(workers(workers_n))
    if "disk" in parts:
        figures.update(disk_peak(workers_n))
    if "spark" in parts:
        figures.update(spark_against_server(server_n))
    if "formats" in parts:
        figures.update(formats(workers_n, repeats))
    if "partitioned" in parts:
        figures.update(partitioned(200 if arguments.small else 20_000))
    if arguments.million and "file" in parts:
        figures.update(file_source((1_000_000,)))
    if arguments.million and "memory" in parts:
        million = job_memory(1_000_000)
        figures["rss_mb_1m"] = round(million["peak_rss_mb"], 1)
        figures["job_simulated_sessions_per_s_1m"] = round(1_000_000 / million["seconds"])

    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print("{:<{}}  {}".format(name, width, value))
    if arguments.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

