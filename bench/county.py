"""The benchmark's synthetic county (issue 8): built once on the bench database by
`shuangjian.org.synthetic`, then reused while its parameters match.

The county lives in its own regions (合成省 › 合成市 › 合成县, codes 99 / 9901 / 990101) and its
schools' codes start with "CTY", so `load_demo --reset` and the other benchmarks never touch it.
A one-row table, `bench_synthetic_county`, records the parameters it was built with, the rows
written and the build time; a run with other parameters (or a newer GENERATOR) rebuilds it.
"""

import json
import time
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from django.db import connection

from shuangjian.org import synthetic
from shuangjian.org.models import Region

# Bump when shuangjian.org.synthetic changes what it generates (2: schools are built two at a
# time, so their ids no longer follow their codes).
GENERATOR = 2
SEED = 2021
PREFIX = "CTY"
FULL = {"schools": 200, "pupils": 300_000}
QUICK = {"schools": 10, "pupils": 15_000}
# A whole past term (the spring term of 2026: 19 weeks), every day of it with records.
TERM = ("2025-2026学年第二学期", date(2026, 3, 1), date(2026, 7, 10))
REGIONS = (
    ("99", "合成省", Region.Level.PROVINCE, None),
    ("9901", "合成市", Region.Level.CITY, "99"),
    ("990101", "合成县", Region.Level.COUNTY, "9901"),
)
MARKER = "bench_synthetic_county"


@dataclass(frozen=True)
class County:
    region: Region
    spec: synthetic.Spec
    counts: dict[str, int]
    build_seconds: float
    reused: bool


def region() -> Region:
    made = {}
    for code, name, level, parent in REGIONS:
        made[code], _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": made.get(parent)}
        )
    return made[REGIONS[-1][0]]


def spec(county: Region, *, schools: int, pupils: int) -> synthetic.Spec:
    name, start, end = TERM
    return synthetic.Spec(
        county=county,
        seed=SEED,
        schools=schools,
        pupils=pupils,
        term_name=name,
        term_start=start,
        term_end=end,
        last=end,
        weeks=(end - start).days // 7 + 1,
        prefix=PREFIX,
    )


def _params(s: synthetic.Spec) -> str:
    return json.dumps(
        {
            "generator": GENERATOR,
            "seed": s.seed,
            "schools": s.schools,
            "pupils": s.pupils,
            "term": [s.term_name, s.term_start.isoformat(), s.term_end.isoformat()],
            "weeks": s.weeks,
            "feedback_per_class": s.feedback_per_class,
        },
        sort_keys=True,
    )


def ensure(*, schools: int, pupils: int, stdout: TextIO | None = None) -> County:
    """The county with these parameters: the one already built, or a new one (replacing any
    other generated county of the prefix)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER} "
            "(params text NOT NULL, counts text NOT NULL, seconds double precision NOT NULL)"
        )
        cursor.execute(f"SELECT params, counts, seconds FROM {MARKER}")
        marker = cursor.fetchone()
    county = region()
    s = spec(county, schools=schools, pupils=pupils)
    built = synthetic.synthetic_schools(PREFIX, county).count()
    if marker and marker[0] == _params(s) and built == schools:
        return County(county, s, json.loads(marker[1]), marker[2], reused=True)

    if stdout is not None:
        stdout.write(f"building the synthetic county ({schools} schools, {pupils:,} pupils) …\n")
        stdout.flush()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER}")
    synthetic.delete_synthetic(prefix=PREFIX, county=county)  # its own transaction: see there
    counts = synthetic.generate(s, stdout=stdout)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")  # fresh statistics for the millions of new rows
        cursor.execute(
            f"INSERT INTO {MARKER} (params, counts, seconds) VALUES (%s, %s, %s)",
            [_params(s), json.dumps(counts), seconds],
        )
    return County(county, s, counts, seconds, reused=False)
