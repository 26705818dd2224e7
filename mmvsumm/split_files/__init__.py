"""Shipped split files (DSNet yml layout), made by ``mmvsumm splits``."""
