"""reading layer of licensebot."""
