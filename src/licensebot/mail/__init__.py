"""mail layer of licensebot."""
