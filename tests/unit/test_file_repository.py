import datetime as dt
import json

import pytest
from bson import ObjectId, json_util

from interfaces.errors import ReadAgain
from interfaces.values import DateRange, UnreadableDocument
from repositories.file_repository import FileSessionRepository
from tests.support.documents import DEC_1, v1_session, v2_session
from tests.support.reading import read_all

RANGE = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))
END = DEC_1 + 31 * 86400  # 2025-01-01T00:00:00Z


def read(repository):
    return read_all(repository, RANGE)


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_relaxed_and_canonical_extended_json_decode_to_the_same_document(tmp_path):
    document = v2_session("s1", DEC_1 + 5, _id=ObjectId("6751e0000000000000000001"))
    document["runs"][0]["metrics"]["cost"] = 0.25
    document["runs"][0]["created_at"] = dt.datetime(2024, 12, 1, 0, 0, 5)
    relaxed = json_util.dumps(document, json_options=json_util.RELAXED_JSON_OPTIONS)
    canonical = json_util.dumps(document, json_options=json_util.CANONICAL_JSON_OPTIONS)
    assert "$numberInt" in canonical and "$numberInt" not in relaxed
    path = write_lines(tmp_path / "dump.jsonl", [relaxed, canonical.replace('"s1"', '"s2"')])
    documents = read(FileSessionRepository(path, "created_at"))
    assert [d["session_id"] for d in documents] == ["s1", "s2"]
    assert documents[0]["_id"] == ObjectId("6751e0000000000000000001")
    assert documents[1]["runs"][0]["created_at"] == dt.datetime(2024, 12, 1, 0, 0, 5)
    assert documents[0]["runs"][0]["metrics"] == documents[1]["runs"][0]["metrics"]


def test_broken_lines_become_unreadable_items_with_their_line_number(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", [
        json.dumps(v2_session("ok", DEC_1)), '{"session_id": "cut', "", "[1, 2]",
        '{"$oid": 5}'])
    items = read(FileSessionRepository(path, "created_at"))
    unreadable = [i for i in items if isinstance(i, UnreadableDocument)]
    assert [(u.position, u.reason.split(":")[0]) for u in unreadable] == [
        (2, "invalid Extended JSON"), (4, "not a JSON object"), (5, "invalid Extended JSON")]
    assert [i["session_id"] for i in items if isinstance(i, dict)] == ["ok"]


def test_date_range_is_inclusive_whole_utc_days_for_seconds_millis_and_dates(tmp_path):
    lines = []
    cases = {
        "start_s": DEC_1, "before_s": DEC_1 - 1, "last_s": END - 1, "after_s": END,
        "last_fraction": END - 0.001,
        "start_ms": DEC_1 * 1000, "last_ms": END * 1000 - 1, "after_ms": END * 1000,
        "start_date": {"$date": "2024-12-01T00:00:00Z"},
        "last_date": {"$date": "2024-12-31T23:59:59.999Z"},
        "after_date": {"$date": "2025-01-01T00:00:00Z"},
        "text_date": "2024-12-05", "missing": None,
    }
    for name, value in cases.items():
        document = {"session_id": name, "runs": []}
        if value is not None:
            document["created_at"] = value
        lines.append(json.dumps(document))
    path = write_lines(tmp_path / "d.jsonl", lines)
    found = [d["session_id"] for d in read(FileSessionRepository(path, "created_at"))]
    # MongoDB's order: numbers by value (seconds before milliseconds), then dates
    assert found == ["start_s", "last_s", "last_fraction", "start_ms", "last_ms", "start_date",
                     "last_date"]


def test_ties_on_the_date_are_ordered_by_id(tmp_path):
    ids = [ObjectId("6751e00000000000000000%02x" % i) for i in (3, 1, 2)]
    lines = [json_util.dumps(v1_session("s%d" % n, DEC_1, _id=i)) for n, i in enumerate(ids)]
    path = write_lines(tmp_path / "d.jsonl", lines)
    found = [d["_id"] for d in read(FileSessionRepository(path, "created_at"))]
    assert found == sorted(ids)


def test_a_byte_order_mark_on_the_first_line_is_accepted(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(v2_session("first", DEC_1)).encode() + b"\n"
                     + json.dumps(v2_session("second", DEC_1 + 1)).encode() + b"\n")
    items = list(FileSessionRepository(str(path), "created_at").documents(RANGE))
    assert [item["session_id"] for item in items] == ["first", "second"]


@pytest.mark.parametrize("content, sessions", [
    (b"\xef\xbb\xbf", []), (b"\xef\xbb\xbf\n", []), (b"\xef\xbb\xbf  \r\n", []),
    (b"\xef\xbb\xbf\n" + json.dumps(v2_session("after", DEC_1)).encode() + b"\n", ["after"]),
])
def test_a_byte_order_mark_alone_on_the_first_line_is_a_blank_line_not_a_reject(
        tmp_path, content, sessions):
    path = tmp_path / "bom-only.jsonl"
    path.write_bytes(content)
    items = list(FileSessionRepository(str(path), "created_at").documents(RANGE))
    assert not [item for item in items if isinstance(item, UnreadableDocument)]
    assert [item["session_id"] for item in items] == sessions


def test_documents_outside_the_range_are_counted_with_the_span_of_their_dates(tmp_path):
    november = v2_session("nov", DEC_1 - 20 * 86400)
    january_ms = v2_session("jan", (END + 3 * 86400) * 1000)
    path = write_lines(tmp_path / "d.jsonl", [json.dumps(d) for d in (
        v2_session("in", DEC_1 + 5), november, january_ms,
        dict(v2_session("no-date", DEC_1), created_at="yesterday"))])
    repository = FileSessionRepository(path, "created_at")
    assert [d["session_id"] for d in read(repository)] == ["in"]
    assert repository.describe()["outside_range"] == {
        "documents": 3, "without_date": 1, "earliest": "2024-11-11", "latest": "2025-01-04"}


def test_a_file_in_order_streams_in_one_pass_and_any_other_is_read_again_sorted(tmp_path):
    import random

    spool_folder = tmp_path / "spools"
    spool_folder.mkdir()
    documents = [v2_session("s%02d" % i, DEC_1 + i // 3, _id=ObjectId("6751e00000000000000000%02x"
                                                                       % i)) for i in range(40)]
    ordered = write_lines(tmp_path / "ordered.jsonl", [json_util.dumps(d) for d in documents])
    shuffled_documents = list(documents)
    random.Random(1).shuffle(shuffled_documents)
    shuffled = write_lines(tmp_path / "shuffled.jsonl",
                           [json_util.dumps(d) for d in shuffled_documents])
    expected = [d["session_id"] for d in documents]

    streamed = FileSessionRepository(ordered, "created_at", temporary_dir=str(spool_folder))
    assert [d["session_id"] for d in streamed.documents(RANGE)] == expected  # no ReadAgain
    assert list(spool_folder.iterdir()) == []  # and nothing spooled

    sorted_again = FileSessionRepository(shuffled, "created_at", temporary_dir=str(spool_folder))
    with pytest.raises(ReadAgain, match="out of order"):
        list(sorted_again.documents(RANGE))
    assert [d["session_id"] for d in sorted_again.documents(RANGE)] == expected
    assert list(spool_folder.iterdir()) == []  # the spool is removed after the read


def test_a_broken_line_in_a_file_in_order_sends_it_through_the_spool_rejects_first(tmp_path):
    lines = [json.dumps(v2_session("s%d" % i, DEC_1 + i)) for i in range(5)]
    path = write_lines(tmp_path / "d.jsonl", lines[:4] + ['{"cut'] + lines[4:])
    repository = FileSessionRepository(path, "created_at")
    with pytest.raises(ReadAgain, match="line 5 cannot be decoded"):
        list(repository.documents(RANGE))
    items = list(repository.documents(RANGE))
    assert isinstance(items[0], UnreadableDocument) and items[0].position == 5
    assert [item["session_id"] for item in items[1:]] == ["s0", "s1", "s2", "s3", "s4"]


def test_the_file_source_leaves_out_what_no_feature_reads(tmp_path):
    document = v2_session("big", DEC_1)
    document["session_data"] = {"session_state": {"x": "y" * 1000}}
    path = write_lines(tmp_path / "d.jsonl", [json_util.dumps(document)])
    [projected] = read(FileSessionRepository(path, "created_at"))
    assert "session_data" not in projected and "messages" not in projected["runs"][0]
    assert projected["runs"][0]["metrics"] == document["runs"][0]["metrics"]


def test_a_dotted_date_field_is_read_as_mongodb_reads_it(tmp_path):
    """DATE_FIELD=meta.created: MongoDB's filter reads the nested field; the file source
    read a top-level field named 'meta.created' and selected nothing."""
    documents = [dict(v2_session("nested-%d" % i, DEC_1), meta={"created": DEC_1 + 10 - i})
                 for i in range(3)]
    documents += [dict(v2_session("flat", DEC_1), **{"meta.created": DEC_1}),
                  dict(v2_session("not-object", DEC_1), meta=5)]
    path = write_lines(tmp_path / "nested.jsonl", [json.dumps(d) for d in documents])
    repository = FileSessionRepository(path, "meta.created")
    assert [d["session_id"] for d in read_all(repository, RANGE)] == [
        "nested-2", "nested-1", "nested-0"]
