"""Bulk query operations: run a query over every page in the background and serve the JSONL
result, one line per object, nested connection nodes on their own lines with ``__parentId``."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, execute_sync, parse, validate

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.schema import SCHEMA
from erp_shopify_sandbox.shopify.state import now_iso

MAX_CONCURRENT = 5


class BulkOperationView:
    typename = "BulkOperation"
    type = "QUERY"
    partialDataUrl = None

    def __init__(self, index: int, query: str) -> None:
        self.index = index
        self.id = ids.gid("BulkOperation", index)
        self.query = query
        self.status = "CREATED"
        self.createdAt = now_iso()
        self.completedAt: str | None = None
        self.errorCode: str | None = None
        self.objectCount = 0
        self.rootObjectCount = 0
        self.fileSize: int | None = None
        self.url: str | None = None


def _flatten(node: dict[str, Any], parent: str | None, lines: list[dict[str, Any]]) -> None:
    row: dict[str, Any] = {}
    children: list[dict[str, Any]] = []
    for key, value in node.items():
        if isinstance(value, dict) and ("edges" in value or "nodes" in value):
            children += [e["node"] for e in value.get("edges", [])] or value.get("nodes", [])
        else:
            row[key] = value
    if parent is not None:
        row["__parentId"] = parent
    lines.append(row)
    for child in children:
        _flatten(child, row.get("id"), lines)


class BulkOperations:
    def __init__(self, context: Any, folder: Path) -> None:
        self.context = context
        self.folder = folder
        self.operations: list[BulkOperationView] = []
        self._lock = threading.Lock()

    def view(self, gid: str) -> BulkOperationView | None:
        index = ids.parse_gid(gid, "BulkOperation")
        return self.operations[index] if index is not None and index < len(self.operations) else None

    def current(self) -> BulkOperationView | None:
        return self.operations[-1] if self.operations else None

    def start(self, query: str) -> dict[str, Any]:
        def invalid(message: str, code: str = "INVALID") -> dict[str, Any]:
            return {"bulkOperation": None, "userErrors": [{"code": code, "field": ["query"], "message": message}]}

        try:
            document = parse(query)
        except Exception as exc:
            return invalid(f"Invalid bulk query: {exc}")
        errors = validate(SCHEMA, document)
        if errors:
            return invalid(f"Invalid bulk query: {errors[0].message}")
        operation = document.definitions[0]
        roots = SCHEMA.query_type.fields  # type: ignore[union-attr]
        selected = operation.selection_set.selections if isinstance(operation, OperationDefinitionNode) else ()
        if not any(getattr(f, "name", None) and "Connection" in str(roots[f.name.value].type) for f in selected):  # type: ignore[attr-defined]
            return invalid("Bulk queries must contain at least one connection.")
        with self._lock:
            if sum(op.status in ("CREATED", "RUNNING") for op in self.operations) >= MAX_CONCURRENT:
                return invalid(f"A maximum of {MAX_CONCURRENT} bulk query operations can run at once.", "LIMIT_REACHED")
            bulk = BulkOperationView(len(self.operations), query)
            self.operations.append(bulk)
        answer = copy.copy(bulk)  # the mutation answers CREATED, as Shopify does, even if the run began
        threading.Thread(target=self._run, args=(bulk, document), daemon=True).start()
        return {"bulkOperation": answer, "userErrors": []}

    def _run(self, operation: BulkOperationView, document: Any) -> None:
        operation.status = "RUNNING"
        bulk_context = copy.copy(self.context)
        bulk_context.unbounded = True
        result = execute_sync(SCHEMA, document, context_value=bulk_context)
        if result.errors or not result.data:
            operation.status, operation.errorCode, operation.completedAt = "FAILED", "INTERNAL_SERVER_ERROR", now_iso()
            return
        lines: list[dict[str, Any]] = []
        for value in result.data.values():
            roots = [e["node"] for e in value.get("edges", [])] or value.get("nodes", [])
            operation.rootObjectCount += len(roots)
            for root in roots:
                _flatten(root, None, lines)
        path = self.folder / f"{operation.index}.jsonl"
        path.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
        operation.objectCount, operation.fileSize = len(lines), path.stat().st_size
        operation.url = f"{self.context.base_url}/_sandbox/bulk/{operation.index}.jsonl"
        operation.status, operation.completedAt = "COMPLETED", now_iso()
