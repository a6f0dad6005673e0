"""What crosses layers, defined once: the tweet record and its tables, the trend document, the
period calendar, the names of topics, tables and collections, and the service-unavailable error.
Pure: imports nothing of the product, so every layer may import it.
"""
