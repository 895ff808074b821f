"""Message templates: Jinja2 files rendered in a sandbox with `StrictUndefined`.

Every message carries the carrier signature: it is put in front of the rendered text unless the
template already wrote it.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateError, TemplateNotFound
from jinja2 import TemplateSyntaxError as JinjaSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.runtime import new_context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from reminder.errors import Problem, display_path
from reminder.i18n import _


class RenderFailure(Exception):
    """A template could not be rendered; `problem` says where and why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class Templates:
    """The templates folder, compiled lazily, rendered in a sandbox.

    The sandbox is the immutable one: the variables every message of a push shares are built
    once (`messages.PushDay`), so a template must not be able to change them for the next one.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._env = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(str(folder)),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,  # a project is loaded anew on reload; no stat() per message
        )
        self._cache: dict[str, tuple[Template, dict[str, Any]]] = {}

    def check(self, name: str) -> Problem | None:
        """None when template `name` exists and compiles, else the problem."""
        try:
            self._env.get_template(name)
        except TemplateNotFound:
            return Problem(
                display_path(self.folder), _("template {name!r} not found").format(name=name)
            )
        except JinjaSyntaxError as exc:
            return Problem(
                self._file(name),
                _("template syntax: {message}").format(message=exc.message),
                line=exc.lineno,
            )
        return None

    def _compiled(self, name: str) -> tuple[Template, dict[str, Any]]:
        if name not in self._cache:
            template = self._env.get_template(name)
            self._cache[name] = (template, dict(template.globals))
        return self._cache[name]

    def render(self, name: str, context: dict[str, Any]) -> str:
        """Render template `name`; any failure is a `RenderFailure` located in the template."""
        try:
            template, globals_ = self._compiled(name)
            # What Template.render does, minus walking the globals' ChainMap twice for every
            # message: they are copied to a dict once, and the context is handed over as it is.
            frame = new_context(
                self._env,
                template.name,
                template.blocks,
                {**globals_, **context},
                shared=True,
                globals=globals_,
            )
            try:
                return self._env.concat(template.root_render_func(frame))
            except Exception:
                self._env.handle_exception()  # maps the traceback onto the template's lines
        except JinjaSyntaxError as exc:
            raise RenderFailure(
                Problem(
                    self._file(name),
                    _("template syntax: {message}").format(message=exc.message),
                    line=exc.lineno,
                )
            ) from None
        except (TemplateError, SecurityError, TypeError, ValueError, ArithmeticError) as exc:
            line = self._template_line(exc, name)
            text = getattr(exc, "message", None) or str(exc)
            raise RenderFailure(Problem(self._file(name), text, line=line)) from None

    def _file(self, name: str) -> str:
        return display_path(self.folder / name)

    def _template_line(self, exc: BaseException, name: str) -> int | None:
        target = str((self.folder / name).resolve())
        line = None
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            filename = frame.f_code.co_filename
            if filename and Path(filename).resolve().as_posix() == Path(target).as_posix():
                line = lineno
        return line


def with_signature(text: str, signature: str) -> str:
    """The final message text: stripped, and signed unless the template signed it already."""
    body = text.strip()
    if signature in body:
        return body
    return f"{signature}{body}"
