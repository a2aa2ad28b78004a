"""worker layer of licensebot."""
