"""FullyConnectedNetBase: cs231n's initial losses, gradient checks, hooks, modes and dtypes."""
import numpy as np
import pytest

from assignments.measures import rel_error
from assignments.fc_net import FullyConnectedNetBase
import assignments.gradient_check as gradient_check
from assignments.gradient_check import eval_numerical_gradient

N, D, H1, H2, C = 2, 15, 20, 30, 10


class ReferenceBatchNormNet(FullyConnectedNetBase):
    """The hooks with a plain batch normalization: batch statistics, biased variance."""

    eps = 1e-5

    def init_normalization(self, layer, dim):
        self.params[f"gamma{layer}"] = np.ones(dim)
        self.params[f"beta{layer}"] = np.zeros(dim)

    def normalize_forward(self, h, layer):
        std = np.sqrt(h.var(axis=0) + self.eps)
        x_hat = (h - h.mean(axis=0)) / std
        out = self.params[f"gamma{layer}"] * x_hat + self.params[f"beta{layer}"]
        return out, (x_hat, std, self.params[f"gamma{layer}"])

    def normalize_backward(self, dout, cache, layer):
        x_hat, std, gamma = cache
        dx_hat = dout * gamma
        dh = (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0)) / std
        return dh, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def cs231n_data():
    """The seed-231 inputs of cs231n's FullyConnectedNets notebook."""
    np.random.seed(231)
    return np.random.randn(N, D), np.random.randint(C, size=(N,))


def max_gradient_error(model, X, y):
    """Largest relative error between model.loss's gradients and numeric ones, over all params."""
    _, grads = model.loss(X, y)
    assert grads.keys() == model.params.keys()
    errors = [rel_error(grads[name], eval_numerical_gradient(
                  lambda _: model.loss(X, y)[0], model.params[name], verbose=False, h=1e-5))
              for name in model.params]
    return max(errors)


def test_initial_losses_at_seed_231_are_cs231n_s():
    X, y = cs231n_data()
    losses = [FullyConnectedNetBase([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2,
                                    dtype=np.float64).loss(X, y)[0] for reg in (0, 3.14)]
    assert np.allclose(losses, [2.3004790897684924, 7.052114776533016], rtol=0, atol=1e-12)


# At reg 0, W2's error is 2.21e-05 in cs231n's notebook as here: a ReLU input lies near its kink.
@pytest.mark.parametrize("reg, tol", [(0, 3e-5), (3.14, 1e-6)])
def test_gradients_match_numeric_ones(reg, tol):
    X, y = cs231n_data()
    model = FullyConnectedNetBase([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2,
                                  dtype=np.float64)
    assert max_gradient_error(model, X, y) < tol


def test_gradients_match_numeric_ones_with_seeded_dropout():
    X, y = cs231n_data()
    model = FullyConnectedNetBase([H1, H2], input_dim=D, num_classes=C, weight_scale=5e-2,
                                  dtype=np.float64, dropout_keep_ratio=0.5, seed=123)
    assert model.dropout_param == {"mode": "train", "p": 0.5, "seed": 123}
    assert max_gradient_error(model, X, y) < 1e-6


def test_parameters_have_cs231n_s_names_shapes_and_biases():
    model = FullyConnectedNetBase([4, 5], input_dim=3, num_classes=2)
    shapes = {name: value.shape for name, value in model.params.items()}
    assert shapes == {"W1": (3, 4), "b1": (4,), "W2": (4, 5), "b2": (5,), "W3": (5, 2), "b3": (2,)}
    assert not any(model.params[f"b{layer}"].any() for layer in (1, 2, 3))
    assert model.num_layers == 3 and model.bn_params == [] and model.dropout_param == {}


def test_an_unknown_normalization_is_rejected():
    with pytest.raises(ValueError, match="'batchnorm', 'layernorm'.*'groupnorm'"):
        FullyConnectedNetBase([4], normalization="groupnorm")


@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_the_base_class_asks_for_each_hook_to_be_implemented(normalization):
    with pytest.raises(NotImplementedError, match="implement init_normalization in the notebook"):
        FullyConnectedNetBase([4], input_dim=3, normalization=normalization)
    model = FullyConnectedNetBase([4], input_dim=3)
    with pytest.raises(NotImplementedError, match="implement normalize_forward in the notebook"):
        model.normalize_forward(np.zeros((2, 4)), 1)
    with pytest.raises(NotImplementedError, match="implement normalize_backward in the notebook"):
        model.normalize_backward(np.zeros((2, 4)), None, 1)


def test_params_are_cast_to_dtype_and_inputs_too():
    X = np.random.default_rng(0).standard_normal((3, 2, 3))  # float64, flattened to D = 6
    for dtype in (np.float32, np.float64):
        model = ReferenceBatchNormNet([4], input_dim=6, num_classes=5, normalization="batchnorm",
                                      dtype=dtype)
        assert {value.dtype for value in model.params.values()} == {np.dtype(dtype)}
        assert model.loss(X).dtype == dtype


def test_without_labels_loss_returns_scores_in_test_mode():
    X = np.random.default_rng(1).standard_normal((6, 3))
    model = ReferenceBatchNormNet([4, 4], input_dim=3, num_classes=5, normalization="batchnorm",
                                  dropout_keep_ratio=0.5)
    assert model.bn_params == [{"mode": "train"}, {"mode": "train"}]
    scores = model.loss(X)
    assert scores.shape == (6, 5)
    assert model.dropout_param["mode"] == "test"
    assert [p["mode"] for p in model.bn_params] == ["test", "test"]
    model.loss(X, np.zeros(6, dtype=int))
    assert model.dropout_param["mode"] == "train"
    assert [p["mode"] for p in model.bn_params] == ["train", "train"]


def test_layernorm_gets_one_empty_param_dictionary_per_hidden_layer():
    model = ReferenceBatchNormNet([4, 4, 4], input_dim=3, normalization="layernorm")
    assert model.bn_params == [{}, {}, {}]


def test_a_subclass_with_batchnorm_hooks_passes_the_gradient_check_with_gamma_and_beta():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((10, 5)), rng.integers(4, size=10)
    model = ReferenceBatchNormNet([6, 7], input_dim=5, num_classes=4, normalization="batchnorm",
                                  reg=3.14, weight_scale=0.5, dtype=np.float64)
    for layer in (1, 2):  # away from gamma = 1, beta = 0 so that they matter
        model.params[f"gamma{layer}"] = rng.uniform(0.5, 1.5, size=model.params[f"gamma{layer}"].shape)
        model.params[f"beta{layer}"] = rng.standard_normal(model.params[f"beta{layer}"].shape)
    assert {"gamma1", "beta1", "gamma2", "beta2"} <= model.params.keys()
    assert "gamma3" not in model.params
    assert max_gradient_error(model, X, y) < 1e-6


@pytest.mark.parametrize("refinements", [gradient_check.REFINEMENTS, 0])
def test_a_relu_input_within_the_step_of_its_kink_does_not_fail_a_correct_network(monkeypatch, refinements):
    # the draw of seed 24 puts a ReLU input within 1e-5 of 0: a fixed step is off by 2.5e-3 of the largest gradient
    monkeypatch.setattr(gradient_check, "REFINEMENTS", refinements)
    rng = np.random.default_rng(24)
    np.random.seed(24)
    model = ReferenceBatchNormNet([8, 8], input_dim=4, num_classes=3, normalization="batchnorm", weight_scale=0.3,
                                  reg=0.5, dtype=np.float64)
    X, y = rng.standard_normal((8, 4)), rng.integers(3, size=8)
    _, grads = model.loss(X, y)
    numeric = {name: eval_numerical_gradient(lambda _: model.loss(X, y)[0], value, verbose=False)
               for name, value in model.params.items()}
    scale = max(np.max(np.abs(value)) for value in numeric.values())
    error = max(np.max(np.abs(grads[name] - numeric[name])) for name in numeric) / scale
    assert (error < 1e-8) == (refinements > 0), error


def test_only_the_weights_are_regularized():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((8, 5)), rng.integers(3, size=8)
    losses, grads = {}, {}
    for reg in (0.0, 2.0):
        np.random.seed(0)
        model = ReferenceBatchNormNet([6], input_dim=5, num_classes=3, normalization="batchnorm",
                                      reg=reg, dtype=np.float64)
        losses[reg], grads[reg] = model.loss(X, y)
    penalty = sum(np.sum(model.params[w] ** 2) for w in ("W1", "W2"))
    assert np.isclose(losses[2.0] - losses[0.0], 0.5 * 2.0 * penalty)
    for name in ("b1", "b2", "gamma1", "beta1"):
        assert np.array_equal(grads[2.0][name], grads[0.0][name]), name
    assert np.allclose(grads[2.0]["W1"] - grads[0.0]["W1"], 2.0 * model.params["W1"])
