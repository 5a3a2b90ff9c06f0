"""The range read in one pass in this process, into a local file of rows that is then
published. The staging and switch here serve WORKERS too (services/engine_workers.py)."""

from typing import Optional

from config.settings import JobConfig
from interfaces.ports import ObjectStore, SessionRepository
from services.dataset_job import JobResult
from services.engine import Engine
from services.reading import Written, read_window
from services.run_outputs import RunOutputs, upload_metadata


class LocalRows(Engine):
    """An engine whose rows are one local file (one pass, WORKERS): staged to S3 and
    switched in as that file."""

    def stage(self, config: JobConfig, written: Written, outputs: RunOutputs,
              store: Optional[ObjectStore], result: JobResult) -> None:
        stage_local_rows(config, written, outputs, store, result)

    def switch_remote(self, config: JobConfig, outputs: RunOutputs, store: ObjectStore,
                      result: JobResult) -> None:
        switch_remote_rows(config, outputs, store, result)

    def switch_local(self, config: JobConfig, written: Written, outputs: RunOutputs,
                     result: JobResult) -> None:
        switch_local_rows(written, outputs)


class OnePass(LocalRows):
    name = "one_pass"

    def __init__(self, repository: SessionRepository):
        self.repository = repository

    def read(self, config: JobConfig, outputs: RunOutputs) -> Written:
        return read_window(config, self.repository,
                           config.window(), outputs.data.path,
                           outputs.rejects.path, outputs.folder)

    def close(self) -> None:
        self.repository.close()


def stage_local_rows(config: JobConfig, written: Written, outputs: RunOutputs,
                     store: Optional[ObjectStore], result: JobResult) -> None:
    """The file of rows (and the rejects, when there are any) uploaded under this run's
    staging prefix, which is removed however the run ends."""
    result.outputs[config.output_format] = outputs.data
    if written.stats.rejected:
        result.outputs["rejects"] = outputs.rejects
    if store is None:
        return
    outputs.on_exit(lambda: outputs.remove_staging(store))
    temporary = {outputs.data.key: written.data.temporary_path if written.data else "",
                 outputs.rejects.key: written.rejects.temporary_path or ""}
    metadata = upload_metadata(config, rows=written.stats.rows_written)
    for output in result.outputs.values():
        store.upload(temporary[output.key], outputs.staged_key(output), output.content_type,
                     metadata, output.sha256)
        output.s3_uri = store.uri(output.key)


def switch_remote_rows(config: JobConfig, outputs: RunOutputs, store: ObjectStore,
                       result: JobResult) -> None:
    outputs.withdraw_remote(store)
    if "rejects" not in result.outputs:
        store.delete(outputs.rejects.key)
    # A Spark run of the same range left parts beside: with them, a reader of the folder
    # would count every row twice.
    for key in store.keys("{}/{}".format(config.output_key_prefix, config.data_part_stem)):
        store.delete(key)
    metadata = upload_metadata(config, rows=result.stats.rows_written)
    for output in result.outputs.values():
        store.copy(outputs.staged_key(output), output.key, output.content_type, metadata,
                   output.size, output.sha256)


def switch_local_rows(written: Written, outputs: RunOutputs) -> None:
    outputs.withdraw_local()
    written.commit_data()
    outputs.switch_local_rejects(written.rejects)
