"""Roster import and export as Excel (ORG-05): 学生名册 and 教师名单.

A file is checked whole before anything is written: every bad cell is reported by its Excel row
and column, and a file with any error imports nothing.  A clean file is written in one
transaction that touches only what differs, so importing the same file twice changes nothing.
Headers and allowed values (男/女, care flags, roles) are the Chinese words schools already use:
they are the file format and are not translated; explanations and error messages are.
"""

import io
import logging
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import services, xlsx
from .access import SchoolAccess
from .cache import ROSTER_VERSION, bump, user_version
from .grades import class_label, parse_class_number, parse_grade
from .models import (
    CareFlag,
    Role,
    School,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
    StudentCareFlag,
    Subject,
    User,
    mobile_validator,
)
from .signals import roster_imported

log = logging.getLogger(__name__)

Source = str | os.PathLike[str] | IO[bytes]
"""A path, or a binary file object such as Django's UploadedFile."""

Progress = Callable[[int, int, str], None]
"""progress(done_rows, total_rows, phase) with phase "read", "check" or "save"."""

MAX_ROWS = 200_000  # a county-wide roster fits; anything larger is a mistake or an attack
BATCH = 2000
HEADER_SCAN_ROWS = 10  # the header may sit under a title row or two (e.g. "XX学校学生名册")
EXPLANATION_SHEET = "说明"

GENDERS = {"男": Student.Gender.MALE, "女": Student.Gender.FEMALE}
GENDER_LABELS = {v: k for k, v in GENDERS.items()}
_GENDER_ALIASES = {**GENDERS, "男性": "M", "女性": "F", "M": "M", "F": "F"}

CARE_FLAG_LABELS = {
    "留守儿童": CareFlag.LEFT_BEHIND,
    "困境儿童": CareFlag.IN_DIFFICULTY,
    "随迁子女": CareFlag.MIGRANT,
    "返乡儿童": CareFlag.RETURNED,
    "残疾": CareFlag.DISABILITY,
    "家庭困难": CareFlag.LOW_INCOME,
    "学困生": CareFlag.LEARNING_DIFFICULTY,
}
ROLE_LABELS = {
    "校长": Role.PRINCIPAL,
    "教导处": Role.ACADEMIC,
    "年级组长": Role.GRADE_LEADER,
    "班主任": Role.HEAD_TEACHER,
    "任课教师": Role.SUBJECT_TEACHER,
    "课后服务": Role.AFTERSCHOOL,
    "值周领导": Role.DUTY_LEADER,
}
_FLAG_NAMES = {v.value: k for k, v in CARE_FLAG_LABELS.items()}
_ROLE_NAMES = {v.value: k for k, v in ROLE_LABELS.items()}
_FLAG_ORDER = {v.value: i for i, v in enumerate(CareFlag)}
_ROLE_ORDER = {v.value: i for i, v in enumerate(Role)}

# Grade names as written in files (fixed Chinese, unlike grades.grade_label which is translated).
GRADE_NAMES = {
    **{g: f"{c}年级" for g, c in enumerate("一二三四五六七八九", start=1)},
    10: "高一",
    11: "高二",
    12: "高三",
}

_LIST_SEP = re.compile(r"[、,，;；\s]+")
_PAIR_SEP = re.compile(r"[、,，;；\n]+")
_CLASS_NAME = re.compile(
    r"(?P<grade>[一二三四五六七八九\d]{1,2}年级|初[一二三]|高[一二三]|\d{1,2})"
    r"[（(]?(?P<number>\d{1,2})[)）]?班?"
)
_DATE_TEXT = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{4})(\d{2})(\d{2})")
_STAFF_NO = re.compile(r"[\w.@+-]+")
_MOBILE = re.compile(mobile_validator.regex.pattern)


# Results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: the Excel row (None for the whole file), the column header, and why."""

    row: int | None
    column: str
    message: str
    code: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# Columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    synonyms: tuple[str, ...] = ()
    required: bool = False  # the column must be present and every row must fill it
    must_exist: bool = False  # the column must be present, cells may be empty
    width: int = 12
    example: Any = ""
    text: bool = False  # kept as text in Excel (numbers with leading zeros, mobiles)
    help: Promise | str = ""
    values: str = ""  # the allowed values, for the explanation sheet


NAME, GENDER, STUDENT_NO, REGISTRY_NO, GRADE, CLASS = (
    "姓名",
    "性别",
    "学号",
    "学籍号",
    "年级",
    "班级",
)
BIRTH_DATE, CARE_FLAGS, GUARDIAN, GUARDIAN_MOBILE = (
    "出生日期",
    "关爱标记",
    "监护人姓名",
    "监护人手机",
)
STAFF_NO, MOBILE, ROLES, LED_GRADES, HEAD_CLASS, TEACHING = (
    "工号",
    "手机",
    "角色",
    "年级组",
    "班主任班级",
    "任教",
)

STUDENT_COLUMNS = (
    Column(
        NAME,
        ("学生姓名",),
        required=True,
        width=10,
        example="张小明",
        help=gettext_lazy("The pupil's full name."),
    ),
    Column(
        GENDER, required=True, width=6, example="男", values="男、女", help=gettext_lazy("Gender.")
    ),
    Column(
        STUDENT_NO,
        ("学生学号", "校内学号"),
        required=True,
        width=14,
        example="2026030201",
        text=True,
        help=gettext_lazy(
            "The school's student number; unique in the school. A number already in the "
            "system updates that pupil."
        ),
    ),
    Column(
        REGISTRY_NO,
        ("全国学籍号", "学籍编号"),
        width=22,
        example="G110101201709010012",
        text=True,
        help=gettext_lazy("National student registry number (optional)."),
    ),
    Column(
        GRADE,
        required=True,
        width=8,
        example="三年级",
        values="一年级…九年级、初一…初三、高一…高三、1…12",
        help=gettext_lazy("Grade, as 三年级, 初一 or 3; must be taught at this school."),
    ),
    Column(
        CLASS,
        required=True,
        width=8,
        example="2班",
        values="2班、(2)班、2",
        help=gettext_lazy("Class number within the grade; the class must already exist."),
    ),
    Column(
        BIRTH_DATE,
        ("出生年月日", "生日"),
        width=12,
        example=date(2017, 9, 1),
        values="2017-09-01、2017/9/1、20170901",
        help=gettext_lazy("Date of birth (optional): an Excel date or text such as 2017-09-01."),
    ),
    Column(
        CARE_FLAGS,
        ("关爱类别", "关爱对象"),
        width=20,
        example="留守儿童",
        values="、".join(CARE_FLAG_LABELS),
        help=gettext_lazy(
            "Care flags (optional, sensitive), several separated by 、 or ；. The pupil gets "
            "exactly the flags listed; an empty cell clears them. Leave the whole column out "
            "to keep the flags already recorded."
        ),
    ),
    Column(
        GUARDIAN,
        ("家长姓名",),
        width=10,
        example="张建国",
        help=gettext_lazy("Guardian's name (optional)."),
    ),
    Column(
        GUARDIAN_MOBILE,
        ("家长手机", "监护人电话", "家长电话", "家长联系电话"),
        width=14,
        example="13800000000",
        text=True,
        help=gettext_lazy("Guardian's 11-digit mobile number (optional)."),
    ),
)

STAFF_COLUMNS = (
    Column(
        NAME,
        ("教师姓名", "教职工姓名"),
        required=True,
        width=10,
        example="王丽",
        help=gettext_lazy("Full name."),
    ),
    Column(
        STAFF_NO,
        ("教工号", "职工号", "教师编号"),
        required=True,
        width=10,
        example="T0301",
        text=True,
        help=gettext_lazy(
            "Staff number; unique in the school. It becomes the login name "
            "<school code>-<staff number>."
        ),
    ),
    Column(
        MOBILE,
        ("手机号", "手机号码", "联系电话"),
        required=True,
        width=14,
        example="13900000001",
        text=True,
        help=gettext_lazy("11-digit mobile number, not used by any other account."),
    ),
    Column(
        ROLES,
        ("岗位",),
        must_exist=True,
        width=18,
        example="班主任、任课教师",
        values="、".join(ROLE_LABELS),
        help=gettext_lazy(
            "Roles, several separated by 、 or ；. The person gets exactly the roles listed."
        ),
    ),
    Column(
        LED_GRADES,
        ("所在年级组",),
        width=10,
        example="",
        help=gettext_lazy("For 年级组长: the grade(s) led, as 三年级 or 3."),
    ),
    Column(
        HEAD_CLASS,
        ("任班主任班级",),
        width=14,
        example="三年级(2)班",
        values="三年级(2)班、3年级2班、初一(1)班",
        help=gettext_lazy("For 班主任: the class. A class has one head teacher."),
    ),
    Column(
        TEACHING,
        ("任教班级学科", "任教学科"),
        width=36,
        example="三年级(1)班:语文；三年级(2)班:语文",
        help=gettext_lazy(
            "For 任课教师: class and subject pairs separated by ；. Classes and subjects must "
            "already exist at the school."
        ),
    ),
)


def _norm_header(value: object) -> str:
    """Header text compared without spaces, '*' markers or a trailing '(说明)'."""
    text = re.sub(r"\s+", "", _text(value)).strip("*＊")
    return re.sub(r"[（(][^（()）]*[)）]$", "", text)


# Templates and exports ---------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _cell(ws: Any, value: Any) -> Any:
    """A cell for write-only sheets; text starting with '=' stays text, never a formula."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _workbook(
    title: str, columns: Iterable[Column], rows: Iterable[list], notes: list[str]
) -> bytes:
    columns = list(columns)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    for j, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = col.width
        if col.text:  # typed numbers stay text in Excel: leading zeros survive
            ws.column_dimensions[get_column_letter(j)].number_format = "@"
        if col.header == GENDER:
            gender = DataValidation(type="list", formula1='"男,女"', allow_blank=True)
            gender.add(f"{get_column_letter(j)}2:{get_column_letter(j)}{MAX_ROWS}")
            ws.data_validations.append(gender)
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if (col.required or col.must_exist) else _HEADER_FILL
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append([_cell(ws, v) for v in row])
    _explain(wb.create_sheet(EXPLANATION_SHEET), columns, notes)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _explain(ws: Any, columns: list[Column], notes: list[str]) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCD", (14, 10, 60, 40), strict=True):
        ws.column_dimensions[letter].width = width
    header = []
    for text in (_("Column"), _("Required"), _("Explanation"), _("Allowed values")):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header.append(cell)
    ws.append(header)
    for col in columns:
        cells = []
        for value in (
            col.header,
            _("Required")
            if col.required
            else _("Column required, cells may be empty")
            if col.must_exist
            else _("Optional"),
            str(col.help),
            col.values,
        ):
            cell = WriteOnlyCell(ws, value=value)
            cell.alignment = wrap
            cells.append(cell)
        ws.append(cells)
    ws.append([])
    for note in notes:
        cell = WriteOnlyCell(ws, value=note)
        cell.alignment = Alignment(wrap_text=False)
        ws.append([cell])


def _student_notes() -> list[str]:
    return [
        _("Fill in the first sheet, one pupil per row, below the header row; delete the example."),
        _(
            "The whole file is checked first: if any cell is wrong, nothing is imported and every "
            "problem is listed by row and column."
        ),
        _(
            "A student number already in the system updates that pupil; a new number adds a "
            "pupil. Pupils in the system but not in this file are NOT deleted."
        ),
        _("Classes are not created by the import: add missing classes first."),
        _("Columns marked optional may be left out; a left-out column keeps what is recorded."),
    ]


def _staff_notes() -> list[str]:
    return [
        _("Fill in the first sheet, one person per row, below the header row; delete the example."),
        _(
            "The whole file is checked first: if any cell is wrong, nothing is imported and every "
            "problem is listed by row and column."
        ),
        _(
            "A staff number already in the system updates that person; a new number adds a person "
            "and an account without a password (reset it to give them one). Staff not in this "
            "file are NOT deleted or deactivated."
        ),
        _("Each person gets exactly the roles in the file: roles not listed are removed."),
    ]


def student_template() -> bytes:
    """An empty 学生名册 with one example row and an explanation sheet."""
    return _workbook(
        "学生名册", STUDENT_COLUMNS, [[c.example for c in STUDENT_COLUMNS]], _student_notes()
    )


def staff_template() -> bytes:
    """An empty 教师名单 with one example row and an explanation sheet."""
    return _workbook(
        "教师名单", STAFF_COLUMNS, [[c.example for c in STAFF_COLUMNS]], _staff_notes()
    )


def _file_class_name(grade: int, number: int) -> str:
    """A class as files write it: 三年级(2)班."""
    return f"{GRADE_NAMES[grade]}({number})班"


def export_students(*, acc: SchoolAccess) -> bytes:
    """The pupils of the classes the user may see, in the template's format.

    Care flags and guardian details are filled only for classes whose sensitive data the user
    may see; when they may see none, those columns are left out altogether, so that importing
    the file later keeps what is recorded instead of clearing it.
    """
    classes = {k.id: k for k in acc.roster_classes()}
    flag_ids = {k.id for k in classes.values() if acc.can_see_care_flags(k)}
    contact_ids = {k.id for k in classes.values() if acc.can_see_guardian_contact(k)}
    skip = set()
    if not flag_ids:
        skip.add(CARE_FLAGS)
    if not contact_ids:
        skip |= {GUARDIAN, GUARDIAN_MOBILE}
    columns = [c for c in STUDENT_COLUMNS if c.header not in skip]

    flags: dict[int, list[str]] = defaultdict(list)
    if flag_ids:
        qs = StudentCareFlag.objects.filter(
            student__school=acc.school,
            student__active=True,
            student__school_class_id__in=flag_ids,
        ).values_list("student_id", "flag")
        for student_id, flag in qs.iterator(chunk_size=BATCH):
            flags[student_id].append(flag)

    students = (
        Student.objects.filter(school=acc.school, active=True, school_class_id__in=list(classes))
        .order_by("school_class__grade", "school_class__number", "student_no")
        .values_list(
            "id",
            "name",
            "gender",
            "student_no",
            "registry_no",
            "school_class_id",
            "birth_date",
            "guardian_name",
            "guardian_mobile",
        )
    )

    def rows() -> Iterator[list]:
        for sid, name, gender, no, registry, class_id, born, g_name, g_mobile in students.iterator(
            chunk_size=BATCH
        ):
            klass = classes[class_id]
            cells = {
                NAME: name,
                GENDER: GENDER_LABELS.get(gender, gender),
                STUDENT_NO: no,
                REGISTRY_NO: registry,
                GRADE: GRADE_NAMES[klass.grade],
                CLASS: f"{klass.number}班",
                BIRTH_DATE: born,
                CARE_FLAGS: "、".join(
                    _FLAG_NAMES[f] for f in sorted(flags.get(sid, ()), key=_FLAG_ORDER.get)
                )
                if class_id in flag_ids
                else "",
                GUARDIAN: g_name if class_id in contact_ids else "",
                GUARDIAN_MOBILE: g_mobile if class_id in contact_ids else "",
            }
            yield [cells[c.header] for c in columns]

    return _workbook("学生名册", columns, rows(), _student_notes())


def export_staff(*, acc: SchoolAccess) -> bytes:
    """The school's active staff with their roles, in the template's format.

    It holds every colleague's mobile: the caller checks Can.MANAGE_STAFF first.
    """
    roles = StaffRole.objects.select_related("school_class", "subject")
    staff = (
        Staff.objects.filter(school=acc.school, active=True)
        .select_related("user")
        .prefetch_related(models.Prefetch("roles", queryset=roles))
        .order_by("staff_no")
    )

    def rows() -> Iterator[list]:
        for person in staff:
            held = sorted({r.role for r in person.roles.all()}, key=_ROLE_ORDER.get)
            grades = sorted({r.grade for r in person.roles.all() if r.role == Role.GRADE_LEADER})
            heads = sorted(
                (r.school_class.grade, r.school_class.number)
                for r in person.roles.all()
                if r.role == Role.HEAD_TEACHER
            )
            taught = sorted(
                (r.school_class.grade, r.school_class.number, r.subject.id, r.subject.name)
                for r in person.roles.all()
                if r.role == Role.SUBJECT_TEACHER
            )
            yield [
                person.name,
                person.staff_no,
                person.user.mobile or "",
                "、".join(_ROLE_NAMES[r] for r in held),
                "、".join(GRADE_NAMES[g] for g in grades),
                "、".join(_file_class_name(g, n) for g, n in heads),
                "；".join(f"{_file_class_name(g, n)}:{name}" for g, n, _id, name in taught),
            ]

    return _workbook("教师名单", STAFF_COLUMNS, rows(), _staff_notes())


# Reading -----------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as text: numbers without '.0', dates as 2015-09-01, surrounding spaces removed."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


@dataclass
class _Sheet:
    index: dict[str, int]  # header → column position
    rows: list[tuple[int, tuple]]  # (Excel row number, cell values)


def _file_error(errors: list[RowError], code: str, message: str, column: str = "") -> None:
    errors.append(RowError(row=None, column=column, message=message, code=code))


def _read(
    file: Source,
    columns: tuple[Column, ...],
    errors: list[RowError],
    progress: Progress | None,
) -> _Sheet | None:
    """The first sheet's header and non-blank rows, or None after recording a file error."""
    try:
        if hasattr(file, "seek"):
            file.seek(0)
        wb = xlsx.Reader(file)
    except Exception:  # any failure to open it means it is not a usable .xlsx
        log.info("roster file rejected", exc_info=True)
        _file_error(
            errors,
            "not_xlsx",
            _("This is not an Excel .xlsx file. Save it as .xlsx (Excel 2007 or later) and retry."),
        )
        return None
    try:
        if not wb.sheets:
            _file_error(errors, "empty", _("The file has no data rows."))
            return None
        raw: list[tuple[int, tuple]] = []
        for number, values in wb.rows(wb.sheets[0]):
            if any(v is not None and v != "" and _text(v) for v in values):
                raw.append((number, values))
                if len(raw) > MAX_ROWS + HEADER_SCAN_ROWS:
                    _file_error(
                        errors,
                        "too_many_rows",
                        _("More than %(max)d rows: split the file.") % {"max": MAX_ROWS},
                    )
                    return None
                if progress and len(raw) % 10000 == 0 and wb.size:
                    progress(min(number, wb.size), wb.size, "read")
    except Exception:
        log.info("roster file unreadable", exc_info=True)
        _file_error(errors, "unreadable", _("The file is damaged and cannot be read."))
        return None
    finally:
        wb.close()

    lookup = {_norm_header(name): c.header for c in columns for name in (c.header, *c.synonyms)}
    best, best_count = None, 0
    for pos, (_number, values) in enumerate(raw[:HEADER_SCAN_ROWS]):
        count = len({lookup[h] for v in values if (h := _norm_header(v)) in lookup})
        if count > best_count:
            best, best_count = pos, count
    if best is None:
        if not raw:
            _file_error(errors, "empty", _("The file has no data rows."))
            return None
        best = 0
    index: dict[str, int] = {}
    for j, value in enumerate(raw[best][1]):
        header = lookup.get(_norm_header(value))
        if header is None:
            continue  # extra columns (序号, 备注 …) are ignored
        if header in index:
            _file_error(
                errors,
                "duplicate_column",
                _("Column %(column)s appears more than once.") % {"column": header},
                header,
            )
        index[header] = j
    for col in columns:
        if (col.required or col.must_exist) and col.header not in index:
            _file_error(
                errors,
                "missing_column",
                _("Required column %(column)s is missing.") % {"column": col.header},
                col.header,
            )
    rows = raw[best + 1 :]
    if not rows and not errors:
        _file_error(errors, "empty", _("The file has no data rows."))
    if errors:
        return None
    if progress:
        progress(len(rows), len(rows), "read")
    return _Sheet(index=index, rows=rows)


class _Row:
    """One data row: its cells by header, and where its errors go."""

    __slots__ = ("index", "number", "values", "errors", "failed")

    def __init__(self, sheet: _Sheet, number: int, values: tuple, errors: list[RowError]):
        self.index, self.number, self.values, self.errors = sheet.index, number, values, errors
        self.failed = False

    def has(self, header: str) -> bool:
        return header in self.index

    def raw(self, header: str) -> Any:
        j = self.index.get(header)
        return self.values[j] if j is not None and j < len(self.values) else None

    def text(self, header: str, *, limit: int | None = None, required: bool = False) -> str:
        j = self.index.get(header)
        value = _text(self.values[j]) if j is not None and j < len(self.values) else ""
        if required and not value:
            self.fail(header, "required", _("This cell must be filled in."))
        elif limit is not None and len(value) > limit:
            self.fail(header, "too_long", _("Longer than %(max)d characters.") % {"max": limit})
        return value

    def fail(self, header: str, code: str, message: str) -> None:
        self.failed = True
        self.errors.append(RowError(row=self.number, column=header, message=message, code=code))


def _limit(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


def _mobile(row: _Row, header: str, *, required: bool) -> str:
    value = row.text(header, required=required)
    if value and not _MOBILE.search(value):
        row.fail(
            header,
            "bad_mobile",
            _("“%(value)s” is not an 11-digit mainland mobile number.") % {"value": value},
        )
    return value


def _birth_date(row: _Row, today: date) -> date | None:
    value = row.raw(BIRTH_DATE)
    if isinstance(value, datetime):
        born: date | None = value.date()
    elif isinstance(value, date):
        born = value
    else:
        text = _text(value)
        if not text:
            return None
        born = None
        m = _DATE_TEXT.fullmatch(text)
        if m:
            y, mo, d = (int(x) for x in (m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)))
            try:
                born = date(y, mo, d)
            except ValueError:
                born = None
    if born is None or born.year < 1900 or born > today:
        row.fail(
            BIRTH_DATE,
            "bad_date",
            _("Cannot read the date “%(value)s”; write it as 2017-09-01.")
            % {"value": _text(value)},
        )
        return None
    return born


def _split(text: str, sep: re.Pattern = _LIST_SEP) -> list[str]:
    return [part.strip() for part in sep.split(text) if part.strip()]


def _grade(row: _Row, header: str, text: str, school: School) -> int | None:
    grade = parse_grade(text)
    if grade is None:
        row.fail(header, "bad_grade", _("Cannot read the grade “%(value)s”.") % {"value": text})
    elif grade not in school.grade_range:
        row.fail(
            header,
            "grade_outside_stage",
            _("Grade %(grade)s is not taught at this school.") % {"grade": text},
        )
        return None
    return grade


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ticker(progress: Progress | None, total: int, phase: str) -> Callable[[int], None]:
    """Calls progress about twenty times over a phase (so a CLI can print every 10%)."""
    step = max(1, min(1000, total // 20))

    def tick(done: int) -> None:
        if progress and (done % step == 0 or done == total):
            progress(done, total, phase)

    return tick


# Students ----------------------------------------------------------------------------------

_STUDENT_FIELDS = (
    "name",
    "gender",
    "registry_no",
    "school_class_id",
    "birth_date",
    "guardian_name",
    "guardian_mobile",
    "active",
)


_NEW_STUDENT = {"registry_no": "", "birth_date": None, "guardian_name": "", "guardian_mobile": ""}


def _insert(model: type[models.Model], fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert plain rows: with COPY on PostgreSQL, else with one prepared statement.

    What bulk_create does, without building a model instance per row and, on PostgreSQL,
    without a statement per row: several times faster on the large first import of a county's
    pupils.  Like bulk_create, it sends no signals.  The values must already have their
    fields' Python types (str, int, bool, date, None): COPY sends them as psycopg adapts
    them, which is what the ORM stores; the statement elsewhere takes each field's
    get_db_prep_save (SQLite stores dates as text).
    """
    columns = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c.column) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        prepared = [
            tuple(c.get_db_prep_save(v, connection) for c, v in zip(columns, row, strict=True))
            for row in rows
        ]
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", prepared)


def _update(model: type[models.Model], fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Update rows by primary key (each row: the fields' values, then the key).

    What bulk_update does, without its CASE WHEN per row, which grows with the batch and
    made a whole-school promotion (every pupil's class changes) take minutes.
    """
    columns = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(model._meta.db_table),
        ", ".join(f"{quote(c.column)} = %s" for c in columns),
        quote(model._meta.pk.column),
    )
    prepared = [
        (*(c.get_db_prep_save(v, connection) for c, v in zip(columns, row, strict=False)), row[-1])
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


@dataclass
class _StudentRow:
    number: int
    student_no: str
    values: dict[str, Any]  # only the fields whose columns the file has
    flags: set[str] | None  # None: the file has no care-flag column


def _check_students(
    sheet: _Sheet, school: School, errors: list[RowError], progress: Progress | None
) -> list[_StudentRow]:
    classes = {
        (g, n): pk
        for pk, g, n in SchoolClass.objects.filter(school=school).values_list(
            "id", "grade", "number"
        )
    }
    limits = {
        f: _limit(Student, f)
        for f in ("name", "student_no", "registry_no", "guardian_name", "guardian_mobile")
    }
    found: dict[tuple[str, str], int] = {}  # (grade cell, class cell) → class id
    today = timezone.localdate()
    seen: dict[str, int] = {}
    parsed = []
    tick = _ticker(progress, len(sheet.rows), "check")
    for done, (number, values) in enumerate(sheet.rows, start=1):
        row = _Row(sheet, number, values, errors)
        out: dict[str, Any] = {"active": True}
        out["name"] = row.text(NAME, limit=limits["name"], required=True)
        no = row.text(STUDENT_NO, limit=limits["student_no"], required=True)
        if no in seen:
            row.fail(
                STUDENT_NO,
                "duplicate_in_file",
                _("Student number %(value)s is already used in row %(row)d.")
                % {"value": no, "row": seen[no]},
            )
        elif no:
            seen[no] = number
        gender = row.text(GENDER, required=True)
        if gender:
            out["gender"] = _GENDER_ALIASES.get(gender.upper())
            if out["gender"] is None:
                row.fail(
                    GENDER,
                    "bad_gender",
                    _("Gender must be %(male)s or %(female)s.") % {"male": "男", "female": "女"},
                )
        grade_text = row.text(GRADE, required=True)
        class_text = row.text(CLASS, required=True)
        class_id = found.get((grade_text, class_text))
        if class_id is not None:  # the same two cells as an earlier, good row
            out["school_class_id"] = class_id
        else:
            grade = _grade(row, GRADE, grade_text, school) if grade_text else None
            number_ = parse_class_number(class_text) if class_text else None
            if class_text and number_ is None:
                row.fail(
                    CLASS,
                    "bad_class",
                    _("Cannot read the class “%(value)s”.") % {"value": class_text},
                )
            if grade is not None and number_ is not None:
                out["school_class_id"] = classes.get((grade, number_))
                if out["school_class_id"] is None:
                    row.fail(
                        CLASS,
                        "unknown_class",
                        _("There is no class %(class)s at this school.")
                        % {"class": class_label(grade, number_)},
                    )
                else:
                    found[(grade_text, class_text)] = out["school_class_id"]
        if row.has(REGISTRY_NO):
            out["registry_no"] = row.text(REGISTRY_NO, limit=limits["registry_no"])
        if row.has(BIRTH_DATE):
            out["birth_date"] = _birth_date(row, today)
        if row.has(GUARDIAN):
            out["guardian_name"] = row.text(GUARDIAN, limit=limits["guardian_name"])
        if row.has(GUARDIAN_MOBILE):
            out["guardian_mobile"] = _mobile(row, GUARDIAN_MOBILE, required=False)
        flags = None
        if row.has(CARE_FLAGS):
            flags = set()
            for label in _split(row.text(CARE_FLAGS)):
                if label in CARE_FLAG_LABELS:
                    flags.add(CARE_FLAG_LABELS[label].value)
                else:
                    row.fail(
                        CARE_FLAGS,
                        "unknown_care_flag",
                        _("Unknown care flag “%(value)s”.") % {"value": label},
                    )
        if not row.failed:
            parsed.append(_StudentRow(number, no, out, flags))
        tick(done)
    return parsed


def import_students(
    *,
    school: School,
    file: Source,
    actor: User | None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check a 学生名册 whole; when it has no error, add and update pupils to match it."""
    return _import(
        "students",
        STUDENT_COLUMNS,
        _check_students,
        _save_students,
        school=school,
        file=file,
        actor=actor,
        progress=progress,
        conflict=_(
            "The roster was changed by someone else during the import; import the file again."
        ),
    )


def _import(kind, columns, check, save, *, school, file, actor, progress, conflict) -> ImportResult:
    """Read, check every row, and only when nothing is wrong write it all in one transaction."""
    result = ImportResult()
    sheet = _read(file, columns, result.errors, progress)
    if sheet is None:
        return result
    parsed = check(sheet, school, result.errors, progress)
    if result.errors:
        result.errors.sort(key=lambda e: e.row or 0)
        return result
    try:
        with transaction.atomic():
            save(school, parsed, result, progress)
            if result.created or result.updated:
                # Written in bulk, without post_save: tell who would have heard of each row.
                roster_imported.send(sender=School, school_id=school.id)
            services.audit(
                school=school,
                actor=actor,
                action="roster_imported",
                kind=kind,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
            )
    except IntegrityError:
        log.warning("%s import of %s hit a concurrent change", kind, school.code, exc_info=True)
        result.created = result.updated = result.unchanged = 0
        _file_error(result.errors, "conflict", conflict)
    return result


def _save_students(
    school: School, parsed: list[_StudentRow], result: ImportResult, progress: Progress | None
) -> None:
    existing = {
        row[1]: row
        for row in Student.objects.filter(school=school)
        .values_list("id", "student_no", *_STUDENT_FIELDS)
        .iterator(chunk_size=BATCH)
    }
    have_flags: dict[int, set[str]] = defaultdict(set)
    flag_rows = StudentCareFlag.objects.filter(student__school=school).values_list(
        "student_id", "flag"
    )
    for student_id, flag in flag_rows.iterator(chunk_size=BATCH):
        have_flags[student_id].add(flag)

    position = {name: i for i, name in enumerate(_STUDENT_FIELDS, start=2)}
    new: list[tuple] = []  # rows for _insert, in the order of insert_fields
    new_flags: dict[str, set[str]] = {}  # student number → flags of a new pupil
    changed: list[dict[str, Any]] = []  # all fields of each pupil that differs
    changed_fields: set[str] = set()
    add: list[tuple[int, str]] = []
    remove: dict[str, list[int]] = defaultdict(list)
    for item in parsed:
        current = existing.get(item.student_no)
        if current is None:
            values = _NEW_STUDENT | item.values
            new.append((school.id, item.student_no, *(values[n] for n in _STUDENT_FIELDS)))
            if item.flags:
                new_flags[item.student_no] = item.flags
            continue
        pk = current[0]
        differ = [n for n, v in item.values.items() if current[position[n]] != v]
        if item.flags is not None:
            have = have_flags.get(pk, set())
            if have != item.flags:
                add += [(pk, f) for f in item.flags - have]
                for f in have - item.flags:
                    remove[f].append(pk)
                differ.append("")  # counts as updated; no Student field to write
        if not differ:
            result.unchanged += 1
            continue
        if any(differ):
            changed_fields.update(n for n in differ if n)
            changed.append({"id": pk} | {n: current[i] for n, i in position.items()} | item.values)
        result.updated += 1

    total = len(new) + len(changed)
    tick = _ticker(progress, total, "save")
    done = 0
    for batch in _chunks(new):
        _insert(Student, ("school", "student_no", *_STUDENT_FIELDS), batch)
        done += len(batch)
        tick(done)
    if new_flags:
        ids = dict(Student.objects.filter(school=school).values_list("student_no", "id"))
        add += [(ids[no], f) for no, flags in new_flags.items() for f in flags]
    fields = tuple(sorted(changed_fields))
    for batch in _chunks(changed):
        _update(Student, fields, [(*(v[n] for n in fields), v["id"]) for v in batch])
        done += len(batch)
        tick(done)
    for flag, ids in remove.items():
        for batch in _chunks(ids, 500):
            StudentCareFlag.objects.filter(flag=flag, student_id__in=batch).delete()
    for batch in _chunks(add):
        _insert(StudentCareFlag, ("student", "flag"), batch)
    if total == 0:
        tick(0)
    result.created = len(new)
    if new or changed:  # raw writes send no post_save: renew the roster version as it would
        bump(ROSTER_VERSION)


# Staff -------------------------------------------------------------------------------------


RoleKey = tuple[str, int | None, int | None, int | None]  # role, grade, class id, subject id


@dataclass
class _StaffRow:
    number: int
    staff_no: str
    name: str
    mobile: str
    roles: set[RoleKey]


def _class_names(row: _Row, header: str, classes: dict[tuple[int, int], int]) -> list[int]:
    ids = []
    for part in _split(row.text(header)):
        ids.append(_class_id(row, header, part, classes))
    return [i for i in ids if i is not None]


def _class_id(row: _Row, header: str, text: str, classes: dict[tuple[int, int], int]) -> int | None:
    m = _CLASS_NAME.fullmatch(re.sub(r"\s+", "", text))
    grade = parse_grade(m.group("grade")) if m else None
    number = parse_class_number(m.group("number")) if m else None
    if grade is None or number is None:
        row.fail(header, "bad_class", _("Cannot read the class “%(value)s”.") % {"value": text})
        return None
    if (grade, number) not in classes:
        row.fail(
            header,
            "unknown_class",
            _("There is no class %(class)s at this school.")
            % {"class": class_label(grade, number)},
        )
        return None
    return classes[(grade, number)]


def _check_staff(
    sheet: _Sheet, school: School, errors: list[RowError], progress: Progress | None
) -> list[_StaffRow]:
    classes = {
        (g, n): pk
        for pk, g, n in SchoolClass.objects.filter(school=school).values_list(
            "id", "grade", "number"
        )
    }
    subjects = dict(Subject.objects.filter(school=school).values_list("name", "id"))
    staff = {s.staff_no: s for s in Staff.objects.filter(school=school).select_related("user")}
    heads = {
        r.school_class_id: r.staff
        for r in StaffRole.objects.filter(
            staff__school=school, role=Role.HEAD_TEACHER
        ).select_related("staff")
    }
    limits = {"name": _limit(Staff, "name"), "staff_no": _limit(Staff, "staff_no")}

    rows: list[tuple[_Row, _StaffRow]] = []
    seen_no: dict[str, int] = {}
    seen_mobile: dict[str, int] = {}
    tick = _ticker(progress, len(sheet.rows), "check")
    for done, (number, values) in enumerate(sheet.rows, start=1):
        row = _Row(sheet, number, values, errors)
        name = row.text(NAME, limit=limits["name"], required=True)
        no = row.text(STAFF_NO, limit=limits["staff_no"], required=True)
        if no and not _STAFF_NO.fullmatch(no):
            row.fail(
                STAFF_NO,
                "bad_staff_no",
                _("Use only letters, digits and . @ + - _ in staff numbers."),
            )
        elif no in seen_no:
            row.fail(
                STAFF_NO,
                "duplicate_in_file",
                _("Staff number %(value)s is already used in row %(row)d.")
                % {"value": no, "row": seen_no[no]},
            )
        elif no:
            seen_no[no] = number
        # Required, except for someone already on the staff whose account has no mobile.
        current = staff.get(no)
        mobile = _mobile(row, MOBILE, required=current is None or bool(current.user.mobile))
        if mobile in seen_mobile:
            row.fail(
                MOBILE,
                "duplicate_in_file",
                _("Mobile %(value)s is already used in row %(row)d.")
                % {"value": mobile, "row": seen_mobile[mobile]},
            )
        elif mobile:
            seen_mobile[mobile] = number

        held: set[str] = set()
        for label in _split(row.text(ROLES)):
            if label in ROLE_LABELS:
                held.add(ROLE_LABELS[label].value)
            else:
                row.fail(ROLES, "unknown_role", _("Unknown role “%(value)s”.") % {"value": label})
        roles: set[RoleKey] = {
            (r, None, None, None)
            for r in held
            if r not in (Role.GRADE_LEADER, Role.HEAD_TEACHER, Role.SUBJECT_TEACHER)
        }
        for header, role in (
            (LED_GRADES, Role.GRADE_LEADER),
            (HEAD_CLASS, Role.HEAD_TEACHER),
            (TEACHING, Role.SUBJECT_TEACHER),
        ):
            filled = bool(row.text(header))
            if filled and role not in held:
                row.fail(
                    header,
                    "not_for_role",
                    _("Only for the role %(role)s: add the role or clear this cell.")
                    % {"role": _ROLE_NAMES[role]},
                )
            elif role in held and not filled:
                row.fail(
                    header,
                    "needed_for_role",
                    _("The role %(role)s needs this cell.") % {"role": _ROLE_NAMES[role]},
                )
        if Role.GRADE_LEADER in held:
            for part in _split(row.text(LED_GRADES)):
                grade = _grade(row, LED_GRADES, part, school)
                if grade is not None:
                    roles.add((Role.GRADE_LEADER, grade, None, None))
        if Role.HEAD_TEACHER in held:
            for class_id in _class_names(row, HEAD_CLASS, classes):
                roles.add((Role.HEAD_TEACHER, None, class_id, None))
        if Role.SUBJECT_TEACHER in held:
            for pair in _split(row.text(TEACHING), _PAIR_SEP):
                parts = re.split(r"[:：]", pair)
                if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
                    row.fail(
                        TEACHING,
                        "bad_teaching",
                        _("Cannot read “%(value)s”; write class and subject as %(example)s.")
                        % {"value": pair, "example": "三年级(1)班:语文"},
                    )
                    continue
                class_id = _class_id(row, TEACHING, parts[0].strip(), classes)
                subject_id = subjects.get(parts[1].strip())
                if subject_id is None:
                    row.fail(
                        TEACHING,
                        "unknown_subject",
                        _("The school has no subject “%(value)s”.") % {"value": parts[1].strip()},
                    )
                if class_id is not None and subject_id is not None:
                    roles.add((Role.SUBJECT_TEACHER, None, class_id, subject_id))
        rows.append((row, _StaffRow(number, no, name, mobile, roles)))
        tick(done)

    # Checks across rows and against other accounts.
    class_names = {pk: class_label(g, n) for (g, n), pk in classes.items()}
    in_file = {staff[item.staff_no].id for _r, item in rows if item.staff_no in staff}
    claimed: dict[int, int] = {}
    for row, item in rows:
        for role, _g, class_id, _s in sorted(item.roles, key=str):
            if role != Role.HEAD_TEACHER or class_id is None:
                continue
            holder = heads.get(class_id)
            label = class_names[class_id]
            if class_id in claimed:
                row.fail(
                    HEAD_CLASS,
                    "duplicate_in_file",
                    _("%(class)s is already given a head teacher in row %(row)d.")
                    % {"class": label, "row": claimed[class_id]},
                )
            elif holder is not None and holder.id not in in_file:
                row.fail(
                    HEAD_CLASS,
                    "class_has_head_teacher",
                    _("%(class)s already has a head teacher, %(name)s, who is not in this file.")
                    % {"class": label, "name": holder.name},
                )
            claimed.setdefault(class_id, row.number)
    owners: dict[str, tuple[int, str]] = {}
    mobiles = [item.mobile for _r, item in rows if item.mobile]
    for batch in _chunks(mobiles, 500):
        for mobile, uid, username in User.objects.filter(mobile__in=batch).values_list(
            "mobile", "id", "username"
        ):
            owners[mobile] = (uid, username)
    for row, item in rows:
        owner = owners.get(item.mobile)
        if owner is None:
            continue
        current = staff.get(item.staff_no)
        own = (
            current.user_id == owner[0] if current else owner[1] == f"{school.code}-{item.staff_no}"
        )
        if not own:
            row.fail(MOBILE, "mobile_taken", _("This mobile number belongs to another account."))
    return [item for row, item in rows if not row.failed]


def import_staff(
    *,
    school: School,
    file: Source,
    actor: User | None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check a 教师名单 whole; when it has no error, add and update staff and their roles."""
    return _import(
        "staff",
        STAFF_COLUMNS,
        _check_staff,
        _save_staff,
        school=school,
        file=file,
        actor=actor,
        progress=progress,
        conflict=_(
            "The staff list was changed by someone else during the import; import it again."
        ),
    )


def _save_staff(
    school: School, parsed: list[_StaffRow], result: ImportResult, progress: Progress | None
) -> None:
    staff = {s.staff_no: s for s in Staff.objects.filter(school=school).select_related("user")}
    held: dict[int, dict[RoleKey, int]] = defaultdict(dict)
    for pk, staff_id, role, grade, class_id, subject_id in StaffRole.objects.filter(
        staff__school=school
    ).values_list("id", "staff_id", "role", "grade", "school_class_id", "subject_id"):
        held[staff_id][(role, grade, class_id, subject_id)] = pk

    tick = _ticker(progress, len(parsed), "save")
    new_staff: list[Staff] = []
    staff_changes: list[Staff] = []
    user_changes: list[User] = []
    remove: list[int] = []
    add: list[tuple[Staff, RoleKey]] = []
    for done, item in enumerate(parsed, start=1):
        person = staff.get(item.staff_no)
        differs = False
        if person is None:
            user = services.staff_user(
                school=school, staff_no=item.staff_no, name=item.name, mobile=item.mobile
            )
            person = Staff(school=school, user=user, staff_no=item.staff_no, name=item.name)
            new_staff.append(person)
            have: dict[RoleKey, int] = {}
        else:
            user = person.user
            have = held.get(person.id, {})
            if person.name != item.name or not person.active:
                person.name, person.active = item.name, True
                staff_changes.append(person)
                differs = True
        if user.mobile != (item.mobile or None):  # the name on the account is the user's own
            user.mobile = item.mobile or None
            user_changes.append(user)
            differs = True
        remove += [pk for key, pk in have.items() if key not in item.roles]
        add += [(person, key) for key in item.roles if key not in have]
        if set(have) != item.roles:
            differs = True
        if person.pk is not None:
            if differs:
                result.updated += 1
            else:
                result.unchanged += 1
        tick(done)

    User.objects.bulk_update(user_changes, ["mobile"], batch_size=BATCH)
    if user_changes:  # bulk_update sends no post_save: renew the versions as it would
        bump(*(user_version(u.pk) for u in user_changes))
    Staff.objects.bulk_create(new_staff, batch_size=BATCH)
    Staff.objects.bulk_update(staff_changes, ["name", "active"], batch_size=BATCH)
    for batch in _chunks(remove, 500):
        StaffRole.objects.filter(id__in=batch).delete()
    StaffRole.objects.bulk_create(
        [
            StaffRole(staff=person, role=role, grade=grade, school_class_id=cid, subject_id=sid)
            for person, (role, grade, cid, sid) in add
        ],
        batch_size=BATCH,
    )
    result.created = len(new_staff)
