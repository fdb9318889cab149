"""Batch-norm kernels: the reference solutions against PyTorch, the memory bandwidth, and each other.

Run from the repository root (about a minute on 2 cores):

    .venv/bin/python bench/kernels.py [--repeats 30]

The kernels are the solution functions of source/batchnorm/BatchNormalization.ipynb,
loaded from the notebook with assignments.notebook_import. Every figure is a
ratio of two timings taken side by side in one run: the contenders run in turn,
repetition after repetition, so that a load from elsewhere on a shared machine
falls on all of them. Each ratio is printed twice: of the best times, then
(in parentheses) the median of the per-repetition ratios.

1. numpy vs PyTorch: batchnorm_forward + batchnorm_backward_alt against
   PyTorch's CPU batch norm, forward and backward, on the same data (same
   shape, same dtype; PyTorch gets as many threads as numpy's BLAS). Goal:
   numpy at most 1.0x PyTorch's time.
2. Kernels vs memory bandwidth: each kernel's time as a multiple of the least
   time its bytes can move (goal: within 3x). The forward pass must read x and
   write out: that is one copy of an (N, D) array. The backward pass must read
   dout and x and write dx: one copy and one read-only reduction (x.sum()).
   The bound is taken with the copy into an existing array (bandwidth alone)
   and, second, into a new one (what returning a new array costs, the
   operating system's zeroing of fresh pages included).
3. batchnorm_backward_alt vs batchnorm_backward (the staged graph): goal, alt
   at least 3x faster.
"""
import argparse
import os
import pathlib
import sys
import time

import numpy as np
import torch

from assignments.notebook_import import names_from_notebook

REPO = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "source" / "batchnorm" / "BatchNormalization.ipynb"
TORCH_CASES = [((4096, 1024), np.float64), ((4096, 1024), np.float32), ((256, 65536), np.float32)]
ALT_CASES = [(100, 500), (4096, 1024)]
GOALS = {"torch": 1.0, "bandwidth": 3.0, "alt": 3.0}


def blas_threads():
    """The number of threads numpy's BLAS uses (threadpoolctl when available, else the environment)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        counts = [pool["num_threads"] for pool in threadpool_info()
                  if pool["user_api"] == "blas" and "numpy" in pool["filepath"]]
        if counts:
            return counts[0]
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return os.cpu_count()


def interleaved(contenders, repeats):
    """
    Time each contender once per repetition, in turn.

    Inputs:
    - contenders: {name: function of no arguments}
    - repeats: Number of repetitions

    Returns {name: array of shape (repeats,) of seconds}. One untimed call of
    each first warms caches and allocators.
    """
    for run in contenders.values():
        run()
    times = {name: np.empty(repeats) for name in contenders}
    for r in range(repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name][r] = time.perf_counter() - start
    return times


def ratio(a, b):
    """(best of a / best of b, median of a[r] / b[r]): how many times b's time a takes."""
    return a.min() / b.min(), float(np.median(a / b))


def show(label, figures, goal, smaller_is_better=True):
    """One line: a ratio as best (median), and whether it meets the goal."""
    best, median = figures
    met = best <= goal if smaller_is_better else best >= goal
    bound = "<=" if smaller_is_better else ">="
    print(f"  {label:<52}{best:7.2f}x ({median:.2f}x)   goal {bound} {goal:.1f}x: {'met' if met else 'NOT MET'}")


def torch_kernels(x, gamma, beta, dout):
    """
    PyTorch's CPU batch norm on the same arrays (shared memory, no copies).

    Returns (forward, forward_backward): functions of no arguments. They call
    the ATen operators native_batch_norm and native_batch_norm_backward, the
    kernels that torch.nn.functional.batch_norm(training=True) and its autograd
    backward dispatch to on CPU, without building an autograd graph: PyTorch's
    time at its lowest, the strictest comparison. In train mode they update the
    running averages in place, as batchnorm_forward writes them back.
    """
    x, gamma, beta, dout = map(torch.from_numpy, (x, gamma, beta, dout))
    running_mean, running_var = torch.zeros_like(gamma), torch.ones_like(gamma)
    aten = torch.ops.aten

    def forward():
        # momentum 0.1 in PyTorch's convention is cs231n's 0.9
        return aten.native_batch_norm(x, gamma, beta, running_mean, running_var, True, 0.1, 1e-5)

    def forward_backward():
        out, mean, invstd = forward()
        return out, aten.native_batch_norm_backward(dout, x, gamma, running_mean, running_var, mean, invstd,
                                                    True, 1e-5, [True, True, True])

    return forward, forward_backward


def numpy_vs_torch(kernels, repeats):
    """Sections 1 and 2: numpy and PyTorch side by side, and both against copies and reads of the same arrays."""
    forward, backward = kernels["batchnorm_forward"], kernels["batchnorm_backward_alt"]
    print(f"1. numpy batchnorm_forward + batchnorm_backward_alt vs PyTorch (torch threads: {torch.get_num_threads()})")
    bandwidth = []
    for shape, dtype in TORCH_CASES:
        rng = np.random.default_rng(231)
        x, dout = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
        gamma, beta = rng.standard_normal(shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)
        cache = forward(x, gamma, beta, {"mode": "train"})[1]
        torch_forward, torch_forward_backward = torch_kernels(x, gamma, beta, dout)
        check_same(forward, backward, torch_forward_backward, x, gamma, beta, dout)
        existing = np.empty_like(x)
        times = interleaved({
            "numpy": lambda: backward(dout, forward(x, gamma, beta, {"mode": "train"})[1]),
            "torch": torch_forward_backward,
            "numpy forward": lambda: forward(x, gamma, beta, {"mode": "train"}),
            "numpy backward": lambda: backward(dout, cache),
            "torch forward": torch_forward,
            "copy": lambda: np.copyto(existing, x),
            "copy to a new array": x.copy,
            "read": x.sum,
        }, repeats)
        name = f"{shape[0]} x {shape[1]} {np.dtype(dtype).name}"
        show(f"{name}: numpy / PyTorch", ratio(times["numpy"], times["torch"]), GOALS["torch"])
        show(f"{name}: numpy / PyTorch, forward alone", ratio(times["numpy forward"], times["torch forward"]),
             GOALS["torch"])
        bandwidth.append((name, x.nbytes, times))
    print("\n2. kernels vs the least time their bytes can move (forward: one copy; backward: one copy and one read)")
    for name, nbytes, times in bandwidth:
        copy, new_copy, read = times["copy"].min(), times["copy to a new array"].min(), times["read"].min()
        print(f"  {name}: copy {2 * nbytes / copy / 1e9:.1f} GB/s, into a new array {2 * nbytes / new_copy / 1e9:.1f}"
              f" GB/s, read {nbytes / read / 1e9:.1f} GB/s")
        for kernel, reads in (("forward", 0), ("backward", 1)):
            for into, bound in (("", times["copy"] + reads * times["read"]),
                                (", bound with a new array", times["copy to a new array"] + reads * times["read"])):
                show(f"  numpy {kernel} / bound{into}", ratio(times[f"numpy {kernel}"], bound), GOALS["bandwidth"])
        show("  PyTorch forward / bound", ratio(times["torch forward"], times["copy"]), GOALS["bandwidth"])


def check_same(forward, backward, torch_forward_backward, x, gamma, beta, dout):
    """Both sides compute the same thing: out, dx, dgamma and dbeta agree."""
    out, cache = forward(x, gamma, beta, {"mode": "train"})
    ours = (out, *backward(dout, cache))
    torch_out, torch_grads = torch_forward_backward()
    theirs = (torch_out, *torch_grads)
    tolerance = 1e-6 if x.dtype == np.float64 else 1e-2
    for name, a, b in zip(("out", "dx", "dgamma", "dbeta"), ours, theirs):
        np.testing.assert_allclose(a, b.numpy(), rtol=tolerance, atol=tolerance, err_msg=name)


def alt_vs_staged(kernels, repeats):
    """Section 3: the closed-form backward pass against the staged one, from the same cache."""
    forward = kernels["batchnorm_forward"]
    staged, alt = kernels["batchnorm_backward"], kernels["batchnorm_backward_alt"]
    print("\n3. batchnorm_backward (staged) / batchnorm_backward_alt: how many times faster alt is")
    for shape in ALT_CASES:
        rng = np.random.default_rng(231)
        x, dout = 5 * rng.standard_normal(shape) + 12, rng.standard_normal(shape)
        cache = forward(x, rng.standard_normal(shape[1]), rng.standard_normal(shape[1]), {"mode": "train"})[1]
        times = interleaved({"staged": lambda: staged(dout, cache), "alt": lambda: alt(dout, cache)}, repeats)
        show(f"{shape[0]} x {shape[1]} float64", ratio(times["staged"], times["alt"]), GOALS["alt"],
             smaller_is_better=False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    torch.set_num_threads(blas_threads())
    kernels = names_from_notebook(NOTEBOOK, ["batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt"])
    print(f"numpy {np.__version__}, torch {torch.__version__}, {os.cpu_count()} cores, "
          f"numpy BLAS threads {blas_threads()}, load average {os.getloadavg()[0]:.2f}; "
          "ratios: best (median of repetitions)\n")
    numpy_vs_torch(kernels, args.repeats)
    alt_vs_staged(kernels, args.repeats)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (the figures assume a machine otherwise idle)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
