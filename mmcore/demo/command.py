"""``mirrormanager demo``: build a master tree and mirror copies, serve the copies on loopback,
then run the real pipeline -- db upgrade, import, umdl, crawl, cache write -- through the same
commands an operator uses, and serve the list server and the web UI until interrupted."""

from __future__ import annotations

import argparse
import io
import shutil
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import attrs
import httpx
import trio

from mmcore.commands import CommandError, UsageError
from mmcore.frontend import ServeControl
from mmcore.runtime import Runtime
from mmcore.demo import loopback
from mmcore.demo.scenario import (
    MIRRORS,
    TREE,
    Ports,
    config_toml,
    deployment_toml,
    repository_paths,
)
from mmcore.mastertree import MasterTree, generate_master_tree, make_mirror

MARKER = ".mirrormanager-demo"
STEP_TIMEOUT = 300.0


def prepare_directory(directory: Path) -> None:
    """Use ``directory`` for a fresh demo: create it, or clear what an earlier demo left there.
    A non-empty directory that no demo made is refused, never emptied."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise UsageError(f"{directory} is not empty and was not made by a demo; choose --dir")
        for child in directory.iterdir():
            if child.name != MARKER:
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by mirrormanager demo; its content is replaced\n")


def build_mirrors(tree: MasterTree, mirrors_dir: Path) -> dict[str, Path]:
    roots = {}
    for mirror in MIRRORS:
        roots[mirror.name] = make_mirror(
            tree.root,
            mirrors_dir / mirror.name,
            stale=repository_paths(tree, mirror.stale),
            missing=repository_paths(tree, mirror.missing),
            hardlink=True,
        )
    return roots


@attrs.frozen
class Step:
    title: str
    argv: tuple[str, ...]


def pipeline(config: Path, deployment: Path) -> list[Step]:
    c = ("--config", str(config))
    return [
        Step("create the database", (*c, "db", "upgrade")),
        Step("register sites, hosts and categories", (*c, "import", str(deployment))),
        Step("scan the master tree", (*c, "umdl")),
        Step("crawl the mirrors", (*c, "crawl")),
        Step("write the mirrorlist cache", (*c, "cache", "write")),
    ]


async def run_step(step: Step, log: TextIO) -> str:
    """Run one ``mirrormanager`` command in a worker thread (it runs its own trio loop there)."""
    from mmcore.cli import main

    out, err = io.StringIO(), io.StringIO()
    print(f"demo: {step.title}: mirrormanager {' '.join(step.argv[2:])}", file=log, flush=True)
    with trio.fail_after(STEP_TIMEOUT):
        code = await trio.to_thread.run_sync(lambda: main(list(step.argv), out=out, err=err))
    if code != 0:
        raise CommandError(
            f"demo step '{step.title}' failed (exit {code}):\n{err.getvalue()}{out.getvalue()}"
        )
    return out.getvalue()


def demo_repositories(tree: MasterTree) -> list[tuple[str, str]]:
    return sorted({(repo.prefix, repo.arch) for repo in tree.repositories})


async def availability_table(
    mirrorlist_url: str, repositories: Sequence[tuple[str, str]], crawl_report: str
) -> str:
    """Which mirror the list server offers for which repository, from its own answers, and the
    crawler's word on each host."""
    offered: dict[tuple[str, str], set[str]] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for repo, arch in repositories:
            response = await client.get(f"{mirrorlist_url}/mirrorlist", params={"repo": repo, "arch": arch})
            names = set()
            for line in response.text.splitlines():
                if line and not line.startswith("#"):
                    # http://127.0.0.1:PORT/<mirror>/... or ftp://.../<mirror>/...
                    names.add(line.split("/", 4)[3])
            offered[(repo, arch)] = names
    crawl_lines = {
        line.split()[1]: " ".join(line.split()[2:])
        for line in crawl_report.splitlines()
        if line.startswith("  ") and len(line.split()) > 2
    }
    width = max(len(repo) for repo, _ in repositories) + 2
    header = f"{'mirror':<22}{'state':<16}" + "".join(f"{repo:<{width}}" for repo, _ in repositories)
    lines = [header + "crawl"]
    for mirror in MIRRORS:
        cells = "".join(
            f"{('listed' if mirror.name in offered[key] else '-'):<{width}}" for key in repositories
        )
        lines.append(f"{mirror.host:<22}{mirror.state:<16}{cells}{crawl_lines.get(mirror.host, '')}")
    return "\n".join(lines)


async def run_demo(
    runtime: Runtime, directory: Path, listen: str, out: TextIO, log: TextIO
) -> None:
    prepare_directory(directory)
    print(f"demo: generating a master tree in {directory / 'master'}", file=log, flush=True)
    tree = await trio.to_thread.run_sync(generate_master_tree, directory / "master", TREE)
    roots = await trio.to_thread.run_sync(build_mirrors, tree, directory / "mirrors")
    frontends = {frontend.name: frontend for frontend in runtime.collect("mm_frontends")}
    missing = {"mirrorlist", "ui"} - frontends.keys()
    if missing:
        raise CommandError(f"the demo needs the frontends {sorted(missing)}; install their plugins")

    demo_runtime: Runtime | None = None
    async with trio.open_nursery() as nursery:
        http_port = await loopback.serve_http(nursery, roots)
        async with loopback.serving_ftp(directory / "mirrors") as ftp_port, loopback.serving_rsync(
            roots, directory / "var" / "rsyncd"
        ) as rsync_port:
            ports = Ports(http=http_port, ftp=ftp_port, rsync=rsync_port, down=loopback.free_port())
            config_path = directory / "mirrormanager.toml"
            config_path.write_text(config_toml(directory, tree, listen))
            deployment = directory / "deployment.toml"
            deployment.write_text(deployment_toml(tree, ports))
            crawl_report = ""
            for step in pipeline(config_path, deployment):
                output = await run_step(step, log)
                if step.argv[2] == "crawl":
                    crawl_report = output
                    log.write(output)

            from mmcore.config import load_config
            from mmcore.cli import collect_config_sections

            config = load_config(config_path, collect_config_sections(runtime.plugin_manager))
            demo_runtime = Runtime(config, runtime.plugin_manager, out=out, err=log)
            control, _reloads = ServeControl.open()
            stop = control.stop
            started = {}
            for name in ("mirrorlist", "ui"):
                started[name] = await nursery.start(
                    lambda task_status, f=frontends[name]: f.serve(
                        demo_runtime, overrides={}, control=control, task_status=task_status
                    )
                )
            repositories = demo_repositories(tree)
            mirrorlist_url = started["mirrorlist"].url.rstrip("/")
            print(await availability_table(mirrorlist_url, repositories, crawl_report), file=out)
            print(f"ui: {started['ui'].url.rstrip('/')}/", file=out)
            for repo, arch in repositories:
                print(f"mirrorlist: {mirrorlist_url}/mirrorlist?repo={repo}&arch={arch}", file=out)
                print(f"metalink: {mirrorlist_url}/metalink?repo={repo}&arch={arch}", file=out)
            out.flush()
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for signum in signals:
                    print(f"demo: {signal.Signals(signum).name}, stopping", file=log, flush=True)
                    break
            stop.set()
            with trio.move_on_after(10) as scope:
                scope.shield = True
                await trio.sleep(0)  # let the frontends see ``stop``
            nursery.cancel_scope.cancel()
    if demo_runtime is not None:
        demo_runtime.close()


def run(runtime: Runtime, args: argparse.Namespace) -> int:
    directory = Path(args.dir).resolve()
    try:
        trio.run(run_demo, runtime, directory, args.listen, runtime.out, runtime.err)
    except loopback.ServerStartError as exc:
        raise CommandError(str(exc)) from None
    print("demo: stopped", file=runtime.err)
    return 0
