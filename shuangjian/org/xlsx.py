"""Reading large .xlsx files quickly: openpyxl opens the package, a plain loop reads the cells.

openpyxl's read-only mode builds a descriptor-checked object per shared string and a dict per
cell (about 40 µs a cell), and when a sheet has no <dimension> element, as files written by
openpyxl itself, it parses the whole sheet once more just to size it: together two thirds of a
roster import.  Here openpyxl still reads the package (content types, workbook, relationships,
styles, date system, sheet order); only the shared-string table and the rows of a sheet are
parsed with a plain ElementTree loop.  The values are the ones openpyxl's
`iter_rows(values_only=True)` gives with `data_only=True`: text, int, float, bool,
datetime/time/timedelta for numbers with a date format, error text such as "#N/A", and the
cached result of a formula.
"""

from collections.abc import Iterator
from contextlib import suppress
from typing import IO, Any
from xml.etree.ElementTree import iterparse

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

_ROW = f"{{{SHEET_MAIN_NS}}}row"
_DIMENSION = f"{{{SHEET_MAIN_NS}}}dimension"
_VALUE = f"{{{SHEET_MAIN_NS}}}v"
_INLINE = f"{{{SHEET_MAIN_NS}}}is"
_TEXT = f"{{{SHEET_MAIN_NS}}}t"
_RUN = f"{{{SHEET_MAIN_NS}}}r"
_STRING_ITEM = f"{{{SHEET_MAIN_NS}}}si"
_DIGITS = "0123456789"
# Excel's own limits (XFD1048576).  A file claiming a cell beyond them is refused before a row
# of millions of empty cells is built for it.
MAX_COLUMN, MAX_ROW = 16_384, 1_048_576


def _content(node: Any) -> str:
    """A string item's text: its plain part and its rich-text runs, without phonetic guides."""
    if len(node) == 1 and node[0].tag == _TEXT:  # the usual case: plain text only
        return node[0].text or ""
    parts = []
    for child in node:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.append(child.findtext(_TEXT) or "")
    return "".join(parts)


def _column(letters: str) -> int:
    """1 for "A", 27 for "AA"."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _number(text: str) -> int | float:
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


class Reader(ExcelReader):
    """An opened .xlsx: `sheets` lists the worksheet parts in the workbook's order (chart
    sheets left out), `rows(sheet)` reads one.  Raises on anything that is not a readable
    .xlsx package; close() when done."""

    def __init__(self, file: str | IO[bytes]):
        super().__init__(file, read_only=True, data_only=True)
        try:
            self.read_manifest()
            self.read_strings()
            self.read_workbook()
            apply_stylesheet(self.archive, self.wb)
            self.sheets = [
                rel.target
                for _sheet, rel in self.parser.find_sheets()
                if rel.target in self.valid_files and "chartsheet" not in rel.Type
            ]
        except BaseException:
            self.archive.close()
            raise
        self.size: int | None = None  # the last row <dimension> claims, once rows() passed it

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        strings = self.shared_strings
        with self.archive.open(part.PartName[1:]) as src:
            for _event, node in iterparse(src):
                if node.tag == _STRING_ITEM:
                    strings.append(_content(node).replace("x005F_", ""))
                    node.clear()

    def close(self) -> None:
        self.archive.close()

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple]]:
        """(Excel row number, cell values) of every row the sheet stores, in order.

        A row holds the values up to its last stored cell, None where a cell is missing; rows
        the file leaves out are skipped, where openpyxl's iter_rows yields empty rows.
        """
        strings = self.shared_strings
        epoch = self.wb.epoch
        dates = self.wb._date_formats
        durations = self.wb._timedelta_formats
        columns: dict[str, int] = {}  # "AB" → 28
        row_number = 0
        with self.archive.open(sheet) as src:
            for _event, element in iterparse(src):
                if element.tag != _ROW:
                    if element.tag == _DIMENSION:
                        with suppress(TypeError, ValueError):  # a size hint, only for progress
                            self.size = range_boundaries(element.get("ref", ""))[3]
                    continue
                r = element.get("r")
                row_number = int(float(r)) if r else row_number + 1
                if not 1 <= row_number <= MAX_ROW:
                    raise ValueError(f"row {row_number} is outside a worksheet")
                values: list[Any] = []
                column = 0
                for cell in element:
                    ref = cell.get("r")
                    if ref:
                        letters = ref.rstrip(_DIGITS)
                        column = columns.get(letters) or columns.setdefault(
                            letters, _column(letters)
                        )
                    else:
                        column += 1
                    if not 1 <= column <= MAX_COLUMN:
                        raise ValueError(f"cell {ref} is outside a worksheet")
                    kind = cell.get("t", "n")
                    if kind == "inlineStr":
                        inline = cell.find(_INLINE)
                        value = _content(inline) if inline is not None else None
                    else:
                        value = cell.findtext(_VALUE) or None
                        if value is None:
                            pass
                        elif kind == "n":
                            value = _number(value)
                            style = int(cell.get("s", 0))
                            if style in dates:
                                try:
                                    value = from_excel(value, epoch, timedelta=style in durations)
                                except (OverflowError, ValueError):
                                    value = "#VALUE!"
                        elif kind == "s":
                            value = strings[int(value)]
                        elif kind == "b":
                            value = bool(int(value))
                        elif kind == "d":
                            value = from_ISO8601(value)
                    if column == len(values) + 1:
                        values.append(value)
                    elif column > len(values):  # cells left out
                        values += [None] * (column - 1 - len(values))
                        values.append(value)
                    else:  # cells out of order
                        values[column - 1] = value
                element.clear()
                if values:
                    yield row_number, tuple(values[:column])  # up to the last cell, as openpyxl
