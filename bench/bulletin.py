"""The county bulletin benchmark (issue 8): `python -m bench.bulletin [--quick]`.

On the synthetic county of bench/county.py (200 schools, 300,000 pupils, a term of records;
10 schools with --quick), it times:
  1. `indicators.services.refresh` building the daily roll-ups of the whole term;
  2. the bulletin of the term's last two weeks from the roll-ups (`unit_figures`);
  3. the same figures recomputed from the raw rows on PostgreSQL (`recompute_figures`, which
     computes the schools together in batches: a fixed number of queries per batch);
  4. DuckDB computing the same aggregates over the same raw rows, exported once from
     PostgreSQL (the export is timed apart and not part of the comparison);
and prints each as a ratio to DuckDB.  DuckDB reproduces five indicators — notices posted,
pupil-days within the limit, class-days over the limit, after-school participation and
unexplained absences — and every school's numerator and denominator must equal the
recomputation's (and the roll-ups' must too): a mismatch stops the run.

The DuckDB side models the county as generated: national limits (no stricter overrides) and
items without tiers or personal targets; it checks both before comparing.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERIOD_DAYS = 14  # a bi-weekly bulletin (双周通报), ending on the term's last day
INDICATORS = ("HW-NOTICE", "HW-WITHIN-LIMIT", "HW-OVER-LIMIT", "AS-PUPILS", "AT-UNEXPLAINED")
REPEATS = 3  # the fast measurements: median of three

# The raw rows the five indicators read, projected to the columns they use (the export).
EXPORTS = {
    "schools": "SELECT id FROM org_school WHERE {county}",
    "classes": "SELECT id, school_id, grade FROM org_schoolclass WHERE school_id IN ({schools})",
    "students": (
        "SELECT id, school_id, school_class_id, active::int AS active FROM org_student "
        "WHERE school_id IN ({schools})"
    ),
    "homework": (
        "SELECT school_class_id, date, kind, minutes, elastic::int AS elastic, status "
        "FROM homework_homework WHERE school_id IN ({schools})"
    ),
    "feedback": (
        "SELECT f.school_class_id, f.date, f.minutes FROM homework_feedback f "
        "JOIN org_schoolclass c ON c.id = f.school_class_id WHERE c.school_id IN ({schools})"
    ),
    "programmes": (
        "SELECT p.id, p.status, t.start AS term_start, t.end AS term_end "
        "FROM afterschool_programme p JOIN org_term t ON t.id = p.term_id "
        "WHERE p.school_id IN ({schools})"
    ),
    "enrolments": (
        "SELECT e.student_id, e.programme_id, e.status, "
        "(e.created_at AT TIME ZONE 'Asia/Shanghai')::date AS created_day "
        "FROM afterschool_enrolment e JOIN afterschool_programme p ON p.id = e.programme_id "
        "WHERE p.school_id IN ({schools})"
    ),
    "sessions": "SELECT id, school_id, date FROM afternoon_session WHERE school_id IN ({schools})",
    "attendance": (
        "SELECT a.session_id, a.state FROM afternoon_attendance a "
        "JOIN afternoon_session s ON s.id = a.session_id WHERE s.school_id IN ({schools})"
    ),
}

# Per school: numerator and denominator of each indicator over [$s, $e] (as formulas.py).
DUCK_QUERY = """
WITH active AS (SELECT id, school_id, school_class_id FROM students WHERE active = 1),
pupil_classes AS (SELECT DISTINCT school_class_id AS class_id FROM active),
notice_den AS (
    SELECT c.school_id, count(*) AS d FROM classes c
    JOIN pupil_classes p ON p.class_id = c.id
    JOIN school_days sd ON sd.school_id = c.school_id AND sd.day BETWEEN $s AND $e
    GROUP BY 1),
posted AS (
    SELECT DISTINCT school_class_id, date FROM homework
    WHERE status = 'published' AND date BETWEEN $s AND $e),
notice_num AS (
    SELECT c.school_id, count(*) AS n FROM posted h
    JOIN classes c ON c.id = h.school_class_id
    JOIN pupil_classes p ON p.class_id = c.id
    JOIN school_days sd ON sd.school_id = c.school_id AND sd.day = h.date
    GROUP BY 1),
within AS (
    SELECT c.school_id,
           count(*) FILTER (WHERE l.minutes IS NULL OR f.minutes <= l.minutes) AS n,
           count(*) AS d
    FROM feedback f JOIN classes c ON c.id = f.school_class_id
    JOIN day_kinds k ON k.school_id = c.school_id AND k.day = f.date
    LEFT JOIN limits l ON l.grade = c.grade AND l.kind = k.kind
    WHERE f.date BETWEEN $s AND $e
    GROUP BY 1),
loads AS (
    SELECT school_class_id, date, sum(minutes) AS load FROM homework
    WHERE status = 'published' AND elastic = 0
      AND kind IN ('basic', 'extension', 'comprehensive') AND date BETWEEN $s AND $e
    GROUP BY 1, 2),
over_limit AS (
    SELECT c.school_id, count(*) AS n FROM loads x
    JOIN classes c ON c.id = x.school_class_id
    JOIN day_kinds k ON k.school_id = c.school_id AND k.day = x.date
    JOIN limits l ON l.grade = c.grade AND l.kind = k.kind
    WHERE l.minutes IS NOT NULL AND x.load > l.minutes
    GROUP BY 1),
places AS (
    SELECT a.school_id, count(DISTINCT a.id) AS n FROM active a
    JOIN enrolments en ON en.student_id = a.id
    JOIN programmes p ON p.id = en.programme_id
    WHERE en.status = 'allocated' AND p.status = 'approved'
      AND greatest(p.term_start, en.created_day) <= $e AND p.term_end >= $e
    GROUP BY 1),
pupils AS (SELECT school_id, count(*) AS d FROM active GROUP BY 1),
unexplained AS (
    SELECT s.school_id, count(*) AS n FROM attendance a JOIN sessions s ON s.id = a.session_id
    WHERE a.state = 'absent_unexplained' AND s.date BETWEEN $s AND $e
    GROUP BY 1)
SELECT sc.id,
       coalesce(nn.n, 0), coalesce(nd.d, 0),
       coalesce(w.n, 0), coalesce(w.d, 0),
       coalesce(o.n, 0),
       coalesce(pl.n, 0), coalesce(pu.d, 0),
       coalesce(u.n, 0)
FROM schools sc
LEFT JOIN notice_num nn ON nn.school_id = sc.id LEFT JOIN notice_den nd ON nd.school_id = sc.id
LEFT JOIN within w ON w.school_id = sc.id LEFT JOIN over_limit o ON o.school_id = sc.id
LEFT JOIN places pl ON pl.school_id = sc.id LEFT JOIN pupils pu ON pu.school_id = sc.id
LEFT JOIN unexplained u ON u.school_id = sc.id
ORDER BY sc.id
"""


def timed(fn, repeats: int = 1):
    """(median seconds, last result) of `repeats` calls."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


class Duck:
    """An in-memory DuckDB holding the county's raw rows, exported once from PostgreSQL."""

    def __init__(self, county, school_ids: list[int], start, end) -> None:
        import duckdb
        from django.db import connection

        self.db = duckdb.connect()
        self.rows: dict[str, int] = {}
        tmp = Path(tempfile.mkdtemp(prefix="bulletin-duck-"))
        schools = ", ".join(str(i) for i in school_ids)
        with connection.cursor() as cursor:
            for table, sql in EXPORTS.items():
                path = tmp / f"{table}.csv"
                query = sql.format(schools=schools, county=f"county_id = {county.id}")
                with path.open("wb") as out:
                    copy_sql = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"
                    with cursor.cursor.copy(copy_sql) as copy:
                        for chunk in copy:
                            out.write(chunk)
                self.load(table, path)
        self.calendar(school_ids, start, end, tmp)

    def load(self, table: str, path: Path) -> None:
        self.db.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', header = true)")
        self.rows[table] = self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def calendar(self, school_ids, start, end, tmp: Path) -> None:
        """The calendar and the limits, as the app's rules give them (reference data)."""
        from shuangjian.homework import selectors as hw_selectors
        from shuangjian.org.models import School
        from shuangjian.org.selectors import school_calendar
        from shuangjian.rules import homework as hw_rules

        days, kinds = [], []
        for school in School.objects.filter(id__in=school_ids):
            if hw_selectors.overrides_for(school):
                raise SystemExit(f"{school.code} has a stricter limit: DuckDB does not model it")
            cal = school_calendar(school, start, end)
            days += [(school.id, d.day) for d in cal.days if d.is_school_day]
            kinds += [
                (school.id, d, str(k))
                for d, k in hw_selectors.day_kinds(school, start, end).items()
            ]
        limits = [
            (g, str(k), hw_rules.limit_for(g, k).minutes)
            for g in range(1, 13)
            for k in hw_rules.DayKind
        ]
        self.db.execute("CREATE TABLE school_days (school_id BIGINT, day DATE)")
        self.db.executemany("INSERT INTO school_days VALUES (?, ?)", days)
        self.db.execute("CREATE TABLE day_kinds (school_id BIGINT, day DATE, kind VARCHAR)")
        self.db.executemany("INSERT INTO day_kinds VALUES (?, ?, ?)", kinds)
        self.db.execute("CREATE TABLE limits (grade INTEGER, kind VARCHAR, minutes INTEGER)")
        self.db.executemany("INSERT INTO limits VALUES (?, ?, ?)", limits)

    def figures(self, start, end) -> dict[int, dict[str, tuple[int, int]]]:
        rows = self.db.execute(DUCK_QUERY, {"s": start, "e": end}).fetchall()
        return {
            sid: {
                "HW-NOTICE": (nn, nd),
                "HW-WITHIN-LIMIT": (wn, wd),
                "HW-OVER-LIMIT": (on, 0),
                "AS-PUPILS": (pn, pd),
                "AT-UNEXPLAINED": (un, 0),
            }
            for sid, nn, nd, wn, wd, on, pn, pd, un in rows
        }


def _pair(figure) -> tuple[int, int]:
    return int(figure.numerator), int(figure.denominator or 0)


def mismatches(expected: dict, got: dict, codes: dict[int, str]) -> list[str]:
    out = []
    for sid in sorted(expected):
        for ind in INDICATORS:
            want, have = _pair(expected[sid][ind]), got.get(sid, {}).get(ind)
            if not isinstance(have, tuple):
                have = _pair(have) if have is not None else None
            if want != have:
                out.append(f"{codes[sid]} {ind}: recomputed {want}, got {have}")
    return out


def run(
    *, quick: bool = False, size: dict | None = None, stdout=sys.stdout
) -> list[tuple[str, str, str, str]]:
    """Build or reuse the county (`size`: schools and pupils, else the full or quick one), time
    the four ways, check them; the rows of the table."""

    from bench import county as bench_county
    from shuangjian.homework.models import HomeworkTarget, HomeworkTier
    from shuangjian.indicators.models import DailyFigure
    from shuangjian.indicators.selectors import recompute_figures, unit_figures
    from shuangjian.indicators.services import refresh

    size = size or (bench_county.QUICK if quick else bench_county.FULL)
    county = bench_county.ensure(**size, stdout=stdout)
    spec = county.spec
    schools = list(county.region.schools.order_by("id").values_list("id", "code"))
    ids, codes = [sid for sid, _ in schools], dict(schools)
    start, end = spec.term_end - timedelta(days=PERIOD_DAYS - 1), spec.term_end
    if HomeworkTier.objects.filter(homework__school_id__in=ids).exists() or (
        HomeworkTarget.objects.filter(homework__school_id__in=ids).exists()
    ):
        raise SystemExit("tiered or personal items in the county: DuckDB does not model them")

    refresh_s, written = timed(
        lambda: refresh(school_ids=ids, start=spec.term_start, end=spec.term_end)
    )
    rollup_s, by_unit = timed(lambda: unit_figures(county.region, start, end), REPEATS)
    recompute_s, recomputed = timed(lambda: recompute_figures(ids, start, end), REPEATS)
    export_s, duck = timed(lambda: Duck(county.region, ids, start, end))
    duck_s, ducked = timed(lambda: duck.figures(start, end), REPEATS)

    problems = mismatches(recomputed, ducked, codes)
    problems += mismatches(recomputed, {u.id: f for u, f in by_unit.items()}, codes)
    if problems:
        stdout.write("MISMATCH (a bug to find):\n  " + "\n  ".join(problems[:20]) + "\n")
        raise SystemExit(1)

    counts = dict(county.counts)
    counts["indicators.DailyFigure"] = DailyFigure.objects.filter(school_id__in=ids).count()
    build = "reused" if county.reused else "built now"
    rows = [
        (
            f"county build ({len(ids)} schools, {spec.pupils:,} pupils)",
            f"{county.build_seconds:,.0f} s",
            "",
            build,
        )
    ]
    for label in (
        "org.Student", "homework.Homework", "homework.Feedback", "afterschool.Enrolment",
        "afternoon.Session", "afternoon.Attendance", "indicators.DailyFigure",
    ):  # fmt: skip
        rows.append((f"  rows {label}", f"{counts.get(label, 0):,}", "", ""))

    def per_school(seconds: float) -> str:
        return f"{1000 * seconds / len(ids):.0f} ms a school"

    rows += [
        (f"roll-up refresh, whole term (s; {written:,} rows)", f"{refresh_s:.1f}", "", per_school(refresh_s)),
        ("bulletin from roll-ups, 2 weeks (s)", f"{rollup_s:.3f}", "", f"{rollup_s / duck_s:.2f}× DuckDB"),
        ("bulletin recomputed from raw rows (s)", f"{recompute_s:.2f}", "< 5", f"{recompute_s / duck_s:.1f}× DuckDB; {per_school(recompute_s)}"),
        ("DuckDB, same aggregates, same rows (s)", f"{duck_s:.3f}", "", f"export {export_s:.1f} s"),
        ("figures checked equal (schools × indicators)", f"{len(ids) * len(INDICATORS):,}", "", "DuckDB = recompute = roll-ups"),
    ]  # fmt: skip
    return rows


def print_table(rows, stdout=sys.stdout) -> None:
    head = ("figure", "value", "target", "ratio")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for r in [head, *rows]:
        stdout.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 schools instead of 200")
    parser.add_argument("--schools", type=int, help="another county size: schools …")
    parser.add_argument("--pupils", type=int, help="… and pupils in all")
    args = parser.parse_args()
    size = {"schools": args.schools, "pupils": args.pupils} if args.schools else None
    sys.path.insert(0, str(ROOT))
    from bench.__main__ import configure, manage

    env = configure(argparse.Namespace(sqlite=False))
    manage(env, "migrate", "-v0")
    manage(env, "createcachetable")
    import django

    django.setup()
    from django.db import connection

    rows = run(quick=args.quick, size=size)
    print(f"\ncounty bulletin benchmark — database {connection.settings_dict['NAME']}\n")
    print_table(rows)


if __name__ == "__main__":
    main()
