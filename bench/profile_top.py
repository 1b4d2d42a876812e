"""Summarise py-spy's collapsed stacks (bench/round.py --profile): the functions with the
largest share of samples, by own time and by time including callees.

    .venv/bin/python bench/profile_top.py /tmp/round.prof.0 [--top 25] [--match meting]

A third table puts each sample on the deepest meting module of its stack (what meting
code the time was spent for, in libraries included), or on the interpreter's imports.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

MODULE = re.compile(r"\((meting/[^:]+)")


def frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rpartition(" ")
    return stack.split(";"), int(count)


def area(stack: list[str]) -> str:
    """The deepest meting module of a stack; imports, or the process, when none."""
    if any("_find_and_load" in frame for frame in stack):
        return "importing modules (start-up)"
    for frame in reversed(stack):
        found = MODULE.search(frame)
        if found:
            return found.group(1)
    return "no meting frame (interpreter, threads)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only functions whose frame holds this")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    samples = 0
    for path in args.files:
        for line in path.read_text().splitlines():
            stack, count = frames(line)
            samples += count
            own[stack[-1]] += count
            areas[area(stack)] += count
            for frame in set(stack):
                total[frame] += count
    for title, table in (("own time", own), ("with callees", total),
                         ("by meting module", areas)):
        print(f"--- {title} ({samples:,} samples)")
        shown = [(f, n) for f, n in table.most_common() if args.match in f][:args.top]
        for frame, n in shown:
            print(f"{n / samples:6.1%}  {frame}")


if __name__ == "__main__":
    main()
