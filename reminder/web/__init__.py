"""The web console (`reminder web`): server-rendered pages over the application core — the
same use cases as the CLI, behind a login, roles, CSRF tokens and a strict CSP."""
