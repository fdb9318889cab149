"""data_utils on small files in CIFAR-10's exact format, a local HTTP server, and the shipped digits (offline)."""
import hashlib
import io
import pickle
import re
import socket
import tarfile

import numpy as np
import pytest

from data_utils import DatasetNotFound, get_CIFAR10_data, get_digits_data, load_dataset
from data_utils.digits import DIGITS_FILE
from data_utils.__main__ import main
from data_utils.cifar10 import load_CIFAR10, load_CIFAR_batch
from data_utils.download import CIFAR10_MD5, CIFAR10_URL, DownloadError, download_cifar10
from conftest import serving

BATCH_NAMES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
ROWS = 4  # images per fake batch: 20 training images, 4 test images
DOWNLOAD_COMMAND = "python -m data_utils download cifar10"


def batch_bytes(data, labels):
    """One batch as the official python version stores it: a protocol-2 pickle of a dict."""
    return pickle.dumps({"batch_label": "fake batch", "labels": list(labels), "data": data,
                         "filenames": [f"image_{i}.png" for i in range(len(labels))]}, protocol=2)


def fake_batches():
    """Batch name -> (data uint8 (ROWS, 3072), labels); the labels number the images 0, 1, ... across batches."""
    rng = np.random.default_rng(0)
    return {name: (rng.integers(0, 256, size=(ROWS, 3072), dtype=np.uint8), range(k * ROWS, (k + 1) * ROWS))
            for k, name in enumerate(BATCH_NAMES)}


def cifar_members():
    """Archive member name -> bytes: the fake batches in a cifar-10-batches-py folder."""
    return {f"cifar-10-batches-py/{name}": batch_bytes(*batch) for name, batch in fake_batches().items()}


def write_files(folder, members):
    """Write name -> bytes below folder; return folder."""
    for name, content in members.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder


def write_tar_gz(path, members):
    """Write a tar.gz at path holding name -> bytes members; return its md5."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def cifar_dir(tmp_path, monkeypatch):
    """Fake CIFAR-10 in tmp_path/cifar-10-batches-py, which $CIFAR10_DIR points to."""
    folder = write_files(tmp_path, cifar_members()) / "cifar-10-batches-py"
    monkeypatch.setenv("CIFAR10_DIR", str(folder))
    return folder


@pytest.fixture
def no_cifar(tmp_path, monkeypatch):
    """$CIFAR10_DIR pointing to an empty folder, and no $BN_SUITE_DATASET."""
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.setenv("CIFAR10_DIR", str(folder))
    monkeypatch.delenv("BN_SUITE_DATASET", raising=False)
    return folder


@pytest.fixture
def served_archive(tmp_path, monkeypatch):
    """(URL, md5) of a fake CIFAR-10 tar.gz served on an ephemeral port of 127.0.0.1, shut down afterwards."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    root = tmp_path / "www"
    root.mkdir()
    md5 = write_tar_gz(root / "cifar.tar.gz", cifar_members())
    with serving(root) as url:
        yield f"{url}cifar.tar.gz", md5


# CIFAR-10 loading

def test_batch_is_read_as_float_images_with_red_green_blue_planes_last(tmp_path):
    data = np.zeros((2, 3072), dtype=np.uint8)
    row, col = 2, 5
    data[1, 0 * 1024 + row * 32 + col] = 200  # red plane
    data[1, 1 * 1024 + row * 32 + col] = 100  # green plane
    data[1, 2 * 1024 + row * 32 + col] = 50   # blue plane
    (tmp_path / "batch").write_bytes(batch_bytes(data, [3, 7]))
    X, Y = load_CIFAR_batch(tmp_path / "batch")
    assert X.shape == (2, 32, 32, 3) and X.dtype == np.float64
    assert X[1, row, col].tolist() == [200, 100, 50] and X.sum() == 350
    assert Y.tolist() == [3, 7]


def test_a_file_that_is_not_a_batch_gives_a_clear_error(tmp_path):
    (tmp_path / "batch").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="is not a CIFAR-10 python batch"):
        load_CIFAR_batch(tmp_path / "batch")


def test_all_batches_load_in_order(cifar_dir):
    Xtr, Ytr, Xte, Yte = load_CIFAR10(cifar_dir)
    assert Xtr.shape == (5 * ROWS, 32, 32, 3) and Xte.shape == (ROWS, 32, 32, 3)
    assert Ytr.tolist() == list(range(5 * ROWS)) and Yte.tolist() == list(range(5 * ROWS, 6 * ROWS))


def test_splits_are_channels_first_with_validation_after_training(cifar_dir):
    data = get_CIFAR10_data(num_training=15, num_validation=3, num_test=2, subtract_mean=False)
    assert {key: value.shape for key, value in data.items()} == {
        "X_train": (15, 3, 32, 32), "y_train": (15,), "X_val": (3, 3, 32, 32), "y_val": (3,),
        "X_test": (2, 3, 32, 32), "y_test": (2,)}
    assert data["y_val"].tolist() == [15, 16, 17] and data["y_test"].tolist() == [20, 21]
    red_plane = fake_batches()["data_batch_1"][0][0, :1024].reshape(32, 32)
    assert np.array_equal(data["X_train"][0, 0], red_plane)
    assert all(data[key].flags.c_contiguous for key in ("X_train", "X_val", "X_test"))


def test_mean_training_image_is_subtracted_from_every_split(cifar_dir):
    raw = get_CIFAR10_data(num_training=15, num_validation=3, num_test=2, subtract_mean=False)
    centered = get_CIFAR10_data(num_training=15, num_validation=3, num_test=2)
    mean_image = raw["X_train"].mean(axis=0)
    assert np.allclose(centered["X_train"].mean(axis=0), 0)
    for key in ("X_train", "X_val", "X_test"):
        assert np.allclose(centered[key], raw[key] - mean_image)


@pytest.mark.parametrize("sizes, numbers", [
    ((18, 3, 4), "training batches: num_training=18 + num_validation=3 asks for 21, there are 20"),
    ((15, 5, 5), "test batch: num_test=5 asks for 5, there are 4"),
])
def test_asking_for_more_images_than_exist_says_how_many(cifar_dir, sizes, numbers):
    with pytest.raises(ValueError, match=re.escape(numbers)):
        get_CIFAR10_data(*sizes)


def test_missing_folder_error_names_it_and_the_download_command(no_cifar):
    folder = no_cifar / "cifar-10-batches-py"
    with pytest.raises(DatasetNotFound) as error:
        get_CIFAR10_data(cifar10_dir=folder)
    assert isinstance(error.value, FileNotFoundError)
    assert f"no folder {folder}" in str(error.value)
    assert f"{DOWNLOAD_COMMAND} --dir {no_cifar}" in str(error.value)


def test_incomplete_folder_error_names_the_missing_batch(cifar_dir):
    (cifar_dir / "test_batch").unlink()
    with pytest.raises(DatasetNotFound, match=f"incomplete in {cifar_dir}: missing test_batch"):
        get_CIFAR10_data()


def test_default_folder_is_in_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(DatasetNotFound, match=str(tmp_path / ".cache/batchnorm-suite/cifar-10-batches-py")):
        get_CIFAR10_data()


# The download command

def test_download_verifies_and_unpacks(tmp_path, served_archive):
    url, md5 = served_archive
    dest = tmp_path / "dest"
    folder = download_cifar10(dest, url=url, md5=md5)
    assert folder == dest / "cifar-10-batches-py"
    assert [p.name for p in dest.iterdir()] == ["cifar-10-batches-py"], "the temporary download must be gone"
    assert load_CIFAR10(folder)[1].tolist() == list(range(5 * ROWS))


def test_wrong_checksum_is_reported_and_leaves_no_files(tmp_path, served_archive):
    url, md5 = served_archive
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match=f"expected md5 {'0' * 32}, got {md5}"):
        download_cifar10(dest, url=url, md5="0" * 32)
    assert list(dest.iterdir()) == []


def test_complete_folder_is_not_downloaded_again(cifar_dir, capsys):
    assert download_cifar10(cifar_dir.parent, url="http://127.0.0.1:1/unused") == cifar_dir
    assert "already in" in capsys.readouterr().out


def test_archive_copied_by_hand_is_verified_and_unpacked(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    md5 = write_tar_gz(archive, cifar_members())
    folder = download_cifar10(tmp_path / "dest", archive=archive, md5=md5)
    assert load_CIFAR10(folder)[3].tolist() == list(range(5 * ROWS, 6 * ROWS))
    assert archive.is_file(), "the user's copy is kept"


def test_cli_archive_with_wrong_checksum_exits_1_and_keeps_the_copy(tmp_path, capsys):
    archive = tmp_path / "cifar-10-python.tar.gz"
    md5 = write_tar_gz(archive, cifar_members())
    assert main(["download", "cifar10", "--dir", str(tmp_path / "dest"), "--archive", str(archive)]) == 1
    err = capsys.readouterr().err
    assert f"expected md5 {CIFAR10_MD5}, got {md5}" in err and "Traceback" not in err
    assert archive.is_file()


def test_unreachable_url_exits_1_with_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/cifar-10-python.tar.gz"
    assert main(["download", "cifar10", "--dir", str(tmp_path / "dest"), "--url", url]) == 1
    err = capsys.readouterr().err
    assert f"could not reach {url}" in err and "on a machine that has it" in err
    assert f"{DOWNLOAD_COMMAND} --archive PATH" in err and "Traceback" not in err
    assert list((tmp_path / "dest").iterdir()) == []


@pytest.mark.parametrize("evil", ["../evil", "cifar-10-batches-py/../../evil", "/tmp/evil-absolute"])
def test_member_escaping_the_destination_is_rejected(tmp_path, evil):
    archive = tmp_path / "evil.tar.gz"
    md5 = write_tar_gz(archive, {**cifar_members(), evil: b"gotcha"})
    dest = tmp_path / "a" / "dest"
    with pytest.raises(DownloadError, match=f"member '{evil}'"):
        download_cifar10(dest, archive=archive, md5=md5)
    assert list(dest.iterdir()) == [] and not (tmp_path / "a" / "evil").exists()


def test_help_documents_url_checksum_and_options(capsys):
    with pytest.raises(SystemExit) as done:
        main(["download", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for text in (CIFAR10_URL, CIFAR10_MD5, "--dir", "--archive", "--url", "CIFAR10_DIR"):
        assert text in out


# The digits fallback

def test_the_shipped_digits_are_scikit_learns():
    from sklearn.datasets import load_digits  # the oracle: where the shipped file came from
    digits = load_digits()
    with np.load(DIGITS_FILE) as shipped:
        assert np.array_equal(shipped["images"], digits.images) and np.array_equal(shipped["labels"], digits.target)
    data = get_digits_data(num_training=1797, num_validation=0, num_test=0, subtract_mean=False, seed=5)
    order = np.random.default_rng(5).permutation(1797)
    assert np.array_equal(data["X_train"][:, 0] * 16, digits.images[order])
    assert np.array_equal(data["y_train"], digits.target[order])


def test_digits_are_single_channel_8x8_in_three_splits():
    data = get_digits_data(subtract_mean=False)
    assert {key: value.shape for key, value in data.items()} == {
        "X_train": (1197, 1, 8, 8), "y_train": (1197,), "X_val": (300, 1, 8, 8), "y_val": (300,),
        "X_test": (300, 1, 8, 8), "y_test": (300,)}
    pixels = np.concatenate([data[key].ravel() for key in ("X_train", "X_val", "X_test")])
    assert pixels.min() == 0 and pixels.max() == 1
    assert set(data["y_train"].tolist()) == set(range(10))


def test_digits_mean_is_subtracted_after_scaling():
    raw = get_digits_data(num_training=100, num_validation=20, num_test=20, subtract_mean=False)
    centered = get_digits_data(num_training=100, num_validation=20, num_test=20)
    assert np.allclose(centered["X_val"], raw["X_val"] - raw["X_train"].mean(axis=0))


def test_digits_split_depends_only_on_the_seed():
    first, again, other = (get_digits_data(num_training=50, num_validation=10, num_test=10, seed=seed)
                           for seed in (1, 1, 2))
    assert all(np.array_equal(first[key], again[key]) for key in first)
    assert not np.array_equal(first["X_train"], other["X_train"])


def test_too_many_digits_raise_with_the_numbers():
    with pytest.raises(ValueError, match="num_training=1500 .* asks for 2100, there are 1797"):
        get_digits_data(num_training=1500)


# load_dataset

def test_forced_names_load_that_dataset_with_the_sizes_given(cifar_dir):
    data, name = load_dataset("cifar10", num_training=10, num_validation=2, num_test=3)
    assert name == "cifar10" and data["X_train"].shape == (10, 3, 32, 32) and data["X_test"].shape == (3, 3, 32, 32)
    data, name = load_dataset("digits", num_training=10, num_validation=2, num_test=3, subtract_mean=False)
    assert name == "digits" and data["X_val"].shape == (2, 1, 8, 8) and data["X_train"].min() == 0


def test_unknown_names_and_options_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="unknown dataset 'mnist' in the name given .*cifar10, digits"):
        load_dataset("mnist")
    monkeypatch.setenv("BN_SUITE_DATASET", "svhn")
    with pytest.raises(ValueError, match=r"'svhn' in \$BN_SUITE_DATASET"):
        load_dataset()
    with pytest.raises(TypeError, match="does not take seed"):
        load_dataset("digits", seed=3)


def test_environment_variable_chooses_the_dataset(no_cifar, monkeypatch, capsys):
    monkeypatch.setenv("BN_SUITE_DATASET", "digits")
    assert load_dataset(num_training=10, num_validation=2, num_test=3)[1] == "digits"
    assert capsys.readouterr().out == ""


def test_cifar10_is_the_default_when_present(cifar_dir, monkeypatch, capsys):
    monkeypatch.delenv("BN_SUITE_DATASET", raising=False)
    assert load_dataset(num_training=10, num_validation=2, num_test=3)[1] == "cifar10"
    assert capsys.readouterr().out == ""


def test_fallback_to_digits_says_why_and_how_to_get_cifar10(no_cifar, capsys):
    data, name = load_dataset(num_training=10, num_validation=2, num_test=3)
    assert name == "digits" and data["X_train"].shape == (10, 1, 8, 8)
    out = capsys.readouterr().out
    assert "using the digits dataset" in out and f"CIFAR-10 not found at {no_cifar}" in out
    assert DOWNLOAD_COMMAND in out
