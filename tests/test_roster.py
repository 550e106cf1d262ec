"""Roster import and export (ORG-05): whole-file checks, idempotent upserts, sight of care flags."""

import io
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from shuangjian.indicators.models import StaleSchool
from shuangjian.org import roster, xlsx
from shuangjian.org.access import access_school
from shuangjian.org.cache import ROSTER_VERSION
from shuangjian.org.models import (
    AuditEvent,
    Staff,
    StaffRole,
    Student,
    StudentCareFlag,
    User,
)

STUDENT_HEADERS = [c.header for c in roster.STUDENT_COLUMNS]
STAFF_HEADERS = [c.header for c in roster.STAFF_COLUMNS]


def book(*rows: list, headers: list[str] = STUDENT_HEADERS, above: tuple = ()) -> io.BytesIO:
    """An .xlsx in memory: optional title rows, the header row, then the rows."""
    wb = Workbook()
    ws = wb.active
    for row in (*above, headers, *rows):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def pupil(**over) -> list:
    """A valid row for the world's school (三年级 2班 exists), with some cells replaced."""
    cells = {
        "姓名": "王新",
        "性别": "女",
        "学号": "2026039901",
        "学籍号": "G110101201703040011",
        "年级": "三年级",
        "班级": "2班",
        "出生日期": date(2017, 3, 4),
        "关爱标记": "",
        "监护人姓名": "王妈妈",
        "监护人手机": "13700000001",
    }
    cells.update(over)
    return [cells[h] for h in STUDENT_HEADERS]


def teacher(**over) -> list:
    cells = {
        "姓名": "赵老师",
        "工号": "T9001",
        "手机": "13600000001",
        "角色": "任课教师",
        "年级组": "",
        "班主任班级": "",
        "任教": "三年级(2)班:语文",
    }
    cells.update(over)
    return [cells[h] for h in STAFF_HEADERS]


def snapshot() -> tuple:
    """Every row the imports may touch, to show that a refused file changed nothing."""
    return (
        list(Student.objects.order_by("id").values_list()),
        list(StudentCareFlag.objects.order_by("id").values_list()),
        list(Staff.objects.order_by("id").values_list()),
        list(StaffRole.objects.order_by("id").values_list()),
        list(User.objects.order_by("id").values_list("id", "username", "mobile", "password")),
        AuditEvent.objects.count(),
    )


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


def sheet_rows(data: bytes) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return rows


def import_students(world, file) -> roster.ImportResult:
    return roster.import_students(school=world.school, file=file, actor=world.principal)


# Templates ----------------------------------------------------------------------------------


def test_templates_have_headers_an_example_and_an_explanation_sheet():
    for data, headers in (
        (roster.student_template(), STUDENT_HEADERS),
        (roster.staff_template(), STAFF_HEADERS),
    ):
        wb = load_workbook(io.BytesIO(data))
        assert wb.sheetnames[1] == "说明"
        ws = wb.worksheets[0]
        assert [c.value for c in ws[1]] == headers
        assert ws.max_row == 2 and ws.cell(2, 1).value  # one example row
        assert ws.column_dimensions["A"].width > 0
        explained = [row[0] for row in wb["说明"].iter_rows(min_row=2, values_only=True)]
        assert set(headers) <= set(explained)
    allowed = " ".join(
        str(v)
        for row in load_workbook(io.BytesIO(roster.student_template()))["说明"].values
        for v in row
        if v
    )
    assert all(label in allowed for label in roster.CARE_FLAG_LABELS)


# Importing pupils ---------------------------------------------------------------------------


def test_import_creates_pupils_and_care_flags(world):
    file = book(
        pupil(关爱标记="留守儿童、学困生", 监护人手机=13700000001),
        pupil(
            学号="2026070101",
            姓名="刘一",
            性别="男",
            年级="初一",
            班级="(1)班",
            出生日期="2014/9/1",
            关爱标记="随迁子女",
        ),
        pupil(学号=2026030299, 姓名="孙二", 年级=3, 班级=2, 出生日期="20170105", 监护人手机=""),
    )
    upload = SimpleUploadedFile("名册.xlsx", file.getvalue())

    result = import_students(world, upload)

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    wang = Student.objects.get(school=world.school, student_no="2026039901")
    assert (wang.name, wang.gender, wang.school_class, wang.birth_date) == (
        "王新",
        "F",
        world.class_3_2,
        date(2017, 3, 4),
    )
    assert (wang.registry_no, wang.guardian_name, wang.guardian_mobile) == (
        "G110101201703040011",
        "王妈妈",
        "13700000001",
    )
    assert set(wang.care_flags.values_list("flag", flat=True)) == {
        "left_behind",
        "learning_difficulty",
    }
    liu = Student.objects.get(student_no="2026070101")
    assert (liu.school_class, liu.birth_date, liu.gender) == (
        world.class_7_1,
        date(2014, 9, 1),
        "M",
    )
    assert list(liu.care_flags.values_list("flag", flat=True)) == ["migrant"]
    sun = Student.objects.get(student_no="2026030299")
    assert (sun.school_class, sun.birth_date, sun.guardian_mobile) == (
        world.class_3_2,
        date(2017, 1, 5),
        "",
    )
    event = AuditEvent.objects.get(action="roster_imported")
    assert event.actor == world.principal
    assert event.detail == {"kind": "students", "created": 3, "updated": 0, "unchanged": 0}


def test_reimporting_the_same_file_writes_nothing_but_the_audit_event(world):
    file = book(pupil(关爱标记="留守儿童"), pupil(学号="2026039902", 姓名="王二"))
    assert import_students(world, file).created == 2
    before = snapshot()

    with CaptureQueriesContext(connection) as queries:
        result = import_students(world, file)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert [sql.split()[2] for sql in writes(queries)] == ['"org_auditevent"']
    after = snapshot()
    assert after[:-1] == before[:-1]
    assert after[-1] == before[-1] + 1


def test_an_edited_row_updates_only_that_pupil(world):
    rows = [pupil(), pupil(学号="2026039902", 姓名="王二", 关爱标记="家庭困难")]
    import_students(world, book(*rows))
    other = Student.objects.filter(student_no="2026039902").values().get()

    rows[0] = pupil(姓名="王新新", 班级="1班", 关爱标记="残疾；留守儿童")
    result = import_students(world, book(*rows))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    edited = Student.objects.get(student_no="2026039901")
    assert (edited.name, edited.school_class) == ("王新新", world.class_3_1)
    assert set(edited.care_flags.values_list("flag", flat=True)) == {"disability", "left_behind"}
    assert Student.objects.filter(student_no="2026039902").values().get() == other

    rows[0] = pupil(姓名="王新新", 班级="1班", 关爱标记="残疾")  # a flag removed, nothing else
    result = import_students(world, book(*rows))
    assert (result.updated, result.unchanged) == (1, 1)
    assert list(edited.care_flags.values_list("flag", flat=True)) == ["disability"]


def test_a_known_student_number_updates_that_pupil_and_reenrols_them(world):
    world.pupil.active = False
    world.pupil.save()
    result = import_students(world, book(pupil(学号=world.pupil.student_no, 姓名="张小明")))
    assert (result.created, result.updated) == (0, 1)
    world.pupil.refresh_from_db()
    assert world.pupil.active and world.pupil.school_class == world.class_3_2
    assert not world.pupil.care_flags.exists()  # the file's empty cell clears the flags


def test_left_out_optional_columns_keep_what_is_recorded(world):
    headers = ["学号", "姓名", "性别", "年级", "班级"]
    file = book([world.pupil.student_no, "张小明", "男", "三年级", "1班"], headers=headers)
    result = import_students(world, file)
    assert (result.updated, result.unchanged) == (0, 1)
    world.pupil.refresh_from_db()
    assert world.pupil.guardian_mobile == "13800000000"
    assert list(world.pupil.care_flags.values_list("flag", flat=True)) == ["left_behind"]


def test_header_synonyms_title_rows_and_extra_columns(world):
    headers = ["序号", "姓名", "性别", " 学号* ", "全国学籍号", "年级", "班级", "家长手机"]
    file = book(
        [1, "王新", "女", "2026039901", "G1", "三年级", "2班", "13700000001"],
        [2, "", "男", "2026039902", "", "三年级", "2班", ""],
        headers=headers,
        above=(["北票市实验学校学生名册"], []),
    )
    result = import_students(world, file)
    assert [(e.row, e.column, e.code) for e in result.errors] == [(5, "姓名", "required")]

    file = book(
        [1, "王新", "女", "2026039901", "G1", "三年级", "2班", "13700000001"],
        headers=headers,
        above=(["北票市实验学校学生名册"], []),
    )
    assert import_students(world, file).created == 1
    wang = Student.objects.get(student_no="2026039901")
    assert (wang.registry_no, wang.guardian_mobile) == ("G1", "13700000001")


@pytest.mark.parametrize(
    ("cells", "column", "code"),
    [
        ({"姓名": ""}, "姓名", "required"),
        ({"姓名": "王" * 51}, "姓名", "too_long"),
        ({"学号": "9" * 31}, "学号", "too_long"),
        ({"学号": "2026039901"}, "学号", "duplicate_in_file"),
        ({"班级": "9班"}, "班级", "unknown_class"),
        ({"班级": "二班级"}, "班级", "bad_class"),
        ({"年级": "高一"}, "年级", "grade_outside_stage"),
        ({"年级": "三年"}, "年级", "bad_grade"),
        ({"性别": "X"}, "性别", "bad_gender"),
        ({"监护人手机": "1380000"}, "监护人手机", "bad_mobile"),
        ({"出生日期": "2015-13-45"}, "出生日期", "bad_date"),
        ({"出生日期": date(2099, 1, 1)}, "出生日期", "bad_date"),
        ({"关爱标记": "留守儿童、孤儿"}, "关爱标记", "unknown_care_flag"),
    ],
)
def test_each_bad_cell_is_reported_and_nothing_is_imported(world, cells, column, code):
    good = pupil()  # row 2
    bad = pupil(学号="2026039902", **cells) if "学号" not in cells else pupil(**cells)  # row 3
    before = snapshot()

    result = import_students(world, book(good, bad))

    assert [(e.row, e.column, e.code) for e in result.errors] == [(3, column, code)]
    assert result.errors[0].message
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert snapshot() == before


def test_all_errors_of_a_file_are_listed_together(world):
    result = import_students(
        world,
        book(pupil(性别="?", 班级="8班"), pupil(学号="2026039902"), pupil(学号="", 年级="高三")),
    )
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (2, "性别", "bad_gender"),
        (2, "班级", "unknown_class"),
        (4, "学号", "required"),
        (4, "年级", "grade_outside_stage"),
    ]


def test_missing_required_column_is_a_file_error_naming_it(world):
    headers = [h for h in STUDENT_HEADERS if h != "学号"]
    row = [c for h, c in zip(STUDENT_HEADERS, pupil(), strict=True) if h != "学号"]
    before = snapshot()
    result = import_students(world, book(row, headers=headers))
    assert [(e.row, e.column, e.code) for e in result.errors] == [(None, "学号", "missing_column")]
    assert snapshot() == before


def _zip_without_workbook() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("roster.txt", b"just some text"),
        ("roster.xls", "姓名,性别,学号\n王新,女,1\n".encode()),  # a CSV named .xls
        ("roster.xlsx", "姓名,性别,学号\n王新,女,1\n".encode()),  # a CSV named .xlsx
        ("roster.xlsx", _zip_without_workbook()),
        ("roster.xlsx", b""),
    ],
)
def test_a_file_that_is_not_xlsx_is_refused_without_an_exception(world, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    before = snapshot()
    for file in (str(path), io.BytesIO(content), SimpleUploadedFile(name, content)):
        result = import_students(world, file)
        assert [(e.row, e.code) for e in result.errors] == [(None, "not_xlsx")]
    assert snapshot() == before


def test_empty_workbooks_are_refused(world):
    empty = io.BytesIO()
    Workbook().save(empty)
    for file in (empty, book()):
        result = import_students(world, file)
        assert [(e.row, e.code) for e in result.errors] == [(None, "empty")]


def test_import_reads_the_school_in_a_fixed_number_of_queries(world):
    def count(n: int) -> int:
        rows = [pupil(学号=f"20260399{i:02d}", 关爱标记="留守儿童") for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            assert import_students(world, book(*rows)).errors == []
        return len(queries)

    assert count(3) == count(60)  # the second run: 3 updates... and 57 new pupils


# Exports ------------------------------------------------------------------------------------


def test_principal_export_has_care_flags_and_guardians_and_reimports_unchanged(world):
    data = roster.export_students(acc=access_school(world.principal, world.school.id))
    rows = sheet_rows(data)
    assert list(rows[0]) == STUDENT_HEADERS
    by_no = {r[2]: dict(zip(STUDENT_HEADERS, r, strict=True)) for r in rows[1:]}
    assert set(by_no) == {world.pupil.student_no, world.pupil2.student_no}  # not school B's
    zhang = by_no[world.pupil.student_no]
    assert (zhang["关爱标记"], zhang["监护人手机"], zhang["年级"], zhang["班级"]) == (
        "留守儿童",
        "13800000000",
        "三年级",
        "1班",
    )
    before = snapshot()
    result = import_students(world, io.BytesIO(data))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert snapshot()[:-1] == before[:-1]


def test_a_full_round_trip_with_every_field(world):
    file = book(
        pupil(关爱标记="困境儿童、返乡儿童", 出生日期=datetime(2017, 3, 4)),
        pupil(学号="2026039902", 姓名="=1+1"),
    )
    wb = load_workbook(file)
    wb.active.cell(3, 1).data_type = "s"  # a name that looks like a formula, stored as text
    file = io.BytesIO()
    wb.save(file)
    assert import_students(world, file).created == 2
    data = roster.export_students(acc=access_school(world.academic, world.school.id))
    result = import_students(world, io.BytesIO(data))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert Student.objects.get(student_no="2026039902").name == "=1+1"  # text, not a formula


def test_subject_teacher_export_has_no_care_flags_or_guardian_contact(world):
    data = roster.export_students(acc=access_school(world.subject_teacher, world.school.id))
    rows = sheet_rows(data)
    assert "关爱标记" not in rows[0] and "监护人手机" not in rows[0]
    assert "13800000000" not in {v for r in rows for v in r}
    assert {r[rows[0].index("学号")] for r in rows[1:]} == {
        world.pupil.student_no,
        world.pupil2.student_no,
    }
    # Re-importing such a file keeps the flags it could not show.
    import_students(world, io.BytesIO(data))
    assert world.pupil.care_flags.filter(flag="left_behind").exists()


def test_head_teacher_export_shows_flags_of_their_class_only(world):
    data = roster.export_students(acc=access_school(world.head_teacher, world.school.id))
    rows = sheet_rows(data)
    assert rows[0][7] == "关爱标记"
    assert [(r[2], r[7], r[9]) for r in rows[1:]] == [
        (world.pupil.student_no, "留守儿童", "13800000000")
    ]


def test_grade_leader_exports_only_their_grade(world):
    rows = sheet_rows(
        roster.export_students(acc=access_school(world.grade_leader, world.school.id))
    )
    assert rows == [
        tuple(h for h in STUDENT_HEADERS if h not in ("关爱标记", "监护人姓名", "监护人手机"))
    ]


# Staff --------------------------------------------------------------------------------------


def staff_roles(staff_no: str) -> set[tuple]:
    return set(
        StaffRole.objects.filter(staff__school__code="A001", staff__staff_no=staff_no).values_list(
            "role", "grade", "school_class__grade", "school_class__number", "subject__name"
        )
    )


def test_staff_import_creates_accounts_and_roles(world):
    file = book(
        teacher(
            角色="班主任、任课教师",
            班主任班级="三年级(2)班",
            任教="三年级(2)班:语文；3年级1班：数学",
        ),
        teacher(
            工号="T9002",
            姓名="钱老师",
            手机=13600000002,
            角色="年级组长,值周领导",
            年级组="初一",
            任教="",
        ),
        headers=STAFF_HEADERS,
    )
    result = roster.import_staff(school=world.school, file=file, actor=None)

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    zhao = Staff.objects.get(school=world.school, staff_no="T9001")
    assert (zhao.name, zhao.user.username, zhao.user.mobile) == (
        "赵老师",
        "A001-T9001",
        "13600000001",
    )
    assert not zhao.user.has_usable_password()
    assert staff_roles("T9001") == {
        ("head_teacher", None, 3, 2, None),
        ("subject_teacher", None, 3, 2, "语文"),
        ("subject_teacher", None, 3, 1, "数学"),
    }
    assert staff_roles("T9002") == {
        ("grade_leader", 7, None, None, None),
        ("duty_leader", None, None, None, None),
    }

    before = snapshot()
    file.seek(0)
    again = roster.import_staff(school=world.school, file=file, actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert snapshot()[:-1] == before[:-1]


def test_staff_roles_become_exactly_the_files(world):
    file = book(teacher(角色="班主任、任课教师", 班主任班级="三年级(2)班"), headers=STAFF_HEADERS)
    roster.import_staff(school=world.school, file=file, actor=None)
    result = roster.import_staff(
        school=world.school,
        file=book(teacher(手机="13600000009"), headers=STAFF_HEADERS),
        actor=None,
    )
    assert (result.created, result.updated) == (0, 1)
    assert staff_roles("T9001") == {("subject_teacher", None, 3, 2, "语文")}
    assert User.objects.get(username="A001-T9001").mobile == "13600000009"


def test_a_class_can_change_head_teacher_within_one_file(world):
    current = Staff.objects.get(user=world.head_teacher)
    file = book(
        teacher(姓名=current.name, 工号=current.staff_no, 手机="", 任教="三年级(1)班:语文"),
        teacher(角色="班主任", 班主任班级="三年级(1)班", 任教=""),
        headers=STAFF_HEADERS,
    )
    result = roster.import_staff(school=world.school, file=file, actor=None)
    assert result.errors == []
    assert staff_roles("T9001") == {("head_teacher", None, 3, 1, None)}
    assert staff_roles(current.staff_no) == {("subject_teacher", None, 3, 1, "语文")}


@pytest.mark.parametrize(
    ("cells", "column", "code"),
    [
        ({"角色": "班主任、校工", "班主任班级": "三年级(2)班", "任教": ""}, "角色", "unknown_role"),
        (
            {"角色": "班主任", "班主任班级": "三年级(9)班", "任教": ""},
            "班主任班级",
            "unknown_class",
        ),
        ({"任教": "三年级(9)班:语文"}, "任教", "unknown_class"),
        ({"任教": "三年级(2)班:物理"}, "任教", "unknown_subject"),
        ({"任教": "语文"}, "任教", "bad_teaching"),
        (
            {"角色": "班主任", "班主任班级": "三年级(1)班", "任教": ""},
            "班主任班级",
            "class_has_head_teacher",
        ),
        ({"角色": "班主任", "任教": ""}, "班主任班级", "needed_for_role"),
        ({"年级组": "三年级"}, "年级组", "not_for_role"),
        ({"角色": "年级组长", "年级组": "高一", "任教": ""}, "年级组", "grade_outside_stage"),
        ({"手机": "13912345678"}, "手机", "mobile_taken"),  # the parent's
        ({"手机": "12345"}, "手机", "bad_mobile"),
        ({"手机": ""}, "手机", "required"),
        ({"工号": "T 1"}, "工号", "bad_staff_no"),
        ({"工号": "T9000"}, "工号", "duplicate_in_file"),
        ({"手机": "13600000000"}, "手机", "duplicate_in_file"),
    ],
)
def test_each_bad_staff_cell_is_reported_and_nothing_is_imported(world, cells, column, code):
    good = teacher(工号="T9000", 手机="13600000000")  # row 2
    before = snapshot()
    result = roster.import_staff(
        school=world.school, file=book(good, teacher(**cells), headers=STAFF_HEADERS), actor=None
    )
    assert [(e.row, e.column, e.code) for e in result.errors] == [(3, column, code)]
    assert snapshot() == before


def test_staff_export_reimports_unchanged(world):
    data = roster.export_staff(acc=access_school(world.principal, world.school.id))
    rows = sheet_rows(data)
    assert list(rows[0]) == STAFF_HEADERS
    head = next(r for r in rows if r[0] == "head_teacher")
    assert head[3:] == ("班主任、任课教师", None, "三年级(1)班", "三年级(1)班:语文")
    before = snapshot()
    result = roster.import_staff(school=world.school, file=io.BytesIO(data), actor=None)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, 7)
    assert snapshot()[:-1] == before[:-1]


# Commands -----------------------------------------------------------------------------------


def test_import_command_prints_progress_and_a_summary(world, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(book(*[pupil(学号=f"20260399{i:02d}") for i in range(30)]).getvalue())
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_roster", str(path), school="A001", kind="students", stdout=out)
    lines = out.getvalue().splitlines()
    assert sum("%" in line for line in lines) >= 10  # checking and saving, every 10%
    assert any("100% (30/30)" in line for line in lines)
    assert "30" in lines[-1]
    assert AuditEvent.objects.get(action="roster_imported").actor is None
    assert Student.objects.filter(school=world.school).count() == 32


def test_import_command_lists_errors_and_fails(world, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(book(pupil(班级="9班")).getvalue())
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(
            "import_roster",
            str(path),
            school="A001",
            kind="students",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert failed.value.returncode == 1
    assert "班级" in err.getvalue() and "2" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), school="NOPE", kind="students")


def test_export_command_writes_a_file_that_imports_unchanged(world, tmp_path):
    for kind in ("students", "staff"):
        path = tmp_path / f"{kind}.xlsx"
        call_command(
            "export_roster", school="A001", kind=kind, output=str(path), stdout=io.StringIO()
        )
        out = io.StringIO()
        with translation.override("en"):
            call_command("import_roster", str(path), school="A001", kind=kind, stdout=out)
        assert out.getvalue().splitlines()[-1].startswith("0 new, 0 updated")


# Reading large files --------------------------------------------------------------------------

SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)


def repack(data: bytes, parts: dict[str, str], *, edit=lambda name, text: text) -> bytes:
    """The .xlsx with some parts added or replaced and edit(name, text) applied to the others."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if name not in parts:
                dst.writestr(name, edit(name, src.read(name).decode()))
        for name, text in parts.items():
            dst.writestr(name, text)
    return out.getvalue()


def read_both(data: bytes) -> tuple[list, list]:
    """The non-empty rows as roster's reader and as openpyxl's read-only mode give them."""
    fast = xlsx.Reader(io.BytesIO(data))
    got = list(fast.rows(fast.sheets[0]))
    fast.close()
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    ws = wb.worksheets[0]
    ws.reset_dimensions()
    want = [(n, row) for n, row in enumerate(ws.iter_rows(values_only=True), start=1) if row]
    wb.close()
    return got, want


def test_the_fast_reader_gives_the_values_openpyxl_gives():
    wb = Workbook()
    ws = wb.active
    ws.append(["text", 12, 3.5, -1e-7, True, False, None, "  spaced  ", "=1+1", "#N/A"])
    ws.append([datetime(2017, 3, 4, 8, 30), date(2017, 3, 4), time(7, 30), timedelta(hours=30)])
    ws["C5"] = "after a gap"  # rows 3 and 4 left out, cells A5 and B5 too
    ws.cell(row=6, column=30, value="AD6")
    ws["A7"] = CellRichText("普通", TextBlock(InlineFont(b=True), "加粗"))
    ws["B8"].value = 43000
    ws["B8"].number_format = "yyyy年m月d日"  # a custom date format
    buf = io.BytesIO()
    wb.save(buf)

    got, want = read_both(buf.getvalue())

    assert got == want
    assert got[0] == (1, ("text", 12, 3.5, -1e-7, True, False, None, "  spaced  ", None, "#N/A"))
    assert got[2] == (5, (None, None, "after a gap"))
    assert got[4] == (7, ("普通加粗",))
    assert got[5] == (8, (None, datetime(2017, 9, 22)))


def test_the_fast_reader_reads_shared_strings_phonetics_and_rows_without_references():
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData>"
        '<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c></row>'
        '<row r="4"><c r="B4" t="s"><v>3</v></c><c><v>42736</v></c><c t="b"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    )
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<si><t>王新</t><rPh sb="0" eb="2"><t>wang xin</t></rPh></si>'
        "<si><r><t>普通</t></r><r><rPr><b/></rPr><t>加粗</t></r></si>"
        "<si><t/></si>"
        '<si><t xml:space="preserve"> _x005F_x000D_ </t></si>'
        "</sst>"
    )

    def edit(name: str, text: str) -> str:
        if name == "[Content_Types].xml":
            override = (
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
            )
            return text.replace("</Types>", override + "</Types>")
        if name == "xl/workbook.xml":  # the Mac date system: 42736 is 2021-01-02
            return text.replace("<workbookPr />", '<workbookPr date1904="1" />')
        return text

    wb = Workbook()
    wb.active["A1"].number_format = "yyyy-mm-dd"  # style 1 is a date format
    buf = io.BytesIO()
    wb.save(buf)
    data = repack(
        buf.getvalue(),
        {
            "xl/worksheets/sheet1.xml": sheet.replace("<c><v>", '<c s="1"><v>'),
            "xl/sharedStrings.xml": strings,
        },
        edit=edit,
    )

    got, want = read_both(data)

    assert got == want
    assert got == [
        (1, ("王新", "普通加粗", "")),
        (4, (None, " _x000D_ ", datetime(2021, 1, 2), True)),
    ]


def test_a_large_file_without_a_size_imports_like_a_small_one(world):
    wb = Workbook(write_only=True)  # as the bench writes it: inline strings, no <dimension>
    ws = wb.create_sheet("学生名册")
    ws.append(STUDENT_HEADERS)
    for i in range(1500):
        ws.append(
            pupil(学号=f"2026{i:06d}", 姓名=f"学生{i}", 关爱标记="留守儿童" if i % 7 == 0 else "")
        )
    buf = io.BytesIO()
    wb.save(buf)

    result = import_students(world, buf)

    assert (result.errors, result.created) == ([], 1500)
    imported = Student.objects.filter(school=world.school, name__startswith="学生")
    assert imported.count() == 1500
    assert set(imported.values_list("school_class", "gender", "guardian_mobile").distinct()) == {
        (world.class_3_2.id, "F", "13700000001")
    }
    flagged = StudentCareFlag.objects.filter(student__in=imported)
    assert flagged.count() == 215  # every 7th row
    assert set(flagged.values_list("flag", flat=True)) == {"left_behind"}


def test_a_large_file_with_one_bad_row_at_the_end_writes_nothing(world):
    rows = [pupil(学号=f"2026{i:06d}", 姓名=f"学生{i}") for i in range(2500)]
    rows.append(pupil(学号="2026999999", 班级="9班"))  # 三年级 has no class 9
    before = snapshot()

    result = import_students(world, book(*rows))

    assert [(e.row, e.column, e.code) for e in result.errors] == [(2502, "班级", "unknown_class")]
    assert (result.created, result.updated) == (0, 0)
    assert snapshot() == before


def test_text_with_tabs_backslashes_and_quotes_is_stored_as_written(world):
    name = 'A\\B\t"C"'
    result = import_students(world, book(pupil(姓名=name, 监护人姓名="O'Brien\\N")))

    assert result.errors == []
    pupil_ = Student.objects.get(school=world.school, student_no="2026039901")
    assert (pupil_.name, pupil_.guardian_name) == (name, "O'Brien\\N")


def test_an_import_that_writes_marks_the_indicators_and_renews_the_roster_version(world):
    StaleSchool.objects.filter(school=world.school).delete()
    token = cache.get(ROSTER_VERSION)

    import_students(world, book(pupil()))

    assert StaleSchool.objects.get(school=world.school).since is None
    assert cache.get(ROSTER_VERSION) not in (None, token)

    StaleSchool.objects.filter(school=world.school).delete()
    token = cache.get(ROSTER_VERSION)
    assert import_students(world, book(pupil())).unchanged == 1  # nothing to write: no marks
    assert not StaleSchool.objects.filter(school=world.school).exists()
    assert cache.get(ROSTER_VERSION) == token


def test_an_error_cell_is_reported_not_read_as_empty(world):
    """A failed formula (#N/A from a VLOOKUP) is not an empty cell: the row is refused."""
    result = import_students(world, book(pupil(监护人手机="#N/A", 出生日期="#VALUE!")))
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (2, "出生日期", "bad_date"),
        (2, "监护人手机", "bad_mobile"),
    ]


@pytest.mark.parametrize("row, cell", [("3", "AAAAA3"), ("2000000", "A2000000")])
def test_a_cell_beyond_excels_limits_is_refused_not_allocated(world, row, cell):
    """A few bytes claiming a cell at column AAAAA (12 million) or row 2,000,000: the file is
    refused as unreadable, without building rows of millions of empty cells."""
    bad = f'<row r="{row}"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'

    def edit(name: str, text: str) -> str:
        return text.replace("</sheetData>", bad, 1) if name.startswith("xl/worksheets/") else text

    result = import_students(world, io.BytesIO(repack(book(pupil()).getvalue(), {}, edit=edit)))
    assert [e.code for e in result.errors] == ["unreadable"]
    assert not Student.objects.filter(school=world.school, name="王新").exists()
