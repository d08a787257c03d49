"""The machine a measurement was taken on: CPU model, usable cores, and the
instruction-set flags that decide which kernels are fast (bundles, benchmarks)."""

from __future__ import annotations

import os
from pathlib import Path

CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cpu_info() -> dict:
    """CPU model, available cores and the flags that decide which kernels are fast."""
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


def has_int8_dot(info: dict | None = None) -> bool:
    """Whether the CPU has VNNI, the 8-bit dot product that makes int8 inference fast.
    Without it ONNX Runtime's int8 VGG-16 ran no faster than float32 and its u8s8 kernels
    may saturate (docs/performance.md)."""
    flags = (info or cpu_info())["flags"]
    return flags.get("avx512_vnni", False) or flags.get("avx_vnni", False)
