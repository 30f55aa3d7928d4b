"""Run every benchmark module (or those named on the command line) and print their figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import erp_shopify_tests.bench as bench_package


def main(argv: list[str]) -> int:
    names = argv or sorted(m.name for m in pkgutil.iter_modules(bench_package.__path__) if m.name.startswith("bench_"))
    print(f"# erp_shopify benchmarks, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    for name in names:
        module = importlib.import_module(f"erp_shopify_tests.bench.{name}")
        print(f"\n## {name.removeprefix('bench_')}", flush=True)
        for line in module.run():
            print(f"- {line}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
