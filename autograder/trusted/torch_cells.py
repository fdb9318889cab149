"""Trusted checks of the graded cells of TorchBatchNorm.ipynb (assignment torch_batchnorm).

One function per test cell: it registers the calls of the cell's checks in the
Request and returns the checks, one per check of the cell (visible ones first,
then hidden ones), with the cell's wording and shapes, on values drawn from the
cell's random generator. The student's BatchNorm is made and called in the
sandbox as the notebook's `pair` makes it (a Twin); PyTorch's BatchNorm1d/2d,
holding the same values in float64 here, is the oracle. A tolerance `tol` of
the cell is applied to the whole array (expect.py): max |error| <= tol * (1 +
max |expected|), close to the cell's elementwise error relative to max(1, |expected|).

PyTorch is imported when a check is built, not with this module: checks.py
imports it for every assignment, and the numpy assignments never need PyTorch.
"""
import contextlib

import numpy as np

from assignments.grading import expect_unchanged

from .expect import as_numbers, expect_close, expect_dtype, expect_shape
from .layer_checks import all_of
from .mlp_cells import _new, _succeeded
from .request import Imported, Tensor
from .scoring import Check

START = {"weight": 1.0, "bias": 0.0, "running_mean": 0.0, "running_var": 1.0}  # a new layer's tensors
PARAMETERS, BUFFERS = ("weight", "bias"), ("running_mean", "running_var")
TIGHT = 1e-10  # float64 against float64
SINGLE = 1e-5  # float32 against float64
STEPPED = 8  # the tensors of parameters() the optimizer check steps (a layer has 2)
SET_DEFAULT_DTYPE, DICT = Imported("torch.set_default_dtype"), Imported("builtins.dict")


@contextlib.contextmanager
def _pytorch():
    """
    PyTorch, imported on first use, running one thread in the with-block: the oracle's tensors are tiny,
    and on a busy machine a second thread costs more than it brings (16 ms per batch norm against 20 us).
    """
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield torch
    finally:
        torch.set_num_threads(threads)


def _fill(req, tensor, values):
    """The calls that write values (C,) into the tensor a Ref names, whatever its shape: tensor.data.view(-1).copy_."""
    flat = req.call(tensor.attr("data").attr("view"), -1, send=False)
    return [flat, req.call(flat.returned().attr("copy_"), Tensor(values), send=False)]


def _backward(req, out, upstream):
    """
    The calls of (out * upstream).sum().backward() in the sandbox, for out the call that returned a tensor:
    the gradients of out.backward(upstream), without the import of SymPy (0.7 s) that passing a gradient costs.
    """
    product = req.call(out.returned().attr("mul"), upstream, send=False)
    total = req.call(product.returned().attr("sum"), send=False)
    return [product, total, req.call(total.returned().attr("backward"), send=False)]


@contextlib.contextmanager
def _inside(req, context, setup):
    """The calls registered in the with-block run inside `with torch.<context>():` in the sandbox (as they
    are when context is None); the calls that enter and leave it are appended to the list setup."""
    if context is None:
        yield
        return
    manager = req.call(Imported(f"torch.{context}"), send=False)
    setup += [manager, req.call(manager.returned().attr("__enter__"), send=False)]
    yield
    setup.append(req.call(manager.returned().attr("__exit__"), None, None, None, send=False))


def _expect_close(actual, expected, tol, what):
    """The cell's tolerance tol on the whole array: max |actual - expected| <= tol * (1 + max |expected|)."""
    expect_close(actual, expected, tol, what, atol=tol)


class Twin:
    """
    The student's BatchNorm made in the sandbox as the notebook's pair() makes it, and PyTorch's here.

    The student's layer is constructed while torch's default dtype is `dtype`, then
    converted with .to(dtype); both layers get the same weight (1 + 0.5 z) and bias
    (z), and with random_stats the same running averages (z and 0.5 + u), for z
    standard normal and u uniform, drawn from rng and rounded to dtype. Both start in
    training mode, with eps 1e-5 and the given momentum.

    - module: Ref to the student's layer
    - reference: torch.nn.BatchNorm1d (num_dims 2) or BatchNorm2d (num_dims 4), in float64
    - shape: The shape of the student's per-channel tensors, (1, C) or (1, C, 1, 1)
    - values: {name: array (C,) in dtype}, what the layers were given
    - setup: The calls that made the student's layer and set it up (each check that uses it requires them)
    """

    def __init__(self, req, rng, num_features, num_dims, dtype="float32", momentum=0.1, random_stats=False):
        self.req, self.dtype = req, dtype
        self.shape = (1, num_features) + (1,) * (num_dims - 2)
        default = req.call(SET_DEFAULT_DTYPE, Imported(f"torch.{dtype}"), send=False)
        made = req.call("BatchNorm", num_features, num_dims, kwargs={"momentum": momentum}, send=False)
        restored = req.call(SET_DEFAULT_DTYPE, Imported("torch.float32"), send=False)
        converted = req.call(made.returned().attr("to"), Imported(f"torch.{dtype}"), send=False)
        self.setup = [default, made, restored, converted]
        self.module = converted.returned()
        draws = {"weight": 1 + 0.5 * rng.standard_normal(num_features), "bias": rng.standard_normal(num_features)}
        if random_stats:
            draws.update(running_mean=rng.standard_normal(num_features), running_var=0.5 + rng.random(num_features))
        self.values = {name: value.astype(dtype) for name, value in draws.items()}
        for name, value in self.values.items():
            self.setup += _fill(req, self.module.attr(name), value)
        with _pytorch() as torch, torch.no_grad():
            self.reference = (torch.nn.BatchNorm1d if num_dims == 2 else torch.nn.BatchNorm2d)(
                num_features, momentum=momentum).double()
            for name, value in self.values.items():
                getattr(self.reference, name).copy_(torch.from_numpy(value.astype(np.float64)))

    def input(self, x, requires_grad=False):
        """x rounded to the dtype: (the Tensor argument for the sandbox, its values in float64 for PyTorch's layer)."""
        x = np.asarray(x).astype(self.dtype)
        return Tensor(x, requires_grad=requires_grad), x.astype(np.float64)

    def forward(self, x, arg=None, **options):
        """
        The student's layer called on x in the sandbox, and PyTorch's on the same values.

        arg, if given, is passed in place of the tensor of x (a Ref to a tensor made from x);
        options are Request.call's (watch, send). Returns (the call, PyTorch's output as a float64 array).
        """
        tensor, values = self.input(x)
        call = self.req.call(self.module.attr("__call__"), tensor if arg is None else arg, **options)
        with _pytorch() as torch, torch.no_grad():
            return call, self.reference(torch.from_numpy(values)).numpy()

    def output_check(self, x, tol, *, dtype=False):
        """A verify: the student's output on x is PyTorch's within tol (and of the input's dtype if dtype)."""
        call, expected = self.forward(x)

        def verify():
            _succeeded(*self.setup)
            if dtype:
                expect_dtype(call.value, np.dtype(self.dtype), "the output")
            _expect_close(call.value, expected, tol, f"the output for shape {np.shape(x)}")
        return verify

    def train_on(self, batches):
        """The student's layer and PyTorch's called on each batch in turn; returns the student's calls."""
        return [self.forward(x, send=False)[0] for x in batches]

    def read(self, names=BUFFERS):
        """Reads of the student's tensors of those names as they are now: {name: Pending}."""
        return {name: self.req.read(self.module.attr(name)) for name in names}

    def statistics(self):
        """(reads of the student's running averages now, PyTorch's now in the student's shape): two {name: ...}."""
        return self.read(), {name: getattr(self.reference, name).numpy().reshape(self.shape).copy()
                             for name in BUFFERS}

    def mode(self, name):
        """Switch both layers with train() or eval(); returns the call (the student's layer, as it returns it)."""
        getattr(self.reference, name)()
        return self.req.call(self.module.attr(name), send=False)

    def gradients(self, x, dout):
        """
        The input, weight and bias gradients of both layers after out.backward(dout) for x requiring grad.

        Returns (the student's forward and backward calls, {name: Pending read of the student's gradient},
        {name: PyTorch's, dweight and dbias in the student's shape}) with names dx, dweight and dbias.
        """
        tensor, values = self.input(x, requires_grad=True)
        upstream, upstream_values = self.input(dout)
        out = self.req.call(self.module.attr("__call__"), tensor, send=False)
        calls = [out, *_backward(self.req, out, upstream)]
        reads = {"dx": self.req.read(out.arg(0).attr("grad")),
                 "dweight": self.req.read(self.module.attr("weight").attr("grad")),
                 "dbias": self.req.read(self.module.attr("bias").attr("grad"))}
        with _pytorch() as torch:
            reference_input = torch.from_numpy(values).requires_grad_()
            self.reference.zero_grad()
            (self.reference(reference_input) * torch.from_numpy(upstream_values)).sum().backward()
            expected = {"dx": reference_input.grad.numpy(),
                        "dweight": self.reference.weight.grad.numpy().reshape(self.shape),
                        "dbias": self.reference.bias.grad.numpy().reshape(self.shape)}
        return calls, reads, expected


def _gradient_check(twin, x, dout, tol, what=""):
    """A verify: dx, dweight and dbias of the student's layer on (x, dout) are PyTorch's within tol."""
    calls, reads, expected = twin.gradients(x, dout)

    def verify():
        _succeeded(*twin.setup, *calls)
        for name, read in reads.items():
            _expect_close(read.value, expected[name], tol, f"{name}{what}")
    return verify


# --- parameters and buffers ---

def _expect_names(mapping, names, what):
    """Assert mapping is a dict whose keys are names (in any order); what names it in the message."""
    if not isinstance(mapping, dict) or sorted(mapping) != sorted(names):
        held = sorted(mapping) if isinstance(mapping, dict) else type(mapping).__name__
        raise AssertionError(f"{what} holds {held}, expected {' and '.join(sorted(names))}")


def _named(req, module, method):
    """The call sending dict(module.<method>()) for a method listing (name, tensor) pairs, e.g. named_parameters."""
    listing = req.call(module.attr(method), send=False)
    return req.call(DICT, listing.returned())


def _state_check(req, shape, *args, **kwargs):
    """A verify, the notebook's check_state: names, kinds, shapes and starting values of BatchNorm(*args, **kwargs)."""
    made = req.call("BatchNorm", *args, kwargs=kwargs, send=False)
    module = made.returned()
    parameters, buffers = _named(req, module, "named_parameters"), _named(req, module, "named_buffers")
    state = req.call(module.attr("state_dict"))
    requires_grad = {name: req.read(module.attr(name).attr("requires_grad")) for name in START}

    def verify():
        _succeeded(made)
        _expect_names(parameters.value, PARAMETERS, "parameters()")
        _expect_names(buffers.value, BUFFERS, "buffers()")
        _expect_names(state.value, START, "state_dict()")
        for name, tensor in {**parameters.value, **buffers.value}.items():
            if not np.all(expect_shape(tensor, shape, name) == START[name]):
                raise AssertionError(f"{name} does not start at {START[name]:g}")
            if requires_grad[name].value is not (name in PARAMETERS):
                raise AssertionError(f"{name} has requires_grad={requires_grad[name].value}")
    return verify


def _to_float64_check(req):
    """A verify: BatchNorm(4, num_dims=4).to(torch.float64) holds float64 tensors; weight and bias stay Parameters."""
    converted = req.call(_new(req, "BatchNorm", 4, num_dims=4).attr("to"), Imported("torch.float64"), send=False)
    module = converted.returned()
    reads = {name: req.read(module.attr(name)) for name in START}
    kinds = [req.call(Imported("builtins.isinstance"), module.attr(name), Imported("torch.nn.Parameter"))
             for name in PARAMETERS]

    def verify():
        _succeeded(converted)
        for name, read in reads.items():
            if as_numbers(read.value, name).dtype != np.float64:
                raise AssertionError(f"{name} is still {read.value.dtype}")
        if not all(kind.value is True for kind in kinds):
            raise AssertionError("weight or bias lost its kind")
    return verify


def _sequential(req):
    """A Ref to nn.Sequential(nn.Linear(3, 4), BatchNorm(4)) made in the sandbox."""
    return _new(req, Imported("torch.nn.Sequential"), _new(req, Imported("torch.nn.Linear"), 3, 4),
                _new(req, "BatchNorm", 4))


def _load_state_dict_check(req, rng):
    """A verify: a Sequential's state_dict() holds the layer's four tensors and load_state_dict() restores them."""
    saved = _sequential(req)
    values = {name: (2 + rng.random(4)).astype(np.float32) for name in START}
    setup = [call for name, value in values.items() for call in _fill(req, saved.item(1).attr(name), value)]
    state = req.call(saved.attr("state_dict"))
    loaded = _sequential(req)
    setup.append(req.call(loaded.attr("load_state_dict"), state.returned(), send=False))
    before, after = ({name: req.read(model.item(1).attr(name)) for name in START} for model in (saved, loaded))

    def verify():
        keys = sorted(state.value) if isinstance(state.value, dict) else []
        if not {f"1.{name}" for name in START} <= set(keys):
            raise AssertionError(f"the Sequential's state_dict() holds {keys}")
        _succeeded(*setup)
        for name, value in values.items():
            expect_close(np.ravel(as_numbers(before[name].value, name)), value, 0, f"{name} of the saved layer")
            expect_unchanged(before[name].value, after[name].value, f"{name} after load_state_dict()")
    return verify


def _optimizer_check(req, rng):
    """
    A verify: after a backward pass, an SGD step over parameters() changes weight and bias and nothing else.

    The step is taken by hand, as torch.optim.SGD takes it (torch.optim would import TorchDynamo, 3 s):
    p -= 0.1 * p.grad under no_grad for each of the first STEPPED tensors parameters() yields, skipping
    those without a gradient (their calls fail, as do those past the last tensor, and are not counted).
    """
    module = _new(req, "BatchNorm", 3)
    out = req.call(module.attr("__call__"), Tensor(rng.standard_normal((6, 3)).astype(np.float32)), send=False)
    setup = [out, *_backward(req, out, Tensor(rng.standard_normal((6, 3)).astype(np.float32)))]
    listing = req.call(Imported("builtins.list"), req.call(module.attr("parameters"), send=False).returned(),
                       send=False)
    before = {name: req.read(module.attr(name)) for name in START}
    with _inside(req, "no_grad", setup):
        for i in range(STEPPED):
            req.call(listing.returned(i).attr("sub_"), listing.returned(i).attr("grad"), kwargs={"alpha": 0.1},
                     send=False)
    after = {name: req.read(module.attr(name)) for name in START}

    def verify():
        _succeeded(*setup, listing)
        for name in START:
            changed = not np.array_equal(as_numbers(before[name].value, name), as_numbers(after[name].value, name))
            if changed != (name in PARAMETERS):
                raise AssertionError(f"the optimizer step {'changed' if changed else 'left'} {name}")
    return verify


def test_parameters_and_buffers(req, rng):
    visible = [Check(f"BatchNorm({num_features}, num_dims={num_dims}): parameters weight and bias, "
                     f"buffers running_mean and running_var, of shape {shape}",
                     _state_check(req, shape, num_features, num_dims))
               for num_features, num_dims, shape in [(5, 2, (1, 5)), (3, 4, (1, 3, 1, 1))]]
    return visible + [
        Check("other sizes: BatchNorm(7) and BatchNorm(2, num_dims=4, eps=1e-3, momentum=0.3)",
              all_of(_state_check(req, (1, 7), 7),
                     _state_check(req, (1, 2, 1, 1), 2, num_dims=4, eps=1e-3, momentum=0.3))),
        Check(".to(torch.float64) converts both parameters and both buffers", _to_float64_check(req)),
        Check("load_state_dict() restores parameters and running averages, also inside nn.Sequential",
              _load_state_dict_check(req, rng)),
        Check("an optimizer over parameters() updates weight and bias and nothing else", _optimizer_check(req, rng)),
    ]


# --- the output in training mode ---

def _output_check(req, rng, shape, dtype, tol, *, scale=3.0, offset=2.0, check_dtype=True):
    """A verify: the training-mode output of a new Twin on scale * z + offset, z of `shape`, within tol."""
    twin = Twin(req, rng, shape[1], len(shape), dtype)
    return twin.output_check(scale * rng.standard_normal(shape) + offset, tol, dtype=check_dtype)


def _constant_channel_check(req, rng):
    """A verify: channel 1 of x (4, 3, 2, 5) holds 4.0 only and comes out as its bias; the output is PyTorch's."""
    twin = Twin(req, rng, 3, 4, "float64")
    x = rng.standard_normal((4, 3, 2, 5))
    x[:, 1] = 4.0
    call, expected = twin.forward(x)

    def verify():
        _succeeded(*twin.setup)
        _expect_close(call.value, expected, TIGHT, "the output")
        expect_close(call.value[:, 1], np.full((4, 2, 5), twin.values["bias"][1]), 1e-12, "the constant channel",
                     atol=1e-12)
    return verify


def _channels_last_check(req, rng):
    """A verify: a float32 (5, 4, 3, 6) input in channels_last memory format gives PyTorch's output and is kept."""
    twin = Twin(req, rng, 4, 4)
    x = rng.standard_normal((5, 4, 3, 6)).astype(np.float32)
    tensor, _ = twin.input(x)
    strided = req.call(Imported("torch.Tensor.contiguous"), tensor,
                       kwargs={"memory_format": Imported("torch.channels_last")}, send=False)
    call, expected = twin.forward(x, strided.returned(), watch=(0,))

    def verify():
        _succeeded(*twin.setup, strided)
        _expect_close(call.value, expected, SINGLE, "the output")
        expect_unchanged(x, call.after(0), "x")
    return verify


def test_forward_train(req, rng):
    def both(shapes, dtype, tol, **options):
        return all_of(*(_output_check(req, rng, shape, dtype, tol, **options) for shape in shapes))
    visible = [Check(f"training-mode output for a float32 input of shape {shape} matches PyTorch's",
                     _output_check(req, rng, shape, "float32", SINGLE, check_dtype=False))
               for shape in [(8, 5), (4, 3, 5, 6)]]
    return visible + [
        Check("float64 inputs (N, L) and (N, C, H, W): float64 outputs, error below 1e-10",
              both([(10, 4), (3, 5, 4, 2)], "float64", TIGHT)),
        Check("square shapes, N == L and N == C == W", both([(6, 6), (3, 3, 5, 3)], "float64", TIGHT)),
        Check("a batch of two: (2, L) and (2, C, 1, 1)", both([(2, 7), (2, 3, 1, 1)], "float64", TIGHT)),
        Check("channels with a tiny variance and a large mean (eps inside the square root)",
              all_of(_output_check(req, rng, (9, 3), "float64", 1e-8, scale=1e-3, offset=50.0),
                     _output_check(req, rng, (2, 2, 3, 3), "float64", 1e-8, scale=1e-3, offset=-20.0))),
        Check("a constant channel comes out as its bias, with no NaN", _constant_channel_check(req, rng)),
        Check("a channels_last (non-contiguous) float32 input, left unmodified", _channels_last_check(req, rng)),
        Check("float32 on unseen shapes (16, 9) and (5, 2, 3, 7)", both([(16, 9), (5, 2, 3, 7)], "float32", SINGLE)),
    ]


# --- running averages ---

def _running_check(req, rng, shape, momentum, *, counts=(3,), dtype="float64", random_stats=True, tol=1e-6,
                   scale=1.5, offset=-0.5, context=None):
    """
    A verify: the student's running averages after each number of training batches in counts (cumulative)
    against PyTorch's, within tol; the batches are scale * z + offset, z of `shape`, and with a context
    (e.g. "no_grad") the training calls run inside torch.<context>().
    """
    twin = Twin(req, rng, shape[1], len(shape), dtype, momentum=momentum, random_stats=random_stats)
    calls, statistics, done = [], [], 0
    for count in counts:
        batches = [scale * rng.standard_normal(shape) + offset for _ in range(count - done)]
        with _inside(req, context, calls):
            calls += twin.train_on(batches)
        statistics.append(twin.statistics())
        done = count

    def verify():
        _succeeded(*twin.setup, *calls)
        for (reads, expected), count in zip(statistics, counts):
            for name, read in reads.items():
                _expect_close(read.value, expected[name], tol, f"{name} after {count} batches")
    return verify


def _unrecorded_check(req, rng):
    """A verify: after two training steps with backward passes, the running averages of BatchNorm(3, num_dims=4)
    have shape (1, 3, 1, 1), do not require grad and have no grad_fn."""
    module, calls = _new(req, "BatchNorm", 3, num_dims=4), []
    for _ in range(2):
        x, dout = (rng.standard_normal((4, 3, 2, 2)).astype(np.float32) for _ in range(2))
        out = req.call(module.attr("__call__"), Tensor(x, requires_grad=True), send=False)
        calls += [out, *_backward(req, out, Tensor(dout))]
    reads = {name: [req.read(module.attr(name)), req.read(module.attr(name).attr("requires_grad")),
                    req.read(module.attr(name).attr("grad_fn"))] for name in BUFFERS}

    def verify():
        _succeeded(*calls)
        for name, (tensor, requires_grad, grad_fn) in reads.items():
            expect_shape(tensor.value, (1, 3, 1, 1), name)
            if requires_grad.value is not False or grad_fn.value is not None:
                raise AssertionError(f"autograd records the updates of {name}")
    return verify


def test_running_stats(req, rng):
    visible = [Check(f"running averages after 1 and after 6 training batches of shape {shape} match PyTorch's",
                     _running_check(req, rng, shape, 0.1, counts=(1, 6), dtype="float32", random_stats=False,
                                    tol=SINGLE, scale=2.0, offset=1.0))
               for shape in [(8, 5), (4, 3, 5, 6)]]
    return visible + [
        Check("momentum 0.5 and 0.01 over three float64 batches, from given running averages",
              all_of(*(_running_check(req, rng, shape, momentum) for momentum in (0.5, 0.01)
                       for shape in [(7, 4), (3, 3, 2, 4)]))),
        Check("(N, C, H, W) with N = 2: the unbiased variance divides by N * H * W - 1",
              all_of(_running_check(req, rng, (2, 3, 4, 4), 0.1), _running_check(req, rng, (2, 2, 1, 3), 0.3))),
        Check("training mode inside torch.no_grad(): batch statistics, running averages updated",
              all_of(_running_check(req, rng, (6, 5), 0.1, context="no_grad"),
                     _running_check(req, rng, (3, 2, 3, 3), 0.2, context="no_grad"))),
        Check("after training steps the running averages keep their shape and are not recorded by autograd",
              _unrecorded_check(req, rng)),
    ]


# --- evaluation mode ---

def _evaluating(req, rng, shape, dtype="float64"):
    """A Twin with random running averages for inputs of `shape`, switched to evaluation mode."""
    twin = Twin(req, rng, shape[1], len(shape), dtype, random_stats=True)
    twin.setup.append(twin.mode("eval"))
    return twin


def _kept_check(req, rng, shape, dtype, tol, context=None):
    """A verify: in evaluation mode (inside torch.<context>() if given) the output on 2 z + 1 is PyTorch's
    within tol and the running averages stay as they were."""
    twin = _evaluating(req, rng, shape, dtype)
    before = twin.read()
    with _inside(req, context, twin.setup):
        call, expected = twin.forward(2 * rng.standard_normal(shape) + 1)
    after = twin.read()

    def verify():
        _succeeded(*twin.setup)
        _expect_close(call.value, expected, tol, "the output")
        for name, read in before.items():
            expect_unchanged(read.value, after[name].value, f"{name} in evaluation mode")
    return verify


def _batch_of_one_check(req, rng, shape):
    """A verify: example 2 of x alone gives PyTorch's output, and its output inside the whole batch."""
    twin = _evaluating(req, rng, shape)
    x = rng.standard_normal(shape)
    alone, expected = twin.forward(x[2:3])
    whole, _ = twin.forward(x)

    def verify():
        _succeeded(*twin.setup)
        _expect_close(alone.value, expected, TIGHT, "the output for a batch of one")
        _expect_close(alone.value, expect_shape(whole.value, shape, "the output")[2:3], 1e-12,
                      "the output alone against inside the batch")
    return verify


def _saliency_check(req, rng):
    """A verify: evaluation-mode gradients of (5, 2, 3, 3) input, weight and bias are PyTorch's; averages kept."""
    twin = _evaluating(req, rng, (5, 2, 3, 3))
    before = twin.read()
    gradients = _gradient_check(twin, rng.standard_normal((5, 2, 3, 3)), rng.standard_normal((5, 2, 3, 3)), TIGHT)
    after = twin.read()

    def verify():
        gradients()
        for name, read in before.items():
            expect_unchanged(read.value, after[name].value, f"{name} in evaluation mode")
    return verify


def _train_again_check(req, rng):
    """A verify: after eval() then train(), the output's (out - bias) / weight has channel means 0."""
    twin = _evaluating(req, rng, (6, 4))
    x = 2 * rng.standard_normal((6, 4)) + 3
    evaluated, expected = twin.forward(x)
    twin.setup.append(twin.mode("train"))
    trained, _ = twin.forward(x)

    def verify():
        _succeeded(*twin.setup)
        _expect_close(evaluated.value, expected, TIGHT, "the output in evaluation mode")
        x_hat = (expect_shape(trained.value, x.shape, "the output") - twin.values["bias"]) / twin.values["weight"]
        _expect_close(x_hat.mean(axis=0), np.zeros(4), TIGHT, "the channel means of (out - bias) / weight")
    return verify


def test_eval_mode(req, rng):
    visible = [Check(f"evaluation mode with autograd on, input {shape}: running averages used, not changed",
                     _kept_check(req, rng, shape, "float32", SINGLE)) for shape in [(6, 5), (2, 3, 4, 4)]]
    return visible + [
        Check("a batch of one, (1, L) and (1, C, H, W): PyTorch's output, the same as inside a batch",
              all_of(_batch_of_one_check(req, rng, (5, 4)), _batch_of_one_check(req, rng, (3, 3, 2, 5)))),
        Check("float64 under torch.no_grad() and torch.inference_mode(): PyTorch's output, averages unchanged",
              all_of(*(_kept_check(req, rng, (4, 3, 3, 2), "float64", TIGHT, context)
                       for context in ("no_grad", "inference_mode")))),
        Check("input, weight and bias gradients in evaluation mode (a saliency map) match PyTorch's",
              _saliency_check(req, rng)),
        Check("eval() then train() again: training mode centres each channel on its batch mean",
              _train_again_check(req, rng)),
    ]


# --- gradients ---

def _gradients_check(req, rng, shapes, dtype, tol):
    """A verify: training-mode gradients of new Twins on x = 3 z + 1 of each shape are PyTorch's within tol."""
    def one(shape):
        twin = Twin(req, rng, shape[1], len(shape), dtype)
        return _gradient_check(twin, 3 * rng.standard_normal(shape) + 1, rng.standard_normal(shape), tol,
                               f" for shape {shape}")
    return all_of(*map(one, shapes))


def test_gradients(req, rng):
    visible = [Check(f"float64 gradients for an input of shape {shape} match PyTorch's (errors below 1e-10)",
                     _gradients_check(req, rng, [shape], "float64", TIGHT)) for shape in [(8, 5), (4, 3, 3, 3)]]
    return visible + [
        Check("float32 gradients on unseen shapes (12, 6) and (3, 4, 5, 2): errors below 1e-4",
              _gradients_check(req, rng, [(12, 6), (3, 4, 5, 2)], "float32", 1e-4)),
        Check("square shapes, N == L and N == C == W", _gradients_check(req, rng, [(5, 5), (4, 4, 3, 4)], "float64",
                                                                          TIGHT)),
        Check("a batch of two: (2, L) and (2, C, 1, 2)",
              _gradients_check(req, rng, [(2, 6), (2, 3, 1, 2)], "float64", TIGHT)),
        Check("other float64 shapes (20, 3) and (6, 2, 4, 5)",
              _gradients_check(req, rng, [(20, 3), (6, 2, 4, 5)], "float64", TIGHT)),
    ]


CELLS = {cell.__name__: cell for cell in (
    test_parameters_and_buffers, test_forward_train, test_running_stats, test_eval_mode, test_gradients)}
