import pandas as pd
import pytest

from analysis.registry.units import UnknownUnitError, load_units, resolve_unit


def test_real_units_resolve_by_name_and_alias():
    assert resolve_unit("马村区") == "jiaozuo-macun"
    assert resolve_unit("焦作市马村区") == "jiaozuo-macun"
    units = load_units().set_index("unit_id")
    assert units.at["jiaozuo-macun", "city"] == "焦作市"
    assert not units.at["jiaozuo-macun", "synthetic"]


def test_unknown_unit_is_an_error_that_says_what_to_do():
    with pytest.raises(UnknownUnitError, match="未知单位 '海淀区'.*units.yaml"):
        resolve_unit("海淀区")


def test_sample_units_are_fictional_and_never_real():
    units = load_units()
    synth = units[units["synthetic"]]
    assert len(synth) >= 6
    assert synth["name"].str.contains("示例").all()
    assert not set(synth["name"]) & set(units[~units["synthetic"]]["name"])


# ---- units are user data: config/units.yaml, validated with clear errors

import textwrap  # noqa: E402

from analysis.core import paths  # noqa: E402
from analysis.registry.units import UnitsFileError, unit_suggestions  # noqa: E402


def _write(tmp_path, body: str):
    p = tmp_path / "units.yaml"
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


def test_units_live_in_config_not_in_the_package():
    assert paths.units_file() == paths.config_dir() / "units.yaml"
    assert paths.units_file().exists()
    assert not (paths.REGISTRY_DIR / "units.yaml").exists()


def test_user_units_file_with_streets_departments_and_a_training_city(tmp_path):
    p = _write(
        tmp_path,
        """
        units:
          - {id: xx, name: 新市, level: city, parent: null, province: 某省}
          - {id: xx-a, name: 甲区, level: district, parent: xx, province: 某省, aliases: [新市甲区]}
          - {id: xx-a-s1, name: 甲区第一街道, level: street, parent: xx-a}
          - {id: xx-a-sfj, name: 甲区司法局, level: department, parent: xx-a}
          - {id: train, name: 培训市, level: city, parent: null, province: 培训省, synthetic: true}
          - {id: train-a, name: 培训一区, level: district, parent: train, province: 培训省, synthetic: true}
        """,
    )
    u = load_units(include_sample=False, path=p).set_index("unit_id")
    assert u.at["xx-a-s1", "province"] == "某省" and u.at["xx-a-s1", "city"] == "新市"
    assert u.at["train-a", "synthetic"] and not u.at["xx-a", "synthetic"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- {id: a, name: 甲区, level: district, parent: nowhere, province: 省}", "上级单位 'nowhere' 不在名录中"),
        (
            "- {id: c, name: 市, level: city, parent: null, province: 省}\n"
            "- {id: a, name: 甲区, level: district, parent: c, province: 省}\n"
            "- {id: b, name: 甲区, level: district, parent: c, province: 省}",
            "同一上级下名称重复",
        ),
        (
            "- {id: c, name: 市, level: city, parent: null, province: 省}\n"
            "- {id: a, name: 甲区, level: district, parent: c, province: 省}\n"
            "- {id: b, name: 乙区, level: district, parent: c, province: 省, aliases: [甲区]}",
            "别名 '甲区' 与另一单位冲突",
        ),
        (
            "- {id: c, name: 市, level: city, parent: null, province: 省}\n"
            "- {id: c, name: 乙市, level: city, parent: null, province: 省}",
            "id 'c' 重复",
        ),
        (
            "- {id: c, name: 市, level: city, parent: null, province: 省}\n"
            "- {id: t, name: 培训区, level: district, parent: c, province: 省, synthetic: true}",
            "虚构（synthetic）单位与真实单位不能互为上下级",
        ),
        ("- {id: c, name: 市, level: district, parent: null, province: 省}", "区县的上级应为市"),
        ("- {id: c, name: 市, level: town, parent: null, province: 省}", "level 'town'"),
        ("- {id: c, level: city, parent: null, province: 省}", "缺少字段 name"),
    ],
)
def test_malformed_units_file_names_file_entry_and_problem(tmp_path, body, message):
    p = _write(tmp_path, "units:\n" + textwrap.indent(body, "  ") + "\n")
    with pytest.raises(UnitsFileError, match=message) as exc:
        load_units(include_sample=False, path=p)
    assert str(p) in str(exc.value)


def test_unknown_unit_suggests_the_closest_name():
    assert unit_suggestions("马村去")[0] == "马村区"
    with pytest.raises(UnknownUnitError, match="您是否要找：马村区"):
        resolve_unit("马村去")


# ---- one resolver: the chart views and the processed units table match names the registry's way


def test_chart_views_resolve_a_full_name_alias_like_the_registry():
    from analysis.present.charts import views

    registry_units = load_units()
    # the processed units table stores aliases joined by ','; the registry keeps a list — both must resolve
    processed = registry_units.assign(aliases=registry_units["aliases"].map(",".join))
    for table in (registry_units, processed):
        assert views.resolve_unit(table, "焦作市马村区")["unit_id"] == resolve_unit("焦作市马村区") == "jiaozuo-macun"
        assert views.resolve_unit(table, "jiaozuo-macun")["name"] == "马村区"
    with pytest.raises(views.UnknownUnitError):
        views.resolve_unit(processed, "海淀区")


def test_match_unit_narrows_homonyms_by_parent():
    from analysis.registry.units import alias_list, match_unit

    units = pd.DataFrame(
        {
            "unit_id": ["a", "a-x", "b", "b-x"],
            "name": ["甲市", "城关区", "乙市", "城关区"],
            "parent": [None, "a", None, "b"],
            "aliases": [[], "甲市城关区", [], ["乙市城关区", "老城区"]],
        }
    )
    assert alias_list(" 甲, 乙 ,") == ["甲", "乙"] and alias_list(None) == [] and alias_list(float("nan")) == []
    assert match_unit(units, "城关区") == ["a-x", "b-x"]
    assert match_unit(units, "城关区", parent="乙市") == ["b-x"]
    assert match_unit(units, "城关区", parent="a") == ["a-x"]
    assert match_unit(units, " 老城区 ") == ["b-x"]
    assert match_unit(units, "甲市城关区") == ["a-x"]
    assert match_unit(units, "丙区") == []
