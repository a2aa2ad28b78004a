"""licensebot: the license-agreement desk of a restricted research dataset, by email."""

__version__ = "0.1.0"
