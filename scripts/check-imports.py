#!/usr/bin/env python3
"""The import check `make lint` runs: Swift imports must follow Package.swift and the layer order.

Sotto's modules are stacked in layers (docs/architecture.md, "Layers and modules"). This script reads the
package's targets from `swift package dump-package` (the main package with its fuzz targets, and the
Benchmarks package) and every `import` line of their Swift files, and fails when

  (a) a file imports a module of this package that its target does not list as a dependency in
      Package.swift (directly: a module that only comes in through another dependency does not count);
  (b) a module imports a module the layer order forbids;
  (c) Package.swift itself lists such a dependency.

Each finding is one line, `FILE:LINE: X may not import Y (reason)`, and the exit status is 1. The layer
table below is the rule; change it together with docs/architecture.md, never with a per-file exception.

Needs python3 (standard library only) and the Swift toolchain.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# --- The layer table -------------------------------------------------------------------------------------
#
# Layers from the bottom up. A module may import modules of the layers below its own (`below`: all of them,
# or none for the pure-Swift wire formats) and of its own layer as `peers` says: "any", "none", or only the
# listed (importer, imported) pairs. C targets are found by rule, not by name: a target whose name starts
# with C and that is a system library or has no Swift sources. Tests, test tools, fuzz targets and
# benchmarks are found by where they live and sit on top: they may import anything below them.


@dataclass(frozen=True)
class Layer:
    name: str
    what: str
    members: frozenset[str]
    below: bool
    peers: str | frozenset[tuple[str, str]]


C = "C"
SUPPORT = "tests and tools"

# Engine modules import one another only along these edges.
ENGINE_EDGES = frozenset(
    {
        ("Proxy", "Media"),  # the proxy asks the media engine for sessions and legs
        ("Admin", "AdminProtocol"),  # the admin server speaks the protocol's wire types
        ("Media", "Recording"),  # the media loops write recorded payloads into the vault's capture rings
        ("Proxy", "Recording"),  # the proxy tells recording of calls (their parties and codecs)
        ("RecordingExport", "Recording"),  # the officer's export reads the vault's records
    }
)

LAYERS = [
    Layer(C, "C libraries and shims", frozenset(), below=False, peers="any"),
    Layer("wire", "wire formats, pure Swift", frozenset({"RTPWire", "SDP", "SIP"}), below=False, peers="any"),
    Layer("crypto", "crypto wrappers", frozenset({"SRTP", "TLS"}), below=True, peers="none"),
    Layer("I/O", "sockets and loops", frozenset({"Transport"}), below=True, peers="none"),
    Layer(
        "engine",
        "engines",
        frozenset({"Media", "Proxy", "Admin", "AdminProtocol", "SottoConfig", "Recording", "RecordingExport"}),
        below=True,
        peers=ENGINE_EDGES,
    ),
    Layer("executable", "executables", frozenset({"sotto", "sottoctl", "sotto-loadgen"}), below=True, peers="none"),
    Layer(SUPPORT, "tests, test tools, fuzz targets, benchmarks", frozenset(), below=True, peers="any"),
]

# Why some forbidden imports are forbidden, for the message (the rule above decides; these only explain).
EXPLAINED = {
    ("Media", "Proxy"): "Media never knows about SIP; the proxy drives media through MediaControl",
    ("Admin", "Media"): "Admin reads snapshots through AdminBackend, never a loop's state",
    ("Admin", "Proxy"): "Admin reads snapshots through AdminBackend, never a loop's state",
}

# Directories whose targets are tests and tools, relative to the package they belong to.
SUPPORT_DIRS = ("Tests", "Fuzz")

IMPORT = re.compile(
    r"^\s*(?:@[A-Za-z_]\w*(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|package|internal|fileprivate|private|open)\s+)?"
    r"import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?"
    r"([A-Za-z_]\w*)"
)


@dataclass
class Target:
    name: str
    kind: str  # system, regular, executable, test, ...
    package: str  # "main" or "benchmarks"
    directory: Path
    exclude: list[Path]
    sources: list[Path] | None
    dependencies: set[str] = field(default_factory=set)  # target names of this repository
    layer: Layer | None = None

    @property
    def module(self) -> str:
        return c99name(self.name)


def c99name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def find_swift(given: str | None) -> str:
    for candidate in (given, os.environ.get("SWIFT"), shutil.which("swift"), "/opt/swift/usr/bin/swift"):
        if candidate and (os.path.isabs(candidate) and os.access(candidate, os.X_OK) or shutil.which(candidate)):
            return candidate
    sys.exit("check-imports: no swift toolchain found (pass --swift PATH or put swift on PATH)")


def dump(swift: str, directory: Path, extra_env: dict[str, str]) -> dict:
    env = dict(os.environ, **extra_env)
    result = subprocess.run(
        [swift, "package", "dump-package"], cwd=directory, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"check-imports: swift package dump-package failed in {directory}:\n{result.stderr.strip()}")
    return json.loads(result.stdout)


def dependency_names(entry: dict, products: dict[str, list[str]], local: set[str], root_identity: str) -> list[str]:
    """The targets of this repository one dependency entry of the dump names."""
    (kind, value), = entry.items()
    if kind in ("byName", "target"):
        return [value[0]] if value[0] in local else []
    if kind == "product":
        name, package = value[0], value[1]
        if package == root_identity and name in products:
            return products[name]
    return []


def load_targets(root: Path, swift: str) -> tuple[list[Target], dict[str, int]]:
    """Every target of the main package (fuzz targets included) and of Benchmarks/, with its dependencies."""
    main = dump(swift, root, {"SOTTO_FUZZ": "1"})
    products = {p["name"]: p["targets"] for p in main["products"]}
    targets: list[Target] = []
    packages = [("main", root, main)]
    benchmarks_dir = root / "Benchmarks"
    if (benchmarks_dir / "Package.swift").exists():
        packages.append(("benchmarks", benchmarks_dir, dump(swift, benchmarks_dir, {})))
    lines: dict[str, int] = {}
    for package, directory, manifest in packages:
        local = {t["name"] for t in manifest["targets"]}
        identities = [
            spec["identity"]
            for dep in manifest.get("dependencies", [])
            for spec in dep.get("fileSystem", [])
            if Path(spec["path"]).resolve() == root.resolve()
        ]
        root_identity = identities[0] if identities else ""
        manifest_text = (directory / "Package.swift").read_text().splitlines()
        for raw in manifest["targets"]:
            name = raw["name"]
            kind = raw["type"]
            if raw.get("path"):
                target_dir = directory / raw["path"]
            else:
                target_dir = directory / ("Tests" if kind == "test" else "Sources") / name
            deps: set[str] = set()
            for entry in raw["dependencies"]:
                deps.update(dependency_names(entry, products, local, root_identity))
            target = Target(
                name=name,
                kind=kind,
                package=package,
                directory=target_dir,
                exclude=[target_dir / e for e in raw.get("exclude", [])],
                sources=[target_dir / s for s in raw["sources"]] if raw.get("sources") else None,
                dependencies=deps,
            )
            targets.append(target)
            lines[f"{package}:{name}"] = manifest_line(manifest_text, name)
    return targets, lines


def manifest_line(text: list[str], name: str) -> int:
    for number, line in enumerate(text, 1):
        if re.search(r'name:\s*"' + re.escape(name) + '"', line):
            return number
    return 1


def swift_files(target: Target) -> list[Path]:
    if not target.directory.is_dir():
        return []
    roots = target.sources if target.sources is not None else [target.directory]
    files: list[Path] = []
    for start in roots:
        candidates = [start] if start.is_file() else sorted(start.rglob("*.swift"))
        for path in candidates:
            if path.suffix == ".swift" and not any(path == e or e in path.parents for e in target.exclude):
                files.append(path)
    return files


def assign_layers(targets: list[Target], root: Path, lines: dict[str, int]) -> list[str]:
    """Puts each target in its layer; returns one problem per target the table does not place."""
    by_member = {member: layer for layer in LAYERS for member in layer.members}
    c_layer = next(layer for layer in LAYERS if layer.name == C)
    support = next(layer for layer in LAYERS if layer.name == SUPPORT)
    problems = []
    for target in targets:
        relative = target.directory.relative_to(root)
        if target.package == "benchmarks" or target.kind == "test" or relative.parts[0] in SUPPORT_DIRS:
            target.layer = support
        elif target.name.startswith("C") and (target.kind == "system" or not swift_files(target)):
            target.layer = c_layer
        elif target.name in by_member:
            target.layer = by_member[target.name]
        else:
            line = lines[f"{target.package}:{target.name}"]
            problems.append(
                f"Package.swift:{line}: target {target.name} has no layer: add it to the layer table in "
                f"scripts/check-imports.py and to docs/architecture.md"
            )
    return problems


def verdict(importer: Target, imported: Target) -> str | None:
    """Why `importer` may not import `imported` under the layer order, or None when it may."""
    order = [layer.name for layer in LAYERS]
    mine, theirs = importer.layer, imported.layer
    if mine is None or theirs is None:
        return None
    rank, other = order.index(mine.name), order.index(theirs.name)
    explained = EXPLAINED.get((importer.name, imported.name))
    if other > rank:
        return explained or f"{mine.name} sits below {theirs.name}: imports point down the layers only"
    if other == rank:
        if mine.peers == "any":
            return None
        if mine.peers != "none" and (importer.name, imported.name) in mine.peers:
            return None
        if mine.peers == "none":
            return explained or f"{mine.name} modules do not import one another"
        edges = ", ".join(f"{a} -> {b}" for a, b in sorted(mine.peers))
        return explained or f"{mine.name} modules import one another only along {edges}"
    if not mine.below:
        what = "nothing of this package" if mine.name != C else "only other C targets"
        return explained or f"{mine.name} ({mine.what}) imports {what} but other {mine.name} modules"
    return None


def strip_code(lines: list[str]) -> list[str | None]:
    """Each line as code, or None when it starts inside a block comment or a multi-line string literal."""
    result: list[str | None] = []
    depth = 0  # nested /* */ depth
    closing: str | None = None  # the delimiter that ends the multi-line string we are in
    for line in lines:
        result.append(line if depth == 0 and closing is None else None)
        i = 0
        while i < len(line):
            if closing is not None:
                end = line.find(closing, i)
                if end < 0:
                    break
                i = end + len(closing)
                closing = None
                continue
            if depth > 0:
                if line.startswith("/*", i):
                    depth += 1
                    i += 2
                elif line.startswith("*/", i):
                    depth -= 1
                    i += 2
                else:
                    i += 1
                continue
            if line.startswith("//", i):
                break
            if line.startswith("/*", i):
                depth += 1
                i += 2
                continue
            raw = re.match(r'(#*)"""', line[i:])
            if raw:
                closing = '"""' + raw.group(1)
                i += len(raw.group(0))
                continue
            single = re.match(r'(#*)"', line[i:])
            if single:
                hashes = single.group(1)
                j = i + len(single.group(0))
                while j < len(line):
                    if not hashes and line[j] == "\\":
                        j += 2
                        continue
                    if line.startswith('"' + hashes, j):
                        j += 1 + len(hashes)
                        break
                    j += 1
                i = j
                continue
            i += 1
    return result


def imports(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    found = []
    for number, line in enumerate(strip_code(text), 1):
        if line is None:
            continue
        match = IMPORT.match(line)
        if match:
            found.append((number, match.group(1)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swift", help="the swift executable (default: $SWIFT, swift on PATH, /opt/swift)")
    parser.add_argument("--root", default=Path(__file__).resolve().parent.parent, type=Path)
    arguments = parser.parse_args()
    root = arguments.root.resolve()
    swift = find_swift(arguments.swift)

    targets, manifest_lines = load_targets(root, swift)
    problems = assign_layers(targets, root, manifest_lines)
    by_module: dict[str, Target] = {}
    for target in targets:
        # A benchmark target's name never shadows one of the main package's.
        by_module.setdefault(target.module, target)
    by_name = {(t.package, t.name): t for t in targets}

    for target in targets:
        manifest = "Package.swift" if target.package == "main" else "Benchmarks/Package.swift"
        for dependency in sorted(target.dependencies):
            imported = by_name.get((target.package, dependency)) or by_name.get(("main", dependency))
            if imported is None:
                continue
            reason = verdict(target, imported)
            if reason:
                line = manifest_lines[f"{target.package}:{target.name}"]
                problems.append(f"{manifest}:{line}: {target.name} may not depend on {dependency} ({reason})")

    files = 0
    checked = 0
    for target in targets:
        for path in swift_files(target):
            files += 1
            for number, module in imports(path):
                imported = by_module.get(module)
                if imported is None or imported is target:
                    continue
                checked += 1
                where = f"{path.relative_to(root)}:{number}"
                if imported.name not in target.dependencies:
                    manifest = "Package.swift" if target.package == "main" else "Benchmarks/Package.swift"
                    problems.append(
                        f"{where}: {target.name} may not import {imported.name} "
                        f"({manifest} does not list {imported.name} as a dependency of {target.name})"
                    )
                reason = verdict(target, imported)
                if reason:
                    problems.append(f"{where}: {target.name} may not import {imported.name} ({reason})")

    for problem in problems:
        print(problem)
    if problems:
        print(f"check-imports: {len(problems)} finding(s); the layers are in docs/architecture.md", file=sys.stderr)
        return 1
    print(
        f"check-imports: {files} Swift files in {len(targets)} targets, {checked} imports of this package's "
        f"modules: each is a listed dependency and follows the layers"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
