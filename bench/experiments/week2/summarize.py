"""Mean ± sd over seeds of the runs in bench/experiments/week2/results.jsonl, grouped by --tag.

    .venv/bin/python bench/experiments/week2/summarize.py              # every tag, one line each
    .venv/bin/python bench/experiments/week2/summarize.py --json bench/week2_reference.json   # and the issue keys

A tag's runs must share their configuration apart from the seed (checked). The sd is the sample standard
deviation over seeds (n - 1), 0 for one seed. CPU seconds are user + sys of the run's process.

`--json FILE` updates issue 11's keys in FILE (the notebook's reference results, whose other keys it keeps): a
key takes the lowest mean among its candidate tags run over at least 3 seeds, where that is lower than the
key's value in FILE or the key's value came from this log. The notebook's full run then compares the key with
its own 3-seed mean and writes bench/week2_reference.md: run it after this.
"""
from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
# issue 11's keys -> the tags of the recipes that answer it (LOG.md)
KEYS = {"w2_made_nll": ["made_ind4", "made_ind4_e20", "made_ind8_e20"], "w2_pixelcnn_nll": [], "w2_vae_iwae1000_nll": ["vae_dyn"]}
TARGETS = {"w2_made_nll": 105.0, "w2_pixelcnn_nll": 92.0, "w2_vae_iwae1000_nll": 105.0}


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
            "sd": round(statistics.stdev(values), 2) if len(values) > 1 else None,
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
        print(f"{s['model']:9s} {tag:18s} {s['mean']:8.2f} ± {s['sd'] or 0:5.2f} (n={s['seeds']}) "
              f"values {s['values']} cpu/run {s['seconds']['cpu_per_run']} s wall/run {s['seconds']['wall_per_run']} s")
    if args.json:
        out = json.loads(args.json.read_text()) if args.json.is_file() else {}
        for key, tags in KEYS.items():
            candidates = [summary(runs[tag]) for tag in tags if tag in runs]
            candidates = [c for c in candidates if c["seeds"] >= 3]
            if not candidates:
                continue
            best = min(candidates, key=lambda c: c["mean"])
            best["source"] = f"bench/experiments/week2/run.py, tag {best['config']['tag']}"
            kept = out.get(key, {})
            if str(kept.get("source", "")).startswith("bench/experiments/") or kept.get("mean", float("inf")) > best["mean"]:
                out[key] = {**best, "target": TARGETS[key], "target_met": best["mean"] <= TARGETS[key]}
        args.json.write_text(json.dumps(out, indent=1) + "\n")

if __name__ == "__main__":
    main()
