"""The result file of a bulk job: one line per row, posted 1:1 to the requester."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.audit_view import csv_cell
from commands.bulk import words
from commands.bulk.row import Outcome

RESULT_COLUMNS = ("row", "name", "status", "id", "error", "tracking_id")
GATEWAY_COLUMNS = ("password", "line_port", "sip_user_name", "outbound_proxy", "otg_dtg")


def result_csv(outcomes: dict[int, Outcome]) -> bytes:
    """``row,name,status,id,error,tracking_id`` and the gateway columns; every cell that a
    spreadsheet would run as a formula is neutralized."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([*RESULT_COLUMNS, *GATEWAY_COLUMNS])
    for number in sorted(outcomes):
        o = outcomes[number]
        d = o.details
        cells: list[Any] = [
            number,
            o.row.name,
            o.state.value,
            o.trunk_id,
            " ".join(filter(None, [o.error, words.password_not_kept(o.row.name, o.trunk_id)]))
            if o.password_lost
            else o.error,
            o.tracking_id,
            o.password,
            d.line_port if d else None,
            d.sip_authentication_user_name if d else None,
            d.outbound_proxy.outbound_proxy if d and d.outbound_proxy else None,
            d.otg_dtg_id if d else None,
        ]
        writer.writerow([csv_cell(c) for c in cells])
    return out.getvalue().encode("utf-8-sig")
