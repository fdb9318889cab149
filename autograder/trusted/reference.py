"""Reference implementations, run in the trusted process to compute what the student's values must be.

Forward functions take the student's arguments and return the output alone, in
float64; in train mode batchnorm_forward and spatial_batchnorm_forward write the
running averages into bn_param as the student's must. Backward functions take
the upstream gradient and the forward's arguments and return (dx, dgamma, dbeta).
Every layer is one operation: standardizing the columns of a matrix.
"""
import numpy as np

from assignments.fc_net import FullyConnectedNetBase

EPS = 1e-5  # the default eps of every layer


def _standardize(m, eps):
    """Each column of the matrix m over its rows: (xhat, std), std of shape (columns,)."""
    std = np.sqrt(m.var(axis=0) + eps)
    return (m - m.mean(axis=0)) / std, std


def _standardize_backward(dxhat, xhat, std):
    """The gradient with respect to m of _standardize(m), given dL/dxhat."""
    return (dxhat - dxhat.mean(axis=0) - xhat * np.mean(dxhat * xhat, axis=0)) / std


def _float64(x):
    return np.asarray(x, dtype=np.float64)


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch norm of x (N, D) over the batch; train mode updates bn_param's running averages."""
    x = _float64(x)
    eps, momentum = bn_param.get("eps", EPS), bn_param.get("momentum", 0.9)
    if bn_param["mode"] == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        for key, statistic in (("running_mean", mean), ("running_var", var)):
            bn_param[key] = momentum * bn_param.get(key, np.zeros(x.shape[1])) + (1 - momentum) * statistic
    else:
        mean, var = bn_param["running_mean"], bn_param["running_var"]
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def batchnorm_backward(dout, x, gamma, beta, bn_param):
    """Gradients of train-mode batch norm (x of shape (N, D))."""
    xhat, std = _standardize(_float64(x), bn_param.get("eps", EPS))
    return _standardize_backward(dout * gamma, xhat, std), np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer norm of x (N, D): each example over its features."""
    xhat, _ = _standardize(_float64(x).T, ln_param.get("eps", EPS))
    return gamma * xhat.T + beta


def layernorm_backward(dout, x, gamma, beta, ln_param):
    """Gradients of layer norm (x of shape (N, D))."""
    xhat, std = _standardize(_float64(x).T, ln_param.get("eps", EPS))
    dx = _standardize_backward((dout * gamma).T, xhat, std).T
    return dx, np.sum(dout * xhat.T, axis=0), np.sum(dout, axis=0)


def _rows(a):
    """(N, C, H, W) -> (N * H * W, C): one row per position, one column per channel."""
    return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])


def _unrows(rows, shape):
    N, C, H, W = shape
    return rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Spatial batch norm of x (N, C, H, W): each channel over (N, H, W)."""
    return _unrows(batchnorm_forward(_rows(_float64(x)), gamma, beta, bn_param), x.shape)


def spatial_batchnorm_backward(dout, x, gamma, beta, bn_param):
    """Gradients of train-mode spatial batch norm; dgamma and dbeta of shape (C,)."""
    dx, dgamma, dbeta = batchnorm_backward(_rows(dout), _rows(_float64(x)), gamma, beta, bn_param)
    return _unrows(dx, x.shape), dgamma, dbeta


def _groups(a, G):
    """(N, C, H, W) -> (C // G * H * W, N * G): one column per group of contiguous channels of an example."""
    return a.reshape(a.shape[0] * G, -1).T


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Group norm of x (N, C, H, W) with G groups; gamma and beta of shape (1, C, 1, 1)."""
    xhat, _ = _standardize(_groups(_float64(x), G), gn_param.get("eps", EPS))
    return gamma * xhat.T.reshape(x.shape) + beta


def spatial_groupnorm_backward(dout, x, gamma, beta, G, gn_param):
    """Gradients of group norm; dgamma and dbeta of shape (1, C, 1, 1)."""
    xhat, std = _standardize(_groups(_float64(x), G), gn_param.get("eps", EPS))
    dx = _standardize_backward(_groups(dout * gamma, G), xhat, std).T.reshape(x.shape)
    xhat = xhat.T.reshape(x.shape)
    return dx, np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True), np.sum(dout, axis=(0, 2, 3), keepdims=True)


class Network(FullyConnectedNetBase):
    """cs231n's FullyConnectedNet with the reference batch or layer norm: the losses and gradients to expect."""

    def init_normalization(self, layer, dim):
        self.params[f"gamma{layer}"] = np.ones(dim)
        self.params[f"beta{layer}"] = np.zeros(dim)

    def normalize_forward(self, h, layer):
        args = (h, self.params[f"gamma{layer}"], self.params[f"beta{layer}"], self.bn_params[layer - 1])
        forward = batchnorm_forward if self.normalization == "batchnorm" else layernorm_forward
        return forward(*args), args

    def normalize_backward(self, dout, cache, layer):
        backward = batchnorm_backward if self.normalization == "batchnorm" else layernorm_backward
        return backward(dout, *cache)


def perturbed_losses(model, X, y, h, entries):
    """
    driver.perturbed_losses for a reference Network, with every perturbation in one pass.

    The networks with one parameter entry moved by +h or -h are stacked along a
    new leading axis (P of them, two per entry) and run forward together, so
    the many tiny losses cost a handful of batched array operations
    instead of as many Python-level passes through the network.

    Inputs:
    - model: A Network without dropout, in float64
    - X: Inputs, of shape (N, D); y: labels, of shape (N,)
    - h: The step
    - entries: {name: flat indices} of the entries to move, for every parameter

    Returns {name: (plus, minus)}, each of shape (len(entries[name]),).
    """
    names = sorted(model.params)
    counts = [len(entries[name]) for name in names]
    members = 2 * sum(counts)  # member 2k moves the k-th listed entry (parameter after parameter) by +h, 2k + 1 by -h
    stacks, first = {}, 0
    for name, count in zip(names, counts):
        rows, moved = 2 * (first + np.arange(count)), np.asarray(entries[name], dtype=np.intp)
        flat = np.repeat(model.params[name].reshape(1, -1).astype(np.float64), members, axis=0)
        flat[rows, moved] += h
        flat[rows + 1, moved] -= h
        stacks[name] = flat.reshape(members, *model.params[name].shape)
        first += count
    losses = _stacked_loss(model, stacks, np.asarray(X, dtype=np.float64), y)
    result, first = {}, 0
    for name, count in zip(names, counts):
        mine = losses[2 * first:2 * (first + count)]
        result[name] = (mine[0::2], mine[1::2])
        first += count
    return result


def _stacked_loss(model, stacks, X, y):
    """The train-mode loss of each stacked network, shape (P,): Network.loss(X, y)[0] for each member."""
    h = X.reshape(X.shape[0], -1)
    for layer in range(1, model.num_layers):
        h = h @ stacks[f"W{layer}"] + stacks[f"b{layer}"][:, None, :]
        if model.normalization:
            axis = -2 if model.normalization == "batchnorm" else -1  # over the batch, or over the features
            eps = model.bn_params[layer - 1].get("eps", EPS)
            xhat = (h - h.mean(axis=axis, keepdims=True)) / np.sqrt(h.var(axis=axis, keepdims=True) + eps)
            h = stacks[f"gamma{layer}"][:, None, :] * xhat + stacks[f"beta{layer}"][:, None, :]
        h = np.maximum(h, 0)
    last = model.num_layers
    scores = h @ stacks[f"W{last}"] + stacks[f"b{last}"][:, None, :]
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    loss = -log_probs[:, np.arange(len(y)), y].mean(axis=-1)
    for layer in range(1, last + 1):
        w = stacks[f"W{layer}"]
        loss += 0.5 * model.reg * np.sum(w * w, axis=(1, 2))
    return loss
