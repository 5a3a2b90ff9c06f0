"""Damaged and random session documents: real shapes with wrong types at every level."""

import datetime as dt
import random

from interfaces.values import DateRange
from repositories.simulated import SimulatedSessionRepository

DEC_RANGE = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))
_TEXTS = ("", "x", "timeout", "Timed Out", "é漢字🙂", "nul\x00byte", "a,b\"c\nd\re", "NaN", "inf",
          "1e309", "-0", " 42 ", "9" * 400, "ERROR", "RunError")


def random_scalar(rng: random.Random):
    choice = rng.randrange(12)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice((True, False))
    if choice == 2:
        return rng.choice((0, -1, 1, 2**31, -(2**63), 2**63 - 1))
    if choice == 3:
        return rng.choice((float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 5e-324))
    if choice == 4:
        return rng.uniform(-1e6, 1e6)
    if choice == 5:
        return rng.choice(_TEXTS)
    if choice == 6:
        return "".join(chr(rng.randrange(1, 0xD7FF)) for _ in range(rng.randrange(0, 30)))
    if choice == 7:
        return "y" * rng.randrange(1000, 20000)
    if choice == 8:
        return dt.datetime(2024, 12, 1) + dt.timedelta(seconds=rng.randrange(0, 40 * 86400))
    if choice == 9:
        return rng.randrange(1_700_000_000, 1_800_000_000) * rng.choice((1, 1000))
    if choice == 10:
        return str(rng.randrange(0, 10**6))
    return rng.random()


def random_value(rng: random.Random, depth: int = 0):
    if depth > 3 or rng.random() < 0.6:
        return random_scalar(rng)
    if rng.random() < 0.5:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    return {rng.choice(("a", "metrics", "runs", "tools", "status", "x y", "é")):
            random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))}


def deeply_nested(levels: int):
    value = {"leaf": 1}
    for _ in range(levels):
        value = {"n": [value]}
    return value


def damage(value, rng: random.Random, rate: float):
    """Replaces parts of `value`, at any depth, by random values of other types."""
    if isinstance(value, dict):
        damaged = {}
        for key, item in value.items():
            roll = rng.random()
            if roll < rate / 3:
                continue  # a missing field
            damaged[key] = random_value(rng) if roll < rate else damage(item, rng, rate)
        return damaged
    if isinstance(value, list):
        items = [random_value(rng) if rng.random() < rate else damage(item, rng, rate)
                 for item in value]
        if rng.random() < rate:
            items.append(random_value(rng))
        return items
    return value


def fuzz_documents(count: int, seed: int, max_nesting: int = 40):
    """`count` documents whose created_at lies in December 2024, most of them damaged."""
    rng = random.Random(seed)
    simulated = SimulatedSessionRepository(count, seed)
    start, span = DEC_RANGE.start_seconds, 31 * 86400.0
    for index in range(count):
        document = simulated.session(index, start, span)
        created_at = document["created_at"]
        kind = rng.random()
        if kind < 0.7:
            document = damage(document, rng, rate=rng.choice((0.02, 0.1, 0.3)))
        elif kind < 0.8:
            document = {"runs": [random_value(rng) for _ in range(rng.randrange(0, 4))]}
        elif kind < 0.85:
            document["runs" if "runs" in document else "memory"] = random_value(rng)
        elif kind < 0.9:
            document["runs"] = [{"metrics": {"input_tokens": rng.randrange(0, 100),
                                             "duration": rng.random()}}
                                for _ in range(rng.randrange(500, 3000))]
        elif kind < 0.93:
            document["agent_data"] = deeply_nested(rng.randrange(5, max_nesting))
        document["created_at"] = created_at
        document["_id"] = index
        yield document


def storable_in_ferretdb(value, inside_list: bool = False):
    """FerretDB 1.x refuses NaN, infinities and arrays directly inside arrays (MongoDB does
    not): NaN and infinities become text, an inner array is wrapped in an object. The file
    source's fuzz test keeps them."""
    if isinstance(value, float) and value - value != 0:
        return repr(value)
    if isinstance(value, dict):
        return {key: storable_in_ferretdb(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [storable_in_ferretdb(item, inside_list=True) for item in value]
        return {"wrapped": items} if inside_list else items
    return value
