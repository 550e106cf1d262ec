"""A bulletin as an Excel workbook (one sheet per table, numbers as numbers) and as a printable
A4 PDF (SV-02).  The PDF uses reportlab's built-in CID font STSong-Light, so no font file is
needed, and CJK word wrapping so that Chinese lines break between any two characters."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .selectors import BulletinRow, BulletinTable, BulletinView

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def headers() -> list[str]:
    return [
        _("Rank"),
        _("Unit"),
        _("Value"),
        _("Numerator"),
        _("Denominator"),
        _("Rank change"),
        _("Value change"),
        _("Note"),
    ]


def table_name(table: BulletinTable) -> str:
    if table.indicator is None:
        return _("Composite (mean rank over the chosen indicators)")
    return str(table.indicator.name)


def note(row: BulletinRow) -> str:
    parts = []
    if row.rank is None:
        parts.append(
            _("no data: %(ids)s") % {"ids": ", ".join(row.missing)} if row.missing else _("no data")
        )
    if row.bottom:
        parts.append(_("bottom 10"))
    if row.entered_bottom:
        parts.append(_("new in the bottom 10"))
    if row.left_bottom:
        parts.append(_("left the bottom 10"))
    return "; ".join(parts)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _values(row: BulletinRow) -> list:
    return [
        row.rank,
        row.name,
        _round(row.value),
        _round(row.numerator),
        _round(row.denominator),
        row.rank_change,
        _round(row.value_change),
        note(row),
    ]


def period_text(view: BulletinView) -> str:
    b = view.bulletin
    return _("Period %(start)s – %(end)s; issued by %(region)s on %(day)s") % {
        "start": date_format(b.period_start, "Y-m-d"),
        "end": date_format(b.period_end, "Y-m-d"),
        "region": b.region.name,
        "day": date_format(timezone.localtime(b.issued_at), "Y-m-d"),
    }


# -- Excel --------------------------------------------------------------------------------------


def _cell(ws, value, *, bold: bool = False):
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text is never a formula
    if bold:
        cell.font = Font(bold=True)
    return cell


def bulletin_xlsx(view: BulletinView) -> bytes:
    wb = Workbook(write_only=True)
    for table in view.tables:
        ws = wb.create_sheet(table.id[:31])
        ws.freeze_panes = "A4"
        for letter, width in zip("ABCDEFGH", (8, 24, 10, 10, 10, 10, 10, 24), strict=True):
            ws.column_dimensions[letter].width = width
        ws.append([_cell(ws, f"{view.title} · {table_name(table)}", bold=True)])
        ws.append([_cell(ws, period_text(view))])
        ws.append([_cell(ws, h, bold=True) for h in headers()])
        for row in table.rows:
            ws.append([_cell(ws, v) for v in _values(row)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- PDF ----------------------------------------------------------------------------------------


def _styles():
    base = {"fontName": FONT, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", fontSize=18, leading=26, alignment=1, **base),
        "meta": ParagraphStyle("meta", fontSize=10, leading=15, alignment=1, **base),
        "h2": ParagraphStyle("h2", fontSize=13, leading=19, spaceBefore=8, spaceAfter=4, **base),
        "cell": ParagraphStyle("cell", fontSize=9, leading=12, **base),
    }


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _page_number(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(A4[0] / 2, 10 * mm, _("Page %(n)d") % {"n": doc.page})
    canvas.restoreState()


def bulletin_pdf(view: BulletinView) -> bytes:
    st = _styles()
    story = [
        Paragraph(escape(view.title), st["title"]),
        Paragraph(escape(period_text(view)), st["meta"]),
        Spacer(1, 6 * mm),
    ]
    widths = [12 * mm, 46 * mm, 16 * mm, 18 * mm, 18 * mm, 16 * mm, 16 * mm, 38 * mm]
    for table in view.tables:
        story.append(Paragraph(escape(table_name(table)), st["h2"]))
        data = [[Paragraph(escape(h), st["cell"]) for h in headers()]]
        data += [[Paragraph(escape(_text(v)), st["cell"]) for v in _values(r)] for r in table.rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        for n, r in enumerate(table.rows, start=1):
            if r.bottom:
                style.append(("BACKGROUND", (0, n), (-1, n), colors.HexColor("#fdecea")))
        t.setStyle(TableStyle(style))
        story.append(t)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=view.title,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buf.getvalue()
