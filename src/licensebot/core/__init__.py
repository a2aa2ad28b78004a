"""core layer of licensebot."""
