"""Where the thresholds of the two week-3 training tests come from (a script, not a test).

    OMP_NUM_THREADS=1 python tests/week3/calibrate_training.py 20

runs `diffusion.diffusion_loss_trains_a_denoiser` and `flows.realnvp_trains_on_2d_data` on the
reference, in-process, under run seeds 0..N-1 (the engine's per-test seeds), and prints every judged
statistic and the worst over the seeds. The thresholds in the hidden tests sit well beyond the worst.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "solutions" / "week3_flows_diffusion")]  # `import diffusion` in fixtures

from autograder import bench, checks, engine
from autograder.weeks import get_week

TESTS = ("diffusion.diffusion_loss_trains_a_denoiser", "flows.realnvp_trains_on_2d_data")


def main(num_seeds: int) -> None:
    torch.set_num_threads(1)
    week = get_week(3)
    ref = engine.reference(week)
    local = bench.LocalRemote(ref)
    tests = {t.id: t for t in engine.select_tests(week)}
    record: list[tuple[str, float]] = []
    original_close = checks.close

    def close(got, want, atol, rtol=0.0, what="", why="", unit=""):
        err = (torch.as_tensor(got, dtype=torch.float64) - torch.as_tensor(want, dtype=torch.float64)).abs().max()
        record.append((what, float(err)))
        return original_close(got, want, atol, rtol, what, why, unit)

    checks.close = close
    flows_module = sys.modules[tests[TESTS[1]].func.__module__]
    judge = flows_module._judge_flow_samples

    def recording_judge(x):
        score, cov_err = judge(x)
        record.extend([("flow: mean log-density", score), ("flow: covariance error", cov_err)])
        return score, cov_err

    flows_module._judge_flow_samples = recording_judge
    for test_id in TESTS:
        worst: dict[str, list[float]] = {}
        for seed in range(num_seeds):
            record.clear()
            torch.manual_seed(engine.test_seed(seed, test_id))
            try:
                tests[test_id].func(local, ref)
                status = "ok"
            except checks.CheckFailed as exc:
                status = f"FAILED: {exc}"
            for what, value in record:
                worst.setdefault(what, []).append(value)
            print(test_id, seed, status, [(w, round(v, 4)) for w, v in record], flush=True)
        for what, values in worst.items():
            print(f"  {what}: min {min(values):.4f}, max {max(values):.4f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
