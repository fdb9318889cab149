"""Layers of a fully-connected network as forward/backward pairs, with cs231n's contracts.

Every ``*_forward`` returns ``(out, cache)``; the matching ``*_backward(dout, cache)``
takes the upstream gradient dL/dout (shaped like out) and that cache, and returns
the gradients of the loss with respect to the forward pass's inputs.
"""
import numpy as np


def affine_forward(x, w, b):
    """
    Forward pass of an affine (fully-connected) layer.

    Each example x[i] of shape (d_1, ..., d_k) is reshaped into a vector of
    dimension D = d_1 * ... * d_k and mapped to a vector of dimension M.

    Inputs:
    - x: Array of shape (N, d_1, ..., d_k), a minibatch of N examples
    - w: Weights, of shape (D, M)
    - b: Biases, of shape (M,)

    Returns a tuple of:
    - out: Output, of shape (N, M)
    - cache: (x, w, b)
    """
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """
    Backward pass of an affine layer.

    Inputs:
    - dout: Upstream derivative, of shape (N, M)
    - cache: (x, w, b) from affine_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    x, w, _ = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """
    Forward pass of a layer of rectified linear units: max(0, x) elementwise.

    Inputs:
    - x: Input, of any shape

    Returns a tuple of:
    - out: Output, of the same shape as x
    - cache: x
    """
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    """
    Backward pass of a layer of rectified linear units.

    Inputs:
    - dout: Upstream derivative, of any shape
    - cache: Input x of relu_forward, of the same shape as dout

    Returns:
    - dx: Gradient with respect to x, dout where x > 0 and 0 elsewhere
    """
    return dout * (cache > 0)


def dropout_forward(x, dropout_param):
    """
    Forward pass of inverted dropout.

    Inputs:
    - x: Input data, of any shape
    - dropout_param: A dictionary with the following keys:
      - p: Dropout parameter. We keep each neuron output with probability p.
      - mode: 'test' or 'train'. If the mode is train, then perform dropout;
        if the mode is test, then just return the input.
      - seed: Seed for the random number generator (optional). Passing seed
        makes this function deterministic, which is needed for gradient checking.

    Returns a tuple of:
    - out: Array of the same shape and dtype as x
    - cache: (dropout_param, mask). In training mode, mask is the array (of x's
      shape and dtype) that multiplied x: 1 / p where a neuron was kept, 0 where
      it was dropped; in test mode, mask is None.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    _check_mode(mode)
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    out = x
    if mode == "train":
        mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype)
        out = x * mask
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    """
    Backward pass of inverted dropout.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (dropout_param, mask) from dropout_forward

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    dropout_param, mask = cache
    _check_mode(dropout_param["mode"])
    return dout * mask if dropout_param["mode"] == "train" else dout


def _check_mode(mode):
    """Raise ValueError unless mode is 'train' or 'test'."""
    if mode not in ("train", "test"):
        raise ValueError(f"dropout_param['mode'] must be 'train' or 'test', got {mode!r}")


def softmax_loss(x, y):
    """
    Loss and gradient of softmax classification.

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth
      class for the ith input.
    - y: Vector of labels, of shape (N,) where y[i] is the label for x[i] and
      0 <= y[i] < C

    Returns a tuple of:
    - loss: Scalar giving the loss, averaged over the N inputs
    - dx: Gradient of the loss with respect to x, of shape (N, C)
    """
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].sum() / n
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx


def affine_relu_forward(x, w, b):
    """
    Convenience layer: an affine transform followed by a ReLU.

    Inputs:
    - x: Input to the affine layer, of shape (N, d_1, ..., d_k)
    - w: Weights, of shape (D, M)
    - b: Biases, of shape (M,)

    Returns a tuple of:
    - out: Output from the ReLU, of shape (N, M)
    - cache: (fc_cache, relu_cache), to give to affine_relu_backward
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    """
    Backward pass of the affine-relu convenience layer.

    Inputs:
    - dout: Upstream derivative, of shape (N, M)
    - cache: (fc_cache, relu_cache) from affine_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)
