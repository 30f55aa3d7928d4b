"""Deliver one batch of order events to the ERP: the heart of Shopify -> ERP.

Each event moves through the ledger ``received -> in_flight -> delivered | dead_lettered`` and its
stream entry is acknowledged only at one of those final outcomes, so a run killed at any point
leaves work to be claimed again, never lost. Creating is safe to repeat: every retry, replay or
reclaim searches the ERP by the external reference first, so an unknown outcome (a timeout after the
ERP committed) is resolved, not duplicated. Only the first send of an ``orders/create`` that the
ledger proves no attempt of its order ever preceded skips that search: one ERP round trip, not two.

Events of one order run in order (create, then refunds, then cancel) on one thread; different
orders run in parallel. ``DeliveryConfig.concurrency`` bounds the ERP requests in flight (ERP
slots, e.g. NetSuite's per-account limit) across all delivery runs together (``store/erp_slots.py``),
not the threads: twice as many threads do their ledger
steps and mapping while the slots are busy, so a freed slot is taken at once by an order that is
ready to send rather than one that first talks to Redis. This is the only retry layer
for order operations (the adapters send each order call once). The error class decides:
transient errors retry with the one retry policy, then dead-letter; data errors dead-letter at
once; a system error (401/403) pauses the ERP connection and stops the batch, leaving every event
not yet delivered un-acknowledged for after ``resume``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeVar

from erp_shopify.config import Settings
from erp_shopify.delivery.customers import OrderCustomers
from erp_shopify.delivery.lookup import SharedLookup
from erp_shopify.delivery.parts import QueueParts, erp_connection, order_mapping, secret_values
from erp_shopify.erp.base import ErpAdapter, customer_store
from erp_shopify.errors import DataError, ErrorClass, IntegrationError, SystemFailure
from erp_shopify.ingest.events import restocked_unshipped_lines
from erp_shopify.mapping.customers import (
    CustomerAction,
    UpsertCustomer,
    customer_action,
    customer_document,
    order_customer,
)
from erp_shopify.mapping.orders import (
    CancelOrder,
    CreateOrder,
    CreditRefund,
    NothingToSend,
    OrderMapping,
    order_action,
)
from erp_shopify.notify import Notifier, Severity
from erp_shopify.policy import ORDER_TOPICS, REFUND_TOPIC, SYNC_POLICY, Domain
from erp_shopify.records import ErpDocument
from erp_shopify.retrying import RetryPolicy, call_with_retries
from erp_shopify.store.dlq import DeadLetter
from erp_shopify.store.ledger import LeaseLost, LeaseOutcome
from erp_shopify.store.pause import Paused
from erp_shopify.store.stream import QueuedEvent

T = TypeVar("T")
ErpAction = CreateOrder | CancelOrder | CreditRefund | UpsertCustomer  # the actions that send something
CUSTOMER_ADDRESS_TOPICS = frozenset(SYNC_POLICY[Domain.CUSTOMER_ADDRESSES].webhook_topics)
NO_DOCUMENT = "(nothing to send)"  # the ledger's document for an acknowledged no-op

# Delivery threads per ERP slot: the ledger steps and mapping of an order (a few ms) overlap other
# orders' ERP calls (tens of ms), so two threads per slot keep every slot busy.
THREADS_PER_SLOT = 2


class Outcome(StrEnum):
    DELIVERED = "delivered"  # the ERP confirmed; acknowledged
    NO_OP = "no_op"  # an update with nothing to send (an order refunded to zero); acknowledged
    ALREADY_FINAL = "already_final"  # delivered or dead-lettered by an earlier run; acknowledged
    DEAD_LETTERED = "dead_lettered"  # in the DLQ; acknowledged
    WAITING = "waiting"  # a cancel or refund whose order is not in the ERP yet; left for later
    BUSY = "busy"  # another worker holds its lease; left alone
    NOT_STARTED = "not_started"  # delivery is paused; left un-acknowledged


@dataclass
class BatchReport:
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # stream id -> outcome
    documents: dict[str, str] = field(default_factory=dict)  # stream id -> ERP document number
    no_ops: dict[str, str] = field(default_factory=dict)  # stream id -> why nothing was sent
    dead_letters: list[DeadLetter] = field(default_factory=list)
    paused: Paused | None = None
    latencies: list[tuple[str, float]] = field(default_factory=list)  # (shop, queued -> ERP acknowledged)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes.values() if o is outcome)

    def summary(self) -> dict[str, int]:
        return {str(o): self.count(o) for o in Outcome if self.count(o)}


_RANK = {"orders/cancelled": 2, REFUND_TOPIC: 1}  # everything else creates (or confirms) the order


def _stream_order(event: QueuedEvent) -> tuple[int, int, int]:
    millis, _, seq = event.stream_id.partition("-")
    return _RANK.get(event.topic, 0), int(millis or 0), int(seq or 0)


def orders_of(events: Iterable[QueuedEvent]) -> list[list[QueuedEvent]]:
    """Events grouped by the order they belong to (the receiver's routing key), each group in the
    order it must apply."""
    groups: dict[tuple[str, str], list[QueuedEvent]] = defaultdict(list)
    for event in events:
        groups[(event.shop, event.routing_key)].append(event)
    return [sorted(group, key=_stream_order) for group in groups.values()]


def deliver_batch(
    events: Iterable[QueuedEvent],
    adapter: ErpAdapter,
    parts: QueueParts,
    settings: Settings,
    notifier: Notifier,
    *,
    owner: str,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchReport:
    """Deliver ``events`` (already claimed from the stream by ``owner``) and acknowledge the final ones."""
    events = list(events)
    paused = parts.pauses.status(erp_connection(settings))
    if paused is not None:
        return BatchReport(outcomes={e.stream_id: Outcome.NOT_STARTED for e in events}, paused=paused)
    run = _Delivery(adapter, parts, settings, notifier, owner, sleep)
    threads = THREADS_PER_SLOT * settings.delivery.concurrency
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="deliver") as pool:
        futures = [pool.submit(run.deliver_order, group) for group in orders_of(events)]
    run.alert_dead_letters()
    parts.latency.observe(run.report.latencies)
    for future in futures:
        future.result()  # an unexpected error fails the run (its events stay un-acknowledged)
    return run.report


class _Delivery:
    def __init__(
        self,
        adapter: ErpAdapter,
        parts: QueueParts,
        settings: Settings,
        notifier: Notifier,
        owner: str,
        sleep: Callable[[float], None],
    ) -> None:
        self.adapter = adapter
        self.parts = parts
        self.settings = settings
        self.notifier = notifier
        self.owner = owner
        self.sleep = sleep
        config = settings.delivery
        self.policy = RetryPolicy(config.max_attempts, config.initial_backoff_seconds, config.max_backoff_seconds)
        self.secrets = secret_values(settings)
        self.report = BatchReport()
        self.lock = threading.Lock()
        self.mappings: dict[str, OrderMapping] = {}
        self.customers = OrderCustomers()
        self.stop = threading.Event()
        # ERP requests in flight, across every delivery run on this connection
        self.erp_slots = parts.erp_slots(settings)

    def deliver_order(self, events: list[QueuedEvent]) -> None:
        for event in events:
            if self.stop.is_set():
                self._record(event, Outcome.NOT_STARTED)
            else:
                self.deliver_event(event)

    def deliver_event(self, event: QueuedEvent) -> None:
        key = event.ledger_key
        creates = event.topic in ORDER_TOPICS and event.topic != "orders/cancelled"
        sends_order = (event.shop, event.routing_key) if creates else None
        lease = self.parts.ledger.begin(key, self.owner, self.settings.delivery.lease_seconds, sends_order=sends_order)
        if lease.outcome is LeaseOutcome.BUSY:
            self._record(event, Outcome.BUSY)
            return
        if lease.outcome is not LeaseOutcome.ACQUIRED:
            self.parts.stream.ack([event.stream_id])
            self._record(event, Outcome.ALREADY_FINAL)
            return
        started = time.time()
        action: ErpAction | None = None
        try:
            payload = _payload(event)  # parsed once: the mapping, the order's customer, a refund's units
            mapped = self._action(event, payload)
            if isinstance(mapped, NothingToSend):
                self._nothing_to_send(event, mapped)
                return
            action = mapped
            document = self._apply(event, payload, action, known_new=_known_new(event, lease.first_send))
        except SystemFailure as exc:
            self._pause(event, exc)
            return
        except IntegrationError as exc:
            if not exc.attempts:
                exc.attempts = [started]
            self._dead_letter(event, exc, action)
            return
        except BaseException:
            self.parts.ledger.give_back(key, self.owner)
            raise
        if document is None:
            self.parts.ledger.give_back(key, self.owner)
            self._record(event, Outcome.WAITING)
            return
        self._delivered(event, action, document)

    def _action(self, event: QueuedEvent, payload: Any) -> ErpAction | NothingToSend:
        """Customers and company locations upsert the ERP customer; the rest are order actions."""
        if event.topic in CUSTOMER_ADDRESS_TOPICS:
            action: CustomerAction = customer_action(event.topic, payload, event.shop)
            return action
        return order_action(event.topic, payload, self._mapping(event.shop))

    def _mapping(self, shop: str) -> OrderMapping:
        """One mapping per shop for the whole batch, whose SKU lookup resolves each SKU once even when
        all threads meet it together (a resolution runs the xref rules in pandas: tens of ms)."""
        with self.lock:
            if shop not in self.mappings:
                mapping = order_mapping(self.settings, shop, self.parts.skus)
                self.mappings[shop] = replace(mapping, sku_xref=SharedLookup(mapping.sku_xref))
            return self.mappings[shop]

    def _call(self, fn: Callable[[], T]) -> T:
        """``fn`` with the retry policy; each attempt holds an ERP slot, a backoff holds none."""

        def attempt() -> T:
            with self.erp_slots.slot():
                return fn()

        return call_with_retries(attempt, self.policy, sleep=self.sleep)

    def _apply(self, event: QueuedEvent, payload: Any, action: ErpAction, *, known_new: bool) -> ErpDocument | None:
        """The ERP document for ``action``; None when it must wait for its order to reach the ERP.
        ``known_new`` holds for the first try only: any retry may follow a lost answer, so it searches."""
        if isinstance(action, UpsertCustomer):  # found by its reference first: a retry never duplicates
            store = customer_store(self.adapter)
            return customer_document(self._call(lambda: store.upsert_customer(action.customer)))
        if isinstance(action, CreateOrder):
            first = [known_new]
            customer = order_customer(payload, event.shop)
            guest = self.settings.shop(event.shop).guest_customer

            def create() -> ErpDocument:
                new, first[0] = first[0], False
                order = self.customers.sold_to(self.adapter, action.order, customer, guest)  # a retry finds
                return self.adapter.create_sales_order(order, known_new=new)

            return self._call(create)
        if self._call(lambda: self.adapter.find_sales_order(action.order_ref)) is None:
            waited = time.time() - event.received_at
            limit = self.settings.delivery.order_wait_seconds
            if waited < limit:
                return None
            raise DataError(
                f"order {action.order_ref} is not in the ERP {waited:.0f}s after this {event.topic} arrived "
                f"(limit {limit}s): its orders/create was never delivered; replay it first",
                codes=("ORDER_NOT_IN_ERP",),
                system="delivery",
            )
        self._withdraw_awaiting(event, payload, action)
        if isinstance(action, CancelOrder):
            return self._call(lambda: self.adapter.cancel_sales_order(action.order_ref))
        return self._call(lambda: self.adapter.create_credit(action.credit))

    def _withdraw_awaiting(self, event: QueuedEvent, payload: Any, action: CancelOrder | CreditRefund) -> None:
        """Shopify no longer commits a cancelled order's units (or a refund's restocked unshipped
        ones): take them off awaiting shipment before the ERP's stock rises, never after."""
        if isinstance(action, CancelOrder):
            lines = None
        else:
            default_location = next(iter(self.settings.shop(event.shop).locations.values()))
            lines = restocked_unshipped_lines(payload, default_location)
            if not lines:
                return
        self.parts.pending.withdraw(event.shop, event.routing_key, event.ledger_key, lines)

    def _delivered(self, event: QueuedEvent, action: ErpAction, document: ErpDocument) -> None:
        """Delivered, units released (the ERP now counts them) and acknowledged: one atomic step."""
        holds_units = isinstance(action, CreateOrder | CancelOrder)
        created = isinstance(action, CreateOrder)  # a cancelled order's units await no shipment
        release = (
            self.parts.pending.release_for(event.shop, event.routing_key, awaits_shipment=created)
            if holds_units
            else None
        )
        ack = self.parts.stream.ack_for(event.stream_id)
        try:
            self.parts.ledger.mark_delivered(event.ledger_key, self.owner, document.number, release=release, ack=ack)
        except LeaseLost:
            self._record(event, Outcome.BUSY)  # the new lease holder finds the document and finishes
            return
        self._record(event, Outcome.DELIVERED, document.number)

    def _nothing_to_send(self, event: QueuedEvent, action: NothingToSend) -> None:
        """Acknowledged as delivered with no ERP document, its reason kept in the report and the
        ledger; the order's pending units are released: it holds none any more."""
        release = self.parts.pending.release_for(event.shop, event.routing_key, awaits_shipment=False)
        ack = self.parts.stream.ack_for(event.stream_id)
        try:
            self.parts.ledger.mark_delivered(event.ledger_key, self.owner, NO_DOCUMENT, release=release, ack=ack)
        except LeaseLost:
            self._record(event, Outcome.BUSY)
            return
        with self.lock:
            self.report.no_ops[event.stream_id] = action.reason
        self._record(event, Outcome.NO_OP)

    def _dead_letter(self, event: QueuedEvent, error: IntegrationError, action: ErpAction | None) -> None:
        letter = DeadLetter.from_failure(
            event, error, erp_payload=_erp_payload(action), source_stream_id=event.stream_id, secrets=self.secrets
        )
        letter_id = self.parts.dead_letters.add(letter)
        ack = self.parts.stream.ack_for(event.stream_id)
        try:
            self.parts.ledger.mark_dead_lettered(event.ledger_key, self.owner, letter_id, ack=ack)
        except LeaseLost:
            self.parts.dead_letters.remove(letter_id)
            self._record(event, Outcome.BUSY)
            return
        with self.lock:
            self.report.dead_letters.append(letter)
        self._record(event, Outcome.DEAD_LETTERED)

    def _pause(self, event: QueuedEvent, error: SystemFailure) -> None:
        self.stop.set()
        self.parts.ledger.give_back(event.ledger_key, self.owner)
        connection = erp_connection(self.settings)
        paused = self.parts.pauses.pause(connection, f"{error} (while delivering {event.topic} of {event.shop})")
        self._record(event, Outcome.NOT_STARTED)
        with self.lock:
            first = self.report.paused is None
            self.report.paused = paused
        if first:
            self.notifier.alert(
                Severity.P0,
                "operations",
                f"Order delivery to {connection} is PAUSED: {error}",
                "Nothing is lost: events stay queued. Fix the credentials or permissions, then run "
                "`erp-shopify resume` (or the resume_deliveries job).",
            )

    def _record(self, event: QueuedEvent, outcome: Outcome, document: str = "") -> None:
        with self.lock:
            self.report.outcomes[event.stream_id] = outcome
            if document:
                self.report.documents[event.stream_id] = document
            if outcome is Outcome.DELIVERED:
                self.report.latencies.append((event.shop, time.time() - event.received_at))

    def alert_dead_letters(self) -> None:
        """One alert per error class per batch: the data team fixes data, operations the rest."""
        by_class: dict[str, list[DeadLetter]] = defaultdict(list)
        for letter in self.report.dead_letters:
            by_class[letter.error_class].append(letter)
        for error_class, letters in by_class.items():
            data = error_class == ErrorClass.DATA
            lines = [f"{x.shop} {x.topic} {x.order_ref}: {x.message}"[:240] for x in letters[:5]]
            more = f"\n... and {len(letters) - 5} more" if len(letters) > 5 else ""
            self.notifier.alert(
                Severity.P2 if data else Severity.P1,
                "data team" if data else "operations",
                f"{len(letters)} order event(s) dead-lettered ({error_class})",
                "\n".join(lines) + more + "\nInspect: `erp-shopify dlq list`; replay: `erp-shopify dlq replay`.",
            )


def _known_new(event: QueuedEvent, first_send: bool) -> bool:
    """Only ``orders/create`` may skip the search on its first send: ``orders/updated`` and
    ``orders/paid`` also arrive long after the order was created, past any marker's retention."""
    return first_send and event.topic == "orders/create"


def _payload(event: QueuedEvent) -> Any:
    try:
        return json.loads(event.body)
    except ValueError as exc:
        raise DataError(f"webhook body is not JSON: {exc}", codes=("MALFORMED_PAYLOAD",), system="delivery") from None


def _erp_payload(action: ErpAction | None) -> Any:
    if isinstance(action, CreateOrder):
        return action.order.model_dump(mode="json")
    if isinstance(action, CancelOrder):
        return {"cancel": action.order_ref, "reason": action.reason}
    if isinstance(action, UpsertCustomer):
        return action.customer.model_dump(mode="json")
    if action is not None:
        return action.credit.model_dump(mode="json")
    return None
