"""Where a benchmark's CPU goes, per role, read from ``/proc`` (Linux): the processes of one process
group (``dagster dev`` and all it started: daemon, webserver, code server, runs), this process (the
sandboxes and the polling), and how busy the whole machine was. A process that exits keeps the
last figure seen, so sample often enough to catch a run before it ends."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

ROLES = {  # a substring of the command line -> the role it plays
    "dagster._daemon": "daemon",
    "dagster_webserver": "webserver",
    "api grpc": "code server",
    "code-server": "code server",
    "spawn_main": "runs",
    "execute_run": "runs",
}
_TICK = os.sysconf("SC_CLK_TCK")


def _role(pid: str) -> str:
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return next((role for key, role in ROLES.items() if key in command), "other")


def _machine() -> tuple[int, int]:
    """Busy and total jiffies of all CPUs since boot."""
    counters = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = counters[3] + counters[4]  # idle, iowait
    return sum(counters) - idle, sum(counters)


@dataclass
class CpuShare:
    group: int  # the process group to account for
    start: dict[int, float] = field(default_factory=dict)  # pid -> CPU s when the window opened
    last: dict[int, tuple[str, float]] = field(default_factory=dict)  # pid -> role, CPU s last seen
    own_start: float = 0.0
    machine_start: tuple[int, int] = (0, 0)
    sampled_at: float = 0.0

    def open(self) -> None:
        """Start the window: what each process had used so far does not count."""
        self.sample()
        self.start = {pid: cpu for pid, (_, cpu) in self.last.items()}
        self.own_start = _own()
        self.machine_start = _machine()

    def sample_every(self, seconds: float) -> None:
        if time.monotonic() - self.sampled_at >= seconds:
            self.sample()

    def sample(self) -> None:
        self.sampled_at = time.monotonic()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) != self.group:
                    continue
                pid = int(entry.name)
                # The role is read once: an exited run waiting to be reaped shows an empty command line.
                role = self.last[pid][0] if pid in self.last else _role(entry.name)
                self.last[pid] = (role, (int(fields[11]) + int(fields[12])) / _TICK)
            except (OSError, IndexError, ValueError):
                continue  # it exited meanwhile

    def close(self) -> str:
        """The CPU seconds each role used in the window, and the machine's busy share."""
        self.sample()
        used: dict[str, float] = {}
        counts: dict[str, int] = {}
        for pid, (role, cpu) in self.last.items():
            used[role] = used.get(role, 0.0) + cpu - self.start.get(pid, 0.0)
            counts[role] = counts.get(role, 0) + (pid not in self.start or cpu > self.start[pid])
        busy, total = (b - a for a, b in zip(self.machine_start, _machine(), strict=True))
        ranked = sorted(used.items(), key=lambda r: -r[1])
        roles = ", ".join(f"{role} {seconds:.1f} ({counts[role]} processes)" for role, seconds in ranked)
        cores = os.cpu_count() or 1
        return (
            f"CPU-seconds in the drain: {roles}, this process (sandboxes, polling) {_own() - self.own_start:.1f}; "
            f"the machine's {cores} cores busy {busy / max(total, 1):.0%} of the time"
        )


def _own() -> float:
    times = os.times()
    return times.user + times.system
