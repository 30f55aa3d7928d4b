"""OData v2 wire details the SAP adapter depends on: dates, times, literals, error bodies, cursors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from erp_shopify.erp.sap.journal import Journal
from erp_shopify.erp.sap.odata import (
    datetime_literal,
    error_from_response,
    format_date,
    format_time,
    parse_date,
    parse_time,
    string_literal,
    time_literal,
)
from erp_shopify.erp.sap.prices import price_records
from erp_shopify.errors import DataError, SystemFailure, TransientError

SAP_ERROR = {
    "error": {
        "code": "V1/392",
        "message": {"lang": "en", "value": "Material X is not defined for sales org.1010"},
        "innererror": {
            "transactionid": "ABC",
            "errordetails": [
                {"code": "V1/392", "message": "Material X is not defined", "severity": "error"},
                {"code": "V4/219", "message": "Sales document was not changed", "severity": "error"},
            ],
        },
    }
}


def test_date_literals_in_json_are_milliseconds_since_the_epoch_in_utc() -> None:
    assert parse_date("/Date(1700000000000)/") == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert parse_date("/Date(1700000000000+0060)/") == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert parse_date("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)
    assert parse_date(None) is None
    assert format_date(date(2026, 11, 27)) == "/Date(1795737600000)/"
    with pytest.raises(ValueError, match="not an OData v2 date"):
        parse_date("2026-11-27")


def test_edm_time_is_a_duration_since_midnight() -> None:
    assert parse_time("PT12H30M05S") == timedelta(hours=12, minutes=30, seconds=5)
    assert parse_time("PT0H0M0S") == timedelta(0)
    assert format_time(timedelta(hours=7, minutes=5, seconds=9)) == "PT07H05M09S"
    with pytest.raises(ValueError, match="not an OData v2 time"):
        parse_time("12:30:05")


def test_filter_literals_escape_quotes_and_drop_time_zones() -> None:
    assert string_literal("O'Brien #1001") == "'O''Brien #1001'"
    assert datetime_literal(datetime(2026, 11, 27, 23, 5, 1, tzinfo=UTC)) == "datetime'2026-11-27T23:05:01'"
    assert datetime_literal(date(2026, 11, 27)) == "datetime'2026-11-27T00:00:00'"
    assert time_literal(timedelta(hours=23, minutes=5, seconds=1)) == "time'PT23H05M01S'"


def test_v2_error_body_becomes_a_data_error_with_every_code_and_the_body() -> None:
    error = error_from_response(httpx.Response(400, json=SAP_ERROR), "POST /A_SalesOrder")
    assert isinstance(error, DataError)
    assert error.codes == ("V1/392", "V4/219")
    assert error.message == "POST /A_SalesOrder: Material X is not defined for sales org.1010"
    assert error.body == SAP_ERROR


def test_throttling_and_outages_are_transient_and_keep_retry_after() -> None:
    throttled = error_from_response(httpx.Response(429, json=SAP_ERROR, headers={"Retry-After": "7"}), "GET")
    outage = error_from_response(httpx.Response(503, text="<html>Service unavailable</html>"), "GET")
    assert isinstance(throttled, TransientError) and throttled.retry_after == 7.0
    assert isinstance(outage, TransientError) and outage.body == "<html>Service unavailable</html>"


def test_forbidden_is_a_system_failure() -> None:
    assert isinstance(error_from_response(httpx.Response(403, json=SAP_ERROR), "GET"), SystemFailure)


def test_journal_cursor_round_trips_with_ranges_of_document_numbers() -> None:
    at = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    journal = Journal(timedelta(minutes=5))
    for n in [*range(4900000001, 4900000101), 4900000200]:
        journal.observe(f"2026/{n}", at)
    journal.observe("2025/4900009999", at - timedelta(minutes=1))
    cursor = journal.encode()
    assert '"2026/4900000001-4900000100"' in cursor
    decoded = Journal.decode(cursor, timedelta(minutes=5))
    assert decoded.at == at
    assert set(decoded.seen) == set(journal.seen)


def test_documents_older_than_the_overlap_leave_the_cursor() -> None:
    journal = Journal(timedelta(seconds=30))
    journal.observe("2026/1", datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC))
    journal.observe("2026/2", datetime(2026, 11, 27, 12, 0, 31, tzinfo=UTC))
    journal.prune()
    assert list(journal.seen) == ["2026/2"]


def test_garbage_cursor_is_a_data_error_naming_it() -> None:
    with pytest.raises(DataError, match="not a SAP journal cursor"):
        Journal.decode("2026-11-27T00:00:00", timedelta(minutes=5))


def _validity(**record: object) -> dict:
    base_record = {
        "ConditionRateValue": "1990.000",
        "ConditionCurrency": "EUR",
        "ConditionQuantity": "100",
        "ConditionIsDeleted": False,
        "to_SlsPrcgCndnRecordScale": {"results": []},
    }
    return {
        "Material": "MAT-1",
        "Customer": "",
        "CustomerPriceGroup": "",
        "ConditionValidityStartDate": "/Date(1767225600000)/",
        "ConditionValidityEndDate": "/Date(253402214400000)/",
        "to_SlsPrcgConditionRecord": {**base_record, **record},
    }


def test_condition_rate_is_per_condition_quantity_and_open_end_has_no_end() -> None:
    [record] = price_records(_validity())
    assert (record.price, record.price_list, record.valid_from, record.valid_to) == (
        Decimal("19.9"),
        "retail",
        date(2026, 1, 1),
        None,
    )


def test_deleted_or_zero_conditions_give_no_price() -> None:
    assert price_records(_validity(ConditionIsDeleted=True)) == []
    assert price_records(_validity(ConditionRateValue="0.000")) == []


@given(st.sets(st.tuples(st.sampled_from(["2025", "2026"]), st.integers(4900000000, 4900000400)), max_size=200))
def test_any_set_of_seen_documents_survives_the_cursor(documents: set[tuple[str, int]]) -> None:
    at = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    journal = Journal(timedelta(minutes=5))
    for year, number in documents:
        journal.observe(f"{year}/{number}", at)
    assert set(Journal.decode(journal.encode(), timedelta(minutes=5)).seen) == set(journal.seen)
