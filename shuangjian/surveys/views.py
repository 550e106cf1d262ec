"""Questionnaire pages (SV-05).  Thin: parse input → access → one service or selector → render.

The owner's pages (lists, builder, invitations, results) need a login; the parents' answer
pages do not, and keep nothing about the visitor.
"""

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from shuangjian.org.access import access_region, access_school
from shuangjian.org.auth import client_ip
from shuangjian.org.models import RegionRole
from shuangjian.params import int_param

from . import selectors, services
from .access import MANAGERS, access_survey
from .forms import AnswerForm, CodeForm, InviteForm, QuestionForm, SurveyForm
from .models import Question, Survey
from .selectors import Group

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ints(values) -> list[int] | None:
    """Posted ids; None when one of them is not an id at all."""
    out = [int_param(v) for v in values]
    return None if None in out else out


def _add_errors(form, exc: ValidationError) -> None:
    """A service's refusal as form errors, on the field it names."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, exc.messages)


def _owner_url(survey: Survey) -> str:
    if survey.region_id is not None:
        return reverse("surveys_region", args=[survey.region_id])
    return reverse("surveys_school", args=[survey.school_id])


def _back(sa) -> str:
    """Where the survey list of this viewer is."""
    scope = sa.scope
    if scope is not None and scope.school_id is not None:
        return reverse("surveys_school", args=[scope.school_id])
    if scope is not None and scope.region_id is not None:
        return reverse("surveys_region", args=[scope.region_id])
    return _owner_url(sa.survey)


# -- Lists and creating ------------------------------------------------------------------------


def _create(request, **owner):
    """The two create buttons of a list page: a blank survey or the standard one."""
    action = request.POST.get("action")
    form = SurveyForm(request.POST if action == "create" else None)
    if action == "standard":
        survey = services.create_standard_survey(actor=request.user, **owner)
    elif action == "create":
        if not form.is_valid():
            return form
        try:
            survey = services.create_survey(actor=request.user, **owner, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
            return form
    else:
        return HttpResponseBadRequest()
    messages.success(request, _("Questionnaire created as a draft."))
    return redirect("survey", survey_id=survey.id)


@login_required
def region_surveys(request, region_id: int):
    role, region = access_region(request.user, region_id)
    officer = role.kind == RegionRole.Kind.OFFICER
    form = SurveyForm()
    if request.method == "POST":
        if not officer:
            raise PermissionDenied("manage_survey")
        result = _create(request, region=region)
        if not isinstance(result, SurveyForm):
            return result
        form = result
    return render(
        request,
        "surveys/list.html",
        {
            "owner_name": region.name,
            "home_url": reverse("region", args=[region.id]),
            "surveys": selectors.region_surveys(region),
            "others": selectors.surveys_from_above(region),
            "others_title": _("Surveys of higher bureaus in this region"),
            "can_create": officer,
            "form": form,
        },
    )


@login_required
def school_surveys(request, school_id: int):
    acc = access_school(request.user, school_id)
    manage = bool(acc.roles & MANAGERS)
    if not manage and acc.official is None:
        raise PermissionDenied("view_surveys")
    form = SurveyForm()
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("manage_survey")
        result = _create(request, school=acc.school)
        if not isinstance(result, SurveyForm):
            return result
        form = result
    return render(
        request,
        "surveys/list.html",
        {
            "owner_name": acc.school.name,
            "home_url": reverse("school", args=[acc.school.id]),
            "surveys": selectors.school_surveys(acc.school),
            "others": selectors.bureau_surveys_for_school(acc.school),
            "others_title": _("Bureau surveys of this school's parents"),
            "can_create": manage,
            "form": form,
        },
    )


# -- Builder -----------------------------------------------------------------------------------


@login_required
def survey_detail(request, survey_id: int):
    sa = access_survey(request.user, survey_id)
    survey = sa.survey
    settings_form = SurveyForm(
        initial={
            "title": survey.title,
            "intro": survey.intro,
            "min_group_size": survey.min_group_size,
        }
    )
    question_form = QuestionForm(initial={"required": True})
    if request.method == "POST":
        sa.require_manage()
        action = request.POST.get("action")
        try:
            if action == "settings":
                settings_form = SurveyForm(request.POST)
                if settings_form.is_valid():
                    services.update_survey(survey=survey, **settings_form.cleaned_data)
                    messages.success(request, _("Saved."))
                    return redirect("survey", survey_id=survey.id)
            elif action == "question":
                question_form = QuestionForm(request.POST)
                if question_form.is_valid():
                    data = question_form.cleaned_data
                    services.add_question(
                        survey=survey,
                        kind=data["kind"],
                        text=data["text"],
                        choices=data["choice_list"],
                        required=data["required"],
                        indicator=data["indicator"],
                        affirms=data["affirm_list"],
                    )
                    messages.success(request, _("Question added."))
                    return redirect("survey", survey_id=survey.id)
            elif action in ("remove", "open", "close"):
                if action == "remove":
                    question = get_object_or_404(
                        Question, survey=survey, id=int_param(request.POST.get("question"))
                    )
                    services.remove_question(question=question)
                elif action == "open":
                    services.open_survey(survey=survey)
                    messages.success(request, _("The survey is open: codes can now be used."))
                else:
                    services.close_survey(survey=survey)
                    messages.success(request, _("The survey is closed."))
                return redirect("survey", survey_id=survey.id)
            else:
                return HttpResponseBadRequest()
        except ValidationError as exc:
            if action == "settings":
                _add_errors(settings_form, exc)
            elif action == "question":
                _add_errors(question_form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
                return redirect("survey", survey_id=survey.id)
    tree = selectors.scoped(selectors.group_tree(survey), sa.scope)
    return render(
        request,
        "surveys/detail.html",
        {
            "sa": sa,
            "survey": survey,
            "questions": selectors.questions(survey),
            "tree": tree,
            "back_url": _back(sa),
            "settings_form": settings_form,
            "question_form": question_form,
            "draft": survey.status == Survey.Status.DRAFT,
        },
    )


# -- Invitations -------------------------------------------------------------------------------


def _slips_xlsx(survey: Survey, slips: list[services.Slip], answer_url: str) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "codes"
    ws.append([_("School code"), _("School"), _("Class"), _("Survey code"), _("Link")])
    for s in slips:
        ws.append([s.school_code, s.school, s.class_name, s.code, f"{answer_url}{s.code}/"])
    out = BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=survey-{survey.id}-codes.xlsx"
    response["Cache-Control"] = "no-store"
    return response


@login_required
def invite(request, survey_id: int):
    sa = access_survey(request.user, survey_id)
    sa.require_manage()
    survey = sa.survey
    bureau = survey.region_id is not None
    schools = list(selectors.invitable_schools(survey))
    classes = [] if bureau else list(selectors.invitable_classes(survey))
    grades = {g for s in schools for g in s.grade_range}
    form = InviteForm(
        request.POST or None, schools=schools, classes=classes, grades=grades, bureau=bureau
    )
    if request.method == "POST":
        school_ids = _ints(request.POST.getlist("schools")) if bureau else []
        class_ids = [] if bureau else _ints(request.POST.getlist("classes"))
        grade_values = _ints(request.POST.getlist("grades"))
        if school_ids is None or class_ids is None or grade_values is None:
            raise Http404
        picked = selectors.classes_to_invite(
            survey, school_ids=school_ids, grades=grade_values, class_ids=class_ids
        )
        if picked is None:  # another school's class, or a school outside the region
            raise Http404
        if form.is_valid():
            try:
                slips = services.invite_parents(survey=survey, classes=picked)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                answer_url = request.build_absolute_uri(reverse("survey_answer_start"))
                if not slips:
                    form.add_error(None, _("Every pupil of these classes already has a code."))
                elif form.cleaned_data["output"] == "xlsx":
                    return _slips_xlsx(survey, slips, answer_url)
                else:
                    response = render(
                        request,
                        "surveys/slips.html",
                        {"survey": survey, "slips": slips, "answer_url": answer_url},
                    )
                    response["Cache-Control"] = "no-store"
                    return response
    return render(
        request,
        "surveys/invite.html",
        {"survey": survey, "form": form, "classes": classes, "bureau": bureau},
    )


# -- Results -----------------------------------------------------------------------------------


@login_required
def results(request, survey_id: int):
    sa = access_survey(request.user, survey_id)
    key = request.GET.get("group")
    group = None if key is None else Group.from_key(key)
    if key is not None and group is None:
        raise Http404
    try:
        res = selectors.results(sa.survey, scope=sa.scope, group=group)
    except LookupError:
        raise Http404 from None
    rows = [
        {"node": node, "note": selectors.label(node), "indent": node.depth - res.tree.depth}
        for node in res.tree.walk()
    ]
    return render(
        request,
        "surveys/results.html",
        {
            "sa": sa,
            "survey": sa.survey,
            "res": res,
            "rows": rows,
            "note": selectors.label(res.node),
            "back_url": _back(sa),
        },
    )


# -- Answering (public) ------------------------------------------------------------------------


def _code_page(request, *, invalid: bool = False, form=None):
    response = render(
        request,
        "surveys/answer_start.html",
        {"form": form or CodeForm(), "invalid": invalid},
        status=404 if invalid else 200,
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
def answer_start(request):
    """Enter the code on the slip (or arrive with ?code= from a QR code)."""
    if "code" in request.GET:
        form = CodeForm(request.GET)
        if form.is_valid():
            code = services.normalise_code(form.cleaned_data["code"])
            if code:
                return redirect("survey_answer", code=code)
        return _code_page(request, form=form)
    return _code_page(request)


@never_cache
def answer(request, code: str):
    """The questionnaire behind a code; posting it records the answers and uses the code up."""
    invitation = services.find_invitation(code, client_ip(request))
    if invitation is None:
        return _code_page(request, invalid=True)
    survey = invitation.survey
    form = AnswerForm(request.POST or None, questions=list(selectors.questions(survey)))
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_response(code=code, answers=form.answers())
        except ValidationError as exc:
            if getattr(exc, "code", "") == "invalid_code":
                return _code_page(request, invalid=True)
            _add_errors(form, exc)
        else:
            return redirect("survey_answer_done")
    invitation_class = invitation.school_class
    response = render(
        request,
        "surveys/answer.html",
        {
            "survey": survey,
            "form": form,
            "school": invitation.school,
            "klass": invitation_class,
        },
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
def answer_done(request):
    return render(request, "surveys/answer_done.html")
