"""Shared support for the mmcontrast packages (mmpixcon, mmvsumm, mms2l).

Importing this package applies the upstream compatibility fixes of
:mod:`mmcontrast.compat` once; :mod:`mmcontrast.assets` finds the real offline
inputs used by tests and demos.
"""
from .compat import apply_compat_fixes

apply_compat_fixes()

__all__ = ['apply_compat_fixes']
