"""Throughput of VGG-16 feature extraction: every engine against TensorFlow and the machine's GEMM rate.

Run from the repository root (all paths below are its defaults):

    .venv/bin/python benchmarks/features_throughput.py --n 1024 --repeats 3 \\
        --json benchmarks/features_throughput.json

or on a workflow stamp set instead of freshly simulated stamps:

    .venv/bin/python benchmarks/features_throughput.py \\
        --stamps RUN/results/stamps/parametric/sigma15/real0.h5 --n 1024 --repeats 3

In one process, on the same N stamps read from the same HDF5 file, it first measures the
machine's float32 GEMM rate (numpy, every available core), then times each path from
stamps on disk to features on disk:

  png                 the paper's pipeline: 8-bit PNG files, keras image_dataset_from_directory,
                      TensorFlow VGG-16 (float32), np.save
  tensorflow/float32  blendhunter.network.features.write_features with the Keras model (the reference)
  tensorflow/bfloat16 the same under Keras mixed_bfloat16
  onnxruntime/float32 the same model exported to ONNX, run by ONNX Runtime
  onnxruntime/int8    the ONNX model after static int8 quantization (calibrated on 256 of the stamps)
  openvino/float32    the ONNX model in OpenVINO (LATENCY hint), only if openvino is installed

Model building, export and quantization are done once, before timing (a workflow does them
once per weights file). For each path: stamps/s, GFLOP/s-equivalent (2.52 GFLOP per 65x65
stamp), ratio to tensorflow/float32 and to the GEMM rate, and the feature difference to
tensorflow/float32. Targets: the default engine >= 1.35x tensorflow/float32
(stretch 2x). It prints PASS or MISS and always exits 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime
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

from blendhunter.io import versions, write_json
from blendhunter.network import engine, features
from blendhunter.network.machine import available_cores, cpu_info
from blendhunter.simulation import splits
from blendhunter.simulation.stamps import StampSet, write_images

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WEIGHTS = (ROOT / "../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5").resolve()
CLASS_DIRS = ("isolated", "blended")  # label 0, label 1 (the project's convention)
GFLOP_PER_STAMP = 2.52  # VGG-16 conv base at 65x65x3 (multiply-adds x 2)
REFERENCE = "tensorflow/float32"
DEFAULT = "onnxruntime/float32"  # config/config.yaml's features.engine and precision
TARGET_RATIO, STRETCH_RATIO = 1.35, 2.0


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
    from blendhunter.simulation import simulate, stamps
    from blendhunter.workflow import config

    cfg = config.load(ROOT / "config/config.yaml", ROOT / "config/offline.yaml")
    catalogue = cfg["resources"]["cosmos_parametric"]
    directory = (ROOT / catalogue["path"]).resolve()  # offline paths are relative to the repo root
    source = simulate.GalaxySource(str(directory), catalogue["file_name"], "parametric", seed=cfg["seed"])
    section = cfg["parametric"]
    labels, split = splits.labels_and_split(
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


# --- the paths -------------------------------------------------------------------------


def gemm_gflops(size: int = 2048, repeats: int = 5) -> float:
    """Best float32 matrix-multiply rate of numpy on this machine, GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = (rng.random((size, size), dtype=np.float32) for _ in range(2))
    a @ b  # warm-up
    best = min(_seconds(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _seconds(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


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


def run_png(model, stamps_path: Path, out_dir: Path, batch_size: int) -> np.ndarray:
    """The paper's path: stamps -> PNG files -> directory loader -> VGG-16 -> .npy."""
    stamp_set = StampSet(stamps_path)
    write_pngs(stamp_set, out_dir / "png", batch_size)
    dataset, order = png_dataset(out_dir / "png", batch_size)
    found = np.concatenate([np.asarray(model(x), dtype=np.float32) for x, _ in dataset])
    np.save(out_dir / "features.npy", found)
    result = np.empty_like(found)
    result[order] = found
    return result


def run_engine(infer, stamps_path: Path, out_dir: Path, batch_size: int) -> np.ndarray:
    """The project's path: StampSet HDF5 -> write_features(engine) -> HDF5 features."""
    out = out_dir / "features.h5"
    features.write_features(StampSet(stamps_path), out, infer, "png", batch_size, attrs={})
    return out


def openvino_infer(onnx_path: Path, threads: int):
    import openvino as ov

    core = ov.Core()
    compiled = core.compile_model(
        str(onnx_path), "CPU", {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads}
    )
    return lambda x: compiled(x)[0]


def build_paths(args: argparse.Namespace, workdir: Path, stamps_path: Path, threads: int) -> dict:
    """Every path's inference function, built (exported, quantized) before any timing."""
    weights = workdir / "vgg16_notop.h5"
    shutil.copy(args.weights, weights)
    exported = engine.model_paths(weights)
    engine.export_onnx(weights, exported["float32"])
    stamp_set = StampSet(stamps_path)
    calibration = features.preprocess(stamp_set.images(stamp_set.indices()[:256]), "png")
    engine.quantize_int8(exported["float32"], calibration, exported["int8"])
    paths = {
        "png": engine.load("tensorflow", weights, "float32", threads),
        REFERENCE: engine.load("tensorflow", weights, "float32", threads),
        "tensorflow/bfloat16": engine.load("tensorflow", weights, "bfloat16", threads),
        "onnxruntime/float32": engine.load("onnxruntime", weights, "float32", threads),
        "onnxruntime/int8": engine.load("onnxruntime", weights, "int8", threads),
    }
    try:
        paths["openvino/float32"] = openvino_infer(exported["float32"], threads)
    except ImportError:
        logging.info("openvino is not installed: no openvino row")
    return paths


def timed_run(name: str, infer, stamps_path: Path, workdir: Path, args, tag: str):
    """Seconds of one run and its features (read back outside the timing)."""
    out_dir = workdir / f"{name.replace('/', '-')}-{tag}"
    out_dir.mkdir()
    start = time.perf_counter()
    if name == "png":
        result = run_png(infer, stamps_path, out_dir, args.batch_size)
    else:
        result = run_engine(infer, stamps_path, out_dir, args.batch_size)
    seconds = time.perf_counter() - start
    if isinstance(result, Path):
        result = features.read_features(result)[0]
    shutil.rmtree(out_dir)
    return seconds, result


def benchmark(paths: dict, stamps_path: Path, workdir: Path, args: argparse.Namespace):
    """Warm-up, then `repeats` rounds in rotating order; seconds per path and last features."""
    names = list(paths)
    seconds = {name: [] for name in names}
    feats = {}
    for name in names:
        logging.info("warm-up: %s", name)
        timed_run(name, paths[name], stamps_path, workdir, args, "warmup")
    for k in range(args.repeats):
        for name in names[k % len(names) :] + names[: k % len(names)]:
            elapsed, feats[name] = timed_run(name, paths[name], stamps_path, workdir, args, str(k))
            seconds[name].append(elapsed)
            logging.info("run %d %s: %.2f s", k + 1, name, elapsed)
    return seconds, feats


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


def summarise(seconds: dict, feats: dict, n: int, statistic: str, gemm: float) -> dict:
    pick = min if statistic == "best" else statistics.median
    rates = {name: n / pick(times) for name, times in seconds.items()}
    return {
        name: {
            "seconds": seconds[name],
            "stamps_per_s": rate,
            "gflops": rate * GFLOP_PER_STAMP,
            "ratio_to_tensorflow": rate / rates[REFERENCE],
            "ratio_to_gemm": rate * GFLOP_PER_STAMP / gemm,
            "features_vs_tensorflow": difference(feats[REFERENCE], feats[name]),
        }
        for name, rate in rates.items()
    }


def targets(paths: dict) -> dict:
    ratio = paths[DEFAULT]["ratio_to_tensorflow"]
    best = max(paths, key=lambda name: paths[name]["ratio_to_tensorflow"])
    return {
        f"default ({DEFAULT}) >= {TARGET_RATIO:g} x {REFERENCE}": ratio >= TARGET_RATIO,
        f"stretch: fastest ({best}) >= {STRETCH_RATIO:g} x {REFERENCE}": paths[best]["ratio_to_tensorflow"]
        >= STRETCH_RATIO,
    }


def print_report(result: dict) -> None:
    cpu = result["cpu"]
    flags = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in cpu["flags"].items())
    print(f"\nCPU: {cpu['model']}; {cpu['cores']} cores available; {result['threads']} threads")
    print(f"flags: {flags}")
    print(f"stamps: {result['n']} x 65x65, {result['origin']}; batch {result['batch_size']}")
    print(f"numpy float32 GEMM: {result['gemm_gflops']:.0f} GFLOP/s")
    print(f"\n{result['statistic']} of {result['repeats']} timed run(s) after one warm-up:")
    columns = ("stamps/s", 9), ("GFLOP/s", 8), ("vs TF", 6), ("vs GEMM", 8), ("max rel", 9), ("rms rel", 9)
    print(f"{'path':<22} " + " ".join(f"{name:>{width}}" for name, width in columns))
    for name, row in result["paths"].items():
        d = row["features_vs_tensorflow"]
        print(
            f"{name:<22} {row['stamps_per_s']:9.1f} {row['gflops']:8.0f} {row['ratio_to_tensorflow']:5.2f}x "
            f"{row['ratio_to_gemm']:7.2f}x {d['max_rel']:9.2g} {d['rms_rel']:9.2g}"
        )
    print("(max rel: max |d| / max |f|; rms rel: rms(d) / rms(f); f = tensorflow/float32 features)")
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
    gemm = gemm_gflops()
    with tempfile.TemporaryDirectory(prefix="bh-features-bench-", dir=args.tmpdir) as tmp:
        workdir = Path(tmp)
        stamps_path, origin = prepare_stamps(args, workdir)
        n = len(StampSet(stamps_path))
        paths = build_paths(args, workdir, stamps_path, threads)
        seconds, feats = benchmark(paths, stamps_path, workdir, args)
    rows = summarise(seconds, feats, n, args.statistic, gemm)
    result = {
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["python benchmarks/features_throughput.py", *(argv or sys.argv[1:])]),
        "n": n,
        "origin": origin,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "statistic": args.statistic,
        "threads": threads,
        "cpu": cpu_info(),
        "gemm_gflops": gemm,
        "gflop_per_stamp": GFLOP_PER_STAMP,
        "paths": rows,
        "targets": targets(rows),
        "versions": versions(),
    }
    print_report(result)
    if args.json:
        write_json(args.json, result)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
