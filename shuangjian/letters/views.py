"""Letter pages (SV-07).  Thin: parse input → access → one service or selector → render.

School side: the list, a draft (write, check the audience, send), the figures of a sent letter
(remind, close, paper slips) and its export.  Parent side: the letters of each child and one
letter with its receipt.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from shuangjian.org.access import access_child, access_school
from shuangjian.org.models import SchoolClass
from shuangjian.params import int_param

from . import rights, selectors, services
from .export import unconfirmed_xlsx
from .forms import LetterForm, ReceiptForm
from .models import Delivery, Letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
State = Letter.State


def _add_errors(form, exc: ValidationError) -> None:
    """A service's refusal as form errors, on the field it names."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, exc.messages)


# -- School side --------------------------------------------------------------------------------


def _check_posted_audience(acc, post) -> None:
    """Before the form: a class of another school is a 404, an audience the role may not write
    to is a 403 (a head teacher writes to their own class only)."""
    ids = {i for i in (int_param(v) for v in post.getlist("classes")) if i is not None}
    found = set(
        SchoolClass.objects.filter(school=acc.school, id__in=ids).values_list("id", flat=True)
    )
    if ids - found:
        raise Http404
    audience = post.get("audience")
    if audience not in Letter.Audience.values:
        return  # the form says what is wrong
    if audience == Letter.Audience.CLASSES and not found:
        return  # "choose at least one class"
    rights.require_send_to(acc, audience, found if audience == Letter.Audience.CLASSES else ())


def _letter_form(acc, data=None, initial=None) -> LetterForm:
    grades = sorted(
        set(SchoolClass.objects.filter(school=acc.school).values_list("grade", flat=True))
    )
    return LetterForm(
        data,
        initial=initial,
        grades=grades,
        classes=rights.sendable_classes(acc),
        school_wide=rights.school_wide(acc),
    )


def _letter_data(form: LetterForm) -> dict:
    d = form.cleaned_data
    return {
        "title": d["title"],
        "body": d["body"],
        "kind": d["kind"],
        "question": d["question"],
        "answer_kind": d["answer_kind"],
        "options": d["options"],
        "reply_by": d["reply_by"],
        "audience": d["audience"],
        "grades": d["grades"],
        "classes": list(d["classes"]),
    }


@login_required
def school_letters(request, school_id: int):
    acc = access_school(request.user, school_id)
    can_write = rights.may_write(acc)
    if not (can_write or acc.roster_classes().exists()):
        raise PermissionDenied("view_letters")
    return render(
        request,
        "letters/school.html",
        {"school": acc.school, "rows": selectors.staff_letters(acc), "can_write": can_write},
    )


@login_required
def new_letter(request, school_id: int):
    acc = access_school(request.user, school_id)
    if not rights.may_write(acc):
        raise PermissionDenied("send_letter")
    if request.method == "POST":
        _check_posted_audience(acc, request.POST)
        form = _letter_form(acc, request.POST)
        if form.is_valid():
            try:
                letter = services.create_letter(acc=acc, **_letter_data(form))
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Draft saved. Check it, then send it."))
                return redirect("letter_edit", school_id=school_id, letter_id=letter.id)
    else:
        initial = {"kind": Letter.Kind.RECEIPT, "answer_kind": Letter.AnswerKind.CHOICE}
        if rights.school_wide(acc):
            initial["audience"] = Letter.Audience.SCHOOL
        else:
            initial["audience"] = Letter.Audience.CLASSES
            initial["classes"] = list(rights.sendable_classes(acc))
        form = _letter_form(acc, initial=initial)
    return render(request, "letters/edit.html", {"school": acc.school, "form": form})


def _school_letter(acc, letter_id: int) -> Letter:
    return get_object_or_404(
        Letter.objects.prefetch_related("classes").select_related("author", "sent_by"),
        school=acc.school,
        id=letter_id,
    )


@login_required
def edit_letter(request, school_id: int, letter_id: int):
    acc = access_school(request.user, school_id)
    letter = _school_letter(acc, letter_id)
    if letter.state != State.DRAFT:
        return redirect("letter_report", school_id=school_id, letter_id=letter.id)
    if not rights.may_manage(acc, letter):
        raise PermissionDenied("manage_letter")
    form = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "send":
            try:
                result = services.send_letter(acc=acc, letter=letter)
            except ValidationError as exc:
                for m in exc.messages:
                    messages.error(request, m)
                return redirect("letter_edit", school_id=school_id, letter_id=letter.id)
            messages.success(
                request,
                _(
                    "Sent to the families of %(pupils)d pupils; %(parents)d parent accounts notified."
                )
                % {"pupils": result.pupils, "parents": result.parents},
            )
            return redirect("letter_report", school_id=school_id, letter_id=letter.id)
        if action == "delete":
            services.delete_draft(acc=acc, letter=letter)
            messages.success(request, _("Draft deleted."))
            return redirect("letters", school_id=school_id)
        if action != "save":
            return HttpResponseBadRequest()
        _check_posted_audience(acc, request.POST)
        form = _letter_form(acc, request.POST)
        if form.is_valid():
            try:
                services.update_letter(acc=acc, letter=letter, **_letter_data(form))
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("letter_edit", school_id=school_id, letter_id=letter.id)
    if form is None:
        form = _letter_form(acc, initial=LetterForm.initial_from(letter))
    pupils = selectors.audience_pupils(letter)
    return render(
        request,
        "letters/edit.html",
        {
            "school": acc.school,
            "letter": letter,
            "form": form,
            "audience": selectors.audience_label(letter),
            "pupil_count": pupils.count(),
            "parent_count": selectors.parents_of_pupils(pupils).count(),
        },
    )


def _report_access(acc, letter: Letter):
    """(may manage, the classes this reader sees): a draft is for its managers only."""
    manage = rights.may_manage(acc, letter)
    classes = selectors.letter_classes(letter)
    visible = classes if manage else [k for k in classes if acc.can_view_roster(k)]
    if letter.state == State.DRAFT or not visible:
        raise PermissionDenied("view_letter")
    return manage, classes, visible


def _report(acc, letter: Letter, classes, visible) -> selectors.Report:
    return selectors.report(
        letter,
        visible,
        contact_ids=rights.contact_class_ids(acc, visible),
        record_ids={k.id for k in visible if rights.may_record_paper(acc, k)},
        whole=len(visible) == len(classes),
    )


def _paper(request, acc, letter, visible):
    ids = {k.id for k in visible}
    delivery = get_object_or_404(
        Delivery, letter=letter, id=int_param(request.POST.get("delivery")), school_class_id__in=ids
    )
    form = ReceiptForm(request.POST, letter=letter)
    if not form.is_valid():
        messages.error(request, _("Choose the answer written on the slip."))
        return
    try:
        services.record_paper_receipt(
            acc=acc, delivery=delivery, answer=form.cleaned_data.get("answer", "")
        )
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(
            request, _("Paper slip recorded for %(name)s.") % {"name": delivery.student.name}
        )


@login_required
def letter_report(request, school_id: int, letter_id: int):
    acc = access_school(request.user, school_id)
    letter = _school_letter(acc, letter_id)
    if letter.state == State.DRAFT and rights.may_manage(acc, letter):
        return redirect("letter_edit", school_id=school_id, letter_id=letter.id)
    manage, classes, visible = _report_access(acc, letter)
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("remind", "close") and not manage:
            raise PermissionDenied("manage_letter")
        try:
            if action == "remind":
                r = services.remind(acc=acc, letter=letter)
                messages.success(
                    request,
                    _("Reminded the parents of %(pupils)d pupils (%(parents)d accounts).")
                    % {"pupils": r.pupils, "parents": r.parents},
                )
            elif action == "close":
                services.close_letter(acc=acc, letter=letter)
                messages.success(request, _("Closed: no more receipts are taken."))
            elif action == "paper":
                _paper(request, acc, letter, visible)
            else:
                return HttpResponseBadRequest()
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        return redirect("letter_report", school_id=school_id, letter_id=letter.id)
    return render(
        request,
        "letters/report.html",
        {
            "school": acc.school,
            "letter": letter,
            "audience": selectors.audience_label(letter),
            "report": _report(acc, letter, classes, visible),
            "manage": manage,
        },
    )


@login_required
def letter_export(request, school_id: int, letter_id: int):
    acc = access_school(request.user, school_id)
    letter = _school_letter(acc, letter_id)
    _manage, classes, visible = _report_access(acc, letter)
    content = unconfirmed_xlsx(_report(acc, letter, classes, visible))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="letter-{letter.id}-not-confirmed.xlsx"'
    )
    return response


# -- Parent side --------------------------------------------------------------------------------


@login_required
def parent_letters(request):
    return render(
        request, "letters/parent_list.html", {"children": selectors.parent_letters(request.user)}
    )


@login_required
def child_letter(request, student_id: int, letter_id: int):
    child = access_child(request.user, student_id)
    delivery = selectors.child_delivery(child, letter_id)
    letter = delivery.letter
    state = selectors.receipt_state(delivery, request.user)
    initial = {"answer": delivery.answer} if state.mine else None
    data = request.POST if request.method == "POST" else None  # a receipt posts no field
    form = ReceiptForm(data, letter=letter, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_receipt(
                user=request.user, delivery=delivery, answer=form.cleaned_data.get("answer", "")
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your reply is recorded."))
            return redirect("child_letter", student_id=child.id, letter_id=letter.id)
    return render(
        request,
        "letters/child.html",
        {
            "child": child,
            "delivery": delivery,
            "letter": letter,
            "state": state,
            "form": form,
            "back": reverse("parent_letters"),
        },
    )
