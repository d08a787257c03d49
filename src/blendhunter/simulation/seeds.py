"""Every random stream of the workflow, derived from the one config seed.

Each stamp has its own stream keyed by (seed, stream, index), so a stamp is
the same whatever chunk draws it, and each noisy set has its own stream keyed
by (seed, sigma, realisation, index), so any set can be rebuilt alone.
"""

from __future__ import annotations

import numpy as np

# Stream identifiers: never renumber, or old results stop being reproducible.
PARAMETRIC = 1
REALISTIC = 2
SPLIT = 3
NOISE = 4
AUGMENT = 5
TRAINING = 6
GALAXY_NOISE_PAD = 7  # noise padding of real COSMOS galaxy images
CALIBRATION = 8  # noise of the int8 calibration stamps
LEARNING_CURVE = 9  # nested training subsets
RANDOM_WEIGHTS = 10  # the randomly initialised VGG-16 of the pre-training ablation
BOOTSTRAP = 11  # the bootstrap over real galaxies (comparison with SEP)
CENTRING = 12  # the central galaxy's offset from the centre pixel (parametric.centring, realistic.centring)
PSF_RANDOM = 13  # a training stamp's randomised PSF (parametric.psf_randomisation)

STREAMS = {"parametric": PARAMETRIC, "realistic": REALISTIC}


def sigma_key(sigma: float) -> int:
    """An integer key for a noise level (milli-counts), exact for config values."""
    return int(round(float(sigma) * 1000))


def generator(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *map(int, keys)])


def integer_seed(seed: int, *keys: int) -> int:
    """A 31-bit seed for libraries that take one integer (Keras, GalSim)."""
    state = np.random.SeedSequence([int(seed), *map(int, keys)]).generate_state(1)[0]
    return int(state) & 0x7FFFFFFF
