"""The classic bugs planted in example submissions, per assignment.

Each bug is a few exact text edits of solution cells and the set of test cells
that must lose points because of it; every other graded cell must keep all its
points (tests/test_demo.py checks both). The notebooks reuse the student's own
functions (the network calls batchnorm_forward, SpatialBatchNorm.ipynb imports
the vanilla layer), so a bug in one function also costs points where it is reused.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Edit:
    """Replace every occurrence of `old` (at least one) by `new` in one solution cell."""
    cell: str
    old: str
    new: str


@dataclasses.dataclass(frozen=True)
class Bug:
    """
    A classic mistake planted in an otherwise correct submission.

    - student: The example student's id
    - description: The mistake, in a few words
    - edits: The text edits that plant it
    - affected: Grade ids of the test cells that must lose points; all others keep
      theirs (empty for a variant that must keep every point)
    """
    student: str
    description: str
    edits: tuple
    affected: frozenset


BATCHNORM_BUGS = (
    Bug("bug-unbiased-variance", "variance divided by N - 1 instead of N",
        (Edit("batchnorm_forward", "var = np.mean(xc * xc, axis=0)",
              "var = np.sum(xc * xc, axis=0) / (N - 1)"),),
        frozenset({"test_forward_train", "test_running_averages", "test_backward", "test_backward_alt",
                   "test_fc_net_batchnorm", "test_spatial_forward_train", "test_spatial_test_mode", "test_spatial_backward"})),
    Bug("bug-eps-outside-sqrt", "eps added to the standard deviation instead of the variance",
        (Edit("batchnorm_forward", "np.sqrt(var + eps)", "np.sqrt(var) + eps"),
         Edit("batchnorm_forward", "np.sqrt(running_var + eps)", "np.sqrt(running_var) + eps")),
        frozenset({"test_forward_train", "test_test_mode", "test_backward", "test_backward_alt",
                   "test_fc_net_batchnorm", "test_spatial_forward_train", "test_spatial_test_mode", "test_spatial_backward"})),
    Bug("bug-reversed-running-average", "running average weights the new batch by momentum",
        (Edit("batchnorm_forward", "momentum * running_mean + (1 - momentum) * mu",
              "(1 - momentum) * running_mean + momentum * mu"),
         Edit("batchnorm_forward", "momentum * running_var + (1 - momentum) * var",
              "(1 - momentum) * running_var + momentum * var")),
        frozenset({"test_running_averages", "test_spatial_test_mode"})),
    Bug("bug-test-mode-batch-stats", "test mode normalizes with the batch statistics",
        (Edit("batchnorm_forward", "std = np.sqrt(running_var + eps)\n",
              "std = np.sqrt(x.var(axis=0) + eps)\n"),
         Edit("batchnorm_forward", "out = gamma * (x - running_mean) / std + beta",
              "out = gamma * (x - x.mean(axis=0)) / std + beta")),
        frozenset({"test_test_mode", "test_spatial_test_mode"})),
    Bug("bug-dx-missing-variance-term", "dx ignores the path through the variance",
        (Edit("batchnorm_backward", "    dxc += (2.0 / N) * xc * dvar\n", ""),),
        frozenset({"test_backward", "test_backward_alt"})),
    Bug("bug-dgamma-from-x", "dgamma computed from x instead of x-hat",
        (Edit("batchnorm_backward", "np.sum(dout * xhat, axis=0)", "np.sum(dout * x, axis=0)"),
         Edit("batchnorm_backward_alt", "np.sum(dout * xhat, axis=0)", "np.sum(dout * x, axis=0)")),
        frozenset({"test_backward", "test_backward_alt", "test_fc_net_batchnorm", "test_spatial_backward"})),
    Bug("bug-running-stats-not-written-back", "running averages computed but not stored in bn_param",
        (Edit("batchnorm_forward", 'bn_param["running_mean"] = momentum', "running_mean = momentum"),
         Edit("batchnorm_forward", 'bn_param["running_var"] = momentum', "running_var = momentum")),
        frozenset({"test_running_averages", "test_fc_net_batchnorm", "test_spatial_test_mode"})),
    Bug("bug-shared-bn-param", "every hidden layer normalizes with the first layer's bn_param",
        (Edit("fc_net", "param = self.bn_params[layer - 1]", "param = self.bn_params[0]"),),
        frozenset({"test_fc_net_batchnorm"})),
    Bug("bug-gamma-init-zeros", "the network's scales gamma start at zeros",
        (Edit("fc_net", "np.ones(dim)", "np.zeros(dim)"),),
        frozenset({"test_fc_net_batchnorm", "test_fc_net_layernorm"})),
    Bug("bug-layernorm-batch-axis", "layer norm statistics taken over the batch instead of the features",
        (Edit("layernorm_forward", "mu = x.mean(axis=1, keepdims=True)", "mu = x.mean(axis=0, keepdims=True)"),
         Edit("layernorm_forward", "var = np.mean(xc * xc, axis=1, keepdims=True)",
              "var = np.mean(xc * xc, axis=0, keepdims=True)")),
        frozenset({"test_layernorm_forward", "test_layernorm_backward", "test_fc_net_layernorm"})),
    Bug("bug-layernorm-dgamma-per-example", "layer norm dgamma summed over the features instead of the batch",
        (Edit("layernorm_backward", "dgamma = np.sum(dout * xhat, axis=0)", "dgamma = np.sum(dout * xhat, axis=1)"),),
        frozenset({"test_layernorm_backward", "test_fc_net_layernorm"})),
)

# SpatialBatchNorm.ipynb
SPATIAL_BUGS = (
    Bug("bug-spatial-reshape-without-transpose", "channels flattened with x.reshape(-1, C), without moving them last",
        (Edit("spatial_batchnorm_forward", "x.transpose(0, 2, 3, 1).reshape(-1, C)", "x.reshape(-1, C)"),
         Edit("spatial_batchnorm_forward", "out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
              "out_rows.reshape(N, C, H, W)"),
         Edit("spatial_batchnorm_backward", "dout.transpose(0, 2, 3, 1).reshape(-1, C)", "dout.reshape(-1, C)"),
         Edit("spatial_batchnorm_backward", "dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
              "dx_rows.reshape(N, C, H, W)")),
        frozenset({"test_spatial_forward_train", "test_spatial_test_mode", "test_spatial_backward"})),
    Bug("bug-spatial-dx-not-transposed-back", "spatial backward reshapes dx straight to (N, C, H, W)",
        (Edit("spatial_batchnorm_backward", "dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
              "dx_rows.reshape(N, C, H, W)"),),
        frozenset({"test_spatial_backward"})),
    Bug("bug-spatial-h-w-swapped", "positions flattened as (n, w, h) but restored as (n, h, w): the channel statistics "
        "are right, so only the hidden checks see it",
        (Edit("spatial_batchnorm_forward", "x.transpose(0, 2, 3, 1)", "x.transpose(0, 3, 2, 1)"),
         Edit("spatial_batchnorm_backward", "dout.transpose(0, 2, 3, 1)", "dout.transpose(0, 3, 2, 1)")),
        frozenset({"test_spatial_forward_train", "test_spatial_test_mode", "test_spatial_backward"})),
    Bug("bug-groupnorm-strided-groups", "group norm groups channels c, c + G, c + 2G, ... instead of contiguous runs",
        (Edit("spatial_groupnorm_forward", ".reshape(N, G, -1)",
              ".reshape(N, C // G, G, H * W).transpose(0, 2, 1, 3).reshape(N, G, -1)"),
         Edit("spatial_groupnorm_forward", ".reshape(N, C, H, W)",
              ".reshape(N, G, C // G, H * W).transpose(0, 2, 1, 3).reshape(N, C, H, W)"),
         Edit("spatial_groupnorm_backward", ".reshape(N, G, -1)",
              ".reshape(N, C // G, G, H * W).transpose(0, 2, 1, 3).reshape(N, G, -1)"),
         Edit("spatial_groupnorm_backward", ".reshape(N, C, H, W)",
              ".reshape(N, G, C // G, H * W).transpose(0, 2, 1, 3).reshape(N, C, H, W)")),
        frozenset({"test_groupnorm_forward", "test_groupnorm_backward"})),
    Bug("bug-groupnorm-ignores-groups", "group norm takes the statistics of the whole example (layer norm for any G)",
        (Edit("spatial_groupnorm_forward", ".reshape(N, G, -1)", ".reshape(N, 1, -1)"),
         Edit("spatial_groupnorm_backward", ".reshape(N, G, -1)", ".reshape(N, 1, -1)")),
        frozenset({"test_groupnorm_forward", "test_groupnorm_backward"})),
    Bug("bug-groupnorm-dgamma-per-example", "group norm dgamma and dbeta not summed over the batch: shape (N, C, 1, 1)",
        (Edit("spatial_groupnorm_backward", "axis=(0, 2, 3), keepdims=True", "axis=(2, 3), keepdims=True"),),
        frozenset({"test_groupnorm_backward"})),
    Bug("bug-groupnorm-dgamma-shape-c", "group norm dgamma and dbeta of shape (C,) instead of (1, C, 1, 1)",
        (Edit("spatial_groupnorm_backward", "axis=(0, 2, 3), keepdims=True", "axis=(0, 2, 3)"),),
        frozenset({"test_groupnorm_backward"})),
    Bug("bug-groupnorm-eps-ignored", "group norm uses eps = 1e-5 whatever gn_param says",
        (Edit("spatial_groupnorm_forward", 'eps = gn_param.get("eps", 1e-5)', "eps = 1e-5"),),
        frozenset({"test_groupnorm_forward"})),
)

# Not a mistake: numpy warnings on stderr must not cost points (nbgrader_config.py, IgnorePattern).
WARNS_ON_STDERR = Bug(
    "warns-on-stderr", "correct, but numpy prints a RuntimeWarning on stderr",
    (Edit("batchnorm_forward", "        mu = x.mean(axis=0)\n",
          "        mu = x.mean(axis=0)\n        np.log(np.zeros(1))  # numpy warns: divide by zero\n"),),
    frozenset())

EXAMPLES = {"batchnorm": BATCHNORM_BUGS + SPATIAL_BUGS + (WARNS_ON_STDERR,)}
