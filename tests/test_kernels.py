"""The kernels bench/kernels.py times: the notebooks' solutions agree with PyTorch and keep float32 (no timing here)."""
import importlib.util
import os

import numpy as np
import pytest

from assignments.notebook_import import names_from_notebook
from conftest import SOURCE

torch = pytest.importorskip("torch")

VANILLA = ["batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "layernorm_forward",
           "layernorm_backward"]
GROUP = ["spatial_groupnorm_forward", "spatial_groupnorm_backward"]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_kernels", SOURCE.parent / "bench" / "kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def solutions():
    folder = SOURCE / "batchnorm"
    functions = names_from_notebook(folder / "BatchNormalization.ipynb", VANILLA)
    cwd = os.getcwd()
    os.chdir(folder)  # SpatialBatchNorm.ipynb's cells import from BatchNormalization.ipynb in their own folder
    try:
        functions.update(names_from_notebook(folder / "SpatialBatchNorm.ipynb", GROUP))
    finally:
        os.chdir(cwd)
    return functions


def data(shape, dtype, offset=3.0):
    rng = np.random.default_rng(0)
    x = (2 * rng.standard_normal(shape) + offset).astype(dtype)
    return x, *(rng.standard_normal(shape[1]).astype(dtype) for _ in range(2)), rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_benchmarked_kernels_compute_what_pytorch_computes(bench, solutions, dtype):
    x, gamma, beta, dout = data((64, 12), dtype)
    torch_forward_backward = bench.torch_kernels(x, gamma, beta, dout)[1]
    bench.check_same(solutions["batchnorm_forward"], solutions["batchnorm_backward_alt"], torch_forward_backward,
                     x, gamma, beta, dout)


def test_one_cache_serves_both_backward_passes(solutions):
    x, gamma, beta, dout = data((30, 7), np.float64, offset=50.0)
    cache = solutions["batchnorm_forward"](x, gamma, beta, {"mode": "train"})[1]
    staged, alt = (solutions[name](dout, cache) for name in ("batchnorm_backward", "batchnorm_backward_alt"))
    for a, s in zip(alt, staged):
        np.testing.assert_allclose(a, s, rtol=1e-9, atol=1e-12)


def test_float32_stays_float32_even_with_float64_parameters(solutions):
    x, gamma, beta, dout = data((16, 6), np.float32)
    gamma, beta = gamma.astype(np.float64), beta.astype(np.float64)
    for mode in ("train", "test"):
        param = {"mode": mode, "running_mean": np.zeros(6, np.float32), "running_var": np.ones(6, np.float32)}
        out, cache = solutions["batchnorm_forward"](x, gamma, beta, param)
        assert out.dtype == np.float32, mode
    pairs = (("batchnorm_forward", "batchnorm_backward_alt"), ("layernorm_forward", "layernorm_backward"))
    for forward, backward in pairs:
        out, cache = solutions[forward](x, gamma.astype(np.float32), beta.astype(np.float32), {"mode": "train"})
        assert out.dtype == np.float32, forward
        assert all(g.dtype == np.float32 for g in solutions[backward](dout, cache)), backward
    x4 = x.reshape(2, 6, 2, 4)
    out, cache = solutions["spatial_groupnorm_forward"](x4, np.ones((1, 6, 1, 1), np.float32),
                                                         np.zeros((1, 6, 1, 1), np.float32), 3, {})
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in solutions["spatial_groupnorm_backward"](dout.reshape(x4.shape), cache))


def test_blas_threads_counts_numpys_blas_threads(bench):
    assert 1 <= bench.blas_threads() <= max(os.cpu_count(), 64)
