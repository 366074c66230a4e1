"""Adaptive Card 1.3 builders: the create-trunk form, confirm, result and approval cards.

Pure functions from data to the card ``content`` dict (what goes into a message attachment
``{"contentType": CONTENT_TYPE, "content": card}``), plus :func:`fallback_text` (the
message text Webex shows where the card can't be) and :func:`card_as_text` (the card as
readable text, for ``trunkbot shell``).

Webex's limits (its developer guide on buttons and cards): Adaptive Cards **1.3** only, at
most **5 actions**, no masked input (``style: "password"`` is 1.5), always a fallback text.

Layout: :mod:`~bot.cards.spec` (version, verbs, input ids), :mod:`~bot.cards.wording` (every
sentence), :mod:`~bot.cards.regexes` (the inputs' regexes, from bot/validation.py's
patterns), :mod:`~bot.cards.build` (elements; confirm, result, approval cards),
:mod:`~bot.cards.form` (the form), :mod:`~bot.cards.read` (fallback text, the card as text,
current values); the markdown rules are :mod:`bot.markdown`'s.

**Trust.** A card is untrusted when it comes back: anyone who can see it can post any inputs
to it. Every submit action carries ``data = {"trunkbot": {"nonce": …, "action": <verb>}}``;
the nonce and the verb are all the bot may read from ``data``, and it re-validates every
input (:meth:`bot.validation.TrunkRequest.from_fields` with ``ignore_empty``; the keys
against the card's inputs, choices against the values it offered). A renderer merges the
inputs into ``data``, so the form's submission looks like::

    {"trunkbot": {"nonce": "…", "action": "review"}, "name": "lon-1", "location": "<id>",
     "type": "registering", "dual-identity": "no", …}

Webex's clients send ``""`` for an untouched input; Microsoft's JS renderer leaves it out.
Both mean "not given".

**Text.** TextBlock and FactSet text is markdown (bold, italic, lists, links) and expands
``{{DATE(…)}}`` / ``{{TIME(…)}}``. Every text from a person or from Webex goes through
:func:`bot.markdown.plain`, which backslash-escapes just what could turn into markup. Input labels,
choice titles of a compact ChoiceSet and RichTextBlock TextRuns are never markdown: they get
:func:`bot.markdown.one_line` (one line, no control characters) and show exactly. Sentences from
:mod:`bot.replies` (``errors``, ``note``, ``next_step``) are :class:`bot.sentence.Sentence`:
data (lines of runs) whose ``str`` is the chat markdown. A card never reads that markdown: it
renders the runs, one RichTextBlock per line, bold runs as bolder TextRuns and code runs
monospace (:func:`bot.markdown.text_run` parts ``{{`` so no ``{{DATE(…)}}`` expands). The
form takes its problems and note as ``str`` (they travel in exceptions); each is a Sentence,
and a ``str`` that is not one shows as the text it is. All other arguments (facts, names,
titles, requester, expiry) are plain text.

Decisions, each checked with the real renderer in tests/test_cards_browser.py:

* **Port and max-calls are Input.Text with a range regex**, not Input.Number with min/max:
  the ``adaptivecards`` renderer (3.0.6) reads an empty Input.Number as NaN, fails
  ``NaN >= min``, and then refuses to submit the *whole* card, hidden inputs included, so a
  registering-trunk form could never be sent. ``style: "tel"`` still brings up a numeric
  keypad on phones.
* **Certificate-only fields** (device, address, domain, port, max-calls) live in one
  Container, shown when the type is certificate-based (or one of them has a problem) and
  otherwise revealed by an ``Action.ToggleVisibility`` (AC 1.2). A hidden input is still
  validated and submitted by renderers, so none of them is ``isRequired``.
* **Cancel** has ``associatedInputs: "none"`` (AC 1.3): it posts only its ``data``.
* **Location** is a ChoiceSet of calling-enabled locations (value: the ID) when there are at
  most :data:`LOCATION_CHOICES_MAX`; beyond that an Input.Text for a name or ID, so the card
  stays small (the bot resolves the name as it does for text commands).
* **Password**: an Input.Text only in a 1:1 space, empty by default (Webex generates one),
  never prefilled, with a note that Webex stores what is typed into a card.
* A generated password on the result card is a monospace RichTextBlock TextRun: not
  markdown, so it shows byte for byte on every client.
"""

from __future__ import annotations

from bot.cards.build import (
    approval_card,
    attachment,
    confirm_card,
    facts_block,
    result_card,
    sentence_blocks,
    title_block,
)
from bot.cards.form import (
    form_card,
)
from bot.cards.read import (
    card_as_text,
    choice_titles,
    current_values,
    fallback_text,
)
from bot.cards.regexes import (
    ADDRESS_REGEX,
    DOMAIN_REGEX,
    NAME_REGEX,
    PASSWORD_REGEX,
    PORT_REGEX,
    int_range_regex,
)
from bot.cards.spec import (
    APPROVE,
    CANCEL,
    CERTIFICATE_CONTAINER,
    CONFIRM,
    CONTENT_TYPE,
    DATA_KEY,
    FORM_INPUTS,
    LOCATION_CHOICES_MAX,
    MAX_ACTIONS,
    PREFILL_MAX,
    REJECT,
    REVIEW,
    SCHEMA,
    TYPE_CERTIFICATE,
    TYPE_REGISTERING,
    VERBS,
    VERSION,
    Card,
)
from bot.cards.wording import (
    APPROVAL_TITLE,
    BUTTON_APPROVE,
    BUTTON_CANCEL,
    BUTTON_CREATE,
    BUTTON_MORE,
    BUTTON_REJECT,
    BUTTON_REVIEW,
    CHOICE_CERTIFICATE,
    CHOICE_REGISTERING,
    CONFIRM_TITLE,
    ERROR_ADDRESS,
    ERROR_DOMAIN,
    ERROR_LOCATION,
    ERROR_NAME,
    ERROR_PASSWORD,
    ERROR_PORT,
    FALLBACK_ACTIONS,
    FALLBACK_FORM,
    FORM_DIRECT_NOTE,
    FORM_GROUP_NOTE,
    FORM_TITLE,
    HEADING_CERTIFICATE,
    LABEL_ADDRESS,
    LABEL_DEVICE,
    LABEL_DOMAIN,
    LABEL_DUAL_IDENTITY,
    LABEL_LOCATION,
    LABEL_LOCATION_TYPED,
    LABEL_NAME,
    LABEL_PASSWORD,
    LABEL_PORT,
    LABEL_TYPE,
    NO_CERTIFICATE_DEVICES,
    PASSWORD_LABEL,
    PLACEHOLDER_ADDRESS,
    PLACEHOLDER_DEVICE,
    PLACEHOLDER_DOMAIN,
    PLACEHOLDER_LOCATION,
    PLACEHOLDER_LOCATION_TYPED,
    PLACEHOLDER_NAME,
    PLACEHOLDER_PASSWORD,
    PLACEHOLDER_PORT,
    TITLE_DUAL_IDENTITY,
)
from bot.validation import HOST_MAX

__all__ = [
    "ADDRESS_REGEX",
    "APPROVAL_TITLE",
    "APPROVE",
    "BUTTON_APPROVE",
    "BUTTON_CANCEL",
    "BUTTON_CREATE",
    "BUTTON_MORE",
    "BUTTON_REJECT",
    "BUTTON_REVIEW",
    "CANCEL",
    "CERTIFICATE_CONTAINER",
    "CHOICE_CERTIFICATE",
    "CHOICE_REGISTERING",
    "CONFIRM",
    "CONFIRM_TITLE",
    "CONTENT_TYPE",
    "DATA_KEY",
    "DOMAIN_REGEX",
    "ERROR_ADDRESS",
    "ERROR_DOMAIN",
    "ERROR_LOCATION",
    "ERROR_NAME",
    "ERROR_PASSWORD",
    "ERROR_PORT",
    "FALLBACK_ACTIONS",
    "FALLBACK_FORM",
    "FORM_DIRECT_NOTE",
    "FORM_GROUP_NOTE",
    "FORM_INPUTS",
    "FORM_TITLE",
    "HEADING_CERTIFICATE",
    "HOST_MAX",
    "LABEL_ADDRESS",
    "LABEL_DEVICE",
    "LABEL_DOMAIN",
    "LABEL_DUAL_IDENTITY",
    "LABEL_LOCATION",
    "LABEL_LOCATION_TYPED",
    "LABEL_NAME",
    "LABEL_PASSWORD",
    "LABEL_PORT",
    "LABEL_TYPE",
    "LOCATION_CHOICES_MAX",
    "MAX_ACTIONS",
    "NAME_REGEX",
    "NO_CERTIFICATE_DEVICES",
    "PASSWORD_LABEL",
    "PASSWORD_REGEX",
    "PLACEHOLDER_ADDRESS",
    "PLACEHOLDER_DEVICE",
    "PLACEHOLDER_DOMAIN",
    "PLACEHOLDER_LOCATION",
    "PLACEHOLDER_LOCATION_TYPED",
    "PLACEHOLDER_NAME",
    "PLACEHOLDER_PASSWORD",
    "PLACEHOLDER_PORT",
    "PORT_REGEX",
    "PREFILL_MAX",
    "REJECT",
    "REVIEW",
    "SCHEMA",
    "TITLE_DUAL_IDENTITY",
    "TYPE_CERTIFICATE",
    "TYPE_REGISTERING",
    "VERBS",
    "VERSION",
    "Card",
    "approval_card",
    "attachment",
    "card_as_text",
    "choice_titles",
    "confirm_card",
    "current_values",
    "facts_block",
    "fallback_text",
    "form_card",
    "int_range_regex",
    "result_card",
    "sentence_blocks",
    "title_block",
]
