"""The trusted side's reference network: its batched numeric-gradient losses equal the driver's, one by one, at the sampled entries."""
import numpy as np
import pytest

from autograder.trusted import driver, network_checks, numeric, reference


@pytest.mark.parametrize("normalization, hidden, reg, eps", [
    ("batchnorm", [8, 7], 0.0, 1e-5), ("layernorm", [8, 7], 3.1, 1e-3), (None, [5, 4, 3], 0.7, None)])
def test_batched_perturbed_losses_equal_the_drivers_one_at_a_time(normalization, hidden, reg, eps):
    rng = np.random.default_rng(7)
    init = network_checks._init(normalization, hidden, 6, 5, 5e-2, reg)
    X, y, params = network_checks._draw(rng, init, 4)
    model = network_checks._reference(init, params)
    for layer, dim in enumerate(hidden if normalization else [], start=1):
        model.params[f"gamma{layer}"] = rng.uniform(0.5, 2, dim)
        model.params[f"beta{layer}"] = rng.standard_normal(dim)
        model.bn_params[layer - 1]["eps"] = eps
    entries = numeric.sample_entries(rng, {name: p.shape for name, p in model.params.items()}, 6)
    one_at_a_time = driver.perturbed_losses(model, X, y, 1e-5, entries)
    batched = reference.perturbed_losses(model, X, y, 1e-5, entries)
    assert sorted(batched) == sorted(model.params)
    assert [len(batched[name][0]) for name in sorted(batched)] == [min(6, model.params[n].size) for n in sorted(batched)]
    for name, (plus, minus) in one_at_a_time.items():
        np.testing.assert_allclose(batched[name][0], plus, rtol=1e-13, err_msg=name)
        np.testing.assert_allclose(batched[name][1], minus, rtol=1e-13, err_msg=name)
