"""Regions, schools, terms, classes, people and their roles (ORG-01 … ORG-06)."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

mobile_validator = RegexValidator(r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number."))


def hash_secret(value: str) -> str:
    """One-way hash for codes and tokens we must recognise but never show again."""
    return hashlib.sha256(value.encode()).hexdigest()


class User(AbstractUser):
    """Anyone who logs in: staff, bureau officers, inspectors, parents."""

    display_name = models.CharField(_("name"), max_length=50, blank=True)
    mobile = models.CharField(
        _("mobile"),
        max_length=11,
        null=True,
        blank=True,
        unique=True,
        validators=[mobile_validator],
    )

    def __str__(self) -> str:
        return self.display_name or self.username


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County / district")

    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(_("code"), max_length=12, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="province", parent__isnull=True)
                | Q(~Q(level="province"), parent__isnull=False),
                name="region_only_provinces_are_roots",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors_and_self(self) -> list["Region"]:
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class School(models.Model):
    class Stage(models.TextChoices):
        PRIMARY = "primary", _("Primary school (grades 1–6)")
        JUNIOR = "junior", _("Junior secondary (grades 7–9)")
        NINE_YEAR = "nine_year", _("Nine-year school (grades 1–9)")
        SENIOR = "senior", _("Senior secondary (grades 10–12)")

    GRADE_RANGES = {
        Stage.PRIMARY: range(1, 7),
        Stage.JUNIOR: range(7, 10),
        Stage.NINE_YEAR: range(1, 10),
        Stage.SENIOR: range(10, 13),
    }

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("school code"), max_length=20, unique=True)
    county = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="schools",
        limit_choices_to={"level": Region.Level.COUNTY},
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def grade_range(self) -> range:
        return self.GRADE_RANGES[self.Stage(self.stage)]


class Term(models.Model):
    """A semester (学期) with its teaching dates; vacations are separate rows."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField(_("name"), max_length=50)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))

    class Meta:
        ordering = ["school", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="term_end_after_start"
            ),
            models.UniqueConstraint(fields=["school", "name"], name="term_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Vacation(models.Model):
    """Winter and summer vacations and local breaks (春假/秋假) of a school."""

    class Kind(models.TextChoices):
        WINTER = "winter", _("Winter vacation")
        SUMMER = "summer", _("Summer vacation")
        OTHER = "other", _("Other break")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="vacations")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))

    class Meta:
        ordering = ["school", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="vacation_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SchoolClass(models.Model):
    """A class (班级): grade number and class number within a school."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classes")
    grade = models.PositiveSmallIntegerField(
        _("grade"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    number = models.PositiveSmallIntegerField(_("class number"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["school", "grade", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "grade", "number"], name="class_unique"),
            models.CheckConstraint(
                condition=Q(grade__gte=1, grade__lte=12), name="class_grade_1_12"
            ),
        ]

    def __str__(self) -> str:
        from .grades import class_label

        return class_label(self.grade, self.number)


class Subject(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="subjects")
    name = models.CharField(_("name"), max_length=30)

    class Meta:
        ordering = ["school", "id"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="subject_unique")]

    def __str__(self) -> str:
        return self.name


class Venue(models.Model):
    class Kind(models.TextChoices):
        CLASSROOM = "classroom", _("Classroom")
        FIELD = "field", _("Sports field")
        GYM = "gym", _("Gymnasium")
        LAB = "lab", _("Laboratory")
        LIBRARY = "library", _("Library")
        HALL = "hall", _("Hall")
        OTHER = "other", _("Other")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="venues")
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    capacity = models.PositiveIntegerField(_("capacity"))

    class Meta:
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="venue_unique"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="venue_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """A member of a school's staff (教职工), with the account they log in with."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_posts")
    staff_no = models.CharField(_("staff number"), max_length=30)
    name = models.CharField(_("name"), max_length=50)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["school", "staff_no"]
        constraints = [
            models.UniqueConstraint(fields=["school", "staff_no"], name="staff_unique_no"),
            models.UniqueConstraint(fields=["school", "user"], name="staff_unique_user"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """School roles (ORG-03).  A person may hold several."""

    PRINCIPAL = "principal", _("Principal / school admin")
    ACADEMIC = "academic", _("Academic office")
    GRADE_LEADER = "grade_leader", _("Grade leader")
    HEAD_TEACHER = "head_teacher", _("Head teacher")
    SUBJECT_TEACHER = "subject_teacher", _("Subject teacher")
    AFTERSCHOOL = "afterschool", _("After-school staff")
    DUTY_LEADER = "duty_leader", _("Duty leader")


class StaffRole(models.Model):
    """One role of one staff member; grade, class and subject narrow it where the role needs."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, null=True, blank=True, related_name="staff_roles"
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, null=True, blank=True, related_name="staff_roles"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="grade_leader") | Q(grade__isnull=False),
                name="staffrole_grade_leader_has_grade",
            ),
            models.CheckConstraint(
                condition=~Q(role="head_teacher") | Q(school_class__isnull=False),
                name="staffrole_head_teacher_has_class",
            ),
            models.CheckConstraint(
                condition=~Q(role="subject_teacher")
                | Q(school_class__isnull=False, subject__isnull=False),
                name="staffrole_subject_teacher_has_class_and_subject",
            ),
            # One head teacher per class.
            models.UniqueConstraint(
                fields=["school_class"],
                condition=Q(role="head_teacher"),
                name="staffrole_one_head_teacher_per_class",
            ),
            # The same role twice is one role (NULLs folded so SQLite enforces it too).
            models.UniqueConstraint(
                "staff",
                "role",
                Coalesce("grade", 0),
                Coalesce("school_class", 0),
                Coalesce("subject", 0),
                name="staffrole_unique",
            ),
        ]

    def __str__(self) -> str:
        parts = [str(self.get_role_display())]
        if self.school_class_id:
            parts.append(str(self.school_class))
        if self.subject_id:
            parts.append(str(self.subject))
        if self.grade:
            from .grades import grade_label

            parts.append(str(grade_label(self.grade)))
        return " ".join(parts)


class RegionRole(models.Model):
    """A bureau officer or inspector (督学) of a region; they see schools below it."""

    class Kind(models.TextChoices):
        OFFICER = "officer", _("Bureau officer")
        INSPECTOR = "inspector", _("Inspector")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="region_roles")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="officials")
    kind = models.CharField(_("role"), max_length=10, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "region", "kind"], name="regionrole_unique")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.get_kind_display()}"


class Student(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="students")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="students")
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    student_no = models.CharField(_("student number"), max_length=30)
    registry_no = models.CharField(_("national registry number"), max_length=30, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    guardian_name = models.CharField(_("guardian name"), max_length=50, blank=True)
    guardian_mobile = models.CharField(
        _("guardian mobile"), max_length=11, blank=True, validators=[mobile_validator]
    )
    active = models.BooleanField(_("enrolled"), default=True)

    class Meta:
        ordering = ["school_class", "student_no"]
        constraints = [
            models.UniqueConstraint(fields=["school", "student_no"], name="student_unique_no"),
        ]
        indexes = [models.Index(fields=["school_class", "active"])]

    def __str__(self) -> str:
        return self.name


class CareFlag(models.TextChoices):
    """Sensitive care categories (ORG-04); shown only to staff who need them."""

    LEFT_BEHIND = "left_behind", _("Left-behind child")
    IN_DIFFICULTY = "in_difficulty", _("Child in difficulty")
    MIGRANT = "migrant", _("Migrant worker's child")
    RETURNED = "returned", _("Returned child")
    DISABILITY = "disability", _("Disability")
    LOW_INCOME = "low_income", _("Low-income family")
    LEARNING_DIFFICULTY = "learning_difficulty", _("Learning difficulty")


class StudentCareFlag(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="care_flags")
    flag = models.CharField(_("care flag"), max_length=20, choices=CareFlag.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "flag"], name="careflag_unique")]

    def __str__(self) -> str:
        return str(self.get_flag_display())


class Guardianship(models.Model):
    """A parent's account linked to a child: one parent, several children; two parents, one child."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="guardianships")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardianships")
    relation = models.CharField(_("relation"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "student"], name="guardianship_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.student}"


class ParentInvite(models.Model):
    """A one-time code a school issues for a child; a parent redeems it to link an account.

    Only the hash is stored: the plain code is shown once, on the printed slip.
    """

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="invites")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.student} ({self.issued_at:%Y-%m-%d})"


class ApiToken(models.Model):
    """Bearer token for integrations (POST /api/v1/auth/token).  Only the hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} {self.name}"


class AuditEvent(models.Model):
    """Who did what to a school's people data (imports, password resets, codes issued)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
