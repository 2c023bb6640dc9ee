"""Command line: ``pkgcad build | check | sweep | section | picture | report | list``.

Exit status: 0 all good, 1 a check failed or a build could not be made (nothing written) or, for a sweep, a
variant ended in an error or a timeout, 2 bad input (a recipe or sweep spec refused by validation, an unreadable
file, a bad argument), 130 a sweep stopped by Ctrl-C (finished rows kept).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .params import ParameterError

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


def _recipe_paths(items: list[str]) -> list[Path]:
    """Files as given; folders expand to their ``*.toml`` recipes (sweep specs under ``sweeps/`` excluded)."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*.toml") if "sweeps" not in q.relative_to(p).parts)
        else:
            out.append(p)
    return out


def _load_all(items: list[str]):
    from .recipes import load

    paths = _recipe_paths(items)
    if not paths:
        raise ParameterError("no recipe given")
    designs = [load(p) for p in paths]
    names = [d.name for d in designs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParameterError(f"name {dup[0]!r} is used by more than one recipe; design names must be unique")
    return designs


def format_checks(name: str, results: list) -> str:
    """A readable table of check results."""
    rows = [("check", "claim", "value", "limit", "unit", "result", "where")]
    for c in results:
        rows.append((c.name, c.claim, f"{c.value:.6g}", f"{c.limit:.6g}", c.unit, "pass" if c.passed else "FAIL",
                     c.where))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"{name}:"]
    for r in rows:
        lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def _build_and_check(designs, verbose: bool = True):
    """Run and check every design; returns [(build, results)] and whether all checks passed."""
    from .api import check, run
    from .occ import KernelError
    from .steps import ProcessError

    done, ok = [], True
    for d in designs:
        try:
            build = run(d)
        except (ProcessError, KernelError) as e:
            print(f"{d.name}: the build failed: {e}", file=sys.stderr)
            return done, False
        results = check(build)
        passed = all(c.passed for c in results)
        ok &= passed
        if verbose or not passed:
            print(format_checks(d.name, results), file=sys.stdout if passed else sys.stderr)
        done.append((build, results))
    return done, ok


def cmd_build(args) -> int:
    from .api import export

    designs = _load_all(args.recipes)
    done, ok = _build_and_check(designs, verbose=not args.quiet)
    if len(done) < len(designs):
        return EXIT_FAILED
    if not ok and not args.force:
        print("checks failed: nothing written (use --force to export anyway)", file=sys.stderr)
        return EXIT_FAILED
    for build, results in done:
        path = export(build, results, args.output, steps=args.steps)
        print(f"wrote {path}")
        if args.report:
            _report(build, results, args.output)
    return EXIT_OK


def cmd_check(args) -> int:
    designs = _load_all(args.recipes)
    done, ok = _build_and_check(designs)
    return EXIT_OK if ok and len(done) == len(designs) else EXIT_FAILED


def cmd_sweep(args) -> int:
    from .sweep import command

    return command(args)


def cmd_section(args) -> int:
    from .api import run
    from .recipes import load
    from .render import section_figure

    if Path(args.output).suffix.lower() not in (".png", ".svg"):
        raise ParameterError(f"-o {args.output} must end in .png or .svg")
    path = section_figure(run(load(args.recipe)), args.output, plane=args.plane, steps=args.steps)
    print(f"wrote {path}")
    return EXIT_OK


def cmd_picture(args) -> int:
    from .api import run
    from .export import write_bytes, write_html
    from .recipes import load
    from .render import plane_for
    from .viewer import picture_png

    suffix = Path(args.output).suffix.lower()
    if suffix not in (".png", ".html"):
        raise ParameterError(f"-o {args.output} must end in .png or .html")
    if args.width < 16 or args.height < 16:
        raise ParameterError(f"--width {args.width} and --height {args.height} must be at least 16x16 pixels")
    build = run(load(args.recipe))
    if suffix == ".html":
        path = write_html(build.stack, build.design.name, args.output)
    else:
        y = plane_for(build.design, "row")[0][1]
        path = write_bytes(args.output, picture_png(build.stack, args.width, args.height, cut_y=y))
    print(f"wrote {path}")
    return EXIT_OK


def cmd_report(args) -> int:
    """Write ``report.md`` and ``report.html`` per design; a failing claim or check still writes the report (the
    engineer wants to see it) and exits 1."""
    designs = _load_all(args.recipes)
    done, ok = _build_and_check(designs, verbose=False)
    for build, results in done:
        ok &= _report(build, results, args.output)
    return EXIT_OK if ok and len(done) == len(designs) else EXIT_FAILED


def _report(build, results, out_dir) -> bool:
    """Write the design report of ``build`` into ``out_dir/<name>/``; returns whether every claim and check passed."""
    from .export import write_report
    from .report import content, html, markdown

    c = content(build, results)
    path = write_report(out_dir, build.design.name, markdown(c), html(c))
    failing = [f"claim {r.number}" for r in c["claims"] if r.embodied and not r.passed]
    print(f"wrote {path}/report.html" + (f" ({', '.join(failing)} failing)" if failing else ""))
    return c["passed"]


def cmd_list(args) -> int:
    from .flows import FLOWS
    from .recipes import load

    for name, flow in FLOWS.items():
        print(f"flow {name} ({flow.claims_file})")
        for s in flow.all_steps:
            print(f"  {s.key:<26} {s.reference:<18} {s.title}")
    paths = _recipe_paths(args.builds)
    if paths:
        print("recipes:")
    for p in paths:
        try:
            d = load(p)
            print(f"  {p!s:<44} {d.name:<20} {d.flow:<10} {d.description}")
        except ParameterError as e:
            print(f"  {p!s:<44} INVALID: {str(e).splitlines()[0]}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="pkgcad", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="run, check and export recipes")
    b.add_argument("recipes", nargs="+", help="recipe files or folders of recipes")
    b.add_argument("-o", "--output", default="exports", help="output folder (default: exports)")
    b.add_argument("--steps", action="store_true", help="also write every intermediate stack as STEP")
    b.add_argument("--force", action="store_true", help="export even when a check fails")
    b.add_argument("--report", action="store_true", help="also write the design report (as `pkgcad report`)")
    b.add_argument("-q", "--quiet", action="store_true", help="print check tables only when a check fails")
    b.set_defaults(func=cmd_build)
    c = sub.add_parser("check", help="run the flows and their checks, write nothing")
    c.add_argument("recipes", nargs="+")
    c.set_defaults(func=cmd_check)
    from .sweep import add_arguments

    sw = sub.add_parser("sweep", help="sweep recipe parameters: build and check every variant in parallel")
    add_arguments(sw)
    sw.set_defaults(func=cmd_sweep)
    se = sub.add_parser("section", help="draw a vertical cross-section (or a process strip) as PNG or SVG")
    se.add_argument("recipe")
    se.add_argument("--plane", choices=["centre", "row", "balls"], default="centre",
                    help="through the package centre, a row of bumps or die pads, or the ball row nearest the centre")
    se.add_argument("--steps", action="store_true", help="one panel per process step, left to right")
    se.add_argument("-o", "--output", required=True, help="output file, .png or .svg")
    se.set_defaults(func=cmd_section)
    pi = sub.add_parser("picture", help="a 3D picture of the finished package, cut open through the row plane of "
                        "`section` (PNG), or its 3D viewer (.html)")
    pi.add_argument("recipe")
    pi.add_argument("--width", type=int, default=1200, help="PNG width in pixels (default 1200)")
    pi.add_argument("--height", type=int, default=900, help="PNG height in pixels (default 900)")
    pi.add_argument("-o", "--output", required=True, help="output file, .png or .html")
    pi.set_defaults(func=cmd_picture)
    rp = sub.add_parser("report", help="claim matrix, bill of materials, pictures, checks and a first-order "
                                       "thermal estimate per design, as HTML and Markdown")
    rp.add_argument("recipes", nargs="+", help="recipe files or folders of recipes")
    rp.add_argument("-o", "--output", default="exports", help="output folder (default: exports)")
    rp.set_defaults(func=cmd_report)
    ls = sub.add_parser("list", help="show flows, their steps and the recipes found")
    ls.add_argument("builds", nargs="*", default=["builds"], help="folders to search (default: builds)")
    ls.set_defaults(func=cmd_list)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
