"""Policy numbers and checks in plain Python (no Django, no database).

Every rule names the document it comes from, so a page can show why a check refused something.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: a document and the clause in it."""

    document: str
    clause: str = ""

    def __str__(self) -> str:
        return f"{self.document} {self.clause}".strip()
