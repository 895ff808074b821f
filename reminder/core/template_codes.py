"""What a template-code gateway (its settings a `TemplateCodeSettings`) adds to `validate` and
`preview`: its mapping handed to the planning checks with the lines it is written on, and the
text the phone will show — the provider's template filled with the parameters."""

from __future__ import annotations

from reminder.delivery.gateways.base import Gateway, OutgoingMessage, TemplateCodeSettings
from reminder.inputs.config import Config
from reminder.inputs.yaml_source import LineDict
from reminder.planning.drafts import Draft
from reminder.planning.template_checks import TemplateCodes


def template_codes(config: Config, gateway: Gateway) -> TemplateCodes | None:
    """The gateway's mapping for `validate`, or None when it sends free text."""
    settings = gateway.settings
    if not isinstance(settings, TemplateCodeSettings):
        return None
    raw, line = config.gateway_settings(gateway.name)
    lines: dict[str, int] = {}
    if isinstance(raw, LineDict):
        line = raw.key_lines.get("templates", line)
        entries = raw.get("templates")
        if isinstance(entries, LineDict):
            lines = dict(entries.key_lines)
    return TemplateCodes(
        gateway=gateway.name,
        file=config.source_name,
        line=line,
        params={name: dict(t.params) for name, t in settings.templates.items()},
        max_length=gateway.max_param_length,  # an account may set its own (Tencent)
        lines=lines,
    )


def phone_text(gateway: Gateway, draft: Draft) -> str:
    """What the phone shows for `draft` through `gateway` (its own text, for free-text ones)."""
    message = OutgoingMessage(
        message_id=0,
        campaign=draft.campaign,
        push=draft.push,
        occurrence=draft.occurrence,
        contact_id=draft.contact.id,
        to=draft.contact.phone,
        body=draft.body,
        segments=draft.count.segments,
        template=draft.template,
        variables=dict(draft.variables),
    )
    return gateway.phone_text(message)
