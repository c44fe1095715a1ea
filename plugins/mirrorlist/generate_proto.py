"""Generate the Python bindings of proto/mirrormanager.proto.

Usage (from the repository root):

    .venv/bin/python plugins/mirrorlist/generate_proto.py [--out DIR]

Writes ``mirrormanager_pb2.py`` and ``mirrormanager_pb2.pyi`` into DIR (default: the
``mirrormanager_mirrorlist`` package next to this script). The output depends only on the
.proto file and the grpcio-tools version, so the committed bindings can be checked by
regenerating them into a temporary directory and comparing (tests/mirrorlist).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO_DIR = HERE.parent.parent / "proto"
PROTO_NAME = "mirrormanager.proto"
DEFAULT_OUT = HERE / "mirrormanager_mirrorlist"
GENERATED_NAMES = ("mirrormanager_pb2.py", "mirrormanager_pb2.pyi")


def generate(out_dir: Path, proto_dir: Path = PROTO_DIR) -> list[Path]:
    """Run protoc (from grpcio-tools) on the schema; return the written files."""
    from grpc_tools import protoc

    out_dir.mkdir(parents=True, exist_ok=True)
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"--proto_path={proto_dir}",
            f"--python_out={out_dir}",
            f"--pyi_out={out_dir}",
            str(proto_dir / PROTO_NAME),
        ]
    )
    if status != 0:
        raise RuntimeError(f"protoc failed with status {status}")
    return [out_dir / name for name in GENERATED_NAMES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
