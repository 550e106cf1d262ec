"""After-school programmes, their weekly slots, preferences, allocation runs and enrolments
(AS-01 … AS-07, AS-10, AS-13, AS-14)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shuangjian.org.models import Region, School, Staff, Student, Term, Venue, mobile_validator
from shuangjian.rules import afterschool as as_rules


class Category(models.TextChoices):
    """AS-02 content; AS-14 summer care and junior evening self-study."""

    HOMEWORK = "homework", _("Homework tutoring")
    SPORTS = "sports", _("Sports")
    ARTS = "arts", _("Arts")
    SCIENCE = "science", _("Science")
    READING = "reading", _("Reading")
    LABOUR = "labour", _("Labour")
    CLUB = "club", _("Club")
    SUBJECT_EXTENSION = "subject_extension", _("Subject extension (junior)")
    BASIC_CLASS = "basic_class", _("Basic class (junior)")
    SUMMER_CARE = "summer_care", _("Summer care")
    EVENING_STUDY = "evening_study", _("Evening self-study (junior)")


# Junior secondary only (AS-02, AS-14): every target grade must be 7 or above.
JUNIOR_ONLY = frozenset({Category.SUBJECT_EXTENSION, Category.BASIC_CLASS, Category.EVENING_STUDY})
JUNIOR_FROM = 7


class OutsideStaff(models.Model):
    """AS-07: a person from outside the school's teaching staff (a retired teacher, a vetted
    professional, a volunteer) admitted through the school's approval with qualification records.
    They may teach a programme alongside its lead teacher while approved and valid."""

    class Kind(models.TextChoices):
        RETIRED_TEACHER = "retired_teacher", _("Retired teacher")
        HERITAGE_BEARER = "heritage_bearer", _("Intangible-heritage bearer")
        CRAFTSMAN = "craftsman", _("Craftsman")
        ARTIST = "artist", _("Artist")
        COACH = "coach", _("Coach")
        SCIENTIST = "scientist", _("Scientist")
        VOLUNTEER = "volunteer", _("Volunteer")
        PARENT_VOLUNTEER = "parent_volunteer", _("Parent volunteer")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="outside_staff")
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    mobile = models.CharField(_("mobile"), max_length=11, validators=[mobile_validator])
    qualification = models.TextField(_("qualification"), max_length=1000)
    background_check_confirmed = models.BooleanField(_("background check confirmed"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_on = models.DateField(_("background check confirmed on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.APPLIED
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["school", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="outsidestaff_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(qualification=""), name="outsidestaff_has_qualification"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def is_valid_on(self, day) -> bool:
        """Approved and not yet expired on the given day."""
        return self.status == self.Status.APPROVED and self.valid_until >= day


class Programme(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="programmes")
    # RESTRICT: kept while programmes use them, but they go with their school as a whole.
    term = models.ForeignKey(Term, on_delete=models.RESTRICT, related_name="programmes")
    name = models.CharField(_("name"), max_length=60)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    grade_from = models.PositiveSmallIntegerField(_("from grade"))
    grade_to = models.PositiveSmallIntegerField(_("to grade"))
    capacity = models.PositiveIntegerField(_("capacity"))
    venue = models.ForeignKey(Venue, on_delete=models.RESTRICT, related_name="programmes")
    lead = models.ForeignKey(Staff, on_delete=models.RESTRICT, related_name="programmes")
    assistants = models.ManyToManyField(
        Staff, blank=True, related_name="assisted_programmes", verbose_name=_("assistant staff")
    )
    outside_staff = models.ForeignKey(
        OutsideStaff,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="programmes",
        verbose_name=_("outside staff"),
    )
    fee = models.DecimalField(_("fee per term (yuan)"), max_digits=8, decimal_places=2, default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["school", "term", "name"]
        constraints = [
            models.UniqueConstraint(fields=["term", "name"], name="programme_unique_name"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="programme_capacity_positive"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="programme_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(grade_from__gte=1, grade_to__lte=12, grade_from__lte=F("grade_to")),
                name="programme_grades_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(category__in=sorted(JUNIOR_ONLY)) | Q(grade_from__gte=JUNIOR_FROM),
                name="programme_junior_only_categories",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def grades(self) -> range:
        return range(self.grade_from, self.grade_to + 1)


WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


class ProgrammeSlot(models.Model):
    """One weekly session: weekday 0 (Monday) … 6 (Sunday), start and end time."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField(_("weekday"))
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="slot_weekday_0_6"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday_label} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def weekday_label(self) -> str:
        return str(WEEKDAYS[self.weekday])


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ALLOCATED = "allocated", _("Has a place")
        WAITLISTED = "waitlisted", _("Waiting list")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        ALLOCATION = "allocation", _("Allocation")
        JOIN = "join", _("Joined a free place")
        PROMOTION = "promotion", _("From the waiting list")

    ACTIVE = (Status.ALLOCATED, Status.WAITLISTED)

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments")
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="afterschool_enrolments"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # Order on the waiting list (1 first); null unless waitlisted.
    position = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme", "status", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "student"],
                condition=Q(status__in=["allocated", "waitlisted"]),
                name="enrolment_one_active_per_programme",
            ),
            models.CheckConstraint(
                condition=Q(status="waitlisted", position__isnull=False)
                | (~Q(status="waitlisted") & Q(position__isnull=True)),
                name="enrolment_position_iff_waitlisted",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return f"{self.student} → {self.programme} ({self.status})"


class Preference(models.Model):
    """A parent's ranked choices for one child in one term (AS-06): programme ids, best first."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="afterschool_preferences"
    )
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+")
    choices = models.JSONField(default=list)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "term"], name="preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.term}"


class AllocationRun(models.Model):
    """One run of the allocation (AS-04, AS-06): kept so it can be previewed, then published."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+")
    seed = models.CharField(_("seed"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    welfare = models.IntegerField(default=0)
    stats = models.JSONField(default=dict)
    # Per pupil: student_id, programme_id, rank, outcome, priority, missed, ignored, explanation.
    results = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["term"], condition=Q(published=True), name="allocationrun_one_published"
            )
        ]

    def __str__(self) -> str:
        return f"{self.term} #{self.id}"


class SchoolAfterschoolSettings(models.Model):
    """AS-13: the supervision contact published with the programme."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="+")
    hotline = models.CharField(_("supervision hotline"), max_length=30, blank=True)
    mailbox = models.CharField(_("supervision mailbox"), max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.school}"


# -- Voluntary application (AS-03, AS-04) ------------------------------------------------------


class Application(models.Model):
    """A parent's voluntary application for one child and term: class review (班级初审), school
    approval (学校核准), service agreement, then the posted list.  No proof documents exist."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        CLASS_REVIEWED = "class_reviewed", _("Reviewed by the class")
        APPROVED = "approved", _("Approved by the school")
        AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
        RETURNED = "returned", _("Returned")
        DECLINED = "declined", _("Declined")

    # On the posted list of participants (name and class only).
    LISTED = (Status.APPROVED, Status.AGREEMENT_SIGNED)

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="afterschool_applications"
    )
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+")
    wants_homework_tutoring = models.BooleanField(_("wants homework tutoring"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["student__school_class", "student__student_no"]
        constraints = [
            models.UniqueConstraint(fields=["student", "term"], name="application_unique"),
            models.CheckConstraint(
                condition=~Q(status__in=["returned", "declined"]) | ~Q(reason=""),
                name="application_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.term} ({self.status})"


class ApplicationEvent(models.Model):
    """One step of an application (history row)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("status"), max_length=20, choices=Application.Status.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.status}"


class ServiceAgreement(models.Model):
    """The school's service agreement for a term (safety, emergencies, early leave), versioned:
    parents sign the current version."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["term", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["term", "version"], name="agreement_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.term} v{self.version}"


class AgreementSignature(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="signatures"
    )
    agreement = models.ForeignKey(
        ServiceAgreement, on_delete=models.RESTRICT, related_name="signatures"
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "agreement"], name="signature_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} v{self.agreement_id}"


# -- Fees (AS-10) -------------------------------------------------------------------------------


class FeeCap(models.Model):
    """A regional standard: the most a programme may charge per term.  The strictest cap of the
    school's county, city and province applies."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(_("cap per term (yuan)"), max_digits=8, decimal_places=2)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="feecap_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.region} ≤ {self.amount}"


# Pupils with these care flags pay nothing, without asking (AS-10).
EXEMPT_FLAGS = frozenset({"low_income", "in_difficulty"})


class FeeExemption(models.Model):
    """An exemption the school grants, with its reason."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "term"], name="feeexemption_unique"),
            models.CheckConstraint(condition=~Q(reason=""), name="feeexemption_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.term}"


class WorkHours(models.Model):
    """A region's normal end of work by season (AS-01): service must not end earlier.

    The nearest region above a school that has a row applies (county, then city, then
    province); without any, the defaults of rules.afterschool.WorkEndTimes.
    """

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="work_hours")
    summer_end = models.TimeField(_("end of work, summer timetable"))
    winter_end = models.TimeField(_("end of work, winter timetable"))
    summer_from = models.DateField(
        _("summer timetable starts (any year)"),
        help_text=_("Only the month and day are used."),
    )
    winter_from = models.DateField(
        _("winter timetable starts (any year)"),
        help_text=_("Only the month and day are used."),
    )

    def __str__(self) -> str:
        return f"{self.region}: {self.summer_end:%H:%M} / {self.winter_end:%H:%M}"

    def as_rule(self) -> as_rules.WorkEndTimes:
        return as_rules.WorkEndTimes(
            summer=self.summer_end,
            winter=self.winter_end,
            summer_from=(self.summer_from.month, self.summer_from.day),
            winter_from=(self.winter_from.month, self.winter_from.day),
        )
