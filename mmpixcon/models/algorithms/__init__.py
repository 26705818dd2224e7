from .pixcon import PixCon

__all__ = ['PixCon']
