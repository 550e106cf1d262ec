"""Two teachers publishing for the same class at the same moment cannot together pass the limit.

Runs real threads with their own database connections, so it needs a server database: it is
skipped on SQLite (which serialises writers anyway) and runs in CI on PostgreSQL.
"""

import threading
from datetime import date

import pytest
from django.db import connection, connections

from shuangjian.errors import RuleViolation
from shuangjian.homework import services
from shuangjian.homework.models import Homework, HomeworkPolicy
from shuangjian.org.models import Role, StaffRole, Subject
from tests.world import build_world, make_staff

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections"),
]

DAY = date(2026, 11, 23)
TEACHERS = 40


def test_concurrent_publishing_never_passes_the_limit():
    world = build_world()
    HomeworkPolicy.objects.create(school=world.school, over_limit="refuse")
    teachers = []
    for n in range(TEACHERS):
        subject = Subject.objects.create(school=world.school, name=f"科目{n}")
        user = make_staff(world.school, f"t{n}")
        StaffRole.objects.create(
            staff=user.staff_posts.get(),
            role=Role.SUBJECT_TEACHER,
            school_class=world.class_3_1,
            subject=subject,
        )
        teachers.append((user, subject))

    barrier = threading.Barrier(len(teachers))
    outcomes: list[str] = []

    def publish(user, subject):
        try:
            barrier.wait()
            services.publish_homework(
                teacher=user,
                klass=world.class_3_1,
                subject=subject,
                day=DAY,
                content=f"{subject.name} 练习",
                kind="basic",
                minutes=5,
                confirm_not_punitive=True,
                today=DAY,
            )
            outcomes.append("published")
        except RuleViolation as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=t) for t in teachers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Twelve 5-minute items fill the 60-minute limit exactly; every other request is refused.
    assert outcomes.count("published") == 12
    assert outcomes.count("daily_limit_exceeded") == TEACHERS - 12
    assert Homework.objects.filter(status="published").count() == 12
