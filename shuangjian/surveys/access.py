"""Who reaches a questionnaire, and how far (SV-05), on top of `org.access`.

* A bureau survey: officers of the owning region and above manage it; inspectors there read all
  of its results.  Officers and inspectors of a region below, and the principal and academic
  office of an invited school, read the results of their own region or school only.  Other
  staff of an invited school: 403.  Anyone else (other counties, parents): 404.
* A school survey: the school's principal and academic office manage it; officials above the
  school read it; the school's other staff: 403; anyone else: 404.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from shuangjian.org.access import access_school
from shuangjian.org.models import RegionRole, Role, Staff, User

from .models import Invitee, Survey
from .selectors import Group, schools_below

MANAGERS = {Role.PRINCIPAL, Role.ACADEMIC}


@dataclass
class SurveyAccess:
    survey: Survey
    manage: bool = False
    scope: Group | None = None  # None: the whole survey

    def require_manage(self) -> None:
        if not self.manage:
            raise PermissionDenied("manage_survey")


def _survey(survey_id: int) -> Survey:
    survey = (
        Survey.objects.select_related("region__parent__parent", "school__county__parent__parent")
        .filter(id=survey_id)
        .first()
    )
    if survey is None:
        raise Http404
    return survey


def _bureau_access(user: User, survey: Survey) -> SurveyAccess:
    chain = {r.id for r in survey.region.ancestors_and_self()}
    roles = list(RegionRole.objects.filter(user=user).select_related("region__parent__parent"))
    above = [r for r in roles if r.region_id in chain]
    if above:
        officer = any(r.kind == RegionRole.Kind.OFFICER for r in above)
        return SurveyAccess(survey=survey, manage=officer)
    for role in roles:  # a region below the owner: its own part, if the survey reached it
        below = role.region.ancestors_and_self()[1:]
        if any(r.id == survey.region_id for r in below):
            schools = schools_below(role.region)
            if Invitee.objects.filter(survey=survey, school__in=schools).exists():
                return SurveyAccess(survey=survey, scope=Group(region_id=role.region_id))
    posts = Staff.objects.filter(user=user, active=True).prefetch_related("roles")
    reached = False
    for post in posts:
        if not Invitee.objects.filter(survey=survey, school_id=post.school_id).exists():
            continue
        reached = True
        if {r.role for r in post.roles.all()} & MANAGERS:
            return SurveyAccess(survey=survey, scope=Group(school_id=post.school_id))
    if reached:
        raise PermissionDenied("view_survey")
    raise Http404


def access_survey(user: User, survey_id: int) -> SurveyAccess:
    """The user's access to a survey's builder and results, or 404 / 403."""
    if not user.is_authenticated:
        raise Http404
    survey = _survey(survey_id)
    if survey.region_id is not None:
        return _bureau_access(user, survey)
    acc = access_school(user, survey.school_id)  # 404 for outsiders
    if acc.official is not None:
        return SurveyAccess(survey=survey)
    if acc.roles & MANAGERS:
        return SurveyAccess(survey=survey, manage=True)
    raise PermissionDenied("view_survey")
