"""Test helpers of mmpixcon: tiny datasets in the standard on-disk layouts
(``python -m mmpixcon.testing.fixtures LAYOUT DST``)."""
