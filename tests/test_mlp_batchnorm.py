"""The mlp_batchnorm assignment: its solution against PyTorch's autograd, and the MNIST loader."""
import gzip
import hashlib
import types

import nbformat
import numpy as np
import pytest
import torch

from autograder.course import REPO_ROOT
from data_utils import get_MNIST_data, load_mnist_or_digits
from data_utils.__main__ import main
from data_utils.mnist import FILES, read_idx
from data_utils.mnist_download import download_mnist
from assignments.notebook_cells import CellRunner, student_code_cells
from conftest import serving

ASSIGNMENT = "mlp_batchnorm"
NOTEBOOK = REPO_ROOT / "source" / ASSIGNMENT / "MLPBatchNorm.ipynb"
EPS = 1e-8


@pytest.fixture(scope="module")
def solution():
    """The namespace of the source notebook's setup and solution cells, run in order (markers are comments)."""
    namespace = {}
    runner = CellRunner(namespace, NOTEBOOK.name)
    for index, cell in enumerate(student_code_cells(nbformat.read(NOTEBOOK, as_version=4).cells)):
        assert runner.run(cell.source, index) is None
    return types.SimpleNamespace(**namespace)


def autograd(f, *arrays):
    """(f(*tensors) as an array, [d sum(f) / d array for each array]) by PyTorch, in float64."""
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = f(*tensors)
    out.sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


def close(actual, expected, rtol=1e-9, atol=1e-12):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# --- the solution against autograd ---

@pytest.mark.parametrize("name, torch_fn", [("Sigmoid", torch.sigmoid), ("Tanh", torch.tanh), ("ReLU", torch.relu),
                                            ("Identity", lambda t: t)])
def test_activations_match_autograd_and_keep_dtype(solution, name, torch_fn):
    z = np.random.default_rng(0).uniform(-5, 5, size=(3, 4, 2))
    activation = getattr(solution, name)()
    out, (derivative,) = autograd(torch_fn, z)
    close(activation(z), out)
    close(activation.state, out)
    close(activation.derivative(), derivative)
    z32 = z.astype(np.float32)
    assert activation(z32).dtype == np.float32 and activation.derivative().dtype == np.float32


def test_cross_entropy_matches_torch_and_survives_large_logits(solution):
    rng = np.random.default_rng(1)
    for scale in (1.0, 1000.0):
        x, labels = scale * rng.standard_normal((6, 5)), rng.integers(5, size=6)
        y = np.eye(5)[labels]
        criterion = solution.SoftmaxCrossEntropy()
        loss = criterion(x, y)
        expected, (grad,) = autograd(
            lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(labels), reduction="none"), x)
        assert loss.shape == (6,) and np.all(np.isfinite(loss))
        close(loss, expected)
        close(criterion.derivative(), grad)  # per example: the gradient of the summed losses


def test_linear_averages_parameter_gradients_over_the_batch(solution):
    rng = np.random.default_rng(2)
    W, b, x, delta = (rng.standard_normal(shape) for shape in ((4, 3), (3,), (7, 4), (7, 3)))
    layer = solution.Linear(4, 3, lambda d0, d1: W.copy(), lambda d: b.copy())
    out = layer(x)
    dx = layer.backward(delta)
    # L = mean over examples of out_i . delta_i: dW and db are its gradients, dx those of the sum
    expected, (dx_t, dW_t, db_t) = autograd(lambda x_, W_, b_: (x_ @ W_ + b_) * torch.tensor(delta), x, W, b)
    close(out * delta, expected)
    close(dx, dx_t)
    close(layer.dW, dW_t / 7)
    close(layer.db, db_t[np.newaxis] / 7)
    assert layer.b.shape == layer.db.shape == (1, 3)


def torch_batchnorm(x, gamma, beta):
    return torch.nn.functional.batch_norm(x, None, None, gamma[0], beta[0], training=True, eps=EPS)


def test_batchnorm_matches_torch_in_training_and_evaluation(solution):
    rng = np.random.default_rng(3)
    x, gamma, beta, delta = (rng.standard_normal(shape) for shape in ((9, 4), (1, 4), (1, 4), (9, 4)))
    x = 3 * x + 2
    bn = solution.BatchNorm(4)
    bn.gamma, bn.beta = gamma, beta
    out = bn(x)
    expected, (dx, dgamma, dbeta) = autograd(lambda *t: torch_batchnorm(*t) * torch.tensor(delta), x, gamma, beta)
    close(out * delta, expected)
    close(bn.backward(delta), dx)
    close(bn.dgamma, dgamma / 9)
    close(bn.dbeta, dbeta / 9)
    # running statistics from mean 0, variance 1, with the biased batch variance (alpha = 0.9)
    close(bn.running_mean, 0.1 * x.mean(axis=0, keepdims=True))
    close(bn.running_var, 0.9 + 0.1 * x.var(axis=0, keepdims=True))
    before = (bn.running_mean.copy(), bn.running_var.copy())
    close(bn(x, eval=True), gamma * (x - before[0]) / np.sqrt(before[1] + EPS) + beta)
    close(bn.running_mean, before[0])
    close(bn.running_var, before[1])


def reference_network(rng, sizes, num_bn):
    """Drawn parameters (weights, biases, gammas, betas) of a network with batch norm after num_bn layers."""
    weights = [0.7 * rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal((1, b)) for b in sizes[1:]]
    gammas = [rng.standard_normal((1, d)) for d in sizes[1:num_bn + 1]]
    betas = [rng.standard_normal((1, d)) for d in sizes[1:num_bn + 1]]
    return weights, biases, gammas, betas


ACTIVATIONS = ("Sigmoid", "Tanh", "ReLU", "Identity")
TORCH_ACTIVATIONS = {"Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "ReLU": torch.relu, "Identity": lambda t: t}


def torch_mean_loss(x, labels, num_bn, *params):
    """The mean loss of the network in PyTorch: params are the tensors W..., b..., gamma..., beta..."""
    n = len(ACTIVATIONS)
    weights, biases, gammas, betas = params[:n], params[n:2 * n], params[2 * n:2 * n + num_bn], params[2 * n + num_bn:]
    h = torch.tensor(x)
    for i, name in enumerate(ACTIVATIONS):
        h = h @ weights[i] + biases[i]
        if i < num_bn:
            h = torch_batchnorm(h, gammas[i], betas[i])
        h = TORCH_ACTIVATIONS[name](h)
    return torch.nn.functional.cross_entropy(h, torch.tensor(labels))


@pytest.mark.parametrize("num_bn", [0, 2])
def test_mlp_gives_autograd_gradients(solution, num_bn):
    rng = np.random.default_rng(4 + num_bn)
    sizes = (5, 6, 4, 5, 3)
    weights, biases, gammas, betas = reference_network(rng, sizes, num_bn)
    x, labels = rng.standard_normal((8, 5)), rng.integers(3, size=8)
    tensors = [torch.tensor(p, requires_grad=True) for p in (*weights, *biases, *gammas, *betas)]
    loss = torch_mean_loss(x, labels, num_bn, *tensors)
    loss.backward()
    expected = [t.grad.numpy() for t in tensors]

    mlp = solution.MLP(5, 3, list(sizes[1:-1]), [getattr(solution, name)() for name in ACTIVATIONS],
                       np.random.randn, np.zeros, solution.SoftmaxCrossEntropy(), lr=0.1, num_bn_layers=num_bn)
    for layer, W, b in zip(mlp.linear_layers, weights, biases):
        layer.W, layer.b = W.copy(), b.copy()
    for bn, gamma, beta in zip(mlp.bn_layers, gammas, betas):
        bn.gamma, bn.beta = gamma.copy(), beta.copy()
    mlp.forward(x)
    close(mlp.backward(np.eye(3)[labels]), loss.item())
    got = ([layer.dW for layer in mlp.linear_layers] + [layer.db for layer in mlp.linear_layers]
           + [bn.dgamma for bn in mlp.bn_layers] + [bn.dbeta for bn in mlp.bn_layers])
    for mine, right in zip(got, expected):
        close(mine, right, atol=1e-10)


def test_step_is_torch_sgd_with_momentum(solution):
    rng = np.random.default_rng(6)
    mlp = solution.MLP(3, 2, [4], [solution.Tanh(), solution.Identity()], np.random.randn, np.zeros,
                       solution.SoftmaxCrossEntropy(), lr=0.3, momentum=0.8, num_bn_layers=1)
    params = [torch.tensor(value.copy(), requires_grad=True) for value in
              (mlp.linear_layers[0].W, mlp.linear_layers[1].W, mlp.bn_layers[0].gamma)]
    optimizer = torch.optim.SGD(params, lr=0.3, momentum=0.8)
    for _ in range(3):
        mlp.zero_grads()
        mlp.forward(rng.standard_normal((5, 3)))
        mlp.backward(np.eye(2)[rng.integers(2, size=5)])
        for param, grad in zip(params, (mlp.linear_layers[0].dW, mlp.linear_layers[1].dW, mlp.bn_layers[0].dgamma)):
            param.grad = torch.tensor(grad)
        optimizer.step()
        mlp.step()
    for param, value in zip(params, (mlp.linear_layers[0].W, mlp.linear_layers[1].W, mlp.bn_layers[0].gamma)):
        close(value, param.detach().numpy())


def test_training_stats_shuffle_and_learn(solution):
    np.random.seed(7)  # the initial weights and the shuffles
    rng = np.random.default_rng(7)
    centers = 3 * rng.standard_normal((3, 4))
    def blobs(n):
        y = rng.integers(3, size=n)
        return centers[y] + rng.standard_normal((n, 4)), y
    mlp = solution.MLP(4, 3, [8], [solution.Sigmoid(), solution.Identity()], lambda a, b: 0.5 * np.random.randn(a, b),
                       np.zeros, solution.SoftmaxCrossEntropy(), lr=0.2, momentum=0.5, num_bn_layers=1)
    stats = solution.get_training_stats(mlp, (blobs(60), blobs(30), blobs(10)), nepochs=10, batch_size=7)
    assert [np.shape(s) for s in stats] == [(10,)] * 4
    assert stats[0][-1] < stats[0][0] / 2 and stats[3][-1] < 0.2


# --- MNIST ---

def idx_bytes(array):
    """An array in the idx format: magic (type code, ndim), big-endian sizes, big-endian values."""
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C, np.dtype(np.float64): 0x0E}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def fake_mnist():
    """File name -> array: 30 training and 12 test images of 28 x 28 whose labels number them modulo 10."""
    rng = np.random.default_rng(0)
    return {FILES["train_images"]: rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8),
            FILES["train_labels"]: (np.arange(30) % 10).astype(np.uint8),
            FILES["test_images"]: rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8),
            FILES["test_labels"]: (np.arange(12) % 10).astype(np.uint8)}


def write_mnist(folder, gzipped=("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte")):
    """Write the fake files into folder, some gzipped (name.gz) and the others plain; return folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in fake_mnist().items():
        content = idx_bytes(array)
        if name in gzipped:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return folder


def test_idx_files_read_gzipped_or_not_with_their_dtype(tmp_path):
    values = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    (tmp_path / "plain").write_bytes(idx_bytes(values))
    (tmp_path / "packed").write_bytes(gzip.compress(idx_bytes(values.astype(np.float64))))
    plain, packed = read_idx(tmp_path / "plain"), read_idx(tmp_path / "packed")
    assert plain.dtype == np.int32 and np.array_equal(plain, values)
    assert packed.dtype == np.float64 and np.array_equal(packed, values)
    (tmp_path / "short").write_bytes(idx_bytes(values)[:-4])
    with pytest.raises(ValueError, match="header announces"):
        read_idx(tmp_path / "short")
    (tmp_path / "text").write_bytes(b"not an idx file")
    with pytest.raises(ValueError, match="not an idx file"):
        read_idx(tmp_path / "text")


def test_mnist_splits_scaled_channels_first(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(write_mnist(tmp_path / "mnist")))
    raw = get_MNIST_data(num_training=20, num_validation=10, num_test=5, subtract_mean=False)
    assert {key: value.shape for key, value in raw.items()} == {
        "X_train": (20, 1, 28, 28), "y_train": (20,), "X_val": (10, 1, 28, 28), "y_val": (10,),
        "X_test": (5, 1, 28, 28), "y_test": (5,)}
    assert raw["y_val"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] and raw["y_test"].tolist() == [0, 1, 2, 3, 4]
    assert np.array_equal(raw["X_train"][3, 0] * 255, fake_mnist()[FILES["train_images"]][3])
    centered = get_MNIST_data(num_training=20, num_validation=10, num_test=5)
    assert np.allclose(centered["X_train"].mean(axis=0), 0)
    with pytest.raises(ValueError, match="asks for 31, there are 30"):
        get_MNIST_data(num_training=21, num_validation=10, num_test=5)


def test_mnist_when_present_else_the_digits_with_a_notice(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "nothing"))
    data, name = load_mnist_or_digits(num_training=10, num_validation=5, num_test=5)
    out = capsys.readouterr().out
    assert name == "digits" and data["X_train"].shape == (10, 1, 8, 8)
    assert f"MNIST not found at {tmp_path / 'nothing'}" in out and "python -m data_utils download mnist" in out
    write_mnist(tmp_path / "nothing")
    data, name = load_mnist_or_digits(num_training=10, num_validation=5, num_test=5)
    assert name == "mnist" and data["X_train"].shape == (10, 1, 28, 28) and capsys.readouterr().out == ""


@pytest.fixture
def served_mnist(tmp_path, monkeypatch):
    """(base URL, md5 dict) of the fake MNIST files, gzipped, served on an ephemeral port of 127.0.0.1."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    root = tmp_path / "www"
    root.mkdir()
    md5 = {}
    for name, array in fake_mnist().items():
        (root / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
        md5[name] = hashlib.md5((root / f"{name}.gz").read_bytes()).hexdigest()
    with serving(root) as url:
        yield url, md5


def test_download_checks_each_file_and_keeps_what_is_there(tmp_path, served_mnist, capsys):
    url, md5 = served_mnist
    dest = write_mnist(tmp_path / "dest", gzipped=())
    (dest / FILES["test_images"]).unlink()
    assert download_mnist(dest, url=url, md5=md5) == dest
    assert sorted(p.name for p in dest.iterdir()) == sorted([*(set(FILES.values()) - {FILES["test_images"]}),
                                                            f"{FILES['test_images']}.gz"])
    assert get_MNIST_data(num_training=20, num_validation=10, num_test=12, mnist_dir=dest)["y_test"].shape == (12,)
    download_mnist(dest, url="http://127.0.0.1:1/", md5=md5)
    assert "already in" in capsys.readouterr().out


def test_download_with_a_wrong_checksum_leaves_no_file(tmp_path, served_mnist):
    url, md5 = served_mnist
    with pytest.raises(Exception, match="wrong checksum for train-images-idx3-ubyte.gz"):
        download_mnist(tmp_path / "dest", url=url, md5={**md5, FILES["train_images"]: "0" * 32})
    assert list((tmp_path / "dest").iterdir()) == []


def test_cli_downloads_mnist_and_refuses_an_archive(tmp_path, served_mnist, capsys):
    url, _ = served_mnist
    assert main(["download", "mnist", "--dir", str(tmp_path / "dest"), "--url", url]) == 1  # the real md5s
    assert "wrong checksum" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["download", "mnist", "--archive", str(tmp_path / "x.tar.gz")])
    assert "--archive is for cifar10" in capsys.readouterr().err
