"""Summarise py-spy's collapsed stacks (bench/round.py --profile): the functions with the
largest share of samples, by own time and by time including callees.

    .venv/bin/python bench/profile_top.py /tmp/round.prof.0 [--top 25] [--match meting]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rpartition(" ")
    return stack.split(";"), int(count)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only functions whose frame holds this")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for path in args.files:
        for line in path.read_text().splitlines():
            stack, count = frames(line)
            samples += count
            own[stack[-1]] += count
            for frame in set(stack):
                total[frame] += count
    for title, table in (("own time", own), ("with callees", total)):
        print(f"--- {title} ({samples:,} samples)")
        shown = [(f, n) for f, n in table.most_common() if args.match in f][:args.top]
        for frame, n in shown:
            print(f"{n / samples:6.1%}  {frame}")


if __name__ == "__main__":
    main()
