"""Tests of restore.degrade, one file per family (a package, so their names may repeat those of other folders)."""
