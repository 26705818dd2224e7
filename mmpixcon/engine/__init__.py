from .hooks import DenseProbeHook

__all__ = ['DenseProbeHook']
