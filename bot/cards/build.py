"""The card elements every card is made of, and the confirm, result and approval cards.

A feature's own cards use the same elements for text (:func:`title_block`,
:func:`facts_block`, :func:`sentence_blocks`), so what a person or Webex named shows as
written on every card."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.cards.spec import (
    APPROVE,
    CANCEL,
    CONFIRM,
    CONTENT_TYPE,
    DATA_KEY,
    MAX_ACTIONS,
    REJECT,
    SCHEMA,
    VERSION,
    Card,
)
from bot.cards.wording import (
    APPROVAL_TITLE,
    BUTTON_APPROVE,
    BUTTON_CANCEL,
    BUTTON_CREATE,
    BUTTON_REJECT,
    CONFIRM_TITLE,
    PASSWORD_LABEL,
    _approval_text,
    _requested_by,
)
from bot.markdown import plain
from bot.sentence import Sentence, Style, as_sentence, text_run


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    card: Card = {
        "type": "AdaptiveCard",
        "version": VERSION,
        "$schema": SCHEMA,
        "body": body,
    }
    if actions:
        if len(actions) > MAX_ACTIONS:
            raise ValueError(f"a Webex card has at most {MAX_ACTIONS} actions")
        card["actions"] = actions
    return card


def _text(text: str, **props: Any) -> dict[str, Any]:
    """A TextBlock of already-escaped markdown ``text``."""
    return {"type": "TextBlock", "text": text, "wrap": True, **props}


def title_block(text: str) -> dict[str, Any]:
    """A card's title: plain ``text``, shown as written (:func:`~bot.markdown.plain`)."""
    return _text(plain(text), size="medium", weight="bolder")


# Where each card property of a sentence goes: the block's own, or every TextRun's.
_BLOCK_PROPS = frozenset({"spacing", "separator", "horizontalAlignment", "id", "isVisible"})
_RUN_STYLE: dict[Style, dict[str, str]] = {
    Style.TEXT: {},
    Style.BOLD: {"weight": "bolder"},
    Style.CODE: {"fontType": "monospace"},
}


def sentence_blocks(sentence: Sentence, **props: Any) -> list[dict[str, Any]]:
    """A :class:`~bot.sentence.Sentence` as RichTextBlocks, one per line, from its runs (the
    data its chat markdown was rendered from): bold as a bolder TextRun, a code run
    monospace. TextRuns are never markdown, so text shows as written. ``props`` go to the
    block (spacing…) or to each TextRun (color, isSubtle, size)."""
    block_props = {k: v for k, v in props.items() if k in _BLOCK_PROPS}
    run_props = {k: v for k, v in props.items() if k not in _BLOCK_PROPS}
    blocks = []
    for line in sentence.lines:
        inlines = [
            {"type": "TextRun", "text": text_run(run.text), **run_props, **_RUN_STYLE[run.style]}
            for run in line
            if run.text
        ]
        if any(i["text"].strip() for i in inlines):
            blocks.append({"type": "RichTextBlock", "inlines": inlines, **block_props})
    return blocks


def _error_blocks(sentence: str) -> list[dict[str, Any]]:
    """A problem (a bot.replies sentence; :func:`~bot.markdown.as_sentence`) in red."""
    return sentence_blocks(as_sentence(sentence), color="attention", spacing="small")


def facts_block(facts: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """(label, value) pairs of plain text as a FactSet, each shown as written."""
    return {
        "type": "FactSet",
        "facts": [{"title": plain(t), "value": plain(v) or "—"} for t, v in facts],
    }


def _submit(title: str, nonce: str, verb: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {DATA_KEY: {"nonce": nonce, "action": verb}},
        **props,
    }


def _choices(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "value": value} for title, value in pairs]


def confirm_card(
    *,
    nonce: str,
    facts: Sequence[tuple[str, str]],
    requester: str,
    note: Sentence | None = None,
    title: str = CONFIRM_TITLE,
) -> Card:
    """What will be created, where and by whom; Create (``confirm``) and Cancel (``cancel``).

    ``facts``: (label, value) in plain text, e.g. ``("Location", "London HQ")``.
    ``note``: a Sentence (bot.replies) shown under the facts. ``title``: plain text (several
    trunks from a file say so).
    """
    body = [title_block(title), facts_block(facts), _text(plain(_requested_by(requester)))]
    if note:
        body += sentence_blocks(note, isSubtle=True)
    actions = [
        _submit(BUTTON_CREATE, nonce, CONFIRM, style="positive"),
        _submit(BUTTON_CANCEL, nonce, CANCEL, associatedInputs="none"),
    ]
    return _card(body, actions)


def result_card(
    *,
    title: str,
    facts: Sequence[tuple[str, str]],
    password: str | None,
    next_step: Sentence,
) -> Card:
    """The created trunk: ``title`` (plain), its gateway settings as ``facts``, the generated
    ``password`` (give it only in a 1:1 space) and ``next_step`` (a Sentence).
    No actions.
    """
    body = [title_block(title), facts_block(facts)]
    if password is not None:
        body.append(_text(plain(PASSWORD_LABEL), weight="bolder", spacing="medium"))
        body.append(
            {
                "type": "RichTextBlock",
                "spacing": "small",
                "inlines": [{"type": "TextRun", "text": password, "fontType": "monospace"}],
            }
        )
    body += sentence_blocks(next_step, spacing="medium")
    return _card(body)


def approval_card(
    *,
    nonce: str,
    facts: Sequence[tuple[str, str]],
    requester: str,
    expires: str,
) -> Card:
    """For the approvers' space: the request, who asked, when it expires (plain text, e.g.
    "at 14:05 UTC"); Approve (``approve``) and Reject (``reject``)."""
    body = [
        title_block(APPROVAL_TITLE),
        _text(plain(_approval_text(requester, expires))),
        facts_block(facts),
    ]
    actions = [
        _submit(BUTTON_APPROVE, nonce, APPROVE, style="positive"),
        _submit(BUTTON_REJECT, nonce, REJECT, style="destructive", associatedInputs="none"),
    ]
    return _card(body, actions)


def attachment(card: Card) -> dict[str, Any]:
    """The message attachment that carries ``card``."""
    return {"contentType": CONTENT_TYPE, "content": card}
