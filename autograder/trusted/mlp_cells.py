"""Trusted checks of the graded cells of MLPBatchNorm.ipynb (assignment mlp_batchnorm).

One function per test cell: it registers the calls of the cell's checks in the
Request and returns the checks, one per check of the cell (visible ones first,
then hidden ones), with the cell's wording, on inputs drawn from the cell's
random generator. The student's classes are constructed in the sandbox, their
methods called and their attributes read there; every value is compared here
with mlp_reference.py. Where a visible check of the notebook takes numeric
gradients, the reference's analytic gradients (tested against PyTorch's
autograd) stand in for them.
"""
import numpy as np

from assignments.grading import expect_unchanged

from . import mlp_reference as ref
from .expect import expect_close, expect_dtype, expect_shape, expect_tuple
from .request import Global, NumpyFunction
from .scoring import Check

RANDN = NumpyFunction("random.randn")  # initializers for constructors; the checks then set the parameters
ANSWERS = {"test_q1": "c", "test_q2": "b", "test_q3": "d", "test_q4": "a"}
NAMES = ("Sigmoid", "Tanh", "ReLU")  # the activations students write
PARAMETERS = (("linear_layers", "W", "dW"), ("linear_layers", "b", "db"),
              ("bn_layers", "gamma", "dgamma"), ("bn_layers", "beta", "dbeta"))
TIGHT = 1e-10  # float64 against float64


def _all(*verifies):
    """One verify that runs several."""
    def verify():
        for each in verifies:
            each()
    return verify


def _new(req, cls, *args, **kwargs):
    """A Ref to an object cls(*args, **kwargs) made in the sandbox."""
    return req.call(cls, *args, kwargs=kwargs, send=False).returned()


def _succeeded(*calls):
    """Raise CallFailed for the first of the calls that failed."""
    for call in calls:
        call.value


def _expect_values(expected, names, dtype):
    """For each name, expected[name] = (call, right): the call's value close to right, and float64 if dtype."""
    for name in names:
        call, right = expected[name]
        if dtype:
            expect_dtype(call.value, np.float64, name)
        expect_close(call.value, right, TIGHT, name)


# --- multiple choice ---

def _choice(cell):
    def build(req, rng):
        name = f"answer_{cell.split('_')[1]}"
        answer = req.read(Global(name))

        def verify():
            if answer.value != ANSWERS[cell]:
                raise AssertionError(f"{answer.value!r} is not the right answer")
        return [Check(f"{name} is the right answer", verify)]
    build.__name__ = cell
    return build


# --- activations ---

def _activation(req, name, inputs, rtol, *, dtype=None, watch=False):
    """
    A fresh activation called on each input in turn, then its state and derivative read:
    the last output, the state and the derivative against the reference at the last input,
    with the input's dtype when dtype is set, and the last input unchanged when watch is set.
    """
    obj = _new(req, name)
    outputs = [req.call(obj.attr("forward"), z, watch=(0,) if watch else ()) for z in inputs]
    state = req.read(obj.attr("state"))
    derivative = req.call(obj.attr("derivative"))
    z = inputs[-1]
    f, df = ref.ACTIVATIONS[name]

    def verify():
        out = outputs[-1].value
        if dtype:
            expect_dtype(out, z.dtype, f"{name} output")
            expect_dtype(derivative.value, z.dtype, f"{name} derivative")
        expect_close(out, f(z.astype(np.float64)), rtol, f"{name} output")
        expect_close(state.value, out, 0, f"{name}.state")
        expect_close(derivative.value, df(z.astype(np.float64)), rtol, f"{name} derivative")
        if watch:
            expect_unchanged(z, outputs[-1].after(0), "z")
    return verify


def test_activations(req, rng):
    visible = [Check(f"{name}: output and derivative at a 4 x 5 input",
                     _activation(req, name, [rng.standard_normal((4, 5))], TIGHT)) for name in NAMES]
    relu_points = np.array([[-2.0, -1e-9, 0.0, 1e-9, 3.0]])
    relu = _new(req, "ReLU")
    relu_forward = req.call(relu.attr("forward"), relu_points, send=False)
    relu_derivative = req.call(relu.attr("derivative"))

    def relu_at_zero():
        _succeeded(relu_forward)
        expect_close(relu_derivative.value, np.array([[0.0, 0.0, 0.0, 1.0, 1.0]]), 0, "ReLU derivative")
    return visible + [
        Check("a 3-D input of another shape, with values from -6 to 6",
              _all(*(_activation(req, name, [rng.uniform(-6, 6, size=(2, 3, 7))], TIGHT, dtype=True)
                     for name in NAMES))),
        Check("float32 input: float32 output and derivative",
              _all(*(_activation(req, name, [rng.standard_normal((5, 3)).astype(np.float32)], 1e-6, dtype=True)
                     for name in NAMES))),
        Check("the derivative is the one at the last forward call's input; z is not modified",
              _all(*(_activation(req, name, [rng.standard_normal((3, 4)), 3 * rng.standard_normal((3, 4))], TIGHT,
                                 watch=True) for name in NAMES))),
        Check("ReLU's derivative is 0 at z = 0 and for negative z, 1 for positive z", relu_at_zero),
    ]


# --- softmax cross-entropy ---

def _labels(rng, n, c):
    return np.eye(c)[rng.integers(c, size=n)]


def _criterion(req, x, y, *, what=("loss", "derivative"), dtype=False, watch=False):
    """A fresh criterion's losses and derivative for (x, y) against the reference."""
    obj = _new(req, "SoftmaxCrossEntropy")
    loss = req.call(obj.attr("forward"), x, y, watch=(0, 1) if watch else ())
    derivative = req.call(obj.attr("derivative"))
    losses, softmax = ref.cross_entropy(x, y)
    expected = {"loss": (loss, losses), "derivative": (derivative, softmax - y)}

    def verify():
        _expect_values(expected, what, dtype)
        if watch:
            expect_unchanged((x, y), (loss.after(0), loss.after(1)), "x or y")
    return verify


def test_softmax_cross_entropy(req, rng):
    x, y = 2 * rng.standard_normal((5, 4)), _labels(rng, 5, 4)
    whole_x, whole_y = rng.standard_normal((8, 4)), _labels(rng, 8, 4)
    whole, alone = _new(req, "SoftmaxCrossEntropy"), _new(req, "SoftmaxCrossEntropy")
    calls = [req.call(whole.attr("forward"), whole_x, whole_y, send=False),
             req.call(alone.attr("forward"), whole_x[2:3], whole_y[2:3], send=False)]
    rows = [req.call(whole.attr("derivative")), req.call(alone.attr("derivative"))]

    def per_example():
        _succeeded(*calls)
        expect_close(expect_shape(rows[0].value, (8, 4), "the derivative")[2:3], rows[1].value, 1e-12,
                     "the derivative of example 2")
        expect_close(rows[1].value, ref.cross_entropy(whole_x[2:3], whole_y[2:3])[1] - whole_y[2:3], 1e-12,
                     "the derivative")
    return [
        Check("losses of shape (N,) equal to -log softmax of the right class", _criterion(req, x, y, what=("loss",))),
        Check("derivative of shape (N, C) equal to the numeric gradient of the summed losses",
              _criterion(req, x, y, what=("derivative",))),
        Check("other shapes (7 x 3 and a batch of one of 10 classes), losses of shape (N,)",
              _all(_criterion(req, rng.standard_normal((7, 3)), _labels(rng, 7, 3), dtype=True),
                   _criterion(req, 3 * rng.standard_normal((1, 10)), _labels(rng, 1, 10), dtype=True))),
        Check("logits in the thousands (log-sum-exp): finite losses and derivative",
              _all(_criterion(req, 1000 * rng.standard_normal((6, 5)), _labels(rng, 6, 5), dtype=True),
                   _criterion(req, rng.standard_normal((4, 3)) - 2000, _labels(rng, 4, 3), dtype=True))),
        Check("the derivative is per example: the same rows whatever the batch size", per_example),
        Check("x and y are not modified; the loss and the derivative are right",
              _criterion(req, 5 * rng.standard_normal((5, 6)), _labels(rng, 5, 6), dtype=True, watch=True)),
    ]


# --- the linear layer ---

def _linear(req, rng, n, d_in, d_out, *, what=("out", "dx", "dW", "db"), dtype=False, watch=False):
    """A Linear layer with drawn W and b: forward and backward on a drawn batch against the reference."""
    W, b = rng.standard_normal((d_in, d_out)), rng.standard_normal((1, d_out))
    x, delta = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    layer = _new(req, "Linear", d_in, d_out, RANDN, RANDN)
    sets = [req.set(layer, "W", W), req.set(layer, "b", b)]
    out = req.call(layer.attr("forward"), x, watch=(0,) if watch else ())
    dx = req.call(layer.attr("backward"), delta, watch=(0,) if watch else ())
    grads = {"dW": req.read(layer.attr("dW")), "db": req.read(layer.attr("db"))}
    expected = {"out": (out, x @ W + b), "dx": (dx, delta @ W.T),
                "dW": (grads["dW"], x.T @ delta / n), "db": (grads["db"], delta.mean(axis=0, keepdims=True))}

    def verify():
        _succeeded(*sets)
        _expect_values(expected, what, dtype)
        if watch:
            expect_unchanged((x, delta), (out.after(0), dx.after(0)), "x or delta")
    return verify


def test_linear(req, rng):
    def full(n, d_in, d_out):
        return _linear(req, rng, n, d_in, d_out, dtype=True, watch=True)
    return [
        Check("forward: x @ W + b, of shape (N, out_feature)", _linear(req, rng, 5, 3, 4, what=("out",))),
        Check("backward: dx per example, dW and db averaged over the batch",
              _linear(req, rng, 5, 3, 4, what=("dx", "dW", "db"))),
        Check("other shapes: 9 examples from 6 to 2 features, and a batch of one", _all(full(9, 6, 2), full(1, 4, 3))),
        Check("a square weight matrix (in_feature == out_feature): dx uses W transposed", full(7, 5, 5)),
        Check("dW and db are the averages over the batch (a batch of 16)", full(16, 3, 4)),
    ]


# --- batch normalization ---

def _features(rng, n):
    """(n, 3) activations of a small random network: features of arbitrary means and scales."""
    return np.maximum(0, rng.standard_normal((n, 50)) @ rng.standard_normal((50, 60))) @ rng.standard_normal((60, 3))


def _batchnorm(req, d, gamma=None, beta=None, **kwargs):
    """(Ref to a BatchNorm(d, **kwargs), the set calls of gamma and beta when given)."""
    bn = _new(req, "BatchNorm", d, **kwargs)
    sets = [] if gamma is None else [req.set(bn, "gamma", gamma), req.set(bn, "beta", beta)]
    return bn, sets


def _moments(req, x, gamma, beta):
    """Training-mode output of a batch norm with gamma and beta: means within 1e-7 of beta, stds gamma within 1e-6."""
    bn, sets = _batchnorm(req, x.shape[1], gamma, beta)
    out = req.call(bn.attr("forward"), x)

    def verify():
        _succeeded(*sets)
        value = expect_shape(out.value, x.shape, "out").astype(np.float64)
        expect_close(value.mean(axis=0, keepdims=True), beta, 0, "the means", atol=1e-7)
        expect_close(value.std(axis=0, keepdims=True), gamma, 1e-6, "the standard deviations")
    return verify


def _bn_forward(req, x, gamma=None, beta=None, rtol=1e-7, watch=False):
    """A fresh batch norm's float64 training-mode output against the reference; returns (verify, Ref to the layer)."""
    d = x.shape[1]
    bn, sets = _batchnorm(req, d, gamma, beta)
    out = req.call(bn.attr("forward"), x, watch=(0,) if watch else ())
    gamma, beta = (np.ones((1, d)), np.zeros((1, d))) if gamma is None else (gamma, beta)

    def verify():
        _succeeded(*sets)
        expect_dtype(out.value, np.float64, "out")
        expect_close(out.value, ref.batchnorm_train(x, gamma, beta)[0], rtol, "out")
        if watch:
            expect_unchanged(x, out.after(0), "x")
    return verify, bn


def _running(req, bn, batches, alpha=ref.ALPHA):
    """The layer's running statistics read now against the reference's after training calls on the batches."""
    reads = {name: req.read(bn.attr(name)) for name in ("running_mean", "running_var")}
    expected = dict(zip(("running_mean", "running_var"), ref.running_statistics(batches, alpha)))

    def verify():
        for name, read in reads.items():
            expect_close(read.value, expected[name], TIGHT, name)
    return verify


def test_batchnorm_train(req, rng):
    a = _features(rng, 200)
    first = 3 * rng.standard_normal((9, 4)) + rng.standard_normal(4)
    first_output, first_layer = _bn_forward(req, first)
    shapes = {name: req.read(first_layer.attr(name)) for name in ("gamma", "beta", "running_mean", "running_var")}

    def initial_shapes():
        for name, read in shapes.items():
            expect_shape(read.value, (1, 4), name)

    batches = [2 * rng.standard_normal((6, 3)) - 1 for _ in range(3)]
    alpha_half, _ = _batchnorm(req, 3, alpha=0.5)
    trained = [req.call(alpha_half.attr("forward"), x, send=False) for x in batches]
    constant = 1e-3 * rng.standard_normal((8, 3)).astype(np.float32)
    constant[:, 1] = 4.0
    return [
        Check("means are beta and stds are gamma for gamma=1, beta=0",
              _moments(req, a, np.ones((1, 3)), np.zeros((1, 3)))),
        Check("means are beta and stds are gamma for other gamma and beta",
              _moments(req, a, rng.uniform(0.5, 3, (1, 3)), rng.uniform(-15, 15, (1, 3)))),
        Check("gamma, beta, running statistics of shape (1, D); after one batch running_mean = 0.1 mean, "
              "running_var = 0.9 + 0.1 var", _all(first_output, initial_shapes, _running(req, first_layer, [first]))),
        Check("running averages over three batches with alpha = 0.5",
              _all(lambda: _succeeded(*trained), _running(req, alpha_half, batches, alpha=0.5))),
        Check("square input (N == D) with gamma and beta set: statistics over the batch axis",
              _bn_forward(req, rng.standard_normal((6, 6)) * 4 + rng.standard_normal(6),
                          rng.standard_normal((1, 6)), rng.standard_normal((1, 6)))[0]),
        Check("a constant feature comes out as beta, small variances normalized; float32 input; x unchanged",
              _bn_forward(req, constant, np.ones((1, 3)), rng.standard_normal((1, 3)), rtol=1e-4, watch=True)[0]),
    ]


def _eval(req, bn, x):
    return req.call(bn.attr("forward"), x, kwargs={"eval": True})


def test_batchnorm_eval(req, rng):
    warm, _ = _batchnorm(req, 3)
    weights = rng.standard_normal((50, 60)), rng.standard_normal((60, 3))
    # 50 training batches of 200 as in the notebook, but an evaluation batch of 5000: with the notebook's 200
    # rows, one seed in five puts a correct layer outside the bounds; with 5000, 3000 seeds stay within 0.65 of them
    batches = [np.maximum(0, rng.standard_normal((n, 50)) @ weights[0]) @ weights[1] for n in [200] * 50 + [5000]]
    warm_up = [req.call(warm.attr("forward"), x, send=False) for x in batches[:-1]]
    warm_out = _eval(req, warm, batches[-1])

    def near_standard():
        _succeeded(*warm_up)
        out = expect_shape(warm_out.value, batches[-1].shape, "out")
        if not np.all(np.abs(out.mean(axis=0)) < 0.15):
            raise AssertionError(f"evaluation-mode means {np.round(out.mean(axis=0), 3)} are not near 0")
        if not np.all(np.abs(out.std(axis=0) - 1) < 0.1):
            raise AssertionError(f"evaluation-mode stds {np.round(out.std(axis=0), 3)} are not near 1")

    fresh_x = 3 * rng.standard_normal((5, 4))
    fresh, _ = _batchnorm(req, 4)
    fresh_out = _eval(req, fresh, fresh_x)

    def before_training():
        expect_dtype(fresh_out.value, np.float64, "out")
        expect_close(fresh_out.value, fresh_x / np.sqrt(1 + ref.EPS), 1e-12, "out")

    return [
        Check("after 50 training batches, evaluation-mode means are near 0 and stds near 1", near_standard),
        Check("before any training batch, evaluation mode normalizes with mean 0 and variance 1", before_training),
        Check("evaluation mode uses the running statistics, gamma and beta, and leaves them unchanged",
              _eval_with_statistics(req, rng)),
        Check("after training batches, one example alone gives its output inside the batch", _eval_one(req, rng)),
    ]


def _eval_with_statistics(req, rng):
    """Evaluation-mode output with running statistics, gamma and beta set by hand; the statistics read afterwards."""
    statistics = {"running_mean": rng.standard_normal((1, 3)), "running_var": rng.random((1, 3)) + 0.1}
    gamma, beta = rng.standard_normal((1, 3)), rng.standard_normal((1, 3))
    bn, sets = _batchnorm(req, 3, gamma, beta)
    sets += [req.set(bn, name, value) for name, value in statistics.items()]
    x = rng.standard_normal((7, 3))
    out = _eval(req, bn, x)
    after = {name: req.read(bn.attr(name)) for name in statistics}

    def verify():
        _succeeded(*sets)
        expect_close(out.value, ref.batchnorm_eval(x, gamma, beta, *statistics.values()), 1e-12, "out")
        expect_unchanged(statistics, {name: read.value for name, read in after.items()}, "the running statistics")
    return verify


def _eval_one(req, rng):
    """Example 4 alone in evaluation mode after three training batches, against the whole batch's row 4."""
    bn, _ = _batchnorm(req, 4)
    trained = [req.call(bn.attr("forward"), rng.standard_normal((10, 4)) * 2 + 1, send=False) for _ in range(3)]
    x = rng.standard_normal((6, 4))
    alone, whole = _eval(req, bn, x[4:5]), _eval(req, bn, x)
    statistics = [req.read(bn.attr(name)) for name in ("running_mean", "running_var")]

    def verify():
        _succeeded(*trained)
        expect_close(alone.value, expect_shape(whole.value, x.shape, "out")[4:5], 1e-12, "the output of one example")
        expected = ref.batchnorm_eval(x, np.ones((1, 4)), np.zeros((1, 4)), *(read.value for read in statistics))
        expect_close(whole.value, expected, 1e-12, "out")
    return verify


def _bn_backward(req, rng, x, rtol=1e-7):
    """dx, dgamma and dbeta of a batch norm with drawn gamma and beta against the reference; delta unchanged."""
    n, d = x.shape
    gamma, beta, delta = rng.standard_normal((1, d)), rng.standard_normal((1, d)), rng.standard_normal((n, d))
    bn, sets = _batchnorm(req, d, gamma, beta)
    forward = req.call(bn.attr("forward"), x, send=False)
    dx = req.call(bn.attr("backward"), delta, watch=(0,))
    grads = {"dx": dx, "dgamma": req.read(bn.attr("dgamma")), "dbeta": req.read(bn.attr("dbeta"))}
    _, xhat, std = ref.batchnorm_train(x, gamma, beta)
    expected = dict(zip(grads, ref.batchnorm_backward(delta, xhat, std, gamma)))

    def verify():
        _succeeded(*sets, forward)
        for name, call in grads.items():
            expect_dtype(call.value, np.float64, name)
            expect_close(call.value, expected[name], rtol, name)
        expect_unchanged(delta, dx.after(0), "delta")
    return verify


def test_batchnorm_backward(req, rng):
    return [
        Check("gradient check N, D = 4, 5: dx, dgamma, dbeta",
              _bn_backward(req, rng, 5 * rng.standard_normal((4, 5)) + 12)),
        Check("square input (N == D)",
              _bn_backward(req, rng, 3 * rng.standard_normal((6, 6)) + rng.standard_normal(6))),
        Check("other shapes (3 x 8 and 16 x 2)",
              _all(_bn_backward(req, rng, 3 * rng.standard_normal((3, 8))),
                   _bn_backward(req, rng, 3 * rng.standard_normal((16, 2)) - 5))),
        Check("a larger batch (32 x 3)", _bn_backward(req, rng, 2 * rng.standard_normal((32, 3)) + 1)),
        Check("features with a small variance (1e-4)",
              _bn_backward(req, rng, 1e-2 * rng.standard_normal((8, 4)), 1e-5)),
    ]


# --- the network ---

class Remote:
    """
    A student MLP made in the sandbox with drawn parameters, and the reference network with the same ones.

    - mlp: Ref to the MLP
    - network: The mlp_reference.Network
    - sets: The calls that set the parameters (they fail when the MLP lacks a layer)
    """

    def __init__(self, req, rng, sizes, activations, num_bn_layers, *, scale=1.0, bn_parameters=False, lr=0.1,
                 momentum=0.0):
        self.req = req
        acts = [_new(req, name) for name in activations]
        self.mlp = _new(req, "MLP", sizes[0], sizes[-1], list(sizes[1:-1]), acts, RANDN, RANDN,
                        _new(req, "SoftmaxCrossEntropy"), lr, momentum=momentum, num_bn_layers=num_bn_layers)
        values = {"W": [scale * rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])],
                  "b": [rng.standard_normal((1, b)) for b in sizes[1:]]}
        widths = sizes[1:num_bn_layers + 1]
        if bn_parameters:
            values["gamma"] = [rng.standard_normal((1, d)) for d in widths]
            values["beta"] = [rng.standard_normal((1, d)) for d in widths]
        self.sets = [req.set(self.layer(group, i), name, value)
                     for group, name, _ in PARAMETERS for i, value in enumerate(values.get(name, ()))]
        self.network = ref.Network(values["W"], values["b"], activations,
                                   values.get("gamma", [np.ones((1, d)) for d in widths]),
                                   values.get("beta", [np.zeros((1, d)) for d in widths]))

    def layer(self, group, i):
        """Ref to linear_layers[i] or bn_layers[i]."""
        return self.mlp.attr(group).item(i)

    def call(self, method, *args, **options):
        return self.req.call(self.mlp.attr(method), *args, **options)

    def read_parameters(self, kind):
        """{name: [read of each layer's value]} for kind 1 (the parameters) or 2 (their gradients), as in PARAMETERS."""
        counts = {"linear_layers": len(self.network.W), "bn_layers": len(self.network.gamma)}
        return {spec[kind]: [self.req.read(self.layer(spec[0], i).attr(spec[kind])) for i in range(counts[spec[0]])]
                for spec in PARAMETERS}


def _forward(req, rng, sizes, activations, num_bn_layers, x, **options):
    """The training-mode output of a student MLP with drawn parameters against the reference; self.output too."""
    remote = Remote(req, rng, sizes, activations, num_bn_layers, **options)
    out = remote.call("forward", x)
    output = req.read(remote.mlp.attr("output"))
    expected = remote.network.forward(x)

    def verify():
        _succeeded(*remote.sets)
        expect_dtype(out.value, np.float64, "output")
        expect_close(out.value, expected, TIGHT, "output")
        expect_close(output.value, out.value, 0, "self.output")
    return verify


def _structure(req):
    """Shapes of the parameters of MLP(7, 3, [6, 5, 4], ..., num_bn_layers=2), and no batch norm with 0."""
    sizes = (7, 6, 5, 4, 3)
    mlp = _new(req, "MLP", 7, 3, [6, 5, 4], [_new(req, name) for name in ("ReLU", "Tanh", "Sigmoid", "Identity")],
               RANDN, RANDN, _new(req, "SoftmaxCrossEntropy"), 0.1, num_bn_layers=2)
    reads = {"W": [req.read(mlp.attr("linear_layers").item(i).attr("W")) for i in range(4)],
             "b": [req.read(mlp.attr("linear_layers").item(i).attr("b")) for i in range(4)],
             "gamma": [req.read(mlp.attr("bn_layers").item(i).attr("gamma")) for i in range(2)]}
    layers = req.read(mlp.attr("linear_layers"))
    expected = {"W": list(zip(sizes[:-1], sizes[1:])), "b": [(1, d) for d in sizes[1:]], "gamma": [(1, 6), (1, 5)]}
    plain = _new(req, "MLP", 4, 2, [3], [_new(req, "Sigmoid"), _new(req, "Identity")], RANDN, RANDN,
                 _new(req, "SoftmaxCrossEntropy"), 0.1, num_bn_layers=0)
    no_bn = req.read(plain.attr("bn_layers"))

    def verify():
        if not isinstance(layers.value, (list, tuple)) or len(layers.value) != 4:
            raise AssertionError("linear_layers must be a list of 4 layers")
        for name, shapes in expected.items():
            for read, shape in zip(reads[name], shapes):
                expect_shape(read.value, shape, name)
        if not isinstance(no_bn.value, (list, tuple)) or len(no_bn.value) != 0:
            raise AssertionError("bn_layers must be empty")
    return verify


def _evaluation(req, rng):
    """Evaluation mode after three training batches: output with the running statistics, which stay; train() back."""
    remote = Remote(req, rng, (5, 6, 3, 4), ("Tanh", "Sigmoid", "Identity"), 2)
    trained = [remote.call("forward", rng.standard_normal((8, 5)), send=False) for _ in range(3)]
    names = ("running_mean", "running_var")
    before = [[req.read(remote.layer("bn_layers", i).attr(name)) for name in names] for i in range(2)]
    switch = remote.call("eval", send=False)
    x = rng.standard_normal((4, 5))
    evaluated = remote.call("forward", x)
    after = [[req.read(remote.layer("bn_layers", i).attr(name)) for name in names] for i in range(2)]
    back = remote.call("train", send=False)
    trained_again = remote.call("forward", x)

    def verify():
        _succeeded(*remote.sets, *trained, switch, back)
        state = [[read.value for read in layer] for layer in before]
        remote.network.running = [tuple(layer) for layer in state]
        expect_close(evaluated.value, remote.network.forward(x, train=False), TIGHT, "output")
        expect_unchanged(state, [[read.value for read in layer] for layer in after], "the running statistics")
        expect_close(trained_again.value, remote.network.forward(x), TIGHT, "output after train()")
    return verify


def test_mlp_forward(req, rng):
    linear = Remote(req, rng, (8, 4), ("Identity",), 0)
    x = rng.standard_normal((6, 8))
    linear_out = linear.call("forward", x)

    def linear_classifier():
        _succeeded(*linear.sets)
        expect_close(linear_out.value, linear.network.forward(x), TIGHT, "output")
    return [
        Check("a linear classifier: x @ W + b", linear_classifier),
        Check("two hidden layers of 5 and 3, the first followed by batch norm",
              _forward(req, rng, (8, 5, 3, 4), ("Sigmoid", "Sigmoid", "Identity"), 1, rng.standard_normal((6, 8)))),
        Check("layer sizes, list lengths and shapes of another architecture (three hidden layers, two batch norms)",
              _structure(req)),
        Check("training-mode output of that network, in float64: Linear -> BatchNorm -> activation",
              _forward(req, rng, (7, 6, 5, 4, 3), ("ReLU", "Tanh", "Sigmoid", "Identity"), 2,
                       rng.standard_normal((9, 7)), bn_parameters=True)),
        Check("evaluation mode uses and keeps the running statistics; train() switches back", _evaluation(req, rng)),
    ]


def _gradients(req, rng, sizes, activations, num_bn_layers, n, *, scale=0.5, bn_parameters=True, rtol=1e-6):
    """Loss returned by backward and every gradient against the reference; db before a batch norm must be ~0."""
    remote = Remote(req, rng, sizes, activations, num_bn_layers, scale=scale, bn_parameters=bn_parameters)
    x, labels = rng.standard_normal((n, sizes[0])), _labels(rng, n, sizes[-1])
    forward = remote.call("forward", x, send=False)
    loss = remote.call("backward", labels)
    grads = remote.read_parameters(2)
    remote.network.forward(x)
    expected_loss, expected = remote.network.backward(labels)
    expected = {grad: expected[name] for _, name, grad in PARAMETERS}

    def verify():
        _succeeded(*remote.sets, forward)
        expect_close(loss.value, expected_loss, TIGHT, "the loss backward returns")
        for name, reads in grads.items():
            for i, (read, right) in enumerate(zip(reads, expected[name])):
                expect_dtype(read.value, np.float64, name)
                if name == "db" and i < num_bn_layers:  # batch norm cancels the bias: its gradient is 0
                    expect_close(read.value, np.zeros_like(right), 0, f"db of layer {i}", atol=1e-8)
                else:
                    expect_close(read.value, right, rtol, f"{name} of layer {i}")
    return verify


def test_mlp_backward(req, rng):
    def visible(num_bn_layers):
        return _gradients(req, rng, (5, 4, 4, 3), ("Sigmoid", "Tanh", "Identity"), num_bn_layers, 6, scale=1.0,
                          bn_parameters=False)
    return [
        Check("gradient check with hidden layers of 4 and 4 and 0 batch norms", visible(0)),
        Check("gradient check with hidden layers of 4 and 4 and 2 batch norms", visible(2)),
        Check("a linear classifier (no hidden layer) on a batch of 7",
              _gradients(req, rng, (6, 4), ("Identity",), 0, 7)),
        Check("three hidden layers with ReLU, Tanh and Sigmoid, batch norm after the first two",
              _gradients(req, rng, (5, 6, 5, 4, 3), ("ReLU", "Tanh", "Sigmoid", "Identity"), 2, 8)),
        Check("batch norm after every hidden layer, a batch of 12",
              _gradients(req, rng, (4, 7, 6, 5), ("Sigmoid", "Sigmoid", "Identity"), 2, 12)),
    ]


def _steps(req, rng, sizes, activations, num_bn_layers, *, lr, momentum, steps):
    """
    `steps` rounds of zero_grads, forward, backward, step; the parameters afterwards against the reference
    updates made from the student's own gradients (read after each backward).
    """
    remote = Remote(req, rng, sizes, activations, num_bn_layers, scale=0.5, lr=lr, momentum=momentum)
    rounds = []
    for _ in range(steps):
        calls = [remote.call("zero_grads", send=False),
                 remote.call("forward", rng.standard_normal((6, sizes[0])), send=False),
                 remote.call("backward", _labels(rng, 6, sizes[-1]), send=False)]
        grads = remote.read_parameters(2)
        calls.append(remote.call("step", send=False))
        rounds.append((calls, grads))
    final = remote.read_parameters(1)
    initial = {"W": remote.network.W, "b": remote.network.b, "gamma": remote.network.gamma,
               "beta": remote.network.beta}

    def verify():
        _succeeded(*remote.sets)
        for _, name, grad_name in PARAMETERS:
            values, velocities = initial[name], [np.zeros_like(value) for value in initial[name]]
            for calls, grads in rounds:
                _succeeded(*calls)
                values, velocities = ref.sgd_momentum(values, [read.value for read in grads[grad_name]], velocities,
                                                      lr, momentum)
            for i, (read, right) in enumerate(zip(final[name], values)):
                expect_close(read.value, right, TIGHT, f"{name} of layer {i}")
    return verify


def _zero_grads(req, rng, sizes, activations, num_bn_layers, names):
    """After forward, backward and zero_grads, the named gradients are zeros of their parameters' shapes."""
    remote = Remote(req, rng, sizes, activations, num_bn_layers)
    calls = [remote.call("forward", rng.standard_normal((6, sizes[0])), send=False),
             remote.call("backward", _labels(rng, 6, sizes[-1]), send=False),
             remote.call("zero_grads", send=False)]
    grads = remote.read_parameters(2)
    shapes = {"dW": [w.shape for w in remote.network.W], "db": [b.shape for b in remote.network.b],
              "dgamma": [g.shape for g in remote.network.gamma], "dbeta": [g.shape for g in remote.network.gamma]}

    def verify():
        _succeeded(*remote.sets, *calls)
        for name in names:
            for read, shape in zip(grads[name], shapes[name]):
                expect_close(read.value, np.zeros(shape), 0, name)
    return verify


def test_mlp_step(req, rng):
    return [
        Check("plain SGD: p - lr * dp for every W and b",
              _steps(req, rng, (3, 5, 2), ("Sigmoid", "Identity"), 0, lr=0.5, momentum=0.0, steps=1)),
        Check("zero_grads: every gradient is zero afterwards, with its parameter's shape",
              _zero_grads(req, rng, (3, 5, 2), ("Sigmoid", "Identity"), 0, ("dW", "db"))),
        Check("momentum 0.9 over three steps: v = momentum * v - lr * dp, p = p + v",
              _steps(req, rng, (4, 5, 3), ("Sigmoid", "Identity"), 0, lr=0.3, momentum=0.9, steps=3)),
        Check("gamma and beta of the batch norms are updated too, with momentum",
              _steps(req, rng, (4, 5, 4, 3), ("Tanh", "ReLU", "Identity"), 2, lr=0.2, momentum=0.5, steps=3)),
        Check("zero_grads also zeroes dgamma and dbeta",
              _zero_grads(req, rng, (4, 5, 3), ("Sigmoid", "Identity"), 1, ("dgamma", "dbeta"))),
    ]


# --- the training loop ---

def _blobs(rng, n, classes, features):
    """(X, y): n examples of Gaussian blobs around one drawn center per class."""
    centers = 3 * rng.standard_normal((classes, features))
    y = rng.integers(classes, size=n)
    return centers[y] + rng.standard_normal((n, features)), y


def _dataset(rng, sizes, classes, features):
    """[[X, y] for each of training, validation, test], all from the same blobs."""
    X, y = _blobs(rng, sum(sizes), classes, features)
    bounds = np.cumsum((0, *sizes))
    return [[X[a:b], y[a:b]] for a, b in zip(bounds[:-1], bounds[1:])]


def _epochs(log):
    """
    (epochs, updates) from a spy's log: per epoch, its training and its validation batches [(x, out)],
    a training-mode forward after validation starting the next epoch; updates counts the calls of
    zero_grads, backward and step by mode, {(mode, name): count}.
    """
    epochs, updates, mode = [], {}, "train"  # an MLP starts in training mode
    for name, args, _, result in log:
        if name in ("train", "eval"):
            mode = name
        elif name == "forward":
            if not epochs or (mode == "train" and epochs[-1][1]):
                epochs.append(([], []))
            epochs[-1][0 if mode == "train" else 1].append((args[0], result))
        elif name in ("zero_grads", "backward", "step"):
            updates[mode, name] = updates.get((mode, name), 0) + 1
    return epochs, updates


def _rows(X, batches):
    """The indices into X of the rows of the batches' inputs, in order (-1 for a row not in X)."""
    index = {row.tobytes(): i for i, row in enumerate(X)}
    return np.array([index.get(row.tobytes(), -1) for x, _ in batches for row in np.atleast_2d(x)])


def _statistics(batches, X, y):
    """(mean loss, error rate) of the batches' recorded outputs against the labels of their rows."""
    rows = _rows(X, batches)
    out = np.concatenate([np.atleast_2d(np.asarray(o, dtype=np.float64)) for _, o in batches])
    losses, _ = ref.cross_entropy(out, np.eye(out.shape[1])[y[rows]])
    return losses.mean(), np.mean(out.argmax(axis=1) != y[rows])


def _four_arrays(value, nepochs):
    stats = expect_tuple(value, 4, "get_training_stats")
    return [expect_shape(values, (nepochs,), "each array") for values in stats]


def test_training_stats(req, rng):
    small = Remote(req, rng, (4, 8, 3), ("Sigmoid", "Identity"), 1, scale=0.5, lr=0.2, momentum=0.5)
    small_stats = req.call("get_training_stats", small.mlp, _dataset(rng, (40, 20, 20), 3, 4), 3, 10)

    def visible():
        stats = _four_arrays(small_stats.value, 3)
        if not all(np.all(np.isfinite(values)) for values in stats):
            raise AssertionError("a value is NaN or inf")
        if not all(np.all((0 <= errors) & (errors <= 1)) for errors in (stats[1], stats[3])):
            raise AssertionError("an error rate is outside [0, 1]")

    dset = _dataset(rng, (24, 12, 8), 4, 5)
    (X_train, y_train), (X_val, y_val), _ = dset
    remote = Remote(req, rng, (5, 6, 4), ("Tanh", "Identity"), 1, scale=0.5, lr=0.1, momentum=0.5)
    spy = req.spy(remote.mlp)
    stats_call = req.call("get_training_stats", spy.returned(), dset, 3, 6)
    log = req.read(spy.log)

    def recorded():
        _succeeded(*remote.sets, stats_call)
        return _epochs(log.value)

    def training_order():
        epochs, updates = recorded()
        if len(epochs) != 3:
            raise AssertionError(f"{len(epochs)} epochs of training then validation found, expected 3")
        orders = [_rows(X_train, training) for training, _ in epochs]
        for order, (training, _) in zip(orders, epochs):
            if sorted(order) != list(range(24)):
                raise AssertionError("an epoch does not train on every training example exactly once")
            if [len(np.atleast_2d(x)) for x, _ in training] != [6] * 4:
                raise AssertionError("batches of batch_size expected")
        if len({tuple(order) for order in orders}) != 3:
            raise AssertionError("the training examples come in the same order in two epochs")
        for name in ("zero_grads", "backward", "step"):
            if updates.get(("train", name)) != 12:
                raise AssertionError(f"{name} called {updates.get(('train', name), 0)} times in training mode, "
                                     f"expected 12 (3 epochs of 4 batches)")
        if updates.get(("eval", "backward")) or updates.get(("eval", "step")):
            raise AssertionError("backward or step called in evaluation mode")

    def training_statistics():
        stats = _four_arrays(stats_call.value, 3)
        epochs, _ = recorded()
        for epoch, (training, _) in enumerate(epochs):
            loss, error = _statistics(training, X_train, y_train)
            expect_close(stats[0][epoch], loss, TIGHT, f"training loss of epoch {epoch}")
            expect_close(stats[1][epoch], error, TIGHT, f"training error of epoch {epoch}")

    def validation():
        stats = _four_arrays(stats_call.value, 3)
        epochs, _ = recorded()
        if len(epochs) != 3:
            raise AssertionError(f"{len(epochs)} epochs found, expected 3")
        for epoch, (_, batches) in enumerate(epochs):
            if not batches:
                raise AssertionError(f"no evaluation-mode forward pass after epoch {epoch}")
            if sorted(_rows(X_val, batches)) != list(range(12)):
                raise AssertionError("validation must cover the validation set once")
            loss, error = _statistics(batches, X_val, y_val)
            expect_close(stats[2][epoch], loss, TIGHT, f"validation loss of epoch {epoch}")
            expect_close(stats[3][epoch], error, TIGHT, f"validation error of epoch {epoch}")

    return [
        Check("four arrays of shape (3,), finite, errors in [0, 1]", visible),
        Check("every epoch trains on each training example once, in a new order; zero_grads, backward and step "
              "once per batch, never in evaluation mode", training_order),
        Check("training loss and error of each epoch are those of its training batches", training_statistics),
        Check("validation after each epoch: every validation example, in evaluation mode, with its loss and error",
              validation),
    ]


CELLS = {cell.__name__: cell for cell in (
    *(_choice(name) for name in ANSWERS), test_activations, test_softmax_cross_entropy, test_linear,
    test_batchnorm_train, test_batchnorm_eval, test_batchnorm_backward, test_mlp_forward, test_mlp_backward,
    test_mlp_step, test_training_stats)}
