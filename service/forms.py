"""What every form shares: putting a plain function's field errors on the form."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import flash
from flask_wtf import FlaskForm

from service.i18n import field_error


def put_errors(form: FlaskForm, fields: Mapping[str, str]) -> None:
    """Put each ``{field: problem}`` of a plain function's error next to its field, as a
    sentence ("Name is required."); one about no field on this form is flashed instead.

    A label's hint after a comma or in brackets ("Origins, one per line") is left out of
    the sentence."""
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is None:
            flash(field_error(name.replace("_", " ").capitalize(), message), "error")
            continue
        label = re.split(r",| \(", str(field.label.text), maxsplit=1)[0]
        field.errors = [*field.errors, field_error(label, message)]
