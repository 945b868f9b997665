"""The ``rankl-net`` command line (contract: ARCHITECTURE.md, "Command line").

Exit codes: 0 success; 2 bad input (the message names what and why); 3 a simulation failed.
"""

from __future__ import annotations

import glob
import math
import os
import shlex
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click
from click.core import ParameterSource

from ._version import __version__
from .cvode import integrator_log_off
from .dosing import DURATION_UNITS, parse_time, spec_number
from .errors import (
    DoseAboveStudiedWarning,
    DrugWithoutTargetWarning,
    InputError,
    PreequilibrationError,
    RanklNetError,
    RanklNetWarning,
    comma_list,
    unknown_name,
)
from .paths import FILE_FORMAT_SUFFIXES


@contextmanager
def _native_stdout_to_stderr() -> Iterator[None]:
    """Send what compiled libraries print on file descriptor 1 to stderr, for the duration.

    SUNDIALS writes its integrator warnings ("t + h = t on the next step") straight to the C
    stdout, past Python and libRoadRunner's logger; a table written to stdout
    (``rankl-net simulate ... > table.csv``) would get them mixed in. Python's own output keeps
    going to the real stdout through a duplicate of the descriptor.
    """
    try:
        fd = sys.stdout.fileno()
        err_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real descriptors (click's test runner)
        yield
        return
    python_stdout = sys.stdout
    python_stdout.flush()
    _flush_c_streams()  # what compiled code printed before goes where it was headed
    saved = os.dup(fd)
    os.dup2(err_fd, fd)  # forked workers inherit this too
    sys.stdout = open(saved, "w", encoding=python_stdout.encoding, errors=python_stdout.errors,
                      closefd=False, buffering=1 if python_stdout.isatty() else -1)
    try:
        yield
        sys.stdout.flush()
    except OSError as exc:
        # an error without a file of its own while standard output cannot be written either: a
        # full disk behind `> table.csv` (a reader gone is a broken pipe, handled by the caller)
        if isinstance(exc, BrokenPipeError) or exc.filename is not None or _flushes(sys.stdout):
            raise
        raise InputError(f"cannot write standard output: {exc.strerror or exc}") from None
    finally:
        _silence_if_closed(sys.stdout)
        sys.stdout = python_stdout
        # the C library buffers its stdout when it is not a terminal (a pipe, a file) unless Python
        # runs unbuffered: flushed after the descriptor is back, SUNDIALS' lines would reach the table
        _flush_c_streams()
        os.dup2(saved, fd)
        os.close(saved)


def _flush_c_streams() -> None:
    """Flush every output stream of the C library (``fflush(NULL)``), where it can be reached."""
    import ctypes

    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no C library of the process to reach (Windows)
        pass


@contextmanager
def _warnings_as_notes() -> Iterator[None]:
    """Print rankl-net's warnings to users (:class:`rankl_net.errors.RanklNetWarning`: doses
    after the end of a run, each time; a dose above those studied, once per regimen; a drug dosed
    where it binds nothing, once per regimen; a screen's condition that repeats its background;
    from any command) as ``note:`` lines, without Python's file and line; other warnings as
    Python shows them."""
    show = warnings.showwarning
    # a drug that binds nothing in the context, said once per regimen however many of a screen's
    # conditions carry it (each checks its own in a catch_warnings, which resets the "once" filter)
    said: set[str] = set()

    def as_note(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, DrugWithoutTargetWarning):
            if str(message) in said:
                return
            said.add(str(message))
        if issubclass(category, RanklNetWarning):
            click.echo(f"note: {message}", err=True)
        else:
            show(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", RanklNetWarning)
        warnings.simplefilter("default", DoseAboveStudiedWarning)  # once per regimen: a screen doses it often
        warnings.showwarning = as_note
        yield


def _silence_if_closed(stream) -> None:
    """Flush ``stream``; if its reader has gone (``rankl-net models | head``) or it cannot be
    written (a full disk, said already), point the descriptor at /dev/null so what is left in the
    buffer is dropped, not reported again."""
    try:
        stream.flush()
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def _flushes(stream) -> bool:
    """Whether ``stream`` can be flushed (False: its disk is full, its reader gone)."""
    try:
        stream.flush()
    except OSError:
        return False
    return True


# commands without arguments whose names are close to one that takes the argument given
ARGUMENT_OF_ANOTHER = {
    "validation": "`rankl-net validate MODEL` checks a shipped model or an SBML file",
}


def _usage_error(exc: click.UsageError, ctx: click.Context) -> None:
    """An option or argument the parser refuses, in the form of every other message: what was
    wrong and where the valid ones are listed; exit code 2."""
    if exc.ctx is not None:
        where, group = exc.ctx.command_path, isinstance(exc.ctx.command, click.Group)
    elif ctx.invoked_subcommand:  # an option's missing argument carries no context
        where, group = f"{ctx.command_path} {ctx.invoked_subcommand}", False
    else:
        where, group = ctx.command_path, True
    message = exc.format_message().rstrip(".")
    command = where.split()[-1]
    if command in ARGUMENT_OF_ANOTHER and message.startswith("Got unexpected extra argument"):
        message += f" ({command} takes none; {ARGUMENT_OF_ANOTHER[command]})"
    elif message.startswith("Got unexpected extra argument ("):
        message += _unit_apart(message.removeprefix("Got unexpected extra argument (").removesuffix(")"))
    # after a question ("Did you mean 'simulate'?") a new sentence, not a semicolon
    sep = " " if message.endswith("?") else "; "
    about_an_option = isinstance(exc, click.NoSuchOption | click.BadOptionUsage)
    listed = "options" if not group or about_an_option else "commands"
    click.echo(f"error: {message}{sep}`{where} --help` lists the {listed}", err=True)
    sys.exit(2)


def _unit_apart(extra: str) -> str:
    """For an extra argument that is a time unit written apart from its number (``--end 12
    weeks``), how to write the time; else nothing."""
    from .dosing import DAYS_PER

    if extra.casefold() not in DAYS_PER:
        return ""
    args = sys.argv[1:]
    number = next((a for a, b in zip(args, args[1:], strict=False) if b == extra), None)
    if number is None:
        return ""
    return (f" (a time's unit goes with its number, without a space: {number}{extra}, or quote both: "
            f"'{number} {extra}')")


class _Group(click.Group):
    """Turns rankl-net errors into a message and an exit code, never a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError:
            raise  # the help, as asked for
        except click.UsageError as exc:  # an option of rankl-net itself (rankl-net --bogus)
            _usage_error(exc, ctx)

    def invoke(self, ctx: click.Context):
        integrator_log_off()
        try:
            with _native_stdout_to_stderr(), _warnings_as_notes():
                return super().invoke(ctx)
        except RanklNetError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError:
            raise  # the command's help, as asked for
        except click.UsageError as exc:
            _usage_error(exc, ctx)
        except BrokenPipeError:
            # the reader of stdout stopped early (a pager, `head`): nothing more to say
            _silence_if_closed(sys.stdout)
            sys.exit(1)
        except KeyboardInterrupt:
            # Ctrl-C: one line instead of click's blank line and "Aborted!"
            click.echo("\ninterrupted", err=True)
            sys.exit(1)
        except OSError as exc:
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="rankl-net")
def main() -> None:
    """Models of the RANKL-RANK-OPG system: simulate knockouts, transgenic lines and inhibitors."""


FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def _lexical(path: Path) -> Path:
    """``path`` with each ``..`` that cancels a folder still to be made collapsed, as the file
    system will resolve it once the folder exists; a ``..`` after an existing folder (which may
    be a link) is left to the file system."""
    head = Path(path.anchor) if path.is_absolute() else Path(".")
    missing: list[str] = []
    for part in path.parts[1 if path.is_absolute() else 0:]:
        if part == ".":
            continue
        if missing:
            if part == "..":
                missing.pop()
            else:
                missing.append(part)
        elif (head / part).exists() or (head / part).is_symlink():
            head = head / part
        else:
            missing.append(part)
    return head.joinpath(*missing)


def _names_a_folder(text: str) -> bool:
    """Whether a name given for a file can only name a folder: it ends in a path separator
    ("results/") or its last part is "." or ".." (a Path drops the separator, and "results/."
    becomes "results": a file of that name would be written)."""
    return text.endswith(("/", os.sep)) or os.path.basename(text) in ("", ".", "..")


def _folder_name_message(text: str, example: str) -> str:
    return (f"{text} names a folder; give a file name, such as "
            f"{os.path.join(os.path.normpath(text), example)}")


class FileName(click.Path):
    """A file's name; one that can only name a folder (:func:`_names_a_folder`) is refused."""

    def __init__(self, example: str = "table.csv") -> None:
        super().__init__(path_type=Path)
        self.example = example

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail(f"the name is empty; give a file name, such as {self.example}", param, ctx)
        if isinstance(value, str) and _names_a_folder(value):
            self.fail(_folder_name_message(value, self.example), param, ctx)
        return super().convert(value, param, ctx)


@dataclass(frozen=True)
class _TimeWithUnit:
    """``--end`` given with a unit ("2y"); converted once MODEL's time unit is known."""

    text: str


class EndTime(click.ParamType):
    """``--end``: a number in the model's time unit, or a time with a unit (DURATION_UNITS)."""

    name = "TIME"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, float | _TimeWithUnit):
            return value
        text = str(value).strip()
        try:
            time, with_unit = parse_time(text)
        except InputError as exc:
            self.fail(str(exc), param, ctx)
        return _TimeWithUnit(text) if with_unit else time


END_HELP = f" A number in the model's time unit, or a time with a unit among {DURATION_UNITS} (84d, 2y)."


def _end_in_model_unit(model: str, end: float | _TimeWithUnit | None) -> float | None:
    """``--end`` in MODEL's time unit (see :func:`rankl_net.sbml_files.time_in_model_unit`);
    one longer than the age of the universe is refused (:func:`rankl_net.dosing.check_run_length`)."""
    if end is None:
        return None
    from .catalog import model_names
    from .dosing import check_run_length
    from .sbml_files import (
        is_sbml_file,
        model_time_unit,
        read_sbml_document,
        second_by_default,
        time_in_model_unit,
    )

    if not (model in model_names() or (is_sbml_file(model) and Path(model).is_file())):
        # not a model: the model checks say what it is, before --end matters
        return None if isinstance(end, _TimeWithUnit) else end
    given = end.text if isinstance(end, _TimeWithUnit) else None
    if given is not None:
        end = time_in_model_unit(model, given, what="--end")
    try:
        unit, seconds, name = model_time_unit(model)
    except InputError:  # a file that cannot be read: the model checks say why
        return end
    check_run_length(end, seconds, unit, "--end")
    if given is not None and model not in model_names() and second_by_default(
            read_sbml_document(Path(model))):
        # many published Level 2 files are in minutes or days without saying so
        click.echo(f"note: {name} declares no time unit, so it counts in seconds (SBML Level 2's default): "
                   f"--end {given} is {end:g} seconds; if its rates are per minute, hour or day, give --end "
                   "as a plain number in that unit", err=True)
    return end


STDOUT_NAMES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def _writable(path: Path, *, folder: bool = False) -> Path:
    """Check, before any work is done, that the file ``path`` (or, with ``folder``, files in the
    folder ``path``) can be written, and return it with the ``..`` of its missing part collapsed
    (write to that). Nothing is created: a refused command leaves nothing behind, and missing
    folders are made when the file is written (:func:`_with_folder`)."""
    if str(path) == "-" or str(path) in STDOUT_NAMES:
        what = "folder" if folder else "file"
        raise InputError(f"'{path}' is not an output {what} here (standard output carries the messages); "
                         f"give a {what} name")
    path = _lexical(Path(path))
    for p in (path, *path.parents):
        if p.is_symlink() and not p.exists():
            raise InputError(f"cannot write {path}: {p} is a link to {os.readlink(p)}, which does not exist")
    if not folder and path.is_dir():
        raise InputError(f"{path} is a folder; give a file name")
    if not folder and path.exists():
        if path.is_file():  # opened for writing, neither truncated nor appended to
            try:
                os.close(os.open(path, os.O_WRONLY))
            except OSError as exc:
                raise InputError(f"cannot write {path}: {exc.strerror}") from None
        return path  # a pipe or a device (/dev/null, /dev/fd/N) is written as it is
    target = path if folder else path.parent
    existing = next(p for p in (target, *target.parents) if p.exists())  # '.' and '/' always do
    if not existing.is_dir():
        raise InputError(f"cannot write {path}: {existing} is a file, not a folder")
    try:  # a real write: permissions, read-only file systems and full disks all show here
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:  # a special file system (/proc) says ENOENT of the folder that exists
        raise InputError(f"cannot write {path}: the folder {existing} does not accept new files "
                         f"({exc.strerror})") from None
    return path


def _with_folder(path: Path, *, folder: bool = False) -> Path:
    """``path``, once the folder it goes in (with ``folder``: the folder ``path``) exists."""
    (Path(path) if folder else Path(path).parent).mkdir(parents=True, exist_ok=True)
    return Path(path)


@contextmanager
def _writing(path: Path | str) -> Iterator[None]:
    """Name ``path`` in the message of a write to it that fails: a full disk (ENOSPC, as
    /dev/full gives) or a failing device says no file name of its own."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:  # the error names its file (the generic message shows it)
            raise
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _writable_figure(path: Path) -> Path:
    """Check a figure's path: writable, and a suffix matplotlib writes (.png, .pdf or .svg)."""
    if Path(path).suffix.lower() not in FIGURE_SUFFIXES:
        raise InputError(f"{path}: a figure's file name ends in {', '.join(FIGURE_SUFFIXES)}")
    return _writable(path)


def _writable_table(out: Path, *side: str) -> list[Path]:
    """Check a table's path and the files written beside it (``side``: name endings such as
    "_fits.csv", or ".png" for its figure); returns them in that order. A table that is a device
    (/dev/null) is refused: its companions would be written beside it, into /dev."""
    paths = [_writable(out)]  # (refuses "-" and /dev/stdout, which are devices too, as such)
    if side and Path(out).exists() and not Path(out).is_file() and not Path(out).is_dir():
        raise InputError(f"{out} is not a regular file: the table's companions ({', '.join(side)}) are "
                         "written beside it; give a file name in a folder of yours")
    for ending in side:
        beside = out.with_suffix(ending) if ending.startswith(".") else out.with_name(out.stem + ending)
        paths.append(_writable(beside))
    return paths


def _count(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless n is 1 ("1 condition", "3 conditions")."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _readout_list(text: str | None) -> list[str] | None:
    """Names of ``--readouts A,B`` (None: the model's readouts), read as every comma list is
    (:func:`rankl_net.errors.comma_list`: an empty name between commas is refused); a list
    naming none is bad input."""
    if text is None:
        return None
    names = comma_list(text, "--readouts")
    if not names:
        raise InputError("--readouts names no readout; give names separated by commas, or leave the "
                         "option out for the model's readouts")
    return names


# a table is written as CSV (.csv, or .txt), or as Parquet for a name ending in .parquet; a name
# ending in another format's suffix is refused rather than given CSV under that name
OTHER_FORMAT_SUFFIXES = tuple(s for s in FILE_FORMAT_SUFFIXES if s not in (".csv", ".txt", ".parquet"))


def _table_name(ctx, param, value: Path | None) -> Path | None:
    """A table's --out: any name but one ending in another format's suffix (OTHER_FORMAT_SUFFIXES);
    standard output, devices and named pipes pass whatever their name (/dev/null, /dev/fd/63)."""
    if value is None or str(value) == "-" or str(value) in STDOUT_NAMES:
        return value
    if value.exists() and not value.is_file() and not value.is_dir():  # a device or a pipe
        return value
    if value.suffix.lower() in OTHER_FORMAT_SUFFIXES:
        raise click.BadParameter(f"{value}: a table is written as CSV, or as Parquet for a name ending in "
                                 ".parquet; give a name ending in .csv or .parquet")
    return value


def _table_path(ctx, param, value: Path | None) -> Path | None:
    """The --out of a table whose figure goes beside it as .png (see :func:`_table_name`)."""
    if value is not None and value.suffix.lower() == ".png":
        raise click.BadParameter(f"{value} would be overwritten by the figure written beside the "
                                 "table; give the table a .csv name")
    return _table_name(ctx, param, value)


def _output_folder(out: Path, example: str) -> None:
    """Refuse a command's output folder named as a file ("results.csv"), unless that folder exists,
    or as standard output ("-": the files of a folder cannot go there)."""
    if str(out) == "-" or str(out) in STDOUT_NAMES:
        raise InputError(f"--out {out}: this command writes a folder of files (a table and a figure per "
                         f"experiment), which standard output cannot hold; give a folder name such as "
                         f"{example}")
    if Path(out).suffix.lower() in FILE_FORMAT_SUFFIXES and not Path(out).is_dir():
        raise InputError(f"--out {out}: this command writes a folder of files (a table and a figure per "
                         f"experiment); give a folder name such as {example}")


def _output_files(out: Path, names: list[str], endings: tuple[str, ...]) -> dict[str, list[Path]]:
    """The files each experiment of ``names`` writes in the folder ``out`` (NAME + each of
    ``endings``), each checked (:func:`_writable`). Two experiments that would write the same
    file are refused, also when their names differ only in case: macOS and Windows file systems
    take those for one file."""
    written, writer = {}, {}
    for name in names:
        written[name] = [_writable(Path(out) / f"{name}{x}") for x in endings]
        for path in written[name]:
            key = str(path).casefold()
            if key in writer:
                other, same = writer[key]
                case = "" if same == path else f" ({same} and {path.name} differ only in case, one file on " \
                                                "macOS and Windows)"
                raise InputError(f"experiments {other} and {name} would both write {path}{case}; "
                                 "rename one of them")
            writer[key] = (name, path)
    return written


def _write_table(table, path: Path) -> None:
    """Write ``table`` to ``path`` as Parquet for a .parquet name, else as CSV; missing folders
    are made. In Parquet each column named in ``table.attrs["units"]`` carries its unit in its
    field's metadata (key ``unit``), which readers other than pandas see as well."""
    with _writing(path):
        if Path(path).suffix.lower() == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            arrow = pa.Table.from_pandas(table, preserve_index=False)
            units = table.attrs.get("units", {})
            fields = [f.with_metadata({"unit": units[f.name]}) if units.get(f.name) else f
                      for f in arrow.schema]
            arrow = arrow.cast(pa.schema(fields, metadata=arrow.schema.metadata))
            pq.write_table(arrow, _with_folder(path))
        else:
            table.to_csv(_with_folder(path), index=False)


def _ascii_unit(label: str) -> str:
    """A unit label as the command line prints it, in ASCII (ug/mL for µg/mL): a terminal in the C
    locale, or a reader decoding ASCII, would take the micro sign for bytes."""
    return label.replace("\u00b5", "u")


def _unit_header(table, units: Mapping[str, str]):
    """A copy of ``table`` for display whose header has a second row: each column's unit from
    ``units`` (blank for a column without one, such as an arm's name), in ASCII (ug/mL)."""
    import pandas as pd

    shown = table.copy()
    names = [shown.columns.name, "unit"] if shown.columns.name else None  # (a table with an index)
    unit_row = [_ascii_unit(units.get(c, "")) for c in shown.columns]
    shown.columns = pd.MultiIndex.from_arrays([list(shown.columns), unit_row], names=names)
    return shown


def _tolerance_options(command):
    """--rtol and --atol: CVODE's tolerances for an SBML file (the shipped models keep their own)."""
    from .engine import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE

    command = click.option(
        "--atol", type=float, default=None,
        help=f"For an SBML FILE: CVODE's absolute tolerance, a fraction of each state's size (default "
        f"{ABSOLUTE_TOLERANCE:g}).")(command)
    return click.option(
        "--rtol", type=float, default=None,
        help=f"For an SBML FILE: CVODE's relative tolerance (default {RELATIVE_TOLERANCE:g}); tighten it "
        "with --atol where a result moves with the tolerances (stiff or oscillating models).")(command)


def _context_option(command):
    """--context: the species context of a shipped model (an SBML file has none)."""
    return click.option("--context", default=None, help="Species context of a shipped model: mouse or human, "
                        "mouse_huRANKL for the drug models.")(command)


def _file_run_options(command):
    """--baseline, --rtol and --atol: how the conditions of an SBML file are run (screen,
    dose-response, sensitivity)."""
    command = _tolerance_options(command)
    return click.option(
        "--baseline", type=click.Choice(["initial", "steady"]), default=None,
        help="For an SBML FILE: start from the file's initial state (default) or from the steady state "
        "reached by integration.")(command)


def _table_out_option(default: str):
    """The --out option of a command that writes a checked table and its figure."""
    return click.option(
        "--out",
        type=FileName(),
        default=Path(default),
        show_default=True,
        callback=_table_path,
        help="Table (.csv, or .parquet for Parquet); a PNG with the same stem is written beside it.",
    )


def _write_checked_table(table, out: Path, figure_fn, title: str, columns: list[str], ok_column: str,
                         summary: str) -> None:
    """Write ``table`` (CSV or Parquet) and its figure, print the chosen columns and a pass count,
    and exit 1 when a row fails (``ok_column`` False). ``summary`` is formatted with ``ok`` and
    ``total``."""
    _write_table(table, out)
    with _writing(out.with_suffix(".png")):
        figure = figure_fn(table, out.with_suffix(".png"))
    click.echo(title)
    click.echo(table[columns].to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    ok = int(table[ok_column].sum())
    click.echo("\n" + summary.format(ok=ok, total=len(table)))
    click.echo(f"wrote {out} and {figure}")
    if ok != len(table):
        sys.exit(1)


@main.command("models")
def models_cmd() -> None:
    """List the shipped models with their time unit, contexts and readouts (with their units)."""
    from .catalog import get_model, model_names
    from .screens import readout_units

    for name in model_names():
        info = get_model(name)
        click.echo(f"{name}\t{info.title}")
        # contexts that change nothing of the model (a culture of the same parameters) say so
        values = {tuple(sorted(c.items())) for c in info.contexts.values()}
        alike = len(info.contexts) > 1 and len(values) == 1
        click.echo(
            f"  time unit: {info.time_unit}; contexts: {', '.join(info.contexts)} "
            f"(default {info.default_context}{'; they set the same values' if alike else ''}); "
            f"default end: {info.default_end:g} {info.time_unit}s"
        )
        click.echo(f"  readouts: {', '.join(info.readouts)}")
        by_unit: dict[str, list[str]] = {}
        for readout, unit in readout_units(name, info.readouts).items():
            by_unit.setdefault(_ascii_unit(unit) or "no unit", []).append(readout)
        click.echo("  readout units: " + "; ".join(f"{u}: {', '.join(r)}" for u, r in by_unit.items()))
        if info.presets:
            click.echo(f"  presets (-p preset:NAME): {', '.join(info.presets)}")
        click.echo(f"  SBML: {info.sbml_path}")


@main.command("simulate")
@click.argument("model")
@click.option(
    "-p",
    "--perturb",
    "specs",
    multiple=True,
    metavar="SPEC",
    help="Perturbation: ko:X, kd:X=F, oe:X=N, inh:X=F, set:ID=V[@T0[-T1]], drug:NAME=DOSE[/EVERY...], "
    "preset:NAME (repeatable; '+' joins).",
)
@click.option("--context", default=None,
              help="Species context of a shipped model: mouse or human, mouse_huRANKL for the drug models "
              "(default: the model's).")
@click.option("--end", type=EndTime(), default=None, help="End time." + END_HELP)
@click.option("--points", type=int, default=101, show_default=True,
              help="Number of output time points (2 to 1,000,000).")
@click.option("--readouts", default=None, help="Comma-separated readouts (default: the model's readouts).")
@click.option(
    "--out", type=FileName(), default=None, callback=_table_name,
    help="Write the table to this file: .csv, or .parquet for Parquet (default, or '-': CSV on stdout)."
)
@click.option(
    "--plot", type=FileName("figure.png"), default=None,
    help="Also write a figure of the time courses (.png, .pdf or .svg)."
)
@click.option(
    "--baseline",
    type=click.Choice(["initial", "steady"]),
    default="initial",
    show_default=True,
    help="For an SBML FILE: start from the file's initial state, or from the steady state reached "
    "by integration (shipped models always start from their steady baseline).",
)
@_tolerance_options
def simulate_cmd(model, specs, context, end, points, readouts, out, plot, baseline, rtol, atol) -> None:
    """Simulate MODEL (a shipped model name or an SBML FILE.xml) with perturbations from time 0."""
    from .plots import time_course_figure

    if out is not None and (str(out) == "-" or str(out) in STDOUT_NAMES):
        out = None  # the table goes to stdout, as without --out
    end = _end_in_model_unit(model, end)
    if out is not None:
        out = _writable(out)
    if plot is not None:  # a figure's suffix differs from a table's: they cannot be the same file
        plot = _writable_figure(plot)
    selected = _readout_list(readouts)
    from .sbml_files import check_model_arguments

    given = click.get_current_context().get_parameter_source("baseline") != ParameterSource.DEFAULT
    is_file = check_model_arguments(model, context=context, baseline=baseline if given else None, end=end,
                                    needs_end=True, tolerances=(rtol, atol))
    _note_shipped_file(model, baseline)
    if is_file:
        from .sbml_files import load_any, simulate_any

        with _initial_baseline_hint(model):
            engine = load_any(Path(model), preequilibrate=baseline == "steady",
                              relative_tolerance=rtol, absolute_tolerance=atol)
        frame = simulate_any(engine, *specs, end=end, points=points, readouts=selected)
        time_unit, title = engine.time_unit, Path(model).name
        scales: dict[str, float] = {}  # a file's units may make tiny values real (moles in one cell)

        def unperturbed():
            return simulate_any(engine, end=end, points=points, readouts=selected)
    else:
        from .model import Model

        m = Model(model, context)
        frame = m.simulate(*specs, end=end, points=points, readouts=selected)
        time_unit, title = m.time_unit, f"{model} ({m.context})"
        scales = {r: UNIT_SCALES[u] for r, u in frame.attrs["units"].items() if u in UNIT_SCALES}

        def unperturbed():
            return m.simulate(end=end, points=points, readouts=selected)

    if out is None:
        click.echo(_round_off_shown_as_zero(frame).to_csv(index=False, float_format="%.6g"), nl=False)
    else:
        _write_table(frame, out)
        click.echo(f"wrote {out} ({len(frame)} time points, time in {time_unit}s)", err=True)
    # the run without the perturbations, for the figure (drawn behind) and the note: run once
    import functools

    without = functools.cache(unperturbed)

    if plot is not None:
        label = " + ".join(specs) or "baseline"
        try:
            wild = without() if specs else None
        except RanklNetError:
            wild = None  # (drawn without it)
        with _writing(plot):
            time_course_figure(frame, plot, title=f"{title}: {label}", time_unit=time_unit,
                               units=frame.attrs["units"], reference=wild, label=label)
        click.echo(f"wrote {plot}", err=True)
    if specs and points <= NOTE_POINTS and _same_courses(frame, without, scales):
        why = _scales_zero(specs, engine) if is_file else ""
        click.echo(f"note: {' + '.join(specs)} leaves every readout as it is without perturbation over "
                   f"{frame['time'].iloc[-1]:g} {time_unit}s{why}", err=True)


def _scales_zero(specs: tuple[str, ...], engine) -> str:
    """Why a file's perturbations may change nothing: the kd:/oe: parts that scale a species that
    is 0 at time 0 (a product not yet made), said as the end of a note ("" when none does)."""
    from .perturbations import Knockdown, Overexpression, parse_spec

    zero = [f"{p.spec} scales {p.node}, which is 0 at time 0" for p in parse_spec("+".join(specs))
            if isinstance(p, Knockdown | Overexpression) and engine.baseline.get(p.node) == 0]
    return f" ({'; '.join(zero)})" if zero else ""


def _round_off_shown_as_zero(frame):
    """``frame`` (a time course of ``simulate``) for display: each readout's integration round-off
    (at most a millionth of its largest size over the run, or of its unit's floor where that is
    larger: 1 for a percent, which may sit at 0, as CTX at -2e-7 % at baseline; one molecule per
    litre for a concentration, :func:`rankl_net.analysis.round_off_floor`) shown as 0, as
    ``regimens`` prints it. A file keeps every value as computed."""
    from .analysis import round_off_sizes, round_off_to_zero

    units = frame.attrs.get("units", {})
    readouts = {c: units.get(c) for c in frame.columns if c != "time"}
    return round_off_to_zero(frame, round_off_sizes(frame, readouts))


@contextmanager
def _initial_baseline_hint(model: str) -> Iterator[None]:
    """A file with no steady baseline (--baseline steady) may start from its initial state: say so."""
    try:
        yield
    except PreequilibrationError as exc:
        from .sbml_files import is_sbml_file

        if not is_sbml_file(model):
            raise
        raise PreequilibrationError(f"{exc}; an SBML file can start from its initial state: "
                                    "--baseline initial") from None


def _note_shipped_file(model: str, baseline: str | None) -> None:
    """Say so when an SBML file is a shipped model's: as a file it runs from the file's own
    state and values, not from the model's pre-equilibrated baseline in its default context."""
    from .catalog import get_model, model_names
    from .exchange import shipped_export_of
    from .sbml_files import is_sbml_file

    if model in model_names() and Path(model).is_file():
        click.echo(f"note: {model} is the shipped model; ./{model} names the file of that name in this "
                   "folder", err=True)
    if not is_sbml_file(model) or not Path(model).is_file():
        return
    found = shipped_export_of(model)
    if found is None:
        return
    name, fmt = found
    info = get_model(name)
    own = [c for c, values in info.contexts.items() if not values]  # contexts that change nothing
    start = ("a steady state found with the file's values as they are" if baseline == "steady"
             else "the file's initial values, not the model's baseline")
    values = f" (those of the {' and '.join(own)} context{'s' if len(own) > 1 else ''})" if own else ""
    command = click.get_current_context().info_name
    what = "the SBML" if fmt == "sbml" else f"the {fmt} export"
    click.echo(f"note: {Path(model).name} is {what} of the shipped model {name}; as a file it runs from "
               f"{start}, with the file's parameter values{values}. `rankl-net {command} {name}` (the "
               f"name, not the file) starts from the model's pre-equilibrated baseline in the "
               f"{info.default_context} context (--context chooses another); `rankl-net export {name} "
               "--format sbml-baseline` writes a file that starts there.", err=True)


# more levels than a dose-response curve needs: --levels A:B:N taken for A:STEP:B, most likely
MANY_LEVELS = 1000
# simulate compares its result with the unperturbed run (a second simulation) up to this many
# output times; a longer grid is left without the note
NOTE_POINTS = 10_001


def _same_courses(a, unperturbed, scales: Mapping[str, float] | None = None) -> bool:
    """Whether a time-course table (time, then readouts) agrees with the one ``unperturbed()``
    returns within the integration's accuracy: relative 1e-7, or 1e-9 of a readout's largest
    magnitude, or 1e-7 of its natural scale in ``scales`` (100 for a readout in %, 1 for an
    index), which a readout near zero (a percent change, round-off of a lesion index) is judged
    by. A comparison that cannot be made (the unperturbed run fails) is no agreement."""
    import numpy as np

    try:
        b = unperturbed()
    except RanklNetError:
        return False
    scales = scales or {}
    return all(
        np.allclose(a[c].to_numpy(), b[c].to_numpy(), rtol=1e-7,
                    atol=max(1e-9 * float(np.abs(b[c]).max()), 1e-7 * scales.get(c, 0.0)))
        for c in a.columns[1:]
    )


# the natural scale of a readout by its unit, for _same_courses: percent (of the baseline, of
# the site), percent per day and dimensionless indices
UNIT_SCALES = {"%": 100.0, "% change": 100.0, "%/day": 100.0, "dimensionless": 1.0}


@main.command("export")
@click.argument("model")
@click.option(
    "--format",
    "fmt",
    required=True,
    # exchange.FORMATS, written out: importing exchange would slow every command's start
    type=click.Choice(["sbml", "sbml-baseline", "sbml-l2v4", "antimony", "comp", "sedml", "omex", "petab"]),
    help="Export format.",
)
@click.option("--out", type=click.Path(), required=True, help="File (a folder for petab).")
@click.option("--context", default=None,
              help="Species context: mouse, human or mouse_huRANKL (default: the model's).")
@click.option(
    "--experiment",
    type=click.Choice(["baseline", "genetic_lines"]),
    default="baseline",
    show_default=True,
    help="For sedml/omex: the model's baseline time course, or the genetic lines (bone model).",
)
def export_cmd(model, fmt, out, context, experiment) -> None:
    """Export MODEL as SBML (as shipped, or with a context's baseline as initial state), SBML L2V4,
    Antimony, hierarchical SBML (comp), SED-ML, a COMBINE archive or a PEtab problem."""
    from .catalog import get_model, model_names
    from .exchange import check_context_format, export, export_example
    from .sbml_files import is_sbml_file

    if is_sbml_file(model) and model not in model_names():
        raise InputError(f"{model}: export writes the shipped models ({', '.join(model_names())}) in other "
                         "formats; an SBML file is read as it is by simulate, screen and validate")
    shipped = get_model(model).sbml_path
    check_context_format(fmt, context, experiment)
    if not out.strip():  # ("" would be the working folder)
        raise InputError(f"--out: the name is empty; give a {'folder' if fmt == 'petab' else 'file'} name, "
                         f"such as {export_example(model, fmt)}")
    if fmt != "petab" and _names_a_folder(out):
        raise InputError(f"--out {_folder_name_message(out, f'{model}.xml')} ({fmt} is written to a file; "
                         "only petab writes a folder)")
    out = _writable(Path(out), folder=fmt == "petab")
    if out.exists() and out.resolve() == shipped.resolve():
        raise InputError(f"{out} is the shipped model file itself; give another name")
    if fmt == "petab":  # and every file it writes in the folder
        from .exchange import petab_file_names

        for name in petab_file_names(model).values():
            _writable(out / name)
    if fmt == "sedml":  # the baseline SBML it refers to goes beside it
        from .exchange import baseline_file_name

        beside = _writable(out.parent / baseline_file_name(model, context))
        if beside.resolve() == out.resolve():
            raise InputError(f"{out} is the name of the model file written beside the SED-ML; "
                             "give the SED-ML another name")
    # a failed write names no file of its own (a full disk): the one asked for, or, for the
    # formats that write several, the folder or the pair
    written = f"{out} or {beside}" if fmt == "sedml" else f"the files of {out}" if fmt == "petab" else out
    with _writing(written):
        result = export(model, fmt, out, context=context, experiment=experiment)
    for path in result.paths:
        click.echo(f"wrote {path}")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)


@main.command("phenotypes")
@_table_out_option("results/phenotypes.csv")
def phenotypes_cmd(out: Path) -> None:
    """Run every mouse genetic line of experiments/genetic_lines.tsv against wild type."""
    from .experiments import AGE_DAYS, run_phenotypes
    from .plots import phenotype_figure

    out = _writable_table(out, ".png")[0]
    start = time.perf_counter()
    table = run_phenotypes()
    elapsed = time.perf_counter() - start
    per_model = table["model"].value_counts(sort=False)
    runs = ", ".join(f"{_count(n, 'line')} on {m}" for m, n in per_model.items())
    # CTX shows resorption where osteoclast numbers do not (cathepsin K-/-)
    columns = ["line", "perturbation", "bone_volume_pct_wt", "osteoclasts_pct_wt", "ctx_pct_wt",
               "phenotype", "expected_phenotype", "osteoclasts", "expected_osteoclasts", "agrees", "source"]
    _write_checked_table(
        table, out, lambda t, path: phenotype_figure(t, path, AGE_DAYS),
        f"Mouse genetic lines vs wild type at {AGE_DAYS:g} days: {runs}",
        columns, "agrees", "{ok}/{total} lines agree with the literature; " + f"{elapsed:.1f} s",
    )


def _input_file(path: Path, what: str, hint: str) -> None:
    """Refuse, naming what it is, an input file that is missing, a folder, not a regular file (a
    device such as /dev/null, a named pipe) or empty; ``hint`` says where the valid ones are."""
    import stat

    path = Path(path)
    where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
    a_what = f"{'an' if what[0] in 'aeiou' else 'a'} {what}"
    if not path.exists():
        raise InputError(f"{path}: no such {what}{where}; {hint}")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not {a_what}; give a file (.toml): {hint}")
    if not path.is_file():
        mode = path.stat().st_mode
        kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device")
        raise InputError(f"{path} is {kind}, not a regular file; give {a_what} (.toml): {hint}")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty; {a_what} holds TOML tables: {hint}")


@main.command("experiment")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--only", "only", multiple=True, metavar="ID", help="Run only this experiment (repeatable).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Folder for ID.csv (time courses), ID_checks.csv (expectations) and ID.png per experiment.",
)
def experiment_cmd(file: Path, only: tuple[str, ...], out: Path) -> None:
    """Run the comparison experiments of FILE (e.g. experiments/tumour.toml) and check their
    expected outcomes."""
    from . import paths
    from .analysis import round_off_sizes, round_off_to_zero, units_by_readout
    from .catalog import get_model
    from .comparisons import check_comparison, final_table, read_comparisons, run_comparison
    from .plots import comparison_figure

    shipped = sorted(p.name for p in paths.EXPERIMENTS.glob("*.toml"))
    _input_file(file, "experiment file", f"the shipped ones are {', '.join(shipped)} in {paths.EXPERIMENTS}")
    experiments = read_comparisons(file)
    if not experiments:
        raise InputError(f"{file} defines no experiment (each starts with [[experiments]])")
    if only:
        known = {e.id for e in experiments}
        for name in only:
            if name not in known:
                raise unknown_name("experiment", name, known)
        experiments = [e for e in experiments if e.id in only]
    _output_folder(out, "results")
    for exp in experiments:  # every one checked, and its files, before the first runs
        check_comparison(exp)
    written = _output_files(out, [e.id for e in experiments], (".csv", "_checks.csv", ".png"))
    from .screens import percent_changes

    failed = 0
    for exp in experiments:
        result = run_comparison(exp)
        csv_path, checks_path, png_path = written[exp.id]
        _write_table(result.time_courses, csv_path)
        _write_table(result.checks, checks_path)
        unit = get_model(exp.model).time_unit
        context = get_model(exp.model).context_or_default(exp.context or None)
        with _writing(png_path):
            comparison_figure(result.time_courses, list(exp.readouts), png_path,
                              title=f"{exp.title} ({exp.model}, {context})", time_unit=unit,
                              units=units_by_readout(result.time_courses))
        click.echo(f"== {exp.id}: {exp.title}")
        click.echo(f"readouts at {exp.end:g} {unit}s:")
        courses, table = result.time_courses, final_table(result)
        # (an expectation's readout outside `readouts` is in the courses, not in the table)
        units = units_by_readout(courses)
        sizes = round_off_sizes(courses, {r: units[r] for r in table.columns})
        shown = _unit_header(round_off_to_zero(table, sizes, percent_changes(exp.model)), units)
        click.echo(shown.to_string(float_format=lambda x: f"{x:.4g}"))
        for row in result.checks.itertuples():
            mark = "ok  " if row.passed else "FAIL"
            change = "" if math.isnan(row.relative_change) else f" ({100 * row.relative_change:+.1f} %)"
            when = "" if row.time == exp.end else f" at {row.time:g} {unit}s"  # not the table's time
            click.echo(f"{mark} {row.condition}: {row.expectation}{when}: {row.value:.4g}{change}")
        failed += int((~result.checks["passed"]).sum()) if len(result.checks) else 0
        click.echo(f"wrote {csv_path}, {checks_path.name} and {png_path.name}\n")
    total = sum(len(e.expectations) for e in experiments)
    click.echo(f"{total - failed}/{total} expectations hold")
    if failed:
        sys.exit(1)


@main.command("validate")
@click.argument("model")
def validate_cmd(model: str) -> None:
    """Validate MODEL (a shipped model name or an SBML FILE.xml): libSBML (units on), annotations,
    units, orphans, a simulation, non-negativity, conservation laws and the steady state; prints
    a report with a score."""
    from . import paths
    from .annotations import parameter_sources
    from .catalog import get_model, model_names
    from .checks import Check, dynamic_checks, static_checks
    from .errors import SimulationError
    from .exchange import load_any
    from .sbml_files import is_sbml_file, missing_file_message

    if model in model_names():  # its shipped file (a name names the model, as for the other commands)
        _note_shipped_file(model, None)
        file = get_model(model).sbml_path
    elif is_sbml_file(model) or Path(model).exists() or "/" in model or os.sep in model:
        file = Path(model)  # the file checks say what is wrong with it
        if not file.exists() and not file.is_symlink():
            raise InputError(missing_file_message(file))
    else:
        raise InputError(f"no such file {model!r}, and {unknown_name('model', model, model_names())}")
    # provenance is recorded for the shipped models only; a foreign file is not scored on it
    shipped = file.resolve().parent == paths.SBML.resolve()
    checks = static_checks(file, parameter_sources() if shipped else None)
    if not any(c.name == "simulation" for c in checks):  # listed as not run when errors change the model
        try:
            # from the file's initial state: oscillators and event-driven models have no steady baseline
            # (the validity rules are the sbml_errors check's, which static_checks applied)
            engine = load_any(file, check_rules=False)
            checks += dynamic_checks(engine, 10.0,
                                     lambda: load_any(file, preequilibrate=True, check_rules=False))
        except (InputError, SimulationError) as exc:
            checks.append(Check("simulation", False, f"libRoadRunner cannot run it: {exc}"))
    for c in checks:
        click.echo(f"{c.mark} {c.name}: {c.message}")
        for item in c.items[:20]:
            click.echo(f"       {item}")
        if len(c.items) > 20:
            click.echo(f"       ... and {len(c.items) - 20} more")
    ran = [c for c in checks if c.ran]
    not_run = f", {len(checks) - len(ran)} not run" if len(ran) < len(checks) else ""
    click.echo(f"score: {sum(c.passed for c in ran)}/{len(ran)} checks passed{not_run}")
    # valid: libSBML finds no error and the model simulates
    essential = {c.name: c.passed for c in checks if c.name in ("sbml_errors", "simulation")}
    if not all(essential.values()) or "simulation" not in essential:
        sys.exit(2)


@main.command("build")
@click.option(
    "--check", is_flag=True, help="Only compare the committed files with what the sources generate."
)
def build_cmd(check: bool) -> None:
    """Generate models/sbml/*.xml and their listings from models/antimony and models/annotations."""
    from .build import build

    for r in build(check=check):
        verb = "up to date" if check else "wrote"
        click.echo(f"{verb} {r.sbml_path} and {r.listing_path.name}")


@main.command("calibrate")
def calibrate_cmd() -> None:
    """Recompute the baseline reference values of the bone model (then run `rankl-net build`)."""
    from .calibrate import GENERATED, calibrate

    values = calibrate()
    for k, v in values.items():
        click.echo(f"{k} = {v:.9g}")
    click.echo(f"wrote {GENERATED}")


@main.command("screen")
@click.argument("model")
@click.option("--knockouts", default=None, help="'all' or a comma-separated list of nodes to knock out.")
@click.option("--pairs", is_flag=True, help="Every pair of the knockouts instead of single knockouts.")
@click.option("--singles", is_flag=True,
              help="With --pairs, the single knockouts too (for epistasis and the heatmap diagonal).")
@click.option("--conditions", "conditions_file", type=click.Path(path_type=Path), default=None,
              help="A text file with one perturbation spec per line (instead of --knockouts).")
@click.option("-p", "--perturb", "background", multiple=True, metavar="SPEC",
              help="Background perturbation applied in every condition and in the reference.")
@_context_option
@click.option("--end", type=EndTime(), default=None, help="Time of the readouts." + END_HELP)
@click.option("--readouts", default=None, help="Comma-separated readouts (default: the model's).")
@click.option("--workers", type=int, default=None, help="Local processes (default: every core).")
@click.option("--scheduler", default=None, help="Dask scheduler address, tcp://HOST:PORT.")
@click.option("--worker-timeout", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Seconds to wait for the scheduler's first worker.")
@click.option("--chunk-size", type=int, default=None, help="Conditions per task.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Parquet dataset folder.")
@click.option("--resume", is_flag=True, help="Continue an interrupted screen in --out.")
@_file_run_options
def screen_cmd(model, knockouts, pairs, singles, conditions_file, background, context, end, readouts, workers,
               scheduler, worker_timeout, chunk_size, out, resume, baseline, rtol, atol) -> None:
    """Run a perturbation screen on MODEL (a shipped model name or an SBML FILE.xml) and stream the
    results to a Parquet dataset. On a file, ko:SPECIES holds a species at zero, oe:SPECIES=N
    scales it at time 0 and set:ID=V sets any value; --knockouts all is every species."""
    from .screens import check_results_folder_name, is_screen_folder, knockout_conditions, run_screen

    end = _end_in_model_unit(model, end)
    if knockouts is None and conditions_file is None:
        raise InputError("give the conditions: --knockouts all|X,Y,... or --conditions FILE (one "
                         "perturbation spec per line)")
    if knockouts is not None and conditions_file is not None:
        missing = "" if Path(conditions_file).exists() else f" (and {conditions_file}: no such file)"
        raise InputError(f"give either --knockouts or --conditions, not both{missing}: --knockouts "
                         "all|X,Y,... knocks out nodes, a --conditions FILE lists every condition, one "
                         "spec per line (a knockout as ko:X)")
    source = click.get_current_context().get_parameter_source("worker_timeout")
    if source != ParameterSource.DEFAULT and scheduler is None:
        raise InputError("--worker-timeout applies to a Dask cluster (--scheduler); the local pool starts "
                         "its workers itself")
    if conditions_file is not None and (pairs or singles):
        raise InputError("--pairs and --singles apply to --knockouts; a --conditions file lists each "
                         "condition (write a pair as ko:A+ko:B)")
    if singles and not pairs:
        raise InputError("--singles adds the single knockouts to --pairs; without --pairs the screen is "
                         "the singles already")
    check_results_folder_name(out)
    out = _writable(out, folder=True)
    lines: list[int] = []  # the file's line of each condition
    if knockouts is not None:
        targets = comma_list(knockouts, "--knockouts")  # "all" (any case) is every knockout
        with _initial_baseline_hint(model):
            conditions = knockout_conditions(model, targets, pairs=pairs, context=context, baseline=baseline)
            if singles:
                singles_first = knockout_conditions(model, targets, context=context, baseline=baseline)
                conditions = singles_first + conditions
    else:
        conditions, lines = _read_conditions(Path(conditions_file))
    selected = _readout_list(readouts)
    _note_shipped_file(model, baseline)
    earlier_run = is_screen_folder(out)
    start = time.perf_counter()
    try:
        with _initial_baseline_hint(model):
            table = run_screen(model, conditions, background=background, context=context, end=end,
                               readouts=selected, workers=workers, scheduler=scheduler,
                               worker_timeout=worker_timeout, out=out, resume=resume,
                               chunk_size=chunk_size, baseline=baseline, relative_tolerance=rtol,
                               absolute_tolerance=atol)
    except InputError as exc:
        k, pair = getattr(exc, "condition_index", None), getattr(exc, "condition_pair", None)
        if pair is not None and lines:
            raise InputError(f"--conditions {conditions_file}, lines {lines[pair[0]]} and {lines[pair[1]]}: "
                             f"{exc}") from None
        if k is None or not lines:
            raise
        raise InputError(f"--conditions {conditions_file}, line {lines[k]}: {exc}") from None
    except KeyboardInterrupt:
        _interrupted(out, len(conditions))
    elapsed = time.perf_counter() - start
    n = table["condition_id"].nunique()
    failed = table.loc[table["status"] != "ok", "condition_id"].nunique()
    n_readouts = table["readout"].nunique()
    resumed = table.attrs.get("resumed", 0)
    kept = f"; {resumed} read from the earlier run" if resume else ""
    if resume and not earlier_run:
        kept = "; --resume found no earlier run here, so all ran"
    click.echo(f"{_count(n, 'condition')} ({failed} failed{kept}) x {_count(n_readouts, 'readout')} in "
               f"{elapsed:.1f} s; output {out}")


def _interrupted(out: Path | None, total: int | None, noun: str = "condition") -> NoReturn:
    """Say how far a screen streaming to the folder ``out`` got before Ctrl-C (of ``total``
    conditions, when known) and that the same command with --resume continues it; exit 1."""
    if out is not None and Path(out).is_dir():  # its manifest is written: the same command needs --resume
        from .screens import ParquetStore

        try:
            finished = _count(len(ParquetStore(out).done_ids()), noun)
            finished += f" of {total}" if total is not None else ""
        except InputError:  # a damaged part file: --resume will say which
            finished = f"the {noun}s"
        click.echo(f"\ninterrupted: {finished} finished so far, in {out}; run the same command with "
                   "--resume to continue", err=True)
    elif out is not None:
        click.echo(f"\ninterrupted before any {noun} was written", err=True)
    else:
        click.echo(f"\ninterrupted; nothing was kept (with --samples FOLDER the {noun}s stream to a folder, "
                   "which the same command with --resume continues)", err=True)
    sys.exit(1)


def _failed_levels(table, *, figure: bool) -> list[str]:
    """Lines naming the levels of a dose-response series (a DataFrame) whose simulation failed,
    which the fits leave out (and ``figure`` marks), one line per message."""
    levels = table.drop_duplicates("level")
    failed = levels[levels["status"] != "ok"]
    if failed.empty:
        return []
    marked = ", marked x on the figure's dose axis" if figure else ""
    head = f"failed at {len(failed)} of {_count(len(levels), 'level')} (left out of the fits{marked}):"
    return [head] + [f"  {', '.join(spec_number(v) for v in group['level'])}: {message}"
                     for message, group in failed.fillna({"message": ""}).groupby("message", sort=False)]


# a readout of a file that moves by more than this share of its size over the last tenth of the
# run without the perturbation has not settled at --end: its dose-response is that moment's
UNSETTLED = 0.01


def _unsettled_readouts(model: str, readouts: list[str], background: tuple[str, ...], end: float,
                        baseline: str | None, rtol: float | None, atol: float | None) -> list[str]:
    """Notes for the readouts of an SBML file that still move at ``end`` in the run without the
    perturbation (the background alone): an oscillation or a transient, whose fits describe the
    moment ``end`` and move with it. Nothing when that run fails (the screen said so)."""
    import numpy as np

    from .sbml_files import simulate_any
    from .screens import file_engine

    try:  # the engine the series ran on, compiled and at its baseline already
        engine = file_engine(model, baseline, rtol, atol)
        frame = simulate_any(engine, *background, end=end, points=101, readouts=readouts)
    except RanklNetError:
        return []
    last = frame[frame["time"] >= 0.9 * end]
    notes = []
    for r in readouts:
        values = last[r].to_numpy(float)
        size = float(np.abs(values).max(initial=0.0))
        if size > 0 and np.ptp(values) > UNSETTLED * size:
            moved, unit = 100 * np.ptp(values) / size, engine.time_unit
            notes.append(f"note: without the perturbation, {r} still moves by {moved:.2g} % over the "
                         f"last tenth of the run ({0.9 * end:g} to {end:g} {unit}s): the fits describe the "
                         f"response at {end:g} {unit}s, and move with --end")
    return notes


def _read_conditions(path: Path) -> tuple[list[str], list[int]]:
    """The conditions of a --conditions file (one spec per line; blank lines and lines starting
    with # skipped) and the line number of each."""
    if not path.exists():
        raise InputError(f"--conditions {path}: no such file")
    if path.is_dir():
        raise InputError(f"--conditions {path} is a folder; give a text file with one condition per line")
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a byte-order mark is no spec
    except UnicodeDecodeError as exc:
        raise InputError(f"--conditions {path} is not UTF-8 text (byte {exc.start}); give a text file "
                         "with one condition per line") from None
    except OSError as exc:
        raise InputError(f"--conditions {path}: cannot read it ({exc.strerror})") from None
    conditions, lines = [], []
    # lines as an editor counts them: \n or \r\n (splitlines would also split at form feeds)
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            conditions.append(line.strip())
            lines.append(number)
    if not conditions:
        raise InputError(f"--conditions {path} lists no condition (only blank lines and comments); give one "
                         "spec per line, such as ko:OPG or inh:P38=0.5+ko:RANKL")
    return conditions, lines


class _DosedOption(click.Option):
    """dose-response's ``--perturb``, the dosed perturbation: missing where ``-p`` (the background
    here, though ``-p`` is ``--perturb`` in simulate and screen) was given, the message says which
    option is which."""

    def process_value(self, ctx: click.Context, value):
        try:
            return super().process_value(ctx, value)
        except click.MissingParameter:
            # the options given are processed before those missing: -p's values are in ctx.params
            background = ctx.params.get("background") or ()
            if not background:
                raise
            from .screens import DOSED_KINDS, series_of

            dosable = [series_of(b) for b in background
                       if "+" not in b and b.partition(":")[0] in DOSED_KINDS]
            hint = f" Did you mean --perturb {dosable[0]}?" if len(background) == 1 and dosable else ""
            given = " ".join(f"-p {shlex.quote(b)}" for b in background)
            raise click.UsageError(
                f"Missing option '--perturb' (got {given}): in dose-response, --perturb inh:X (or kd:X, "
                f"oe:X, set:ID, drug:NAME) names the dosed perturbation, whose levels --levels gives; -p "
                f"gives a background applied in every level and in the reference.{hint}", ctx) from None


@main.command("dose-response")
@click.argument("model")
@click.option("--perturb", cls=_DosedOption, required=True,
              help="The dosed perturbation: inh:X, kd:X, oe:X or set:ID (the level is the value), or a "
              "drug: drug:NAME (the level is a dose in mg), drug:NAME=mg/kg (per kg), with a schedule if "
              "any (drug:denosumab/6mo).")
@click.option("--levels", required=True, help="A:B:N (N evenly spaced levels) or a comma-separated list.")
@click.option("--readouts", "--readout", "readouts", default=None,
              help="Comma-separated readouts (default: the model's).")
@click.option("-p", "background", multiple=True, metavar="SPEC",
              help="Background perturbation under every level and the reference (ko:OPG, a drug regimen); "
              "not the dosed one, which is --perturb.")
@_context_option
@click.option("--end", type=EndTime(), default=None, help="Time of the readouts." + END_HELP)
@click.option("--workers", type=int, default=1, show_default=True, help="Local processes.")
@click.option("--out", type=FileName(), default=None, callback=_table_path,
              help="Table of the series (.csv, or .parquet for Parquet); the fits go to *_fits.csv "
              "and the figure to *.png beside it.")
@_file_run_options
def dose_response_cmd(model, perturb, levels, readouts, background, context, end, workers, out,
                      baseline, rtol, atol) -> None:
    """A dose-response series of one perturbation on MODEL (a shipped model name or an SBML
    FILE.xml, with oe:SPECIES or set:ID) with a Hill fit per readout.

    Doses are measured from the level that leaves the target as it is: the fraction inhibited
    (inh:), the fraction of expression removed (kd:, 1 - level), the expression added (oe:,
    level - 1); for set: the value itself; for a drug the dose (mg or mg/kg, above 0). For inh:,
    kd:, oe: and drugs the fit's baseline is the readout without the perturbation.
    """
    from .analysis import MIN_HILL_LEVELS, fit_notes, fit_summary, hill_fits, units_by_readout
    from .plots import dose_response_figure
    from .sbml_files import is_sbml_file
    from .screens import (
        anchored,
        dose_conditions,
        dose_label,
        dose_of,
        levels_of,
        parse_levels,
        percent_changes,
        run_screen,
    )

    end = _end_in_model_unit(model, end)
    if out is not None:
        out, fits_path, figure_path = _writable_table(out, "_fits.csv", ".png")
    values = parse_levels(levels)
    if ":" in levels and len(values) > MANY_LEVELS:  # 0:1:100000 written for "0 to 100000 in steps of 1"
        a, b, n = (part.strip() for part in levels.split(":"))
        click.echo(f"note: --levels {levels} is {len(values):,} levels from {a} to {b} (A:B:N gives N evenly "
                   f"spaced levels, not a step); a Hill fit needs tens, such as {a}:{b}:11", err=True)
    distinct = len(set(values.tolist()))
    if distinct < MIN_HILL_LEVELS:
        raise InputError(f"--levels {levels} gives {distinct} distinct levels; a Hill fit needs at least "
                         f"{MIN_HILL_LEVELS} (e.g. 0:1:9)")
    specs = dose_conditions(perturb, values)
    if not (dose_of(perturb, values) > 0).any():
        raise InputError(f"--levels {levels} has no dose above 0 ({dose_label(None, perturb)}); a Hill fit "
                         "needs levels that perturb (e.g. 0:1:9)")
    selected = _readout_list(readouts)
    _note_shipped_file(model, baseline)
    with _initial_baseline_hint(model):
        try:
            table = run_screen(model, specs, background=background, context=context, end=end,
                               readouts=selected, workers=workers, baseline=baseline,
                               relative_tolerance=rtol, absolute_tolerance=atol)
        except InputError as exc:
            k = getattr(exc, "condition_index", None)
            if k is None:
                raise
            # the levels were checked: what the first level refuses is the target (a name, a
            # quantity an assignment rule computes), said of --perturb rather than of a condition
            said = str(exc).split(": ", 1)[1] if str(exc).startswith("condition ") else str(exc)
            raise InputError(f"--perturb {perturb} (at level {values[k]:g}, {specs[k]}): {said}") from None
    # the screen names nodes by their ids (inh:Mapk14 is inh:P38): levels read from its specs
    table.insert(2, "level", levels_of(table["perturbation"]))
    table.insert(3, "dose", dose_of(perturb, table["level"]))
    # what the series ran on, which `rankl-net report` names (a file has no context)
    table.insert(0, "model", model)
    table.insert(1, "context", table.attrs["context"])
    table.insert(2, "baseline", table.attrs["baseline"])  # a file's: initial or steady
    table.insert(3, "end", table.attrs["end"])
    table.insert(4, "time_unit", table.attrs["time_unit"])
    fits = hill_fits(table, anchored=anchored(perturb), changes=percent_changes(model))
    label = dose_label(model, perturb)
    at = _readouts_at(table.attrs["end"], table.attrs["time_unit"])
    click.echo(f"{perturb} on {model}{at}: Hill fits (IC50 as a dose: {label}; 95% intervals; emax a "
               "fraction of the baseline, or in the readout's unit for readouts that are changes)")
    click.echo(fit_summary(fits).to_string(index=False, float_format=lambda x: f"{x:.4g}", na_rep=""))
    for line in fit_notes(fits):
        click.echo(line)
    for line in _failed_levels(table, figure=out is not None):
        click.echo(line)
    if is_sbml_file(model) and Path(model).is_file():
        for line in _unsettled_readouts(model, list(fits["readout"]), background, end, baseline, rtol, atol):
            click.echo(line, err=True)
    if out is not None:
        _write_table(table, out)
        with _writing(fits_path):
            fits.to_csv(fits_path, index=False)
        with _writing(figure_path):
            title = _series_title(model, context, perturb, background, table.attrs["end"],
                                  table.attrs["time_unit"])
            fig = dose_response_figure(table, fits, figure_path, title=title,
                                       units=units_by_readout(table), dose_label=label)
        click.echo(f"wrote {out}, {fits_path} and {fig}")


def _ranges(vary: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """The parameter ranges of ``--vary ID=LOW:HIGH`` (each end a number, or a multiple of the
    model's value such as 0.5x), as text for :func:`rankl_net.sensitivity.problem`."""
    ranges: dict[str, tuple[str, str]] = {}
    for text in vary:
        pid, sep, bounds = (t.strip() for t in text.partition("="))
        lo, colon, hi = (t.strip() for t in bounds.partition(":"))
        if not (sep and colon and pid and lo and hi) or ":" in hi:
            raise InputError(f"--vary {text}: give a parameter and its range as ID=LOW:HIGH, in the model's "
                             "units (pth=1.5:6) or as multiples of its value (k_resorption=0.5x:2x)")
        if pid in ranges:
            raise InputError(f"--vary names {pid} twice; give each parameter once")
        ranges[pid] = (lo, hi)
    return ranges


@main.command("sensitivity")
@click.argument("model")
@click.option("--vary", multiple=True, required=True, metavar="ID=LOW:HIGH",
              help="A parameter and its range, in the model's units (pth=1.5:6) or as multiples of its "
              "value (k_resorption=0.5x:2x); repeat for each parameter.")
@click.option("--method", type=click.Choice(["sobol", "morris"]), default="sobol", show_default=True,
              help="Sobol' first- and total-order indices, or Morris elementary effects.")
@click.option("--n", "n", type=int, default=64, show_default=True,
              help="Sobol': base samples, a power of 2 (n x (parameters + 2) runs); Morris: trajectories "
              "(n x (parameters + 1) points; shared points run once).")
@click.option("--readouts", default=None, help="Comma-separated readouts (default: the model's).")
@click.option("-p", "--perturb", "background", multiple=True, metavar="SPEC",
              help="Background perturbation under every sample (ko:OPG, a drug regimen); the sample's "
              "values are set on top of it.")
@_context_option
@click.option("--end", type=EndTime(), default=None, help="Time of the readouts." + END_HELP)
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True, help="Fixes the sample.")
@click.option("--workers", type=int, default=None, help="Local processes (default: every core).")
@click.option("--scheduler", default=None, help="Dask scheduler address, tcp://HOST:PORT.")
@click.option("--worker-timeout", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Seconds to wait for the scheduler's first worker.")
@click.option("--samples", type=click.Path(path_type=Path), default=None,
              help="Parquet dataset folder the sample's runs stream to, as a screen's (--resume "
              "continues it).")
@click.option("--resume", is_flag=True, help="Continue an interrupted analysis from its --samples folder.")
@click.option("--out", type=FileName(), default=None, callback=_table_path,
              help="Table of the indices (.csv, or .parquet for Parquet); their figure goes to *.png "
              "beside it.")
@_file_run_options
def sensitivity_cmd(model, vary, method, n, readouts, background, context, end, seed, workers, scheduler,
                    worker_timeout, samples, resume, out, baseline, rtol, atol) -> None:
    """Global sensitivity of MODEL's readouts (a shipped model name or an SBML FILE.xml) to the
    parameters --vary names, over their ranges (SALib): Sobol' indices or Morris elementary
    effects, printed per readout; --out writes the table and its figure, which `rankl-net
    report` also draws."""
    from .plots import sensitivity_figure
    from .screens import RUNS_FOLDER, check_results_folder_name, is_screen_folder
    from .sensitivity import describe, sensitivity

    end = _end_in_model_unit(model, end)
    source = click.get_current_context().get_parameter_source("worker_timeout")
    if source != ParameterSource.DEFAULT and scheduler is None:
        raise InputError("--worker-timeout applies to a Dask cluster (--scheduler); the local pool starts "
                         "its workers itself")
    if resume and samples is None:
        raise InputError("--resume continues the runs streamed to a --samples folder: give the folder of "
                         "the interrupted analysis")
    ranges = _ranges(vary)
    if out is not None:
        out, figure_path = _writable_table(out, ".png")
    if samples is not None:
        check_results_folder_name(samples, RUNS_FOLDER)
        samples = _writable(samples, folder=True)
        if out is not None and samples.resolve() == out.resolve():
            raise InputError(f"--samples {samples} and --out {out} name one path: the runs stream to the "
                             "--samples folder, and --out is the table of the indices; give them different "
                             "names (such as --samples runs.parquet --out sobol.csv)")
    _note_shipped_file(model, baseline)
    earlier_run = samples is not None and is_screen_folder(samples)
    try:
        with _initial_baseline_hint(model):
            indices = sensitivity(model, ranges, method=method, n=n, readouts=_readout_list(readouts),
                                  background=list(background), context=context, end=end, workers=workers,
                                  scheduler=scheduler,
                                  worker_timeout=worker_timeout, out=samples, resume=resume, seed=seed,
                                  baseline=baseline, relative_tolerance=rtol, absolute_tolerance=atol)
    except KeyboardInterrupt:
        _interrupted(samples, None, "run")
    title = describe(indices)
    # the distinct points simulated (a Morris sample repeats points of its grid), and those read back
    runs, points, resumed = (indices.attrs[k] for k in ("runs", "points", "resumed"))
    counted = (_count(runs, "run") if runs == points
               else f"{points} sample points, {_count(runs, 'distinct run')}")
    if resume:
        counted += f"; {resumed} read back from {samples}" if earlier_run else \
            f"; --resume found no earlier run in {samples}, so all ran"
    click.echo(f"{title} ({counted})")
    shown = [c for c in ("parameter", "low", "high", "readout", "S1", "S1_conf", "ST", "ST_conf", "mu_star",
                         "mu_star_conf", "sigma", "unit") if c in indices.columns]
    printed = indices[shown].assign(**({"unit": indices["unit"].map(_ascii_unit)} if "unit" in shown else {}))
    click.echo(printed.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    if out is not None:
        _write_table(indices, out)
        with _writing(figure_path):
            figure = sensitivity_figure(indices, figure_path, title=title)
        click.echo(f"wrote {out} and {figure}")


FITS_ENDING = "_fits.csv"  # dose-response's fits, beside its table


def _refuse_fits_table(results: Path) -> None:
    """Refuse, pointing to the table it was written beside, the Hill fits of a dose-response
    (``NAME_fits.csv``, the columns of :data:`rankl_net.analysis.HILL_COLUMNS`), which ``report``
    does not take: the report of the series table draws them. Anything else passes, for
    :func:`rankl_net.report.write_report` to read."""
    import pandas as pd

    from .analysis import HILL_COLUMNS

    if not (results.is_file() and results.suffix.lower() == ".csv"):
        return
    try:
        columns = set(pd.read_csv(results, nrows=0).columns)
    except Exception:  # noqa: BLE001 - not a table: the report's reader says why
        return
    if not set(HILL_COLUMNS) <= columns or "perturbation" in columns:
        return
    what = (f"{results} holds the Hill fits that dose-response writes beside its table (as "
            f"NAME{FITS_ENDING}); report takes the dose-response table (dose-response --out), whose report "
            "draws the series with these fits")
    if not results.name.lower().endswith(FITS_ENDING):
        raise InputError(f"{what}; give that table")
    stem = results.name[:-len(FITS_ENDING)]
    # the table of `--out d.csv` (or d.parquet, or any table name of stem d: not its figure d.png, nor
    # the report d.html) wrote d_fits.csv
    tables = sorted((p for p in results.parent.glob(glob.escape(stem) + "*")
                     if p.stem == stem and p.is_file() and p.suffix.lower() not in OTHER_FORMAT_SUFFIXES),
                    key=lambda p: (p.suffix.lower() not in (".csv", ".parquet"), p.name))
    if tables:
        raise InputError(f"{what}: `rankl-net report {shlex.quote(str(tables[0]))}`")
    raise InputError(f"{what}; the table it was written beside ({results.with_name(stem + '.csv')}, or "
                     ".parquet) is not there")


def _series_title(model: str, context: str | None, perturb: str, background: tuple[str, ...],
                  end: float | None = None, time_unit: str | None = None) -> str:
    """A dose-response figure's title: the model (a shipped model's context), the dosed
    perturbation, the background under every level and the time of the readouts (``end``, in
    ``time_unit``: under a drug regimen the response depends on it)."""
    from .catalog import get_model
    from .sbml_files import is_sbml_file

    where = model if is_sbml_file(model) else f"{model} ({get_model(model).context_or_default(context)})"
    on = f" on {' + '.join(background)}" if background else ""
    return f"{where}: {perturb}{on}{_readouts_at(end, time_unit)}"


def _readouts_at(end: float | None, time_unit: str | None) -> str:
    """", readouts at 365.25 days" (a time unit unknown: the number alone); "" without an end."""
    if end is None:
        return ""
    unit = f" {time_unit}{'' if end == 1 else 's'}" if time_unit else ""
    return f", readouts at {end:g}{unit}"


@main.command("report")
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--out", type=FileName("report.html"), default=None,
              help="HTML file, ending in .html (or .htm), outside the screen's folder (default: beside "
                   "RESULTS, named after it: pairs.parquet -> pairs.html).")
def report_cmd(results: Path, out: Path | None) -> None:
    """Write an HTML report of RESULTS: a screen (its folder or table: summary, knockout bars,
    pairwise heatmaps and epistasis, or the Bliss excess of a two-agent dose matrix), a
    dose-response table (dose-response --out: the series and its Hill fits) or a sensitivity
    table (its indices)."""
    from .report import write_report
    from .screens import is_screen_folder

    _refuse_fits_table(Path(results))
    results_path = Path(results).resolve()
    if out is None:  # beside the results, named after them (pairs.parquet -> pairs.html)
        if not results_path.name:
            raise InputError(f"{results}: give --out FILE.html for results at the root of the file system")
        known = results_path.suffix.lower() in (".csv", ".parquet")
        out = results_path.with_name((results_path.stem if known else results_path.name) + ".html")
    if Path(out).suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{out}: a report is an HTML file; give --out a name ending in .html (or .htm)")
    # a file in a screen's folder would be read as a part of its results, and break them
    folder = next((f for f in (results_path, *results_path.parents) if is_screen_folder(f)), None)
    if folder is not None and folder in Path(out).resolve().parents:
        raise InputError(f"{out} is inside the screen folder {folder}, which holds only the screen's "
                         "results; give --out a file outside it")
    out = _writable(out)
    click.echo(f"wrote {write_report(results, out)}")


@main.command("validation")
@_table_out_option("results/clinical_validation.csv")
def validation_cmd(out: Path) -> None:
    """Predicted vs observed for the clinical facts of experiments/clinical_validation.tsv."""
    from .plots import validation_figure
    from .validation import validate

    out = _writable_table(out, ".png")[0]
    table = validate()
    columns = ["id", "regimen", "readout", "metric", "time_d", "predicted", "observed", "tolerance", "passed"]
    _write_checked_table(table, out, validation_figure,
                         "Clinical facts, clinical model (human): predicted vs observed",
                         columns, "passed", "{ok}/{total} facts within tolerance")


@main.command("fit")
def fit_cmd() -> None:
    """Refit the clinical model's fitted parameters (experiments/fits/clinical.toml), write them
    to models/antimony/generated, then rebuild the models."""
    from .build import build
    from .fitting import fit, write

    values = fit(progress=click.echo)
    for path in write(values):
        click.echo(f"wrote {path}")
    for r in build():
        click.echo(f"wrote {r.sbml_path}")


@main.command("regimens")
@click.argument("names", nargs=-1)
@click.option("--file", "regimens_file", type=click.Path(path_type=Path), default=None, metavar="FILE.toml",
              help="A file of regimen experiments of your own, in the form of the shipped one (default: "
                   "experiments/clinical/regimens.toml).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("results/regimens"),
    show_default=True,
    help="Folder for NAME.csv and NAME.png.",
)
def regimens_cmd(names: tuple[str, ...], regimens_file: Path | None, out_dir: Path) -> None:
    """Run the clinical regimen experiments NAMES (all by default) of
    experiments/clinical/regimens.toml, or of your own file with --file FILE.toml."""
    from .analysis import round_off_sizes, round_off_to_zero
    from .plots import regimen_figure
    from .regimens import (
        REGIMEN_MODEL,
        REGIMENS_FILE,
        dosed_drugs,
        read_experiments,
        run_experiment,
        serum_readouts,
    )
    from .screens import percent_changes

    for n in names:  # a file given where a name goes: say how to give it
        if n.lower().endswith(".toml") or os.sep in n or "/" in n:
            raise InputError(f"{n} is a file, not the name of a regimen experiment; run a file of your own "
                             f"with --file: `rankl-net regimens --file {shlex.quote(n)}`")
    if regimens_file is not None:
        _input_file(regimens_file, "regimen file",
                    f"the shipped one, {REGIMENS_FILE}, shows the form (copy it to start your own)")
    source = REGIMENS_FILE if regimens_file is None else Path(regimens_file)
    experiments = read_experiments(source)
    for n in names:
        if n not in experiments:
            error = unknown_name("regimen experiment", n, experiments)
            if regimens_file is None:
                raise error
            raise InputError(f"{error} (the experiments of {source})")
    _output_folder(out_dir, "results/regimens")
    written = _output_files(out_dir, list(dict.fromkeys(names or experiments)), (".csv", ".png"))
    for name, (csv, png) in written.items():
        exp = experiments[name]
        table = run_experiment(exp)
        _write_table(table, csv)
        # the context is said where the experiment names one (the others run in the human one)
        title = exp.title if exp.context is None else f"{exp.title} ({exp.context} context)"
        with _writing(png):
            figure = regimen_figure(table, title, png)
        last = table.groupby("arm", sort=False).tail(1)
        click.echo(f"{title}: at {exp.end:.10g} days")  # 4.5y: 1643.625 days, not 1643.62
        dosed = dosed_drugs(exp)
        idle = [c for c in serum_readouts() if c.removesuffix("_serum") not in dosed]
        shown = last.drop(columns=["experiment", "context", *idle])
        units = table.attrs["units"]
        sizes = round_off_sizes(table, {c: units.get(c) for c in shown.columns if c not in ("arm", "time")})
        shown = round_off_to_zero(shown, sizes, percent_changes(REGIMEN_MODEL))
        shown["time"] = shown["time"].map(lambda x: f"{x:.10g}")
        units = {**units, "time": f"{units['time']}s"}
        click.echo(_unit_header(shown, units).to_string(index=False, float_format=lambda x: f"{x:.6g}"))
        click.echo(f"wrote {csv} and {figure}\n")
