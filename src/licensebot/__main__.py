"""`python -m licensebot` is the `licensebot` command."""

from licensebot.cli.app import main

main()
