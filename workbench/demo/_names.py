"""Deterministic company names and contact details for demo customers.

Names are assembled from invented word lists (a brand word and an activity,
or family names joined with commas and ampersands), made unique per country,
and completed with the country's legal form. Two hostile names exercise
escaping in reports and spreadsheet exports.
"""

from __future__ import annotations

import numpy as np
import polars as pl

SCRIPT_NAME = "<script>alert('x')</script> Trading"
FORMULA_NAME = '=HYPERLINK("http://x") Supplies'

BRANDS: tuple[str, ...] = (
    "Alder",
    "Boreal",
    "Cobalt",
    "Dorado",
    "Elara",
    "Fjordan",
    "Granit",
    "Helion",
    "Ivoria",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nordal",
    "Orvane",
    "Pallas",
    "Quartzo",
    "Rivela",
    "Solent",
    "Tamaris",
    "Umbra",
    "Vantor",
    "Westbrook",
    "Xylem",
    "Yarrow",
    "Zenara",
    "Atlantis",
    "Brenner",
    "Castell",
    "Deltaro",
    "Ebro",
    "Falcor",
    "Garonne",
    "Hansel",
    "Iberis",
    "Jurassia",
    "Kappel",
    "Loiret",
    "Moselle",
    "Nevara",
    "Oderna",
    "Pavia",
    "Rhinlo",
    "Sierran",
    "Tejada",
    "Uralis",
    "Vistra",
    "Weserit",
    "Aurelia",
    "Beacon",
    "Crestline",
    "Dunmore",
    "Emberly",
    "Forgeway",
    "Glacia",
    "Harborne",
    "Ironvale",
    "Keystone",
    "Lakemont",
    "Maplin",
    "Northgate",
    "Oakridge",
    "Pinecrest",
    "Quayside",
    "Redwater",
    "Stonebridge",
    "Thornbury",
    "Upland",
    "Valmont",
    "Whitcombe",
)
ACTIVITIES: tuple[str, ...] = (
    "Steel",
    "Plastics",
    "Logistics",
    "Foods",
    "Packaging",
    "Chemicals",
    "Components",
    "Textiles",
    "Electronics",
    "Pharma",
    "Paper",
    "Glass",
    "Motors",
    "Tools",
    "Energy",
    "Construction",
    "Retail",
    "Distribution",
    "Machinery",
    "Systems",
    "Cables",
    "Coatings",
    "Pumps",
    "Optics",
    "Fasteners",
    "Polymers",
    "Agro",
    "Timber",
    "Metals",
    "Hydraulics",
    "Print",
    "Medical",
    "Instruments",
    "Furniture",
    "Beverages",
    "Ceramics",
    "Labels",
    "Valves",
    "Bearings",
    "Automation",
)
FAMILIES: tuple[str, ...] = (
    "Martin",
    "Bernard",
    "Dubois",
    "Müller",
    "Schmidt",
    "García",
    "Rossi",
    "Silva",
    "Janssens",
    "de Vries",
    "Smith",
    "Johnson",
    "Santos",
    "Hernández",
    "Kowalski",
    "Ferreira",
    "Lefèvre",
    "Weber",
    "Moreau",
    "Romano",
)
APOSTROPHES: tuple[str, ...] = ("O'Connor", "L'Artisan", "D'Ambrosio", "Sant'Anna", "O'Malley", "L'Orfèvre")
QUALIFIERS: tuple[str, ...] = (
    "Industries",
    "Group",
    "International",
    "Services",
    "Europe",
    "Trading",
    "Ventures",
    "Partners",
    "Technologies",
    "Supply",
    "Solutions",
    "Works",
)
MAILBOXES: tuple[str, ...] = ("ap", "accounts.payable", "invoices", "finance", "billing")


def _pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> pl.Series:
    """``n`` words drawn uniformly from ``words``."""
    return pl.Series(words).gather(rng.integers(0, len(words), n))


def base_names(rng: np.random.Generator, n: int) -> pl.Series:
    """Company names without legal form: mostly brand + activity, some family names.

    About 3 % contain a comma, 3 % an apostrophe and 4 % an ampersand.
    """
    kind = rng.choice(4, size=n, p=[0.90, 0.03, 0.03, 0.04])
    frame = pl.DataFrame(
        {
            "kind": kind,
            "brand": _pick(rng, BRANDS, n),
            "activity": _pick(rng, ACTIVITIES, n),
            "fam1": _pick(rng, FAMILIES, n),
            "fam2": _pick(rng, FAMILIES, n),
            "apos": _pick(rng, APOSTROPHES, n),
        }
    )
    name = (
        pl.when(pl.col("kind") == 1)
        .then(pl.format("{}, {} & Associates", "fam1", "fam2"))
        .when(pl.col("kind") == 2)
        .then(pl.format("{} {}", "apos", "activity"))
        .when(pl.col("kind") == 3)
        .then(pl.format("{} & {} {}", "fam1", "fam2", "activity"))
        .otherwise(pl.format("{} {}", "brand", "activity"))
    )
    return frame.select(name.alias("name")).to_series()


def make_unique(names: pl.Series, country: pl.Series) -> pl.Series:
    """Qualify repeated names within a country ("Vantor Steel", "Vantor Steel Group", ...)."""
    repeat = (
        pl.DataFrame({"name": names, "country": country})
        .select(pl.col("name").cum_count().over("name", "country").cast(pl.Int64) - 1)
        .to_series()
        .to_numpy()
    )
    qualifier = pl.Series(QUALIFIERS).gather(np.maximum(repeat - 1, 0) % len(QUALIFIERS))
    rounds = pl.Series(np.maximum(repeat - 1, 0) // len(QUALIFIERS))
    out = (
        pl.when(pl.Series(repeat) == 0)
        .then(names)
        .when(rounds == 0)
        .then(pl.format("{} {}", names, qualifier))
        .otherwise(pl.format("{} {} {}", names, qualifier, (rounds + 1).cast(pl.String)))
    )
    return pl.select(out.alias("name")).to_series()


def slugs(names: pl.Series) -> pl.Series:
    """Lower-case ASCII domain labels derived from names (never empty)."""
    slug = names.str.normalize("NFKD").str.to_lowercase().str.replace_all("[^a-z0-9]", "").str.slice(0, 24)
    return pl.select(pl.when(slug.str.len_chars() < 3).then(pl.lit("customer") + slug).otherwise(slug)).to_series()


def pattern_fill(rng: np.random.Generator, pattern: str, n: int) -> np.ndarray:
    """``n`` strings following ``pattern`` ('#' digit, '%' non-zero digit, '@' capital letter)."""
    template = np.frombuffer(pattern.encode("ascii"), dtype=np.uint8)
    chars = np.broadcast_to(template, (n, template.size)).copy()
    digits = template == ord("#")
    nonzero = template == ord("%")
    letters = template == ord("@")
    chars[:, digits] = rng.integers(48, 58, size=(n, int(digits.sum())), dtype=np.uint8)
    chars[:, nonzero] = rng.integers(49, 58, size=(n, int(nonzero.sum())), dtype=np.uint8)
    chars[:, letters] = rng.integers(65, 91, size=(n, int(letters.sum())), dtype=np.uint8)
    return np.ascontiguousarray(chars).view(f"S{template.size}").ravel().astype(str)


def emails(rng: np.random.Generator, domains: pl.Series) -> pl.Series:
    """Accounts-payable mailbox addresses at the given domains."""
    box = _pick(rng, MAILBOXES, len(domains))
    return pl.select(pl.concat_str([box, pl.lit("@"), domains])).to_series()
