"""BlendHunter: blended-galaxy identification with transfer learning.

The workflow's reusable logic; the Snakemake rules are thin wrappers around it.
"""

__version__ = "0.1.0"
