"""What every hardening test asks of a refusal (the ``run`` fixture in conftest.py runs lrplot with
this secret in its environment): one definition, so the rounds of hardening tests cannot drift apart."""

from __future__ import annotations

SECRET = "hunter2-0123456789abcdef0123456789abcdef-secret"  # long: no column-name rule shows it


def refused(result, *fragments: str) -> str:
    """Exit 2 with one line of lrplot's own, naming every fragment; no secret, no traceback."""
    message = result.stderr.strip()
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert len(message.splitlines()) == 1 and message.startswith("lrplot: error: "), message
    assert "Traceback" not in result.output and SECRET not in result.output
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message
