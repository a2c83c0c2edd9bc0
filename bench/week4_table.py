"""Week 4 reference results over several seeds: the VEEGAN table of the issue (ring and grid).

    python bench/week4_table.py [--seeds 5] [--methods WGAN-SN GAN WGAN-GP] [--sets ring grid]

Runs the instructor notebook's own recipes (`notebooks/week4_wgan_sn.ipynb`: the cells `data-2d`,
`train-gan` and `w4-methods` are executed here, so the recipes cannot drift from the notebook's) with the
reference `solutions/week4_wgan_sn/gan.py`, one torch thread, seeds 0..N-1, and writes the mean of modes
covered, high-quality fraction and mode_kl, with the CPU and wall time of each run, into the `seeds`
section of bench/week4_reference.md (one section per list of sets, so that ring and grid may run apart) (the notebook's full run writes its own one-seed section there).

The issue's targets for WGAN-SN, as means over 5 seeds: ring 8 of 8 modes and >= 80% high quality;
grid >= 24.6 modes and >= 60% high quality; each run <= 3 minutes on a 2-core CPU.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import nbformat
import torch

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "week4_wgan_sn.ipynb"
BENCH = ROOT / "bench" / "week4_reference.md"
CELL_IDS = ("data-2d", "train-gan", "w4-methods")
TARGETS = {"ring": (8.0, 0.80), "grid": (24.6, 0.60)}  # (mean modes, mean high-quality fraction) for WGAN-SN


def notebook_namespace() -> dict:
    """The notebook's imports, then its recipe cells, executed with the reference gan.py."""
    sys.path.insert(0, str(ROOT / "solutions" / "week4_wgan_sn"))
    sys.path.insert(0, str(ROOT))
    import gan  # noqa: F401  (the reference)

    namespace: dict = {}
    exec("import math, time\nfrom dataclasses import dataclass\nimport numpy as np\nimport torch\n"
         "import torch.nn.functional as F\nfrom torch import nn\nimport gan\n"
         "from gan import power_iteration, spectral_norm, Generator, Critic, train_wgan, mode_coverage\n"
         "FAST = False\n", namespace)
    cells = {c.get("id"): c for c in nbformat.read(NOTEBOOK, as_version=4).cells}
    for cell_id in CELL_IDS:
        exec(cells[cell_id].source, namespace)
    return namespace


def write_section(key: str, lines: list[str]) -> None:
    """Replace (or append) the section between `<!-- key: begin -->` and `<!-- key: end -->`."""
    begin, end = f"<!-- {key}: begin -->", f"<!-- {key}: end -->"
    old = BENCH.read_text() if BENCH.exists() else "# Week 4 reference results\n"
    block = "\n".join([begin, *lines, end])
    if begin in old:
        new = old[: old.index(begin)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    BENCH.write_text(new)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--methods", nargs="+", default=["GAN", "WGAN-GP", "WGAN-SN"])
    parser.add_argument("--sets", nargs="+", default=["ring", "grid"])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    ns = notebook_namespace()
    methods = {m.name: m for m in ns["METHODS"]}
    rows = []
    for data in args.sets:
        for name in args.methods:
            runs = []
            for seed in range(args.seeds):
                cpu, wall = time.process_time(), time.perf_counter()
                result = ns["run"](methods[name], data, seed)
                runs.append((result, time.process_time() - cpu, time.perf_counter() - wall))
                print(f"{data} {name} seed {seed}: {result['modes']} modes, {100 * result['hq']:.1f}% high quality, "
                      f"mode_kl {result['mode_kl']:.3f}, {runs[-1][1]:.0f} s CPU, {runs[-1][2]:.0f} s wall", flush=True)
            rows.append((data, name, runs))
    today = datetime.date.today().isoformat()
    lines = [f"## {', '.join(args.sets)}: {args.seeds} seeds per run, {today}", "",
             f"`python bench/week4_table.py --seeds {args.seeds}`: the notebook's recipes, seeds 0..{args.seeds - 1}, "
             f"{ns['NUM_EVAL']} samples each. Machine: {platform.machine()}, {os.cpu_count()} CPUs, torch "
             f"{torch.__version__}, one thread per run; load average at the end {os.getloadavg()[0]:.1f}. CPU time "
             "is this process's; wall time is inflated by the other jobs on the machine.", "",
             "| set | method | modes (mean) | modes per seed | high-quality (mean) | mode_kl (mean) | generator steps "
             "| CPU s per run (mean, max) | wall s per run (mean, max) | target |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for data, name, runs in rows:
        modes = statistics.mean(r["modes"] for r, _, _ in runs)
        hq = statistics.mean(r["hq"] for r, _, _ in runs)
        kl = statistics.mean(r["mode_kl"] for r, _, _ in runs)
        cpu = [c for _, c, _ in runs]
        wall = [w for _, _, w in runs]
        target = ""
        if name == "WGAN-SN":
            need_modes, need_hq = TARGETS[data]
            met = modes >= need_modes - 1e-9 and hq >= need_hq
            target = f"{'met' if met else 'MISSED'} (>= {need_modes:g} modes, >= {100 * need_hq:.0f}%)"
        lines.append(f"| {data} | {name} | {modes:.1f} | {' '.join(str(r['modes']) for r, _, _ in runs)} | "
                     f"{100 * hq:.1f}% | {kl:.3f} | {runs[0][0]['steps']} | {statistics.mean(cpu):.0f}, {max(cpu):.0f} "
                     f"| {statistics.mean(wall):.0f}, {max(wall):.0f} | {target} |")
    lines += ["", "VEEGAN's Table 1 for comparison: ring GAN 1 mode 99.3%, Unrolled GAN 7.6 / 35.6%, VEEGAN 8 / 52.9%; "
              "grid GAN 3.3 / 0.5%, Unrolled GAN 23.6 / 16%, VEEGAN 24.6 / 40%."]
    write_section(f"seeds {' '.join(args.sets)}", lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
