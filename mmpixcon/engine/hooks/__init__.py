from .dense_probe_hook import DenseProbeHook

__all__ = ['DenseProbeHook']
