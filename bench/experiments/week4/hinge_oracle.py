"""Check of gan.py's docstring: the best hinge loss is 2 - 2 TV (f unconstrained) and 2 - d_BL (f 1-Lipschitz).

python3 bench/experiments/week4/hinge_oracle.py   (numpy + scipy, a second)
"""

# Oracle: min over f of the hinge loss E_p relu(1-f) + E_q relu(1+f) on a finite 1-D support, by LP,
# against 2 - 2 TV (f unconstrained) and 2 - d_BL (f 1-Lipschitz), d_BL by its own LP; and W1.
import numpy as np
from scipy.optimize import linprog

rng = np.random.default_rng(0)
for trial in range(5):
    n = 6
    x = np.sort(rng.uniform(0, 3, n))
    p = rng.dirichlet(np.ones(n))
    q = rng.dirichlet(np.ones(n))

    def hinge_min(lip):
        # variables f (n), a (n) >= relu(1-f), b (n) >= relu(1+f); minimize p.a + q.b
        c = np.concatenate([np.zeros(n), p, q])
        A, ub = [], []
        for i in range(n):
            r = np.zeros(3 * n)
            r[i] = -1
            r[n + i] = -1
            A.append(r)
            ub.append(-1)  # a_i >= 1 - f_i
            r = np.zeros(3 * n)
            r[i] = 1
            r[2 * n + i] = -1
            A.append(r)
            ub.append(-1)  # b_i >= 1 + f_i
        if lip:
            for i in range(n - 1):
                d = x[i + 1] - x[i]
                r = np.zeros(3 * n)
                r[i + 1] = 1
                r[i] = -1
                A.append(r)
                ub.append(d)
                r = np.zeros(3 * n)
                r[i + 1] = -1
                r[i] = 1
                A.append(r)
                ub.append(d)
        bounds = [(None, None)] * n + [(0, None)] * (2 * n)
        return linprog(c, A_ub=np.array(A), b_ub=ub, bounds=bounds).fun

    def sup_gap(lip, bounded):
        c = -(p - q)
        A, ub = [], []
        if lip:
            for i in range(n - 1):
                d = x[i + 1] - x[i]
                r = np.zeros(n)
                r[i + 1] = 1
                r[i] = -1
                A.append(r)
                ub.append(d)
                r = np.zeros(n)
                r[i + 1] = -1
                r[i] = 1
                A.append(r)
                ub.append(d)
        bounds = [(-1, 1) if bounded else (None, None)] * n
        if not bounded:
            bounds[0] = (0, 0)
        return -linprog(c, A_ub=np.array(A) if A else None, b_ub=ub or None, bounds=bounds).fun

    tv = 0.5 * np.abs(p - q).sum()
    w1 = np.sum(np.abs(np.cumsum(p - q)[:-1]) * np.diff(x))
    dbl = sup_gap(True, True)
    print(
        f"unconstrained: {hinge_min(False):.6f} vs 2-2TV {2 - 2 * tv:.6f};  Lipschitz: {hinge_min(True):.6f} vs 2-dBL {2 - dbl:.6f};"
        f"  dBL {dbl:.4f} <= min(W1 {w1:.4f} [LP {sup_gap(True, False):.4f}], 2TV {2 * tv:.4f})"
    )
