import json

import pytest

from intake_bot.config import ConfigError, load_campaign

from .conftest import REPO

CAMPAIGN = REPO / "config" / "hung-yen-2024.toml"


def test_seed_campaign_loads(campaign):
    assert campaign.id == "hung-yen-2024"
    assert str(campaign.deadline) == "2024-05-10"
    assert set(campaign.units) == {"so-cong-thuong", "bql-kcn", "ubnd-my-hao", "ubnd-van-lam",
                                   "ubnd-yen-my", "ubnd-an-thi", "ubnd-kim-dong"}
    assert campaign.outline_of("ubnd-van-lam").appendix == ("KCN", "CCN")
    assert campaign.outline_of("so-cong-thuong").keys()[-1] == "PL"
    assert "Mỹ Hòa" in campaign.units["ubnd-my-hao"].aliases  # the plan's own misspelling
    assert campaign.unit_by_address("VANTHU.SCT@hungyen.gov.vn").id == "so-cong-thuong"


def test_every_problem_is_reported_with_its_key(tmp_path):
    text = CAMPAIGN.read_text(encoding="utf-8")
    text = text.replace('deadline = 2024-05-10', 'deadline = "soon"')
    text = text.replace('timezone = "Asia/Ho_Chi_Minh"', 'timezone = "Mars/Olympus"')
    text = text.replace('outline = "bql"', 'outline = "nope"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_campaign(bad)
    explained = err.value.explain()
    assert "[campaign.deadline]" in explained
    assert "Mars/Olympus" in explained
    assert "outline 'nope'" in explained
    assert all(line.startswith(str(bad)) for line in explained.splitlines())


def test_not_toml_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.toml"
    bad.write_text("[campaign\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_campaign(bad)


def test_a_new_unit_is_one_block_in_the_file(tmp_path):
    text = CAMPAIGN.read_text(encoding="utf-8") + '''
[[units]]
id = "cty-phuong-bac"
name = "Công ty cổ phần Đầu tư phát triển hạ tầng công nghiệp Phương Bắc"
issuer = "CÔNG TY CỔ PHẦN ĐẦU TƯ PHÁT TRIỂN HẠ TẦNG CÔNG NGHIỆP PHƯƠNG BẮC"
addresses = ["phuongbac@example.vn"]
'''
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    campaign = load_campaign(path)
    assert campaign.units["cty-phuong-bac"].outline is None
    assert campaign.outline_of("cty-phuong-bac") is None


def test_units_env_replaces_the_units(tmp_path, monkeypatch):
    units = {"x-unit": {"name": "Đơn vị X", "short_name": "X", "outline": "huyen", "issuer": "UBND HUYỆN X",
                        "aliases": ["huyện X"], "addresses": ["x@example.vn"]}}
    path = tmp_path / "units.json"
    path.write_text(json.dumps(units, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("INTAKE_BOT_UNITS", str(path))
    campaign = load_campaign(CAMPAIGN)
    assert list(campaign.units) == ["x-unit"]
    assert campaign.outline_of("x-unit").id == "huyen"
