"""`sam build` turns the three function crates into Lambda's `bootstrap` executables.

The template deploys arm64 functions. Building them needs the aarch64-unknown-linux-gnu Rust
standard library, which a machine without rustup's network access cannot install, so this test
builds a copy of the template whose functions are for the machine's own architecture: the same
crates, build method and SAM build steps, another target. SAM_BUILD_MODE=debug (the run script's
default) builds without the release profile's LTO. For the machine's own architecture no
cross-linker is needed, so cargo-lambda builds with cargo itself (CARGO_LAMBDA_COMPILER=cargo)
rather than through zig, whose C compiler settings would make cargo build every crate with C
code (aws-lc-sys) and all above it again: after tests/run's cargo tests, which build for the
same named target, `sam build` then reuses their build.
"""

from __future__ import annotations

import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ["ApiFunction", "WorkerFunction", "TriggerFunction"]
# ELF e_machine of each Lambda architecture.
ARCHITECTURES = {"x86_64": ("x86_64", 0x3E), "aarch64": ("arm64", 0xB7), "arm64": ("arm64", 0xB7)}


def host_template(directory: Path) -> Path:
    lambda_arch, _ = ARCHITECTURES[platform.machine()]
    text = (ROOT / "template.yaml").read_text()
    if "Architectures: [arm64]" not in text:
        raise AssertionError("template.yaml no longer says `Architectures: [arm64]` in Globals: update this test")
    path = directory / "template.yaml"
    path.write_text(text.replace("Architectures: [arm64]", f"Architectures: [{lambda_arch}]"))
    return path


class SamBuild(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.build_dir = ROOT / ".aws-sam" / "build"
        scratch = Path(tempfile.mkdtemp(prefix="quickstep-sam-"))
        try:
            template = host_template(scratch)
            shutil.rmtree(cls.build_dir, ignore_errors=True)
            env = dict(os.environ, SAM_CLI_TELEMETRY="0", CARGO_LAMBDA_COMPILER="cargo")
            env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # sam, cargo-lambda
            command = [
                "sam", "build",
                "--template-file", str(template),
                "--base-dir", str(ROOT),  # CodeUri is relative to the project, not the copy
                "--config-file", str(ROOT / "samconfig.toml"),
                "--no-cached",  # always run cargo: SAM's cache sees only CodeUri, not shared/
                "--build-dir", str(cls.build_dir),
                "--cache-dir", str(ROOT / ".aws-sam" / "cache"),
            ]
            started = time.monotonic()
            result = subprocess.run(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                    capture_output=True, text=True)
            elapsed = time.monotonic() - started
            mode = env.get("SAM_BUILD_MODE", "release")
            print(f"\nsam build ({mode}, {platform.machine()}): {elapsed:.0f} s", file=sys.stderr)
            if result.returncode != 0:
                raise AssertionError(f"sam build failed:\n{result.stdout}\n{result.stderr}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def test_each_function_is_a_bootstrap_executable(self):
        _, machine = ARCHITECTURES[platform.machine()]
        for function in FUNCTIONS:
            path = self.build_dir / function / "bootstrap"
            self.assertTrue(path.is_file(), f"{path} is missing")
            mode = path.stat().st_mode
            self.assertTrue(mode & stat.S_IXUSR and os.access(path, os.X_OK), f"{path} is not executable")
            header = path.read_bytes()[:20]
            self.assertEqual(header[:4], b"\x7fELF", f"{path} is not an ELF executable")
            self.assertEqual(int.from_bytes(header[18:20], "little"), machine, f"{path} is for another machine")

    def test_the_built_template_points_at_them(self):
        built = (self.build_dir / "template.yaml").read_text()
        for function in FUNCTIONS:
            self.assertIn(f"CodeUri: {function}", built)


def resolved_features(cwd: Path, *args: str) -> set[str]:
    """Each crate (name, version) of the build with the features cargo resolves for it."""
    listing = subprocess.run(
        ["cargo", "tree", "-e", "normal,build", "--prefix", "none", "-f", "{p} {f}", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout
    return {line.removesuffix(" (*)").strip() for line in listing.splitlines() if line.strip()}


class SharedBuild(unittest.TestCase):
    """`sam build` runs cargo in each function's folder, where cargo resolves features for that
    package alone. If they differ from the workspace's (the tests', the CLI's), every crate above
    the one that differs is compiled twice, in CI and on a user's machine."""

    def test_each_function_resolves_the_features_the_workspace_resolves(self):
        workspace = resolved_features(ROOT, "--workspace")
        for function in FUNCTIONS:
            crate = {"ApiFunction": "quickstep-api", "WorkerFunction": "quickstep-worker",
                     "TriggerFunction": "quickstep-trigger"}[function]
            alone = resolved_features(ROOT / "functions" / crate)
            self.assertTrue(alone, f"cargo tree listed nothing for {crate}")
            self.assertEqual(alone - workspace, set(),
                             f"{crate} built alone resolves these crates with other features than the workspace")


if __name__ == "__main__":
    unittest.main()
