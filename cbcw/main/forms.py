"""What every feature's forms share."""
from wtforms import SelectChoice


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def optional_id(value) -> int | None:
    """Coerce a select's value: blank means "nobody / none"."""
    if value in (None, "", "None"):
        return None
    return int(value)
