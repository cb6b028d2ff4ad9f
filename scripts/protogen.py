"""Generate the Python code of Botify's event schemas, or check that the committed code is fresh.

    python scripts/protogen.py            # regenerate libs/core/src/botify_core/proto from proto/
    python scripts/protogen.py --check    # exit 1 and list the stale files when regenerating would change them

The generated modules are committed so that installing Botify needs no protobuf compiler; this script and the
test that runs `--check` keep them honest.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "libs" / "core" / "src" / "botify_core" / "proto"
PACKAGE_DOC = '"""Generated protobuf modules (scripts/protogen.py); do not edit."""\n'


def generate(proto_dir: Path, out_dir: Path) -> list[Path]:
    """Compile every .proto under proto_dir into out_dir; return the generated files, relative to out_dir."""
    from grpc_tools import protoc  # type: ignore[import-untyped]  # dev dependency: only regeneration needs it

    sources = sorted(proto_dir.rglob("*.proto"))
    if not sources:
        raise SystemExit(f"no .proto files under {proto_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    args = ["protoc", f"-I{proto_dir}", f"--python_out={out_dir}", f"--pyi_out={out_dir}"]
    args += [str(s.relative_to(proto_dir)) for s in sources]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed; see the messages above")
    for folder in {out_dir, *(p.parent for p in out_dir.rglob("*_pb2.py"))}:
        while True:
            (folder / "__init__.py").write_text(PACKAGE_DOC)
            if folder == out_dir:
                break
            folder = folder.parent
    return sorted(p.relative_to(out_dir) for p in out_dir.rglob("*") if p.is_file())


def stale_files(proto_dir: Path, committed: Path) -> list[str]:
    """Names of the generated files that differ from, or are missing in, the committed folder."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(proto_dir, Path(tmp))
        stale = [str(rel) for rel in fresh if not (committed / rel).is_file()
                 or not filecmp.cmp(Path(tmp) / rel, committed / rel, shallow=False)]
    committed_files = {str(p.relative_to(committed)) for p in committed.rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts}
    extra = sorted(committed_files - {str(rel) for rel in fresh})
    return stale + [f"{name} (no longer generated)" for name in extra]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the committed code is fresh")
    parser.add_argument("--proto-dir", type=Path, default=PROTO_DIR)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    if args.check:
        stale = stale_files(args.proto_dir, args.out_dir)
        if stale:
            print("generated protobuf code is stale; run `make proto` and commit:", *stale, sep="\n  ")
            return 1
        print("generated protobuf code is fresh")
        return 0
    for rel in generate(args.proto_dir, args.out_dir):
        print(args.out_dir / rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
