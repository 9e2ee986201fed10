"""Tests for download.py against a local HTTP server on 127.0.0.1 (no other address is used)."""

import gzip
import hashlib
import io
import os
import re
import socket
import struct
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import download  # noqa: E402
from loaders import DEVELOPERS_MNIST as REAL_MNIST  # noqa: E402

REAL_SHA256 = dict(download.MNIST_SHA256)  # before any test swaps in the fakes' checksums
REAL_EMNIST_SHA256 = download.EMNIST_SHA256


def idx(magic, dims, payload):
    """A tiny IDX file: magic, dimensions (big-endian uint32), uint8 data."""
    return struct.pack(f">I{len(dims)}I", magic, *dims) + bytes(payload)


def images(n, seed):
    return idx(2051, (n, 28, 28), [(seed + i) % 256 for i in range(n * 784)])


def labels(n, seed):
    return idx(2049, (n,), [(seed + i) % 10 for i in range(n)])


# Unpacked contents of the small fake files (distinct per file, so mix-ups show).
MNIST_RAW = {
    "train-images-idx3-ubyte.gz": images(6, 1),
    "train-labels-idx1-ubyte.gz": labels(6, 2),
    "t10k-images-idx3-ubyte.gz": images(3, 3),
    "t10k-labels-idx1-ubyte.gz": labels(3, 4),
}
EMNIST_KEPT = {}
for i, split in enumerate(("letters", "digits")):
    EMNIST_KEPT[f"emnist-{split}-train-images-idx3-ubyte.gz"] = gzip.compress(images(4, 10 + i))
    EMNIST_KEPT[f"emnist-{split}-train-labels-idx1-ubyte.gz"] = gzip.compress(labels(4, 20 + i))
    EMNIST_KEPT[f"emnist-{split}-test-images-idx3-ubyte.gz"] = gzip.compress(images(2, 30 + i))
    EMNIST_KEPT[f"emnist-{split}-test-labels-idx1-ubyte.gz"] = gzip.compress(labels(2, 40 + i))
    EMNIST_KEPT[f"emnist-{split}-mapping.txt"] = b"1 65 97\n2 66 98\n" if split == "letters" else b"0 48\n"
EMNIST_EXTRA = {  # in the real zip too, but must not be kept
    "emnist-balanced-train-images-idx3-ubyte.gz": gzip.compress(images(2, 50)),
    "emnist-balanced-mapping.txt": b"0 48\n",
}


def make_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in {**EMNIST_KEPT, **EMNIST_EXTRA}.items():
            zf.writestr("gzip/" + name, data)
    return buf.getvalue()


ZIP = make_zip()
EXPECTED = sorted(list(MNIST_RAW) + list(EMNIST_KEPT))


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """Serves self.files (URL path -> bytes) with Range support; logs (path, Range header)."""

    def __init__(self):
        self.files, self.log, self.honor_range = {}, [], True
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                rng = self.headers.get("Range")
                server.log.append((self.path, rng))
                data = server.files.get(self.path)
                if data is None:
                    return self.send_error(404)
                start = int(rng[len("bytes=") :].rstrip("-")) if rng and server.honor_range else 0
                if start >= len(data) and start:
                    return self.send_error(416)
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

            def log_message(self, *args):  # keep pytest output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    def gets(self, path=None):
        return [entry for entry in self.log if path is None or entry[0] == path]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No proxies, and defaults pointing at a closed local port: nothing leaves 127.0.0.1."""
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    dead = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("MNIST_URL", dead + "/mnist/")
    monkeypatch.setenv("EMNIST_URL", dead + "/gzip.zip")


@pytest.fixture
def server(monkeypatch):
    srv = Server()
    for name, raw in MNIST_RAW.items():
        # mtime=0 makes a gzip wrapper unlike the one the checksum was taken from: fine,
        # only the unpacked bytes are checked
        srv.files["/mnist/" + name] = gzip.compress(raw, mtime=0)
    srv.files["/emnist/gzip.zip"] = ZIP
    monkeypatch.setattr(
        download, "MNIST_SHA256", {name: hashlib.sha256(raw).hexdigest() for name, raw in MNIST_RAW.items()}
    )
    monkeypatch.setattr(download, "EMNIST_SHA256", hashlib.sha256(ZIP).hexdigest())
    monkeypatch.setenv("MNIST_URL", srv.url + "/mnist")  # no trailing slash on purpose
    monkeypatch.setenv("EMNIST_URL", srv.url + "/emnist/gzip.zip")
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def check_all(data):
    assert sorted(os.listdir(data)) == EXPECTED  # no zip, no .part, no temp, no balanced
    for name, raw in MNIST_RAW.items():
        assert gzip.decompress((data / name).read_bytes()) == raw
    for name, content in EMNIST_KEPT.items():
        assert (data / name).read_bytes() == content


def test_full_download(server, tmp_path):
    data = tmp_path / "data"
    paths = download.download_data(data, progress=False)
    assert sorted(Path(p).name for p in paths) == EXPECTED
    assert all(Path(p).parent == data for p in paths)
    check_all(data)
    assert all(rng is None for _, rng in server.log)


def test_second_run_downloads_nothing(server, tmp_path):
    download.download_data(tmp_path, progress=False)
    assert len(server.log) == 5
    paths = download.download_data(tmp_path, progress=False)
    assert len(server.log) == 5
    assert sorted(Path(p).name for p in paths) == EXPECTED


def test_only_one_data_set(server, tmp_path):
    download.download_data(tmp_path, what=("emnist",), progress=False)
    assert sorted(os.listdir(tmp_path)) == sorted(EMNIST_KEPT)
    with pytest.raises(ValueError):
        download.download_data(tmp_path, what=("cifar",))


def test_mnist_checksum_mismatch(server, tmp_path, monkeypatch):
    monkeypatch.setitem(download.MNIST_SHA256, "t10k-images-idx3-ubyte.gz", "0" * 64)
    with pytest.raises(download.ChecksumError) as err:
        download.download_data(tmp_path, what=("mnist",), progress=False)
    msg = str(err.value)
    assert "checksum mismatch" in msg and "t10k-images-idx3-ubyte.gz" in msg and "\n" not in msg
    assert not any(n.startswith("t10k-images") for n in os.listdir(tmp_path))  # nor final nor .part


# Each source, served from a mirror (any URL but the default) with a file that is not the real one, and
# checked against the real digests: rejected, deleted, named, exit status 2. MNIST's first file fetched:
CORRUPTED = {
    "mnist": ("/mnist/train-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz.part"),
    "emnist": ("/emnist/gzip.zip", download.EMNIST_ZIP + ".part"),
}


@pytest.mark.parametrize("source", CORRUPTED)
def test_corrupted_download_is_rejected_whatever_the_mirror(server, tmp_path, monkeypatch, capsys, source):
    monkeypatch.setattr(download, "MNIST_SHA256", REAL_SHA256)
    monkeypatch.setattr(download, "EMNIST_SHA256", REAL_EMNIST_SHA256)
    served, part = CORRUPTED[source]
    whole = bytearray(server.files[served])
    whole[len(whole) // 2] ^= 0xFF  # one flipped byte
    server.files[served] = bytes(whole)
    with pytest.raises(SystemExit) as exit_:
        download.main([str(tmp_path), "--only", source])
    assert exit_.value.code == 2
    err = capsys.readouterr().err  # the progress bar, then one line
    line = err.splitlines()[-1]
    assert err.count("error:") == 1 and "error: " in line and "checksum mismatch" in line
    assert f"deleted {tmp_path / part}" in line and served.rsplit("/", 1)[1] in line  # the file, and the URL
    assert os.listdir(tmp_path) == []  # neither the .part nor a final file


def test_script_exits_2_on_a_corrupted_download(server, tmp_path, monkeypatch, capsys):
    import vae_digits

    monkeypatch.setattr(download, "MNIST_SHA256", REAL_SHA256)
    status = vae_digits.main(["--download", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    assert status == 2
    err = capsys.readouterr().err  # the progress bar, then one line
    assert err.count("error:") == 1 and "checksum mismatch" in err.splitlines()[-1]
    assert os.listdir(tmp_path / "data") == []


def test_a_verified_zip_that_will_not_open(server, tmp_path, monkeypatch):
    """Its digest matches (here: set to the broken zip's), yet reading it fails: deleted, one line."""
    bad = b"<html>not a zip</html>"
    server.files["/emnist/gzip.zip"] = bad
    monkeypatch.setattr(download, "EMNIST_SHA256", hashlib.sha256(bad).hexdigest())
    with pytest.raises(download.DownloadError, match="bad zip archive"):
        download.download_data(tmp_path, what=("emnist",), progress=False)
    assert os.listdir(tmp_path) == []


def test_zip_crc_error_is_caught(server, tmp_path, monkeypatch):
    broken = bytearray(make_zip_stored())
    name = b"gzip/emnist-letters-mapping.txt"
    at = broken.index(name) + len(name)  # first byte of that member's data
    broken[at] ^= 0xFF
    server.files["/emnist/gzip.zip"] = bytes(broken)
    monkeypatch.setattr(download, "EMNIST_SHA256", hashlib.sha256(broken).hexdigest())
    with pytest.raises(download.DownloadError, match="bad zip archive.*CRC"):
        download.download_data(tmp_path, what=("emnist",), progress=False)
    assert not any(n.endswith((".zip", ".part", "mapping.txt")) for n in os.listdir(tmp_path))


def make_zip_stored():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in EMNIST_KEPT.items():
            zf.writestr("gzip/" + name, data)
    return buf.getvalue()


def test_resume_with_range(server, tmp_path):
    name = "train-images-idx3-ubyte.gz"
    whole = server.files["/mnist/" + name]
    half = len(whole) // 2
    (tmp_path / (name + ".part")).write_bytes(whole[:half])
    (tmp_path / (download.EMNIST_ZIP + ".part")).write_bytes(ZIP[:1000])
    download.download_data(tmp_path, progress=False)
    assert server.gets("/mnist/" + name) == [("/mnist/" + name, f"bytes={half}-")]
    assert server.gets("/emnist/gzip.zip") == [("/emnist/gzip.zip", "bytes=1000-")]
    check_all(tmp_path)


def test_server_without_range_support_starts_over(server, tmp_path):
    server.honor_range = False
    name = "t10k-labels-idx1-ubyte.gz"
    stale = b"stale bytes from another mirror"
    (tmp_path / (name + ".part")).write_bytes(stale)
    download.download_data(tmp_path, progress=False)
    assert server.gets("/mnist/" + name) == [("/mnist/" + name, f"bytes={len(stale)}-")]  # got 200
    check_all(tmp_path)


def test_complete_part_is_used_as_is(server, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    (tmp_path / (name + ".part")).write_bytes(server.files["/mnist/" + name])
    download.download_data(tmp_path, what=("mnist",), progress=False)  # server answers 416
    assert gzip.decompress((tmp_path / name).read_bytes()) == MNIST_RAW[name]


def test_unreachable(tmp_path):
    url = os.environ["MNIST_URL"]  # closed port, set by the offline fixture
    with pytest.raises(download.DownloadError) as err:
        download.download_data(tmp_path, what=("mnist",), progress=False)
    msg = str(err.value)
    assert msg.startswith("cannot reach " + url) and "are you online" in msg and "\n" not in msg
    assert os.listdir(tmp_path) == []


def test_bad_url(tmp_path, monkeypatch):
    monkeypatch.setenv("EMNIST_URL", "not-a-url")
    with pytest.raises(download.DownloadError, match="bad URL 'not-a-url'"):
        download.download_data(tmp_path, what=("emnist",), progress=False)


def test_http_404(server, tmp_path):
    del server.files["/emnist/gzip.zip"]
    with pytest.raises(download.DownloadError, match=r"gzip\.zip: HTTP error 404"):
        download.download_data(tmp_path, what=("emnist",), progress=False)


def test_progress_on_stderr(server, tmp_path, capsys):
    download.download_data(tmp_path, what=("emnist",), progress=True)
    out = capsys.readouterr()
    assert out.out == ""
    # The rate's unit follows the machine's speed (kB/s on a loaded one): any rate will do.
    assert "\rgzip.zip:" in out.err and "100%" in out.err and re.search(r"\d[kMG]?B/s", out.err)
    download.download_data(tmp_path / "quiet", progress=False)
    assert capsys.readouterr().err == ""


def test_damaged_file_is_fetched_again(server, tmp_path):
    download.download_data(tmp_path, progress=False)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"junk")
    (tmp_path / "emnist-digits-test-images-idx3-ubyte.gz").write_bytes(b"junk")
    n = len(server.log)
    download.download_data(tmp_path, progress=False)
    assert [p for p, _ in server.log[n:]] == ["/mnist/train-labels-idx1-ubyte.gz", "/emnist/gzip.zip"]
    check_all(tmp_path)


@pytest.mark.skipif(not REAL_MNIST.is_dir(), reason="real MNIST files not available (../shared/data/mnist)")
def test_real_mnist_matches_hard_coded_checksums(server, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "MNIST_SHA256", REAL_SHA256)  # the hard-coded ones
    for name in download.MNIST_SHA256:
        server.files["/real/" + name] = (REAL_MNIST / name).read_bytes()
    monkeypatch.setenv("MNIST_URL", server.url + "/real/")
    paths = download.download_data(tmp_path, what=("mnist",), progress=False)
    for p in paths:
        assert Path(p).read_bytes() == (REAL_MNIST / Path(p).name).read_bytes()


# ----------------------------------------------------------------------------
# The scripts' --download flag, end to end


@pytest.mark.slow
def test_letters_script_downloads_then_trains(server, tmp_path, monkeypatch, capsys):
    """--download fetches the archive, keeps the letters files, and the script trains on them."""
    import numpy as np

    import vae_letters
    from conftest import letter_images

    def idx_bytes(array):
        array = np.asarray(array, np.uint8)
        return (
            bytes([0, 0, 8, array.ndim])
            + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
            + array.tobytes()
        )

    members = dict(EMNIST_KEPT)
    for split, count in (("train", 104), ("test", 52)):
        labels = np.arange(count) % 26 + 1
        members[f"emnist-letters-{split}-images-idx3-ubyte.gz"] = gzip.compress(
            idx_bytes(letter_images(labels).transpose(0, 2, 1))
        )  # EMNIST stores images transposed
        members[f"emnist-letters-{split}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels))
    members["emnist-letters-mapping.txt"] = "".join(
        f"{i + 1} {65 + i} {97 + i}\n" for i in range(26)
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr("gzip/" + name, content)
    server.files["/emnist/gzip.zip"] = buffer.getvalue()
    monkeypatch.setattr(download, "EMNIST_SHA256", hashlib.sha256(buffer.getvalue()).hexdigest())

    data, out = tmp_path / "data", tmp_path / "out"
    status = vae_letters.main(
        [
            "--download",
            "--data",
            str(data),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--iwae-k",
            "2",
            "--no-gif",
            "--quiet",
        ]
    )
    assert status == 0
    assert "emnist-letters-train-images-idx3-ubyte.gz" in capsys.readouterr().out
    assert (out / "model.keras").exists() and not (data / "emnist-gzip.zip").exists()


def test_script_download_offline_is_one_line(tmp_path, capsys):
    import vae_digits

    status = vae_digits.main(["--download", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    assert status == 1
    err = capsys.readouterr().err
    assert "cannot reach" in err and "are you online" in err and len(err.strip().splitlines()) == 1
