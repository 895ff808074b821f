"""What `reminder validate` warns about cases: pools too small to keep the case rule for some
recipient (`reminder.planning.rotation`). A warning, not a problem: the messages still go, but
someone may read a case about their own surname, or a spouse the cadre's case of the day."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice

from reminder.errors import Problem
from reminder.i18n import _
from reminder.inputs.campaigns import CampaignFile, Push
from reminder.inputs.contacts import Contact
from reminder.inputs.project import Project
from reminder.planning.history import Casebook, reader_surnames

#: Recipients named in one warning; the rest are counted.
NAMED = 5


@dataclass
class _Found:
    about_them: list[Contact] = field(default_factory=list)
    cadres_case: list[Contact] = field(default_factory=list)


def case_warnings(
    project: Project, casebook: Casebook, source: CampaignFile, push: Push
) -> list[Problem]:
    """The recipients of `push` for whom its pool cannot keep the case rule, one warning per
    kind: every case is about their (or their cadre's) surname; or, for a family member, one
    case at most is left to them, which their cadre may read the same day."""
    campaign = source.campaign
    pool = casebook.pool(campaign.id, push.id)
    if not pool:
        return []
    found = _Found()
    for contact in project.audience(campaign.id, push.id):
        cadre = project.book.cadre_of(contact)
        surnames = reader_surnames(contact, cadre)
        allowed = pool.allowed(surnames)
        if any(case.surnames & surnames for case in allowed):
            found.about_them.append(contact)
        elif cadre is not None and len(allowed) < 2 and _cadre_reads_cases(project, cadre):
            found.cadres_case.append(contact)
    index = campaign.pushes.index(push)
    line = source.line("pushes", index, "cases")
    warnings = []
    if found.about_them:
        warnings.append(
            Problem(
                source.file,
                _(
                    "push {push!r}: every case of its pool is about the surname of {names} "
                    "or of their cadre: add cases"
                ).format(push=push.id, names=_names(found.about_them)),
                line=line,
            )
        )
    if found.cadres_case:
        warnings.append(
            Problem(
                source.file,
                _(
                    "push {push!r}: its pool leaves {names} at most one case, which their "
                    "cadre may read the same day: add cases"
                ).format(push=push.id, names=_names(found.cadres_case)),
                line=line,
            )
        )
    return warnings


def _cadre_reads_cases(project: Project, cadre: Contact) -> bool:
    for campaign_id, source in project.campaigns.items():
        for push in source.campaign.pushes:
            if push.cases is not None and project.reaches(campaign_id, push.id, cadre.id):
                return True
    return False


def _names(contacts: list[Contact]) -> str:
    named = ", ".join(f"{c.id} {c.name}" for c in islice(contacts, NAMED))
    more = len(contacts) - NAMED
    return f"{named} and {more} more" if more > 0 else named
