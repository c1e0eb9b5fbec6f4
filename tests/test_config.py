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


def _with(tmp_path, *replacements, extra=""):
    """The seed campaign file with `replacements` (old, new) made and `extra` appended."""
    text = CAMPAIGN.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "typo.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _problems(path) -> str:
    with pytest.raises(ConfigError) as err:
        load_campaign(path)
    return err.value.explain()


@pytest.mark.parametrize("old, new, expected", [
    ("\n[reminders]\n", "\n[remiders]\n", "unknown section [remiders] (did you mean 'reminders'?)"),
    ("poll_minutes = 5", "poll_minuts = 5", "[schedule.poll_minuts]: unknown key (did you mean 'poll_minutes'?)"),
    ('addresses = ["ubnd.yenmy@hungyen.gov.vn"]', 'adresses = ["ubnd.yenmy@hungyen.gov.vn"]',
     "(ubnd-yen-my): unknown key 'adresses' (did you mean 'addresses'?)"),
    ('{ key = "III", title', '{ key = "III", titel', "[outlines.sct.items][9] (III): unknown key 'titel'"),
    ('appendix = ["CCN"]', 'apendix = ["CCN"]', "[outlines.sct]: unknown key 'apendix' (did you mean 'appendix'?)"),
])
def test_a_typo_in_a_name_is_an_error_with_the_closest_name(tmp_path, old, new, expected):
    explained = _problems(_with(tmp_path, (old, new)))
    line = next(line for line in explained.splitlines() if expected in line)
    assert line.startswith(str(tmp_path / "typo.toml") + ": ")


def test_a_unit_without_addresses_is_an_error(tmp_path):
    explained = _problems(_with(tmp_path, ('addresses = ["ubnd.yenmy@hungyen.gov.vn"]', "addresses = []")))
    assert "(ubnd-yen-my): addresses is empty" in explained


@pytest.mark.parametrize("old, new, expected", [
    ('addresses = ["ubnd.yenmy@hungyen.gov.vn"]', 'addresses = ["ktns.hdndhy@gmail"]',
     "(ubnd-yen-my): addresses: 'ktns.hdndhy@gmail' is not an e-mail address (no dot in the domain after @)"),
    ('address = "ktns.hdndhy@gmail.com"', 'address = "ktns.hdndhy@gmail"', "[mailbox.address]: 'ktns.hdndhy@gmail'"),
    ('[operator]\n# Told when the mailbox cannot be reached; empty means the secretary only.\nemail = ""',
     '[operator]\nemail = "it.hungyen.gov.vn"', "[operator.email]: 'it.hungyen.gov.vn' is not an e-mail address (no @)"),
])
def test_an_invalid_address_is_an_error(tmp_path, old, new, expected):
    assert expected in _problems(_with(tmp_path, (old, new)))


def test_one_address_registered_to_two_units_is_an_error(tmp_path):
    explained = _problems(_with(tmp_path, ('addresses = ["ubnd.yenmy@hungyen.gov.vn"]',
                                           'addresses = ["ubnd.yenmy@hungyen.gov.vn", "ubnd.vanlam@hungyen.gov.vn"]')))
    assert "(ubnd-yen-my): address 'ubnd.vanlam@hungyen.gov.vn' is also registered to unit 'ubnd-van-lam'" in explained


def test_every_typo_is_listed_at_once(tmp_path):
    explained = _problems(_with(tmp_path, ("\n[reminders]\n", "\n[remiders]\n"), ("poll_minutes = 5", "poll_minuts = 5")))
    assert "[remiders]" in explained and "poll_minuts" in explained


def test_the_plan_is_cited_by_its_number_and_date(campaign):
    assert (campaign.plan_number, campaign.plan_date.isoformat()) == ("35/KH-ĐGS", "2024-04-26")
    assert campaign.plan_citation == ("Kế hoạch số 35/KH-ĐGS ngày 26/4/2024 của Đoàn giám sát "
                                      "Ban Kinh tế - Ngân sách HĐND tỉnh")


@pytest.mark.parametrize("change, expected", [
    ('plan_number = "35/KH-ĐGS"', "[campaign.plan_number]: missing"),
    ('plan_number = "35/kh-đgs"', "is not a document number"),
    ('plan_number = "KH-ĐGS"', "is not a document number"),
    ('plan_date = 2024-04-26', "[campaign.plan_date]: missing"),
    ('plan_date = "26/4/2024"', "[campaign.plan_date]: expected date"),
    ('plan_issuer = "Đoàn giám sát Ban Kinh tế - Ngân sách HĐND tỉnh"', "[campaign.plan_issuer]: missing"),
])
def test_the_plan_keys_are_checked(tmp_path, change, expected):
    key, _, value = change.partition(" = ")
    text = CAMPAIGN.read_text(encoding="utf-8")
    original = next(line for line in text.splitlines() if line.startswith(key + " = "))
    replaced = "" if original == change else change
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(original, replaced), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_campaign(bad)
    assert expected in err.value.explain()


def test_a_plan_dated_after_its_deadline_is_an_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(CAMPAIGN.read_text(encoding="utf-8").replace("plan_date = 2024-04-26", "plan_date = 2024-06-26"),
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="plan_date"):
        load_campaign(bad)


def test_every_mail_cites_the_plan_and_templates_hold_no_campaign_fact(campaign, monkeypatch):
    from types import SimpleNamespace

    from intake_bot.compose import acknowledgement
    from intake_bot.digest import sample_digest
    from intake_bot.followup import sample_reminders
    from intake_bot.store import db

    monkeypatch.delenv(db.DATABASE_URL_ENV, raising=False)
    message = SimpleNamespace(from_address="ubnd.vanlam@hungyen.gov.vn", subject="Báo cáo", message_id="<m@x>",
                              references=[], date=None)
    acks = [acknowledgement(campaign, message, SimpleNamespace(action=action, unit="ubnd-van-lam"), [])
            for action in ("acknowledge", "ask_for_missing", "ask_for_docx", "ask_for_resend", "ask_for_file",
                           "acknowledge_note")]
    digest = sample_digest(campaign)
    texts = [(d.text, d.html) for d in [*acks, *(r.draft for r in sample_reminders(campaign))]]
    texts.append((digest.text, digest.html))
    for text, html in texts:
        assert campaign.plan_citation in " ".join(text.split()) and campaign.plan_citation in html
    for template in (REPO / "templates").glob("*.j2"):
        source = template.read_text(encoding="utf-8")
        assert "35/KH" not in source and "26/4/2024" not in source, template.name


STAFF = '''
[[staff]]
name = "Nguyễn Văn Hùng"
email = "Hung.KTNS@gmail.com"
'''


def test_the_secretary_and_the_staff_are_the_commanders(tmp_path, campaign):
    assert campaign.commanders == {"ktns.hdndhy@gmail.com": "Đinh Thị Miên"}
    with_staff = load_campaign(_with(tmp_path, extra=STAFF))
    assert with_staff.commanders == {"hung.ktns@gmail.com": "Nguyễn Văn Hùng", "ktns.hdndhy@gmail.com": "Đinh Thị Miên"}


@pytest.mark.parametrize("extra, expected", [
    ('\n[[staff]]\nname = "Hùng"\n', "[[staff]][0]: a staff entry needs a name and an email"),
    ('\n[[staff]]\nname = "Hùng"\nemail = "hung.gmail.com"\n', "[[staff]][0] (Hùng): email: 'hung.gmail.com' is not an e-mail address"),
    ('\n[[staff]]\nname = "Hùng"\nemail = "hung@gmail.com"\nphone = "1"\n', "[[staff]][0]: unknown key 'phone'"),
    (STAFF + STAFF, "[[staff]][1] (Nguyễn Văn Hùng): hung.ktns@gmail.com is listed twice"),
    ('\n[[staff]]\nname = "Văn thư"\nemail = "ubnd.vanlam@hungyen.gov.vn"\n',
     "commander ubnd.vanlam@hungyen.gov.vn ([secretary] or [[staff]]) is also an address of unit 'ubnd-van-lam'"),
])
def test_staff_entries_are_checked(tmp_path, extra, expected):
    assert expected in _problems(_with(tmp_path, extra=extra))
