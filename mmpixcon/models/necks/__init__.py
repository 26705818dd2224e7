from .pixcon_neck import PixConNeck, per_pixel

__all__ = ['PixConNeck', 'per_pixel']
