"""Fixed values of the job that are not parameters."""

import datetime

DEFAULT_JOB_NAME = "extract-conversations-job"

SESSION_SCHEMAS = ("auto", "agno_v1", "agno_v1_legacy", "agno_v2", "agno_v3")
S3_SSE_MODES = ("AES256", "aws:kms", "none")
# How an upload's integrity is checked: an S3 SHA-256 checksum, Content-MD5 and the ETag
# (for S3-compatible stores without additional checksums), or size and metadata only.
S3_CHECKSUMS = ("sha256", "md5", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# RUNS_COLLECTION: Agno's own naming (`auto`), or no join at all (`none`).
RUNS_COLLECTION_AUTO = "auto"
RUNS_COLLECTION_NONE = "none"
# Agno's default sessions collection, whose runs collection is `agno_runs`; any other
# sessions collection C keeps its runs in `C_runs` (agno.db.base.BaseDb).
AGNO_DEFAULT_SESSIONS_COLLECTION = "agno_sessions"
AGNO_DEFAULT_RUNS_COLLECTION = "agno_runs"

MAX_RANGE_DAYS = 366
# The range ends at the midnight after END_DATE, which must still be a date.
LAST_END_DATE = datetime.date(9999, 12, 30)
MAX_BATCH_SIZE = 100_000

# Sessions joined with their Agno 3 runs at a time by the file and simulated sources. The
# MongoDB source joins a whole BATCH_SIZE cursor batch (one round trip for its runs); a
# local lookup costs no round trip, and a small batch keeps memory flat (docs/benchmarks.md).
LOCAL_RUNS_JOIN_BATCH = 100

# Sessions per vectorised calculator batch: large enough that numpy's per-call overhead is
# amortised, small enough that a batch's arrays stay a few MB.
FEATURE_BATCH_SIZE = 2000

# MongoDB client timeouts (milliseconds). Server selection bounds how long an unreachable
# server takes to fail; socket timeout bounds a stalled read.
MONGO_SERVER_SELECTION_TIMEOUT_MS = 20_000
MONGO_CONNECT_TIMEOUT_MS = 10_000
MONGO_SOCKET_TIMEOUT_MS = 120_000

# Epoch numbers above this are milliseconds, otherwise seconds
# (docs/features.md, "How the shapes map to runs").
EPOCH_MILLISECONDS_ABOVE = 1e11

EXIT_OK = 0
EXIT_RUNTIME_FAILURE = 1
EXIT_CONFIG_ERROR = 2

# WORKERS: at most this many worker processes; each run of slices cuts the range into
# SLICES_PER_WORKER slices a worker, so that a busy day does not leave the others idle.
MAX_WORKERS = 64
SLICES_PER_WORKER = 4

# The free space a run needs before it reads: its expected documents times this (a CSV row
# is 0.44 KB on average, docs/benchmarks.md), plus a fixed margin for the rejects and the
# manifest. An estimate, checked against the folder's free space once the count is known.
ESTIMATED_ROW_BYTES = 512
FREE_SPACE_MARGIN_BYTES = 16 * 1024 * 1024

# Parquet (OUTPUT_FORMAT=parquet): rows per row group, whatever batches or slices they came
# in, so every engine writes the same file. 65,536 rows of 75 columns are about 17 MB before
# compression and 12 MB after: large enough for Athena's and Spark's readers (and one task
# each), small enough that the job stays at about 230 MB whatever the rows; 131,072 took
# 330-425 MB (docs/benchmarks.md section 11).
PARQUET_ROW_GROUP_ROWS = 65_536
PARQUET_COMPRESSION = "zstd"
