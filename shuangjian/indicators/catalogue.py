"""The supervision indicator catalogue (SV-01): what each figure means, how it is computed, from
which records, how it rolls up, and the document it comes from.

Every indicator is a numerator over a denominator kept per school and day (`models.DailyFigure`).
Two ways to roll a period up:

* "sum" — the numerators and denominators of the days are added (ratios of sums, never means of
  ratios), and so are the schools' for a region;
* "last" — a state, not an event (rules on file, programmes offered, pupils enrolled): each school
  counts with its snapshot on the last day of the period that has one, and a region adds those
  snapshots of its schools (e.g. "schools offering reading" ÷ "schools").

The national figures are those of the Ministry's supervision briefing (seed 003, 2021); they are
shown as a reference, not as targets.  A target is given only where a rule sets one.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PERCENT, COUNT = "percent", "count"
SUM, LAST = "sum", "last"


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    definition: str
    formula: str
    sources: str
    period: str
    document: str
    unit: str  # PERCENT or COUNT
    higher_is_better: bool
    target: float | None
    main: bool
    # Added to the contract:
    rollup: str = SUM  # SUM or LAST (see the module docstring)
    level: str = "class"  # the finest level the drill-down goes to: "class" or "school"
    national: float | None = None  # the national figure of seed 003, where it gives one


_SUMMED = _("daily roll-up, summed over the period (ratio of sums)")
_SNAPSHOT = _("daily snapshot; a period counts its last day, a region adds its schools' snapshots")

INDICATORS: dict[str, Indicator] = {
    i.id: i
    for i in [
        Indicator(
            id="HW-RULES",
            name=_("Homework rules on file"),
            definition=_(
                "Schools whose homework management rules (作业管理办法) are on file, adopted on or "
                "before the day."
            ),
            formula=_("schools with rules on file ÷ schools × 100%"),
            sources=_("homework rules documents (RulesDocument.adopted_on)"),
            period=_SNAPSHOT,
            document=_("seed 003 (schools with homework rules: 99%); HW-08"),
            unit=PERCENT,
            higher_is_better=True,
            target=100.0,
            main=False,
            rollup=LAST,
            level="school",
            national=99.0,
        ),
        Indicator(
            id="HW-NOTICE",
            name=_("Homework notice posted"),
            definition=_(
                "Class school days on which the class's public homework notice lists at least "
                "one published item, among the school days of classes with pupils."
            ),
            formula=_("class-days with a posted notice ÷ class school days × 100%"),
            sources=_("published homework items, school calendar, class rosters"),
            period=_SUMMED,
            document=_("seed 003 (作业公示制度); HW-04"),
            unit=PERCENT,
            higher_is_better=True,
            target=100.0,
            main=True,
        ),
        Indicator(
            id="HW-WITHIN-LIMIT",
            name=_("Pupil-days within the homework limit"),
            definition=_(
                "Reported pupil-days on which the written homework time parents reported is "
                "within the class's binding daily limit for that kind of day."
            ),
            formula=_("pupil-days within the limit ÷ pupil-days with a report × 100%"),
            sources=_("parents' homework feedback (Feedback), limits (HW-02)"),
            period=_SUMMED,
            document=_("seed 003 (pupils finishing written homework in time: 46% → 90%); HW-06"),
            unit=PERCENT,
            higher_is_better=True,
            target=None,
            main=True,
            national=90.0,
        ),
        Indicator(
            id="HW-OVER-LIMIT",
            name=_("Class-days over the limit"),
            definition=_(
                "Days on which the heaviest written load any pupil of a class carries from "
                "published items exceeds the class's binding limit."
            ),
            formula=_("count of class-days with planned written load > limit"),
            sources=_("published homework items with tiers and personal targets, limits"),
            period=_SUMMED,
            document=_("双减意见 §5; HW-02, HW-03"),
            unit=COUNT,
            higher_is_better=False,
            target=0.0,
            main=True,
        ),
        Indicator(
            id="AS-5PLUS2",
            name=_("5+2 coverage"),
            definition=_(
                "Working school days on which the approved timetable gives at least two hours "
                "of after-school service ending no earlier than the local end of work."
            ),
            formula=_("working school days meeting 5+2 ÷ working school days × 100%"),
            sources=_("approved programmes' weekly slots, calendar, regional end of work"),
            period=_SUMMED,
            document=_("seed 000 三、2; seed 003 (5+2 全覆盖); AS-01"),
            unit=PERCENT,
            higher_is_better=True,
            target=100.0,
            main=True,
            level="school",
        ),
        Indicator(
            id="AS-PUPILS",
            name=_("Pupil after-school participation"),
            definition=_(
                "Enrolled pupils holding a place in an approved programme of the term running "
                "that day (participation is voluntary: no target)."
            ),
            formula=_("pupils with a place ÷ enrolled pupils × 100%"),
            sources=_("after-school enrolments (allocated), programmes, rosters"),
            period=_SNAPSHOT,
            document=_("seed 003 (voluntary participation 49.1% → 91.9%); AS-03"),
            unit=PERCENT,
            higher_is_better=True,
            target=None,
            main=True,
            rollup=LAST,
            national=91.9,
        ),
        Indicator(
            id="AS-TEACHERS",
            name=_("Teacher participation"),
            definition=_(
                "Active teachers (head or subject teachers) who lead or assist an approved "
                "programme of the term running that day."
            ),
            formula=_("teachers in after-school service ÷ teachers × 100%"),
            sources=_("staff roles, programmes' lead and assistant staff"),
            period=_SNAPSHOT,
            document=_("seed 003 (teachers taking part: 91.7%); AS-07"),
            unit=PERCENT,
            higher_is_better=True,
            target=None,
            main=True,
            rollup=LAST,
            level="school",
            national=91.7,
        ),
        Indicator(
            id="AS-SPORTS-ARTS",
            name=_("Offers sports or arts activities"),
            definition=_("Schools with an approved sports or arts programme in the running term."),
            formula=_("schools offering sports/arts ÷ schools × 100%"),
            sources=_("approved programmes and their categories"),
            period=_SNAPSHOT,
            document=_("seed 003 (schools offering them: 92.7%); AS-02"),
            unit=PERCENT,
            higher_is_better=True,
            target=None,
            main=False,
            rollup=LAST,
            level="school",
            national=92.7,
        ),
        Indicator(
            id="AS-READING",
            name=_("Offers reading activities"),
            definition=_("Schools with an approved reading programme in the running term."),
            formula=_("schools offering reading ÷ schools × 100%"),
            sources=_("approved programmes and their categories"),
            period=_SNAPSHOT,
            document=_("seed 003 (schools offering them: 88.3%); AS-02"),
            unit=PERCENT,
            higher_is_better=True,
            target=None,
            main=False,
            rollup=LAST,
            level="school",
            national=88.3,
        ),
        Indicator(
            id="AS-SCIENCE-CLUBS",
            name=_("Offers science activities or clubs"),
            definition=_("Schools with an approved science or club programme in the running term."),
            formula=_("schools offering science/clubs ÷ schools × 100%"),
            sources=_("approved programmes and their categories"),
            period=_SNAPSHOT,
            document=_("seed 003 (schools offering them: 87.3%); AS-02"),
            unit=PERCENT,
            higher_is_better=True,
            target=None,
            main=False,
            rollup=LAST,
            level="school",
            national=87.3,
        ),
        Indicator(
            id="AS-OUTSIDE-STAFF",
            name=_("Outside staff engaged"),
            definition=_(
                "Approved outside people, valid that day, who teach an approved programme of "
                "the running term."
            ),
            formula=_("count of outside staff engaged"),
            sources=_("outside staff (approved, not expired) attached to programmes"),
            period=_SNAPSHOT,
            document=_("seed 003 (200,000+ outside professionals); seed 004; AS-07"),
            unit=COUNT,
            higher_is_better=True,
            target=None,
            main=False,
            rollup=LAST,
            level="school",
        ),
        Indicator(
            id="AT-UNEXPLAINED",
            name=_("Unexplained absences"),
            definition=_(
                "After-school attendance rows left as absent without explanation on the day of "
                "the session."
            ),
            formula=_("count of attendance rows in state absent, unexplained"),
            sources=_("after-school attendance rows (afternoon sessions)"),
            period=_SUMMED,
            document=_("seed 001 篇七 (daily attendance and hand-over); AS-08"),
            unit=COUNT,
            higher_is_better=False,
            target=0.0,
            main=False,
        ),
        Indicator(
            id="SV-SATISFACTION",
            name=_("Parents satisfied"),
            definition=_(
                "Respondents of closed anonymous questionnaires affirming overall satisfaction, "
                "counted on the day the survey closed; a school whose group the survey would "
                "not show (too few answers) is left out."
            ),
            formula=_("respondents satisfied ÷ respondents answering × 100%"),
            sources=_("anonymous questionnaire results per school (suppression applied)"),
            period=_SUMMED,
            document=_("seed 003 (satisfied: 97.3%; 77 million questionnaires); SV-05"),
            unit=PERCENT,
            higher_is_better=True,
            target=None,
            main=False,
            level="school",
            national=97.3,
        ),
        Indicator(
            id="SV-AS-SATISFACTION",
            name=_("Parents satisfied with after-school service"),
            definition=_("As above, for the question on the school's after-school service."),
            formula=_("respondents satisfied ÷ respondents answering × 100%"),
            sources=_("anonymous questionnaire results per school (suppression applied)"),
            period=_SUMMED,
            document=_("seed 003 (satisfied with after-school service: 85.4%); SV-05"),
            unit=PERCENT,
            higher_is_better=True,
            target=None,
            main=False,
            level="school",
            national=85.4,
        ),
        Indicator(
            id="SV-COMPLAINTS-ON-TIME",
            name=_("Complaints closed on time"),
            definition=_(
                "Complaints about the school closed by their deadline, counted on the day they "
                "were closed."
            ),
            formula=_("complaints closed by the deadline ÷ complaints closed × 100%"),
            sources=_("complaints (closed on, deadline in working days)"),
            period=_SUMMED,
            document=_("seed 003 (举报平台, 办结); SV-03"),
            unit=PERCENT,
            higher_is_better=True,
            target=100.0,
            main=False,
            level="school",
        ),
    ]
}

# The figures the satisfaction indicators read from questionnaires (surveys.models.INDICATORS).
SURVEY_KEYS = {"SV-SATISFACTION": "satisfaction", "SV-AS-SATISFACTION": "afterschool_satisfaction"}
