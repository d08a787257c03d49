"""python -m blendhunter.maintainer {docs,bundle,summary,projection,export-model}: the
maintainers' one command (see the package docstring)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path.cwd()


def _machine(text: str) -> tuple[str, int, int, float]:
    """NAME:NODESxCORES[+OVERHEAD], e.g. laptop:1x2 or cluster:8x32+30."""
    match = re.fullmatch(r"([\w.-]+):(\d+)x(\d+)(?:\+(\d+(?:\.\d+)?))?", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME:NODESxCORES[+OVERHEAD_S]")
    name, nodes, cores, overhead = match.groups()
    return name, int(nodes), int(cores), float(overhead or 0)


def docs(args) -> int:
    from blendhunter.maintainer.docs import regenerate

    stale = regenerate(REPO, check=args.check)
    for path in stale:
        print(f"{path.relative_to(REPO)}: {'out of date' if args.check else 'rewritten'}")
    return 1 if stale and args.check else 0


def bundle(args) -> int:
    from blendhunter.maintainer import publish

    publish.bundle(args.tables, args.bundle, args.configfile, args.command, args.wall_seconds)
    sys.stdout.write(publish.summary(args.tables))
    return 0


def summary(args) -> int:
    from blendhunter.maintainer import publish

    sys.stdout.write(publish.summary(args.tables))
    return 0


def projection(args) -> int:
    import pandas as pd

    from blendhunter.workflow import config as bh_config
    from blendhunter.workflow import projection as proj
    from blendhunter.workflow.jobgraph import campaign_jobs

    table = pd.concat([pd.read_csv(path) for path in args.benchmarks], ignore_index=True)
    if args.time == "cpu":
        table = proj.cpu_time_table(table)
    config = bh_config.load(*args.config)
    epochs = args.epochs if args.epochs is not None else config["training"]["max_epochs"]
    dag_jobs, units = campaign_jobs(args.snakefile, configfiles=tuple(args.config), workdir=Path.cwd())
    fits = proj.fit_rules(table)
    jobs, unmeasured = proj.target_jobs(fits, dag_jobs, units, config, epochs)
    per_rule, walls = proj.project(jobs, fits, args.machine or [("this", 1, 2, 0.0)])
    if args.csv:
        per_rule.merge(walls.iloc[[0]][["machine", "wall_hours"]], how="cross").to_csv(args.csv, index=False)
    pd.set_option("display.width", 200)
    print(per_rule.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print()
    print(walls.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    if unmeasured:
        print(f"\nnot in the roll-ups, left out of the projection: {', '.join(unmeasured)}")
    return 0


def export_model(args) -> int:
    from blendhunter import shipped

    out_root = args.out or Path(shipped.__file__).parent / "models"
    out = shipped.export(args.name, args.model_dir, args.bundle, out_root, args.recommended, args.note)
    print(shipped.describe(args.name) if out.parent == shipped.folder() else out)
    return 0


def parser() -> argparse.ArgumentParser:
    from blendhunter.workflow import layout

    top = argparse.ArgumentParser(prog="python -m blendhunter.maintainer", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    cmd = commands.add_parser("docs", help="rewrite every generated section from the committed bundles")
    cmd.add_argument("--check", action="store_true", help="only check: exit 1 when a section is stale")
    cmd.set_defaults(run=docs)

    cmd = commands.add_parser("bundle", help="copy a finished campaign's tables and figures, with a MANIFEST")
    cmd.add_argument("tables", type=Path, help="the campaign's results/tables")
    cmd.add_argument("bundle", type=Path, help="the folder to write, e.g. docs/default")
    cmd.add_argument("--configfile", type=Path, nargs="+", default=[], help="the run's config files")
    cmd.add_argument("--command", default="", help="the command that made the campaign")
    cmd.add_argument("--wall-seconds", type=float, default=0.0, help="its wall time")
    cmd.set_defaults(run=bundle)

    cmd = commands.add_parser("summary", help="a campaign's tables as Markdown")
    cmd.add_argument("tables", type=Path, help="results/tables or a bundle's tables")
    cmd.set_defaults(run=summary)

    cmd = commands.add_parser("projection", help="a campaign's cost projected from measured benchmarks")
    cmd.add_argument("--benchmarks", nargs="+", default=[layout.BENCHMARKS], help="roll-up CSV(s)")
    cmd.add_argument(
        "--config", nargs="+", required=True, help="target config files, merged like --configfile"
    )
    cmd.add_argument("--snakefile", default="Snakefile", help="the workflow (default: ./Snakefile)")
    cmd.add_argument("--epochs", type=float, default=None, help="epochs per head (default: max_epochs)")
    cmd.add_argument(
        "--machine",
        type=_machine,
        action="append",
        help="NAME:NODESxCORES[+OVERHEAD_S per job], repeatable (default this:1x2)",
    )
    cmd.add_argument("--csv", type=Path, help="also write the per-rule projection here")
    cmd.add_argument(
        "--time",
        choices=("wall", "cpu"),
        default="wall",
        help="job time: measured wall seconds, or CPU seconds / threads (a busy machine's wall "
        "times include waiting for a core)",
    )
    cmd.set_defaults(run=projection)

    cmd = commands.add_parser("export-model", help="a workflow head as a shipped model")
    cmd.add_argument("name")
    cmd.add_argument("model_dir", type=Path)
    cmd.add_argument("bundle", type=Path, help="the committed bundle of the head's campaign")
    cmd.add_argument("--out", type=Path, help="default: the package's models folder")
    cmd.add_argument("--recommended", action="store_true")
    cmd.add_argument("--note", default="")
    cmd.set_defaults(run=export_model)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
