"""A small shared world so that every test can check denial as well as success.

A province → city → county bureau; two schools in the county (A: a nine-year school, B: a
primary school); staff of every role in A; a parent of one pupil in A; the principal of B as
the outsider; a bureau officer and an inspector of the county; an officer of another county.
"""

from dataclasses import dataclass
from datetime import date

from shuangjian.org.models import (
    Guardianship,
    Region,
    RegionRole,
    Role,
    School,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
    StudentCareFlag,
    Subject,
    Term,
    User,
    Vacation,
)

PASSWORD = "correct-horse-42"


def make_user(username: str, name: str = "", mobile: str | None = None) -> User:
    user = User(username=username, display_name=name or username, mobile=mobile)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_staff(school: School, username: str, *roles: tuple) -> User:
    """roles: (Role, {"school_class": ..., "subject": ..., "grade": ...}) pairs."""
    user = make_user(username)
    staff = Staff.objects.create(
        school=school, user=user, staff_no=f"T{User.objects.count():04d}", name=username
    )
    for role, extra in roles:
        StaffRole.objects.create(staff=staff, role=role, **extra)
    return user


def make_student(klass: SchoolClass, no: str, name: str = "学生", gender: str = "M") -> Student:
    return Student.objects.create(
        school=klass.school,
        school_class=klass,
        name=name,
        gender=gender,
        student_no=no,
        guardian_name="家长",
        guardian_mobile="13800000000",
    )


@dataclass
class World:
    province: Region
    city: Region
    county: Region
    other_county: Region
    school: School
    other_school: School
    class_3_1: SchoolClass
    class_3_2: SchoolClass
    class_7_1: SchoolClass
    other_class: SchoolClass
    chinese: Subject
    maths: Subject
    pupil: Student
    pupil2: Student
    other_pupil: Student
    principal: User
    academic: User
    grade_leader: User
    head_teacher: User
    subject_teacher: User
    afterschool: User
    duty_leader: User
    parent: User
    outsider: User
    officer: User
    inspector: User
    other_officer: User

    def staff_users(self) -> dict[str, User]:
        return {
            "principal": self.principal,
            "academic": self.academic,
            "grade_leader": self.grade_leader,
            "head_teacher": self.head_teacher,
            "subject_teacher": self.subject_teacher,
            "afterschool": self.afterschool,
            "duty_leader": self.duty_leader,
        }


def build_world() -> World:
    province = Region.objects.create(name="辽宁省", code="21", level=Region.Level.PROVINCE)
    city = Region.objects.create(name="朝阳市", code="2113", level="city", parent=province)
    county = Region.objects.create(name="北票市", code="211381", level="county", parent=city)
    other_county = Region.objects.create(name="建平县", code="211322", level="county", parent=city)
    school = School.objects.create(
        name="北票市实验学校", code="A001", county=county, stage=School.Stage.NINE_YEAR
    )
    other = School.objects.create(
        name="建平县第二小学", code="B001", county=other_county, stage=School.Stage.PRIMARY
    )
    for s in (school, other):
        Term.objects.create(school=s, name="2026秋", start=date(2026, 9, 1), end=date(2027, 1, 22))
        Vacation.objects.create(
            school=s, kind="winter", name="寒假", start=date(2027, 1, 23), end=date(2027, 2, 28)
        )
    c31 = SchoolClass.objects.create(school=school, grade=3, number=1)
    c32 = SchoolClass.objects.create(school=school, grade=3, number=2)
    c71 = SchoolClass.objects.create(school=school, grade=7, number=1)
    oc = SchoolClass.objects.create(school=other, grade=3, number=1)
    chinese = Subject.objects.create(school=school, name="语文")
    maths = Subject.objects.create(school=school, name="数学")
    Subject.objects.create(school=other, name="语文")

    pupil = make_student(c31, "2026030101", "张小明")
    StudentCareFlag.objects.create(student=pupil, flag="left_behind")
    pupil2 = make_student(c32, "2026030201", "李小红", "F")
    other_pupil = make_student(oc, "B2026030101", "王小刚")

    parent = make_user("parent", "张爸爸", mobile="13912345678")
    Guardianship.objects.create(user=parent, student=pupil, relation="父亲")

    officer = make_user("officer")
    RegionRole.objects.create(user=officer, region=county, kind="officer")
    inspector = make_user("inspector")
    RegionRole.objects.create(user=inspector, region=county, kind="inspector")
    other_officer = make_user("other_officer")
    RegionRole.objects.create(user=other_officer, region=other_county, kind="officer")

    return World(
        province=province,
        city=city,
        county=county,
        other_county=other_county,
        school=school,
        other_school=other,
        class_3_1=c31,
        class_3_2=c32,
        class_7_1=c71,
        other_class=oc,
        chinese=chinese,
        maths=maths,
        pupil=pupil,
        pupil2=pupil2,
        other_pupil=other_pupil,
        principal=make_staff(school, "principal", (Role.PRINCIPAL, {})),
        academic=make_staff(school, "academic", (Role.ACADEMIC, {})),
        grade_leader=make_staff(school, "grade_leader", (Role.GRADE_LEADER, {"grade": 7})),
        head_teacher=make_staff(
            school,
            "head_teacher",
            (Role.HEAD_TEACHER, {"school_class": c31}),
            (Role.SUBJECT_TEACHER, {"school_class": c31, "subject": chinese}),
        ),
        subject_teacher=make_staff(
            school,
            "subject_teacher",
            (Role.SUBJECT_TEACHER, {"school_class": c31, "subject": maths}),
            (Role.SUBJECT_TEACHER, {"school_class": c32, "subject": maths}),
        ),
        afterschool=make_staff(school, "afterschool", (Role.AFTERSCHOOL, {})),
        duty_leader=make_staff(school, "duty_leader", (Role.DUTY_LEADER, {})),
        parent=parent,
        outsider=make_staff(other, "outsider", (Role.PRINCIPAL, {})),
        officer=officer,
        inspector=inspector,
        other_officer=other_officer,
    )
