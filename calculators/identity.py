"""Identity (1-5) and session context (49-50): what the session is, as text, and its runs."""

from calculators.batch import FeatureColumns, FrozenBatch
from calculators.column import INTEGER, TEXT, Column
from config.thresholds import Thresholds

IDENTITY_COLUMNS = (
    Column("session_id", TEXT, "",
           "`session_id` as text; if absent, `_id` as text; if both are absent, empty (either "
           "way a warning `missing_session_id`)"),
    Column("agent_name", TEXT, "",
           "first non-empty of `agent_data.name`, `team_data.name`, `workflow_data.name`, the "
           "first run's `agent_name`; else empty"),
    Column("model_provider", TEXT, "",
           "first non-empty of `agent_data.model.provider`, `team_data.model.provider`, the last"
           " run's `model_provider`; else empty"),
    Column("model_id", TEXT, "",
           "first non-empty of `agent_data.model.id` (or `agent_data.model` when it is a "
           "string), the same in `team_data`, the last run's `model`; else empty"),
    Column("total_runs", INTEGER, "count",
           "N, the number of runs"),
)


def identity_features(batch: FrozenBatch, th: Thresholds) -> FeatureColumns:
    """IDENTITY_COLUMNS, as defined above; the texts were read by the normaliser."""
    return {"session_id": batch.session_id, "agent_name": batch.agent_name,
            "model_provider": batch.model_provider, "model_id": batch.model_id,
            "total_runs": batch.runs.run_count.astype(float)}


CONTEXT_COLUMNS = (
    Column("user_id", TEXT, "",
           "`user_id` as text, else empty"),
    Column("schema", TEXT, "",
           "the detected shape: agno_v1, agno_v1_legacy, agno_v2, agno_v3, or empty (no runs "
           "anywhere)"),
)


def context_features(batch: FrozenBatch, th: Thresholds) -> FeatureColumns:
    """CONTEXT_COLUMNS, as defined above."""
    return {"user_id": batch.user_id, "schema": batch.schema}
