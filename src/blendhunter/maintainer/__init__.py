"""The maintainers' tools, not the user's: they write what is committed (the generated parts
of the README and docs, campaign bundles, shipped models) and project a campaign's cost.
One command with subcommands, `python -m blendhunter.maintainer --help`, behind make targets:

    make docs         every generated section, rewritten from the committed bundles
    make docs-check   the same, only checked (a test does it too)
    make bundle TABLES=results/tables BUNDLE=docs/default CONFIG=...   a finished campaign

    publish        bundle summaries and the generated Markdown sections
    docs           which file holds which generated section, and from which bundles
    config_readme  config/README.md from the schema
    surveys        docs/surveys.md's tables: the presets and the proof on survey-like images
"""
