"""The transport-neutral intake: record, deduplicate, date, dispatch, recover, maintain.

The websocket host (bot/runner.py) and the webhook (bot/transports/webhook.py) both hand
their activities here. :mod:`~bot.intake.dispatch` holds the :class:`Intake` (record before
the ack, dedupe, date, dispatch as tasks, leases, recovery, the features' jobs, drain);
:mod:`~bot.intake.refetch` fetches an activity again by id (and gives up on one Webex never
gives back, on the audit trail); :mod:`~bot.intake.card_event` turns a card submission into an
Event; :mod:`~bot.intake.people` caches the senders' person records.
"""
