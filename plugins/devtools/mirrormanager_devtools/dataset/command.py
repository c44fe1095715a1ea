"""``mirrormanager dataset --scale small|fedora [--seed N]``: its arguments (light: building the
command line imports no generator) and its run, which loads the dataset into the store."""

from __future__ import annotations

import argparse

from mirrormanager_devtools.dataset.scales import SCALES
from mmcore.commands import CliCommand, CommandContext, CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", choices=sorted(SCALES), required=True,
                        help="small (~1/100 of Fedora, for tests) or fedora (~5M host "
                             "category directories)")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed; the same seed gives the same database (default 1)")


def run(ctx: CommandContext, args: argparse.Namespace) -> int:
    from mirrormanager_devtools.dataset.load import DatasetRefused, load_dataset
    from mmcore.store import StoreError

    store = ctx.open_store()
    try:
        report = load_dataset(store, SCALES[args.scale], args.seed, ctx.err)
    except (DatasetRefused, StoreError) as exc:
        raise CommandError(str(exc)) from exc
    print(report.summary(), file=ctx.out)
    return 0


DATASET_COMMAND = CliCommand(
    path=("dataset",),
    help="fill an empty database with a synthetic deployment (for tests and benchmarks)",
    run=run,
    configure=configure,
)
