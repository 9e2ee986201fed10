"""The offline letters (synthetic_letters.py): format, orientation, determinism, pen-like strokes, and
the ink and size statistics of real EMNIST letters."""

import sys

import numpy as np
import pytest

import synthetic_letters
from conftest import REPO, SHARED_MNIST
from synthetic_letters import CACHE_NAME, make_synthetic_letters

sys.path.insert(0, str(REPO / "bench"))
import stroke_stats  # noqa: E402

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# bench/stroke_stats.py on the 10,000 MNIST test images: median stroke width (px) and mean ink (0..1).
MNIST_WIDTH, MNIST_INK = 2.53, 0.133
REAL = stroke_stats.REAL_LETTERS  # real EMNIST letters A-M


@pytest.fixture(scope="module")
def letters():
    """20 training images of every letter: enough for steady statistics, under a second to draw."""
    return make_synthetic_letters(LETTERS, 20, 2, seed=0)


def test_format(letters):
    x_train, y_train, x_test, y_test = letters
    assert x_train.shape == (520, 28, 28) and x_test.shape == (52, 28, 28)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    np.testing.assert_array_equal(y_train[:26], np.arange(26))  # interleaved class by class
    np.testing.assert_array_equal(np.bincount(y_train), [20] * 26)
    assert (x_train.max((1, 2)) == 255).all()  # scaled to 0..255
    assert x_train[:, [0, -1]].max() < 40 and x_train[:, :, [0, -1]].max() < 40  # a dark border
    assert CACHE_NAME.format(seed=0) == "hershey-letters-v3-seed0.npz"


def test_upright():
    """I (a bar, upper or lower case) stands tall: transposed, it would lie flat. F and P, upper and
    lower case, carry more ink in the top half (bars, bowl) than in the bottom (the bare stem):
    upside down, they would not."""
    x, y, _, _ = make_synthetic_letters("FIP", 100, 0, seed=1)
    bars = x[y == 1] > 127
    # rows with ink vs columns with ink (a barred I, strongly slanted, may be nearly as wide as tall)
    assert (bars.any(2).sum(1) > 1.2 * bars.any(1).sum(1)).mean() > 0.9
    top, bottom = x[y != 1, :14].astype(float).sum((1, 2)), x[y != 1, 14:].astype(float).sum((1, 2))
    assert (top > bottom).mean() > 0.9


def test_deterministic_and_per_letter():
    first = make_synthetic_letters("AEIOU", 4, 2, seed=3)
    for a, b in zip(first, make_synthetic_letters("AEIOU", 4, 2, seed=3)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], make_synthetic_letters("AEIOU", 4, 2, seed=4)[0])
    # A letter's images do not depend on the other letters asked for.
    alone = make_synthetic_letters("E", 4, 2, seed=3)
    np.testing.assert_array_equal(alone[0], first[0][first[1] == 1])
    np.testing.assert_array_equal(alone[2], first[2][first[3] == 1])


def test_parallel_drawing_is_the_serial_drawing(monkeypatch):
    serial = make_synthetic_letters("AE7", 3, 1, seed=5)
    monkeypatch.setattr(synthetic_letters, "_PARALLEL_FROM", 1)  # worker processes even for 12 images
    for a, b in zip(serial, make_synthetic_letters("AE7", 3, 1, seed=5)):
        np.testing.assert_array_equal(a, b)


def test_the_offline_set_is_what_it_was_before_make_hand():
    """make_hand's factoring (_field_params, _pens, _write's hand) left the offline set's random streams
    alone: each image's ink is what it was before (a moved stream changes some by far more than 0.5 %;
    another machine's rounding, far less)."""
    x_train, _, x_test, _ = make_synthetic_letters("AB", 3, 1, seed=0)
    ink = x_train.astype(float).sum((1, 2)).tolist() + x_test.astype(float).sum((1, 2)).tolist()
    assert ink == pytest.approx([38567, 43206, 31238, 44328, 37317, 34241, 43563, 33328], rel=0.005)


def test_a_fixed_hand_writes_each_letter_alike():
    """make_hand: one hand's letters differ from each other far less than two hands' do; another
    sample_seed gives other letters of the same hand, and the first n samples of more are the n."""
    x, y = synthetic_letters.make_hand("AGKR", 4, hand_seed=0, sample_seed=1)
    assert x.shape == (16, 28, 28) and x.dtype == np.uint8 and (x.max((1, 2)) == 255).all()
    np.testing.assert_array_equal(y, np.tile(np.arange(4), 4))
    same, _ = synthetic_letters.make_hand("AGKR", 4, hand_seed=0, sample_seed=2)
    other, _ = synthetic_letters.make_hand("AGKR", 4, hand_seed=1, sample_seed=2)
    distance = lambda a, b: np.abs(a.astype(float) - b.astype(float)).mean()
    assert 0 < distance(x, same) < 0.3 * distance(x, other)
    np.testing.assert_array_equal(
        synthetic_letters.make_hand("AGKR", 2, hand_seed=0, sample_seed=1)[0], x[:8]
    )
    # A letter's samples do not depend on the other letters asked for.
    np.testing.assert_array_equal(
        synthetic_letters.make_hand("G", 4, hand_seed=0, sample_seed=1)[0], x[y == 1]
    )


def test_rejects_bad_letters():
    for chars in ("", "Ab", "AA", "A-"):
        with pytest.raises(ValueError):
            make_synthetic_letters(chars, 1, 1)


def test_stroke_width_like_mnist(letters):
    width, _ = stroke_stats.stroke_stats(letters[0])
    assert abs(width / MNIST_WIDTH - 1) < 0.2, width


@pytest.fixture(scope="module")
def a_to_m():
    """40 images of each of A-M, the letters the real figures were measured on (about 2 s)."""
    x, y, _, _ = make_synthetic_letters(LETTERS[:13], 40, 0, seed=0)
    return stroke_stats.letter_stats(x, y)


def test_ink_like_real_letters(a_to_m):
    """Mean ink and its spread between images within 10 %; each letter of the table within 15 %
    (the thin I, J, F, L were 20-40 % too light before)."""
    assert abs(a_to_m["ink"] / REAL["ink"] - 1) < 0.1, a_to_m["ink"]
    assert abs(a_to_m["ink_std"] / REAL["ink_std"] - 1) < 0.1, a_to_m["ink_std"]
    for letter, ink in REAL["class_ink"].items():
        assert abs(a_to_m["class_ink"][letter] / ink - 1) < 0.15, (letter, a_to_m["class_ink"][letter])


def test_size_like_real_letters(a_to_m):
    """The ink's box: 22.1 px on average, not the same for every image (it was 22.9 +- 0.4 before)."""
    assert abs(a_to_m["box"] - REAL["box"]) < 0.5, a_to_m["box"]
    assert a_to_m["box_std"] > 0.6, a_to_m["box_std"]


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="no ../shared/data/mnist here")
def test_stroke_width_and_ink_like_real_mnist(letters):
    mnist = stroke_stats.mnist_test_images(SHARED_MNIST)
    assert mnist is not None and len(mnist) == 10000
    (mnist_width, mnist_ink), (width, _) = (
        stroke_stats.stroke_stats(mnist),
        stroke_stats.stroke_stats(letters[0]),
    )
    assert (
        abs(mnist_width / MNIST_WIDTH - 1) < 0.02 and abs(mnist_ink / MNIST_INK - 1) < 0.02
    )  # the constants above
    assert abs(width / mnist_width - 1) < 0.2


def test_stroke_width_measure():
    """A line k px wide reads about k (k even) or k + 1 (k odd), whatever its direction (a little
    less, for its square ends)."""
    for k in (2, 3, 4):
        image = np.zeros((28, 28), np.uint8)
        image[4:24, 10 : 10 + k] = 255
        assert stroke_stats.stroke_width(image) == pytest.approx(k + k % 2, rel=0.1)
        assert stroke_stats.stroke_width(image.T) == pytest.approx(k + k % 2, rel=0.1)


def test_mnist_frame_for_the_digits_proxy():
    """bench/digits_proxy.py frames the synthetic digits as MNIST's: the ink's box scaled to fit 20x20,
    its centre of mass at the centre, wherever the digit was."""
    from scipy import ndimage

    import digits_proxy

    image = np.zeros((28, 28), np.uint8)
    image[1:25, 2:6] = image[21:25, 2:20] = 255  # an L, off centre, its centre of mass low and left
    framed = digits_proxy.mnist_frame(image)
    rows, cols = np.nonzero(framed > 25)
    assert np.ptp(rows) + 1 == 20 and 14 <= np.ptp(cols) + 1 <= 16
    assert np.allclose(ndimage.center_of_mass(framed.astype(float)), 13.5, atol=0.5)
    # The same framing straight from the generator's drawing (--from-canvas).
    for digit in make_synthetic_letters("7", 3, 0, seed=0, frame=digits_proxy.mnist_frame)[0]:
        rows, cols = np.nonzero(digit > 25)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 == 20
        assert np.allclose(ndimage.center_of_mass(digit.astype(float)), 13.5, atol=0.5)


@pytest.mark.slow
def test_digits_proxy_compares_generators_over_seeds_against_one_real_model(tmp_path, capsys):
    """bench/digits_proxy.py --seeds 0 1 --module A --module B: per seed one real-trained model shared
    by both generators, and each generator's gap is the mean over seeds of its gap to that model.
    The "real" MNIST here is a tiny IDX set of the generator's own digits (no download, no ../shared)."""
    import json
    import shutil

    import digits_proxy
    from conftest import write_idx

    x_train, y_train, x_test, y_test = make_synthetic_letters(
        digits_proxy.DIGITS, 6, 2, seed=9, frame=digits_proxy.mnist_frame
    )
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    for name, array in [
        ("train-images-idx3-ubyte", x_train),
        ("train-labels-idx1-ubyte", y_train),
        ("t10k-images-idx3-ubyte", x_test),
        ("t10k-labels-idx1-ubyte", y_test),
    ]:
        write_idx(mnist / name, array)
    generators = [tmp_path / "generator_a.py", tmp_path / "generator_b.py"]
    for path in generators:
        shutil.copy(REPO / "synthetic_letters.py", path)
    digits_proxy.main(
        [
            "--mnist",
            str(mnist),
            "--train",
            "40",
            "--epochs",
            "1",
            "--seeds",
            "0",
            "1",
            "--arch",
            "dense",
            "--module",
            str(generators[0]),
            "--module",
            str(generators[1]),
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    results = json.loads((tmp_path / "r.json").read_text())
    assert sorted(results) == ["0", "1"]
    for seed in results.values():
        assert sorted(seed) == sorted(["dense real"] + [f"dense {path}" for path in generators])
    table = capsys.readouterr().out
    for path in generators:
        gaps = [
            seed[f"dense {path}"]["neg_elbo"] - seed["dense real"]["neg_elbo"] for seed in results.values()
        ]
        real = np.mean([seed["dense real"]["neg_elbo"] for seed in results.values()])
        row = next(
            line for line in table.splitlines() if line.startswith(f"| dense 2-D | {path} | {real:.2f} |")
        )
        assert f"| {np.mean(gaps):.2f} ± {np.std(gaps, ddof=1):.2f} (sd of 2) |" in row


def test_real_emnist_letters_are_read_upright(tmp_path):
    """stroke_stats --emnist: the official test files store each image transposed, labels 1..26."""
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    header = lambda kind, *dims: (
        (0x800 + kind).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    )
    (tmp_path / "emnist-letters-test-images-idx3-ubyte").write_bytes(
        header(3, 3, 28, 28) + images.transpose(0, 2, 1).tobytes()
    )
    (tmp_path / "emnist-letters-test-labels-idx1-ubyte").write_bytes(header(1, 3) + bytes([1, 5, 26]))
    x, y = stroke_stats.emnist_letters_test(tmp_path)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, [0, 4, 25])
