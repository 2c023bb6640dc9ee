"""Command line: ``pkgcad build | check | sweep | yield | thermal | section | picture | report | list | schema``.

Exit status: 0 all good, 1 a design rule failed, a claim named by ``--require-claims`` is not embodied or a build
could not be made (nothing written) or, for a sweep, a variant ended in an error or a timeout, 2 bad input (a
recipe or sweep spec refused by validation, an unreadable file, a bad argument), 3 the output cannot be written
(checked before any build: an output path that is a file or lies below one, a read-only, forbidden or full
folder, a file system with less free space than a build's estimated output, a symbolic link leading out of the
output folder; or a write that failed: nothing partial is left and a previous output stays), 130 stopped by Ctrl-C
and 143 by SIGTERM (a work folder is removed; a sweep keeps its finished rows; a signal while OpenCascade loads is
acted on once it has loaded).

This module parses the arguments, reads and validates the inputs (:func:`prepare`: recipes, the resource budget,
sweep specs, output folders), all without OpenCascade; :mod:`geometry.commands` does the work. It is loaded once
the inputs are accepted (the one deferred import of the package's own code), so ``pkgcad --help``, argument errors
and every refused input answer in a fraction of a second, without loading the kernel (seconds, some 500 MB).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading
from pathlib import Path

from .core.errors import ParameterError
from .core.expr import precheck_spec
from .core.text import printable
from .core.toml import MAX_RECIPE_BYTES, read_toml
from .output.files import OutputError, write_text
from .output.folder import check_free_space, check_output_dir, check_output_file, design_folder, inside
from .output.recipe_reference import schema_json, schema_markdown
from .output.versions import distribution_version

EXIT_INPUT, EXIT_OUTPUT, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 3, 130, 143
EPILOG = ("exit status: 0 success; 1 a design rule failed or a required claim is not embodied (nothing written "
          "unless --force), a build failed, or a sweep variant ended in an error or a timeout; 2 bad input (one "
          "message naming the field, the value and the rule); 3 the output cannot be written (one message naming "
          "the path and the reason, checked before any build; nothing partial left, a previous output kept); "
          "130 Ctrl-C, 143 SIGTERM (work folders removed).")
DESCRIPTION = ("Parametric 3D CAD of two claimed semiconductor packaging processes (flip-chip and cavity), built step "
               "by step, checked against the claims and exported as STEP, STL, GLB, HTML and reports.")


def _version() -> str:
    return distribution_version("pkgcad") or "unknown (not installed)"


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{v} must be at least 1")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"{text} must be positive")
    return v


def _claim_numbers(text: str) -> list[int]:
    try:
        numbers = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of claim numbers such as 1,3") from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must name claims by number, 1 or more")
    return numbers


def _budget_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--budget", type=_positive_float, default=1.0, metavar="F",
                   help="multiply the resource budget by F (default 1: 100,000 members, 400 distinct prototypes, "
                        "3 M triangles, 300 MB of output, estimated from the parameters before any geometry; a "
                        "design over it is refused with the estimate)")


def _sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="sweep spec (TOML), e.g. builds/sweeps/ball-pitch-diameter.toml")
    p.add_argument("-o", "--output", default=None, help="output folder (default: exports/sweeps/<spec name>)")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on an existing Dask distributed cluster, e.g. tcp://scheduler-host:8786")
    p.add_argument("--limit", type=_positive_int, default=None, help="run only the first N variants")
    p.add_argument("--timeout", type=_positive_float, default=None,
                   help="seconds per variant, at least 1 (default: the spec's timeout, 600)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")


def parser() -> argparse.ArgumentParser:
    """The argument parser; each subcommand names its function as ``run``, in :mod:`geometry.commands` unless it
    names its ``module``."""
    ap = argparse.ArgumentParser(prog="pkgcad", description=DESCRIPTION, epilog=EPILOG)
    ap.add_argument("--version", action="version", version=f"pkgcad {_version()}")
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="run, check and export recipes")
    b.add_argument("recipes", nargs="+", help="recipe files or folders of recipes")
    b.add_argument("-o", "--output", default="exports", help="output folder (default: exports)")
    b.add_argument("--steps", action="store_true", help="also write every intermediate stack as STEP")
    b.add_argument("--ap242", action="store_true", help="write STEP as AP242 (ISO 10303-242) instead of AP214")
    b.add_argument("--force", action="store_true", help="export even when a design rule fails")
    b.add_argument("--require-claims", type=_claim_numbers, default=None, metavar="N[,N...]",
                   help="refuse the export unless the design embodies these claims (e.g. 1,3); by default a claim "
                        "the design does not embody is reported, not refused")
    b.add_argument("--report", action="store_true", help="also write the design report (as `pkgcad report`)")
    b.add_argument("--tolerance", type=_positive_float, default=None, metavar="MM",
                   help="chordal tolerance of the STL and GLB in mm (default: the finest quality within a "
                        "1M-triangle budget); every body's mesh volume is within 0.5%% of its solid's either way, "
                        "and the manifest's 'mesh' section states what each body meets")
    b.add_argument("--split", action="store_true",
                   help="also write bodies/<name>-<body>.step (AP242 with --ap242) and .stl for every body")
    b.add_argument("--conformal", action="store_true",
                   help="write the conformal assembly: no body overlaps another (the mold cut around the wires, "
                        "fingers and pads it embeds) and process gaps are named, filled bodies (chip_gap_fill)")
    b.add_argument("-q", "--quiet", action="store_true", help="print check tables only when a check fails")
    _budget_argument(b)
    b.set_defaults(run="build", writes="dir")
    c = sub.add_parser("check", help="run the flows and their checks, write nothing")
    c.add_argument("recipes", nargs="+")
    c.add_argument("--explain", action="store_true",
                   help="after validating each recipe, print the sections and keys it left to their defaults")
    _budget_argument(c)
    c.set_defaults(run="check")
    sw = sub.add_parser("sweep", help="sweep recipe parameters: build and check every variant in parallel")
    _sweep_arguments(sw)
    _budget_argument(sw)
    sw.set_defaults(run="sweep", writes="dir")
    se = sub.add_parser("section", help="draw a vertical cross-section (or a process strip) as PNG or SVG")
    se.add_argument("recipe")
    se.add_argument("--plane", choices=["centre", "row", "balls"], default="row",
                    help="through a row of bumps or die pads (default), the package centre, or the ball row nearest "
                         "the centre")
    se.add_argument("--steps", action="store_true", help="one panel per process step, left to right")
    se.add_argument("-o", "--output", required=True, help="output file, .png or .svg")
    _budget_argument(se)
    se.set_defaults(run="section", writes="file")
    pi = sub.add_parser("picture", help="a 3D picture of the finished package, cut open through a section plane or "
                        "whole (PNG), or its 3D viewer (.html)")
    pi.add_argument("recipe")
    pi.add_argument("--view", choices=["cut", "whole", "bottom"], default="cut",
                    help="cut open in front of the section plane (default), the whole package, or the bottom-view "
                         "ball map with JEDEC ball names (PNG or SVG)")
    pi.add_argument("--plane", choices=["centre", "row", "balls"], default="centre",
                    help="where a cut view is cut open: the package centre (default), a row of bumps or die pads, or "
                         "the ball row nearest the centre")
    pi.add_argument("--width", type=int, default=1200, help="PNG width in pixels (default 1200)")
    pi.add_argument("--height", type=int, default=900, help="PNG height in pixels (default 900)")
    pi.add_argument("-o", "--output", required=True, help="output file, .png or .html")
    _budget_argument(pi)
    pi.set_defaults(run="picture", writes="file")
    rp = sub.add_parser("report", help="claim matrix, bill of materials, pictures, checks and a first-order "
                                       "thermal estimate per design, as HTML and Markdown")
    rp.add_argument("recipes", nargs="+", help="recipe files or folders of recipes")
    rp.add_argument("-o", "--output", default="exports", help="output folder (default: exports)")
    _budget_argument(rp)
    rp.set_defaults(run="report", writes="dir")
    ls = sub.add_parser("list", help="show flows, their steps and the recipes found")
    ls.add_argument("builds", nargs="*", default=["builds"], help="folders to search (default: builds)")
    ls.set_defaults(run="list_flows")
    sc = sub.add_parser("schema", help="the JSON Schema of a flow's recipes (or, with --markdown, their reference)")
    sc.add_argument("flow", help="flow name, e.g. flip-chip (`pkgcad list` shows them all)")
    sc.add_argument("--markdown", action="store_true", help="the readable Markdown reference instead of JSON")
    sc.add_argument("-o", "--output", default=None, help="write to this file instead of printing")
    sc.set_defaults(run="schema", writes="file")
    fp = sub.add_parser("footprint", help="a KiCad footprint per design (.kicad_mod: one IPC-7351B land per ball, "
                                          "named by its JEDEC name, and the package STEP as its 3D model)")
    fp.add_argument("recipes", nargs="+", help="recipe files or folders of recipes")
    fp.add_argument("-o", "--output", default="exports/pkgcad.pretty",
                    help="footprint library folder, written DIR/<design>.kicad_mod; KiCad opens a folder whose name "
                         "ends in .pretty as a library (default: exports/pkgcad.pretty)")
    fp.add_argument("--density", choices=["most", "nominal", "least"], default="nominal",
                    help="IPC-7351B density level, which sets the courtyard excess: 2.0, 1.0 (default) or 0.5 mm")
    fp.add_argument("--land", type=_positive_float, default=None, metavar="MM",
                    help="land diameter (mm) from the package maker's drawing, instead of the IPC-7351B table")
    _budget_argument(fp)
    fp.set_defaults(run="footprint", writes="dir")
    me = sub.add_parser("mesh", help="a conformal tetrahedral mesh of the conformal assembly with gmsh: one physical "
                                     "volume per body, surfaces package_top, seating_plane, board_side")
    me.add_argument("recipe")
    me.add_argument("-o", "--output", required=True,
                    help="mesh file: .msh (gmsh MSH 4.1) or any format meshio writes (.vtu, .xdmf, ...)")
    me.add_argument("--size-max", type=_positive_float, default=0.5, metavar="MM", help="largest element (mm)")
    me.add_argument("--size-min", type=float, default=0.0, metavar="MM", help="smallest element (mm, default 0)")
    me.add_argument("--curvature", type=int, default=14, metavar="N",
                    help="elements per 2 pi of curvature on round faces (default 14: every body of fc-basic and "
                         "cavity-equal within 1 %% at --order 2; 4-node tetrahedra need 40 for balls and bumps; 0 off: "
                         "faster, round bodies short); bond wires get elements of one wire radius (two at --order 1)")
    me.add_argument("--order", type=int, choices=(1, 2), default=2,
                    help="element order: 2, 10-node tetrahedra (C3D10) with their edge nodes on the true faces "
                         "(default); 1, 4-node tetrahedra (bond wires keep 60-67 %% of their volume)")
    _budget_argument(me)
    me.set_defaults(run="mesh", writes="file")
    yi = sub.add_parser("yield", help="the limit of one parameter at which the flip-chip yield reaches a target at "
                        "95 %% confidence, per value of another (fast statistical path, no B-rep)")
    yi.add_argument("yield_spec", metavar="SPEC", help="yield spec (TOML), e.g. "
                    "builds/sweeps/yields/polish-plane-for-spread.toml")
    yi.add_argument("-o", "--output", default=None, help="output folder (default: exports/yields/<spec name>)")
    yi.set_defaults(run="yield_study", module="sweep.yields", writes="dir")
    th = sub.add_parser("thermal", help="theta_jc, theta_jb, theta_ja and psi_jt per design from a 3D conduction "
                        "solve on the JESD51-7 2s2p board: DIR/<design>/thermal.json and temperature pictures")
    th.add_argument("recipes", nargs="+", help="recipe files or folders of recipes")
    th.add_argument("-o", "--output", default="exports/thermal", help="output folder (default: exports/thermal)")
    th.add_argument("--mesh", type=_positive_float, default=None, metavar="MM",
                    help="largest element edge in the package (mm, default: the recipe's thermal.mesh, 0.2 "
                         "unless it says)")
    th.add_argument("--refine", type=int, choices=range(1, 5), default=1, metavar="N",
                    help="cut every mesh interval N times more finely (1-4, default 1)")
    th.add_argument("--h", type=_positive_float, default=10.0, metavar="W/M2K",
                    help="still-air coefficient for theta_ja, W/(m2.K) (default 10)")
    th.add_argument("--converge", action="store_true",
                    help="solve again with every element edge halved (refine 2N) and write, per figure, the coarse "
                         "and fine values, their change, Richardson's extrapolation and its error band (about 9x "
                         "the CPU time)")
    _budget_argument(th)
    th.set_defaults(run="thermal", module="sweep.thermal", writes="dir")
    return ap


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cancelled CI job, ``kill``), raised where Ctrl-C raises KeyboardInterrupt, so that every writer
    cleans up as it does for Ctrl-C: the hidden work folder of a design is removed, a sweep keeps its rows."""


_TERMINATED = threading.Event()
"""Set by SIGTERM, so a command that handles the interruption itself (a sweep: exit 130, rows kept) exits 143."""


def _terminate(signum: int, frame: object) -> None:
    _TERMINATED.set()
    raise Terminated()


@contextlib.contextmanager
def signals_held():
    """Hold Ctrl-C and SIGTERM while the kernel loads, and act on them once it has: an exception raised inside
    OpenCascade's module initialisation leaves it half made (``ImportError: initialization failed``, or a crash at
    exit), so a signal then would give a traceback or a segfault instead of exit 130 or 143. Off the main thread
    (where no signal handler runs) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    old = {s: signal.signal(s, lambda signum, frame: got.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    if signal.SIGTERM in got:
        _TERMINATED.set()
        raise Terminated()
    if got:
        raise KeyboardInterrupt()


def _output_fault(args: argparse.Namespace) -> OutputError | None:
    """The fault of the command's output folder or file (``-o``), found before OpenCascade is even loaded; the
    command checks the design folders inside it again once it knows their names."""
    kind, out = getattr(args, "writes", None), getattr(args, "output", None)
    try:
        if kind is not None and out is not None:
            (check_output_dir if kind == "dir" else check_output_file)(out)
    except OutputError as e:
        return e
    return None


def read_inputs(args: argparse.Namespace) -> dict[Path, dict]:
    """Every recipe or sweep spec file the arguments name (folders of recipes excepted, except where one recipe is
    expected), read once with the bounded reader: a device, pipe, oversized or malformed file is refused in a
    fraction of a second and some 40 MB. Returns the tables by path, for :func:`prepare` to validate."""
    single = [getattr(args, k) for k in ("recipe", "spec") if isinstance(getattr(args, k, None), str)]
    many = [p for p in getattr(args, "recipes", None) or () if not Path(p).is_dir()]
    read: dict[Path, dict] = {}
    for p in single + many:
        is_spec = getattr(args, "spec", None) == p
        if is_spec:
            from .sweep.spec import MAX_SPEC_BYTES

            data = read_toml(p, "sweep spec", MAX_SPEC_BYTES)
            try:
                precheck_spec(data)
            except ParameterError as e:
                raise ParameterError(f"{p}: {e}") from None
        else:
            data = read_toml(p, "recipe", MAX_RECIPE_BYTES)
        read[Path(p)] = data
    return read


def _output_suffix(args: argparse.Namespace) -> None:
    """The ``-o`` file of ``section`` and ``picture`` must have a suffix the command writes."""
    suffix = Path(args.output).suffix.lower()
    if args.run == "section" or getattr(args, "view", None) == "bottom":
        if suffix not in (".png", ".svg"):
            raise ParameterError(f"-o {args.output} must end in .png or .svg"
                                 + (" for --view bottom" if args.run == "picture" else ""))
    elif args.run == "picture":
        if suffix not in (".png", ".html"):
            raise ParameterError(f"-o {args.output} must end in .png or .html")
        if args.width < 16 or args.height < 16:
            raise ParameterError(f"--width {args.width} and --height {args.height} must be at least 16x16 pixels")


def prepare(args: argparse.Namespace, read: dict[Path, dict]) -> None:
    """Everything a command can refuse before the kernel loads, in milliseconds: the recipes validated and within
    the budget (``--budget``; not for ``picture --view bottom``, which draws no geometry) into ``args.designs``,
    with the tables read added to ``read`` (``args.read``: each file is read once); their design folders inside
    ``-o`` (``build``, ``report``); the sweep spec (and its base) into ``args.sweep_spec`` and its output folder
    into ``args.sweep_out``; the suffix of an output picture. Raises :class:`ParameterError` (exit 2) or
    :class:`OutputError` (exit 3). The design models (pydantic, numpy) are imported here and the sweep spec (with
    the sweep package) only for a sweep, not with the module, so ``pkgcad --help`` and argument errors load neither
    and ``pkgcad check`` no sweep code."""
    from .recipes import load_all, output_bytes

    args.read = read
    if args.run in ("section", "picture"):
        _output_suffix(args)
    items = getattr(args, "recipes", None) or ([args.recipe] if isinstance(getattr(args, "recipe", None), str)
                                               else None)
    if items is not None:
        budget = None if getattr(args, "view", None) == "bottom" else args.budget
        args.designs = load_all(items, budget, read)
        if args.run in ("build", "report"):
            check_output_dir(args.output)
            for d in args.designs:
                design_folder(args.output, d.name)
        if args.run == "build":
            check_free_space(args.output, output_bytes(args.designs))
    if args.run == "sweep":
        from .sweep.spec import parse_spec

        p = Path(args.spec)
        args.sweep_spec = parse_spec(read[p], str(p), p.parent)
        out = Path(args.output) if args.output else Path("exports") / "sweeps" / args.sweep_spec.name
        check_output_dir(out)
        for sub in ("cache", "designs"):
            inside(out, sub)
        args.sweep_out = out


def schema(args: argparse.Namespace) -> int:
    """``pkgcad schema FLOW``: the flow's recipe JSON Schema (``--markdown``: its reference), printed or written to
    ``-o``. It comes from the flow's pydantic design model alone, so it answers without loading OpenCascade."""
    from .recipes import schema_of

    s = schema_of(args.flow)
    text = schema_markdown(s) if args.markdown else schema_json(s)
    if args.output is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {write_text(check_output_file(args.output), text)}")
    return 0


def list_flows(args: argparse.Namespace) -> int:
    """``pkgcad list``: flows, their steps and the recipes found (:func:`geometry.recipes.listing`), without
    loading OpenCascade."""
    from .recipes import listing

    print("\n".join(listing(args.builds)))
    return 0


LIGHT = {"schema": schema, "list_flows": list_flows}
"""Commands run here, without :mod:`geometry.commands` (which loads the kernel)."""


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    fault = _output_fault(args)
    if fault is not None:
        print(f"error: {fault}", file=sys.stderr)
        return EXIT_OUTPUT
    previous = None
    if threading.current_thread() is threading.main_thread():
        _TERMINATED.clear()
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        prepare(args, read_inputs(args))
        if args.run in LIGHT:
            return LIGHT[args.run](args)
        with signals_held():
            from . import commands

            home = (importlib.import_module(f".{args.module}", __package__) if getattr(args, "module", None)
                    else commands)
        status = getattr(home, args.run)(args)
        return EXIT_TERMINATED if status == EXIT_INTERRUPTED and _TERMINATED.is_set() else status
    except ParameterError as e:
        print(f"error: {printable(str(e))}", file=sys.stderr)
        return EXIT_INPUT
    except OutputError as e:
        print(f"error: {printable(str(e))}", file=sys.stderr)
        return EXIT_OUTPUT
    except KeyboardInterrupt as e:
        print("interrupted (SIGTERM)" if isinstance(e, Terminated) else "interrupted", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(e, Terminated) else EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
