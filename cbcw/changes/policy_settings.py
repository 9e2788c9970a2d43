"""Editing the risk questionnaire, its thresholds and the approval policy (PRODUCT §2.8, admins).

The questions are written one per line, so an admin edits them in one text box:
`key | Question | value = Answer = weight ; value = Answer = weight …`.
"""
import re

from sqlalchemy import delete

from cbcw.changes.requirements import POLICY_KINDS, policy_table
from cbcw.changes.risk import Answer, Question, policy_row, questions, thresholds
from cbcw.changes.type_models import ChangePolicy, RiskQuestion
from cbcw.extensions import db

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTIONS, MAX_ANSWERS, MAX_WEIGHT, LABEL_MAX = 20, 10, 100, 200


class PolicyError(ValueError):
    """A refused edit; the message is shown beside the form."""


def questions_text(organisation_id: int) -> str:
    return "\n".join(
        f"{q.key} | {q.label} | " + " ; ".join(f"{a.value} = {a.label} = {a.weight}" for a in q.answers)
        for q in questions(organisation_id))


def parse_questions(text: str) -> list[Question]:
    """The questions written in `text`, or a PolicyError naming the line that is wrong."""
    found: list[Question] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3:
            raise PolicyError(f"Line {number}: write key | question | answers.")
        key, label, answers_text = parts
        if not KEY.match(key) or any(q.key == key for q in found):
            raise PolicyError(f"Line {number}: the key must be new, lower-case letters, digits or _ "
                              "(up to 40, starting with a letter).")
        if not label or len(label) > LABEL_MAX:
            raise PolicyError(f"Line {number}: give the question (up to {LABEL_MAX} characters).")
        answers = [_answer(number, part) for part in answers_text.split(";") if part.strip()]
        if not 2 <= len(answers) <= MAX_ANSWERS or len({a.value for a in answers}) != len(answers):
            raise PolicyError(f"Line {number}: give 2 to {MAX_ANSWERS} answers, each with its own value.")
        found.append(Question(key, label, tuple(answers)))
    if not 1 <= len(found) <= MAX_QUESTIONS:
        raise PolicyError(f"Write 1 to {MAX_QUESTIONS} questions.")
    return found


def _answer(number: int, text: str) -> Answer:
    parts = [part.strip() for part in text.split("=")]
    if len(parts) != 3 or not KEY.match(parts[0]) or not parts[1] or len(parts[1]) > LABEL_MAX:
        raise PolicyError(f"Line {number}: write each answer as value = answer = weight.")
    if not parts[2].isdecimal() or int(parts[2]) > MAX_WEIGHT:
        raise PolicyError(f"Line {number}: a weight is a whole number from 0 to {MAX_WEIGHT}.")
    return Answer(parts[0], parts[1], int(parts[2]))


def save(organisation_id: int, asked: list[Question], medium: int, high: int,
         approvals: dict[str, list[str]]) -> None:
    """Replace the questionnaire, thresholds and policy; the caller commits. Changes keep the
    answers, score and level they were saved with."""
    if not 0 < medium < high:
        raise PolicyError("The high threshold must be above the medium one, and both above 0.")
    db.session.execute(delete(RiskQuestion).where(RiskQuestion.organisation_id == organisation_id))
    db.session.add_all(RiskQuestion(organisation_id=organisation_id, key=q.key, label=q.label, position=n,
                                    answers=[{"value": a.value, "label": a.label, "weight": a.weight}
                                             for a in q.answers])
                       for n, q in enumerate(asked))
    row = policy_row(organisation_id) or ChangePolicy(organisation_id=organisation_id)
    row.medium_threshold, row.high_threshold = medium, high
    row.approvals = {risk: [k for k in POLICY_KINDS if k in kinds] for risk, kinds in approvals.items()}
    db.session.add(row)
    db.session.flush()


def current(organisation_id: int) -> dict:
    """The values the settings form shows."""
    medium, high = thresholds(organisation_id)
    return {"questions": questions_text(organisation_id), "medium_threshold": medium, "high_threshold": high,
            "approvals": policy_table(organisation_id)}
