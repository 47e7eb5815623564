"""Small helpers shared by the benchmarks: statistics and the markdown report."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> str:
    """Interquartile range, as 'p25–p75'."""
    return f"{percentile(values, 0.25):.2f}–{percentile(values, 0.75):.2f}"


def machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB memory"
    except OSError:
        pass
    return f"{os.cpu_count()} cores{memory}, {platform.system()} {platform.machine()}, " \
           f"Python {platform.python_version()}"


@dataclass
class Section:
    title: str
    command: str
    body: list[str] = field(default_factory=list)

    def table(self, headers: list[str], rows: list[list[str]]) -> None:
        self.body.append("| " + " | ".join(headers) + " |")
        self.body.append("|" + "---|" * len(headers))
        for row in rows:
            self.body.append("| " + " | ".join(row) + " |")
        self.body.append("")

    def note(self, text: str) -> None:
        self.body.append(text)
        self.body.append("")

    def render(self) -> str:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        head = [f"## {self.title}", "", f"Command: `{self.command}` · {stamp} · {machine()}", ""]
        return "\n".join(head + self.body)
