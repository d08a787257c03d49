"""Re-centring cutouts on their source's light (`classify --recentre`, `classify-image`).

Every model was trained on stamps whose central galaxy sits on the centre pixel (the
paper's stamps; `parametric.centring` adds errors to training sets). Real cutouts are centred
on a catalogue position from another band, a WCS, or a detection's pixel: off by a
pixel or more, which the heads call blended. Here each source's windowed centroid (SEP's
`winpos`, SExtractor's XWIN: a Gaussian window iterated to the light's centre) is found
near the given position, and the cutout is shifted, by a phase shift of its Fourier
transform (white noise stays white, with its sigma), to put that centroid on the centre
pixel. A shift longer than MAX_SHIFT means the position matched no source's light
closely: the row keeps its position and is flagged `centring`.
"""

from __future__ import annotations

import numpy as np

WINDOW_SIGMA = 1.0  # px: SEP's window: converges from 2 px off; a wider one is pulled to close companions
MAX_SHIFT = 3.0  # px: a farther centroid is another source, or none


def windowed_centroids(data: np.ndarray, x, y, sigma: float = WINDOW_SIGMA):
    """(x, y, ok) of the windowed centroid of each position (0-based) on a background-free image."""
    import sep

    data = np.ascontiguousarray(np.nan_to_num(data), dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    cx, cy, flag = sep.winpos(data, x, y, np.full(len(x), sigma))
    ok = (flag == 0) & np.isfinite(cx) & np.isfinite(cy) & (np.hypot(cx - x, cy - y) <= MAX_SHIFT)
    return np.where(ok, cx, x), np.where(ok, cy, y), ok


def fourier_shift(stamps: np.ndarray, dx, dy) -> np.ndarray:
    """Stamps (n, s, s) moved by (dx, dy) px each (content at x goes to x + dx), periodically."""
    stamps = np.asarray(stamps, dtype=np.float64)
    ky = np.fft.fftfreq(stamps.shape[1])[None, :, None]
    kx = np.fft.rfftfreq(stamps.shape[2])[None, None, :]
    dx = np.asarray(dx, dtype=np.float64).reshape(-1, 1, 1)
    dy = np.asarray(dy, dtype=np.float64).reshape(-1, 1, 1)
    phase = np.exp(-2j * np.pi * (kx * dx + ky * dy))
    return np.fft.irfft2(np.fft.rfft2(stamps) * phase, s=stamps.shape[1:]).astype(np.float32)


def recentre_stamps(stamps: np.ndarray):
    """(stamps with their central source's light on the centre pixel, shift_x, shift_y, ok):
    the windowed centroid found from the centre pixel; rows where none is found within
    MAX_SHIFT are returned unchanged with ok False."""
    stamps = np.asarray(stamps, dtype=np.float32)
    centre = (stamps.shape[1] - 1) / 2
    cx = np.full(len(stamps), centre)
    cy = np.full(len(stamps), centre)
    ok = np.zeros(len(stamps), bool)
    for i, stamp in enumerate(stamps):
        found = windowed_centroids(stamp - np.median(stamp), [centre], [centre])
        cx[i], cy[i], ok[i] = found[0][0], found[1][0], found[2][0]
    shift_x, shift_y = cx - centre, cy - centre
    moved = fourier_shift(stamps, -shift_x, -shift_y)
    return np.where(ok[:, None, None], moved, stamps), shift_x, shift_y, ok
