"""Every sentence a person can see from Trunkbot, in one package, by subject.

Tone (see the README): lead with the outcome, one short paragraph, name things the way the
person typed them, Webex's own words and tracking ID when Webex refused. Never a stack
trace, a Python exception, JSON, a token, or a password (except the 1:1 delivery of a
generated one). Anything that came from a person or from Webex goes through :func:`esc`
before it is put into markdown, or is a text run of a :class:`bot.sentence.Sentence` (which
escapes it): the sentences that also reach a card are Sentences, so the card renders their
runs rather than re-reading the markdown.

    webex.py      Webex's error answers; why a create didn't finish cleanly
    grammar.py    the grammar's sentences; shown(), how typed text is echoed
    requests.py   the validation's sentences
    commands.py   refusals, help, results
    changes.py    cards, confirmation, idempotency, approval, reconciliation
    audit.py      the audit trail; webhook mode
    questions.py  "which one?"
"""

from __future__ import annotations

from bot.markdown import code, esc
from bot.replies import audit, changes, commands, grammar, questions, requests, webex
from bot.replies.audit import *  # noqa: F403
from bot.replies.changes import *  # noqa: F403
from bot.replies.commands import *  # noqa: F403
from bot.replies.grammar import *  # noqa: F403
from bot.replies.questions import *  # noqa: F403
from bot.replies.requests import *  # noqa: F403
from bot.replies.webex import *  # noqa: F403

# Each module lists its own sentences (asyncio's package does the same); `esc` and `code`
# are bot.markdown's, kept here for the callers that take them with the sentences.
__all__ = ["code", "esc"]
__all__ += audit.__all__
__all__ += changes.__all__
__all__ += commands.__all__
__all__ += grammar.__all__
__all__ += questions.__all__
__all__ += requests.__all__
__all__ += webex.__all__
