"""The free-space check before the first row: an estimate from the source's count."""

import pytest

from config.constants import ESTIMATED_ROW_BYTES, FREE_SPACE_MARGIN_BYTES
from interfaces.errors import OutputError
from services.reading import space_checked
from utils.files import free_bytes, human_bytes


class CountingSource:
    """Counts its documents when the first is asked for, as MongoDB does."""

    def __init__(self, count):
        self.count, self.expected, self.handed = count, None, 0

    def documents(self):
        self.expected = self.count
        for number in range(self.count):
            self.handed += 1
            yield {"n": number}


def test_too_little_space_fails_before_the_second_document_naming_what_is_needed():
    source = CountingSource(1000)
    needed = 1000 * ESTIMATED_ROW_BYTES + FREE_SPACE_MARGIN_BYTES
    checked = space_checked(source.documents(), lambda: source.expected, "/out",
                            free=lambda folder: needed - 1)
    with pytest.raises(OutputError) as error:
        next(checked)
    assert source.handed == 1  # the count came with the first document; no row was written
    message = str(error.value)
    assert message.startswith("not enough free space in /out: 1,000 documents need about "
                              "{} ".format(human_bytes(needed)))
    assert "{} is free".format(human_bytes(needed - 1)) in message


def test_enough_space_or_an_unknown_count_hands_every_document_over():
    source = CountingSource(5)
    enough = 5 * ESTIMATED_ROW_BYTES + FREE_SPACE_MARGIN_BYTES
    assert len(list(space_checked(source.documents(), lambda: source.expected, "/out",
                                  free=lambda folder: enough))) == 5
    unknown = CountingSource(3)
    assert len(list(space_checked(unknown.documents(), lambda: None, "/out",
                                  free=lambda folder: 0))) == 3
    assert list(space_checked(iter(()), lambda: 0, "/out", free=lambda folder: 0)) == []


def test_free_bytes_looks_at_the_nearest_folder_that_exists(tmp_path):
    assert free_bytes(str(tmp_path / "not" / "yet")) == free_bytes(str(tmp_path)) > 0


@pytest.mark.parametrize("count, text", [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"),
                                         (5 * 1024 ** 3, "5.0 GB"), (3 * 1024 ** 4, "3.0 TB")])
def test_sizes_read_as_people_write_them(count, text):
    assert human_bytes(count) == text
