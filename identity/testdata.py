"""Synthetic student records with the hard cases of identity resolution, for tests and benchmarks.

Independent of `generator/` on purpose: the matcher is checked against two different makers of
data, so it is built for the problem and not for one generator. Every child gets 1-4 states'
records; each record is distorted the way real submissions are: surnames in another order, only
one of them, hyphenated; accents and punctuation dropped; nicknames; first and middle name
swapped; day and month swapped; one-digit typos; missing parents and birth place; an echoed
national ID (rarely a wrong one). Hard negatives are built in: twins (same birth date, parents,
surnames and birthplace, different first names) and siblings (same family, other birth date).
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

GIRLS = [
    "María",
    "Maria",
    "Guadalupe",
    "Ana",
    "Sofía",
    "Valentina",
    "Camila",
    "Isabella",
    "Daniela",
    "Fernanda",
    "Ximena",
    "Natalia",
    "Andrea",
    "Paola",
    "Alejandra",
    "Gabriela",
    "Jimena",
    "Lucía",
    "Mariana",
    "Valeria",
    "Victoria",
    "Emily",
    "Ashley",
    "Jessica",
    "Jennifer",
    "Elizabeth",
    "Stephanie",
    "Brenda",
    "Karla",
    "Leticia",
    "Rosa",
    "Verónica",
    "Patricia",
    "Yesenia",
    "Araceli",
    "Itzel",
    "Jazmín",
    "Abigail",
    "Evelyn",
    "Alondra",
    "Dulce",
    "Esmeralda",
    "Marisol",
    "Nayeli",
    "Rocío",
    "Teresa",
    "Susana",
]
BOYS = [
    "José",
    "Jose",
    "Juan",
    "Luis",
    "Carlos",
    "Jesús",
    "Miguel",
    "Ángel",
    "Francisco",
    "Alejandro",
    "Daniel",
    "David",
    "Diego",
    "Eduardo",
    "Fernando",
    "Jorge",
    "Manuel",
    "Ricardo",
    "Roberto",
    "Antonio",
    "Javier",
    "Andrés",
    "Emiliano",
    "Santiago",
    "Mateo",
    "Sebastián",
    "Gabriel",
    "Rafael",
    "Ramón",
    "Enrique",
    "Guillermo",
    "Gustavo",
    "Ignacio",
    "Kevin",
    "Brian",
    "Anthony",
    "Christopher",
    "Jonathan",
    "Joshua",
    "Michael",
    "William",
    "Richard",
    "Steven",
    "Alberto",
    "Salvador",
    "Rodolfo",
    "Hector",
]
NICKNAMES = {
    "Francisco": "Paco",
    "Guadalupe": "Lupe",
    "Jesús": "Chuy",
    "José": "Pepe",
    "Enrique": "Kike",
    "Guillermo": "Memo",
    "Eduardo": "Lalo",
    "Ignacio": "Nacho",
    "Roberto": "Beto",
    "William": "Bill",
    "Richard": "Rick",
    "Michael": "Mike",
    "Alejandro": "Alex",
    "Daniel": "Danny",
    "Anthony": "Tony",
    "Elizabeth": "Liz",
    "Patricia": "Paty",
    "Gustavo": "Tavo",
    "Salvador": "Chava",
    "Rafael": "Rafa",
}
SURNAMES = [
    "García",
    "Hernández",
    "Martínez",
    "López",
    "González",
    "Rodríguez",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Reyes",
    "Jiménez",
    "Torres",
    "Díaz",
    "Gutiérrez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
    "Ortiz",
    "Moreno",
    "Castillo",
    "Romero",
    "Álvarez",
    "Méndez",
    "Chávez",
    "Rivera",
    "Juárez",
    "Ramos",
    "Domínguez",
    "Herrera",
    "Medina",
    "Castro",
    "Vargas",
    "Guzmán",
    "Velázquez",
    "Muñoz",
    "Rojas",
    "Salazar",
    "Contreras",
    "Luna",
    "Ortega",
    "Santiago",
    "Guerrero",
    "Estrada",
    "Bautista",
    "Cortés",
    "Soto",
    "Alvarado",
    "Espinoza",
    "Lara",
    "Ávila",
    "Ríos",
    "Cervantes",
    "Silva",
    "Delgado",
    "Vega",
    "Márquez",
    "Sandoval",
    "Smith",
    "Johnson",
    "Nguyen",
    "Tran",
    "Williams",
    "Brown",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Thomas",
    "Moore",
] + ["De la Cruz", "De León", "Del Río", "O'Brien", "San Juan"]
ADULT_GIRLS = [
    "María",
    "Rosa",
    "Ana",
    "Juana",
    "Guadalupe",
    "Teresa",
    "Carmen",
    "Martha",
    "Leticia",
    "Patricia",
]
ADULT_BOYS = [
    "José",
    "Juan",
    "Jesús",
    "Pedro",
    "Miguel",
    "Francisco",
    "Manuel",
    "Antonio",
    "Ramón",
    "Luis",
]
CITIES = [
    ("Guadalajara", "MX"),
    ("Morelia", "MX"),
    ("Oaxaca", "MX"),
    ("San José", "CR"),
    ("Tegucigalpa", "HN"),
    ("Guatemala", "GT"),
    ("Fresno", "US"),
    ("McAllen", "US"),
    ("Yakima", "US"),
    ("Salinas", "US"),
    ("Immokalee", "US"),
    ("León", "MX"),
]
STATES = ("TX", "CA", "FL", "WA", "OR", "NC", "GA", "MI", "NY", "ID", "KS", "PA")


@dataclass
class Child:
    """The truth about one synthetic child."""

    child_id: int
    sex: str
    first: str
    middle: str | None
    sur1: str
    sur2: str | None
    dob: date
    city: str
    country: str
    mother: tuple[str, str]
    father: tuple[str, str]
    twin_group: int | None
    national: str


def _zipf_choice(rng: random.Random, names: list[str]) -> str:
    """Skewed pick: early names are more common (weight 1/(rank+5), so the top name is ~8%)."""
    weights = _WEIGHTS.setdefault(len(names), [1 / (i + 5) for i in range(len(names))])
    return rng.choices(names, weights=weights)[0]


_WEIGHTS: dict[int, list[float]] = {}


def _make_family(rng: random.Random, child_id: int, twin_group: int | None) -> Child:
    sex = rng.choice("FM")
    sur1, sur2 = _zipf_choice(rng, SURNAMES), _zipf_choice(rng, SURNAMES)
    two_surnames = rng.random() < 0.7
    city, country = rng.choice(CITIES)
    dob = date(2005, 1, 1) + timedelta(days=rng.randrange(18 * 365))
    return Child(
        child_id=child_id,
        sex=sex,
        first=_zipf_choice(rng, GIRLS if sex == "F" else BOYS),
        middle=_zipf_choice(rng, GIRLS if sex == "F" else BOYS) if rng.random() < 0.5 else None,
        sur1=sur1,
        sur2=sur2 if two_surnames and sur2 != sur1 else None,
        dob=dob,
        city=city,
        country=country,
        mother=(rng.choice(ADULT_GIRLS), sur2 if two_surnames else _zipf_choice(rng, SURNAMES)),
        father=(rng.choice(ADULT_BOYS), sur1),
        twin_group=twin_group,
        national=f"{rng.randrange(10**11, 10**12)}",
    )


def _sibling(rng: random.Random, base: Child, child_id: int, twin: bool) -> Child:
    """Same family: a twin shares the birth date, any sibling gets another first name."""
    sex = rng.choice("FM")
    names = GIRLS if sex == "F" else BOYS
    first = base.first
    taken = {_plain(base.first).upper(), _plain(base.middle or "").upper()}
    while _plain(first).upper() in taken:
        first = rng.choice(names)
    dob = (
        base.dob
        if twin
        else base.dob + timedelta(days=rng.choice([-1, 1]) * rng.randrange(300, 2500))
    )
    return Child(
        child_id=child_id,
        sex=sex,
        first=first,
        middle=rng.choice(names) if rng.random() < 0.5 else None,
        sur1=base.sur1,
        sur2=base.sur2,
        dob=dob,
        city=base.city,
        country=base.country,
        mother=base.mother,
        father=base.father,
        twin_group=base.twin_group if twin else None,
        national=f"{rng.randrange(10**11, 10**12)}",
    )


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.4:
        return text[:i] + text[i + 1 :]
    if kind < 0.7:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeiourns") + text[i + 1 :]


def _plain(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _record(rng: random.Random, child: Child, state: str, ssid: str, echo: bool) -> dict:
    """One state's version of the child, distorted."""
    first, middle = child.first, child.middle
    if first in NICKNAMES and rng.random() < 0.15:
        first = NICKNAMES[first]
    if middle and rng.random() < 0.04:
        first, middle = middle, first
    if rng.random() < 0.04:
        first = _typo(rng, first)
    if middle and rng.random() < 0.3:
        middle = None
    sur1, sur2 = child.sur1, child.sur2
    if sur2:
        roll = rng.random()
        if roll < 0.15:
            sur2 = None
        elif roll < 0.25:
            sur1, sur2 = sur2, sur1
        elif roll < 0.4:
            sur1, sur2 = f"{sur1}-{sur2}", None
        elif roll < 0.5:
            sur1, sur2 = f"{sur1} {sur2}", None
    if rng.random() < 0.04:
        sur1 = _typo(rng, sur1)
    dob = child.dob
    roll = rng.random()
    if roll < 0.03 and dob.day <= 12:
        dob = date(dob.year, dob.day, dob.month)
    elif roll < 0.06:
        text = dob.strftime("%Y%m%d")
        i = rng.choice([3, 5, 7])
        candidate = text[:i] + rng.choice("0123456789") + text[i + 1 :]
        with contextlib.suppress(ValueError):
            dob = datetime.strptime(candidate, "%Y%m%d").date()
    plain = rng.random() < 0.5
    fix = _plain if plain else (lambda s: s)
    upper = rng.random() < 0.5
    case = str.upper if upper else (lambda s: s)
    parents = rng.random() < 0.7
    place = rng.random() < 0.7
    mother, father = (
        (child.mother, child.father) if rng.random() < 0.8 else (child.father, child.mother)
    )

    def name(value: str | None) -> str | None:
        return None if value is None else case(fix(value))

    wrong_echo = rng.random() < 0.005
    return {
        "state": state,
        "state_student_id": ssid,
        "stamp": datetime(2024, 1, 1) + timedelta(days=rng.randrange(300)),
        "is_deleted": False,
        "msix_id": (f"{rng.randrange(10**11, 10**12)}" if wrong_echo else child.national)
        if echo
        else None,
        "first_name": name(first),
        "middle_name": name(middle),
        "last_name_1": name(sur1),
        "last_name_2": name(sur2),
        "suffix": None,
        "sex": child.sex if rng.random() > 0.01 else ("M" if child.sex == "F" else "F"),
        "birth_date": dob,
        "multiple_birth": (child.twin_group is not None) if rng.random() < 0.7 else None,
        "birth_city": name(child.city) if place else None,
        "birth_state": None,
        "birth_country": child.country if place else None,
        "parent1_first_name": name(mother[0]) if parents else None,
        "parent1_last_name": name(mother[1]) if parents else None,
        "parent2_first_name": name(father[0]) if parents and rng.random() < 0.7 else None,
        "parent2_last_name": name(father[1]) if parents else None,
        "child_id": child.child_id,
    }


def make_records(children: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(records, children): records have the input relation's columns plus `child_id`."""
    rng = random.Random(seed)
    kids: list[Child] = []
    twin_groups = 0
    while len(kids) < children:
        roll = rng.random()
        if roll < 0.04:
            twin_groups += 1
            base = _make_family(rng, len(kids), twin_groups)
            kids += [base, _sibling(rng, base, len(kids) + 1, twin=True)]
        elif roll < 0.25:
            base = _make_family(rng, len(kids), None)
            kids += [base, _sibling(rng, base, len(kids) + 1, twin=False)]
        else:
            kids.append(_make_family(rng, len(kids), None))
    rows: list[dict] = []
    counters = dict.fromkeys(STATES, 0)
    for child in kids:
        n_states = rng.choice([1, 1, 2, 2, 2, 3, 3, 4])
        for k, state in enumerate(rng.sample(STATES, n_states)):
            copies = 2 if rng.random() < 0.01 else 1  # a state's own duplicate record
            for _ in range(copies):
                counters[state] += 1
                ssid = f"{state}{counters[state]:08d}"
                rows.append(_record(rng, child, state, ssid, echo=k > 0 and rng.random() < 0.3))
    records = pd.DataFrame(rows)
    truth = pd.DataFrame(
        {"child_id": [c.child_id for c in kids], "twin_group": [c.twin_group for c in kids]}
    )
    return records, truth


def write_input(warehouse: Path, records: pd.DataFrame) -> None:
    """Create `intermediate.int_student_records_latest` in `warehouse` from `records` (extra
    columns such as `child_id` are dropped), as the dbt model would."""
    import duckdb

    from identity.features import INPUT_COLUMNS

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    frame = records.reindex(columns=list(INPUT_COLUMNS))
    con = duckdb.connect(str(warehouse))
    try:
        con.register("records_frame", frame)
        con.execute("create schema if not exists intermediate").fetchall()
        con.execute(
            "create or replace table intermediate.int_student_records_latest as select "
            "state::varchar as state, state_student_id::varchar as state_student_id, "
            "stamp::timestamp as stamp, is_deleted::boolean as is_deleted, "
            "msix_id::varchar as msix_id, first_name::varchar as first_name, "
            "middle_name::varchar as middle_name, last_name_1::varchar as last_name_1, "
            "last_name_2::varchar as last_name_2, suffix::varchar as suffix, sex::varchar as sex, "
            "birth_date::date as birth_date, multiple_birth::boolean as multiple_birth, "
            "birth_city::varchar as birth_city, birth_state::varchar as birth_state, "
            "birth_country::varchar as birth_country, "
            "parent1_first_name::varchar as parent1_first_name, "
            "parent1_last_name::varchar as parent1_last_name, "
            "parent2_first_name::varchar as parent2_first_name, "
            "parent2_last_name::varchar as parent2_last_name from records_frame"
        ).fetchall()
    finally:
        con.close()


def latest_from_landing(landing: Path) -> pd.DataFrame:
    """The input relation built from a generated landing folder (via the generator's own
    read-back, not the loaders): per (state, state_student_id) the row with the latest stamp,
    `is_deleted` when that row's action is `D`. For tests, before or without dbt."""
    from generator.readback import read_landing

    students = read_landing(landing)["students"].replace({"": None})
    students = students.sort_values(["state", "state_student_id", "stamp", "file_name", "line_no"])
    latest = students.groupby(["state", "state_student_id"], as_index=False).tail(1).copy()
    latest["stamp"] = pd.to_datetime(latest["stamp"], format="%Y%m%dT%H%M%S")
    latest["is_deleted"] = latest["action"].eq("D")
    latest["birth_date"] = pd.to_datetime(latest["birth_date"]).dt.date
    latest["multiple_birth"] = latest["multiple_birth"].map({"Y": True, "N": False})
    return latest.reset_index(drop=True)
