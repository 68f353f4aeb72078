"""Small astronomy-flavoured tables the project generates itself (nothing is downloaded).

The numbers are drawn from simple documented distributions whose means and scatters roughly
follow published SDSS colour studies; they are teaching data with the right look, not a
catalogue. Each table is made with a fixed seed, so every machine gets the same file.

* `sdss_colours` — stars, galaxies and quasars in SDSS colours (u−g, g−r, r−i, i−z) and the
  r magnitude. Stars follow the stellar locus (after Covey et al. 2007, AJ 134, 2398: g−r from
  0.2 to 1.4, u−g and r−i rising along it); quasars below z ≈ 2.2 show the UV excess u−g ≈ 0.2
  (Richards et al. 2002, AJ 123, 2945); galaxies sit redder in u−g than quasars and broader
  than stars (Strateva et al. 2001, AJ 122, 1861). Classification, 3 classes.
* `red_blue_galaxies` — galaxy colour bimodality: u−r against absolute magnitude M_r for a red
  sequence (u−r ≈ 2.5, σ 0.2) and a blue cloud (u−r ≈ 1.6, σ 0.35), split at u−r = 2.22 as
  Strateva et al. 2001; the label is the population the galaxy was drawn from, so the classes
  overlap. Classification, 2 classes.
* `photo_z` — photometric redshift: galaxy colours that redden with redshift (g−r ≈ 0.45 +
  2.2 z at z < 0.4, as the 4000 Å break moves through g and r; Connolly et al. 1995, AJ 110,
  2655) with scatter; the target is the redshift z. Regression.
"""

from __future__ import annotations

import io

import numpy as np

BUILTIN_PREFIX = "builtin:"
SEED = 2026


def _sdss_colours(rng: np.random.Generator) -> tuple[list[str], list[list]]:
    rows: list[list] = []
    n = 600
    gr = rng.uniform(0.2, 1.4, n)  # stars along the stellar locus
    ug = 0.85 + 1.15 * gr + rng.normal(0, 0.12, n)
    ri = np.where(gr < 1.1, 0.35 * gr, 0.35 * gr + 1.8 * (gr - 1.1)) + rng.normal(0, 0.06, n)
    iz = 0.55 * ri + rng.normal(0, 0.06, n)
    r = rng.uniform(15.5, 21.0, n)
    rows += [[u, g, ri_, z, m, "star"] for u, g, ri_, z, m in zip(ug, gr, ri, iz, r, strict=True)]
    n = 600
    ug = rng.normal(1.65, 0.35, n)  # galaxies
    gr = 0.25 + 0.35 * ug + rng.normal(0, 0.12, n)
    ri = rng.normal(0.40, 0.10, n)
    iz = rng.normal(0.30, 0.12, n)
    r = rng.uniform(14.5, 17.77, n)  # SDSS main galaxy sample: r < 17.77
    rows += [[u, g, ri_, z, m, "galaxy"] for u, g, ri_, z, m in zip(ug, gr, ri, iz, r, strict=True)]
    n = 300
    ug = rng.normal(0.20, 0.22, n)  # quasars, UV excess
    gr = rng.normal(0.15, 0.18, n)
    ri = rng.normal(0.15, 0.12, n)
    iz = rng.normal(0.05, 0.14, n)
    r = rng.uniform(17.0, 20.5, n)
    rows += [[u, g, ri_, z, m, "quasar"] for u, g, ri_, z, m in zip(ug, gr, ri, iz, r, strict=True)]
    return ["u_g", "g_r", "r_i", "i_z", "r_mag", "class"], rows


def _red_blue_galaxies(rng: np.random.Generator) -> tuple[list[str], list[list]]:
    rows: list[list] = []
    for name, n, ur_mean, ur_std, m_mean in (("red", 500, 2.5, 0.2, -21.3),
                                             ("blue", 700, 1.6, 0.35, -20.2)):
        m_r = rng.normal(m_mean, 0.9, n)
        ur = ur_mean - 0.08 * (m_r - m_mean) + rng.normal(0, ur_std, n)
        rows += [[m, u, name] for m, u in zip(m_r, ur, strict=True)]
    return ["abs_mag_r", "u_r", "population"], rows


def _photo_z(rng: np.random.Generator) -> tuple[list[str], list[list]]:
    n = 1200
    z = rng.gamma(4.0, 0.03, n).clip(0.01, 0.45)
    red = rng.random(n) < 0.5  # early and late types redden alike, from different starts
    gr = np.where(red, 0.75, 0.45) + 2.2 * z + rng.normal(0, 0.06, n)
    ug = np.where(red, 1.8, 1.2) + 1.0 * z + rng.normal(0, 0.15, n)
    ri = 0.35 + 0.9 * z + rng.normal(0, 0.05, n)
    iz = 0.25 + 0.6 * z + rng.normal(0, 0.06, n)
    r = 14.5 + 5 * np.log10(z / 0.02).clip(0) * 0.55 + rng.normal(0, 0.5, n)
    rows = [list(v) for v in zip(ug, gr, ri, iz, r, z, strict=True)]
    return ["u_g", "g_r", "r_i", "i_z", "r_mag", "redshift"], rows


BUILTIN_TABLES = {
    "sdss_colours": ("Stars, galaxies and quasars in SDSS colours (3 classes)", _sdss_colours),
    "red_blue_galaxies": ("Red sequence and blue cloud galaxies (2 classes)", _red_blue_galaxies),
    "photo_z": ("Photometric redshift from galaxy colours (regression)", _photo_z),
}
"""name -> (label, generator(rng) -> (header, rows))."""


def builtin_csv(name: str) -> str:
    """The table as CSV text, rows shuffled, numbers rounded to 3 decimals like a catalogue."""
    header, rows = BUILTIN_TABLES[name][1](np.random.default_rng(SEED))
    order = np.random.default_rng(SEED + 1).permutation(len(rows))
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for i in order:
        out.write(",".join(v if isinstance(v, str) else f"{float(v):.3f}" for v in rows[i]) + "\n")
    return out.getvalue()
