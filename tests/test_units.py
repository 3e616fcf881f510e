import pytest

from analysis.registry.units import UnknownUnitError, load_units, resolve_unit


def test_real_units_resolve_by_name_and_alias():
    assert resolve_unit("马村区") == "jiaozuo-macun"
    assert resolve_unit("焦作市马村区") == "jiaozuo-macun"
    units = load_units().set_index("unit_id")
    assert units.at["jiaozuo-macun", "city"] == "焦作市"
    assert not units.at["jiaozuo-macun", "synthetic"]


def test_unknown_unit_is_an_error_that_says_what_to_do():
    with pytest.raises(UnknownUnitError, match="unknown unit '海淀区'.*units.yaml"):
        resolve_unit("海淀区")


def test_sample_units_are_fictional_and_never_real():
    units = load_units()
    synth = units[units["synthetic"]]
    assert len(synth) >= 6
    assert synth["name"].str.contains("示例").all()
    assert not set(synth["name"]) & set(units[~units["synthetic"]]["name"])
