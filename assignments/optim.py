"""First-order update rules, with cs231n's contract.

Each rule has the signature

    def update(w, dw, config=None):

Inputs:
- w: Array giving the current weights
- dw: Array of the same shape as w, the gradient of the loss with respect to w
- config: Dictionary of hyperparameters such as the learning rate, plus the
  state the rule keeps between calls (moving averages, step count). When None,
  a new dictionary is made. Missing hyperparameters are set to their defaults,
  and the dictionary is updated in place with the new state.

Returns a tuple of:
- next_w: The weights after the update, a new array (w is not modified)
- config: The config dictionary, to pass to the next call of the rule

``__all__`` lists the rules; ``Solver`` accepts their names as ``update_rule``.
"""
import numpy as np

__all__ = ["sgd", "sgd_momentum", "rmsprop", "adam"]


def _with_defaults(config, **defaults):
    """config (a new dictionary when None) after setdefault of every key of defaults."""
    config = {} if config is None else config
    for key, value in defaults.items():
        config.setdefault(key, value)
    return config


def sgd(w, dw, config=None):
    """
    Vanilla stochastic gradient descent.

    config format:
    - learning_rate: Scalar learning rate (default 1e-2)
    """
    config = _with_defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    """
    Stochastic gradient descent with momentum.

    config format:
    - learning_rate: Scalar learning rate (default 1e-2)
    - momentum: Scalar between 0 and 1 giving the momentum value (default 0.9);
      momentum = 0 reduces to sgd
    - velocity: Array of the same shape as w, a moving average of the
      gradients (state; starts at zeros)
    """
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9, velocity=np.zeros_like(w))
    config["velocity"] = config["momentum"] * config["velocity"] - config["learning_rate"] * dw
    return w + config["velocity"], config


def rmsprop(w, dw, config=None):
    """
    RMSProp: a per-parameter learning rate scaled by a moving average of the
    squared gradients.

    config format:
    - learning_rate: Scalar learning rate (default 1e-2)
    - decay_rate: Scalar between 0 and 1 giving the decay rate of the squared
      gradient cache (default 0.99)
    - epsilon: Small scalar used for smoothing to avoid dividing by zero (default 1e-8)
    - cache: Moving average of the second moments of the gradients (state; starts at zeros)
    """
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8,
                            cache=np.zeros_like(w))
    decay = config["decay_rate"]
    config["cache"] = decay * config["cache"] + (1 - decay) * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config


def adam(w, dw, config=None):
    """
    Adam: moving averages of the gradient and of its square, bias-corrected.

    config format:
    - learning_rate: Scalar learning rate (default 1e-3)
    - beta1: Decay rate of the moving average of the first moment (default 0.9)
    - beta2: Decay rate of the moving average of the second moment (default 0.999)
    - epsilon: Small scalar used for smoothing to avoid dividing by zero (default 1e-8)
    - m: Moving average of the gradient (state; starts at zeros)
    - v: Moving average of the squared gradient (state; starts at zeros)
    - t: Iteration number (state; starts at 0 and is incremented before it is used)
    """
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8,
                            m=np.zeros_like(w), v=np.zeros_like(w), t=0)
    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * dw ** 2
    m_hat = config["m"] / (1 - beta1 ** config["t"])
    v_hat = config["v"] / (1 - beta2 ** config["t"])
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config
