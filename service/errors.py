"""The one exception for "these fields are wrong", raised by every feature's plain functions.

``fields`` maps a form field's name to what is wrong with it ("is required", "must be between
0 and 8760", or a whole sentence); views put each next to its field
(:func:`service.forms.put_errors`), the ingest API and the CLI name them.
"""

from __future__ import annotations


class FieldErrors(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k} {v}" for k, v in fields.items()))
        self.fields = fields
