"""cli layer of licensebot."""
