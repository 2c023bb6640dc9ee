"""The commands of ``pkgcad``: each takes the parsed arguments, prints what it did and returns the exit status
(:mod:`geometry.cli` parses the arguments and maps errors to statuses). The arguments carry what
:func:`geometry.cli.prepare` accepted before the kernel loaded: ``designs`` (validated, within the budget, their
output folders checked), ``read`` (the recipe tables read, by path) and, for a sweep, ``sweep_spec`` and
``sweep_out``.

Each command imports the output modules only it uses (the section and 3D pictures, the ball map, the footprint,
the volume mesh, the sweep runner) in its own function, so ``pkgcad check`` loads the flows, their checks and the
check table, and not trimesh, the drawing code, gmsh's wrapper or the sweep's pool (issue 15)."""

from __future__ import annotations

import ctypes
import gc
import sys
from pathlib import Path

from . import api
from .core.occ import KernelError
from .core.params import ParameterError
from .core.process import ProcessError
from .core.results import rules_pass
from .flows import FLOWS
from .output.files import write_bytes, write_text
from .output.folder import remove_tree
from .output.tables import format_checks
from .recipes import Default, defaults_taken, recipe_paths

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_OUTPUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _run_and_check(d, verbose: bool, require: frozenset[int]):
    """(build, results, passed) of design ``d``, its check table printed (unless ``verbose`` is False and it
    passed); None when the build fails (printed)."""
    try:
        build = api.run(d, budget=None)  # within the --budget already (geometry.cli.prepare)
    except (ProcessError, KernelError) as e:
        print(f"{d.name}: the build failed: {e}", file=sys.stderr)
        return None
    results = api.check(build)
    rows, _ = api.claims(build, results)
    unknown = sorted(require - {r.number for r in rows})
    if unknown:
        raise ParameterError(f"--require-claims {unknown[0]} is not a claim of the {build.flow.name} flow (claims "
                             f"{rows[0].number}-{rows[-1].number})")
    missed = [r for r in rows if r.number in require and not r.embodied]
    passed = rules_pass(results) and not missed
    if verbose or not passed:
        outline = build.flow.outline(build) if build.flow.outline else None
        print(format_checks(d.name, results, rows, outline), file=sys.stdout if passed else sys.stderr)
    for r in missed:
        print(f"{d.name}: claim {r.number} is required (--require-claims) but not embodied: {r.reason}",
              file=sys.stderr)
    return build, results, passed


def checked(designs, verbose: bool = True, require: frozenset[int] = frozenset()):
    """Run and check the designs one at a time, yielding (build, results, passed) for each: ``passed`` when every
    design rule passed and every claim in ``require`` is embodied (a claim a design does not embody is reported,
    not a failure, unless required). Stops after a design whose build fails (printed), so then fewer come out.
    Only the design being yielded is held here: a caller that drops it before the next holds one at a time."""
    for d in designs:
        item = _run_and_check(d, verbose, require)
        if item is None:
            return
        yield item
        del item


def build_and_check(designs, verbose: bool = True, require: frozenset[int] = frozenset()):
    """Run and check every design (:func:`checked`); returns [(build, results)] and whether every design was
    built, every design rule passed and every claim in ``require`` is embodied."""
    done, ok = [], True
    for b, results, passed in checked(designs, verbose, require):
        done.append((b, results))
        ok &= passed
    return done, ok and len(done) == len(designs)


def write_report(build, results, out_dir, meshes=None) -> bool:
    """Write the design report of ``build`` into ``out_dir/<name>/`` (pictures from ``meshes`` when given,
    :func:`geometry.api.meshes`); returns whether every design rule passed."""
    path, c = api.report(build, results, out_dir, meshes)
    print(report_written(path, not_embodied(c)))
    return c["passed"]


def not_embodied(content: dict) -> list[str]:
    """The numbers of the claims a report's ``content`` intends but the design does not embody."""
    return [str(r.number) for r in content["claims"] if r.intended and not r.embodied]


def report_written(path: Path, missed: list[str]) -> str:
    """The line that says the report in ``path`` was written, naming the claims not embodied."""
    return f"wrote {path}/report.html" + (f" (claims not embodied: {', '.join(missed)})" if missed else "")


def release_memory() -> None:
    """Free what the design just dropped (``gc.collect``: its stacks hold reference cycles) and hand the freed heap
    back to the system (glibc ``malloc_trim``, where present), so the next design starts from a low resident size
    instead of on top of the last one's fragments."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


def _export(b, results, args) -> tuple[Path, list[str]]:
    """Export one checked build into a hidden work folder in the output folder (and its report, with
    ``--report``: drawn from the export's meshes, while the STEP is written beside it, unless ``--conformal``
    exports another stack); returns the work folder and the report's claims not embodied."""
    reported: list[dict] = []

    def report(folder: Path, meshes) -> None:
        reported.append(api.report(b, results, args.output, meshes, folder=folder)[1])

    work = api.export(b, results, args.output, steps=args.steps, ap242=args.ap242, tolerance=args.tolerance,
                      split=args.split, conformal=args.conformal, staged=True,
                      beside=report if args.report and not args.conformal else None)
    if not args.report:
        return work, []
    c = reported[0] if reported else api.report(b, results, args.output, None, folder=work)[1]
    return work, not_embodied(c)


def build(args) -> int:
    """``pkgcad build``: each design is built, checked, exported (and reported) in turn and dropped before the
    next, so one built design is held at a time. Its folder is written hidden beside its place; only when every
    design was built and passed (or with ``--force``) are they all swapped into place, so a failed design rule
    still writes nothing (exit 1)."""
    designs = args.designs
    out = Path(args.output)
    existed = out.exists()
    staged: dict[str, tuple[Path, list[str]]] = {}
    ok, count = True, 0
    try:
        for b, results, passed in checked(designs, verbose=not args.quiet,
                                          require=frozenset(args.require_claims or ())):
            count += 1
            ok &= passed
            if ok or args.force:
                if b.design.name in staged:  # the same name twice: the later recipe wins, as it would in place
                    remove_tree(staged.pop(b.design.name)[0])
                staged[b.design.name] = _export(b, results, args)
            del b, results
            release_memory()
        if count < len(designs) or not (ok or args.force):
            if count == len(designs):
                print("a design rule failed or a required claim is not embodied: nothing written (use --force "
                      "to export anyway)", file=sys.stderr)
            for work, _ in staged.values():
                remove_tree(work)
            staged.clear()
            if not existed and out.is_dir() and not any(out.iterdir()):
                out.rmdir()
            return EXIT_FAILED
        for name in list(staged):
            work, missed = staged[name]
            path = api.publish(work)
            del staged[name]
            print(f"wrote {path}")
            if args.report:
                print(report_written(path, missed))
        return EXIT_OK
    finally:
        for work, _ in staged.values():
            remove_tree(work)


def check(args) -> int:
    designs = args.designs
    if args.explain:
        for path, d in zip(recipe_paths(args.recipes), designs, strict=True):
            print(explain_defaults(path, defaults_taken(args.read[path], d)))
    done, ok = build_and_check(designs)
    return EXIT_OK if ok and len(done) == len(designs) else EXIT_FAILED


def sweep(args) -> int:
    """``pkgcad sweep``: 0 done, 1 some variant ended in error or timeout, 2 bad spec (ParameterError, raised for
    the caller to print) or a missing package, 130 interrupted (finished rows kept)."""
    from .sweep import run_sweep

    spec, out = args.sweep_spec, args.sweep_out
    try:
        result = run_sweep(spec, out, workers=args.workers, scheduler=args.scheduler, limit=args.limit,
                           timeout=args.timeout, plots=not args.no_plots, budget=args.budget)
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    print(result.summary)
    names = ", ".join(Path(p).name for k, p in result.files.items() if k != "plots")
    print(f"wrote {out}: {names}, {len(result.files.get('plots', []))} plot(s) in plots/")
    if result.interrupted:
        print("interrupted: finished variants are kept; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    st = result.status
    return EXIT_FAILED if st.get("error") or st.get("timeout") else EXIT_OK


def section(args) -> int:
    from .output.drawing import section_figure

    path = section_figure(api.run(args.designs[0], budget=None), args.output, plane=args.plane, steps=args.steps)
    print(f"wrote {path}")
    return EXIT_OK


def picture(args) -> int:
    from .output.ballmap import write_ball_map
    from .output.design import write_html
    from .output.picture import picture_png

    design = args.designs[0]
    if args.view == "bottom":
        balls = FLOWS[design.flow].views.ball_map
        if balls is None:
            raise ParameterError(f"the {design.flow} flow has no ball map")
        print(f"wrote {write_ball_map(balls(design), design.name, args.output)}")
        return EXIT_OK
    b = api.run(design, budget=None)
    if Path(args.output).suffix.lower() == ".html":
        path = write_html(b.stack, b.design.name, args.output)
    else:
        y = b.flow.views.plane(b.design, args.plane)[0][1]
        path = write_bytes(args.output, picture_png(b.stack, args.width, args.height, cut_y=y,
                                                    cut=args.view == "cut"))
    print(f"wrote {path}")
    return EXIT_OK


def report(args) -> int:
    """Write ``report.md`` and ``report.html`` per design; a failing claim or check still writes the report (the
    engineer wants to see it) and exits 1."""
    designs = args.designs
    ok, count = True, 0
    for b, results, passed in checked(designs, verbose=False):  # one built design held at a time
        count += 1
        ok = write_report(b, results, args.output) and passed and ok
        del b, results
        release_memory()
    return EXIT_OK if ok and count == len(designs) else EXIT_FAILED


def _toml(v) -> str:
    """A value as a recipe would write it; None (an optional key or section left unset) as ``not set``."""
    if v is None:
        return "not set"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, dict):
        return ", ".join(f"{k} = {_toml(x)}" for k, x in v.items())
    return f"{v:g}" if isinstance(v, float) else str(v)


def explain_defaults(path: Path, taken: list[Default]) -> str:
    """What ``pkgcad check --explain`` prints for one recipe: each section it left out, with the values used, and
    each key it left out of a section it wrote."""
    lines = [f"{path}: {len(taken)} default{'s' if len(taken) != 1 else ''} taken"]
    for t in taken:
        lines.append(f"  [{t.path}] left out: {_toml(t.value)}" if t.section else f"  {t.path} = {_toml(t.value)}")
    return "\n".join(lines)


def footprint(args) -> int:
    """``pkgcad footprint``: run and check every design, then write ``<output>/<design>.kicad_mod`` for each; a
    failing design rule writes nothing (exit 1), a ball size the IPC-7351B table lacks is bad input (exit 2)."""
    from .output.footprint import bga_footprint, design_footprint

    designs = args.designs
    done, ok = build_and_check(designs, verbose=False)
    if len(done) < len(designs) or not ok:
        print("a design rule failed: no footprint written", file=sys.stderr)
        return EXIT_FAILED
    texts = {}
    for b, _ in done:
        try:
            texts[b.design.name] = bga_footprint(design_footprint(b, args.density, args.land))
        except ValueError as e:
            raise ParameterError(f"{b.design.name}: {e}") from None
    out = Path(args.output)
    for name, text in texts.items():
        print(f"wrote {write_text(out / f'{name}.kicad_mod', text)}")
    if not out.name.endswith(".pretty"):
        print(f"note: KiCad opens a footprint library folder only when its name ends in .pretty ({out.name} does "
              f"not)", file=sys.stderr)
    return EXIT_OK


def mesh(args) -> int:
    """``pkgcad mesh``: run and check the design, then mesh its conformal stack (a failing design rule: exit 1)."""
    from .output.volume_mesh import MeshError, MeshOptions, write_volume_mesh

    designs = args.designs
    done, ok = build_and_check(designs, verbose=False)
    if not done or not ok:
        print("a design rule failed: no mesh written", file=sys.stderr)
        return EXIT_FAILED
    b, _ = done[0]
    options = MeshOptions(size_max=args.size_max, size_min=args.size_min, curvature=args.curvature,
                          order=args.order)
    try:
        summary = write_volume_mesh(api.conformal(b), args.output, options)
    except MeshError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {args.output}: {summary['tetrahedra']} tetrahedra, {summary['nodes']} nodes, "
          f"{len(summary['physical_volumes'])} physical volumes")
    return EXIT_OK
