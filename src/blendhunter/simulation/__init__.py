"""The simulated data: noiseless stamps of isolated and blended galaxies, their noisy
sets, and the splits and random streams that make them reproducible (paper Sect. 2).

    psf        the CFIS-like PSF (Moffat optics x Kolmogorov atmosphere)
    seeds      every random stream, derived from the one config seed
    simulate   parametric and realistic (COSMOS) stamps, centring offsets
    splits     blend labels, train/validation/test splits, chunking
    stamps     the HDF5 stamp files: chunks, masters, noisy sets
"""

from blendhunter import lazy_exports

MODULES = ("psf", "seeds", "simulate", "splits", "stamps")
# The API, imported on first use: a light import for the Snakefile and the CLI.
API = {
    "draw_chunk": "simulate",
    "GalaxySource": "simulate",
    "StampSet": "stamps",
    "read_meta": "stamps",
    "noise": "stamps",
    "labels_and_split": "splits",
    "members": "splits",
    "chunk_bounds": "splits",
}
__all__ = [*MODULES, *API]

__getattr__ = lazy_exports(__name__, MODULES, API)
