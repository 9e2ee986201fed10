"""--images DIR: your own images, one subfolder per class (scan_image_folder, load_image_folder),
on small images drawn with Pillow in every format, size, colour mode and polarity."""

import re

import numpy as np
import pytest
from PIL import Image, ImageDraw

import loaders
import writing
from files import UserError

VOWELS, DIGITS = "AEIOU", "0123456789"


def draw(shape="L", size=(48, 48), dark=True, step=0):
    """A thick-stroked letter in a square in the middle of a size = (width, height) canvas, as
    uint8 grey: dark ink on light paper, or light on dark. step changes the shape a little."""
    width, height = size
    ink, paper = (20, 235) if dark else (235, 20)
    image = Image.new("L", size, paper)
    pen = ImageDraw.Draw(image)
    side = 0.7 * min(width, height)
    x0, y0 = (width - side) / 2, (height - side) / 2
    stroke = max(3, round(side / 7))
    if shape == "L":  # the foot grows with step
        pen.line(
            [(x0, y0), (x0, y0 + side), (x0 + side * (0.4 + 0.1 * step), y0 + side)], fill=ink, width=stroke
        )
    elif shape == "T":  # the bar shrinks with step
        pen.line([(x0 + 0.08 * side * step, y0), (x0 + side, y0)], fill=ink, width=stroke)
        pen.line([(x0 + side / 2, y0), (x0 + side / 2, y0 + side)], fill=ink, width=stroke)
    else:  # a bar, slanting more with step
        pen.line(
            [(x0 + side / 2, y0), (x0 + side / 2 + 0.08 * side * step, y0 + side)], fill=ink, width=stroke
        )
    return np.asarray(image)


def save(path, grey, mode="L", dark=True):
    """Write the grey drawing in a colour mode; the format follows the file's suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "I;16":
        image = Image.fromarray(grey.astype(np.uint16) * 257)
    elif mode == "RGB":  # blue ink on cream paper (or cream on blue)
        ink = grey < 128 if dark else grey > 128
        rgb = (
            np.where(ink[..., None], [30, 40, 120], [240, 230, 200])
            if dark
            else np.where(ink[..., None], [240, 230, 200], [30, 40, 120])
        )
        image = Image.fromarray(rgb.astype(np.uint8))
    elif mode == "RGBA":  # the strokes alone, on a transparent background
        ink = grey < 128 if dark else grey > 128
        rgba = np.zeros(grey.shape + (4,), np.uint8)
        rgba[..., :3] = 0 if dark else 255
        rgba[..., 3] = np.where(ink, 255, 0)
        image = Image.fromarray(rgba)
    else:
        image = Image.fromarray(grey).convert(mode)
    assert image.mode == mode
    image.save(path)
    return path


def make_folder(root, counts, shapes="LTI"):
    """root/<name>/<i>.png: counts[name] images per subfolder, the n-th class drawn as the
    n-th of `shapes` (again from the first when there are more classes)."""
    for index, (name, count) in enumerate(counts.items()):
        for step in range(count):
            save(root / name / f"{step:02d}.png", draw(shapes[index % len(shapes)], step=step % 5))
    return root


def load(folder, alphabet=VOWELS, **options):
    return loaders.load_image_folder(folder, alphabet, **options)


def every_image(data):
    return np.concatenate([data.x_train, data.x_test]), np.concatenate([data.y_train, data.y_test])


@pytest.fixture
def count_preparations(monkeypatch):
    """How many images writing.prepare_style_image has prepared since the test began."""
    calls = []
    prepare = writing.prepare_style_image
    monkeypatch.setattr(
        writing,
        "prepare_style_image",
        lambda path, framing=None: calls.append(path) or prepare(path, framing),
    )
    return calls


# ----------------------------------------------------------------------------
# Any image a user has loads the same way

VARIANTS = [  # (file name, colour mode, (width, height), dark ink on light paper?)
    ("a.png", "L", (40, 30), True),
    ("b.png", "L", (40, 30), False),
    ("c.png", "RGB", (300, 500), True),
    ("d.png", "RGBA", (60, 80), True),
    ("e.png", "RGBA", (60, 80), False),
    ("f.png", "P", (50, 50), False),
    ("g.png", "I;16", (64, 48), True),
    ("h.jpg", "L", (300, 500), True),
    ("i.JPEG", "RGB", (120, 90), False),
    ("j.bmp", "RGB", (40, 30), False),
    ("k.BMP", "L", (300, 500), True),
    ("l.gif", "P", (50, 70), True),
    ("m.tif", "L", (90, 60), False),
    ("n.tiff", "RGBA", (300, 500), True),
    ("o.TIF", "I;16", (40, 30), False),
]


@pytest.mark.parametrize("name, mode, size, dark", VARIANTS, ids=[variant[0] for variant in VARIANTS])
def test_every_format_size_mode_and_polarity_loads_alike(tmp_path, name, mode, size, dark):
    """Class A: the variant and a reference "L" (dark on light, PNG, 200x200); class E: bars.
    Each class puts one image in training and one in the test set, so they can be compared."""
    save(tmp_path / "A" / name, draw("L", size, dark), mode, dark)
    save(tmp_path / "A" / "reference.png", draw("L", (200, 200)))
    make_folder(tmp_path, {"E": 2}, shapes="I")
    data = load(tmp_path)
    for x in (data.x_train, data.x_test):
        assert x.shape == (2, 28, 28, 1) and x.dtype == np.float32
        assert x.min() >= 0 and x.max() == pytest.approx(1)
    x, y = every_image(data)
    variant, reference = x[y == 0][:, :, :, 0]
    assert np.abs(variant - reference).mean() < 0.05, name
    assert np.corrcoef(variant.ravel(), reference.ravel())[0, 1] > 0.9, name
    bar = x[y == 1][0, :, :, 0]  # and a different letter is not alike
    assert np.abs(bar - reference).mean() > 0.1


def test_dark_on_light_and_light_on_dark_give_the_same_image(tmp_path):
    for dark in (True, False):
        save(tmp_path / "A" / f"{'dark' if dark else 'light'}.jpg", draw("T", (120, 160), dark), "RGB", dark)
    make_folder(tmp_path, {"E": 2})
    x, y = every_image(load(tmp_path))
    dark, light = x[y == 0]
    assert np.abs(dark - light).max() < 0.15 and np.abs(dark - light).mean() < 0.02
    assert dark[:5].mean() > 2 * dark[-10:].mean()  # upright: the T's bar at the top, white on black
    assert dark[0].max() < 0.05 and dark[:, 0].max() < 0.05  # the EMNIST margin is black


# ----------------------------------------------------------------------------
# Finding the classes


def test_scan_lists_the_classes_in_alphabet_order_merging_cases(tmp_path):
    make_folder(tmp_path, {"o": 2, "E": 3, "a": 2, "A": 3})
    (tmp_path / "a" / "02.png").write_bytes((tmp_path / "A" / "00.png").read_bytes())
    scanned = loaders.scan_image_folder(tmp_path, VOWELS)
    assert list(scanned.classes) == ["A", "E", "O"]
    assert scanned.classes["A"] == sorted(
        [tmp_path / "A" / f"0{i}.png" for i in range(3)] + [tmp_path / "a" / f"0{i}.png" for i in range(3)]
    )
    assert [len(paths) for paths in scanned.classes.values()] == [6, 3, 2]
    assert scanned.skipped == 0
    data = load(tmp_path)
    assert data.classes == "AEO"
    assert np.bincount(every_image(data)[1]).tolist() == [6, 3, 2]


def test_digit_classes(tmp_path):
    make_folder(tmp_path, {"7": 2, "0": 3})
    data = load(tmp_path, DIGITS)
    assert data.classes == "07"
    assert np.bincount(every_image(data)[1]).tolist() == [3, 2]


def test_files_that_are_not_images_are_skipped_and_counted(tmp_path, capsys):
    make_folder(tmp_path, {"A": 2, "E": 2})
    for name in [
        "A/notes.txt",
        "A/.DS_Store",
        "E/Thumbs.db",
        "E/.hidden.png",
        "A/README",
        "loose.png",
        "list.txt",
    ]:
        (tmp_path / name).write_bytes(b"not an image")
    (tmp_path / "E" / "drafts").mkdir()  # a folder inside a class folder is left out too
    (tmp_path / ".git").mkdir()  # hidden folders are not classes, and not counted
    (tmp_path / "__MACOSX").mkdir()  # what unzipping on a Mac leaves
    scanned = loaders.scan_image_folder(tmp_path, VOWELS)
    assert scanned.skipped == 8
    assert {char: len(paths) for char, paths in scanned.classes.items()} == {"A": 2, "E": 2}
    capsys.readouterr()
    data = load(tmp_path)
    assert len(data.x_train) + len(data.x_test) == 4
    out = capsys.readouterr().out
    assert (
        f"Your images from {tmp_path}: 4 images of 2 classes (AE), 2 to train on and 2 to test; "
        f"skipped 8 files that are not images" in out
    )


def test_console_says_nothing_skipped_when_nothing_is(tmp_path, capsys):
    make_folder(tmp_path, {"A": 5, "E": 2})
    load(tmp_path)
    out = capsys.readouterr().out
    assert f"Your images from {tmp_path}: 7 images of 2 classes (AE), 5 to train on and 2 to test\n" in out
    assert "skipped" not in out


# ----------------------------------------------------------------------------
# Classes, limit, split, what the data is


def test_chars_pick_and_relabel_classes(tmp_path):
    make_folder(tmp_path, {"A": 2, "E": 3, "I": 4})
    data = load(tmp_path, chars="ia")
    assert data.classes == "IA"
    x, y = every_image(data)
    assert np.bincount(y).tolist() == [4, 2]
    everything = load(tmp_path)
    x_all, y_all = every_image(everything)
    # The "I" images (label 2 of AEI) are label 0 of IA: the same pictures.
    assert np.allclose(np.sort(x[y == 0].sum((1, 2, 3))), np.sort(x_all[y_all == 2].sum((1, 2, 3))))


def test_chars_not_in_the_folder(tmp_path):
    make_folder(tmp_path, {"A": 2, "E": 2})
    with pytest.raises(UserError, match=re.escape(f"--chars: I, O not in {tmp_path} (its classes: AE)")):
        load(tmp_path, chars="AIO")


def test_limit_keeps_the_first_training_images(tmp_path):
    make_folder(tmp_path, {"A": 10, "E": 10})
    full, limited = load(tmp_path), load(tmp_path, limit=5)
    assert len(full.x_train) == 16 and len(limited.x_train) == 5
    assert sorted(set(limited.y_train.tolist())) == [0, 1]  # mixed: not the first class alone
    np.testing.assert_array_equal(limited.x_train, full.x_train[:5])
    np.testing.assert_array_equal(limited.y_train, full.y_train[:5])
    np.testing.assert_array_equal(limited.x_test, full.x_test)


def test_split_per_class_seeded(tmp_path):
    make_folder(tmp_path, {"A": 2, "E": 3, "I": 10, "O": 11, "U": 30})
    data = load(tmp_path)
    assert np.bincount(data.y_test).tolist() == [1, 1, 2, 2, 6]  # 20 %, at least one
    assert np.bincount(data.y_train).tolist() == [1, 2, 8, 9, 24]
    assert data.y_train.dtype == np.int64 and data.y_test.dtype == np.int64
    assert (np.diff(data.y_train) < 0).sum() >= 5  # training images are mixed, not class by class
    again, other = load(tmp_path, seed=0), load(tmp_path, seed=1)
    np.testing.assert_array_equal(again.x_train, data.x_train)
    np.testing.assert_array_equal(again.y_test, data.y_test)
    np.testing.assert_array_equal(again.x_test, data.x_test)
    assert np.bincount(other.y_test).tolist() == [1, 1, 2, 2, 6]
    assert not np.array_equal(np.sort(other.x_test.sum((1, 2, 3))), np.sort(data.x_test.sum((1, 2, 3))))
    # No image in both sets: the step-varied shapes are distinct within each class of 5 or fewer.
    for label in (0, 1):
        for image in data.x_test[data.y_test == label]:
            assert not any(np.array_equal(image, seen) for seen in data.x_train[data.y_train == label])


def test_what_the_data_is(tmp_path):
    make_folder(tmp_path, {"A": 2, "E": 3})
    data = load(tmp_path)
    assert data.about == loaders.DataSource(
        "images", "your images", f"your images from {tmp_path}: 2–3 per class", caveat=""
    )
    assert data.source == str(tmp_path)
    assert data.described()["files"] == str(tmp_path) and data.described()["kind"] == "images"
    assert load(tmp_path, chars="E").about.description == f"your images from {tmp_path}: 3 per class"


# ----------------------------------------------------------------------------
# The cache of prepared images


def cache_files(cache_dir):
    return sorted(path.name for path in cache_dir.glob("*.npz")) if cache_dir.exists() else []


def test_cache_is_reused_and_redone_when_the_folder_changes(tmp_path, count_preparations):
    folder, cache_dir = make_folder(tmp_path / "mine", {"A": 3, "E": 2}), tmp_path / "cache"
    first = load(folder, cache_dir=cache_dir)
    assert len(count_preparations) == 5
    [name] = cache_files(cache_dir)
    assert re.fullmatch(r"images-[0-9a-f]{16}\.npz", name)
    count_preparations.clear()
    second = load(folder, cache_dir=cache_dir)
    assert count_preparations == []
    np.testing.assert_array_equal(second.x_train, first.x_train)
    np.testing.assert_array_equal(second.x_test, first.x_test)

    def changed(change):
        count_preparations.clear()
        change()
        load(folder, cache_dir=cache_dir)
        return len(count_preparations)

    # An edited image, same name and class: the new picture is prepared, not the cached one.
    assert changed(lambda: save(folder / "A" / "00.png", draw("T", step=3))) == 5
    assert changed(lambda: save(folder / "E" / "09.png", draw("I"))) == 6  # added
    assert changed(lambda: (folder / "E" / "09.png").rename(folder / "E" / "10.png")) == 6  # renamed
    assert (
        changed(lambda: (folder / "E" / "10.png").rename(folder / "A" / "10.png")) == 6
    )  # moved to another class
    assert changed(lambda: (folder / "A" / "01.png").unlink()) == 5  # removed

    def as_at_first():
        (folder / "A" / "10.png").unlink()
        save(folder / "A" / "00.png", draw("L", step=0))
        save(folder / "A" / "01.png", draw("L", step=1))

    assert changed(as_at_first) == 0  # the first cache again
    assert len(cache_files(cache_dir)) == 6
    np.testing.assert_array_equal(load(folder, cache_dir=cache_dir).x_train, first.x_train)


def test_edited_image_is_not_read_from_the_cache(tmp_path):
    folder, cache_dir = make_folder(tmp_path / "mine", {"A": 2, "E": 2}), tmp_path / "cache"
    before = every_image(load(folder, cache_dir=cache_dir))[0]
    save(folder / "A" / "00.png", draw("T"))
    after = every_image(load(folder, cache_dir=cache_dir))[0]
    assert not np.array_equal(np.sort(before.sum((1, 2, 3))), np.sort(after.sum((1, 2, 3))))
    np.testing.assert_array_equal(after, every_image(load(folder))[0])


@pytest.mark.parametrize("damage", ["not a cache", "truncated"])
def test_damaged_cache_is_ignored_and_no_cache_dir_writes_nothing(tmp_path, count_preparations, damage):
    folder, cache_dir = make_folder(tmp_path / "mine", {"A": 2, "E": 2}), tmp_path / "cache"
    good = load(folder, cache_dir=cache_dir)
    [name] = cache_files(cache_dir)
    saved = (cache_dir / name).read_bytes()
    (cache_dir / name).write_bytes(b"not a cache" if damage == "not a cache" else saved[: len(saved) // 2])
    count_preparations.clear()
    again = load(folder, cache_dir=cache_dir)
    assert len(count_preparations) == 4
    np.testing.assert_array_equal(again.x_train, good.x_train)
    count_preparations.clear()
    load(folder, cache_dir=cache_dir)
    assert count_preparations == []  # the damaged cache was written anew
    load(folder)
    assert cache_files(cache_dir) == [name] and not list(folder.rglob("*.npz"))


def test_unreadable_image_names_the_file_and_caches_nothing(tmp_path):
    folder, cache_dir = make_folder(tmp_path / "mine", {"A": 2, "E": 2}), tmp_path / "cache"
    (folder / "E" / "broken.jpg").write_text("this is not a picture\n")
    with pytest.raises(UserError, match=re.escape(f"{folder / 'E' / 'broken.jpg'}: cannot read the image")):
        load(folder, cache_dir=cache_dir)
    assert cache_files(cache_dir) == []


def test_progress_bar_for_many_images(tmp_path, monkeypatch, capsys):
    make_folder(tmp_path / "few", {"A": 25, "E": 25})
    make_folder(tmp_path / "many", {"A": 26, "E": 25})
    monkeypatch.setattr(
        writing, "prepare_style_image", lambda path, framing=None: np.zeros((28, 28), np.float32)
    )
    load(tmp_path / "few")
    assert "50/50" not in capsys.readouterr().out
    load(tmp_path / "many")
    assert "51/51" in capsys.readouterr().out


# ----------------------------------------------------------------------------
# Every mistake in the folder is one clear line


def mistake(tmp_path, case):
    """The folder for a mistake, and the message expected."""
    folder = tmp_path / "mine"
    if case == "missing":
        return folder, f"--images: {folder}: no such folder"
    if case == "a file":
        save(folder.with_suffix(".png"), draw())
        return folder.with_suffix(".png"), f"--images: {folder.with_suffix('.png')}: not a folder"
    folder.mkdir()
    if case == "empty":
        return folder, f"--images: {folder}: holds no class subfolders (A/, E/, ...)"
    if case == "loose images only":
        for step in range(3):
            save(folder / f"A{step}.png", draw(step=step))
        return folder, f"--images: {folder}: holds no class subfolders (A/, E/, ...)"
    if case in ("two characters", "not in the alphabet"):
        name = "AE" if case == "two characters" else "B"
        make_folder(folder, {"A": 2, name: 2})
        return (
            folder,
            f"--images: {folder / name}: name each subfolder by the one character of its class, one of AEIOU",
        )
    if case == "no images in a class":
        make_folder(folder, {"A": 2, "E": 2})
        (folder / "I").mkdir()
        (folder / "I" / "notes.txt").write_text("to do\n")
        return (
            folder,
            f"--images: {folder / 'I'}: no image files (.bmp, .gif, .jpeg, .jpg, .png, .tif, .tiff)",
        )
    if case == "one class":
        make_folder(folder, {"E": 3})
        return folder, f"--images: {folder}: needs at least two classes, found only E/"
    if case == "one image in a class":
        make_folder(folder, {"A": 3, "O": 1})
        return (
            folder,
            f"--images: {folder / 'O'}: class O has 1 image, needs at least 2 (one to train on, one to test)",
        )
    raise AssertionError(case)


MISTAKES = [
    "missing",
    "a file",
    "empty",
    "loose images only",
    "two characters",
    "not in the alphabet",
    "no images in a class",
    "one class",
    "one image in a class",
]


@pytest.mark.parametrize("case", MISTAKES)
def test_mistakes_are_one_clear_error(tmp_path, case):
    folder, message = mistake(tmp_path, case)
    with pytest.raises(UserError, match=re.escape(message)) as scanned:
        loaders.scan_image_folder(folder, VOWELS)
    with pytest.raises(UserError, match=re.escape(message)) as loaded:
        load(folder, cache_dir=tmp_path / "cache")
    assert "\n" not in str(scanned.value) and str(loaded.value) == str(scanned.value)
    assert not (tmp_path / "cache").exists()


def test_a_letter_folder_is_not_a_digit_class(tmp_path):
    make_folder(tmp_path, {"1": 2, "a": 2})
    with pytest.raises(
        UserError,
        match=re.escape(
            f"--images: {tmp_path / 'a'}: name each subfolder by the "
            f"one character of its class, one of 0123456789"
        ),
    ):
        loaders.scan_image_folder(tmp_path, DIGITS)
