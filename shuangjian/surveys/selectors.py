"""Reads for questionnaires (SV-05): lists, the group tree with small-group suppression, results
per group and the indicator shares the supervision pages use.

Results are counted per class and added up a tree: total → (regions below the owner) → school →
grade → class.  A group with fewer responses than the survey's `min_group_size` shows no
answers, and neither does a second group where the first could otherwise be worked out by
subtraction (`suppress`).  Nothing here orders responses or answers by insertion: texts come
back shuffled.
"""

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from shuangjian.org.grades import class_label, grade_label
from shuangjian.org.models import Region, School, SchoolClass

from .models import SCALE_MAX, SCALE_MIN, Answer, Invitee, Question, Response, Survey

# -- Groups ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A group results are shown for: the whole survey (all None), a region below the owner, a
    school, a grade of a school, or a class."""

    region_id: int | None = None
    school_id: int | None = None
    grade: int | None = None
    class_id: int | None = None

    @property
    def key(self) -> str:
        if self.class_id is not None:
            return f"k{self.class_id}"
        if self.grade is not None:
            if self.school_id is None:
                raise ValueError("a grade group belongs to a school")
            return f"g{self.school_id}-{self.grade}"
        if self.school_id is not None:
            return f"s{self.school_id}"
        if self.region_id is not None:
            return f"r{self.region_id}"
        return ""

    @classmethod
    def from_key(cls, key: str | None) -> "Group | None":
        """The group a `?group=` value names; None when it is unreadable."""
        key = key or ""
        if key == "":
            return cls()
        kind, rest = key[:1], key[1:]
        try:
            if kind == "g":
                school, grade = rest.split("-", 1)
                return cls(school_id=int(school), grade=int(grade))
            number = int(rest)
        except ValueError:
            return None
        if number < 0 or number > 2**31:
            return None
        return {
            "k": cls(class_id=number),
            "s": cls(school_id=number),
            "r": cls(region_id=number),
        }.get(kind)


@dataclass
class Node:
    key: str
    level: str  # total, region, school, grade, class
    label: str
    n: int = 0  # responses
    invited: int = 0
    class_ids: set[int] = field(default_factory=set)
    children: list["Node"] = field(default_factory=list)
    hidden: bool = False  # answers not shown
    small: bool = False  # hidden because it is below the threshold (else: to protect another)
    depth: int = 0

    @property
    def rate(self) -> float | None:
        return self.n / self.invited if self.invited else None

    def walk(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, key: str) -> "Node | None":
        return next((node for node in self.walk() if node.key == key), None)


def suppress(root: Node, k: int) -> None:
    """Mark the groups whose answers are not shown.

    1. Every group with 1 to k-1 responses.
    2. Then, until nothing changes: when exactly one child of a group is hidden, the smallest
       other (non-empty) child is hidden too, so the hidden one is not the parent minus the
       rest; and a hidden group whose children are all shown gets its smallest child hidden,
       so it is not the sum of its children.  Groups with no response hide nothing.
    """
    nodes = list(root.walk())
    for node in nodes:
        node.hidden = node.small = 0 < node.n < k
    changed = True
    while changed:
        changed = False
        for node in nodes:
            kids = [c for c in node.children if c.n > 0]
            shown = [c for c in kids if not c.hidden]
            hidden = len(kids) - len(shown)
            if shown and (hidden == 1 or (node.hidden and hidden == 0)):
                min(shown, key=lambda c: (c.n, c.key)).hidden = True
                changed = True


def _owner_levels(survey: Survey) -> list[str]:
    """The region levels between the owning region and its schools."""
    if survey.school_id is not None:
        return []
    return {
        Region.Level.PROVINCE: ["city", "county"],
        Region.Level.CITY: ["county"],
    }.get(survey.region.level, [])


def group_tree(survey: Survey) -> Node:
    """The survey's groups with response and invitation counts, suppression applied."""
    responses = defaultdict(int)
    for class_id, n in (
        Response.objects.filter(survey=survey)
        .values("school_class_id")
        .annotate(n=Count("id"))
        .values_list("school_class_id", "n")
        .order_by()
    ):
        responses[class_id] += n
    invited = defaultdict(int)
    for class_id, n in (
        Invitee.objects.filter(survey=survey)
        .values("school_class_id")
        .annotate(n=Count("id"))
        .values_list("school_class_id", "n")
        .order_by()
    ):
        invited[class_id] += n
    classes = (
        SchoolClass.objects.filter(id__in=set(responses) | set(invited))
        .select_related("school__county__parent__parent")
        .order_by("school__code", "grade", "number")
    )
    levels = _owner_levels(survey)
    root = Node(
        key="",
        level="total",
        label=str(survey.school.name if survey.school_id else survey.region.name),
    )
    index: dict[str, Node] = {"": root}

    def child(parent: Node, key: str, level: str, label: str) -> Node:
        if key not in index:
            index[key] = Node(key=key, level=level, label=label, depth=parent.depth + 1)
            parent.children.append(index[key])
        return index[key]

    for klass in classes:
        school = klass.school
        path = [root]
        if survey.region_id is not None:
            county = school.county
            regions = {"county": county, "city": county.parent}
            for level in levels:
                region = regions[level]
                path.append(child(path[-1], f"r{region.id}", "region", region.name))
            path.append(child(path[-1], f"s{school.id}", "school", school.name))
        grade = child(path[-1], f"g{school.id}-{klass.grade}", "grade", grade_label(klass.grade))
        path.append(grade)
        path.append(child(grade, f"k{klass.id}", "class", class_label(klass.grade, klass.number)))
        for node in path:
            node.n += responses[klass.id]
            node.invited += invited[klass.id]
            node.class_ids.add(klass.id)
    suppress(root, survey.min_group_size)
    return root


def node_for(root: Node, survey: Survey, group: Group | None) -> Node | None:
    """The node of a group (a school survey's own school is its total)."""
    group = group or Group()
    if survey.school_id is not None and group == Group(school_id=survey.school_id):
        return root
    try:
        return root.find(group.key)
    except ValueError:
        return None


def scoped(root: Node, scope: Group | None) -> Node | None:
    """The part of the tree a viewer may see: all of it, or the subtree of their school or
    region (None when the survey has nothing there)."""
    if scope is None or scope == Group():
        return root
    return root.find(scope.key)


# -- Results -----------------------------------------------------------------------------------


@dataclass
class ChoiceCount:
    label: str
    count: int
    share: float | None
    affirms: bool | None = False

    @property
    def percent(self) -> float | None:
        return None if self.share is None else 100 * self.share


@dataclass
class QuestionResult:
    question: Question
    answered: int
    choices: list[ChoiceCount] = field(default_factory=list)
    mean: float | None = None
    texts: list[str] = field(default_factory=list)
    indicator_share: float | None = None

    @property
    def indicator_percent(self) -> float | None:
        return None if self.indicator_share is None else 100 * self.indicator_share


@dataclass
class Results:
    survey: Survey
    tree: Node  # the visible part of the tree (the viewer's scope)
    node: Node  # the selected group
    questions: list[QuestionResult]  # empty when the selected group is hidden


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def _counts(survey: Survey, class_ids: set[int] | None):
    """Per question: respondents, per-choice counts and per-value counts in these classes."""
    answers = Answer.objects.filter(response__survey=survey)
    if class_ids is not None:
        answers = answers.filter(response__school_class_id__in=class_ids)
    answered = dict(
        answers.values("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("question_id", "n")
        .order_by()
    )
    by_choice: dict[int, int] = {}
    by_value: dict[tuple[int, int], int] = {}
    for question_id, choice_id, value, n in (
        answers.filter(Q(choice__isnull=False) | Q(value__isnull=False))
        .values("question_id", "choice_id", "value")
        .annotate(n=Count("id"))
        .values_list("question_id", "choice_id", "value", "n")
        .order_by()
    ):
        if choice_id is not None:
            by_choice[choice_id] = n
        else:
            by_value[(question_id, value)] = n
    return answered, by_choice, by_value


def question_results(survey: Survey, node: Node, *, texts: bool = True) -> list[QuestionResult]:
    """Counts and shares per question for a shown group; short texts in random order."""
    if node.hidden:
        return []
    class_ids = None if node.key == "" else node.class_ids
    answered, by_choice, by_value = _counts(survey, class_ids)
    questions = list(survey.questions.prefetch_related("choices").order_by("position"))
    text_by_q: dict[int, list[str]] = defaultdict(list)
    if texts and any(q.kind == Question.Kind.TEXT for q in questions):
        rows = Answer.objects.filter(response__survey=survey, question__kind="text")
        if class_ids is not None:
            rows = rows.filter(response__school_class_id__in=class_ids)
        for question_id, text in rows.values_list("question_id", "text").order_by():
            text_by_q[question_id].append(text)
        for values in text_by_q.values():
            random.SystemRandom().shuffle(values)
    out = []
    for q in questions:
        total = answered.get(q.id, 0)
        result = QuestionResult(question=q, answered=total)
        if q.has_choices:
            result.choices = [
                ChoiceCount(
                    c.text, by_choice.get(c.id, 0), _share(by_choice.get(c.id, 0), total), c.affirms
                )
                for c in q.choices.all()
            ]
            if q.indicator:
                yes = sum(c.count for c in result.choices if c.affirms is True)
                counted = sum(c.count for c in result.choices if c.affirms is not None)
                result.indicator_share = _share(yes, counted)
        elif q.kind == Question.Kind.SCALE:
            values = {v: by_value.get((q.id, v), 0) for v in range(SCALE_MIN, SCALE_MAX + 1)}
            result.choices = [ChoiceCount(str(v), n, _share(n, total)) for v, n in values.items()]
            result.mean = _share(sum(v * n for v, n in values.items()), total)
            if q.indicator:
                result.indicator_share = _share(values[4] + values[5], total)
        else:
            result.texts = text_by_q.get(q.id, [])
        out.append(result)
    return out


def results(survey: Survey, *, scope: Group | None = None, group: Group | None = None) -> Results:
    """What a viewer with this scope sees of one group (by default, all they may see).

    Raises LookupError when the group is outside the scope or does not exist."""
    tree = group_tree(survey)
    visible = scoped(tree, scope)
    if visible is None:
        raise LookupError("nothing of this survey lies within the scope")
    node = visible if group is None else node_for(tree, survey, group)
    if node is None or visible.find(node.key) is None:
        raise LookupError("no such group within the scope")
    return Results(survey=survey, tree=visible, node=node, questions=question_results(survey, node))


def indicator_shares(survey: Survey, group: Group | None = None) -> dict[str, float]:
    """{indicator key: share of respondents affirming it} for one group (default: all).

    Empty for a group whose answers are not shown (too few responses, or protecting another);
    a key is left out when nobody answered its question (or all answered "not applicable").
    """
    tree = group_tree(survey)
    node = node_for(tree, survey, group)
    if node is None or node.hidden or node.n == 0:
        return {}
    return {
        r.question.indicator: r.indicator_share
        for r in question_results(survey, node, texts=False)
        if r.question.indicator and r.indicator_share is not None
    }


# -- Lists -------------------------------------------------------------------------------------


def _count(model, **filters):
    sub = (
        model.objects.filter(survey=OuterRef("pk"), **filters)
        .order_by()
        .values("survey")
        .annotate(c=Count("*"))
        .values("c")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def _with_counts(qs: QuerySet[Survey]) -> QuerySet[Survey]:
    return qs.select_related("region", "school").annotate(
        n_responses=_count(Response),
        n_invited=_count(Invitee),
        n_questions=_count(Question),
    )


def schools_below(region: Region) -> QuerySet[School]:
    return School.objects.filter(
        Q(county=region) | Q(county__parent=region) | Q(county__parent__parent=region)
    )


def region_surveys(region: Region) -> QuerySet[Survey]:
    """Surveys the region owns."""
    return _with_counts(Survey.objects.filter(region=region))


def surveys_from_above(region: Region) -> QuerySet[Survey]:
    """Surveys of higher bureaus that invited parents in this region's schools."""
    above = [r.id for r in region.ancestors_and_self()[1:]]
    covered = Invitee.objects.filter(survey=OuterRef("pk"), school__in=schools_below(region))
    return _with_counts(Survey.objects.filter(region_id__in=above).filter(Exists(covered)))


def school_surveys(school: School) -> QuerySet[Survey]:
    """Surveys the school owns."""
    return _with_counts(Survey.objects.filter(school=school))


def bureau_surveys_for_school(school: School) -> QuerySet[Survey]:
    """Bureau surveys that invited parents of this school."""
    covered = Invitee.objects.filter(survey=OuterRef("pk"), school=school)
    return _with_counts(Survey.objects.filter(region__isnull=False).filter(Exists(covered)))


def questions(survey: Survey) -> QuerySet[Question]:
    return survey.questions.prefetch_related("choices").order_by("position")


def invitable_schools(survey: Survey) -> QuerySet[School]:
    if survey.school_id is not None:
        return School.objects.filter(id=survey.school_id)
    return schools_below(survey.region).order_by("code")


def invitable_classes(survey: Survey) -> QuerySet[SchoolClass]:
    """Classes the owner may invite, with their enrolled pupils and those already invited."""
    invited = (
        Invitee.objects.filter(survey=survey, school_class=OuterRef("pk"))
        .order_by()
        .values("school_class")
        .annotate(c=Count("*"))
        .values("c")
    )
    return (
        SchoolClass.objects.filter(school__in=invitable_schools(survey))
        .select_related("school")
        .annotate(
            pupils=Count("students", filter=Q(students__active=True)),
            invited=Coalesce(Subquery(invited, output_field=IntegerField()), 0),
        )
        .order_by("school__code", "grade", "number")
    )


def classes_to_invite(
    survey: Survey, *, school_ids=(), grades=(), class_ids=()
) -> list[SchoolClass] | None:
    """The classes picked on the invite form: the chosen classes, plus the chosen grades of the
    chosen schools (all grades when none is chosen; a school survey's own school is implied).

    None when an id lies outside the survey's reach (the view answers 404)."""
    allowed = invitable_classes(survey)
    school_ids, grades, class_ids = set(school_ids), set(grades), set(class_ids)
    if survey.school_id is not None and grades:
        school_ids.add(survey.school_id)
    picked = list(allowed.filter(id__in=class_ids)) if class_ids else []
    if len(picked) != len(class_ids):
        return None
    if school_ids:
        if invitable_schools(survey).filter(id__in=school_ids).count() != len(school_ids):
            return None
        more = allowed.filter(school_id__in=school_ids)
        if grades:
            more = more.filter(grade__in=grades)
        seen = {k.id for k in picked}
        picked += [k for k in more if k.id not in seen]
    return picked


def label(node: Node) -> str:
    if node.hidden and node.small:
        return _("too few responses to show")
    if node.hidden:
        return _("not shown, so that a smaller group cannot be worked out")
    return ""
