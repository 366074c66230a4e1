"""webexfake: one fake Webex for development and tests — never part of the production image.

Two halves over one ID codec (:mod:`webexfake.ids`, the product's :mod:`bot.rest_ids`), one fault
plan (:mod:`webexfake.faults`) and one request recorder (:mod:`webexfake.recorder`):

* :mod:`webexfake.calling` — the Webex Calling API the bot administers (locations, trunks and
  their usage, route groups, dial plans, a location's PSTN connection, the OAuth refresh
  grant), faithful to the OpenAPI descriptions and readable by wxc_sdk. In process through
  ``SandboxTransport(state)`` or over HTTP with ``serve(state)``; behind ``trunkbot shell``.
* :mod:`webexfake.messaging` — the bot's side of Webex: U2C, WDM device registration, the
  Mercury websocket over TLS, messages, attachment actions, people, memberships, rooms
  (``FakeWebex``; ``FakeWebex(calling=state)`` serves both halves on one host).
* :mod:`webexfake.sandbox` — ``trunkbot sandbox``: both halves on 127.0.0.1 for ``trunkbot run``.

Importing this package needs only the bot's own dependencies; the TLS side needs ``trustme``
(the ``sandbox`` extra: ``pip install -e '.[sandbox]'``).
"""
