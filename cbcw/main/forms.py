"""What every feature's forms share."""
import unicodedata

from wtforms import SelectChoice, ValidationError


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def optional_id(value) -> int | None:
    """Coerce a select's value: blank means "nobody / none"."""
    if value in (None, "", "None"):
        return None
    return int(value)


def single_line(form, field) -> None:
    """Refuse line breaks and other control characters in a one-line value (a title, a name):
    such values end up in mail subjects and page headings."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in field.data or ""):
        raise ValidationError("Use one line of text, without line breaks or control characters.")
