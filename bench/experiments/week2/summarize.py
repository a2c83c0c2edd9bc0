"""Mean ± sd over seeds of the runs in bench/experiments/week2/results.jsonl, grouped by --tag.

    .venv/bin/python bench/experiments/week2/summarize.py              # every tag, one line each
    .venv/bin/python bench/experiments/week2/summarize.py --json OUT   # also the issue-11 keys, as JSON

A tag's runs must share their configuration apart from the seed (checked). The sd is the sample standard
deviation over seeds (n - 1), 0 for one seed. CPU seconds are user + sys of the run's process.
"""
from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
# issue 11's keys -> the tag of the recipe that answers it (the winners recorded in LOG.md)
KEYS = {"w2_made_nll": "made_final", "w2_pixelcnn_nll": "pixelcnn_final", "w2_vae_iwae1000_nll": "vae_final"}


def groups(path: Path = HERE / "results.jsonl") -> dict[str, list[dict]]:
    runs = defaultdict(list)
    for line in path.read_text().splitlines():
        record = json.loads(line)
        runs[record["config"]["tag"]].append(record)
    return runs


def summary(records: list[dict]) -> dict:
    configs = [{k: v for k, v in r["config"].items() if k != "seed"} for r in records]
    if any(c != configs[0] for c in configs):
        raise ValueError(f"tag {configs[0]['tag']}: runs with different configurations")
    by_seed = {r["config"]["seed"]: r for r in records}                  # the last run of each seed
    values = [r["nll"] for r in by_seed.values()]
    cpu = [r["cpu_s"] for r in by_seed.values()]
    wall = [r["wall_s"] for r in by_seed.values()]
    return {"mean": round(statistics.fmean(values), 2),
            "sd": round(statistics.stdev(values), 2) if len(values) > 1 else 0.0,
            "seeds": len(values), "values": [round(v, 2) for v in values], "seed_ids": sorted(by_seed),
            "seconds": {"cpu_per_run": round(statistics.fmean(cpu), 1), "wall_per_run": round(statistics.fmean(wall), 1)},
            "model": records[0]["model"], "config": configs[0]}


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    runs = groups()
    for tag, records in runs.items():
        s = summary(records)
        print(f"{s['model']:9s} {tag:18s} {s['mean']:8.2f} ± {s['sd']:5.2f} (n={s['seeds']}) "
              f"values {s['values']} cpu/run {s['seconds']['cpu_per_run']} s wall/run {s['seconds']['wall_per_run']} s")
    if args.json:
        out = {key: summary(runs[tag]) for key, tag in KEYS.items() if tag in runs}
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
