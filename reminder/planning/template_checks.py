"""`validate`'s checks for a gateway that sends a registered template code plus parameters:
every push's template is mapped to one of the provider's, every mapped parameter names a
variable the template context provides, and no value any contact of the audience produces is
longer than the provider takes. Provider-neutral: the gateway's settings and limit arrive as a
`TemplateCodes`, built by the application core."""

from __future__ import annotations

from dataclasses import dataclass, field

from reminder.errors import Problem
from reminder.i18n import _
from reminder.inputs.campaigns import Push
from reminder.planning.drafts import Draft


@dataclass(frozen=True)
class TemplateCodes:
    """A template-code gateway's mapping as `validate` checks it: our template → (provider
    parameter → our flat variable), where it is written, and the provider's length limit."""

    gateway: str
    file: str
    line: int | None  # the line of `gateways.NAME.templates` (or of the gateway)
    params: dict[str, dict[str, str]]
    max_length: int | None = None
    lines: dict[str, int] = field(default_factory=dict)  # our template → its entry's line

    def where(self, template: str | None = None) -> int | None:
        """The line to name for `template`'s entry (the mapping's line when it has none)."""
        return self.lines.get(template, self.line) if template else self.line

    def unmapped(self, campaign: str, push: Push) -> Problem | None:
        """A problem when `push`'s template has no provider template."""
        if push.template in self.params:
            return None
        return Problem(
            self.file,
            _(
                "gateways.{gateway}.templates: campaign {campaign!r}, push {push!r}: template "
                "{template!r} has no {gateway} template (add its code, text and params)"
            ).format(gateway=self.gateway, campaign=campaign, push=push.id, template=push.template),
            line=self.where(),
        )


class ParamCheck:
    """Checks each rendered message of one push against the mapping; keeps one problem per
    parameter and kind (a value too long is reported for the first contact it happens to)."""

    def __init__(self, codes: TemplateCodes, push: Push) -> None:
        self.codes = codes
        self.template = push.template
        self.mapping = codes.params.get(push.template, {})
        self.problems: dict[tuple[str, str], Problem] = {}

    def __call__(self, draft: Draft) -> None:
        prefix = f"gateways.{self.codes.gateway}.templates.{self.template}"
        line = self.codes.where(self.template)
        limit = self.codes.max_length
        for param, variable in self.mapping.items():
            if variable not in draft.variables:
                self.problems.setdefault(
                    (param, "missing"),
                    Problem(
                        self.codes.file,
                        _(
                            "{prefix}: parameter {param!r} names {variable!r}, which the "
                            "template context does not provide; it has: {known}"
                        ).format(
                            prefix=prefix,
                            param=param,
                            variable=variable,
                            known=", ".join(sorted(draft.variables)),
                        ),
                        line=line,
                    ),
                )
                continue
            value = draft.variables[variable]
            if limit is not None and len(value) > limit:
                self.problems.setdefault(
                    (param, "length"),
                    Problem(
                        self.codes.file,
                        _(
                            "{prefix}: parameter {param!r} ({variable}) is {length} characters "
                            "for contact {contact} on {day}, over {gateway}'s limit of {limit}"
                        ).format(
                            prefix=prefix,
                            param=param,
                            variable=variable,
                            length=len(value),
                            contact=draft.contact.id,
                            day=draft.occurrence,
                            gateway=self.codes.gateway,
                            limit=limit,
                        ),
                        line=line,
                    ),
                )
