"""One-click complaints and reports: categories, platform templates, evidence bundles."""
