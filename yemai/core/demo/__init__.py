"""The synthetic demo town (演示镇街): 45 villages and communities, 172 micro-grids, about
60,000 residents, 1,150 cameras, the size of the source town near 慈溪.

``plan`` decides everything from a seed (no database); ``loader`` writes a plan; ``build``
does both and adds the demo logins. Importing this package loads no Django model, so the
geometry can be reused outside Django (``bench/locate.py``).
"""
