"""The pupils not yet confirmed, as an Excel file for the head teachers' phone calls (SV-07)."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .selectors import Report


def _cell(ws, value, *, bold: bool = False):
    """A write-only cell; text that a spreadsheet would read as a formula stays text."""
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        cell.font = Font(bold=True)
    return cell


def unconfirmed_xlsx(report: Report) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Not confirmed")[:31])
    ws.freeze_panes = "A3"
    for letter, width in zip("ABCDEF", (18, 16, 12, 12, 14, 14), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append([_cell(ws, report.letter.title, bold=True)])
    header = [_("Class"), _("Student number"), _("Name")]
    if report.show_contacts:
        header += [_("Guardian"), _("Guardian mobile")]
    header.append(_("Parent account"))
    ws.append([_cell(ws, h, bold=True) for h in header])
    for p in report.pending:
        row = [str(p.klass), p.student_no, p.name]
        if report.show_contacts:
            row += [p.guardian or "", p.mobile or ""]
        row.append(_("yes") if p.has_account else _("no"))
        ws.append([_cell(ws, v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
