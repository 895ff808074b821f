"""Content fingerprints: what an approval is bound to (ARCHITECTURE.md invariant 11).

An occurrence's fingerprint is a SHA-256 over the sorted digests of every message that would go
on that date — push, contact, recipient and rendered text — computed by rendering, as planning
does, without writing anything. A campaign year's covers what every message of that year is made
of: the campaign as loaded, the signature, the templates its pushes use, the cases they may draw
and each push's audience. Change any template, case or contact and the fingerprint changes, so an
approval given before no longer matches.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from itertools import islice
from typing import Any

from pydantic import BaseModel

from reminder.errors import InputError, Problem
from reminder.heap import settled_objects_frozen
from reminder.inputs.project import Project
from reminder.planning.drafts import Draft, iter_drafts
from reminder.planning.occurrences import occurrence_on
from reminder.planning.plan import PLAN_BATCH, window_for_day


def _plain(value: Any) -> Any:
    """`value` as JSON whose text is the same in every process: sets (tags) sorted, since
    their order changes with the hash seed."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _digest(value: Any) -> bytes:
    text = json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).digest()


def draft_digest(draft: Draft) -> bytes:
    """The digest of one message as it would go: push, contact, recipient, text."""
    return _digest([draft.push, draft.contact.id, draft.contact.phone, draft.body])


def occurrence_fingerprint(project: Project, campaign_id: str, day: date) -> str:
    """The fingerprint of every message of every push of the campaign that fires on `day`
    (an `InputError` with every problem when a message cannot be rendered)."""
    campaign = project.campaign(campaign_id)
    window = window_for_day(campaign, day)
    zone = project.timezone(campaign)
    problems: dict[str, Problem] = {}
    digests: list[bytes] = []
    with settled_objects_frozen():
        for push in campaign.pushes:
            if occurrence_on(campaign, push, zone, day) is None:
                continue
            contacts = project.audience(campaign_id, push.id)
            while chunk := list(islice(contacts, PLAN_BATCH)):
                drafts = iter_drafts(project, campaign_id, push, window, day, chunk, problems)
                digests.extend(draft_digest(d) for d in drafts)
    if problems:
        raise InputError(list(problems.values()))
    whole = hashlib.sha256(f"occurrence:{campaign_id}:{day.isoformat()}:".encode())
    for digest in sorted(digests):
        whole.update(digest)
    return whole.hexdigest()


def year_fingerprint(project: Project, campaign_id: str, year: int) -> str:
    """The fingerprint of what every message of the campaign in `year` is made of."""
    campaign = project.campaign(campaign_id)
    parts: list[Any] = [
        "year",
        campaign_id,
        year,
        campaign,
        project.config.settings.signature,
    ]
    for push in campaign.pushes:
        template = project.templates.folder / push.template
        source = template.read_text("utf-8") if template.is_file() else None
        cases = list(push.case_pool(project.cases))
        audience = list(project.audience(campaign_id, push.id))  # ordered by id
        parts.append([push.id, push.template, source, cases, audience])
    return hashlib.sha256(_digest(parts)).hexdigest()
