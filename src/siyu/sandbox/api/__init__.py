"""WeCom API areas, one handler table (Registry) per module."""
