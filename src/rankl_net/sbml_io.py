"""Reading SBML files safely: size, XML and DOCTYPE checks before libSBML parses anything, and
hierarchical (``comp``) models flattened, with every external model file they name checked the
same way first. The lowest layer above libSBML: it imports nothing else of rankl-net's but its
errors."""

from __future__ import annotations

import re
from pathlib import Path

import libsbml

from .errors import InputError

# SBML validity rules whose breach leaves the meaning of the model clear, as libRoadRunner and
# other simulators read it: a species a rate law reads without declaring it a modifier
# (common in exported models)
CLEAR_MEANING_ERRORS = frozenset({21121})
MAX_SBML_BYTES = 50 * 1024 * 1024
# the root element, with or without a namespace prefix, after however long a prolog or comment
_SBML_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sbml[\s/>]")


def _safe_sbml_text(path: Path, what: str) -> str:
    """The text of the SBML file ``path`` (``what`` names it in messages), after refusing
    missing or over-large files, non-XML, XML with a DOCTYPE or entity declarations (which
    could expand or fetch external content) and XML that is not SBML."""
    if path.is_dir():
        raise InputError(f"{what}: a folder, not an SBML file")
    if not path.exists():
        raise InputError(f"{what}: no such file")
    if not path.is_file():
        raise InputError(f"{what}: not a regular file (a device or a pipe), not an SBML file")
    size = path.stat().st_size
    if size > MAX_SBML_BYTES:
        raise InputError(
            f"{what}: {size / 2**20:.1f} MiB is over the {MAX_SBML_BYTES // 2**20} MiB limit for SBML files"
        )
    if size == 0:
        raise InputError(f"{what}: an empty file, not an SBML file")
    text = path.read_bytes()
    if text.startswith(b"\x1f\x8b"):
        raise InputError(f"{what}: a file compressed with gzip: gunzip it first")
    if text.startswith(b"PK\x03\x04"):
        raise InputError(f"{what}: a zip archive (a COMBINE archive, .omex, is one), not an SBML file; give "
                         "the SBML file inside it (`unzip -l` lists the files)")
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{what}: XML in UTF-16; save it as UTF-8, which SBML tools read")
    # a UTF-8 byte-order mark, which libSBML's reader of strings refuses
    text = text.removeprefix(b"\xef\xbb\xbf")
    if not text[:4096].lstrip().startswith(b"<"):
        if path.suffix.lower() in (".ant", ".antimony") or _ANTIMONY_MODEL.search(text[:4096]):
            raise InputError(f"{what}: an Antimony file; rankl-net reads SBML (convert it with tellurium: "
                             "tellurium.antimonyToSBML(text)); the shipped models go by name "
                             "(rankl-net models)")
        raise InputError(f"{what}: not an XML file")
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        raise InputError(f"{what}: XML with a DOCTYPE or entity declarations is refused "
                         "(no entity expansion)")
    if not _SBML_ELEMENT.search(text):
        root = _ROOT_ELEMENT.search(re.sub(rb"<!--.*?-->", b"", text[:65536], flags=re.DOTALL))
        name = root.group(1).decode("ascii") if root else ""
        if name.rpartition(":")[2] == "sedML":
            source = _SEDML_SOURCE.search(text)
            named = (f" ({source.group(1).decode('utf-8', errors='replace')}, relative to its folder)"
                     if source else "")
            raise InputError(f"{what}: a SED-ML file (a simulation experiment), not SBML; give the model "
                             f"file it names{named}")
        shown = f"its root element is <{name}>, not <sbml>" if name else "no <sbml> element"
        raise InputError(f"{what}: XML but not SBML ({shown})")
    return text.decode("utf-8", errors="replace")


# the first element of an XML file (after its declaration, comments and processing instructions)
_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
# the model file a SED-ML <model> element names
_SEDML_SOURCE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?model\b[^>]*?\ssource=[\"']([^\"']+)[\"']")
# the start of an Antimony model definition ("model bone", "*model x()", "module m")
_ANTIMONY_MODEL = re.compile(rb"^\s*\*?(model|module)\s+\w", re.MULTILINE)


def _parse(text: str) -> libsbml.SBMLDocument:
    doc = libsbml.readSBMLFromString(text)
    # XML without encoding="..." is UTF-8 by the XML standard (and was read as such): no error
    log = doc.getErrorLog()
    while log.contains(libsbml.MissingXMLEncoding):
        log.remove(libsbml.MissingXMLEncoding)
    return doc


def _one_line(message: str) -> str:
    return " ".join(message.split())


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _local_file(source: str) -> str | None:
    """The file name libSBML opens for a ``comp:source`` (taken literally, as libSBML takes it:
    no percent-decoding, '?' and '#' part of the name), or None for anything but a local file."""
    if not source:
        return None
    if source[:5].lower() == "file:":  # a scheme's name is case-insensitive
        rest = source[len("file:"):]
        if rest.startswith("//localhost/"):
            return rest[len("//localhost"):]
        if rest.startswith("///"):
            return rest[2:]
        return None if rest.startswith("//") else rest
    return None if _SCHEME.match(source) else source


def _check_external_models(doc: libsbml.SBMLDocument, base: Path, name: str, seen: set[Path]) -> None:
    """Check every file the ``comp`` external model definitions of ``doc`` name (and those they
    name in turn): local files only, each passing the checks of :func:`read_sbml_document`."""
    plugin = doc.getPlugin("comp")
    if plugin is None:
        return
    for emd in plugin.getListOfExternalModelDefinitions():
        source = emd.getSource()
        local = _local_file(source)
        if local is None:
            raise InputError(f"{name}: the submodel definition {emd.getId()!r} refers to {source}; only "
                             "local files are read (copy it beside the model)")
        path = (base / local).resolve()
        if path in seen:
            continue
        seen.add(path)
        external = _parse(_safe_sbml_text(path, f"{name}: submodel file {source}"))
        if external.isPackageEnabled("comp"):
            _check_external_models(external, path.parent, name, seen)


def flatten_comp(doc: libsbml.SBMLDocument, base: Path | None = None, name: str = "the model") -> None:
    """Flatten a hierarchical (SBML ``comp``) document in place with libSBML's converter;
    ``base`` is the folder that external model definitions are relative to (default: the
    working folder). The external files are checked before libSBML reads them."""
    _check_external_models(doc, Path(base) if base is not None else Path("."), name, set())
    props = libsbml.ConversionProperties()
    props.addOption("flatten comp", True)
    props.addOption("leavePorts", False)
    if base is not None:
        props.addOption("basePath", str(base))
    if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
        errors = [_one_line(doc.getError(i).getMessage()) for i in range(doc.getNumErrors())
                  if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
        raise InputError(f"{name}: libSBML cannot flatten its submodels: {'; '.join(errors[:3])}")


def read_sbml_document(path: str | Path) -> libsbml.SBMLDocument:
    """Read an SBML file (its path, a string or a Path) after refusing what is not safe or not SBML.

    Refused before parsing: SBML text given in place of a path, missing or over-large files
    (over ``MAX_SBML_BYTES``), gzip-compressed files, files that do not start like XML, and XML
    with a DOCTYPE (entity declarations could expand or fetch external content). A hierarchical
    (``comp``) model is returned flattened; the external model files it names must be local
    files that pass the same checks.
    """
    name = str(path)
    if name.lstrip().startswith("<") or "<sbml" in name:
        raise InputError("SBML text given where the path of an SBML file is expected: load_any, like every "
                         "reader of SBML files, takes a path; rankl_net.sbml_files.FileEngine(text) compiles "
                         "SBML text as it is, without the checks of a file")
    path = Path(path)
    doc = _parse(_safe_sbml_text(path, str(path)))
    if doc.getModel() is None:
        fatal = [_one_line(doc.getError(i).getMessage()) for i in range(doc.getNumErrors())]
        why = fatal[0] if fatal else "the <sbml> element holds no <model>"
        raise InputError(f"{path}: libSBML could not read a model: {why}")
    if doc.isPackageEnabled("comp"):
        # flattened by libSBML before anything else: libRoadRunner 2.10's own loading of a
        # hierarchical model drops the assignment rule of a submodel parameter that the top
        # model replaces ("Global parameter ... is missing a value")
        flatten_comp(doc, base=path.parent, name=str(path))
    return doc
