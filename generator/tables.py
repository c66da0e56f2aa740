"""Small reference tables the generator draws from: names, nicknames, places, streams, courses.

Everything here is synthetic but shaped like the real population: Spanish given names and two
surnames with accents, English nicknames, the migrant streams between states, SCED subject areas.
"""

from __future__ import annotations

FIRST_NAMES_F: tuple[str, ...] = (
    "María", "Guadalupe", "Juana", "Rosa", "Ana", "Elizabeth", "Sofía", "Valeria", "Ximena",
    "Daniela", "Fernanda", "Camila", "Lucía", "Isabel", "Verónica", "Jazmín", "Yesenia",
    "Alejandra", "Mónica", "Patricia", "Leticia", "Araceli", "Brenda", "Karla", "Marisol",
    "Esperanza", "Dolores", "Concepción", "Margarita", "Teresa", "Andrea", "Natalia", "Paola",
    "Jennifer", "Jessica", "Ashley", "Emily", "Hannah", "Kimberly", "Stephanie", "Itzel",
    "Josefina", "Catalina", "Inés", "Noemí", "Belén", "Rocío", "Francisca", "Victoria", "Mary",
)  # fmt: skip

FIRST_NAMES_M: tuple[str, ...] = (
    "José", "Juan", "Francisco", "Jesús", "Alejandro", "Luis", "Carlos", "Miguel", "Jorge",
    "Antonio", "Manuel", "Pedro", "Ricardo", "Fernando", "Javier", "Roberto", "Eduardo",
    "Sergio", "Raúl", "Andrés", "Óscar", "Héctor", "Rubén", "Ramón", "Ángel", "Efraín",
    "Joaquín", "Martín", "Julián", "Sebastián", "Mateo", "Santiago", "Diego", "Emiliano",
    "Ignacio", "Enrique", "Guillermo", "Rafael", "Alberto", "Gerardo", "William", "Robert",
    "Michael", "Christopher", "Anthony", "Kevin", "Brandon", "Jonathan", "Daniel", "Gustavo",
)  # fmt: skip

# Given name -> the nickname a school may record instead (compared without accents).
NICKNAMES: dict[str, str] = {
    "José": "Pepe", "Francisco": "Paco", "Guadalupe": "Lupe", "Jesús": "Chuy",
    "Alejandro": "Alex", "María": "Mary", "Elizabeth": "Liz", "William": "Bill",
    "Robert": "Bob", "Roberto": "Beto", "Eduardo": "Lalo", "Ignacio": "Nacho",
    "Enrique": "Kike", "Guillermo": "Memo", "Alberto": "Beto", "Concepción": "Concha",
    "Dolores": "Lola", "Josefina": "Pepa", "Rafael": "Rafa", "Michael": "Mike",
    "Christopher": "Chris", "Anthony": "Tony", "Jennifer": "Jenny", "Margarita": "Maggie",
    "Rosa": "Rosie", "Manuel": "Manny", "Antonio": "Toño", "Jessica": "Jess",
}  # fmt: skip

# Second nicknames for a few names (Francisco is also Pancho); used for alternation.
ALT_NICKNAMES: dict[str, str] = {"Francisco": "Pancho", "José": "Chepe", "Jesús": "Chucho"}

SURNAMES: tuple[str, ...] = (
    "García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo", "Romero",
    "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez", "Ramos", "Domínguez", "Herrera",
    "Medina", "Castro", "Vargas", "Guzmán", "Velázquez", "Muñoz", "Rojas", "Contreras",
    "Salazar", "Luna", "Ortega", "Santiago", "Guerrero", "Bautista", "Estrada", "Cortés",
    "Núñez", "Ibarra", "Maldonado", "Delgado", "Sandoval", "Cervantes", "Ríos", "Ochoa",
    "Zúñiga", "Campos", "Peña", "Lara", "Cabrera", "Espinoza", "Valdez", "Acosta", "Rosales",
    "Smith", "Johnson", "Nguyen", "Tran", "Pierre", "Joseph", "Lee", "Brown", "Miller",
)  # fmt: skip

SUFFIXES: tuple[str, ...] = ("JR", "II", "III", "SR")

# (country, city, state or province) birth places, weights follow the population.
BIRTH_PLACES: tuple[tuple[str, str, str], ...] = (
    ("US", "McAllen", "TX"), ("US", "Brownsville", "TX"), ("US", "Laredo", "TX"),
    ("US", "Immokalee", "FL"), ("US", "Homestead", "FL"), ("US", "Salinas", "CA"),
    ("US", "Fresno", "CA"), ("US", "Yakima", "WA"), ("US", "Saginaw", "MI"),
    ("MX", "Morelia", "Michoacán"), ("MX", "Oaxaca", "Oaxaca"), ("MX", "Guadalajara", "Jalisco"),
    ("MX", "San Luis Potosí", "San Luis Potosí"), ("MX", "Zacatecas", "Zacatecas"),
    ("MX", "Matamoros", "Tamaulipas"), ("GT", "Huehuetenango", "Huehuetenango"),
    ("GT", "Quetzaltenango", "Quetzaltenango"), ("HN", "San Pedro Sula", "Cortés"),
    ("SV", "San Miguel", "San Miguel"), ("HT", "Port-au-Prince", "Ouest"),
)  # fmt: skip
BIRTH_PLACE_WEIGHTS: tuple[float, ...] = (
    8, 6, 5, 6, 4, 7, 6, 3, 2, 8, 7, 6, 4, 4, 4, 5, 3, 4, 3, 1,
)  # fmt: skip

# A few towns per state for move_from / move_to cities and school names.
TOWNS: dict[str, tuple[str, ...]] = {
    "TX": ("Weslaco", "Pharr", "Edinburg", "Eagle Pass", "Del Rio"),
    "FL": ("Immokalee", "Homestead", "Belle Glade", "Plant City", "Wimauma"),
    "CA": ("Salinas", "Watsonville", "Delano", "Coachella", "Oxnard"),
    "MI": ("Saginaw", "Holland", "Hart", "Sparta", "Coloma"),
    "OH": ("Fremont", "Willard", "Celina", "Leipsic", "Bowling Green"),
    "IN": ("Kokomo", "Plymouth", "Goshen", "Elwood", "Tipton"),
    "IL": ("Rantoul", "Princeville", "Mendota", "Cobden", "Hoopeston"),
    "WI": ("Endeavor", "Plover", "Hancock", "Sturgeon Bay", "Coloma"),
    "MN": ("Willmar", "Owatonna", "Crookston", "Moorhead", "Montevideo"),
    "NC": ("Dunn", "Clinton", "Mount Olive", "Hendersonville", "Faison"),
    "GA": ("Tifton", "Moultrie", "Vidalia", "Cairo", "Dalton"),
    "NY": ("Albion", "Sodus", "Goshen", "Riverhead", "Lyons"),
    "PA": ("Kennett Square", "Gettysburg", "Biglerville", "Hanover", "Chambersburg"),
    "NJ": ("Bridgeton", "Vineland", "Hammonton", "Salem", "Glassboro"),
    "OR": ("Woodburn", "Hood River", "Hermiston", "Medford", "Salem"),
    "WA": ("Yakima", "Wenatchee", "Pasco", "Mount Vernon", "Othello"),
    "ID": ("Nampa", "Caldwell", "Burley", "Rupert", "Twin Falls"),
}  # fmt: skip
DEFAULT_TOWNS: tuple[str, ...] = ("Fairview", "Riverside", "Greenville", "Centerville", "Oakdale")

# Home base -> destinations of the known migrant streams (domain brief).
STREAMS: dict[str, tuple[str, ...]] = {
    "TX": ("MI", "OH", "IN", "IL", "WI", "MN"),
    "FL": ("NC", "GA", "NY", "PA", "NJ"),
    "CA": ("OR", "WA", "ID"),
}
HOME_WEIGHTS: dict[str, float] = {"TX": 0.42, "FL": 0.30, "CA": 0.28}

# FIPS codes: the first two digits of every NCES district and school ID of a state.
FIPS: dict[str, str] = {
    "AL": "01", "AK": "02", "AZ": "04", "AR": "05", "CA": "06", "CO": "08", "CT": "09",
    "DE": "10", "DC": "11", "FL": "12", "GA": "13", "HI": "15", "ID": "16", "IL": "17",
    "IN": "18", "IA": "19", "KS": "20", "KY": "21", "LA": "22", "ME": "23", "MD": "24",
    "MA": "25", "MI": "26", "MN": "27", "MS": "28", "MO": "29", "MT": "30", "NE": "31",
    "NV": "32", "NH": "33", "NJ": "34", "NM": "35", "NY": "36", "NC": "37", "ND": "38",
    "OH": "39", "OK": "40", "OR": "41", "PA": "42", "RI": "44", "SC": "45", "SD": "46",
    "TN": "47", "TX": "48", "UT": "49", "VT": "50", "VA": "51", "WA": "53", "WV": "54",
    "WI": "55", "WY": "56", "PR": "72",
}  # fmt: skip

# (title, SCED subject area, course type) per schedule slot; a student takes one per slot.
COURSE_SLOTS: tuple[tuple[tuple[str, str, str], ...], ...] = (
    (("English I", "01", "RG"), ("English II", "01", "RG"), ("English III", "01", "HN"),
     ("English IV", "01", "RG"), ("ESL Reading", "01", "EL")),
    (("Algebra I", "02", "RG"), ("Geometry", "02", "RG"), ("Algebra II", "02", "RG"),
     ("Pre-Calculus", "02", "HN"), ("Math Models", "02", "RG")),
    (("Biology", "03", "RG"), ("Chemistry", "03", "RG"), ("Physics", "03", "RG"),
     ("Environmental Science", "03", "AP"), ("Integrated Physics and Chemistry", "03", "RG")),
    (("World Geography", "04", "RG"), ("World History", "04", "RG"),
     ("U.S. History", "04", "AP"), ("Government", "04", "RG"), ("Economics", "04", "DE")),
    (("Spanish for Native Speakers", "24", "RG"), ("Art I", "05", "RG"),
     ("Physical Education", "08", "RG"), ("Agricultural Science", "18", "CT"),
     ("Health", "08", "RG"), ("Computer Applications", "10", "CT")),
    (("Band", "05", "RG"), ("Welding I", "13", "CT"), ("Culinary Arts", "16", "CT"),
     ("Study Skills", "22", "OT"), ("Career Exploration", "23", "OT")),
)  # fmt: skip

SUMMER_COURSES: tuple[tuple[str, str, str], ...] = (
    ("Summer Credit Recovery English", "01", "CR"),
    ("Summer Credit Recovery Algebra", "02", "CR"),
    ("Summer Migrant Reading Academy", "01", "OT"),
)

LETTER_GRADES: tuple[str, ...] = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D")

# The state's own assessment program name; others get "<ST> State Assessment".
ASSESSMENT_PROGRAMS: dict[str, str] = {
    "TX": "STAAR", "FL": "FAST", "CA": "CAASPP", "MI": "M-STEP", "NC": "EOG",
    "WA": "SBA", "OH": "OST", "OR": "OSAS", "NY": "NYSTP", "GA": "Georgia Milestones",
}  # fmt: skip
ASSESSMENT_AREAS: tuple[str, ...] = ("reading", "mathematics", "science")
INTERPRETATIONS: tuple[str, ...] = ("advanced", "proficient", "basic", "below basic")

SCHOOL_KINDS: tuple[str, ...] = ("Elementary School", "Middle School", "High School")
