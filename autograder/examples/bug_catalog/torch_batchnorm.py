"""The bugs of the torch_batchnorm assignment's example submissions (TorchBatchNorm.ipynb).

Every edit is in the one solution cell, the class BatchNorm. A bug in the running
averages costs points only in test_running_stats, because the other checks give both
layers the same running averages by hand; a bug in the state (kinds of tensors) only in
test_parameters_and_buffers, because the other checks copy PyTorch's values from the
student's tensors, whatever their dtype.
"""
from .bugs import Bug, Edit

CELL = "BatchNorm"
RUNNING_MEAN_UPDATE = "self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)"
RUNNING_VAR_UPDATE = "self.running_var.mul_(1 - self.momentum).add_(self.momentum * count / (count - 1) * var)"
BIASED_VARIANCE = "var = x.var(dim=dims, correction=0, keepdim=True)"

EXAMPLES = (
    Bug("bug-running-var-biased", "running variance averages the biased batch variance (divided by n)",
        (Edit(CELL, "self.momentum * count / (count - 1) * var", "self.momentum * var"),),
        frozenset({"test_running_stats"})),
    Bug("bug-count-is-batch-size", "unbiased correction counts the batch size N instead of N * H * W values",
        (Edit(CELL, "self.update_running_stats(mean, var, x.numel() // x.shape[1])",
              "self.update_running_stats(mean, var, x.shape[0])"),),
        frozenset({"test_running_stats"})),
    Bug("bug-momentum-reversed", "cs231n's momentum convention: momentum weighs the old running average",
        (Edit(CELL, RUNNING_MEAN_UPDATE,
              "self.running_mean.mul_(self.momentum).add_((1 - self.momentum) * mean)"),
         Edit(CELL, RUNNING_VAR_UPDATE,
              "self.running_var.mul_(self.momentum).add_((1 - self.momentum) * count / (count - 1) * var)")),
        frozenset({"test_running_stats"})),
    Bug("bug-unbiased-normalization", "normalizes with the unbiased variance (torch's default correction=1); "
        "the running variance is still right",
        (Edit(CELL, BIASED_VARIANCE, "var = x.var(dim=dims, keepdim=True)"),
         Edit(CELL, "self.momentum * count / (count - 1) * var", "self.momentum * var")),
        frozenset({"test_forward_train", "test_gradients"})),
    Bug("bug-mode-from-grad-enabled", "mode chosen by torch.is_grad_enabled() instead of self.training",
        (Edit(CELL, "if self.training:", "if torch.is_grad_enabled():"),),
        frozenset({"test_running_stats", "test_eval_mode"})),
    Bug("bug-4d-stats-per-position", "(N, C, H, W) statistics over the batch axis only, one per channel and position",
        (Edit(CELL, "dims = (0,) if self.num_dims == 2 else (0, 2, 3)", "dims = (0,)"),),
        frozenset({"test_forward_train", "test_running_stats", "test_gradients"})),
    Bug("bug-params-plain-tensors", "weight and bias are tensors with requires_grad, not nn.Parameter",
        (Edit(CELL, "nn.Parameter(torch.ones(shape))", "torch.ones(shape, requires_grad=True)"),
         Edit(CELL, "nn.Parameter(torch.zeros(shape))", "torch.zeros(shape, requires_grad=True)")),
        frozenset({"test_parameters_and_buffers"})),
    Bug("bug-stats-plain-attributes", "running averages are plain attributes, not buffers",
        (Edit(CELL, 'self.register_buffer("running_mean", torch.zeros(shape))',
              "self.running_mean = torch.zeros(shape)"),
         Edit(CELL, 'self.register_buffer("running_var", torch.ones(shape))', "self.running_var = torch.ones(shape)")),
        frozenset({"test_parameters_and_buffers"})),
    Bug("bug-eval-updates-stats", "evaluation mode normalizes with the running averages but then updates them "
        "with the batch statistics",
        (Edit(CELL, "            mean, var = self.running_mean, self.running_var\n",
              "            mean, var = self.running_mean.clone(), self.running_var.clone()\n"
              "            self.update_running_stats(x.mean(dim=dims, keepdim=True),\n"
              "                                      x.var(dim=dims, correction=0, keepdim=True),\n"
              "                                      x.numel() // x.shape[1])\n"),),
        frozenset({"test_eval_mode"})),
    Bug("bug-stats-recorded-by-autograd", "running averages updated without torch.no_grad(): autograd records them",
        (Edit(CELL, "        with torch.no_grad():  # bookkeeping: autograd must not record it\n"
                    f"            {RUNNING_MEAN_UPDATE}\n"
                    f"            {RUNNING_VAR_UPDATE}\n",
              f"        {RUNNING_MEAN_UPDATE}\n"
              f"        {RUNNING_VAR_UPDATE}\n"),),
        frozenset({"test_running_stats"})),
    Bug("bug-batch-stats-detached", "batch mean and variance detached: no gradient flows through the statistics",
        (Edit(CELL, "mean = x.mean(dim=dims, keepdim=True)\n", "mean = x.mean(dim=dims, keepdim=True).detach()\n"),
         Edit(CELL, BIASED_VARIANCE, "var = x.var(dim=dims, correction=0, keepdim=True).detach()")),
        frozenset({"test_gradients"})),
)
