"""Check builders for the student's FullyConnectedNet, against reference.Network with the same parameters.

The weights and biases come from the cell's random generator, not from the
network's own initialization (which draws from numpy's global state in the
sandbox), so the reference gives the loss, gradients and scores to expect. The
scales and shifts are the student's own initialization.
"""
import numpy as np

from assignments.grading import expect_unchanged

from .expect import entry, expect_close, expect_tuple, is_close
from .numeric import STEP, sample_entries
from .reference import Network, perturbed_losses

NET = "FullyConnectedNet"
GRADIENT_ATOL = 1e-8  # rounding noise of a centered difference of the loss, for gradients that are all near zero
MARGIN = 10  # the reference passes a gradient check on the drawn inputs with tolerances this many times smaller
MAX_DRAWS = 50
CHECKED_ENTRIES = 8  # of each parameter, in the numeric gradient check (all its entries are compared with the reference)


def _init(normalization, hidden_dims, input_dim, num_classes, weight_scale=1e-2, reg=0.0):
    """The constructor's arguments of a float64 network."""
    return dict(hidden_dims=list(hidden_dims), input_dim=input_dim, num_classes=num_classes,
                normalization=normalization, reg=reg, weight_scale=weight_scale, dtype=np.float64)


def _draw(rng, init, n):
    """(X, y, params): a batch of n examples, and weights (scaled by weight_scale) and zero biases."""
    dims = [init["input_dim"], *init["hidden_dims"], init["num_classes"]]
    params = {}
    for layer in range(1, len(dims)):
        params[f"W{layer}"] = init["weight_scale"] * rng.standard_normal((dims[layer - 1], dims[layer]))
        params[f"b{layer}"] = np.zeros(dims[layer])
    return rng.standard_normal((n, init["input_dim"])), rng.integers(init["num_classes"], size=n), params


def _reference(init, params):
    model = Network(**init)
    model.params.update(params)
    return model


def gradient_check(req, rng, normalization, hidden_dims, *, input_dim, num_classes, n, weight_scale, reg,
                   tolerances):
    """
    The loss of the student's network equals the reference's, its gradients equal
    the reference's, and at CHECKED_ENTRIES entries of each parameter they also
    match the numeric gradients taken from the student's own losses at the
    perturbed parameters (which must also be the reference's gradients there).

    A centered difference across a ReLU's kink means nothing, so the inputs are
    drawn again until the reference passes the same check with a margin: a
    correct network never fails for an unlucky draw.

    tolerances maps the first letter of a parameter name ('W', 'b', 'g') to its rtol.
    """
    init = _init(normalization, hidden_dims, input_dim, num_classes, weight_scale, reg)
    for _ in range(MAX_DRAWS):
        X, y, params = _draw(rng, init, n)
        model = _reference(init, params)
        loss, grads = model.loss(X, y)
        entries = sample_entries(rng, {name: grad.shape for name, grad in grads.items()}, CHECKED_ENTRIES)
        at_entries = {name: grads[name].ravel()[entries[name]] for name in grads}
        numeric = {name: (plus - minus) / (2 * STEP)
                   for name, (plus, minus) in perturbed_losses(model, X, y, STEP, entries).items()}
        if all(is_close(numeric[name], at_entries[name], tolerances[name[0]] / MARGIN, GRADIENT_ATOL)
               for name in grads):
            break
    else:
        raise RuntimeError(f"no draw of {MAX_DRAWS} lets the reference network pass its own gradient check")
    call = req.net(NET, init, params=params, steps=[(X, y)], numeric=(X, y, STEP, entries))

    def verify():
        value = call.value
        student_loss, student_grads = expect_tuple(value["steps"][0], 2, f"{NET}.loss")
        expect_close(student_loss, loss, 1e-10, "the loss")
        for name in sorted(grads):
            rtol = tolerances[name[0]]
            analytic = expect_close(entry(student_grads, name, "grads"), grads[name], rtol, name, atol=GRADIENT_ATOL)
            plus, minus = entry(value["numeric"], name, "the network's params")
            numeric = (plus - minus) / (2 * STEP)
            expect_close(analytic.ravel()[entries[name]], numeric, rtol,
                         f"{name} against the numeric gradient", atol=GRADIENT_ATOL)
            expect_close(numeric, at_entries[name], rtol, f"the numeric gradient of the loss for {name}",
                         atol=GRADIENT_ATOL)
    return verify


def initialization_check(req, hidden_dims, *, input_dim, num_classes, normalization):
    """Each hidden layer has gamma = ones and beta = zeros of its width; the output layer has neither."""
    call = req.net(NET, dict(hidden_dims=list(hidden_dims), input_dim=input_dim, num_classes=num_classes,
                             normalization=normalization), params={})

    def verify():
        params = entry(call.value, "params", NET)
        for layer, dim in enumerate(hidden_dims, start=1):
            expect_close(entry(params, f"gamma{layer}", "params"), np.ones(dim), 0, f"gamma{layer}")
            expect_close(entry(params, f"beta{layer}", "params"), np.zeros(dim), 0, f"beta{layer}")
        if f"gamma{len(hidden_dims) + 1}" in params:
            raise AssertionError("the output layer must not be normalized")
    return verify


def running_statistics_check(req, rng, hidden_dims, *, input_dim, num_classes, n, weight_scale):
    """After a training step each batch-norm layer has running means of its width; a test-mode step keeps them."""
    init = _init("batchnorm", hidden_dims, input_dim, num_classes, weight_scale)
    X, y, params = _draw(rng, init, n)
    call = req.net(NET, init, params=params, steps=[(X, y), (X, None)])

    def verify():
        trained, tested = entry(call.value, "bn_params", NET)
        means = [param.get("running_mean") if isinstance(param, dict) else None for param in trained]
        if len(means) != len(hidden_dims) or any(mean is None for mean in means):
            raise AssertionError("a layer has no running mean after a training step")
        shapes = [np.shape(mean) for mean in means]
        if shapes != [(dim,) for dim in hidden_dims]:
            raise AssertionError(f"running means have shapes {shapes}")
        expect_unchanged(means, [entry(param, "running_mean", "bn_param") for param in tested],
                         "the running means")
    return verify


def independence_check(req, rng, normalization, hidden_dims, *, input_dim, num_classes, n, index):
    """Test-time scores of example index alone equal its scores inside the batch (and the reference's)."""
    init = _init(normalization, hidden_dims, input_dim, num_classes)
    X, _, params = _draw(rng, init, n)
    call = req.net(NET, init, params=params, steps=[(X[index:index + 1], None), (X, None)])
    expected = _reference(init, params).loss(X)

    def verify():
        alone, whole = entry(call.value, "steps", NET)
        expect_close(whole, expected, 1e-10, "scores")
        expect_close(alone, expected[index:index + 1], 1e-10, "scores of one example alone")
    return verify
