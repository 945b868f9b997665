"""A first session with the Python API (run by the docs build; its output is shown in the guide)."""

import rankl_net

# Load a shipped model in a species context. The SBML is compiled once per process and context,
# and the baseline steady state is found once.
bone = rankl_net.load_model("bone", context="mouse")
print(bone, "time unit:", bone.time_unit)
print("readouts:", ", ".join(bone.readouts))

# Simulate 12 weeks from the baseline; perturbations start at time 0.
wild_type = bone.simulate(end=84, points=5, readouts=["bone_volume", "osteoclasts"])
opg_ko = bone.simulate("ko:OPG", end=84, points=5, readouts=["bone_volume", "osteoclasts"])
print("wild type:\n" + wild_type.to_string(index=False))
print("OPG knockout:\n" + opg_ko.to_string(index=False))

# Perturbation objects and specs are interchangeable; several may be combined.
p50_p52 = [rankl_net.Knockout("NFKB1"), rankl_net.Knockout("NFKB2")]
print(rankl_net.condition_spec(p50_p52), "==", rankl_net.parse_spec("ko:NFKB1+ko:NFKB2") == p50_p52)

# Readouts at the end time only; a time with a unit is converted to the model's (12 weeks: 84 days).
print(bone.final(*p50_p52, end="12wk", readouts=["bone_volume", "osteoclasts"]).to_string())

# A perturbation held for every simulation inside the block (here a cathepsin K inhibitor
# at 90 % effect on top of OPG loss); the baseline is restored on exit, even after an error.
with bone.perturbed("inh:CTSK=0.9"):
    print("active:", bone.active_spec)
    treated = bone.final("ko:OPG", end=84, readouts=["bone_volume", "ctx"])
print(treated.to_string())
print("active after the block:", repr(bone.active_spec))
