"""BlendHunter: blended-galaxy identification with transfer learning.

The workflow's reusable logic; the Snakemake rules are thin wrappers around it.
"""

__version__ = "0.1.0"


def lazy_exports(package: str, modules: tuple, api: dict):
    """A subpackage's module `__getattr__`: its modules and API names, imported on first
    use, so that importing one module of a concern does not import all of it."""
    import importlib

    def __getattr__(name: str):
        if name in modules:
            return importlib.import_module(f"{package}.{name}")
        if name in api:
            return getattr(importlib.import_module(f"{package}.{api[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
