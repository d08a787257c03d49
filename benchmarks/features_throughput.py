"""Throughput of VGG-16 feature extraction: the paper's PNG pipeline vs the project's HDF5 path.

Run from the repository root (all paths below are its defaults):

    .venv/bin/python benchmarks/features_throughput.py --n 1024 --repeats 3 \\
        --json benchmarks/features_throughput.json

or on a workflow stamp set instead of freshly simulated stamps:

    .venv/bin/python benchmarks/features_throughput.py \\
        --stamps RUN/results/stamps/parametric/sigma15/real0.h5 --n 1024 --repeats 3

Three methods, in one process, on the same N stamps read from the same HDF5 file:

  (a) png       the paper's pipeline (Sect. 3.2.1): each stamp written as an 8-bit PNG
                (|x| * 255 / max|x|, grey replicated to RGB) into blended/ and isolated/
                folders, read back with keras.utils.image_dataset_from_directory, / 255,
                VGG-16 conv base in float32, features saved with np.save.
  (b) hdf5-f32  blendhunter.features.write_features: HDF5 stamps -> HDF5 features, float32.
  (c) hdf5-bf16 the same with precision bfloat16 (Keras mixed_bfloat16).

Each timed run counts everything from stamps on disk to features on disk, including
building the VGG-16 model and loading its weights (as a workflow job does). After one
warm-up run of each method, the methods run in turn `--repeats` times (interleaved, in
rotating order, so other load on a shared machine hits them alike). It prints stamps/s,
the ratios to (a), the feature differences (a) vs (b) and (c) vs (b), and whether the
targets are met: (b) >= (a); (c) >= 3 x (a) and >= 450 stamps/s. It exits 0 whatever
the result.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from blendhunter import features
from blendhunter.io import versions, write_json
from blendhunter.stamps import StampSet, write_images

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WEIGHTS = (ROOT / "../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5").resolve()
CLASS_DIRS = ("isolated", "blended")  # label 0, label 1 (the project's convention)
METHODS = ("png", "hdf5-f32", "hdf5-bf16")
LABELS = {
    "png": "(a) PNG + image_dataset_from_directory, float32",
    "hdf5-f32": "(b) HDF5 write_features, float32",
    "hdf5-bf16": "(c) HDF5 write_features, bfloat16",
}
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16")
TARGET_BF16_RATE = 450.0
TARGET_BF16_RATIO = 3.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stamps", type=Path, help="a StampSet HDF5 file (default: simulate stamps)")
    parser.add_argument("--n", type=int, default=1024, help="stamps to process (default 1024)")
    parser.add_argument("--batch-size", type=int, default=256, help="inference batch (default 256)")
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS, help="VGG-16 notop .h5")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method (default 3)")
    parser.add_argument(
        "--statistic", choices=("best", "median"), default="best", help="of the timed runs (default best)"
    )
    parser.add_argument("--sigma", type=float, default=15.0, help="noise of simulated stamps (default 15)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--tmpdir", type=Path, help="where to write PNGs and features (default: system)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeats < 1 or args.batch_size < 1:
        parser.error("--n, --repeats and --batch-size must be at least 1")
    if not args.weights.is_file():
        parser.error(f"--weights: {args.weights} is not a file")
    return args


# --- machine -----------------------------------------------------------------------------


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cpu_info() -> dict:
    """CPU model and the flags that matter for bfloat16 (AMX, AVX-512 BF16)."""
    model, flags = "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return {"model": model, "cores": available_cores(), "flags": {f: f in flags for f in CPU_FLAGS}}


# --- input stamps ------------------------------------------------------------------------


def stamps_from_file(path: Path, n: int) -> tuple[np.ndarray, dict]:
    """The first n stamps of a StampSet (noisy for a noisy set), with label and split."""
    stamp_set = StampSet(path)
    if n > len(stamp_set):
        logging.warning("%s holds %d stamps; using all of them", path, len(stamp_set))
    indices = np.arange(min(n, len(stamp_set)))
    columns = {key: stamp_set.meta[key].to_numpy()[indices] for key in ("label", "split")}
    return stamp_set.images(indices), columns


def simulated_stamps(n: int, sigma: float) -> tuple[np.ndarray, dict]:
    """n parametric COSMOS stamps drawn with the package's GalSim simulation, plus noise."""
    from blendhunter import config, simulate, stamps

    cfg = config.load(ROOT / "config/config.yaml", ROOT / "config/offline.yaml")
    catalogue = cfg["resources"]["cosmos_parametric"]
    directory = (ROOT / catalogue["path"]).resolve()  # offline paths are relative to the repo root
    source = simulate.GalaxySource(str(directory), catalogue["file_name"], "parametric", seed=cfg["seed"])
    section = cfg["parametric"]
    labels, split = simulate.labels_and_split(
        n, section["blend_fraction"], section["split"], cfg["seed"], "parametric"
    )
    logging.info("simulating %d parametric stamps from %s (not timed)", n, directory / catalogue["file_name"])
    images, columns = simulate.draw_chunk(0, n, labels, source, "parametric", cfg)
    images = images + stamps.noise(cfg["seed"], sigma, 0, np.arange(n), images.shape[1:])
    columns["split"] = split
    return images, columns


def prepare_stamps(args: argparse.Namespace, workdir: Path) -> tuple[Path, str]:
    """Write the benchmark's stamps once, as a StampSet file with images (not timed)."""
    if args.stamps:
        images, columns = stamps_from_file(args.stamps, args.n)
        origin = f"{args.stamps} (first {len(images)} stamps)"
    else:
        images, columns = simulated_stamps(args.n, args.sigma)
        origin = f"simulated parametric, sigma {args.sigma:g}"
    if images.shape[-1] != features.INPUT_SIZE:
        images = features.pad_stamps(images)
    path = workdir / "stamps.h5"
    write_images(path, images.astype(np.float32), columns, {"kind": "benchmark", "origin": origin})
    return path, origin


# --- the three methods -------------------------------------------------------------------


def write_pngs(stamp_set: StampSet, folder: Path, batch_size: int) -> None:
    """Every stamp as an 8-bit RGB PNG (grey replicated) in its class folder."""
    for name in CLASS_DIRS:
        (folder / name).mkdir(parents=True)
    labels = stamp_set.labels
    for indices, images in stamp_set.batches(stamp_set.indices(), batch_size):
        levels = features.to_png_levels(images)
        for index, level in zip(indices, levels, strict=True):
            rgb = np.repeat(level[..., None], 3, axis=-1)
            Image.fromarray(rgb).save(folder / CLASS_DIRS[labels[index]] / f"{index:07d}.png")


def png_dataset(folder: Path, batch_size: int):
    """Keras' directory loader, in file order, scaled to 0..1."""
    import keras

    dataset = keras.utils.image_dataset_from_directory(
        folder,
        labels="inferred",
        label_mode="binary",
        class_names=list(CLASS_DIRS),
        image_size=(features.INPUT_SIZE, features.INPUT_SIZE),
        batch_size=batch_size,
        shuffle=False,
        verbose=False,
    )
    order = np.array([int(Path(p).stem) for p in dataset.file_paths])
    return dataset.map(lambda x, y: (x / 255.0, y)), order


def run_png(stamps_path: Path, out_dir: Path, weights: Path, batch_size: int) -> np.ndarray:
    """(a) Stamps -> PNG files -> directory loader -> VGG-16 -> .npy; features by stamp index."""
    stamp_set = StampSet(stamps_path)
    write_pngs(stamp_set, out_dir / "png", batch_size)
    dataset, order = png_dataset(out_dir / "png", batch_size)
    model = features.conv_base(weights, "float32")
    parts, labels = [], []
    for x, y in dataset:
        parts.append(np.asarray(model(x, training=False), dtype=np.float32))
        labels.append(np.asarray(y)[:, 0])
    found = np.concatenate(parts)
    np.save(out_dir / "features.npy", found)
    if not np.array_equal(np.concatenate(labels).astype(int), stamp_set.labels[order]):
        raise RuntimeError("the directory loader's labels do not match the stamps' labels")
    result = np.empty_like(found)
    result[order] = found
    return result


def run_hdf5(stamps_path: Path, out_dir: Path, weights: Path, batch_size: int, precision: str) -> Path:
    """(b), (c) The project's path: StampSet HDF5 -> write_features -> HDF5 feature file."""
    out = out_dir / "features.h5"
    features.write_features(
        StampSet(stamps_path),
        out,
        weights,
        method="png",
        precision=precision,
        batch_size=batch_size,
        attrs={},
    )
    return out


def run_method(method: str, stamps_path: Path, out_dir: Path, args: argparse.Namespace):
    if method == "png":
        return run_png(stamps_path, out_dir, args.weights, args.batch_size)
    precision = "float32" if method == "hdf5-f32" else "bfloat16"
    return run_hdf5(stamps_path, out_dir, args.weights, args.batch_size, precision)


def timed_run(method: str, stamps_path: Path, workdir: Path, args: argparse.Namespace, tag: str):
    """Seconds of one run and its features (read back outside the timing)."""
    out_dir = workdir / f"{method}-{tag}"
    out_dir.mkdir()
    start = time.perf_counter()
    result = run_method(method, stamps_path, out_dir, args)
    seconds = time.perf_counter() - start
    if isinstance(result, Path):
        result = features.read_features(result)[0]
    shutil.rmtree(out_dir)
    return seconds, result


def benchmark(stamps_path: Path, workdir: Path, args: argparse.Namespace) -> tuple[dict, dict]:
    """Warm-up, then `repeats` interleaved timed runs; seconds per method and last features."""
    seconds = {m: [] for m in METHODS}
    feats = {}
    for method in METHODS:
        logging.info("warm-up: %s", method)
        timed_run(method, stamps_path, workdir, args, "warmup")
    for k in range(args.repeats):
        for method in METHODS[k % 3 :] + METHODS[: k % 3]:  # rotate: no method always follows another
            elapsed, feats[method] = timed_run(method, stamps_path, workdir, args, str(k))
            seconds[method].append(elapsed)
            logging.info("run %d %s: %.2f s", k + 1, method, elapsed)
    return seconds, feats


def model_build_seconds(weights: Path) -> dict:
    """Seconds to build VGG-16 and load its weights, a part of every timed run (for reference)."""
    out = {}
    for precision in features.PRECISIONS:
        start = time.perf_counter()
        features.conv_base(weights, precision)
        out[precision] = time.perf_counter() - start
    return out


# --- results -----------------------------------------------------------------------------


def difference(reference: np.ndarray, other: np.ndarray) -> dict:
    """max |d|, max |d| / max |ref| and ||d||_2 / ||ref||_2 (relative RMS)."""
    diff = other.astype(np.float64) - reference.astype(np.float64)
    ref = reference.astype(np.float64)
    scale = np.abs(ref).max() or 1.0
    norm = np.sqrt(np.mean(ref**2)) or 1.0
    return {
        "max_abs": float(np.abs(diff).max()),
        "max_rel": float(np.abs(diff).max() / scale),
        "rms_rel": float(np.sqrt(np.mean(diff**2)) / norm),
    }


def summarise(seconds: dict, n: int, statistic: str) -> dict:
    pick = min if statistic == "best" else statistics.median
    rates = {m: n / pick(times) for m, times in seconds.items()}
    return {
        m: {"seconds": seconds[m], "stamps_per_s": rates[m], "ratio_to_png": rates[m] / rates["png"]}
        for m in METHODS
    }


def targets(rates: dict) -> dict:
    a, b, c = (rates[m]["stamps_per_s"] for m in METHODS)
    return {
        "(b) >= (a)": b >= a,
        f"(c) >= {TARGET_BF16_RATIO:g} x (a)": c >= TARGET_BF16_RATIO * a,
        f"(c) >= {TARGET_BF16_RATE:g} stamps/s": c >= TARGET_BF16_RATE,
    }


def print_report(result: dict) -> None:
    cpu = result["cpu"]
    flags = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in cpu["flags"].items())
    print(f"\nCPU: {cpu['model']}; {cpu['cores']} cores available; TensorFlow threads {result['threads']}")
    print(f"flags: {flags}")
    print(f"stamps: {result['n']} x 65x65, {result['origin']}; batch {result['batch_size']}")
    print(f"loader (a): {result['loader']}")
    build = result["model_build_s"]
    builds = ", ".join(f"{precision} {seconds:.2f} s" for precision, seconds in build.items())
    print(f"VGG-16 build + weights (part of every run): {builds}")
    print(f"\n{result['statistic']} of {result['repeats']} timed run(s) after one warm-up:")
    print(f"{'method':<50} {'stamps/s':>9} {'vs (a)':>7}")
    for method in METHODS:
        row = result["methods"][method]
        print(f"{LABELS[method]:<50} {row['stamps_per_s']:9.1f} {row['ratio_to_png']:6.2f}x")
    print()
    for pair in ("a_vs_b", "c_vs_b"):
        d = result[f"features_{pair}"]
        name = pair.replace("_vs_", ") vs (")
        figures = ", ".join(
            f"{key.replace('_', ' ')} {d[key]:.3g}" for key in ("max_abs", "max_rel", "rms_rel")
        )
        print(f"features ({name}): {figures}")
    print("(rel: max |d| / max |features of the reference|; rms rel: rms(d) / rms(reference))")
    print("\ntargets:")
    for name, met in result["targets"].items():
        print(f"  {'PASS' if met else 'MISS'}  {name}")


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow is imported later, lazily
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("blendhunter").setLevel(logging.WARNING)  # no per-batch progress lines
    threads = available_cores()
    features.configure_threads(threads)  # before TensorFlow starts
    with tempfile.TemporaryDirectory(prefix="bh-features-bench-", dir=args.tmpdir) as tmp:
        workdir = Path(tmp)
        stamps_path, origin = prepare_stamps(args, workdir)
        n = len(StampSet(stamps_path))
        seconds, feats = benchmark(stamps_path, workdir, args)
        build = model_build_seconds(args.weights)  # warm, after the runs
    rates = summarise(seconds, n, args.statistic)
    result = {
        "n": n,
        "origin": origin,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "statistic": args.statistic,
        "threads": threads,
        "cpu": cpu_info(),
        "loader": "keras.utils.image_dataset_from_directory (PIL PNG writing)",
        "model_build_s": build,
        "methods": rates,
        "features_a_vs_b": difference(feats["hdf5-f32"], feats["png"]),
        "features_c_vs_b": difference(feats["hdf5-f32"], feats["hdf5-bf16"]),
        "targets": targets(rates),
        "versions": versions(),
    }
    print_report(result)
    if args.json:
        write_json(args.json, result)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
