"""CVODE's stability-limit detection on libRoadRunner's integrator.

BDF methods of order 3 to 5 are not stable for eigenvalues close to the imaginary axis: a
lightly damped fast oscillation, such as the NF-κB/IκBα loop inside the ``bone`` model
(eigenvalues -19.8 ± 101.1i per day), then holds CVODE's step at the edge of stability (about
0.01 day) long after the oscillation has died out, thousands of steps where a few hundred
suffice. CVODE's remedy is its stability-limit detection (STALD; Hindmarsh, Appl. Numer. Math.
17:311-318, 1995; CVODE user guide, "Stability limit detection"), which notices the regime and
lowers the BDF order. It is off by default and libRoadRunner 2.10 has no setting for it.

libRoadRunner's Python extension exports the SUNDIALS C functions, so the detection is switched
on here through ctypes on the integrator's CVODE memory. That memory is a field of libRoadRunner's
``CVODEIntegrator`` object, whose offset is found once per process on a probe model: the field
is the pointer to a block whose unit round-off (the field after SUNDIALS' context) is the
machine epsilon and on which ``CVodeGetNumSteps`` counts the steps a variable-step run just
took. The scan reads memory through ``/proc/self/mem``, so a wrong candidate is an error code,
never a crash. Where anything of this fails (another platform, another build of libRoadRunner),
:func:`set_stability_limit_detection` returns False and CVODE runs as libRoadRunner set it.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from functools import cache

# bytes of the integrator object searched for the CVODE memory pointer
_SCAN_BYTES = 2048
# SUNDIALS >= 6: the CVODE memory starts with the SUNContext pointer, then the unit round-off
_UROUND_OFFSET = 8
_CV_SUCCESS = 0

# a one-species decay: the probe on which the CVODE memory is found
_PROBE_SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="cvode_probe">
    <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
    <listOfSpecies><species id="x" compartment="c" initialConcentration="1"
      hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>
    <listOfParameters><parameter id="k" value="1" constant="true"/></listOfParameters>
    <listOfReactions><reaction id="decay" reversible="false">
      <listOfReactants><speciesReference species="x" stoichiometry="1" constant="true"/></listOfReactants>
      <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
        <apply><times/><ci>k</ci><ci>x</ci></apply></math></kineticLaw>
    </reaction></listOfReactions>
  </model>
</sbml>
"""


@cache
def _sundials():
    """The SUNDIALS functions exported by libRoadRunner's extension (None: not found)."""
    import roadrunner

    try:
        lib = ctypes.CDLL(roadrunner._roadrunner.__file__)
        set_stald, get_steps = lib.CVodeSetStabLimDet, lib.CVodeGetNumSteps
    except (OSError, AttributeError):
        return None
    set_stald.argtypes, set_stald.restype = [ctypes.c_void_p, ctypes.c_int], ctypes.c_int
    get_steps.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_long)]
    get_steps.restype = ctypes.c_int
    return lib


def _steps_taken(memory: int, lib) -> int | None:
    """CVODE's count of steps on ``memory`` since its last (re)initialisation (None: an error)."""
    n = ctypes.c_long()
    return n.value if lib.CVodeGetNumSteps(ctypes.c_void_p(memory), ctypes.byref(n)) == _CV_SUCCESS else None


@cache
def _memory_offset() -> int | None:
    """Offset of the CVODE memory pointer in libRoadRunner's CVODEIntegrator (None: not found)."""
    lib = _sundials()
    if lib is None or not sys.platform.startswith("linux"):
        return None
    import roadrunner

    probe = roadrunner.RoadRunner(_PROBE_SBML)
    probe.integrator.variable_step_size = True
    expected = len(probe.simulate(0.0, 1.0)) - 1  # each row of a variable-step run is a step
    integrator = probe.integrator
    try:
        fd = os.open("/proc/self/mem", os.O_RDONLY)
    except OSError:
        return None
    try:
        raw = os.pread(fd, _SCAN_BYTES, int(integrator.this))
        for offset in range(0, len(raw) - 7, 8):
            (pointer,) = struct.unpack_from("=Q", raw, offset)
            try:
                head = os.pread(fd, _UROUND_OFFSET + 8, pointer) if pointer else b""
            except (OSError, OverflowError, ValueError):
                continue  # not a readable address
            if len(head) < _UROUND_OFFSET + 8:
                continue
            (uround,) = struct.unpack_from("=d", head, _UROUND_OFFSET)
            if uround == sys.float_info.epsilon and _steps_taken(pointer, lib) == expected > 0:
                return offset
    finally:
        os.close(fd)
        del integrator, probe
    return None


def cvode_memory(integrator) -> int | None:
    """Address of the CVODE memory of a libRoadRunner integrator (None: not a CVODE integrator,
    no memory yet, or the memory cannot be found on this platform)."""
    offset = _memory_offset()
    if offset is None or integrator.getName() != "cvode":
        return None
    return ctypes.c_void_p.from_address(int(integrator.this) + offset).value or None


def set_stability_limit_detection(integrator, on: bool = True) -> bool:
    """Switch CVODE's stability-limit detection on (or off) for the integrator's next runs;
    True when it could be set. Set it before each run: libRoadRunner makes a new integrator
    (and CVODE memory) when a state is loaded, and the new one starts with the detection off."""
    memory = cvode_memory(integrator)
    if memory is None:
        return False
    return _sundials().CVodeSetStabLimDet(ctypes.c_void_p(memory), int(on)) == _CV_SUCCESS


def steps_of_last_run(integrator) -> int | None:
    """CVODE steps of the integrator's last run (None: the memory cannot be found here)."""
    memory = cvode_memory(integrator)
    return None if memory is None else _steps_taken(memory, _sundials())
