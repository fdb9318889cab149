"""The bugs of the mlp_batchnorm assignment's example submissions (MLPBatchNorm.ipynb).

The later cells build on the earlier classes (the network is made of the
student's activations, loss, Linear and BatchNorm), so a bug in a layer also
costs points in the network's cells that exercise it.
"""
from .bugs import Bug, Edit

EXAMPLES = (
    Bug("bug-sigmoid-derivative-of-output", "sigmoid derivative applies the sigmoid again to the stored output",
        (Edit("activations", "return self.state * (1 - self.state)",
              "s = 1 / (1 + np.exp(-self.state))\n        return s * (1 - s)"),),
        frozenset({"test_activations", "test_mlp_backward"})),
    Bug("bug-relu-derivative-at-zero", "ReLU derivative from state >= 0: 1 for every negative input too",
        (Edit("activations", "(self.state > 0)", "(self.state >= 0)"),),
        frozenset({"test_activations", "test_mlp_backward"})),
    Bug("bug-no-log-sum-exp", "softmax cross-entropy without subtracting the largest logit: overflow on large logits",
        (Edit("softmax_cross_entropy", "shifted = x - x.max(axis=1, keepdims=True)", "shifted = x"),),
        frozenset({"test_softmax_cross_entropy"})),
    Bug("bug-average-in-loss-derivative", "the batch average applied in the loss's derivative as well as in Linear",
        (Edit("softmax_cross_entropy", "return self.softmax - self.labels",
              "return (self.softmax - self.labels) / len(self.labels)"),),
        frozenset({"test_softmax_cross_entropy", "test_mlp_backward"})),
    Bug("bug-linear-gradients-summed", "Linear's dW and db summed over the batch instead of averaged",
        (Edit("linear", "self.dW = self.x.T @ delta / N", "self.dW = self.x.T @ delta"),
         Edit("linear", "self.db = delta.mean(axis=0, keepdims=True)", "self.db = delta.sum(axis=0, keepdims=True)")),
        frozenset({"test_linear", "test_mlp_backward"})),
    Bug("bug-running-var-zeros", "batch norm's running variance starts at zeros instead of ones",
        (Edit("batchnorm", "self.running_var = np.ones((1, in_feature))",
              "self.running_var = np.zeros((1, in_feature))"),),
        frozenset({"test_batchnorm_train", "test_batchnorm_eval"})),
    Bug("bug-eval-updates-statistics", "evaluation mode updates the running statistics with the batch's",
        (Edit("batchnorm", "        if eval:\n",
              "        if eval:\n"
              "            self.running_mean = self.alpha * self.running_mean"
              " + (1 - self.alpha) * x.mean(axis=0, keepdims=True)\n"
              "            self.running_var = self.alpha * self.running_var"
              " + (1 - self.alpha) * x.var(axis=0, keepdims=True)\n"),),
        frozenset({"test_batchnorm_eval", "test_mlp_forward"})),
    Bug("bug-bn-unbiased-variance", "batch norm normalizes with the unbiased variance (divides by N - 1)",
        (Edit("batchnorm", "var = x.var(axis=0, keepdims=True)", "var = x.var(axis=0, ddof=1, keepdims=True)"),),
        frozenset({"test_batchnorm_train", "test_batchnorm_backward", "test_mlp_forward", "test_mlp_backward"})),
    Bug("bug-bn-dx-without-batch-terms", "batch norm's dx ignores that the mean and variance depend on x",
        (Edit("batchnorm", "dx = (g - g.mean(axis=0, keepdims=True)\n"
                           "              - self.norm * np.mean(g * self.norm, axis=0, keepdims=True)) / self.std",
              "dx = g / self.std"),),
        frozenset({"test_batchnorm_backward", "test_mlp_backward"})),
    Bug("bug-activation-before-batchnorm", "the network applies the activation before batch norm",
        (Edit("mlp", "            x = linear(x)\n"
                     "            if i < self.num_bn_layers:\n"
                     "                x = self.bn_layers[i](x, eval=not self.train_mode)\n"
                     "            x = activation(x)\n",
              "            x = activation(linear(x))\n"
              "            if i < self.num_bn_layers:\n"
              "                x = self.bn_layers[i](x, eval=not self.train_mode)\n"),
         Edit("mlp", "            delta = delta * self.activations[i].derivative()\n"
                     "            if i < self.num_bn_layers:\n"
                     "                delta = self.bn_layers[i].backward(delta)\n",
              "            if i < self.num_bn_layers:\n"
              "                delta = self.bn_layers[i].backward(delta)\n"
              "            delta = delta * self.activations[i].derivative()\n")),
        frozenset({"test_mlp_forward", "test_mlp_backward"})),
    Bug("bug-momentum-wrong-sign", "the velocity taken as a descent direction but the momentum term subtracted",
        (Edit("mlp", "velocity = self.momentum * velocity - self.lr * grad\n"
                     "            return param + velocity, velocity",
              "velocity = self.lr * grad - self.momentum * velocity\n"
              "            return param - velocity, velocity"),),
        frozenset({"test_mlp_step"})),
    Bug("bug-no-shuffle", "every epoch trains on the batches in the same order",
        (Edit("training_stats", "np.random.permutation(len(X_train))", "np.arange(len(X_train))"),),
        frozenset({"test_training_stats"})),
    Bug("bug-validation-in-training-mode",
        "validation runs in training mode (batch statistics, running averages updated)",
        (Edit("training_stats", "        mlp.eval()\n", ""),),
        frozenset({"test_training_stats"})),
)
