"""Reads for letters: audiences, the school's figures and lists, the parents' letters (SV-07)."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.org.access import SchoolAccess
from shuangjian.org.grades import class_label, grade_label
from shuangjian.org.models import Guardianship, SchoolClass, Student, User

from . import rights
from .models import Delivery, Letter, Reminder

State = Letter.State
VISIBLE_TO_PARENTS = (State.SENT, State.CLOSED)


def percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


# -- Audience ----------------------------------------------------------------------------------


def audience_pupils(letter: Letter) -> QuerySet[Student]:
    """The enrolled pupils the letter goes to (at the moment of asking)."""
    qs = Student.objects.filter(school_id=letter.school_id, active=True)
    if letter.audience == Letter.Audience.GRADES:
        qs = qs.filter(school_class__grade__in=letter.grades or [])
    elif letter.audience == Letter.Audience.CLASSES:
        qs = qs.filter(school_class__in=letter.classes.all())
    return qs


def audience_label(letter: Letter) -> str:
    if letter.audience == Letter.Audience.GRADES:
        return ", ".join(grade_label(g) for g in letter.grades)
    if letter.audience == Letter.Audience.CLASSES:
        return ", ".join(class_label(k.grade, k.number) for k in letter.classes.all())
    return str(Letter.Audience.SCHOOL.label)


def parents_of_pupils(pupils: QuerySet[Student]) -> QuerySet[User]:
    """The active parent accounts linked to these pupils."""
    return User.objects.filter(
        is_active=True, guardianships__student__in=pupils.values("id")
    ).distinct()


def parents_of(deliveries: QuerySet[Delivery]) -> QuerySet[User]:
    """The active parent accounts linked to the pupils of these deliveries."""
    return User.objects.filter(
        is_active=True, guardianships__student__in=deliveries.values("student_id")
    ).distinct()


# -- The receipt as a parent sees it ------------------------------------------------------------


def confirmed_label(delivery: Delivery) -> str:
    """Who confirmed: “父亲 张爸爸”, or that the school recorded a paper slip."""
    if not delivery.confirmed_at:
        return ""
    if delivery.channel == Delivery.Channel.PAPER:
        return _("a paper slip recorded by the school")
    name = str(delivery.confirmed_by) if delivery.confirmed_by_id else ""
    return " ".join(p for p in (delivery.relation, name) if p) or _("a parent")


@dataclass
class ReceiptState:
    asks: bool  # the letter asks for a receipt
    confirmed: bool
    mine: bool  # confirmed online by this user
    can_reply: bool  # this user may confirm now, or change their answer
    closed_reason: str  # why not, when the receipt is still open for nobody
    by: str  # who confirmed


def receipt_state(delivery: Delivery, user: User, today: date | None = None) -> ReceiptState:
    today = today or timezone.localdate()
    letter = delivery.letter
    confirmed = delivery.confirmed_at is not None
    mine = (
        confirmed
        and delivery.channel == Delivery.Channel.ONLINE
        and delivery.confirmed_by_id == user.id
    )
    reason = ""
    if not letter.asks_receipt:
        pass
    elif letter.state == State.CLOSED:
        reason = _("The school has closed this letter: receipts are no longer taken.")
    elif letter.reply_by and today > letter.reply_by:
        reason = _(
            "The reply-by date (%(date)s) has passed: answers can no longer be given or changed."
        ) % {"date": letter.reply_by.isoformat()}
    open_ = letter.asks_receipt and not reason
    can_reply = open_ and (not confirmed or (mine and letter.kind == Letter.Kind.FORM))
    return ReceiptState(
        asks=letter.asks_receipt,
        confirmed=confirmed,
        mine=mine,
        can_reply=can_reply,
        closed_reason=reason,
        by=confirmed_label(delivery),
    )


@dataclass
class ChildLetters:
    child: Student
    rows: list[tuple[Delivery, ReceiptState]] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return sum(1 for _d, s in self.rows if s.asks and not s.confirmed and s.can_reply)


def _parent_deliveries(user: User) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(
            student__guardianships__user=user,
            student__active=True,
            letter__state__in=VISIBLE_TO_PARENTS,
        )
        .select_related("letter__school", "student__school_class", "confirmed_by")
        .order_by("-letter__sent_at", "-letter_id", "student_id")
    )


def parent_letters(user: User, student_id: int | None = None) -> list[ChildLetters]:
    """Each of the user's children with the letters sent to them, newest first."""
    children = (
        Student.objects.filter(guardianships__user=user, active=True)
        .select_related("school", "school_class")
        .order_by("school_class__grade", "school_class__number", "name")
    )
    qs = _parent_deliveries(user)
    if student_id is not None:
        children = children.filter(id=student_id)
        qs = qs.filter(student_id=student_id)
    out = {c.id: ChildLetters(c) for c in children}
    today = timezone.localdate()
    for d in qs:
        if d.student_id in out:
            out[d.student_id].rows.append((d, receipt_state(d, user, today)))
    return list(out.values())


def child_delivery(student: Student, letter_id: int) -> Delivery:
    """The letter as sent to this child; a letter not addressed to them (or a draft) is a 404."""
    delivery = (
        Delivery.objects.filter(
            student=student, letter_id=letter_id, letter__state__in=VISIBLE_TO_PARENTS
        )
        .select_related("letter__school", "student__school_class", "confirmed_by")
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


# -- The school's side --------------------------------------------------------------------------


@dataclass
class LetterRow:
    letter: Letter
    delivered: int
    confirmed: int
    can_manage: bool

    @property
    def percent(self) -> int | None:
        return percent(self.confirmed, self.delivered)


def staff_letters(acc: SchoolAccess) -> list[LetterRow]:
    """Letters this person may see: all for the school office; otherwise their own drafts and
    letters sent to classes whose roster they read (with the figures of those classes only)."""
    qs = Letter.objects.filter(school=acc.school).prefetch_related("classes")
    if rights.school_wide(acc):
        in_sight = Q()
    else:
        ids = list(acc.roster_classes().values_list("id", flat=True))
        in_sight = Q(deliveries__school_class_id__in=ids)
        seen = Delivery.objects.filter(school_class_id__in=ids).values("letter_id")
        qs = qs.filter(Q(author=acc.user) | Q(id__in=seen, state__in=VISIBLE_TO_PARENTS))
    qs = qs.annotate(
        n_delivered=Count("deliveries", filter=in_sight),
        n_confirmed=Count(
            "deliveries", filter=in_sight & Q(deliveries__confirmed_at__isnull=False)
        ),
    ).order_by("-created_at", "-id")
    return [
        LetterRow(
            letter=letter,
            delivered=letter.n_delivered,
            confirmed=letter.n_confirmed,
            can_manage=rights.may_manage(acc, letter, [k.id for k in letter.classes.all()]),
        )
        for letter in qs
    ]


def letter_classes(letter: Letter) -> list[SchoolClass]:
    """The classes a sent letter reached (or, for a draft, would reach)."""
    if letter.state == State.DRAFT:
        ids = audience_pupils(letter).values("school_class_id")
    else:
        ids = Delivery.objects.filter(letter=letter).values("school_class_id")
    return list(SchoolClass.objects.filter(id__in=ids).order_by("grade", "number"))


@dataclass
class ClassFigures:
    klass: SchoolClass
    delivered: int
    confirmed: int
    paper: int
    answers: list[int]  # per option, for a choice question

    @property
    def percent(self) -> int | None:
        return percent(self.confirmed, self.delivered)


@dataclass
class Pending:
    delivery_id: int
    name: str
    student_no: str
    klass: SchoolClass
    guardian: str | None  # None: hidden from this reader
    mobile: str | None
    has_account: bool
    can_record: bool


@dataclass
class TextAnswer:
    klass: SchoolClass
    name: str
    answer: str


@dataclass
class Report:
    letter: Letter
    classes: list[ClassFigures]
    pending: list[Pending]
    tally: list[tuple[str, int, int | None]]  # option, answers, percent of answers
    texts: list[TextAnswer]
    show_contacts: bool
    reminders: list[Reminder]
    whole: bool  # the figures cover the whole letter (not only the reader's classes)

    @property
    def delivered(self) -> int:
        return sum(c.delivered for c in self.classes)

    @property
    def confirmed(self) -> int:
        return sum(c.confirmed for c in self.classes)

    @property
    def paper(self) -> int:
        return sum(c.paper for c in self.classes)

    @property
    def percent(self) -> int | None:
        return percent(self.confirmed, self.delivered)

    @property
    def without_account(self) -> int:
        return sum(1 for p in self.pending if not p.has_account)


def report(
    letter: Letter,
    classes: list[SchoolClass],
    *,
    contact_ids: set[int],
    record_ids: set[int] = frozenset(),
    whole: bool = True,
) -> Report:
    """Figures per class, the pupils not yet confirmed and the answers, for these classes."""
    by_id = {k.id: k for k in classes}
    qs = Delivery.objects.filter(letter=letter, school_class_id__in=list(by_id))
    counts = {
        row["school_class_id"]: row
        for row in qs.values("school_class_id").annotate(
            delivered=Count("id"),
            confirmed=Count("id", filter=Q(confirmed_at__isnull=False)),
            paper=Count("id", filter=Q(channel=Delivery.Channel.PAPER)),
        )
    }
    options = list(letter.options) if letter.is_choice else []
    answers: dict[int, Counter] = defaultdict(Counter)
    if options:
        for row in (
            qs.filter(confirmed_at__isnull=False)
            .values("school_class_id", "answer")
            .annotate(n=Count("id"))
        ):
            answers[row["school_class_id"]][row["answer"]] = row["n"]
    figures = [
        ClassFigures(
            klass=k,
            delivered=counts[k.id]["delivered"],
            confirmed=counts[k.id]["confirmed"],
            paper=counts[k.id]["paper"],
            answers=[answers[k.id][o] for o in options],
        )
        for k in classes
        if k.id in counts
    ]
    totals = [sum(f.answers[i] for f in figures) for i in range(len(options))]
    tally = [(o, n, percent(n, sum(totals))) for o, n in zip(options, totals, strict=True)]

    pending_rows = list(
        qs.filter(confirmed_at__isnull=True)
        .order_by("school_class__grade", "school_class__number", "student__student_no")
        .values_list(
            "id",
            "student_id",
            "student__name",
            "student__student_no",
            "school_class_id",
            "student__guardian_name",
            "student__guardian_mobile",
        )
    )
    with_account = set(
        Guardianship.objects.filter(
            student_id__in=[r[1] for r in pending_rows], user__is_active=True
        ).values_list("student_id", flat=True)
    )
    pending = [
        Pending(
            delivery_id=did,
            name=name,
            student_no=no,
            klass=by_id[cid],
            guardian=g_name if cid in contact_ids else None,
            mobile=g_mobile if cid in contact_ids else None,
            has_account=sid in with_account,
            can_record=cid in record_ids,
        )
        for did, sid, name, no, cid, g_name, g_mobile in pending_rows
    ]
    texts = []
    if letter.is_text:
        texts = [
            TextAnswer(by_id[cid], name, answer)
            for cid, name, answer in qs.filter(confirmed_at__isnull=False)
            .exclude(answer="")
            .order_by("school_class__grade", "school_class__number", "student__student_no")
            .values_list("school_class_id", "student__name", "answer")
        ]
    return Report(
        letter=letter,
        classes=figures,
        pending=pending,
        tally=tally,
        texts=texts,
        show_contacts=bool(contact_ids & set(by_id)),
        reminders=list(Reminder.objects.filter(letter=letter).select_related("sent_by")),
        whole=whole,
    )
