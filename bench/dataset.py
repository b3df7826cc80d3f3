"""Deterministic lead data sets: CSV files of v1 leads made from a fixed seed.

The same seed and size always give the same file, so every run measures the
same data. Search terms of known frequency are planted: ``RARE_TERM`` in about
one lead in 20,000, ``COMMON_TERM`` in about one in 12, and the two-letter
``SHORT_TERM`` in most.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

SEED = 20261123
# The portal the data sets are loaded into (the runs, the plain baselines).
PORTAL = 1
RARE_TERM = "zyzzogeton"
COMMON_TERM = "lindqvist"
SHORT_TERM = "an"
# Leads are inserted over two years from START_MS.
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
SPAN_MS = 2 * 365 * 86_400_000

FIRST = (
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Paul Emily Andrew "
    "Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy "
    "Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy Jacob Amy "
    "Gary Kathleen Nicholas Angela Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela Justin "
    "Nicole Scott Anna Brandon Samantha Benjamin Katherine Samuel Christine Gregory Debra "
    "Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry "
    "Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren Zachary "
    "Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn Walter "
    "Hannah Christian Andrea Keith Megan Roger Cheryl Terry Jacqueline Austin Madison Sean Teresa"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook "
    "Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
    "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez "
    "Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan "
    "Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson "
    "Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera"
).split()
WORDS = (
    "Acme Blue Bright Cedar Delta Echo Falcon Granite Harbor Iron Juniper Kestrel Lumen Maple "
    "Nimbus Orbit Pine Quartz River Summit Tidal Umber Vertex Willow Xenon Yarrow Zephyr North "
    "South Polar Copper Silver Golden Crimson Amber Onyx Coral Sable Cobalt Ivory"
).split()
SUFFIX = "Inc Labs Systems Group Partners Works Analytics Holdings Digital Logistics".split()
CITIES = (
    ("Boston", "MA", "United States"), ("Austin", "TX", "United States"),
    ("Denver", "CO", "United States"), ("Seattle", "WA", "United States"),
    ("Dublin", "", "Ireland"), ("Berlin", "", "Germany"), ("Lyon", "", "France"),
    ("Toronto", "ON", "Canada"), ("Sydney", "NSW", "Australia"), ("Osaka", "", "Japan"),
)
TITLES = "CEO CTO Engineer Analyst Manager Director Designer Consultant Founder Buyer".split()
INDUSTRIES = "Software Retail Finance Health Education Logistics Media Energy".split()
DOMAINS = "gmail.com example.com mail.example.org corp.example.net".split()

COLUMNS = (
    "guid", "insertedAt", "lastModifiedAt", "firstName", "lastName", "email", "company",
    "jobTitle", "phone", "city", "state", "country", "website", "industry", "sourceId",
    "sourceValue1", "rawScore", "score", "pageViewCount", "visitCount",
)


def rows(count: int, seed: int = SEED) -> Iterator[dict[str, str]]:
    """``count`` leads as CSV rows (v1 field names), the same for the same seed."""
    rng = random.Random(seed)
    for i in range(count):
        first = rng.choice(FIRST)
        roll = rng.random()
        last = RARE_TERM.title() if roll < 1 / 20_000 else (
            COMMON_TERM.title() if roll < 1 / 12 else rng.choice(LAST)
        )
        inserted = START_MS + rng.randrange(SPAN_MS)
        modified = inserted + rng.randrange(90 * 86_400_000)
        city, state, country = rng.choice(CITIES)
        company = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIX)}"
        domain = company.split()[0].lower() + ".example.com"
        yield {
            "guid": f"{rng.getrandbits(128):032x}",
            "insertedAt": str(inserted),
            "lastModifiedAt": str(modified),
            "firstName": first,
            "lastName": last,
            "email": f"{first}.{last}.{i}@{rng.choice(DOMAINS)}".lower(),
            "company": company,
            "jobTitle": rng.choice(TITLES),
            "phone": f"+1-555-{rng.randrange(10_000_000):07d}",
            "city": city,
            "state": state,
            "country": country,
            "website": f"https://{domain}",
            "industry": rng.choice(INDUSTRIES),
            "sourceId": str(rng.randrange(1, 8)),
            "sourceValue1": domain,
            "rawScore": str(rng.randrange(0, 500)),
            "score": f"{rng.random() * 100:.2f}",
            "pageViewCount": str(rng.randrange(1, 60)),
            "visitCount": str(rng.randrange(1, 20)),
        }


def write_csv(path: Path, count: int, seed: int = SEED) -> Path:
    """Write the data set of this size and seed to ``path`` (skipped if already there)."""
    marker = path.with_suffix(path.suffix + ".done")
    if path.exists() and marker.exists() and marker.read_text() == f"{count} {seed}":
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(count, seed))
    tmp.replace(path)
    marker.write_text(f"{count} {seed}")
    return path
