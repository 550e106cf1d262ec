"""Questionnaire API: the public answer endpoints (SV-05).  No login: the code is the key.

An unknown, used or closed code is a 404 with one and the same body, so a guesser learns
nothing.  Bad answers are a 422 naming the question (`field: "q<id>"`, `question`, `position`).
"""

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from shuangjian.errors import RuleViolation
from shuangjian.org.auth import client_ip

from . import selectors, services

router = Router(tags=["surveys"])


class ChoiceOut(Schema):
    id: int
    text: str


class QuestionOut(Schema):
    id: int
    position: int
    kind: str = Field(..., description="single, multiple, scale (1–5) or text (≤ 500 chars)")
    text: str
    required: bool
    choices: list[ChoiceOut]


class SurveyOut(Schema):
    title: str
    intro: str
    school: str
    school_class: str
    questions: list[QuestionOut]


class AnswerIn(Schema):
    question: int
    choice: int | None = Field(None, description="single choice: the choice id")
    choices: list[int] | None = Field(None, description="multiple choice: the choice ids")
    value: int | None = Field(None, description="scale: 1–5")
    text: str | None = Field(None, description="short text: at most 500 characters")


class ResponseIn(Schema):
    answers: list[AnswerIn] = Field(..., max_length=100)


class Message(Schema):
    code: str
    message: str


def _not_found():
    return Status(404, {"code": "invalid_code", "message": services.invalid_code().messages[0]})


@router.get(
    "/surveys/answer/{code}",
    auth=None,
    response={200: SurveyOut, 404: Message},
    summary="The questionnaire behind a one-time code (SV-05)",
)
def questionnaire(request, code: str):
    invitation = services.find_invitation(code, client_ip(request))
    if invitation is None:
        return _not_found()
    survey = invitation.survey
    return {
        "title": survey.title,
        "intro": survey.intro,
        "school": invitation.school.name,
        "school_class": str(invitation.school_class),
        "questions": [
            {
                "id": q.id,
                "position": q.position,
                "kind": q.kind,
                "text": q.text,
                "required": q.required,
                "choices": [{"id": c.id, "text": c.text} for c in q.choices.all()],
            }
            for q in selectors.questions(survey)
        ],
    }


@router.post(
    "/surveys/answer/{code}",
    auth=None,
    response={201: Message, 404: Message},
    summary="Answer the questionnaire; the code is used up (SV-05)",
)
def submit(request, code: str, payload: ResponseIn):
    if services.CODE_GUESSES.blocked(client_ip(request)):
        return _not_found()
    answers: dict = {}
    for a in payload.answers:
        if a.question in answers:
            raise RuleViolation(
                _("Each question is answered once."),
                code="invalid",
                rule=services.RULE,
                field=f"q{a.question}",
                question=a.question,
            )
        given = [v for v in (a.choice, a.choices, a.value, a.text) if v is not None]
        if len(given) > 1:
            raise RuleViolation(
                _("Give one kind of answer per question."),
                code="invalid",
                rule=services.RULE,
                field=f"q{a.question}",
                question=a.question,
            )
        answers[a.question] = given[0] if given else None
    try:
        services.submit_response(code=code, answers=answers)
    except RuleViolation as exc:
        if exc.code == "invalid_code":
            services.CODE_GUESSES.hit(client_ip(request))
            return _not_found()
        raise
    return Status(201, {"code": "recorded", "message": _("Thank you: your answers are recorded.")})
