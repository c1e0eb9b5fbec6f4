"""Generated campaigns for the delegation's tools (reconcile, compile, dossier): reports recorded
in a real store, whose appendix rows carry planted disagreements, and whose sections carry text."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from .conftest import demo_first_step
from .test_digest import Mailroom

VN = dt.timezone(dt.timedelta(hours=7))
DISTRICTS = ("ubnd-van-lam", "ubnd-yen-my", "ubnd-an-thi", "ubnd-kim-dong")
PLACES = ("Tân Quang", "Như Quỳnh", "Lạc Đạo", "Đại Đồng", "Liêu Xá", "Ngọc Long", "Đặng Lễ",
          "Quán Đỏ", "Vân Du", "Chính Nghĩa", "Đức Hợp", "Toàn Thắng", "Trung Hưng", "Bạch Sam")
# How a cluster's name may be written: each must still be matched to the same cluster.
CLUSTER_FORMS = ("CCN {}", "Cụm công nghiệp {}", "Cụm CN {}", "CỤM CÔNG NGHIỆP {}")


def row(kind: str, name: str, area: float | None, leasable: float | None = None,
        occupancy: float | None = None, investor: str | None = "Công ty CP Phát triển hạ tầng") -> dict:
    return {"kind": kind, "group": "I", "stt": "1", "name": name, "investor": investor,
            "area_ha": area, "leasable_ha": leasable, "occupancy_pct": occupancy}


def report(unit: str, file: str, tables: list[dict], sections: list[tuple[str | None, str, str]] = (),
           fmt: str = "docx") -> dict:
    """An extraction as the reader stores it; `sections` are (key, heading, text)."""
    return {"file": file, "format": fmt, "scanned": False, "unit": unit,
            "metadata": {"issuer": None, "number": None, "date": None, "doc_type": "BÁO CÁO",
                         "title": None, "signer": None},
            "outline": None,
            "sections": [{"key": key, "heading": heading, "level": key.count(".") + 1 if key else 2,
                          "text_chars": len(text), "text": text} for key, heading, text in sections],
            "tables": tables, "warnings": [], "error": None, "error_vi": None}


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2024, 5, day, hour, tzinfo=VN)


def planted_campaign(store, seed: int) -> dict:
    """Record a campaign: the Department lists the clusters, each district its own, in random
    name forms; planted: one district's cluster area differs from the Department's, one district's
    cluster is absent from the Department's list, and "<place> 2" is a different cluster from
    "<place>". Returns what was planted, and the Mailroom ("room") to record more mail with."""
    rng = random.Random(seed)
    places = rng.sample(PLACES, 8)
    owners = {place: DISTRICTS[n % len(DISTRICTS)] for n, place in enumerate(places)}
    figures = {place: (round(rng.uniform(20, 80), 2), round(rng.uniform(10, 40), 2),
                       round(rng.uniform(0, 100), 1)) for place in places}
    differing, absent, twin = places[0], places[1], places[2]
    shift = round(rng.uniform(0.5, 5.0), 2)
    department = [row("CCN", f"CCN {p}", *figures[p]) for p in places if p != absent]
    department.append(row("CCN", f"CCN {twin} 2", 30.0, 20.0, 50.0))
    room = Mailroom(store)
    room.receive(at(8), "vanthu.sct@hungyen.gov.vn", "so-cong-thuong",
                 [report("so-cong-thuong", "BC Sở Công Thương.docx", department)])
    for n, district in enumerate(DISTRICTS):
        rows = []
        for place in (p for p in places if owners[p] == district):
            area, leasable, occupancy = figures[place]
            if place == differing:
                area = round(area + shift, 2)
            rows.append(row("CCN", rng.choice(CLUSTER_FORMS).format(place), area, leasable, occupancy))
        room.receive(at(9 + n % 2), f"ubnd@{district}.vn", district, [report(district, f"BC {district}.docx", rows)])
    return {"room": room, "differing": differing, "owner_of_differing": owners[differing], "shift": shift,
            "area": figures[differing][0], "absent": absent, "owner_of_absent": owners[absent], "twin": twin}


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory):
    """The sample campaign as the demo's first step leaves it: the bundled sample mail read and
    recorded, acknowledgements and reminders sent, on the evening of 14 May 2024."""
    return demo_first_step(tmp_path_factory.mktemp("sample") / "data")
