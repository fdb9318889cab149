"""cs231n's ``FullyConnectedNet``, with its normalization left to a subclass.

Students subclass ``FullyConnectedNetBase`` in a notebook and implement three
hooks with their own batch or layer normalization:

- ``init_normalization(layer, dim)``: create ``params[f"gamma{layer}"]`` and ``params[f"beta{layer}"]``
- ``normalize_forward(h, layer) -> (out, cache)``
- ``normalize_backward(dout, cache, layer) -> (dh, dgamma, dbeta)``

Everything else (initialization, dropout, loss, gradients, regularization) is here.
"""
import numpy as np

from assignments.layers import (
    affine_backward, affine_forward, dropout_backward, dropout_forward, relu_backward, relu_forward,
    softmax_loss)

NORMALIZATIONS = (None, "batchnorm", "layernorm")


class FullyConnectedNetBase:
    """
    Class for a multi-layer fully connected neural network.

    Network contains an arbitrary number of hidden layers, ReLU nonlinearities,
    and a softmax loss function. This will also implement dropout and batch/layer
    normalization as options. For a network with L layers, the architecture will be

    {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where batch/layer normalization and dropout are optional and the {...} block is
    repeated L - 1 times.

    Learnable parameters are stored in the self.params dictionary and will be
    learned using the Solver class.
    """

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        """
        Initialize a new FullyConnectedNet.

        Inputs:
        - hidden_dims: A list of integers giving the size of each hidden layer.
        - input_dim: An integer giving the size of the input.
        - num_classes: An integer giving the number of classes to classify.
        - dropout_keep_ratio: Scalar between 0 and 1 giving dropout strength.
          If dropout_keep_ratio=1 then the network should not use dropout at all.
        - normalization: What type of normalization the network should use. Valid values
          are "batchnorm", "layernorm", or None for no normalization (the default).
        - reg: Scalar giving L2 regularization strength.
        - weight_scale: Scalar giving the standard deviation for random
          initialization of the weights.
        - dtype: A numpy datatype object; all computations will be performed using
          this datatype. float32 is faster but less accurate, so you should use
          float64 for numeric gradient checking.
        - seed: If not None, then pass this random seed to the dropout layers.
          This will make the dropout layers deterministic so we can gradient check the model.
        """
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        dims = [input_dim, *hidden_dims, num_classes]
        for layer in range(1, self.num_layers + 1):
            self.params[f"W{layer}"] = weight_scale * np.random.randn(dims[layer - 1], dims[layer])
            self.params[f"b{layer}"] = np.zeros(dims[layer])
            if self.normalization and layer < self.num_layers:
                self.init_normalization(layer, dims[layer])

        # With dropout, every layer is given the same dropout_param (mode and seed).
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed

        # One dictionary per normalization layer: batchnorm keeps its mode and
        # running statistics there; layernorm needs no state.
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]

        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def init_normalization(self, layer, dim):
        """
        Create the normalization parameters of hidden layer `layer`.

        Inputs:
        - layer: Index of the hidden layer, 1 to L - 1
        - dim: Its number of units

        Sets self.params[f"gamma{layer}"] and self.params[f"beta{layer}"], each of shape (dim,).
        """
        raise self._missing_hook("init_normalization")

    def normalize_forward(self, h, layer):
        """
        Forward pass of the normalization of hidden layer `layer`.

        Inputs:
        - h: Output of the layer's affine transform, of shape (N, dim)
        - layer: Index of the hidden layer, 1 to L - 1; its parameters are
          self.params[f"gamma{layer}"], self.params[f"beta{layer}"] and
          self.bn_params[layer - 1]

        Returns a tuple of:
        - out: Normalized output, of shape (N, dim)
        - cache: What normalize_backward needs
        """
        raise self._missing_hook("normalize_forward")

    def normalize_backward(self, dout, cache, layer):
        """
        Backward pass of the normalization of hidden layer `layer`.

        Inputs:
        - dout: Upstream derivative, of shape (N, dim)
        - cache: The cache normalize_forward returned
        - layer: Index of the hidden layer, 1 to L - 1

        Returns a tuple of:
        - dh: Gradient with respect to h, of shape (N, dim)
        - dgamma: Gradient with respect to gamma, of shape (dim,)
        - dbeta: Gradient with respect to beta, of shape (dim,)
        """
        raise self._missing_hook("normalize_backward")

    def _missing_hook(self, method):
        """The NotImplementedError a hook of the base class raises."""
        return NotImplementedError(
            f"{type(self).__name__}.{method} is not implemented: implement {method} in the "
            f"notebook's subclass of FullyConnectedNetBase (normalization={self.normalization!r})")

    def loss(self, X, y=None):
        """
        Compute loss and gradient for the fully connected net.

        Inputs:
        - X: Array of input data of shape (N, d_1, ..., d_k)
        - y: Array of labels, of shape (N,). y[i] gives the label for X[i].

        Returns:
        If y is None, then run a test-time forward pass of the model and return:
        - scores: Array of shape (N, C) giving classification scores, where
          scores[i, c] is the classification score for X[i] and class c.

        If y is not None, then run a training-time forward and backward pass and
        return a tuple of:
        - loss: Scalar value giving the loss
        - grads: Dictionary with the same keys as self.params, mapping parameter
          names to gradients of the loss with respect to those parameters.
        """
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

        h, caches = X, []
        for layer in range(1, self.num_layers):
            h, cache = self._hidden_forward(h, layer)
            caches.append(cache)
        last = self.num_layers
        scores, scores_cache = affine_forward(h, self.params[f"W{last}"], self.params[f"b{last}"])
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dh, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dscores, scores_cache)
        for layer in range(self.num_layers - 1, 0, -1):
            dh = self._hidden_backward(dh, caches[layer - 1], layer, grads)

        for layer in range(1, self.num_layers + 1):
            w = self.params[f"W{layer}"]
            loss += 0.5 * self.reg * np.sum(w * w)
            grads[f"W{layer}"] += self.reg * w
        return loss, grads

    def _hidden_forward(self, x, layer):
        """
        affine - [normalization] - relu - [dropout] of hidden layer `layer`.

        Inputs:
        - x: Input of the layer, of shape (N, d_1, ..., d_k)
        - layer: Index of the hidden layer, 1 to L - 1

        Returns a tuple of:
        - out: Output of the layer, of shape (N, dim)
        - cache: (affine, normalization, relu, dropout) caches; None for a step not taken
        """
        h, affine_cache = affine_forward(x, self.params[f"W{layer}"], self.params[f"b{layer}"])
        norm_cache = dropout_cache = None
        if self.normalization:
            h, norm_cache = self.normalize_forward(h, layer)
        h, relu_cache = relu_forward(h)
        if self.use_dropout:
            h, dropout_cache = dropout_forward(h, self.dropout_param)
        return h, (affine_cache, norm_cache, relu_cache, dropout_cache)

    def _hidden_backward(self, dout, cache, layer, grads):
        """
        Backward pass of hidden layer `layer`.

        Inputs:
        - dout: Upstream derivative, of shape (N, dim)
        - cache: The cache _hidden_forward returned
        - layer: Index of the hidden layer, 1 to L - 1
        - grads: Dictionary in which the gradients of the layer's parameters
          (W, b and, with normalization, gamma and beta) are stored

        Returns:
        - dx: Gradient with respect to the layer's input, shaped like it
        """
        affine_cache, norm_cache, relu_cache, dropout_cache = cache
        if self.use_dropout:
            dout = dropout_backward(dout, dropout_cache)
        dout = relu_backward(dout, relu_cache)
        if self.normalization:
            dout, grads[f"gamma{layer}"], grads[f"beta{layer}"] = \
                self.normalize_backward(dout, norm_cache, layer)
        dx, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(dout, affine_cache)
        return dx
