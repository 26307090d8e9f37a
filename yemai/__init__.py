"""Yemai (叶脉): grassroots grid governance for Chinese towns and city districts."""

__version__ = "0.1.0"
