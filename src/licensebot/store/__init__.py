"""store layer of licensebot."""
