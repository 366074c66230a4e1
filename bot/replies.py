"""Every sentence a person can see from Trunkbot, in one place.

Tone (see the README): lead with the outcome, one short paragraph, name things the way the
person typed them, Webex's own words and tracking ID when Webex refused. Never a stack
trace, a Python exception, JSON, a token, or a password (except the 1:1 delivery of a
generated one). Anything that came from a person or from Webex goes through :func:`esc`
before it is put into markdown.
"""

from __future__ import annotations

import re

# Markdown and Webex mention syntax that user text must not be able to inject:
# emphasis, code, links, headings, quotes, lists, html-ish tags such as <@all>.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")


def esc(text: object) -> str:
    """Escape user- or Webex-supplied text for Webex markdown (no links, no <@all>)."""
    s = str(text).replace("\r", " ").replace("\n", " ")
    s = s.replace("@", "@\u200b")  # breaks <@all>, <@personEmail:…> and bare mentions
    return _MD_SPECIAL.sub(r"\\\1", s)


# --- errors of the Webex HTTP boundary (bot/webex/http.py) -------------------------------
# (section: webex-boundary)
# --- end webex-boundary ----------------------------------------------------------------

# --- grammar and request validation (bot/grammar.py, bot/validation.py) ------------------
# (section: validation)
# --- end validation ---------------------------------------------------------------------
