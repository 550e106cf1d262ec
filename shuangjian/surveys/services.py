"""Writes for anonymous parent questionnaires (SV-05): build, open, invite, answer, close.

Refusals are `RuleViolation(rule="SV-05")` naming the field (for answers: `q<question id>`).
"""

import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.errors import RuleViolation
from shuangjian.org.grades import class_label
from shuangjian.org.models import Region, School, SchoolClass, Student, User, hash_secret
from shuangjian.throttle import Limiter

from .models import (
    DEFAULT_MIN_GROUP,
    INDICATORS,
    MIN_GROUP_FLOOR,
    SCALE_MAX,
    SCALE_MIN,
    TEXT_MAX,
    Answer,
    Choice,
    Invitation,
    Invitee,
    Question,
    Response,
    Survey,
)

RULE = "SV-05"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read off paper
CODE_LENGTH = 12  # 60 bits
MAX_QUESTIONS = 50
MAX_CHOICES = 20
Kind = Question.Kind
Status = Survey.Status

# The standard national questionnaire (国家版家长问卷): the questions the MoE monitoring platform
# asked parents in autumn 2021, each tagged with the indicator it feeds.  Chinese content for
# Chinese parents, stored as data (like the demo texts), not translated.
# Each choice: (text, affirms) — True counts as yes for the indicator, None is left out.
STANDARD_TITLE = "“双减”工作家长满意度调查（无记名）"
STANDARD_INTRO = (
    "尊敬的家长：为了解学校落实“双减”工作的情况，请您根据孩子本学期的实际情况填写本问卷。"
    "问卷不记名，不收集您和孩子的姓名、电话等任何个人信息，结果只按班级、年级和学校汇总，"
    "人数过少的群体不单独显示。每张问卷码只能使用一次。感谢您的支持！"
)
STANDARD_QUESTIONS: list[tuple[str, str, str, bool, list[tuple[str, bool | None]]]] = [
    (
        Kind.SINGLE,
        # Homework set for parents, or parents asked to mark it?
        "本学期，老师是否给家长布置作业，或要求家长批改作业？",
        "homework_for_parents",
        True,
        [("没有", False), ("有", True)],
    ),
    (
        Kind.SINGLE,
        # Can the child finish written homework within the time limits?
        "孩子能否在规定时间内完成书面作业？（一、二年级不布置书面家庭作业；三至六年级每天不超过"
        "60分钟；初中每天不超过90分钟）",
        "homework_within_time",
        True,
        [
            ("能", True),
            ("有时不能", False),
            ("经常不能", False),
            ("一、二年级，没有书面家庭作业", None),
        ],
    ),
    (
        Kind.SINGLE,
        # Satisfied with the after-school service?
        "您对学校提供的课后服务是否满意？",
        "afterschool_satisfaction",
        True,
        [
            ("非常满意", True),
            ("比较满意", True),
            ("一般", False),
            ("不满意", False),
            ("孩子没有参加课后服务", None),
        ],
    ),
    (
        Kind.SINGLE,
        # Has the child's homework burden eased?
        "与“双减”前相比，孩子的作业负担是否减轻？",
        "burden_eased",
        True,
        [("明显减轻", True), ("有所减轻", True), ("没有变化", False), ("有所加重", False)],
    ),
    (
        Kind.SINGLE,
        # Has your anxiety about education eased?
        "与“双减”前相比，您的教育焦虑是否有所缓解？",
        "anxiety_eased",
        True,
        [("明显缓解", True), ("有所缓解", True), ("没有变化", False), ("更加焦虑", False)],
    ),
    (
        Kind.SINGLE,
        # Overall satisfaction with the school's work.
        "总体上，您对学校落实“双减”、减负提质工作是否满意？",
        "satisfaction",
        True,
        [("非常满意", True), ("比较满意", True), ("一般", False), ("不满意", False)],
    ),
    (
        Kind.TEXT,
        # Any other opinion or suggestion?
        "您对学校落实“双减”工作还有什么意见和建议？（选填，不超过500字）",
        "",
        False,
        [],
    ),
]


@dataclass(frozen=True)
class Slip:
    """One printed code: the group it counts in and the plain code, shown only once."""

    school: str
    school_code: str
    class_id: int
    class_name: str
    grade: int
    code: str


def _fail(message: str, *, code: str = "invalid", field: str | None = None, **numbers):
    return RuleViolation(message, code=code, rule=RULE, field=field, **numbers)


def _require_draft(survey: Survey) -> None:
    if survey.status != Status.DRAFT:
        raise _fail(_("The questions are frozen once the survey is open."), code="questions_frozen")


def _clean_settings(title: str, intro: str, min_group_size: int) -> tuple[str, str]:
    title, intro = (title or "").strip(), (intro or "").strip()
    if not title or len(title) > 100:
        raise _fail(_("Give the survey a title of at most 100 characters."), field="title")
    if len(intro) > 2000:
        raise _fail(_("The introduction is longer than 2,000 characters."), field="intro")
    if not MIN_GROUP_FLOOR <= min_group_size <= 1000:
        raise _fail(
            _("The smallest group shown must be at least %(n)d responses.")
            % {"n": MIN_GROUP_FLOOR},
            code="group_too_small",
            field="min_group_size",
            floor=MIN_GROUP_FLOOR,
        )
    return title, intro


# -- Building ----------------------------------------------------------------------------------


@transaction.atomic
def create_survey(
    *,
    actor: User,
    title: str,
    intro: str = "",
    region: Region | None = None,
    school: School | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP,
) -> Survey:
    """A draft questionnaire owned by a bureau (region) or a school."""
    if (region is None) == (school is None):
        raise ValueError("a survey is owned by a region or by a school")
    title, intro = _clean_settings(title, intro, min_group_size)
    return Survey.objects.create(
        region=region,
        school=school,
        title=title,
        intro=intro,
        min_group_size=min_group_size,
        created_by=actor,
    )


@transaction.atomic
def create_standard_survey(
    *,
    actor: User,
    region: Region | None = None,
    school: School | None = None,
    title: str = STANDARD_TITLE,
    min_group_size: int = DEFAULT_MIN_GROUP,
) -> Survey:
    """The standard national questionnaire in one step (a draft, ready to open)."""
    survey = create_survey(
        actor=actor,
        title=title,
        intro=STANDARD_INTRO,
        region=region,
        school=school,
        min_group_size=min_group_size,
    )
    survey.standard = True
    survey.save(update_fields=["standard"])
    for kind, text, indicator, required, choices in STANDARD_QUESTIONS:
        add_question(
            survey=survey,
            kind=kind,
            text=text,
            required=required,
            indicator=indicator,
            choices=[c for c, _a in choices],
            affirms=[a for _c, a in choices],
        )
    return survey


@transaction.atomic
def update_survey(*, survey: Survey, title: str, intro: str, min_group_size: int) -> Survey:
    """Title, introduction and smallest group shown, while the survey is a draft."""
    survey = Survey.objects.select_for_update().get(id=survey.id)
    _require_draft(survey)
    survey.title, survey.intro = _clean_settings(title, intro, min_group_size)
    survey.min_group_size = min_group_size
    survey.save(update_fields=["title", "intro", "min_group_size"])
    return survey


@transaction.atomic
def add_question(
    *,
    survey: Survey,
    kind: str,
    text: str,
    choices: list[str] | None = None,
    required: bool = True,
    indicator: str = "",
    affirms: list[bool | None] | None = None,
) -> Question:
    """A question at the end of a draft survey.

    Choice questions need 2–20 distinct choices.  A question tagged with an indicator key says,
    per choice, whether it affirms the indicator (True), denies it (False) or is left out (None);
    a scale question affirms at 4 and 5.
    """
    survey = Survey.objects.select_for_update().get(id=survey.id)
    _require_draft(survey)
    text = (text or "").strip()
    if kind not in Kind.values:
        raise _fail(_("Unknown question kind."), field="kind")
    if not text or len(text) > 300:
        raise _fail(_("Write the question, in at most 300 characters."), field="text")
    choices = [c.strip() for c in (choices or []) if c and c.strip()]
    if kind in (Kind.SINGLE, Kind.MULTIPLE):
        if not 2 <= len(choices) <= MAX_CHOICES:
            raise _fail(
                _("A choice question needs between 2 and %(n)d choices.") % {"n": MAX_CHOICES},
                field="choices",
            )
        if len(set(choices)) != len(choices) or any(len(c) > 100 for c in choices):
            raise _fail(
                _("Each choice must be different and at most 100 characters."), field="choices"
            )
    elif choices:
        raise _fail(_("Only choice questions have choices."), field="choices")
    if indicator:
        if indicator not in INDICATORS:
            raise _fail(_("Unknown indicator."), field="indicator")
        if kind in (Kind.TEXT, Kind.MULTIPLE):
            raise _fail(
                _("Only single-choice and scale questions can feed an indicator."),
                field="indicator",
            )
        if survey.questions.filter(indicator=indicator).exists():
            raise _fail(
                _("Another question of this survey already feeds this indicator."),
                field="indicator",
            )
        if kind == Kind.SINGLE:
            if affirms is None or len(affirms) != len(choices) or True not in affirms:
                raise _fail(_("Say which choices count as yes for the indicator."), field="affirms")
            if False not in affirms:
                raise _fail(
                    _("At least one choice must count as no for the indicator."), field="affirms"
                )
    if survey.questions.count() >= MAX_QUESTIONS:
        raise _fail(_("A survey has at most %(n)d questions.") % {"n": MAX_QUESTIONS})
    last = survey.questions.order_by("-position").values_list("position", flat=True).first()
    question = Question.objects.create(
        survey=survey,
        position=(last or 0) + 1,
        kind=kind,
        text=text,
        required=required,
        indicator=indicator,
    )
    marks = affirms if indicator and kind == Kind.SINGLE else [False] * len(choices)
    Choice.objects.bulk_create(
        Choice(question=question, position=n, text=c, affirms=a)
        for n, (c, a) in enumerate(zip(choices, marks, strict=True), start=1)
    )
    return question


@transaction.atomic
def remove_question(*, question: Question) -> None:
    """Remove a question of a draft survey; the ones after it move up."""
    survey = Survey.objects.select_for_update().get(id=question.survey_id)
    _require_draft(survey)
    position = question.position
    question.delete()
    for q in survey.questions.filter(position__gt=position).order_by("position"):
        q.position -= 1
        q.save(update_fields=["position"])


# -- Opening and closing -----------------------------------------------------------------------


@transaction.atomic
def open_survey(*, survey: Survey) -> Survey:
    """Draft → open: the questions are frozen and codes can be answered."""
    survey = Survey.objects.select_for_update().get(id=survey.id)
    if survey.status != Status.DRAFT:
        raise _fail(_("Only a draft survey can be opened."), code="bad_state", field="status")
    if not survey.questions.exists():
        raise _fail(_("Add at least one question first."), code="no_questions")
    survey.status = Status.OPEN
    survey.opened_at = timezone.now()
    survey.save(update_fields=["status", "opened_at"])
    return survey


@transaction.atomic
def close_survey(*, survey: Survey) -> Survey:
    """Open → closed: no more answers; the codes not used are deleted."""
    survey = Survey.objects.select_for_update().get(id=survey.id)
    if survey.status != Status.OPEN:
        raise _fail(_("Only an open survey can be closed."), code="bad_state", field="status")
    survey.status = Status.CLOSED
    survey.closed_at = timezone.now()
    survey.save(update_fields=["status", "closed_at"])
    Invitation.objects.filter(survey=survey).delete()
    return survey


# -- Inviting ----------------------------------------------------------------------------------


def in_scope(survey: Survey, school: School) -> bool:
    """Whether a school lies within the survey owner's reach (its region, or itself)."""
    if survey.school_id is not None:
        return school.id == survey.school_id
    return any(r.id == survey.region_id for r in school.county.ancestors_and_self())


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    """ABCD-EFGH-JKLM: easier to copy off paper."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@transaction.atomic
def invite_parents(*, survey: Survey, classes: list[SchoolClass]) -> list[Slip]:
    """One one-time code per enrolled pupil of the classes not invited before.

    Returns the plain codes, once, for printing (grouped by class, sorted by code — an order
    unrelated to the roster or to the stored rows).  The slips carry no pupil's name: the head
    teacher hands one to each pupil, like a ballot paper.  Only the codes' hashes are kept.
    """
    survey = Survey.objects.select_for_update().get(id=survey.id)
    if survey.status == Status.CLOSED:
        raise _fail(_("This survey is closed."), code="bad_state", field="status")
    schools = {}
    for klass in classes:
        if klass.school_id not in schools:
            schools[klass.school_id] = School.objects.select_related("county__parent__parent").get(
                id=klass.school_id
            )
        school = schools[klass.school_id]
        if not in_scope(survey, school):
            raise _fail(
                _("%(school)s is outside this survey's reach.") % {"school": school.name},
                code="out_of_scope",
                field="classes",
            )
    invited = Invitee.objects.filter(survey=survey).values("student_id")
    pupils = (
        Student.objects.filter(school_class__in=classes, active=True)
        .exclude(id__in=invited)
        .select_related("school_class")
        .order_by("school_class__grade", "school_class__number", "student_no")
    )
    invitees, invitations, slips = [], [], []
    hashes: set[str] = set()
    for pupil in pupils:
        klass = pupil.school_class
        school = schools[klass.school_id]
        group = {"school": school, "grade": klass.grade, "school_class": klass}
        invitees.append(Invitee(survey=survey, student=pupil, **group))
        code = new_code()
        while hash_secret(code) in hashes:
            code = new_code()
        hashes.add(hash_secret(code))
        invitations.append(Invitation(survey=survey, code_hash=hash_secret(code), **group))
        slip = Slip(
            school=school.name,
            school_code=school.code,
            class_id=klass.id,
            class_name=class_label(klass.grade, klass.number),
            grade=klass.grade,
            code=format_code(code),
        )
        slips.append(((school.code, klass.grade, klass.number, slip.code), slip))
    Invitee.objects.bulk_create(invitees, batch_size=500)
    random.SystemRandom().shuffle(invitations)  # stored in an order unrelated to the roster
    Invitation.objects.bulk_create(invitations, batch_size=500)
    return [slip for _key, slip in sorted(slips, key=lambda s: s[0])]


# -- Answering ---------------------------------------------------------------------------------


def invalid_code() -> RuleViolation:
    """The one message for an unknown, used or closed code: it tells a guesser nothing."""
    return _fail(
        _("This code is not valid: it may have been typed wrongly or already used."),
        code="invalid_code",
        field="code",
    )


# Wrong codes per address and hour before every code is treated as wrong for a while (a
# school's NAT puts many parents behind one address, so the limit is generous).
CODE_GUESSES = Limiter("survey-code-fail", 30, 60 * 60)


def find_invitation(code: str, ip: str) -> Invitation | None:
    """live_invitation, counting misses per address: guessing codes soon finds nothing."""
    if CODE_GUESSES.blocked(ip):
        return None
    invitation = live_invitation(code)
    if invitation is None:
        CODE_GUESSES.hit(ip)
    return invitation


def live_invitation(code: str) -> Invitation | None:
    """The unused invitation of an open survey for this code (a read: it consumes nothing)."""
    return (
        Invitation.objects.select_related("survey", "school", "school_class")
        .filter(code_hash=hash_secret(normalise_code(code)), survey__status=Status.OPEN)
        .first()
    )


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _question_error(q: Question, message: str, code: str = "invalid_answer") -> RuleViolation:
    return _fail(
        _("Question %(n)d: %(message)s") % {"n": q.position, "message": message},
        code=code,
        field=f"q{q.id}",
        question=q.id,
        position=q.position,
    )


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 9:
        return int(value.strip())
    return None


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == ()


def check_answers(survey: Survey, answers: dict) -> list[Answer]:
    """The answers as unsaved Answer rows, or the first bad one as a RuleViolation naming it.

    answers: {question id: value} — a choice id (single), a list of choice ids (multiple),
    1–5 (scale) or a string (text).  Unknown question ids are refused.
    """
    questions = list(survey.questions.prefetch_related("choices").order_by("position"))
    known = {q.id for q in questions}
    extra = [k for k in answers if _as_int(k) not in known]
    if extra:
        raise _fail(_("There is no such question in this survey."), field=f"q{extra[0]}")
    by_id = {_as_int(k): v for k, v in answers.items()}
    rows = []
    for q in questions:
        value = by_id.get(q.id)
        if isinstance(value, str) and q.kind != Kind.TEXT:
            value = value.strip()
        if _empty(value) or (q.kind == Kind.TEXT and not str(value).strip()):
            if q.required:
                raise _question_error(q, _("an answer is required."), "answer_required")
            continue
        choices = {c.id: c for c in q.choices.all()}
        if q.kind == Kind.SINGLE:
            choice = choices.get(_as_int(value))
            if choice is None:
                raise _question_error(q, _("choose one of the answers offered."))
            rows.append(Answer(question=q, choice=choice))
        elif q.kind == Kind.MULTIPLE:
            values = value if isinstance(value, list | tuple) else [value]
            ids = [_as_int(v) for v in values]
            if any(i not in choices for i in ids) or len(set(ids)) != len(ids):
                raise _question_error(q, _("choose among the answers offered."))
            rows += [Answer(question=q, choice=choices[i]) for i in ids]
        elif q.kind == Kind.SCALE:
            n = _as_int(value)
            if n is None or not SCALE_MIN <= n <= SCALE_MAX:
                raise _question_error(
                    q,
                    _("choose a value from %(lo)d to %(hi)d.") % {"lo": SCALE_MIN, "hi": SCALE_MAX},
                )
            rows.append(Answer(question=q, value=n))
        else:
            if not isinstance(value, str):
                raise _question_error(q, _("write the answer as text."))
            text = value.strip()
            if len(text) > TEXT_MAX:
                raise _question_error(
                    q,
                    _("the answer is longer than %(n)d characters.") % {"n": TEXT_MAX},
                    "text_too_long",
                )
            rows.append(Answer(question=q, text=text))
    return rows


@transaction.atomic
def submit_response(*, code: str, answers: dict, today: date | None = None) -> None:
    """Record one anonymous response and use up the code, in one transaction.

    The invitation row is locked, checked and deleted in the transaction that writes the
    response, so the same code submitted twice at once gives one response: the second request
    waits for the lock and then finds no invitation.  Nothing is returned: not even the caller
    gets a handle on the stored response.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("survey")
        .filter(code_hash=hash_secret(normalise_code(code)), survey__status=Status.OPEN)
        .first()
    )
    if invitation is None:
        raise invalid_code()
    rows = check_answers(invitation.survey, answers)
    response = Response(
        survey_id=invitation.survey_id,
        school_id=invitation.school_id,
        grade=invitation.grade,
        school_class_id=invitation.school_class_id,
        week=week_of(today or timezone.localdate()),
    )
    deleted, _rows = Invitation.objects.filter(id=invitation.id).delete()
    if not deleted:  # cannot happen under the lock; never write a second response if it does
        raise invalid_code()
    response.save(force_insert=True)
    for row in rows:
        row.response = response
    Answer.objects.bulk_create(rows)
