"""Excel sheets (openpyxl): the monthly subsidy sheet (AS-11), the semester scores with their
evidence (AS-12) and the teacher evaluation (AS-11, AS-12 结果运用).  Numbers stay numbers; text
that a spreadsheet would read as a formula stays text."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .selectors import Evaluation, ProgrammeScore, SubsidySheet


def _cell(ws, value, *, bold: bool = False):
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        cell.font = Font(bold=True)
    return cell


def _book(title: str, sheet: str, header: list[str], rows: list[list], widths: list[int]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.freeze_panes = "A3"
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.append([_cell(ws, title, bold=True)])
    ws.append([_cell(ws, h, bold=True) for h in header])
    for row in rows:
        ws.append([_cell(ws, v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def subsidy_xlsx(sheet: SubsidySheet) -> bytes:
    rates = "；".join(
        _("%(term)s: ¥%(rate)s per session, outside staff ¥%(outside)s")
        % {"term": r.term.name, "rate": r.rate, "outside": r.outside_rate}
        for r in sheet.rates
    )
    title = _("%(school)s after-school subsidy %(month)s (%(rates)s)") % {
        "school": sheet.school.name,
        "month": f"{sheet.month:%Y-%m}",
        "rates": rates or _("no rate set"),
    }
    header = [
        _("Staff number"),
        _("Name"),
        _("Outside staff"),
        _("Sessions held"),
        _("Sessions without a rate"),
        _("Subsidy (yuan)"),
    ]
    rows = [
        [
            r.staff_no,
            r.name,
            _("yes") if r.outside else _("no"),
            r.sessions,
            r.without_rate,
            float(r.amount),
        ]
        for r in sheet.rows
    ]
    rows.append(
        [
            _("Total"),
            "",
            "",
            sheet.total_sessions,
            sheet.without_rate,
            float(sheet.total_amount),
        ]
    )
    return _book(title, _("Subsidy"), header, rows, [14, 14, 10, 12, 14, 14])


def _points(part) -> float | str:
    return part.points if part.points is not None else _("no data")


def scores_xlsx(school, term, rows: list[ProgrammeScore]) -> bytes:
    title = _("%(school)s after-school semester scores, %(term)s") % {
        "school": school.name,
        "term": term.name,
    }
    header = [
        _("Programme"),
        _("Patrol (50)"),
        _("Patrols"),
        _("Breaches"),
        _("Bad-influence events"),
        _("Serious accidents"),
        _("Plan completion (20)"),
        _("Sessions held"),
        _("Sessions scheduled"),
        _("Effectiveness (20)"),
        _("Evidence"),
        _("Satisfaction (10)"),
        _("Ratings"),
        _("Satisfied"),
        _("Total (100)"),
    ]
    out = []
    for r in rows:
        s = r.score
        p, plan, eff, sat = s.patrol.evidence, s.plan.evidence, s.effectiveness, s.satisfaction
        out.append(
            [
                r.programme.name,
                _points(s.patrol),
                p["patrols"],
                p["breaches"],
                p["bad_influence"],
                p["serious_accidents"],
                _points(s.plan),
                plan["held"],
                plan["scheduled"],
                _points(eff),
                eff.evidence["text"],
                _points(sat),
                sat.evidence["ratings"],
                sat.evidence["satisfied"],
                s.total if s.total is not None else _("incomplete"),
            ]
        )
    return _book(title, _("Scores"), header, out, [18] + [10] * 9 + [30] + [10] * 4)


def evaluation_xlsx(school, evaluation: Evaluation) -> bytes:
    rate = evaluation.rate
    title = _(
        "%(school)s teacher participation in after-school service, %(term)s: "
        "%(taking)s of %(staff)s staff (%(rate)s)"
    ) % {
        "school": school.name,
        "term": evaluation.term.name,
        "taking": evaluation.taking_part,
        "staff": evaluation.staff_count,
        "rate": f"{rate}%" if rate is not None else _("no data"),
    }
    header = [_("Staff number"), _("Name"), _("Sessions held"), _("Programmes and scores")]
    rows = []
    for r in evaluation.rows:
        parts = [
            f"{p.programme.name} {p.score.total if p.score.total is not None else _('incomplete')}"
            for p in r.programmes
        ]
        rows.append([r.staff.staff_no, r.staff.name, r.sessions, "；".join(parts)])
    return _book(title, _("Teachers"), header, rows, [14, 14, 12, 50])
