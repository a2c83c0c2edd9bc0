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
KEYS = {"w2_made_nll": "made_ind4", "w2_pixelcnn_nll": None, "w2_vae_iwae1000_nll": "vae_dyn"}
TARGETS = {"w2_made_nll": 105.0, "w2_pixelcnn_nll": 92.0, "w2_vae_iwae1000_nll": 105.0}
# the committed notebook's full run (notebooks/week2_ar_vae.ipynb, 2026-12-06, one seed), for the keys whose
# recipe above has fewer seeds, and for the notebook's time
NOTEBOOK = {"w2_made_nll": 108.17, "w2_pixelcnn_nll": 102.18, "w2_vae_iwae1000_nll": 116.31}
NOTEBOOK_SECONDS = {"wall": 322.8, "cpu": 98.8}


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
        out = {}
        for key, tag in KEYS.items():
            notebook = {"mean": NOTEBOOK[key], "sd": None, "seeds": 1,
                        "source": "notebooks/week2_ar_vae.ipynb, full run of 2026-12-06"}
            best = summary(runs[tag]) if tag in runs else dict(notebook)
            if tag in runs:
                best["source"] = f"bench/experiments/week2/run.py, tag {tag}"
            best["target"] = TARGETS[key]
            best["target_met"] = best["seeds"] >= 3 and best["mean"] <= TARGETS[key]
            out[key] = best
            out[key + "_notebook"] = notebook
        out["notebook_seconds"] = {"mean": NOTEBOOK_SECONDS["wall"], "sd": None, "seeds": 1,
                                   "seconds": NOTEBOOK_SECONDS,
                                   "source": "notebooks/week2_ar_vae.ipynb, full run of 2026-12-06"}
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
