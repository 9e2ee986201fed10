"""Fetch the real MNIST and EMNIST (letters + digits) files into a data folder.

    python download.py [data_dir]        # default: data/
    python download.py --only emnist     # one data set

The standard library, tqdm (the progress bar) and files.UserError only. Downloads go to <name>.part and
resume from there, every file is checked before it is moved into place with os.replace,
so an interrupted run never leaves a truncated file behind, and a second run fetches only
what is missing. Mirrors can be swapped with the MNIST_URL (folder) and EMNIST_URL (zip)
environment variables; whichever served them, the files must match the digests below.
A file that does not is deleted, and the error names it (exit status 2; other failures 1).
"""

import argparse
import gzip
import hashlib
import http.client
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib

from tqdm import tqdm

from files import UserError

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
# sha256 of the DECOMPRESSED files: mirrors re-wrap the gzip, the content is the same.
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
EMNIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"  # about 560 MB
# sha256 of the zip as tensorflow_datasets records it (url_checksums/emnist.txt, 561,753,746 bytes).
EMNIST_SHA256 = "fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e"
EMNIST_ZIP = "emnist-gzip.zip"  # kept only until its members are extracted
# The members we keep (inside the zip they sit in a gzip/ folder); the rest is skipped.
EMNIST_FILES = [
    f"emnist-{split}-{part}-ubyte.gz"
    for split in ("letters", "digits")
    for part in ("train-images-idx3", "train-labels-idx1", "test-images-idx3", "test-labels-idx1")
]
EMNIST_FILES += ["emnist-letters-mapping.txt", "emnist-digits-mapping.txt"]
HINT = "Put the files in data/ by hand (see data/README.md)"
CHUNK = 1 << 20


class DownloadError(OSError):
    """A download failed; the message is one line naming the URL or file and the problem."""


class ChecksumError(DownloadError, UserError):
    """A downloaded file is not the known one (deleted). A UserError, so the scripts exit with 2."""


def download_data(data_dir="data", what=("mnist", "emnist"), progress=True):
    """Fetch the real data sets into data_dir and return the paths of the files
    written (or already present and verified)."""
    unknown = set(what) - {"mnist", "emnist"}
    if unknown:
        raise ValueError(f"unknown data set(s) {sorted(unknown)}; choose from mnist, emnist")
    os.makedirs(data_dir, exist_ok=True)
    paths = []
    if "mnist" in what:
        paths += _get_mnist(data_dir, progress)
    if "emnist" in what:
        paths += _get_emnist(data_dir, progress)
    return paths


def _get_mnist(data_dir, progress):
    base = os.environ.get("MNIST_URL", MNIST_URL).rstrip("/") + "/"
    paths = []
    for name, want in MNIST_SHA256.items():
        path, url = os.path.join(data_dir, name), base + name
        if not (os.path.exists(path) and _gunzip_sha256(path) == want):
            part = _fetch(url, path + ".part", progress)
            got = _gunzip_sha256(part)
            if got != want:
                os.remove(part)  # a bad download must not be resumed either
                raise ChecksumError(
                    f"{url}: checksum mismatch (sha256 of the unpacked data "
                    f"{got or 'unreadable'}, expected {want}); deleted {part}; "
                    "run again, or set MNIST_URL to another mirror"
                )
            os.replace(part, path)
        paths.append(path)
    return paths


def _get_emnist(data_dir, progress):
    paths = [os.path.join(data_dir, name) for name in EMNIST_FILES]
    if all(_intact(p) for p in paths):
        return paths
    url = os.environ.get("EMNIST_URL", EMNIST_URL)
    zpath = os.path.join(data_dir, EMNIST_ZIP)
    if not os.path.exists(zpath):  # an already verified zip (extraction interrupted) is reused
        part = _fetch(url, zpath + ".part", progress)
        if (got := _file_sha256(part)) != EMNIST_SHA256:
            os.remove(part)  # a bad download must not be resumed either
            raise ChecksumError(
                f"{url}: checksum mismatch (sha256 {got}, expected {EMNIST_SHA256}); "
                f"deleted {part}; run again, or set EMNIST_URL to another mirror"
            )
        os.replace(part, zpath)
    try:  # reading a member checks its CRC-32: a zip damaged on this disk since it was checked
        with zipfile.ZipFile(zpath) as zf:
            for name, path in zip(EMNIST_FILES, paths):
                with zf.open("gzip/" + name) as src:
                    _atomic_copy(src, path)
    except (zipfile.BadZipFile, KeyError, EOFError, zlib.error) as e:
        os.remove(zpath)
        raise DownloadError(f"{url}: bad zip archive ({e}); deleted {zpath}, run again") from None
    os.remove(zpath)  # about 560 MB we no longer need
    return paths


def _fetch(url, part, progress):
    """Download url into the file part, resuming what is already there; return part."""
    have = os.path.getsize(part) if os.path.exists(part) else 0
    try:
        request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
        resp = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # nothing left to send: the .part is already complete
            return part
        raise DownloadError(f"{url}: HTTP error {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise DownloadError(
            f"cannot reach {url}: {getattr(e, 'reason', e)}; are you online? {HINT}"
        ) from None
    except ValueError as e:
        raise DownloadError(f"bad URL {url!r}: {e}") from None
    with resp:
        resumed = resp.status == 206
        if resumed and not resp.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
            raise DownloadError(f"{url}: server resumed at the wrong offset; delete {part} and run again")
        if not resumed:  # 200: the server sent the whole file, so start over
            have = 0
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length else None
        bar = tqdm(
            total=total,
            initial=have,
            desc=os.path.basename(url),
            unit="B",
            unit_scale=True,
            file=sys.stderr,
            disable=not progress,
        )
        try:
            with bar, open(part, "ab" if resumed else "wb") as f:
                while chunk := resp.read(CHUNK):
                    f.write(chunk)
                    have += len(chunk)
                    bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as e:
            raise DownloadError(
                f"{url}: download failed after {have} bytes ({e}); run again to resume"
            ) from None
    if total and have < total:
        raise DownloadError(f"{url}: connection closed after {have} of {total} bytes; run again to resume")
    return part


def _gunzip_sha256(path):
    """sha256 of the decompressed contents, or None if it is not a complete gzip file."""
    h = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return h.hexdigest()


def _intact(path):
    """Extracted EMNIST file present and, for .gz, complete (gzip checks its own CRC-32)."""
    if not os.path.isfile(path):
        return False
    return _gunzip_sha256(path) is not None if path.endswith(".gz") else os.path.getsize(path) > 0


def _file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _atomic_copy(src, dest):
    """Copy a stream to a temp file next to dest, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest) or ".", prefix=os.path.basename(dest) + ".")
    try:
        with os.fdopen(fd, "wb") as f:
            shutil.copyfileobj(src, f, CHUNK)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fetch the real MNIST and EMNIST files into a data folder.")
    parser.add_argument("data_dir", nargs="?", default="data", help="where the files go (default: data)")
    parser.add_argument("--only", choices=("mnist", "emnist"), help="fetch one data set (default: both)")
    args = parser.parse_args(argv)
    try:
        for path in download_data(args.data_dir, (args.only,) if args.only else ("mnist", "emnist")):
            print(path)
    except DownloadError as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        sys.exit(2 if isinstance(e, ChecksumError) else 1)


if __name__ == "__main__":
    main()
