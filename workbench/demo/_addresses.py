"""Postal addresses of demo customers: a street, a postcode and a city of their country (a region where used).

Drawn from their own random stream (``[seed, 9]``), so adding them leaves
every other demo draw, and so every figure, as it was.
"""

from __future__ import annotations

import numpy as np

from . import _world as w

__all__ = ["addresses"]

#: per country: street patterns ({n} = house number, {s} = street name), street names, (postcode, city, region)
_PLACES: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str, str], ...]]] = {
    "FR": ("{n} {s}", ("rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "rue Victor Hugo"),
           (("75011", "Paris", ""), ("69002", "Lyon", ""), ("13001", "Marseille", ""), ("31000", "Toulouse", ""))),
    "DE": ("{s} {n}", ("Hauptstraße", "Bahnhofstraße", "Lindenallee", "Schillerstraße"),
           (("10115", "Berlin", ""), ("80331", "München", ""), ("50667", "Köln", ""), ("70173", "Stuttgart", ""))),
    "ES": ("{s}, {n}", ("Calle Mayor", "Calle de Alcalá", "Avenida de la Constitución", "Calle Real"),
           (("28013", "Madrid", ""), ("08002", "Barcelona", ""), ("41001", "Sevilla", ""), ("46002", "Valencia", ""))),
    "IT": ("{s}, {n}", ("Via Roma", "Via Garibaldi", "Corso Italia", "Via Mazzini"),
           (("20121", "Milano", ""), ("00184", "Roma", ""), ("10121", "Torino", ""), ("40121", "Bologna", ""))),
    "PT": ("{s}, {n}", ("Rua Augusta", "Avenida da Liberdade", "Rua de Santa Catarina", "Rua do Comércio"),
           (("1100-048", "Lisboa", ""), ("4000-322", "Porto", ""), ("3000-150", "Coimbra", ""))),
    "BE": ("{s} {n}", ("Rue Neuve", "Avenue Louise", "Rue de la Loi", "Chaussée de Wavre"),
           (("1000", "Bruxelles", ""), ("4000", "Liège", ""), ("6000", "Charleroi", ""))),
    "NL": ("{s} {n}", ("Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenweg"),
           (("1012 AB", "Amsterdam", ""), ("3011 AD", "Rotterdam", ""), ("3511 LX", "Utrecht", ""))),
    "GB": ("{n} {s}", ("High Street", "Station Road", "Church Lane", "Victoria Road"),
           (("EC1A 1BB", "London", ""), ("M1 1AE", "Manchester", ""), ("B1 1BB", "Birmingham", ""))),
    "US": ("{n} {s}", ("Main Street", "Oak Avenue", "Market Street", "Elm Street"),
           (("60601", "Chicago", "IL"), ("10001", "New York", "NY"), ("77002", "Houston", "TX"), ("98101", "Seattle", "WA"))),
    "BR": ("{s}, {n}", ("Avenida Paulista", "Rua das Flores", "Rua XV de Novembro", "Avenida Brasil"),
           (("01310-100", "São Paulo", "SP"), ("20040-002", "Rio de Janeiro", "RJ"), ("80020-310", "Curitiba", "PR"))),
    "MX": ("{s} {n}", ("Avenida Reforma", "Calle Madero", "Avenida Juárez", "Calle Hidalgo"),
           (("06600", "Ciudad de México", "CDMX"), ("44100", "Guadalajara", "JAL"), ("64000", "Monterrey", "NL"))),
    "PL": ("ul. {s} {n}", ("Marszałkowska", "Długa", "Piotrkowska", "Floriańska"),
           (("00-026", "Warszawa", ""), ("90-001", "Łódź", ""), ("31-019", "Kraków", ""))),
}  # fmt: skip


def addresses(seed: int, country_index: np.ndarray) -> dict[str, list[str]]:
    """``address_line1``, ``postcode``, ``city`` and ``region`` for customers of the countries ``country_index``."""
    rng = np.random.default_rng([seed, 9])
    n = len(country_index)
    numbers = rng.integers(1, 180, n)
    streets = rng.integers(0, 1 << 30, n)
    places = rng.integers(0, 1 << 30, n)
    out: dict[str, list[str]] = {"address_line1": [], "postcode": [], "city": [], "region": []}
    for i, idx in enumerate(country_index):
        pattern, names, towns = _PLACES[w.COUNTRIES[int(idx)].code]
        postcode, city, region = towns[int(places[i]) % len(towns)]
        out["address_line1"].append(pattern.format(n=int(numbers[i]), s=names[int(streets[i]) % len(names)]))
        out["postcode"].append(postcode)
        out["city"].append(city)
        out["region"].append(region)
    return out
