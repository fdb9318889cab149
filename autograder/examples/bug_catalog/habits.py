"""Honest habits: correct submissions written the way students write, which must keep every point, unflagged.

Each is a variant of the correct submission (a Bug with nothing affected): a
helper in a cell the student added, modules and helpers the setup cell
imported, a solution cell that starts with a magic, one helper name used in
both notebooks of an assignment, a module submitted beside the notebook, a lot
of printing, a try-out on float32 inputs, a cache of another structure.
tests/test_honest_habits.py grades them with the harness and with stock
`nbgrader autograde`.
"""
from .bugs import AddedCell, Bug, Edit

COLUMN_MEAN = "def column_mean(x):\n    # my own helper: the mean of each column\n    return x.mean(axis=0)\n"
BATCH_MEAN = "def mean_over_batch(a):\n    # my own helper\n    return a.mean(axis=0, keepdims=True)\n"
CHANNEL_SHAPE = "def channel_shape(num_features, num_dims):\n    return (1, num_features) + (1,) * (num_dims - 2)\n"
LOUD_CELL = "print('my notes ' * 200_000)"

_MU = "        mu = np.ones(N, dtype=x.dtype) @ x / N\n"

BATCHNORM = (
    Bug("habit-helper-in-added-cell", "batchnorm_forward calls a helper defined in a cell the student added",
        (Edit("batchnorm_forward", _MU, "        mu = column_mean(x)\n"),), frozenset(),
        added=(AddedCell("batchnorm_forward", COLUMN_MEAN),)),
    Bug("habit-setup-imports", "the solution uses time, os and rel_error, which the setup cell imported",
        (Edit("batchnorm_forward", _MU, _MU + "        started = time.perf_counter()\n"
                                              "        assert os.sep and rel_error(mu, mu) == 0\n"),), frozenset()),
    Bug("habit-magic-first-line", "solution cells that start with %%time",
        (Edit("batchnorm_backward", "def batchnorm_backward(dout, cache):", "%%time\ndef batchnorm_backward(dout, cache):"),
         Edit("batchnorm_forward", "def batchnorm_forward(", "%%time\ndef batchnorm_forward(")), frozenset()),
    Bug("habit-same-helper-in-both-notebooks", "a helper named column_mean in each notebook, with other arguments",
        (Edit("batchnorm_forward", _MU, "        mu = column_mean(x)\n"),
         Edit("spatial_batchnorm_forward", "    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)\n",
              "    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)\n"
              "    assert column_mean(out, (0, 2, 3)).shape == (C,)\n")), frozenset(),
        added=(AddedCell("batchnorm_forward", COLUMN_MEAN),
               AddedCell("spatial_batchnorm_forward", "def column_mean(x, axes):\n    return x.mean(axis=axes)\n"))),
    Bug("habit-module-beside-notebook", "batchnorm_forward uses a helper from a .py file submitted beside it",
        (Edit("batchnorm_forward", _MU, "        mu = column_mean(x)\n"),), frozenset(),
        added=(AddedCell("batchnorm_forward", "from my_helpers import column_mean"),),
        files=(("my_helpers.py", COLUMN_MEAN),)),
    Bug("habit-prints-a-lot", "the forward pass prints on every call, and a cell prints megabytes",
        (Edit("batchnorm_forward", _MU, _MU + "        print('forward pass on a batch of', N)\n"),), frozenset(),
        added=(AddedCell("batchnorm_backward", LOUD_CELL),)),
    Bug("habit-tries-float32", "a cell of the student's own runs the forward pass on float32 inputs",
        (), frozenset(),
        added=(AddedCell("batchnorm_backward",
                         "out32, _ = batchnorm_forward(np.ones((4, 3), np.float32), np.ones(3, np.float32),\n"
                         "                             np.zeros(3, np.float32), {'mode': 'train'})\n"
                         "print(out32.dtype)"),)),
    Bug("habit-cache-as-dict", "the cache is a dict rather than a tuple",
        (Edit("batchnorm_forward", "        cache = (x, mu, std, gamma)\n",
              "        cache = {'x': x, 'mu': mu, 'std': std, 'gamma': gamma}\n"),
         Edit("batchnorm_backward", "    x, mu, std, gamma = cache\n",
              "    x, mu, std, gamma = cache['x'], cache['mu'], cache['std'], cache['gamma']\n"),
         Edit("batchnorm_backward_alt", "    x, mu, std, gamma = cache\n",
              "    x, mu, std, gamma = cache['x'], cache['mu'], cache['std'], cache['gamma']\n")), frozenset()),
)

_DB = "        self.db = delta.mean(axis=0, keepdims=True)\n"

MLP_BATCHNORM = (
    Bug("habit-helper-in-added-cell", "Linear.backward calls a helper defined in a cell the student added",
        (Edit("linear", _DB, "        self.db = mean_over_batch(delta)\n"),), frozenset(),
        added=(AddedCell("linear", BATCH_MEAN),)),
    Bug("habit-setup-imports", "the solution uses os and rel_error, which the setup cell imported",
        (Edit("linear", _DB, _DB + "        assert os.sep and rel_error(self.db, self.db) == 0\n"),), frozenset()),
    Bug("habit-magic-first-line", "a solution cell that starts with %%time",
        (Edit("activations", "class Activation:", "%%time\nclass Activation:"),), frozenset()),
    Bug("habit-module-beside-notebook", "Linear.backward uses a helper from a .py file submitted beside it",
        (Edit("linear", _DB, "        self.db = mean_over_batch(delta)\n"),), frozenset(),
        added=(AddedCell("linear", "from my_helpers import mean_over_batch"),),
        files=(("my_helpers.py", "import numpy as np\n\n\n" + BATCH_MEAN),)),
    Bug("habit-prints-a-lot", "Linear.forward prints on every call, and a cell prints megabytes",
        (Edit("linear", "        self.x = x\n", "        self.x = x\n        print('linear forward', x.shape)\n"),),
        frozenset(), added=(AddedCell("linear", LOUD_CELL),)),
    Bug("habit-tries-float32", "a cell of the student's own runs the activations on float32 inputs",
        (), frozenset(), added=(AddedCell("linear", "print(ReLU()(np.ones(3, np.float32)).dtype)"),)),
)

_SHAPE = "        shape = (1, num_features) + (1,) * (num_dims - 2)\n"

TORCH_BATCHNORM = (
    Bug("habit-helper-in-added-cell", "BatchNorm.__init__ calls a helper defined in a cell the student added",
        (Edit("BatchNorm", _SHAPE, "        shape = channel_shape(num_features, num_dims)\n"),), frozenset(),
        added=(AddedCell("BatchNorm", CHANNEL_SHAPE),)),
    Bug("habit-setup-imports", "the solution uses os and time, which the setup cell imported",
        (Edit("BatchNorm", _SHAPE, _SHAPE + "        assert os.sep and time.perf_counter() > 0\n"),), frozenset()),
    Bug("habit-magic-first-line", "the solution cell starts with %%time",
        (Edit("BatchNorm", "import torch\nfrom torch import nn\n", "%%time\nimport torch\nfrom torch import nn\n"),),
        frozenset()),
    Bug("habit-module-beside-notebook", "BatchNorm uses a helper from a .py file submitted beside it",
        (Edit("BatchNorm", _SHAPE, "        shape = channel_shape(num_features, num_dims)\n"),), frozenset(),
        added=(AddedCell("BatchNorm", "from my_helpers import channel_shape"),),
        files=(("my_helpers.py", CHANNEL_SHAPE),)),
    Bug("habit-prints-a-lot", "BatchNorm prints when it is made, and a cell prints megabytes",
        (Edit("BatchNorm", _SHAPE, _SHAPE + "        print('a BatchNorm of shape', shape)\n"),), frozenset(),
        added=(AddedCell("BatchNorm", LOUD_CELL),)),
)

HABITS = {"batchnorm": BATCHNORM, "mlp_batchnorm": MLP_BATCHNORM, "torch_batchnorm": TORCH_BATCHNORM}
