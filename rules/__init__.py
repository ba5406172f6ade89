"""feedlens's bundled rules: adapters, profiles, report categories and phrase lists (YAML).

Data only. This file makes the folder the package `feedlens.rules` in an installed feedlens,
where `importlib.resources` finds it (see feedlens.paths).
"""
