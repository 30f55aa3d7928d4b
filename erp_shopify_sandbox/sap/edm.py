"""SAP's date and time types in OData v2 JSON, as the OData v2 JSON format documents them:

- ``Edm.DateTime``: ``/Date(<milliseconds since 1970-01-01T00:00:00Z>)/``;
- ``Edm.DateTimeOffset``: the same with the offset in minutes, ``/Date(<ms>+0000)/`` (SAP sends UTC);
- ``Edm.Time``: the time of day as an xsd:duration from midnight, ``PT14H30M00S``.

Written here from the format, not shared with the adapter's client: a misreading on one side then
shows in the fidelity tests instead of agreeing with itself. The store keeps naive datetimes that
mean UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1)
_JSON_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")
_DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?")


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def json_datetime(value: datetime) -> str:
    return f"/Date({(_naive_utc(value) - _EPOCH) // timedelta(milliseconds=1)})/"


def json_datetime_offset(value: datetime) -> str:
    return json_datetime(value).replace(")/", "+0000)/")


def parse_json_datetime(text: str) -> datetime:
    """A ``/Date(ms)/`` or ``/Date(ms+offset)/`` value as a naive UTC datetime; ValueError otherwise."""
    match = _JSON_DATE.fullmatch(text)
    if not match:
        raise ValueError(f"not an OData v2 JSON date: {text!r}")
    return _EPOCH + timedelta(milliseconds=int(match.group(1)))


def duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    return f"PT{seconds // 3600:02d}H{seconds % 3600 // 60:02d}M{seconds % 60:02d}S"


def parse_duration(text: str) -> timedelta:
    """``PT14H30M00S`` (hours, minutes and seconds each optional) as a timedelta; ValueError otherwise."""
    match = _DURATION.fullmatch(text)
    if not match or text == "PT":
        raise ValueError(f"not an OData v2 time: {text!r}")
    hours, minutes, seconds = match.groups()
    return timedelta(hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0))
