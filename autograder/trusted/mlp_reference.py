"""Reference implementations of the mlp_batchnorm assignment, run in the trusted process.

Everything is float64 and follows the notebook's conventions: the loss of a
batch is the mean of the examples' losses, gradients passed between layers are
per example, and the parameter gradients (dW, db, dgamma, dbeta) are those of
the mean loss. Batch norm divides the variance by N, uses eps = 1e-8 and
alpha = 0.9, and starts its running statistics at mean 0 and variance 1.
"""
import numpy as np

EPS = 1e-8
ALPHA = 0.9


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# activation class name -> (f, f'), elementwise, in float64
ACTIVATIONS = {
    "Identity": (lambda z: z, np.ones_like),
    "Sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "Tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "ReLU": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(np.float64)),
}


def cross_entropy(x, y):
    """
    Softmax cross-entropy of logits x (N, C) against one-hot labels y (N, C), by log-sum-exp.

    Returns (losses of shape (N,), softmax of shape (N, C)).
    """
    x = np.asarray(x, dtype=np.float64)
    shifted = x - x.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.sum(y * log_softmax, axis=1), np.exp(log_softmax)


def batchnorm_train(x, gamma, beta):
    """Training-mode batch norm of x (N, D): (out, x_hat, std), std = sqrt(var + eps) of shape (1, D)."""
    x = np.asarray(x, dtype=np.float64)
    std = np.sqrt(x.var(axis=0, keepdims=True) + EPS)
    xhat = (x - x.mean(axis=0, keepdims=True)) / std
    return gamma * xhat + beta, xhat, std


def batchnorm_eval(x, gamma, beta, running_mean, running_var):
    """Evaluation-mode batch norm of x (N, D) with the given running statistics."""
    return gamma * (np.asarray(x, dtype=np.float64) - running_mean) / np.sqrt(running_var + EPS) + beta


def batchnorm_backward(delta, xhat, std, gamma):
    """(dx, dgamma, dbeta) of training-mode batch norm: dx per example, dgamma and dbeta (1, D) of the mean loss."""
    g = delta * gamma
    dx = (g - g.mean(axis=0, keepdims=True) - xhat * np.mean(g * xhat, axis=0, keepdims=True)) / std
    return dx, np.mean(delta * xhat, axis=0, keepdims=True), delta.mean(axis=0, keepdims=True)


def running_statistics(batches, alpha=ALPHA):
    """(running_mean, running_var), each (1, D), after training-mode calls on the batches in turn."""
    mean, var = np.zeros((1, batches[0].shape[1])), np.ones((1, batches[0].shape[1]))
    for x in batches:
        mean = alpha * mean + (1 - alpha) * x.mean(axis=0, keepdims=True)
        var = alpha * var + (1 - alpha) * x.var(axis=0, keepdims=True)
    return mean, var


class Network:
    """
    The MLP of the notebook with given parameters: Linear -> [BatchNorm] -> activation per layer.

    Inputs of the constructor:
    - weights, biases: Lists of the linear layers' W (d_in, d_out) and b (1, d_out)
    - activations: List of activation class names, one per linear layer
    - gammas, betas: Lists of the batch norms' parameters (1, d), one per batch norm
      (the first len(gammas) linear layers are followed by one)
    """

    def __init__(self, weights, biases, activations, gammas=(), betas=()):
        self.W = [np.array(w, dtype=np.float64) for w in weights]
        self.b = [np.array(b, dtype=np.float64) for b in biases]
        self.gamma = [np.array(g, dtype=np.float64) for g in gammas]
        self.beta = [np.array(b, dtype=np.float64) for b in betas]
        self.running = [(np.zeros_like(g), np.ones_like(g)) for g in self.gamma]
        self.activations = list(activations)
        self.cache = None  # per layer, what the backward pass needs from the last forward call
        self.output = None

    def forward(self, x, train=True):
        """The output for x (N, d_in); training mode updates the running statistics."""
        x = np.asarray(x, dtype=np.float64)
        self.cache = []
        for i, (W, b, name) in enumerate(zip(self.W, self.b, self.activations)):
            layer = {"x": x}
            x = x @ W + b
            if i < len(self.gamma):
                if train:
                    mean, var = self.running[i]
                    self.running[i] = (ALPHA * mean + (1 - ALPHA) * x.mean(axis=0, keepdims=True),
                                       ALPHA * var + (1 - ALPHA) * x.var(axis=0, keepdims=True))
                    x, layer["xhat"], layer["std"] = batchnorm_train(x, self.gamma[i], self.beta[i])
                else:
                    x = batchnorm_eval(x, self.gamma[i], self.beta[i], *self.running[i])
            layer["z"] = x
            x = ACTIVATIONS[name][0](x)
            self.cache.append(layer)
        self.output = x
        return x

    def backward(self, labels):
        """
        After a training-mode forward: (mean loss, grads), grads a dict of lists
        'W', 'b', 'gamma', 'beta' of the mean loss's gradients, one per parameter.
        """
        losses, softmax = cross_entropy(self.output, labels)
        delta = softmax - labels
        grads = {"W": [None] * len(self.W), "b": [None] * len(self.W),
                 "gamma": [None] * len(self.gamma), "beta": [None] * len(self.gamma)}
        for i in reversed(range(len(self.W))):
            layer = self.cache[i]
            delta = delta * ACTIVATIONS[self.activations[i]][1](layer["z"])
            if i < len(self.gamma):
                delta, grads["gamma"][i], grads["beta"][i] = batchnorm_backward(
                    delta, layer["xhat"], layer["std"], self.gamma[i])
            grads["W"][i] = layer["x"].T @ delta / len(delta)
            grads["b"][i] = delta.mean(axis=0, keepdims=True)
            delta = delta @ self.W[i].T
        return losses.mean(), grads


def sgd_momentum(values, grads, velocities, lr, momentum):
    """One SGD-with-momentum update of every parameter: v = momentum * v - lr * g, p = p + v; (values, velocities)."""
    velocities = [momentum * v - lr * g for v, g in zip(velocities, grads)]
    return [p + v for p, v in zip(values, velocities)], velocities
