"""The risk questionnaire (PRODUCT §2.8): the organisation's questions, and the score, level and
driving answers a change's answers give.

An organisation uses the default five questions and thresholds until an admin edits them; the
edited ones are rows (`RiskQuestion`, `ChangePolicy`). A change stores its answers, its score and
the answers that drove it, so a later edit of the questions never rewrites an old assessment.
"""
from dataclasses import dataclass

from sqlalchemy import select

from cbcw.changes.errors import LifecycleError
from cbcw.changes.models import RISKS
from cbcw.changes.type_models import ChangePolicy, RiskQuestion
from cbcw.extensions import db

KEY_MAX = 40


@dataclass(frozen=True)
class Answer:
    value: str
    label: str
    weight: int


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    answers: tuple[Answer, ...]

    def answer(self, value: str) -> Answer | None:
        return next((a for a in self.answers if a.value == value), None)


def _question(key: str, label: str, *answers: tuple[str, str, int]) -> Question:
    return Question(key, label, tuple(Answer(*answer) for answer in answers))


DEFAULT_QUESTIONS = (
    _question("users_affected", "How many users are affected?",
              ("none", "None", 0), ("few", "A few (under 20)", 1), ("many", "Many or everyone", 3)),
    _question("services_affected", "Which services are affected?",
              ("none", "None", 0), ("one", "One non-critical service", 1), ("critical", "A critical service", 3)),
    _question("tested", "Was it tested beforehand?",
              ("yes", "Yes, the same change in a test environment", 0), ("partly", "Partly", 1),
              ("no", "No", 2)),
    _question("rollback", "How hard is the rollback?",
              ("easy", "Easy and quick", 0), ("hard", "Slow or partial", 2), ("none", "No rollback possible", 3)),
    _question("business_hours", "Is it inside business hours?",
              ("no", "No", 0), ("yes", "Yes", 2)),
)
# score >= medium → medium; score >= high → high.
DEFAULT_THRESHOLDS = (3, 7)


def questions(organisation_id: int) -> tuple[Question, ...]:
    """The organisation's questionnaire, in order (the defaults until an admin edits it)."""
    with db.session.no_autoflush:
        rows = db.session.scalars(
            select(RiskQuestion).where(RiskQuestion.organisation_id == organisation_id)
            .order_by(RiskQuestion.position, RiskQuestion.id)
        ).all()
    if not rows:
        return DEFAULT_QUESTIONS
    return tuple(Question(row.key, row.label, tuple(Answer(a["value"], a["label"], int(a["weight"]))
                                                    for a in row.answers)) for row in rows)


def policy_row(organisation_id: int) -> ChangePolicy | None:
    """The organisation's edited thresholds and policy, if any. Read without autoflush: an
    operation asking mid-way must not write the change twice (one version bump per operation)."""
    with db.session.no_autoflush:
        return db.session.scalar(select(ChangePolicy).where(ChangePolicy.organisation_id == organisation_id))


def thresholds(organisation_id: int) -> tuple[int, int]:
    row = policy_row(organisation_id)
    return (row.medium_threshold, row.high_threshold) if row else DEFAULT_THRESHOLDS


def is_higher(level: str, than: str) -> bool:
    return level in RISKS and RISKS.index(level) > RISKS.index(than)


@dataclass(frozen=True)
class Assessment:
    score: int
    level: str
    drivers: list[str]  # "Question: answer (+weight)", heaviest first


def assess(organisation_id: int, answers: dict[str, str]) -> Assessment:
    """Score complete answers; refuses an unknown question or answer, or a missing one."""
    asked = questions(organisation_id)
    unknown = set(answers) - {q.key for q in asked}
    if unknown:
        raise LifecycleError("The risk answers name a question your organisation does not ask.")
    chosen = []
    for question in asked:
        answer = question.answer(answers.get(question.key, ""))
        if answer is None:
            raise LifecycleError(f"Answer the risk question “{question.label}”.")
        chosen.append((question, answer))
    score = sum(answer.weight for _, answer in chosen)
    medium, high = thresholds(organisation_id)
    level = "high" if score >= high else "medium" if score >= medium else "low"
    driving = sorted((pair for pair in chosen if pair[1].weight > 0), key=lambda pair: -pair[1].weight)
    return Assessment(score, level, [f"{q.label} {a.label} (+{a.weight})" for q, a in driving])
