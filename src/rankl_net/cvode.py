"""CVODE's stability-limit detection on libRoadRunner's integrator, and the integrator's logs.

BDF methods of order 3 to 5 are not stable for eigenvalues close to the imaginary axis. A
damped fast oscillation, such as the NF-κB/IκBα loop inside the ``bone`` model (eigenvalues
-19.8 ± 101.1i per day), then holds CVODE's step at the edge of stability (about 0.01 day) long
after the oscillation has died out: thousands of steps where a few hundred suffice. CVODE's
remedy is its stability-limit detection (STALD; Hindmarsh, Appl. Numer. Math. 17:311-318,
1995; CVODE user guide, "Stability limit detection"), which notices the regime and lowers the
BDF order. It is off by default, and libRoadRunner 2.10 has no setting for it.

It does not help every model: ``osteoclastogenesis`` takes as many steps with it, and where a
lightly damped oscillation has to be followed for a long time the lower order can cost steps
(``tests/test_cvode.py`` has an example). So the engine switches it on only for the shipped
models whose catalog entry asks for it (``stability_limit_detection = true`` in
``models/catalog.toml``, measured by ``benchmarks/stability_limit_detection.py``); any other
SBML file is integrated with libRoadRunner's settings.

libRoadRunner's Python extension exports the SUNDIALS C functions and the C++ accessor
``rr::CVODEIntegrator::getCvodeMemory()``, which its Python binding cannot call (the binding
types the integrator as the base class). They are called here through ctypes, on integrators
whose name is "cvode" only. Where the extension lacks a symbol (another build or platform),
:func:`set_stability_limit_detection` returns False and CVODE runs as libRoadRunner sets it.

A failed integration reaches the user as one message that carries the integrator's (an error, or a
screen's row); libRoadRunner's log and SUNDIALS' error log would repeat it. The functions at the end
keep them quiet where the message is given otherwise.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

# rr::CVODEIntegrator::getCvodeMemory() const, in the Itanium C++ ABI of Linux and macOS builds
_GET_MEMORY = "_ZNK2rr15CVODEIntegrator14getCvodeMemoryEv"
_CV_SUCCESS = 0


@dataclass(frozen=True)
class _Sundials:
    """The C functions of libRoadRunner's extension that this module calls."""

    get_memory: ctypes._CFuncPtr
    set_stald: ctypes._CFuncPtr
    get_steps: ctypes._CFuncPtr


@cache
def _library() -> _Sundials | None:
    """The functions, typed (None: libRoadRunner's extension does not export them)."""
    import roadrunner

    try:
        lib = ctypes.CDLL(roadrunner._roadrunner.__file__)
        functions = _Sundials(getattr(lib, _GET_MEMORY), lib.CVodeSetStabLimDet, lib.CVodeGetNumSteps)
    except (OSError, AttributeError):
        return None
    functions.get_memory.argtypes, functions.get_memory.restype = [ctypes.c_void_p], ctypes.c_void_p
    functions.set_stald.argtypes, functions.set_stald.restype = [ctypes.c_void_p, ctypes.c_int], ctypes.c_int
    functions.get_steps.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_long)]
    functions.get_steps.restype = ctypes.c_int
    return functions


def cvode_memory(integrator) -> int | None:
    """Address of the CVODE memory of a libRoadRunner integrator (None: not a CVODE integrator,
    a model without state variables, or libRoadRunner's extension lacks the accessor)."""
    lib = _library()
    if lib is None or integrator.getName() != "cvode":
        return None
    # the binding's object is the CVODEIntegrator itself (single inheritance: same address)
    return lib.get_memory(ctypes.c_void_p(int(integrator.this))) or None


def set_stability_limit_detection(integrator, on: bool = True) -> bool:
    """Switch CVODE's stability-limit detection on (or off) for the integrator's next runs;
    True when it could be set. Set it before each run: libRoadRunner makes a new CVODE memory
    when a state is loaded, and the new one starts with the detection off. CVODE refuses the
    detection with the Adams method (``stiff = False``): False, and nothing changes."""
    memory = cvode_memory(integrator)
    if memory is None or (on and not integrator.getValue("stiff")):
        return False
    return _library().set_stald(ctypes.c_void_p(memory), int(on)) == _CV_SUCCESS


def steps_of_last_run(integrator) -> int | None:
    """CVODE steps since its last (re)initialisation: the start of the integrator's last run, or
    the last event of that run (None: the CVODE memory cannot be reached)."""
    memory = cvode_memory(integrator)
    if memory is None:
        return None
    n = ctypes.c_long()
    return n.value if _library().get_steps(ctypes.c_void_p(memory), ctypes.byref(n)) == _CV_SUCCESS else None


# SUNDIALS reads where to write its error lines from the environment when an integrator is made
SUNDIALS_ERROR_LOG = "SUNLOGGER_ERROR_FILENAME"
_ENVIRONMENT = threading.RLock()  # re-entered: the baseline search loads states within the loading


@contextmanager
def sundials_error_log_quiet() -> Iterator[None]:
    """SUNDIALS' error lines to the null device for the integrators made in the block (a
    libRoadRunner model being loaded), then the environment as it was: other SUNDIALS users in
    the process, and its subprocesses, keep their logs (a user's own ``SUNLOGGER_ERROR_FILENAME``
    wins). The lines repeat what libRoadRunner reports of a failed integration, which the raised
    :class:`~rankl_net.errors.SimulationError` carries; SUNDIALS' warnings, on a run that goes
    on, are kept."""
    with _ENVIRONMENT:
        unset = SUNDIALS_ERROR_LOG not in os.environ
        if unset:
            os.environ[SUNDIALS_ERROR_LOG] = os.devnull
        try:
            yield
        finally:
            if unset:
                os.environ.pop(SUNDIALS_ERROR_LOG, None)


def integrator_log_off() -> None:
    """Silence libRoadRunner's log and SUNDIALS' error log in this process, for the command
    line, where a failed integration reaches the user as one message that carries the
    integrator's: the raw logs would repeat it in pieces. SUNDIALS' warnings (a step below what
    the time resolves, on a run that goes on) are kept: no message carries them."""
    import roadrunner

    os.environ.setdefault(SUNDIALS_ERROR_LOG, os.devnull)
    roadrunner.Logger.disableLogging()


_QUIET = threading.Lock()
_quiet_depth = 0
_quiet_saved_level = 0


@contextmanager
def integrator_log_quiet() -> Iterator[None]:
    """libRoadRunner's log off for the duration (a screen's chunk, whose failures become
    rows with the integrator's message), then back at the level it had. The level is
    process-wide: blocks that overlap (screens in several threads) restore it when the last one
    ends."""
    import roadrunner

    global _quiet_depth, _quiet_saved_level
    with _QUIET:
        if _quiet_depth == 0:
            _quiet_saved_level = roadrunner.Logger.getLevel()
            roadrunner.Logger.setLevel(roadrunner.Logger.LOG_FATAL)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _QUIET:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                roadrunner.Logger.setLevel(_quiet_saved_level)
