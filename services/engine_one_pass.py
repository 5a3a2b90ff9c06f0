"""The range read in one pass in this process, into a local file of rows that is then
published."""

import os
from typing import List, Optional

from config.settings import JobConfig
from interfaces.ports import ObjectStore, SessionRepository
from interfaces.values import DateRange
from services.dataset_job import JobResult
from services.engine import Engine
from services.reading import Written, read_window
from services.run_outputs import (
    FAILED_REJECTS_NAME,
    PublishedFile,
    RunOutputs,
    upload_metadata,
)
from utils.files import remove_if_present


class OnePass(Engine):
    name = "one_pass"

    def __init__(self, repository: SessionRepository):
        self.repository = repository

    def read(self, config: JobConfig, outputs: RunOutputs) -> Written:
        return read_window(config, self.repository,
                           DateRange(config.start_date, config.end_date), outputs.data.path,
                           outputs.rejects.path, outputs.folder)

    def publish(self, config: JobConfig, written: Written, outputs: RunOutputs,
                store: Optional[ObjectStore], result: JobResult) -> List[PublishedFile]:
        return publish_local_rows(config, written, outputs, store, result)

    def close(self) -> None:
        self.repository.close()


def publish_local_rows(config: JobConfig, written: Written, outputs: RunOutputs,
                       store: Optional[ObjectStore], result: JobResult) -> List[PublishedFile]:
    """The local file of rows and rejects under their final names, then in S3. The earlier
    manifest is withdrawn (locally, then in S3) before new files take the places it names;
    the new manifest comes after."""
    result.outputs[config.output_format] = outputs.data
    if written.stats.rejected:
        result.outputs["rejects"] = outputs.rejects
    outputs.withdraw_local()
    written.commit_data()
    if written.rejects.commit() is None:
        # Nothing rejected this time: an earlier run's rejects file would now mislead.
        remove_if_present(outputs.rejects.path)
    remove_if_present(os.path.join(outputs.folder, FAILED_REJECTS_NAME))
    if store is None:
        return []
    outputs.withdraw_remote(store)
    if "rejects" not in result.outputs:
        store.delete(outputs.rejects.key)
    # A Spark run of the same range left parts beside: with them, a reader of the
    # folder would count every row twice.
    for key in store.keys("{}/{}".format(config.output_key_prefix, config.data_part_stem)):
        store.delete(key)
    metadata = upload_metadata(config, rows=written.stats.rows_written)
    for output in result.outputs.values():
        output.s3_uri = store.upload(output.path, output.key, output.content_type,
                                     metadata, output.sha256)
    return []
