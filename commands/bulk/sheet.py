"""Reading the CSV file of ``create trunks``: limits first, then the header, then the rows.

Decisions (the contract leaves these open):

* At most :data:`MAX_BYTES` (1 MiB, checked before the bytes are read) and :data:`MAX_ROWS`
  data rows; UTF-8 with or without a BOM; ``,`` or ``;`` between cells (whichever the header
  line has more of); a spreadsheet's own file (``.xlsx``, ``.xls``, ``.numbers``) is refused
  with "save it as CSV".
* The header row names the columns with the grammar's keys, in any order and case (the
  API's names too); an unknown column is refused with the closest known key. ``password``
  is refused for the whole file (a file is kept and forwarded; Webex generates each
  password instead), and so is ``org`` (say ``create trunks org=…``). ``route-group``
  puts a row's new trunk in that group, as on a text create.
* Rows are numbered as a spreadsheet shows them (the header is row 1); blank rows are
  skipped; a row with more cells than the header is a problem of that row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from bot.errors import UsageError
from bot.events import Download
from bot.grammar import canonical_key, suggest_key
from bot.markdown import code, esc

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
REFUSED_COLUMNS = {
    "password": (
        "A file can't carry passwords: remove the `password` column and Webex will generate "
        "each one (you get them in the result file, 1:1)."
    ),
    "org": "The org applies to the whole file: remove the `org` column and say "
    "`create trunks org=<orgId>`.",
}
SPREADSHEETS = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")
TEXT_TYPES = {
    "text/csv",
    "text/plain",
    "application/csv",
    "text/comma-separated-values",
    "application/vnd.ms-excel",  # what Windows calls a .csv
    "application/octet-stream",
    "",
}


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: dict[str, str]  # canonical key → the cell as written (stripped)
    extra: bool = False  # more cells than the header has columns


@dataclass
class Sheet:
    name: str
    columns: list[str]  # canonical keys, in file order
    typed: dict[str, str]  # canonical key → the header as written
    rows: list[Row] = field(default_factory=list)


def too_big(size: int | None) -> str:
    what = f"is {size / 1024 / 1024:.1f} MiB" if size else "is too big"
    return (
        f"That file {what}; I take at most 1 MiB ({MAX_ROWS:,} rows). Split it into smaller "
        "files and send each with `create trunks`."
    )


def read_sheet(download: Download) -> Sheet:
    """The file as a sheet, or a UsageError with one sentence saying what to fix."""
    name = download.name or "the file"
    if name.lower().endswith(SPREADSHEETS):
        raise UsageError(
            f"{esc(name)} is a spreadsheet, not a CSV file: save it as **CSV UTF-8** and send "
            "that with `create trunks`."
        )
    if download.content_type not in TEXT_TYPES and not name.lower().endswith(".csv"):
        raise UsageError(
            f"{esc(name)} isn't a CSV file ({esc(download.content_type)}): send a `.csv` file "
            "with a header row, e.g. `name,location`."
        )
    if len(download.content) > MAX_BYTES:
        raise UsageError(too_big(len(download.content)))
    try:
        text = download.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(
            f"{esc(name)} isn't UTF-8 text: save it as **CSV UTF-8** and send it again."
        ) from None
    if "\x00" in text:
        raise UsageError(f"{esc(name)} isn't a text file: save it as **CSV UTF-8**.")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise UsageError(
            f"{esc(name)} is empty: put a header row (`name,location,…`) and one row per trunk."
        )
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error:
        raise UsageError(
            f"{esc(name)} isn't valid CSV (a quote is left open?): check it and send it again."
        ) from None
    header_at = next(i for i, r in enumerate(records) if any(c.strip() for c in r))
    sheet = _header(name, records[header_at])
    for index, record in enumerate(records[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in record):
            continue
        cells = {
            key: record[i].strip()
            for i, key in enumerate(sheet.columns)
            if i < len(record) and record[i].strip()
        }
        extra = any(c.strip() for c in record[len(sheet.columns) :])
        sheet.rows.append(Row(index, cells, extra))
        if len(sheet.rows) > MAX_ROWS:
            raise UsageError(
                f"{esc(name)} has more than {MAX_ROWS:,} rows: split it into files of at most "
                f"{MAX_ROWS:,} and send each with `create trunks`."
            )
    if not sheet.rows:
        raise UsageError(f"{esc(name)} has a header but no rows: add one row per trunk.")
    return sheet


def _header(name: str, record: list[str]) -> Sheet:
    columns: list[str] = []
    typed: dict[str, str] = {}
    for raw in record:
        cell = raw.strip()
        key = canonical_key(cell) if cell else None
        if key is None:
            if not cell:
                raise UsageError(
                    f"The header row of {esc(name)} has an empty column name: name every "
                    "column with a key such as `name` or `location`."
                )
            hint = suggest_key(cell)
            maybe = f" Did you mean {code(hint)}?" if hint else ""
            raise UsageError(
                f"I don't know the column {code(cell[:40])} in {esc(name)}.{maybe} Columns I "
                "know: `name`, `location`, `type`, `device`, `address`, `domain`, `port`, "
                "`max-calls`, `dual-identity`."
            )
        if key in REFUSED_COLUMNS:
            raise UsageError(REFUSED_COLUMNS[key])
        if key in typed:
            raise UsageError(
                f"The header of {esc(name)} names {code(key)} twice ({code(typed[key])} and "
                f"{code(cell)}): keep one column."
            )
        columns.append(key)
        typed[key] = cell
    missing = [k for k in ("name", "location") if k not in typed]
    if missing:
        raise UsageError(
            f"The first row of {esc(name)} must be a header naming at least `name` and "
            "`location` columns, e.g. `name,location,type`."
        )
    return Sheet(name=name, columns=columns, typed=typed)
