"""Regenerate the shipped Penglai reference CSVs (deterministic). Run: python scripts/generate_reference.py

Real: the district, its 12 towns/streets and the scenic areas' names. Synthetic (and marked so in every row):
administrative codes below the district, village/community names, grids, baselines, dwellings, lodgings,
capacities. Shape follows the 2020 study: 12 towns/streets, 584 villages/communities, 1,133 grids.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "gridflow" / "data" / "penglai"
DISTRICT = "370614"
# (name, English, kind, share of villages, residents per grid, coastal/tourist weight)
TOWNS = [
    ("登州街道", "Dengzhou Street", "street", 58, 760, 3.0),
    ("紫荆山街道", "Zijingshan Street", "street", 44, 700, 1.5),
    ("新港街道", "Xingang Street", "street", 40, 520, 2.5),
    ("蓬莱阁街道", "Penglaige Street", "street", 36, 430, 6.0),
    ("南王街道", "Nanwang Street", "street", 52, 420, 0.6),
    ("刘家沟镇", "Liujiagou Town", "town", 60, 330, 1.0),
    ("潮水镇", "Chaoshui Town", "town", 48, 300, 0.6),
    ("大柳行镇", "Daliuhang Town", "town", 52, 270, 0.3),
    ("小门家镇", "Xiaomenjia Town", "town", 46, 260, 0.3),
    ("大辛店镇", "Daxindian Town", "town", 50, 280, 0.4),
    ("村里集镇", "Cunliji Town", "town", 50, 260, 0.3),
    ("北沟镇", "Beigou Town", "town", 48, 290, 0.8),
]
VILLAGES, GRIDS = 584, 1133
SCENIC = [  # real names; capacities synthetic; (town index)
    ("蓬莱阁", "Penglai Pavilion", 3, 9000, 40000),
    ("八仙过海景区", "Eight Immortals Crossing the Sea", 3, 6000, 25000),
    ("三仙山景区", "Sanxian Mountain", 2, 5000, 20000),
    ("蓬莱海洋极地世界", "Penglai Ocean Polar World", 2, 4000, 15000),
    ("蓬莱海滨浴场", "Penglai Beach", 0, 12000, 45000),
    ("欧乐堡梦幻世界", "Oule Castle Dream World", 1, 8000, 30000),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
SUFFIX = {"street": "社区", "town": "村"}
LODGING_CN = {"hotel": "酒店", "guesthouse": "宾馆", "homestay": "民宿"}


def allot(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Split total into integer parts proportional to weights, each at least 1."""
    raw = [w / sum(weights) * total for w in weights]
    parts = [max(1, int(r)) for r in raw]
    while sum(parts) < total:
        parts[rng.randrange(len(parts))] += 1
    while sum(parts) > total:
        i = rng.randrange(len(parts))
        if parts[i] > 1:
            parts[i] -= 1
    return parts


def main() -> None:
    rng = random.Random(20200401)
    OUT.mkdir(parents=True, exist_ok=True)
    towns, villages, grids, lodgings, scenic = [], [], [], [], []
    villages_per_town = allot(VILLAGES, [t[3] for t in TOWNS], rng)
    # streets have more grids per community than rural towns
    grid_weights = []
    for (_, _, kind, _, _, _), n_villages in zip(TOWNS, villages_per_town, strict=True):
        grid_weights += [2.6 if kind == "street" else 1.6] * n_villages
    grids_per_village = allot(GRIDS, grid_weights, rng)
    v_index = 0
    towns_with_villages = zip(TOWNS, villages_per_town, strict=True)
    for t_index, ((name, en, kind, _, per_grid, tourism), n_villages) in enumerate(towns_with_villages):
        town_code = f"{DISTRICT}{t_index + 1:03d}"
        towns.append(dict(code=town_code, name=name, name_en=en, kind=kind, synthetic="false"))
        for v in range(n_villages):
            village_code = f"{town_code}{v + 1:03d}"
            new_community = kind == "street" and rng.random() < 0.18
            vname = (rng.choice(SURNAMES) + rng.choice("家庄疃格") + SUFFIX[kind]) if not new_community \
                else f"新城{v + 1}号{SUFFIX[kind]}"
            villages.append(dict(code=village_code, town_code=town_code, name=vname,
                                 kind="community" if kind == "street" else "village",
                                 new_community=str(new_community).lower(), synthetic="true"))
            for g in range(grids_per_village[v_index]):
                grid_code = f"{village_code}{g + 1:02d}"
                baseline = max(40, int(rng.gauss(per_grid, per_grid * 0.25)))
                grids.append(dict(code=grid_code, village_code=village_code, town_code=town_code,
                                  resident_baseline=baseline,
                                  dwellings=max(20, int(baseline / rng.uniform(2.2, 2.8))),
                                  synthetic="true"))
                n_lodging = int(rng.expovariate(1 / (tourism * 0.9)))
                for k in range(min(n_lodging, 12)):
                    kind_l = rng.choices(["hotel", "guesthouse", "homestay"], [1, 2, 4])[0]
                    beds = {"hotel": rng.randint(60, 400), "guesthouse": rng.randint(16, 60),
                            "homestay": rng.randint(4, 16)}[kind_l]
                    lodgings.append(dict(code=f"L{grid_code}{k + 1:02d}", grid_code=grid_code,
                                         name=f"{vname}{LODGING_CN[kind_l]}{k + 1}", kind=kind_l, beds=beds,
                                         synthetic="true"))
            v_index += 1
    for s_index, (name, en, t_index, inst, daily) in enumerate(SCENIC):
        town_code = towns[t_index]["code"]
        grid_code = rng.choice([g["code"] for g in grids if g["town_code"] == town_code])
        scenic.append(dict(code=f"S{s_index + 1:02d}", name=name, name_en=en, grid_code=grid_code,
                           max_instantaneous=inst, max_daily=daily, synthetic="true"))
    for filename, rows in [("towns.csv", towns), ("villages.csv", villages), ("grids.csv", grids),
                           ("lodgings.csv", lodgings), ("scenic_areas.csv", scenic)]:
        with open(OUT / filename, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"{filename}: {len(rows)} rows")


if __name__ == "__main__":
    main()
