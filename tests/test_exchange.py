"""Exchange: any SBML file in, shipped models out (SBML, Antimony, SED-ML, OMEX, PEtab), and the
same time courses in libRoadRunner, tellurium and COPASI."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import libsbml
import libsedml  # (after libSBML on purpose: as after `import tellurium`, see to_l2v4)
import numpy as np
import pandas as pd
import pytest

from rankl_net import exchange as ex
from rankl_net import load_model, paths
from rankl_net.build import antimony_to_sbml as build_antimony
from rankl_net.catalog import get_model
from rankl_net.checks import dynamic_checks, sbml_consistency, static_checks
from rankl_net.engine import Engine, load
from rankl_net.errors import InputError, PreequilibrationError, SimulationError

CORPUS = Path(paths.ROOT).parent / "shared" / "sbml-corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.xml")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not CORPUS_FILES, reason=f"SBML corpus not found at {CORPUS}")
# one simulation length per time unit, long enough to see each model move (Hoffmann: minutes)
END = {"second": 100.0, "minute": 600.0, "hour": 72.0, "day": 100.0}


def _engine_like_catalog(sbml_text: str, model: str) -> Engine:
    """An engine for ``sbml_text`` with the shipped model's context and pre-equilibration."""
    info = get_model(model)
    return Engine(
        sbml_text,
        name=f"{model} (converted)",
        time_unit=info.time_unit,
        context_values=info.contexts[info.default_context],
        preequilibration=info.preequilibration,
        reset_at_start=info.reset_at_start,
        preequilibration_time=1000.0 if info.time_unit == "hour" else 5000.0,
    )


def _worst(frames: dict[str, pd.DataFrame], reference: dict[str, pd.DataFrame]) -> float:
    assert set(frames) == set(reference)
    return max(
        max(ex.compare_frames(frames[k][reference[k].columns], reference[k]).values()) for k in reference
    )


# ------------------------------------------------------------------------------ any SBML file in
@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_corpus_file_loads_validates_simulates_and_takes_set_and_ko(path):
    checks = static_checks(path)
    names = [c.name for c in checks]
    assert names[:2] == ["sbml_errors", "sbml_warnings"] and all(c.message for c in checks)
    assert checks[0].passed, checks[0].items  # curated BioModels files have no libSBML errors

    eng = ex.load_any(path)
    assert eng.time_unit in END
    end = END[eng.time_unit]
    # the default baseline is the file's own initial state
    doc = libsbml.readSBMLFromFile(str(path))
    first = doc.getModel().getSpecies(0)
    if first.isSetInitialConcentration() and first.getId() not in eng.assigned_ids:
        assert eng.baseline[first.getId()] == pytest.approx(first.getInitialConcentration())

    wt = ex.simulate_any(eng, end=end, points=21)
    assert list(wt.columns) == ["time", *eng.species_ids]
    assert np.all(np.isfinite(wt.to_numpy()))

    target = next(s for s in eng.species_ids if s not in eng.assigned_ids)
    ko = ex.simulate_any(eng, f"ko:{target}", end=end, points=21)
    assert np.all(ko[target] == 0.0)
    others = [s for s in eng.species_ids if s != target]
    assert not np.allclose(ko[others], wt[others], rtol=1e-6), "the knockout changed nothing"
    clamped = libsbml.readSBMLFromString(ex.knockout_sbml(eng.sbml_text, [target]))
    assert sbml_consistency(clamped)[0].passed
    assert clamped.getModel().getSpecies(target).getBoundaryCondition()

    t0 = end / 2
    value = 2 * float(wt[target].iloc[10]) + 1.0
    timed = ex.simulate_any(eng, f"set:{target}={value}@{t0}", end=end, points=21)
    before, after = timed["time"] <= t0, timed["time"] > t0
    pd.testing.assert_frame_equal(timed[before], wt[before])
    assert not np.allclose(timed.loc[after, target], wt.loc[after, target], rtol=1e-6)

    oe = ex.simulate_any(eng, f"oe:{target}=3", end=end, points=21, readouts=[target])
    assert oe[target].iloc[0] == pytest.approx(3 * wt[target].iloc[0])
    # conditions never leak: wild type again is the same curve
    pd.testing.assert_frame_equal(ex.simulate_any(eng, end=end, points=21), wt)


@needs_corpus
def test_preequilibrate_is_an_option_and_oscillators_have_no_steady_baseline():
    komarova = CORPUS / "BIOMD0000000148_Komarova2003.xml"
    initial = ex.load_any(komarova)
    settled = ex.load_any(komarova, preequilibrate=True)
    assert initial.baseline["x1"] == pytest.approx(11.0)  # the file's initialAmount
    assert settled.baseline["x1"] != pytest.approx(11.0)
    flat = ex.simulate_any(settled, end=10, points=3, readouts=["x1", "x2"])
    assert flat["x1"].to_numpy() == pytest.approx(settled.baseline["x1"], rel=1e-6)
    with pytest.raises(PreequilibrationError, match="oscillates or grows without bound has no steady"):
        ex.load_any(CORPUS / "BIOMD0000000010_Kholodenko2000.xml", preequilibrate=True)


@needs_corpus
def test_generic_specs_that_cannot_apply_are_refused():
    eng = ex.load_any(CORPUS / "BIOMD0000000148_Komarova2003.xml")
    with pytest.raises(InputError, match="Did you mean 'x1'"):
        ex.generic_changes(["ko:x11"], eng)
    with pytest.raises(InputError, match="annotated node"):
        ex.generic_changes(["kd:x1=0.5"], eng)
    with pytest.raises(InputError, match="assignment rule"):
        ex.generic_changes(["set:x1_bar=3"], eng)
    cond = ex.generic_changes(["ko:x1", "set:x1=5", "oe:x2=2"], eng)
    assert cond.knockouts == ("x1",)
    assert "x1" not in cond.changes.species  # the knockout wins
    assert cond.changes.species["x2"] == pytest.approx(2 * eng.baseline["x2"])


def test_set_on_a_reaction_or_an_event_says_what_it_is(tmp_path):
    """They said "unknown parameter", suggesting an unrelated one."""
    path = tmp_path / "ev.xml"
    text = "model ev\n J0: -> x; k\n k = 1; x = 0\n E1: at time > 5: k = 2\nend"
    path.write_text(build_antimony(text, "ev"))
    eng = ex.load_any(path)
    with pytest.raises(InputError, match="J0 is a reaction of ev.xml"):
        ex.generic_changes(["set:J0=1"], eng)
    with pytest.raises(InputError, match="E1 is an event of ev.xml"):
        ex.generic_changes(["set:E1=1"], eng)


def test_a_knockout_keeps_amounts_in_a_compartment_sized_by_a_rule(tmp_path):
    """X, declared by amount in a compartment whose size an assignment rule gives (c := 2 p),
    keeps its amount after ko:Y: the amount written for the knockout's copy is the
    concentration times the size the rule gives (2), not a size the file does not hold."""
    path = tmp_path / "rule_sized.xml"
    math = '<math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/>{}</apply></math>'
    species = ('<species id="{}" compartment="c" {} hasOnlySubstanceUnits="false" boundaryCondition="false" '
               'constant="false"/>')
    x_by_amount = species.format("X", 'initialAmount="10"')
    y_by_concentration = species.format("Y", 'initialConcentration="1"')
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1"><model id="m">'
        '<listOfCompartments><compartment id="c" constant="false" spatialDimensions="3"/>'
        '</listOfCompartments>'
        f"<listOfSpecies>{x_by_amount}{y_by_concentration}</listOfSpecies>"
        '<listOfParameters><parameter id="k" value="0.1" constant="true"/>'
        '<parameter id="p" value="1" constant="true"/></listOfParameters>'
        f'<listOfRules><assignmentRule variable="c">{math.format("<cn>2</cn><ci>p</ci>")}</assignmentRule>'
        '</listOfRules><listOfReactions><reaction id="R1" reversible="false" fast="false">'
        '<listOfReactants><speciesReference species="X" stoichiometry="1" constant="true"/></listOfReactants>'
        '<listOfProducts><speciesReference species="Y" stoichiometry="1" constant="true"/></listOfProducts>'
        f'<kineticLaw>{math.format("<ci>k</ci><ci>X</ci><ci>c</ci>")}</kineticLaw></reaction>'
        '</listOfReactions></model></sbml>\n', encoding="utf-8")
    eng = ex.load_any(path)
    wild = ex.simulate_any(eng, end=10, points=3, readouts=["X"])
    ko = ex.simulate_any(eng, "ko:Y", end=10, points=3, readouts=["X"])
    assert wild["X"].iloc[0] == pytest.approx(5.0)  # 10 in a compartment of 2
    np.testing.assert_allclose(ko["X"].to_numpy(), wild["X"].to_numpy(), rtol=1e-6)  # X does not read Y


def test_ko_of_a_parameter_or_in_a_model_without_species_says_so(tmp_path):
    path = tmp_path / "rate_rule.xml"
    path.write_text(build_antimony("model rate_rule\n compartment c = 1; species X in c = 1\n"
                                   " V' = 0.1; V = 0\nend", "rate_rule"))
    eng = ex.load_any(path)
    with pytest.raises(InputError, match=r"V is a parameter of rate_rule.xml; .* set:V=VALUE"):
        ex.generic_changes(["ko:V"], eng)
    bare = tmp_path / "no_species.xml"
    bare.write_text(build_antimony("model no_species\n V' = 0.1; V = 0\nend", "no_species"))
    with pytest.raises(InputError, match="unknown species 'a': there is no species to choose from"):
        ex.generic_changes(["ko:a"], ex.load_any(bare))
    from rankl_net.screens import knockout_conditions

    with pytest.raises(InputError, match="no_species.xml has no species to knock out"):
        knockout_conditions(str(bare), "all")


def test_a_shipped_model_file_keeps_the_node_semantics():
    eng = ex.load_any(get_model("osteoclastogenesis").sbml_path)
    cond = ex.generic_changes(["ko:OPG", "oe:TNFSF11=2"], eng)
    assert cond.knockouts == ()
    assert cond.changes.parameters == {"OPG_expr": 0.0, "RANKL_expr": 2.0}
    # set: and the node perturbations keep their order, as on the shipped model
    assert ex.generic_changes(["set:OPG_expr=2", "oe:OPG=3"], eng).changes.parameters == {"OPG_expr": 6.0}
    assert ex.generic_changes(["oe:OPG=3", "set:OPG_expr=2"], eng).changes.parameters == {"OPG_expr": 2.0}


# ------------------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("model", ["osteoclastogenesis", "bone"])
def test_antimony_and_l2v4_exports_simulate_the_same(model, tmp_path):
    info = get_model(model)
    reference = load(model).simulate(end=info.default_end, points=25, readouts=list(info.readouts))
    # a percent change that stays at 0 % (CTX, P1NP at baseline) is measured against 100 %, as
    # cross_check measures it, not against its own round-off
    units = info.unit_labels(list(info.readouts))
    percent = {r: 100.0 for r in info.readouts if units.get(r) == "%"}

    ant = ex.export(model, "antimony", tmp_path / f"{model}.ant")
    text = ant.paths[0].read_text(encoding="utf-8")
    assert f"model *{model}()" in text or f"model {model}()" in text
    again = _engine_like_catalog(build_antimony(text, model), model)
    frame = again.simulate(end=info.default_end, points=25, readouts=list(info.readouts))
    assert max(ex.compare_frames(frame, reference, magnitudes=percent).values()) < 1e-6

    l2 = ex.export(model, "sbml-l2v4", tmp_path / f"{model}_l2v4.xml")
    doc = libsbml.readSBMLFromFile(str(l2.paths[0]))
    assert (doc.getLevel(), doc.getVersion()) == (2, 4)
    assert sbml_consistency(doc)[0].passed
    assert any("min/max" in n for n in l2.notes) and any("literal numbers" in n for n in l2.notes)
    frame = _engine_like_catalog(l2.paths[0].read_text(encoding="utf-8"), model).simulate(
        end=info.default_end, points=25, readouts=list(info.readouts)
    )
    assert max(ex.compare_frames(frame, reference, magnitudes=percent).values()) < 1e-6


@pytest.mark.parametrize(("model", "seconds"), [("osteoclastogenesis", 3600.0), ("bone", 86400.0)])
def test_the_l2v4_export_keeps_the_models_time_unit(model, tmp_path, seconds):
    """Level 2's built-in unit 'time' (seconds unless redefined) is redefined as the model's
    time unit (hours, days), so that times read in Level 2 tools mean what they meant."""
    l2 = ex.export(model, "sbml-l2v4", tmp_path / f"{model}.xml")
    doc = libsbml.readSBMLFromFile(str(l2.paths[0]))  # (kept: libSBML objects live as long as it)
    time_unit = doc.getModel().getUnitDefinition("time")
    assert time_unit is not None
    si = libsbml.UnitDefinition.convertToSI(time_unit)
    (unit,) = (si.getUnit(i) for i in range(si.getNumUnits()))
    assert (unit.getKind(), unit.getExponent()) == (libsbml.UNIT_KIND_SECOND, 1)
    assert unit.getMultiplier() * 10.0 ** unit.getScale() == pytest.approx(seconds)
    assert any("kept as Level 2's redefined built-in unit 'time'" in n for n in l2.notes), l2.notes


def test_min_and_max_become_piecewise_expressions_of_the_same_value():
    """Level 2 has no min or max: the L2V4 conversion writes each as a piecewise expression that
    gives the least (greatest) of its arguments, whatever their number and order."""
    import roadrunner

    text = build_antimony("model toy\n a = 1; b = 2; c = 3\n lo := min(b, a, c); hi := max(a, c, b)\n"
                          " mixed := max(min(c, b), 1.5); S1 = 1; J: S1 -> ; a * S1\nend", "toy")
    l2, notes = ex.to_l2v4(text)
    assert "<min/>" not in l2 and "<max/>" not in l2
    assert any("rewrote 4 min/max" in n for n in notes), notes
    rr = roadrunner.RoadRunner(l2)
    assert (rr["lo"], rr["hi"], rr["mixed"]) == (1.0, 3.0, 2.0)


def test_sbml_export_is_the_shipped_file_and_formats_are_checked(tmp_path):
    out = ex.export("bone", "sbml", tmp_path / "bone.xml")
    assert out.paths[0].read_bytes() == get_model("bone").sbml_path.read_bytes()
    with pytest.raises(InputError, match="export format"):
        ex.export("bone", "cellml", tmp_path / "x")
    with pytest.raises(InputError, match="bone model"):
        ex.export("osteoclastogenesis", "omex", tmp_path / "x.omex", experiment="genetic_lines")
    with pytest.raises(InputError, match="timed changes"):
        ex.cross_check("osteoclastogenesis", "set:rankl_input=0@10", simulators=())
    # doses are events in time: the other tools would run the condition without them
    with pytest.raises(InputError, match=r"doses \(denosumab_depot\) are events in time"):
        ex.cross_check("clinical", "drug:denosumab=60mg/182d", end=50, simulators=())


def test_every_export_format_of_the_command_line_is_one_of_the_python_function(tmp_path):
    from rankl_net import cli
    from rankl_net.comp import comp_sbml

    fmt_option = next(p for p in cli.main.commands["export"].params if p.name == "fmt")
    assert tuple(fmt_option.type.choices) == ex.FORMATS
    out = ex.export("bone", "comp", tmp_path / "bone_comp.xml")  # as the docs' format table lists it
    assert out.paths[0].read_text(encoding="utf-8") == comp_sbml("bone")


def test_baseline_sbml_takes_a_condition_as_specs():
    """Perturbations go in as specs, as everywhere in rankl-net: a spec string was an AttributeError."""
    from rankl_net.perturbations import parse_spec, to_changes

    text = ex.baseline_sbml("bone", "mouse", "ko:OPG")
    assert text == ex.baseline_sbml("bone", "mouse", to_changes(parse_spec("ko:OPG"), load("bone", "mouse")))
    assert libsbml.readSBMLFromString(text).getModel().getParameter("OPG_expr").getValue() == 0
    assert text != ex.baseline_sbml("bone", "mouse")
    with pytest.raises(InputError, match="cannot be exported as initial values"):
        ex.baseline_sbml("bone", "mouse", ["set:OPG_expr=0@1-2"])


@pytest.mark.parametrize(("call", "message"), [
    (lambda eng: ex.simulate_any(eng, ["ko:MKKK"], end=10), "got list ['ko:MKKK']"),
    (lambda eng: ex.cross_check("bone", end="soon", simulators=()), "end: 'soon' is neither a number"),
    (lambda eng: ex.cross_check("bone", end=[84], simulators=()), "end time must be a number of days"),
    (lambda eng: ex.cross_check("bone", readouts={"ctx"}, simulators=()), "readouts must be a name"),
    (lambda eng: ex.export("bone", "sedml", "x.sedml", experiment="genetic_lines", lines="OPG"),
     "unknown genetic line 'OPG'. Did you mean 'OPG-/-'?"),
    # lines= without the genetic lines' experiment would be ignored: an archive of the baseline only
    (lambda eng: ex.export("bone", "omex", "x.omex", lines=["OPG-/-"]),
     "lines= chooses lines of the genetic_lines experiment (sedml and omex exports: "
     "experiment=\"genetic_lines\"); the baseline experiment has none"),
    (lambda eng: ex.export("bone", "sbml", "x.xml", lines=["OPG-/-"]), "; the sbml export has none"),
    (lambda eng: ex.experiment_spec("bone", points=0), "points must be from 2 to 1,000,000, got 0"),
    (lambda eng: ex.load_any("bone"), "bone: no such file; load_any reads SBML files, and the shipped model "
     "bone is rankl_net.load_model('bone')"),
    (lambda eng: ex.load_any(5), "load_any(path): path must be a string or a pathlib.Path, got int 5"),
    (lambda eng: ex.experiment_spec("bone", "genetic_lines", points=1), "points must be from 2"),
    # "" is the working folder to pathlib: a PEtab problem was written into it
    (lambda eng: ex.export("bone", "petab", ""), "out: the name is empty; give a folder name, such as "
     "bone_petab"),
    (lambda eng: ex.export("bone", "sedml", " "), "out: the name is empty; give a file name, such as "
     "bone.sedml"),
    (lambda eng: ex.generic_changes(eng, ["ko:NFATC1"]), "(the perturbations come first): engine is a "
     "compiled model (load_any(path)), got list"),
    (lambda eng: ex.generic_changes(["ko:NFATC1"], load_model("bone").engine), "got an Engine object"),
    (lambda eng: ex.generic_changes(["ko:NFATC1"], "osteoclastogenesis"), "got str"),
    (lambda eng: ex.simulate_any(load_model("bone"), "ko:OPG", end=1), "simulate_any(engine, ...): engine is "
     "a compiled model (load_any(path)), got Model Model('bone', context='mouse'); a Model holds"),
    (lambda eng: ex.simulate_petab("nope/problem.yaml"), "problem_yaml nope/problem.yaml: no such file"),
    (lambda eng: ex.run_omex_tellurium("nope.omex"), "archive nope.omex: no such file"),
    (lambda eng: ex.run_omex_copasi(paths.SBML), "a folder, not a file"),
])
def test_python_calls_with_a_wrong_type_say_what_is_wrong(call, message):
    eng = ex.load_any(paths.SBML / "osteoclastogenesis.xml")
    with pytest.raises(InputError, match=re.escape(message)):
        call(eng)


def test_generic_changes_reads_one_string_as_one_spec_and_takes_any_iterable():
    eng = ex.load_any(paths.SBML / "osteoclastogenesis.xml")
    expected = ex.generic_changes(["ko:NFATC1", "inh:P38=0.5"], eng)
    assert ex.generic_changes("ko:NFATC1+inh:P38=0.5", eng) == expected
    assert ex.generic_changes((s for s in ("ko:NFATC1", "inh:P38=0.5")), eng) == expected


def test_one_string_of_readouts_is_not_split_into_letters():
    eng = ex.load_any(paths.SBML / "osteoclastogenesis.xml")
    frame = ex.simulate_any(eng, end=1, points=2, readouts="NFATC1_act")
    assert frame.columns.tolist() == ["time", "NFATC1_act"]


@pytest.mark.parametrize("context", ["mouse", "human"])
def test_sbml_baseline_export_starts_where_the_model_run_by_name_starts(tmp_path, context):
    """The file another tool loads starts at the context's baseline: simulated as a file from
    its initial state, a knockout is the shipped model's knockout by name."""
    out = ex.export("bone", "sbml-baseline", tmp_path / "bone_base.xml", context=context)
    assert context in out.notes[0]
    engine = ex.load_any(out.paths[0])  # the file's initial state, no pre-equilibration
    readouts = ["bone_volume", "osteoclasts", "ctx", "opg_free"]
    as_file = ex.simulate_any(engine, "ko:OPG", end=84, points=8, readouts=readouts)
    by_name = load_model("bone", context).simulate("ko:OPG", end=84, points=8, readouts=readouts)
    assert max(ex.compare_frames(as_file, by_name, magnitudes={"ctx": 100.0}).values()) < 1e-6
    shipped = ex.simulate_any(ex.load_any(get_model("bone").sbml_path), "ko:OPG", end=84, points=8,
                              readouts=readouts)
    assert max(ex.compare_frames(shipped, by_name).values()) > 1e-2  # the shipped file does not


# ------------------------------------------------------------------------- SED-ML, OMEX, COPASI
def test_omex_export_is_byte_reproducible(tmp_path):
    first = ex.export("osteoclastogenesis", "omex", tmp_path / "a.omex").paths[0]
    second = ex.export("osteoclastogenesis", "omex", tmp_path / "b.omex").paths[0]
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:  # no wall-clock time in it (zip times have 2 s steps)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_an_archive_libcombine_cannot_write_is_an_input_error(tmp_path, monkeypatch):
    import libcombine

    def refuse(self, name):  # what libcombine does on a folder it cannot write to (/proc)
        raise RuntimeError("Error creating zip in file!")

    monkeypatch.setattr(libcombine.CombineArchive, "writeToFile", refuse)
    with pytest.raises(InputError, match="cannot write the COMBINE archive"):
        ex.write_omex(ex.experiment_spec("osteoclastogenesis"), tmp_path / "x.omex")


def test_sedml_export_is_valid_l1v4_next_to_its_model(tmp_path):
    out = ex.export("osteoclastogenesis", "sedml", tmp_path / "ocg.sedml")
    sedml_path, model_path = out.paths
    doc = libsedml.readSedMLFromFile(str(sedml_path))
    assert (doc.getLevel(), doc.getVersion()) == (1, 4)
    assert doc.getNumErrors(libsedml.LIBSEDML_SEV_ERROR) == 0
    sim = doc.getSimulation(0)
    assert sim.getOutputEndTime() == get_model("osteoclastogenesis").default_end
    assert doc.getModel(0).getSource() == model_path.name and model_path.exists()
    assert doc.getNumDataGenerators() == 1 + len(get_model("osteoclastogenesis").readouts)


def test_sedml_export_asks_for_cvode_at_its_documented_tolerances(tmp_path):
    """The time course runs with CVODE (KISAO:0000019) at relative tolerance (KISAO:0000209) 1e-10,
    absolute tolerance (KISAO:0000211) 1e-14 and at most 100000 steps (KISAO:0000415)."""
    sedml_path, _ = ex.export("osteoclastogenesis", "sedml", tmp_path / "ocg.sedml").paths
    doc = libsedml.readSedMLFromFile(str(sedml_path))
    algorithm = doc.getSimulation(0).getAlgorithm()
    assert algorithm.getKisaoID() == "KISAO:0000019"
    parameters = [algorithm.getAlgorithmParameter(i) for i in range(algorithm.getNumAlgorithmParameters())]
    settings = {p.getKisaoID(): float(p.getValue()) for p in parameters}
    assert settings == {"KISAO:0000209": 1e-10, "KISAO:0000211": 1e-14, "KISAO:0000415": 100000.0}


def test_sedml_export_keeps_a_file_of_its_model_files_name_that_is_not_its_own(tmp_path):
    """The model file beside the SED-ML is named by the export: a user's file of that name is
    refused, not overwritten; an earlier export of the same is written again."""
    first = ex.export("osteoclastogenesis", "sedml", tmp_path / "a.sedml")
    again = ex.export("osteoclastogenesis", "sedml", tmp_path / "b.sedml")
    assert again.paths[1] == first.paths[1]
    first.paths[1].write_text("my notes", encoding="utf-8")
    with pytest.raises(InputError, match="osteoclastogenesis_mouse_baseline.xml exists and is not this "
                       "export's model file"):
        ex.export("osteoclastogenesis", "sedml", tmp_path / "c.sedml")
    assert first.paths[1].read_text(encoding="utf-8") == "my notes"
    assert not (tmp_path / "c.sedml").exists()


def test_baseline_omex_runs_in_tellurium_and_copasi_like_librorunner(tmp_path):
    out = ex.export("osteoclastogenesis", "omex", tmp_path / "baseline.omex")
    with zipfile.ZipFile(out.paths[0]) as z:
        names = set(z.namelist())
    assert {"manifest.xml", "baseline.sedml", "osteoclastogenesis_mouse_baseline.xml"} <= names
    reference = ex.reference_frames(ex.experiment_spec("osteoclastogenesis"))
    assert reference["wild_type"]["nfatc1"].iloc[-1] > 10 * reference["wild_type"]["nfatc1"].iloc[0]
    assert _worst(ex.run_omex_tellurium(out.paths[0]), reference) < 1e-4
    assert _worst(ex.run_omex_copasi(out.paths[0]), reference) < 1e-4


def test_genetic_lines_omex_wild_type_vs_opg_knockout_agrees_across_simulators(tmp_path):
    out = ex.export("bone", "omex", tmp_path / "lines.omex", experiment="genetic_lines", lines=["OPG-/-"])
    spec = ex.experiment_spec("bone", "genetic_lines", lines=["OPG-/-"])
    assert [c.id for c in spec.conditions] == ["wild_type", "ko_OPG"]
    reference = ex.reference_frames(spec)
    for runner in (ex.run_omex_tellurium, ex.run_omex_copasi):
        frames = runner(out.paths[0])
        assert _worst(frames, reference) < 1e-4
        # the tool applied the knockout: OPG-/- loses bone (Bucay 1998)
        assert frames["ko_OPG"]["bone_volume"].iloc[-1] < 0.9 * frames["wild_type"]["bone_volume"].iloc[-1]


def test_full_genetic_lines_archive_has_one_task_per_line(tmp_path):
    from rankl_net.experiments import read_genetic_lines

    out = ex.export("bone", "omex", tmp_path / "all.omex", experiment="genetic_lines")
    with zipfile.ZipFile(out.paths[0]) as z:
        doc = libsedml.readSedMLFromString(z.read("genetic_lines.sedml").decode())
    bone_lines = [gl for gl in read_genetic_lines() if (gl.model, gl.context) == ("bone", "mouse")]
    assert doc.getNumTasks() == 1 + len(bone_lines)
    assert doc.getNumModels() == doc.getNumTasks()


def test_cross_check_of_the_documented_experiment():
    cc = ex.cross_check("osteoclastogenesis", end=72, points=25)
    assert set(cc.frames) == {"roadrunner", "tellurium", "copasi"}
    assert cc.agrees, cc.table()
    assert cc.table().shape == (2, len(get_model("osteoclastogenesis").readouts))
    # the deviations are those of the other simulators' own frames, which move with RANKL
    for name in ("tellurium", "copasi"):
        frame, reference = cc.frames[name], cc.frames["roadrunner"]
        assert frame["nfatc1"].iloc[-1] > 5 * frame["nfatc1"].iloc[0]
        np.testing.assert_allclose(frame["nfatc1"], reference["nfatc1"], rtol=cc.rtol)
        assert cc.deviations[name] == ex.compare_frames(frame, reference)


def test_a_cross_check_that_exceeds_its_tolerance_disagrees():
    t = np.linspace(0, 1, 3)
    reference = pd.DataFrame({"time": t, "x": [1.0, 2.0, 3.0]})
    off = reference.assign(x=[1.0, 2.0, 3.3])  # 10 % off at the end
    cc = ex.CrossCheck({"roadrunner": reference, "copasi": off},
                       {"copasi": ex.compare_frames(off, reference)}, rtol=1e-3)
    assert cc.worst == pytest.approx(0.1) and not cc.agrees
    assert ex.CrossCheck(cc.frames, cc.deviations, rtol=0.2).agrees


@pytest.mark.parametrize("specs", [(), ("ko:OPG",)], ids=["baseline", "ko_OPG"])
def test_cross_check_of_bone_near_zero_readouts(specs):
    """The documented bone checks: CTX stays about 0 % change at baseline and free OPG falls
    from 3 pM to 1e-22 pM after ko:OPG; each is measured against its size (100 %, the wild-type
    OPG), not against values the integrators' absolute tolerances decide."""
    cc = ex.cross_check("bone", *specs, end=84, points=29)
    assert cc.agrees, cc.table()


def test_compare_frames_measures_a_readout_against_its_magnitude():
    t = np.linspace(0, 1, 5)
    a = pd.DataFrame({"time": t, "ctx": [2.25e-7] * 5})  # a percent change that stays about 0
    b = a.assign(ctx=2.5e-7)
    assert ex.compare_frames(a, b)["ctx"] > 1e-4  # on its own scale, a disagreement
    assert ex.compare_frames(a, b, magnitudes={"ctx": 100.0})["ctx"] < 1e-5
    c = a.assign(ctx=2e-2)  # a real difference, 0.02 percentage points of 100 %
    assert ex.compare_frames(a, c, magnitudes={"ctx": 100.0})["ctx"] > 1e-4


@needs_corpus
def test_cross_check_of_a_corpus_model_with_an_event():
    # Hoffmann 2002: IKK stimulus by an event at t = 2000 min
    cc = ex.cross_check_file(CORPUS / "BIOMD0000000140_Hoffmann2002.xml", end=2600, points=27)
    assert cc.agrees, cc.table()
    nfkb = cc.frames["roadrunner"]["NFkB_nuc"]
    assert nfkb.iloc[-1] > 2 * nfkb.iloc[-7]  # the event fired in the window


def test_compare_frames_sees_a_real_difference():
    t = np.linspace(0, 1, 5)
    a = pd.DataFrame({"time": t, "x": np.exp(t)})
    b = a.copy()
    b["x"] *= 1 + 2e-4
    assert ex.compare_frames(a, b)["x"] == pytest.approx(2e-4, rel=1e-3)
    assert ex.compare_frames(a, a)["x"] == 0.0


# ------------------------------------------------------------------------------------------- PEtab
def test_petab_problem_passes_petablint_and_reproduces_rankl_net(tmp_path):
    out = ex.export("bone", "petab", tmp_path / "petab")
    folder = tmp_path / "petab"
    assert {p.name for p in out.paths} >= {"problem.yaml", "conditions.tsv", "measurements.tsv", "bone.xml"}
    lint = subprocess.run(
        [sys.executable, "-m", "petab.petablint", "-v", str(folder / "problem.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "completed successfully" in lint.stdout + lint.stderr
    # the README's command runs as written, without petab's deprecated -y
    command = re.search(r"Check with `(petablint [^`]*)`", (folder / "README.md").read_text(encoding="utf-8"))
    tool, *args = command.group(1).split()
    said = subprocess.run([sys.executable, "-m", "petab.petablint", *args], capture_output=True, text=True,
                          timeout=120, cwd=folder)
    assert said.returncode == 0 and "deprecated" not in said.stdout + said.stderr, said.stdout + said.stderr

    conditions = pd.read_csv(folder / "conditions.tsv", sep="\t", index_col=0)
    assert conditions.loc["ko_OPG", "OPG_expr"] == 0 and conditions.loc["wild_type", "OPG_expr"] == 1
    params = pd.read_csv(folder / "parameters.tsv", sep="\t")
    estimated = params[params["estimate"] == 1]
    assert len(estimated) >= 3 and set(estimated["parameterScale"]) == {"log10"}
    measurements = pd.read_csv(folder / "measurements.tsv", sep="\t")
    assert set(measurements["datasetId"]) == {"rankl_net_simulation"}

    simulated = ex.simulate_petab(folder / "problem.yaml")
    assert "measurement" not in simulated  # PEtab's simulation table
    a, b = simulated["simulation"].to_numpy(), measurements["measurement"].to_numpy()
    # percent-change markers sit at 0 at baseline: compared in absolute terms there
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # PEtab's own functions take it with the problem's tables
    import petab.v1 as petab

    problem = petab.Problem.from_yaml(str(folder / "problem.yaml"))
    chi2 = petab.calculate_chi2(problem.measurement_df, simulated, problem.observable_df,
                                problem.parameter_df)
    assert 0 <= chi2 < 1e-3

    # the same export again replaces its own files; another model's would overwrite bone.xml's folder
    again = ex.export("bone", "petab", folder)
    assert sorted(again.paths) == sorted(out.paths)
    with pytest.raises(InputError, match=r"not a PEtab export of osteoclastogenesis \(bone.xml\)"):
        ex.export("osteoclastogenesis", "petab", folder)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "README.md").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match=r"not a PEtab export of bone \(README.md\)"):
        ex.write_petab("bone", mine)  # the function itself, not only export()
    assert [p.name for p in mine.iterdir()] == ["README.md"]
    assert (mine / "README.md").read_text(encoding="utf-8") == "mine"



def test_petab_noise_of_a_percent_change_is_a_share_of_100_not_of_its_round_off(tmp_path):
    """In the clinical problem (wild type, human) CTX and BMD stay at round-off of 0 % change: their
    noise is 5 % of 100 (5 percentage points), not 5 % of a peak of 1e-7 %, which made any other
    tool's round-off a misfit of thousands of standard deviations."""
    ex.export("clinical", "petab", tmp_path / "petab")
    params = pd.read_csv(tmp_path / "petab" / "parameters.tsv", sep="\t", index_col="parameterId")
    for r in ("ctx", "untx", "p1np", "bmd_lumbar_spine", "bmd_total_hip"):
        assert params.loc[f"sd_obs_{r}", "nominalValue"] == pytest.approx(5.0), r
    # a concentration keeps 5 % of its peak
    measured = pd.read_csv(tmp_path / "petab" / "measurements.tsv", sep="\t")
    peak = measured.loc[measured["observableId"] == "obs_rankl_free", "measurement"].abs().max()
    assert params.loc["sd_obs_rankl_free", "nominalValue"] == pytest.approx(0.05 * peak)
    # a dimensionless index at 0 without tumour: 5 % of 1
    ex.export("bone_tumour", "petab", tmp_path / "tumour")
    params = pd.read_csv(tmp_path / "tumour" / "parameters.tsv", sep="\t", index_col="parameterId")
    assert params.loc["sd_obs_lesion_index", "nominalValue"] == pytest.approx(0.05)

def test_petab_bounds_are_a_hundredfold_and_conditions_set_the_values_reset_at_time_0(tmp_path):
    """Every parameter of parameters.tsv is bounded 1/100x to 100x of its nominal value; each
    simulation condition sets the values the model resets at time 0 (bone volume 100 %), which the
    pre-equilibration condition leaves free."""
    ex.write_petab("bone", tmp_path / "petab")
    params = pd.read_csv(tmp_path / "petab" / "parameters.tsv", sep="\t")
    assert (params["estimate"] == 1).sum() >= 3
    np.testing.assert_allclose(params["lowerBound"] * 100, params["nominalValue"], rtol=1e-12)
    np.testing.assert_allclose(params["upperBound"] / 100, params["nominalValue"], rtol=1e-12)
    conditions = pd.read_csv(tmp_path / "petab" / "conditions.tsv", sep="\t", index_col=0)
    reset = get_model("bone").reset_at_start
    assert reset
    for quantity, value in reset.items():
        assert np.isnan(conditions.loc["preequilibration", quantity])
        assert (conditions.drop(index="preequilibration")[quantity] == value).all(), quantity


# --------------------------------------------------------------------------------- hostile inputs
SBML_HEAD = '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">'


def _quick_input_error(path: Path, match: str) -> None:
    start = time.perf_counter()
    with pytest.raises(InputError, match=match):
        ex.load_any(path)
    assert time.perf_counter() - start < 2.0


def test_entity_expansion_bomb_is_refused(tmp_path):
    entities = ['<!ENTITY e0 "lollollollollol">'] + [
        f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE sbml [\n{chr(10).join(entities)}\n]>\n'
        f'{SBML_HEAD}<model id="m" name="&e9;"/></sbml>\n'
    )
    _quick_input_error(bomb, "DOCTYPE|entity")


def test_external_entity_is_refused(tmp_path):
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE sbml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        f'{SBML_HEAD}<model id="m" name="&secret;"/></sbml>\n'
    )
    _quick_input_error(xxe, "DOCTYPE|entity")


def test_a_200_mb_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.xml"
    with big.open("wb") as fh:  # sparse: no 200 MB in memory or on disk
        fh.write(f'<?xml version="1.0"?>\n{SBML_HEAD}<model id="m">'.encode())
        fh.seek(200 * 2**20)
        fh.write(b"</model></sbml>\n")
    tracemalloc.start()
    try:
        _quick_input_error(big, "limit")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20


def test_xml_that_is_not_sbml_and_a_truncated_file_are_refused(tmp_path):
    html = tmp_path / "page.xml"
    html.write_text('<?xml version="1.0"?>\n<html><body><p>not a model</p></body></html>\n')
    _quick_input_error(html, "not SBML")
    text = get_model("osteoclastogenesis").sbml_path.read_bytes()
    cut = tmp_path / "truncated.xml"
    cut.write_bytes(text[: len(text) // 2])
    _quick_input_error(cut, "could not read|not valid SBML")
    binary = tmp_path / "binary.xml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    _quick_input_error(binary, "not an XML file")


def test_a_file_that_breaks_sbml_rules_is_refused_before_it_is_simulated(tmp_path):
    """A reaction that consumes a species the model does not have was simulated with exit 0 and
    numbers the file does not define (libRoadRunner reads it its own way); `validate` failed it."""
    text = build_antimony("model m\n  J0: A -> B; k * A\n  A = 1; B = 0; k = 1\nend", "m")
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace('species="A"', 'species="NOPE"'))
    refused = r"not valid SBML \(libSBML error 21111, line \d+\).*'NOPE', which is undefined"
    with pytest.raises(InputError, match=refused):
        ex.load_any(broken)
    (tmp_path / "fine.xml").write_text(text)
    assert ex.load_any(tmp_path / "fine.xml").baseline["A"] == 1.0
    # a species a rate law reads without declaring it a modifier (libSBML 21121): the meaning is
    # clear, and exported models often do it, so the file runs
    doc = libsbml.readSBMLFromString(build_antimony(
        "model m\n  J0: A -> B; k * A * C\n  A = 1; B = 0; C = 2; k = 1\nend", "m"))
    doc.getModel().getReaction("J0").removeModifier("C")
    (tmp_path / "undeclared.xml").write_text(libsbml.writeSBMLToString(doc))
    eng = ex.load_any(tmp_path / "undeclared.xml")
    assert ex.simulate_any(eng, end=1, points=2)["A"].iloc[-1] == pytest.approx(np.exp(-2), rel=1e-6)


def test_a_file_without_species_reports_its_rate_rule_variables(tmp_path):
    """Without species, a run reports what the rate rules integrate (it said "no readouts
    selected", and `validate` failed the file's simulation)."""
    path = tmp_path / "decay.xml"
    path.write_text(build_antimony("model decay\n  p = 1\n  p' = -0.1 * p\nend", "decay"))
    engine = ex.load_any(path)
    frame = ex.simulate_any(engine, end=10, points=3)
    assert list(frame.columns) == ["time", "p"] and frame["p"].iloc[-1] == pytest.approx(np.exp(-1), rel=1e-6)
    assert {c.name: c.passed for c in dynamic_checks(engine, end=10)}["simulation"]


def test_a_model_that_blows_up_is_a_simulation_error(tmp_path):
    blow = tmp_path / "blow.xml"
    # dx/dt = x^2 with x(0) = 1: x = 1 / (1 - t) has no solution past t = 1
    blow.write_text(build_antimony("model blow\n  J0: -> x; k * x^2\n  x = 1; k = 1\nend", "blow"))
    eng = ex.load_any(blow)
    with pytest.raises(SimulationError, match="integration failed"):
        ex.simulate_any(eng, end=10, points=11)
    # the failure left the baseline intact
    assert ex.simulate_any(eng, end=0.5, points=2)["x"].iloc[-1] == pytest.approx(2.0, rel=1e-6)




def test_a_rate_that_is_not_finite_is_named_in_the_failure(tmp_path):
    """x grows at k / y; set:y=0 makes the rate infinite at time 0, which CVODE reports only as a
    convergence failure: the error names the reaction, the state and the value set to 0."""
    path = tmp_path / "ratio.xml"
    path.write_text(build_antimony("model ratio\n  J0: -> x; k / y\n  x = 1; y = 1; k = 1\nend", "ratio"))
    eng = ex.load_any(path)
    with pytest.raises(SimulationError, match="integration failed") as failed:
        ex.simulate_any(eng, "set:y=0", end=10, points=3)
    said = str(failed.value)
    assert "the rate of reaction is inf for J0" in said, said
    assert "the rate of change is inf for x" in said, said
    assert "this run sets y to 0" in said, said
    assert said.isascii()
    # a run whose rates stay finite (x = 1 / (1 - t) blows up at t = 1) says nothing of them
    blow = tmp_path / "blow.xml"
    blow.write_text(build_antimony("model blow\n  J0: -> x; k * x^2\n  x = 1; k = 1\nend", "blow"))
    with pytest.raises(SimulationError) as blew:
        ex.simulate_any(ex.load_any(blow), end=10, points=11)
    assert "not a finite number" not in str(blew.value)

@needs_corpus
def test_a_reaction_local_parameter_is_named_as_such():
    from rankl_net.exchange import load_any, simulate_any

    engine = load_any(CORPUS / "BIOMD0000000010_Kholodenko2000.xml")
    with pytest.raises(InputError, match="V1 is a parameter local to reaction J0"):
        simulate_any(engine, "set:V1=5", end=10)



def _with_local_k(text: str) -> str:
    """``text`` with its global parameter k made local to reaction J0 (as BioModels files often
    have their rate constants)."""
    doc = libsbml.readSBMLFromString(text)
    model = doc.getModel()
    value = model.getParameter("k").getValue()
    model.removeParameter("k")
    local = model.getReaction("J0").getKineticLaw().createLocalParameter()
    local.setId("k")
    local.setValue(value)
    return libsbml.writeSBMLToString(doc)


def test_a_reactions_local_parameter_is_set_varied_and_read_by_its_reactions_id(tmp_path):
    """A rate constant local to reaction J0 is J0_k: set: changes it (A decays at the rate set),
    it can be read out, a knockout's clamped copy keeps it, and a screen's workers see it; k
    alone is refused naming J0_k."""
    path = tmp_path / "local.xml"
    path.write_text(_with_local_k(build_antimony(
        "model m\n  J0: A -> B; k * A\n  A = 1; B = 0; k = 0.1\nend", "m")))
    eng = ex.load_any(path)
    frame = ex.simulate_any(eng, "set:J0_k=0.2", end=1, points=2, readouts=["A", "J0_k"])
    assert frame["A"].iloc[-1] == pytest.approx(np.exp(-0.2), rel=1e-6)
    assert frame["J0_k"].tolist() == [0.2, 0.2]
    assert ex.simulate_any(eng, end=1, points=2, readouts=["A"])["A"].iloc[-1] == pytest.approx(
        np.exp(-0.1), rel=1e-6)
    with pytest.raises(InputError, match=re.escape("set:k=0.2: k is a parameter local to reaction J0 of "
                                                   "local.xml; set it with its reaction's id: set:J0_k=0.2")):
        ex.simulate_any(eng, "set:k=0.2", end=1)
    with pytest.raises(InputError, match="readout 'k' is a parameter local to reaction J0 of local.xml, "
                                         "named J0_k here"):
        ex.simulate_any(eng, end=1, readouts=["k"])
    clamped = ex.simulate_any(eng, "ko:B+set:J0_k=0.2", end=1, points=2, readouts=["A", "B"])
    assert clamped["A"].iloc[-1] == pytest.approx(np.exp(-0.2), rel=1e-6) and clamped["B"].max() == 0
    from rankl_net.screens import readout_units, run_screen

    table = run_screen(str(path), ["set:J0_k=0.2", "set:J0_k=0.4"], end=1, readouts=["A"], workers=1)
    assert table["value"].tolist() == pytest.approx([np.exp(-0.2), np.exp(-0.4)], rel=1e-6)
    # the units of a table's readouts (dose-response, report) know it by the same id
    assert list(readout_units(str(path), ["A", "J0_k"])) == ["A", "J0_k"]

def test_an_export_to_a_name_under_the_home_folder_goes_there(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    out = ex.export("bone", "sbml", "~/bone.xml")
    assert out.paths == (tmp_path / "home" / "bone.xml",) and out.paths[0].is_file()
    assert not (tmp_path / "~").exists()


def test_simulate_any_takes_an_end_with_a_unit_in_the_files_time_unit(tmp_path, with_time_unit):
    """A time with a unit is converted to the file's time unit (minutes here, declared as 60 s);
    a file that declares no time unit refuses it, naming the file."""
    text = build_antimony("model m\n  J0: A -> ; k * A\n  A = 1; k = 0.01\nend", "m")
    (tmp_path / "minutes.xml").write_text(with_time_unit(text, "per_60_s", 60.0))
    engine = ex.load_any(tmp_path / "minutes.xml")
    with_unit = ex.simulate_any(engine, end="2h", points=3)
    assert with_unit["time"].tolist() == [0.0, 60.0, 120.0]
    pd.testing.assert_frame_equal(with_unit, ex.simulate_any(engine, end=120, points=3))
    assert ex.simulate_any(engine, end="90", points=2)["time"].iloc[-1] == 90.0
    (tmp_path / "plain.xml").write_text(text)
    with pytest.raises(InputError, match="end 2h: plain.xml declares no time unit"):
        ex.simulate_any(ex.load_any(tmp_path / "plain.xml"), end="2h")
    with pytest.raises(InputError, match="end: '-3h': a time cannot be negative"):
        ex.simulate_any(engine, end="-3h")


def test_a_files_element_named_by_its_name_or_a_local_parameter_is_said_to_be_so(tmp_path):
    """A species given by its SBML name (as COPASI shows it), in any case, or a reaction's local
    parameter as a readout, gets the reason, not a bare "unknown" with a wrong suggestion."""
    text = build_antimony('model m\n  J0: A -> ; k * A\n  A = 1; k = 0.1\n  A is "Mos"\nend', "m")
    doc = libsbml.readSBMLFromString(text)
    law = doc.getModel().getReaction("J0").getKineticLaw()
    local = law.createLocalParameter()
    local.setId("V1")
    local.setValue(2.0)
    (tmp_path / "named.xml").write_text(libsbml.writeSBMLToString(doc))
    eng = ex.load_any(tmp_path / "named.xml")
    for spec, name in (("ko:mos", "mos"), ("set:Mos=2", "Mos")):
        with pytest.raises(InputError, match=f"{spec}: '{name}' is the name of A in named.xml; specs and "
                           "readouts take ids"):
            ex.simulate_any(eng, spec, end=1)
    with pytest.raises(InputError, match="readout 'V1' is a parameter local to reaction J0 of named.xml"):
        ex.simulate_any(eng, end=1, readouts=["V1"])
    assert ex.simulate_any(eng, end=1, points=2, readouts=["A"])["A"].iloc[-1] == pytest.approx(np.exp(-0.1))


def test_a_part_given_twice_on_a_file_is_refused(tmp_path):
    """As on a shipped model: one condition, given as one spec or as several arguments."""
    text = build_antimony("model m\n  J0: A -> ; k * A\n  A = 1; k = 0.1\nend", "m")
    (tmp_path / "decay.xml").write_text(text)
    eng = ex.load_any(tmp_path / "decay.xml")
    for specs, part in ((["ko:A+ko:A"], "ko:A"), (["set:k=1", "set:k=1"], "set:k=1")):
        with pytest.raises(InputError, match=re.escape(f"'{'+'.join(specs)}' gives {part} twice, which "
                                                       "changes nothing more than once")):
            ex.simulate_any(eng, *specs, end=1, points=2)
    ex.simulate_any(eng, "set:k=1@1", "set:k=1@2", end=3, points=2)  # two windows: both act


def test_a_set_window_after_the_end_of_a_file_warns(tmp_path):
    from rankl_net import DosesAfterEndWarning

    text = build_antimony("model m\n  J0: A -> ; k * A\n  A = 1; k = 0.1\nend", "m")
    (tmp_path / "decay.xml").write_text(text)
    eng = ex.load_any(tmp_path / "decay.xml")
    with pytest.warns(DosesAfterEndWarning, match="set:k=1@20: its window opens at 20 time units, not"):
        ex.simulate_any(eng, "set:k=1@20", end=10, points=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ex.simulate_any(eng, "set:k=1@5", end=10, points=2)


OSCILLATOR = ("model osc\n  compartment c = 1\n  species x in c, y in c\n  x' = w * y\n  y' = -w * x\n"
              "  x = 1; y = 0; w = 1\nend")


def test_tighter_tolerances_bring_a_file_closer_to_its_exact_solution(tmp_path):
    """x = cos(wt), y = -sin(wt): the phase error of 48 periods shrinks with the tolerances, and
    the clamped copies of a knockout integrate at the file's tolerances too."""
    path = tmp_path / "osc.xml"
    path.write_text(build_antimony(OSCILLATOR, "osc"))
    errors = []
    for tolerances in ({}, {"relative_tolerance": 1e-12, "absolute_tolerance": 1e-16}):
        eng = ex.load_any(path, **tolerances)
        final = ex.simulate_any(eng, end=300, points=2).iloc[-1]
        errors.append(max(abs(final["x"] - np.cos(300)), abs(final["y"] + np.sin(300))))
        clamped = eng.knockout(["y"])
        assert clamped.rr.integrator.getValue("relative_tolerance") == eng.relative_tolerance
        assert clamped.absolute_tolerance == eng.absolute_tolerance
    assert errors[0] > 1e-7  # the defaults leave a visible error after 48 periods
    assert errors[1] < errors[0] / 100


def test_a_screen_of_a_file_runs_at_its_tolerances_and_resumes_only_at_them(tmp_path):
    from rankl_net.screens import run_screen

    path = tmp_path / "osc.xml"
    path.write_text(build_antimony(OSCILLATOR, "osc"))
    tight = {"relative_tolerance": 1e-12, "absolute_tolerance": 1e-16}
    out = tmp_path / "screen"
    table = run_screen(path, ["set:w=2"], end=150, readouts=["x"], workers=1, out=out, **tight)
    default = run_screen(path, ["set:w=2"], end=150, readouts=["x"], workers=1)
    # the same conditions join across tolerances; the tight screen is the tight engine's run
    assert table["condition_id"].tolist() == default["condition_id"].tolist()
    expected = ex.simulate_any(ex.load_any(path, **tight), "set:w=2", end=150, points=2)["x"].iloc[-1]
    assert table["value"].iloc[0] == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert abs(table["value"].iloc[0] - np.cos(300)) < abs(default["value"].iloc[0] - np.cos(300)) / 100
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InputError, match="relative tolerance 1e-12 there, 1e-08 here"):
        run_screen(path, ["set:w=2"], end=150, readouts=["x"], workers=1, out=out, resume=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    again = run_screen(path, ["set:w=2"], end=150, readouts=["x"], workers=1, out=out, resume=True, **tight)
    assert again.attrs["resumed"] == 1 and again["value"].tolist() == table["value"].tolist()


@pytest.mark.parametrize(("tolerances", "message"), [
    ({"relative_tolerance": 0.0}, r"relative tolerance must be from 1e-14 to 0\.01 .*got 0$"),
    ({"relative_tolerance": 0.5}, r"relative tolerance must be from 1e-14 to 0\.01"),
    ({"absolute_tolerance": -1e-12}, r"absolute tolerance must be above 0 and at most 1 .*got -1e-12"),
    ({"absolute_tolerance": float("nan")}, "absolute tolerance must be a finite number, got float nan"),
    ({"relative_tolerance": "1e-10"}, "relative tolerance must be a finite number, got str '1e-10'"),
])
def test_tolerances_cvode_cannot_use_are_refused_before_compiling(tmp_path, tolerances, message):
    path = tmp_path / "osc.xml"
    path.write_text(build_antimony(OSCILLATOR, "osc"))
    with pytest.raises(InputError, match=message):
        ex.load_any(path, **tolerances)


def test_tolerances_of_the_command_line_apply_to_files_only(tmp_path):
    path = tmp_path / "osc.xml"
    path.write_text(build_antimony(OSCILLATOR, "osc"))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "rankl_net", *args], capture_output=True, text=True,
                              timeout=120)

    tight = cli("simulate", str(path), "--end", "300", "--points", "2", "--rtol", "1e-12", "--atol", "1e-16")
    default = cli("simulate", str(path), "--end", "300", "--points", "2")
    assert tight.returncode == 0 and default.returncode == 0, tight.stderr + default.stderr
    x_tight, x_default = (float(r.stdout.splitlines()[-1].split(",")[1]) for r in (tight, default))
    assert abs(x_tight - np.cos(300)) < abs(x_default - np.cos(300)) / 10
    shipped = cli("simulate", "bone", "--end", "7", "--rtol", "1e-10")
    assert shipped.returncode == 2
    assert "tolerances (--rtol, --atol; relative_tolerance= and absolute_tolerance= in Python) apply to an " \
           "SBML file" in shipped.stderr
    assert "rankl-net export bone --format sbml-baseline" in shipped.stderr
    for command in (["screen", "bone", "--knockouts", "OPG", "--out", str(tmp_path / "s")],
                    ["dose-response", "bone", "--perturb", "inh:P38", "--levels", "0:1:5"]):
        refused = cli(*command, "--atol", "1e-14")
        assert refused.returncode == 2 and "apply to an SBML file" in refused.stderr, refused.stderr
    assert not (tmp_path / "s").exists()
    bad = cli("simulate", str(path), "--end", "10", "--rtol", "1")
    assert bad.returncode == 2 and "error: osc.xml: the relative tolerance must be from" in bad.stderr


def test_a_file_screen_of_its_knockouts_compiles_the_file_once(tmp_path, monkeypatch):
    """knockout_conditions reads the file at the default tolerances, which run_screen then gives
    by value: one engine for both (the file was compiled twice once tolerances were keys)."""
    from rankl_net import screens

    path = tmp_path / "decay.xml"
    path.write_text(build_antimony("model m\n  J0: A -> B; k * A\n  A = 1; B = 0; k = 0.1\nend", "m"))
    loaded = []
    monkeypatch.setattr(screens, "_FILE_ENGINES", {})  # (another test may have compiled the same text)
    monkeypatch.setattr(screens, "load_any", lambda *a, **k: loaded.append(a) or ex.load_any(*a, **k))
    conditions = screens.knockout_conditions(path, "all")
    screens.run_screen(path, conditions, end=1, readouts=["B"], workers=1)
    assert len(loaded) == 1


def test_tolerances_for_a_shipped_model_in_python_name_the_arguments():
    """run_screen's caller passed relative_tolerance=, and was told of --rtol and the command line
    alone."""
    from rankl_net.screens import run_screen

    with pytest.raises(InputError) as caught:
        run_screen("bone", ["ko:OPG"], end=7, relative_tolerance=1e-10)
    message = str(caught.value)
    assert "relative_tolerance= and absolute_tolerance= in Python" in message
    assert "exchange.export('bone', 'sbml-baseline', 'FILE.xml') in Python" in message
