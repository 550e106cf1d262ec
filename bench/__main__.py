"""Benchmarks: `./dev bench [--sqlite] [--quick]` prints one table of figures and ratios.

What it measures (issue "Benchmarks"; grows as features land):
  1. the publish-homework check, in-process: p50 / p95 of services.publish_homework
     (each call in a transaction that is rolled back, so the day stays as the demo left it);
  2. the parent homework-notice page under load from wrk (a second process, loopback only,
     bounded in time) at 50 and 200 connections: requests/s and p95, and the ratio to the same
     server returning a constant body of the same size (the ceiling of the stack); beside it,
     in-process, the first view of the day of 400 parents with nothing of theirs cached;
  3. the after-school allocation of 3,000 pupils to 40 activities: time, and welfare against
     the optimum, with first-come-first-served and random serial dictatorship beside it;
  4. roster import: rows per second for 3,000 and 100,000 pupils;
  5. memory: resident size of one app worker after the load run.
The data: the demo county (./dev demo) loaded into its own database (PostgreSQL by default at
BENCH_DATABASE_URL, or SQLite under var/bench with --sqlite).  The shared cache and sessions are
Redis at BENCH_REDIS_URL (database 3 of the local server by default; an empty value falls back
to the database cache); it is emptied at the start, so every run begins cold.
"""

import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
# gunicorn's recommended number of sync workers for the cores (2 × cores + 1): while one waits
# on PostgreSQL or Redis, another runs.  The ceiling is measured on the same server.
WORKERS = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %.3f %.3f\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000.0, latency:percentile(95) / 1000.0))
  io.write(string.format("ERRORS %d %d\\n", summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
"""


def configure(args) -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-only",
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SHUANGJIAN_BENCH="1",
        SECURE_COOKIES="0",
        DJANGO_SETTINGS_MODULE="shuangjian.settings",
    )
    redis_url = env.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    if args.sqlite:
        env.pop("DATABASE_URL", None)
        env["SHUANGJIAN_DATA_DIR"] = str(ROOT / "var" / "bench")
    else:
        url = env.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shuangjian_bench")
        env["DATABASE_URL"] = url
        name = url.rsplit("/", 1)[1]
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", name],
            capture_output=True,
            check=False,
        )
    os.environ.update(env)
    return env


def manage(env, *argv) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *argv],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def bench_publish(n: int) -> tuple[float, float]:
    from django.db import transaction
    from django.utils import timezone

    from shuangjian.errors import RuleViolation
    from shuangjian.homework import services
    from shuangjian.org.models import Role, StaffRole

    today = timezone.localdate()
    roles = list(
        StaffRole.objects.filter(
            role=Role.SUBJECT_TEACHER, staff__school__code="BP001", school_class__grade__gte=3
        )
        .select_related("staff__user", "school_class__school", "subject")
        .order_by("id")
    )
    times = []
    for i in range(n):
        r = roles[i % len(roles)]
        started = time.perf_counter()
        with transaction.atomic(), contextlib.suppress(RuleViolation):  # a refusal is a check too
            try:
                services.publish_homework(
                    teacher=r.staff.user,
                    klass=r.school_class,
                    subject=r.subject,
                    day=today,
                    content=f"基准测试练习 {i}",
                    kind="basic",
                    minutes=5 + i % 20,
                    confirm_not_punitive=True,
                )
            finally:
                transaction.set_rollback(True)
        times.append((time.perf_counter() - started) * 1000)
    return pct(times, 50), pct(times, 95)


def roster_file(rows: int, classes: list[tuple[int, int]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("学生名册")
    ws.append(
        [
            "姓名",
            "性别",
            "学号",
            "学籍号",
            "年级",
            "班级",
            "出生日期",
            "关爱标记",
            "监护人姓名",
            "监护人手机",
        ]
    )
    for i in range(rows):
        grade, number = classes[i % len(classes)]
        ws.append(
            [
                f"学生{i}",
                "男" if i % 2 else "女",
                f"B{i:07d}",
                "",
                f"{grade}年级",
                f"{number}班",
                "",
                "留守儿童" if i % 12 == 0 else "",
                f"家长{i}",
                f"139{i:08d}",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bench_import(rows: int) -> float:
    from shuangjian.org import roster
    from shuangjian.org.models import Region, School, SchoolClass

    county = Region.objects.get(code="211381")
    School.objects.filter(code="BENCH").delete()
    school = School.objects.create(
        name="基准测试学校", code="BENCH", county=county, stage="nine_year"
    )
    classes = [(g, n) for g in range(1, 10) for n in range(1, 21)]
    SchoolClass.objects.bulk_create(
        [SchoolClass(school=school, grade=g, number=n) for g, n in classes]
    )
    content = roster_file(rows, classes)
    started = time.perf_counter()
    result = roster.import_students(school=school, file=io.BytesIO(content), actor=None)
    elapsed = time.perf_counter() - started
    assert not result.errors, result.errors[:3]
    assert result.created == rows
    school.students.all().delete()
    school.delete()
    return rows / elapsed


def parent_session(parent) -> str:
    """A signed-in session of the parent, as the login page would make it: its key."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(parent.pk)
    session[BACKEND_SESSION_KEY] = "shuangjian.org.auth.UsernameOrMobileBackend"
    session[HASH_SESSION_KEY] = parent.get_session_auth_hash()
    session.save()
    return session.session_key


def bench_first_views(n: int) -> tuple[float, float, int]:
    """The page as most parents meet it: their first look after the day's homework is out, with
    nothing of theirs in the cache (their child's page, their account, their access).  Each of
    n parents of the first demo school opens the latest school day with published homework."""
    from django.test import Client
    from django.urls import resolve
    from django.utils import timezone

    from shuangjian.homework.models import Homework
    from shuangjian.org.models import Guardianship

    links = list(
        Guardianship.objects.filter(student__school__code="BP001", student__active=True)
        .select_related("user", "student")
        .order_by("student__school_class_id", "id")[:n]
    )
    day = (
        Homework.objects.filter(school__code="BP001", status="published")
        .filter(date__lte=timezone.localdate())
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    resolve("/")  # imports the URLconf and every view module: once per process, not counted
    times = []
    for link in links:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.cookies["sessionid"] = parent_session(link.user)
        started = time.perf_counter()
        response = client.get(f"/children/{link.student_id}/homework/?date={day.isoformat()}")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return pct(times, 50), pct(times, 95), len(times)


def notice_url() -> tuple[str, str]:
    from django.utils import timezone

    from shuangjian.homework.models import Homework
    from shuangjian.org.models import User

    parent = User.objects.get(username="parent")
    child = parent.guardianships.order_by("student__school_class__grade").first().student
    cookie = parent_session(parent)
    # The latest day up to today with homework for the child's class: a page with content.
    day = (
        Homework.objects.filter(
            school_class=child.school_class, status="published", date__lte=timezone.localdate()
        )
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return f"/children/{child.id}/homework/?date={day.isoformat()}", cookie


def wrk(
    path: str, cookie: str, connections: int, seconds: int, script: Path
) -> tuple[float, float, int]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            "-H",
            f"Cookie: sessionid={cookie}",
            "-H",
            "Accept-Language: zh-hans",
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    requests, duration_us, _p50, p95 = line.split()[1:]
    errors = int(next(x for x in out.splitlines() if x.startswith("ERRORS ")).split()[1])
    return int(requests) / (int(duration_us) / 1e6), float(p95), errors


def worker_rss_mb(master_pid: int) -> float:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return max(sizes)


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("installing wrk (Debian package) for the load test")
    subprocess.run(
        "apt-get update -qq && apt-get install -y -qq wrk >/dev/null", shell=True, check=True
    )


def ensure_redis_client() -> None:
    """The `redis` package that Django's Redis cache needs (see settings.CACHES)."""
    if not os.environ.get("REDIS_URL"):
        return
    try:
        import redis  # noqa: F401
    except ImportError:
        print("installing the redis client (PyPI package redis) for the shared cache")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "redis"], check=True)


PARTS = ("allocation", "publish", "import", "notice", "bulletin")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="use SQLite instead of PostgreSQL")
    parser.add_argument("--quick", action="store_true", help="shorter runs (smoke test)")
    parser.add_argument("--skip-setup", action="store_true", help="reuse the loaded database")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, of {','.join(PARTS)} (default: all)",
    )
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if not parts <= set(PARTS):
        parser.error(f"--only: unknown part in {args.only}")
    env = configure(args)
    ensure_redis_client()
    seconds = 5 if args.quick else 15
    if not args.skip_setup:
        print("setting up the benchmark database (migrate, demo county) …", flush=True)
        manage(env, "migrate", "-v0")
        manage(env, "createcachetable")
        manage(env, "load_demo", "--reset")

    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection

    cache.clear()  # entries of an earlier load of the database must not be read

    from bench import allocation

    rows = []  # (figure, value, target, ratio text)
    if "allocation" in parts:
        rows += allocation.run()
    if "publish" in parts:
        p50, p95 = bench_publish(100 if args.quick else 500)
        rows.append(("publish check p50 (ms)", f"{p50:.2f}", "", ""))
        rows.append(("publish check p95 (ms)", f"{p95:.2f}", "< 10", f"{p95 / 10:.2f} of target"))
    for n in ((3_000,) if args.quick else (3_000, 100_000)) if "import" in parts else ():
        rate = bench_import(n)
        rows.append(
            (f"roster import {n:,} rows (rows/s)", f"{rate:,.0f}", "≥ 5,000", f"{rate / 5000:.2f}×")
        )
    if "notice" in parts:
        p50, p95, n = bench_first_views(100 if args.quick else 400)
        rows.append(
            (f"notice page, first view of {n} parents p50 / p95 (ms)", f"{p50:.1f} / {p95:.1f}")
            + ("", "in-process, nothing of theirs cached")
        )
        rows += bench_notice(env, seconds)
    if "bulletin" in parts and connection.vendor == "postgresql":
        from bench import bulletin  # the county: built once, reused while its size matches

        rows += bulletin.run(quick=args.quick)
    print_table(rows, connection.vendor, env)


def bench_notice(env, seconds: int) -> list[tuple[str, str, str, str]]:
    """The parent's notice page and the constant ceiling under wrk, and the worker's memory."""
    from django.db import connection

    rows = []
    path, cookie = notice_url()
    connection.close()
    ensure_wrk()
    script = Path(tempfile.mkdtemp()) / "report.lua"
    script.write_text(WRK_SCRIPT)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "shuangjian.wsgi",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                import urllib.request

                size = len(
                    urllib.request.urlopen(
                        urllib.request.Request(
                            f"http://127.0.0.1:{PORT}{path}",
                            headers={"Cookie": f"sessionid={cookie}"},
                        ),
                        timeout=5,
                    ).read()
                )
                break
            except OSError:
                time.sleep(0.2)
        # Warm-up, not counted: each worker imports the URLconf and every app on its first
        # request (up to 10 s on a busy machine), which would otherwise eat a short run.
        wrk(path, cookie, 50, 10, script)
        wrk(f"/bench/constant/?size={size}", cookie, 50, 5, script)
        for conns in (50, 200):
            rps, p95_ms, errors = wrk(path, cookie, conns, seconds, script)
            ceiling, c95, _ = wrk(f"/bench/constant/?size={size}", cookie, conns, seconds, script)
            target = "≥ 0.5 of ceiling, p95 < 100 ms" if conns == 50 else ""
            rows.append(
                (
                    f"notice page, {conns} clients (req/s)",
                    f"{rps:,.0f}",
                    target,
                    f"{rps / ceiling:.2f} of ceiling {ceiling:,.0f}" if ceiling else "no ceiling",
                )
            )
            rows.append(
                (
                    f"notice page, {conns} clients p95 (ms)",
                    f"{p95_ms:.1f}",
                    "< 100" if conns == 50 else "",
                    f"ceiling p95 {c95:.1f}; errors {errors}",
                )
            )
        rss = worker_rss_mb(server.pid)
        rows.append(
            ("app worker RSS after load (MB)", f"{rss:.0f}", "< 120", f"{rss / 120:.2f} of target")
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows.append(("notice page", path.split("?")[0], "", f"{size:,} bytes"))
    return rows


def print_table(rows, db: str, env: dict) -> None:
    cached = "redis" if env.get("REDIS_URL") else "database"
    print(f"\nshuangjian benchmarks — database {db}, cache {cached}, {os.cpu_count()} cores\n")
    widths = [
        max(len(r[i]) for r in rows + [("figure", "value", "target", "ratio")]) for i in range(4)
    ]
    for r in [("figure", "value", "target", "ratio"), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
